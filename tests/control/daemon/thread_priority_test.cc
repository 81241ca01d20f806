#include "control/daemon/thread_priority.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

namespace portvakt::control {
namespace {

// Raising one's own nice value needs no privilege; only the calling thread
// changes, so the daemon's other threads keep the process's priority.
TEST(ThreadPriority, OnlyTheCallingThreadChanges) {
  const int before = callingThreadNice();
  int inThread = 99;
  std::string error;
  std::thread t([&] {
    if (auto set = setCallingThreadNice(before + 3); !set) error = set.error().message;
    inThread = callingThreadNice();
  });
  t.join();
  ASSERT_EQ(error, "");
  EXPECT_EQ(inThread, before + 3);
  EXPECT_EQ(callingThreadNice(), before) << "the test's own thread is untouched";
}

TEST(ThreadPriority, AValueOutOfRangeIsRefusedWithTheRange) {
  auto set = setCallingThreadNice(-21);
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().message.find("-20..19"), std::string::npos) << set.error().message;
}

// Without CAP_SYS_NICE and with RLIMIT_NICE at 0, lowering the nice value is
// refused, and the message says what would allow it. Run in a child that gives
// up root (when the test runs as root) so that the test's process keeps it.
TEST(ThreadPriority, WithoutThePrivilegeTheRefusalNamesWhatAllowsIt) {
  int pipeFds[2];
  ASSERT_EQ(pipe(pipeFds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipeFds[0]);
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_NICE, &none) != 0) _exit(2);
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    auto set = setCallingThreadNice(-10);
    const std::string out = set ? std::string("allowed") : set.error().message;
    if (write(pipeFds[1], out.data(), out.size()) < 0) _exit(4);
    _exit(0);
  }
  close(pipeFds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(pipeFds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(pipeFds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child exit " << status;
  EXPECT_NE(out.find("setpriority(-10)"), std::string::npos) << out;
  EXPECT_NE(out.find("LimitNICE=-10"), std::string::npos) << out;
}

}  // namespace
}  // namespace portvakt::control
