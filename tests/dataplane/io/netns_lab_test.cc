// The lab itself (tests/support/netns.h): what it creates it removes, in its
// destructor, on a signal (the veth bench is interrupted with Ctrl-C), and
// what a killed process left at the next start of its family.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/netns_lab.h"

namespace {

using portvakt::testing::NetnsLab;

bool namespaceExists(const std::string& name) {
  struct stat st;
  return !name.empty() && ::stat(("/run/netns/" + name).c_str(), &st) == 0;
}

// Runs `child` in a forked process that reports the namespace it made
// through a pipe and then waits for the parent's signal or exits itself.
// Returns the child's pid and the name it made ("" if it made none).
template <typename Child>
std::pair<pid_t, std::string> forkLab(Child child) {
  int fds[2];
  if (::pipe(fds) != 0) return {-1, ""};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1]);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string name;
  char c;
  while (pid > 0 && ::read(fds[0], &c, 1) == 1 && c != '\n') name += c;
  ::close(fds[0]);
  return {pid, name};
}

void report(int fd, const std::string& name) {
  const std::string line = name + "\n";
  (void)!::write(fd, line.data(), line.size());
}

TEST(NetnsLabTest, TheDestructorRemovesTheNamespacesWithIpv6OffAndLoUp) {
  PORTVAKT_REQUIRE_ROOT();
  std::string a, b;
  {
    NetnsLab lab;
    a = lab.addNamespace("a");
    b = lab.addNamespace("b");
    ASSERT_EQ(a, "pvt" + std::to_string(::getpid()) + "-a");
    ASSERT_TRUE(namespaceExists(a) && namespaceExists(b));
    ASSERT_TRUE(lab.addVeth(a, "nl0", b, "nl1"));
    EXPECT_EQ(portvakt::testing::sh("ip netns exec " + a + " grep -qx 1 /proc/sys/net/ipv6/conf/all/disable_ipv6"), 0);
    EXPECT_EQ(portvakt::testing::sh("ip -n " + a + " -o link show dev lo | grep -q UP"), 0);
  }
  EXPECT_FALSE(namespaceExists(a));
  EXPECT_FALSE(namespaceExists(b));
}

TEST(NetnsLabTest, ASignalRemovesTheNamespacesOfALabThatAskedForIt) {
  PORTVAKT_REQUIRE_ROOT();
  auto [pid, name] = forkLab([](int fd) {
    NetnsLab lab("pvtsig");
    lab.removeAtExit();
    report(fd, lab.addNamespace("x"));
    for (;;) ::pause();  // until the signal, whose handler removes the namespace and exits
  });
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(namespaceExists(name)) << name;
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGINT) << "status " << status;
  EXPECT_FALSE(namespaceExists(name)) << name << " is left after SIGINT";
  if (namespaceExists(name)) portvakt::testing::sh("ip netns del " + name);
}

TEST(NetnsLabTest, WhatAKilledProcessLeftIsRemovedByTheNextLabOfItsFamilyOnly) {
  PORTVAKT_REQUIRE_ROOT();
  // _exit: no destructor runs, as when a test process is killed.
  auto [pid, name] = forkLab([](int fd) {
    NetnsLab lab("pvtstale");
    report(fd, lab.addNamespace("x"));
    ::_exit(0);
  });
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(namespaceExists(name)) << name;
  {
    NetnsLab otherFamily("pvtother");
    EXPECT_TRUE(otherFamily.staleRemoved().empty());
    EXPECT_TRUE(namespaceExists(name)) << "a lab of another family removed " << name;
  }
  NetnsLab lab("pvtstale");
  const std::string live = lab.addNamespace("live");
  EXPECT_EQ(lab.staleRemoved(), std::vector<std::string>{name});
  EXPECT_FALSE(namespaceExists(name));
  NetnsLab again("pvtstale");  // the same process: its namespaces are not stale
  EXPECT_TRUE(again.staleRemoved().empty());
  EXPECT_TRUE(namespaceExists(live));
  if (namespaceExists(name)) portvakt::testing::sh("ip netns del " + name);
}

}  // namespace
