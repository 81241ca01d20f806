#pragma once
// Network namespaces and veth pairs for the C++ root tests (tests/dataplane/
// forward and io, tests/control/link and daemon); the shell tests have the
// same in tests/support/lab.bash.
//
// NetnsLab creates namespaces named "pvt<pid>-<tag>" (unique per test
// process, short enough for interface-name rules) and removes them in its
// destructor, which a fixture runs from TearDown even when the test failed;
// deleting a namespace deletes the veths in it. Namespaces left behind by a
// test process that was killed are removed at the next start.
// IPv6 is off in every lab namespace so the kernel's own ND/MLD frames do
// not show up in captures.
//
// NetnsScope moves the calling thread into a namespace and back: sockets,
// pcap handles and netlink sockets opened inside stay bound to it.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <dirent.h>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/ci.h"

// Skips (or, under CI=true, where tests run as root, fails) a test that needs root.
#define PORTVAKT_REQUIRE_ROOT() \
  PORTVAKT_REQUIRE(::geteuid() == 0, "needs root: creates network namespaces and veth pairs")

namespace portvakt::testing {

inline int sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

class NetnsLab {
 public:
  NetnsLab() : prefix_("pvt" + std::to_string(::getpid()) + "-") { removeStale(); }
  ~NetnsLab() {
    for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) sh("ip netns del " + *it);
  }
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  // Creates a namespace and returns its full name; "" on failure.
  std::string addNamespace(const std::string& tag) {
    std::string name = prefix_ + tag;
    if (sh("ip netns add " + name) != 0) return "";
    namespaces_.push_back(name);
    sh("ip -n " + name + " link set lo up");
    sh("ip netns exec " + name +
       " sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 > "
       "/proc/sys/net/ipv6/conf/all/disable_ipv6'");
    return name;
  }
  // A veth pair, `a` in nsA and `b` in nsB, both up and operational.
  bool addVeth(const std::string& nsA, const std::string& a, const std::string& nsB, const std::string& b) {
    return sh("ip -n " + nsA + " link add " + a + " type veth peer name " + b + " netns " + nsB) == 0 &&
           sh("ip -n " + nsA + " link set " + a + " up") == 0 && sh("ip -n " + nsB + " link set " + b + " up") == 0 &&
           waitOperUp(nsA, a) && waitOperUp(nsB, b);
  }
  // The kernel activates a link's qdisc (and sets operstate UP) from its
  // linkwatch work, up to a second after carrier comes on; frames sent
  // before that are dropped. Tests wait for it instead of racing it.
  static bool waitOperUp(const std::string& ns, const std::string& name) {
    for (int i = 0; i < 300; ++i) {
      if (sh("ip -n " + ns + " -o link show dev " + name + " | grep -q 'state UP'") == 0) return true;
      ::usleep(10000);
    }
    return false;
  }

 private:
  // "pvt<pid>-..." whose process is gone: left by a killed test run.
  void removeStale() {
    DIR* d = ::opendir("/run/netns");
    if (d == nullptr) return;
    std::vector<std::string> stale;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.rfind("pvt", 0) != 0) continue;
      size_t dash = n.find('-');
      if (dash == std::string::npos || dash == 3) continue;
      std::string pid = n.substr(3, dash - 3);
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      if (::kill(std::stoi(pid), 0) != 0) stale.push_back(n);
    }
    ::closedir(d);
    for (const std::string& n : stale) sh("ip netns del " + n);
  }

  std::string prefix_;
  std::vector<std::string> namespaces_;
};

class NetnsScope {
 public:
  explicit NetnsScope(const std::string& name) {
    self_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    ok_ = self_ >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0;
    if (target >= 0) ::close(target);
  }
  ~NetnsScope() {
    if (self_ >= 0) {
      if (ok_) (void)::setns(self_, CLONE_NEWNET);
      ::close(self_);
    }
  }
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;
  bool ok() const { return ok_; }

 private:
  int self_ = -1;
  bool ok_ = false;
};

}  // namespace portvakt::testing

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>

#include "dataplane/io/live_port.h"

namespace portvakt::testing {

// A plain AF_PACKET sender (independent of io::PacketSocketSink) for the
// hosts' side of a lab: the frame goes out exactly as given, tags included.
class RawSender {
 public:
  explicit RawSender(const std::string& interface) {
    fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    sockaddr_ll addr = {};
    addr.sll_family = AF_PACKET;
    addr.sll_ifindex = static_cast<int>(::if_nametoindex(interface.c_str()));
    ok_ = fd_ >= 0 && addr.sll_ifindex != 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawSender() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSender(const RawSender&) = delete;
  RawSender& operator=(const RawSender&) = delete;
  bool ok() const { return ok_; }
  bool send(const std::vector<uint8_t>& frame) {
    return ::send(fd_, frame.data(), frame.size(), 0) == static_cast<ssize_t>(frame.size());
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

// Frames whose source MAC is a test MAC (02:00:00:...), read from `port`
// until `expect` arrived or `waitMs` passed (expect 0: wait the whole time,
// to show that nothing arrives).
inline std::vector<std::vector<uint8_t>> captureTestFrames(io::LivePort& port, size_t expect, int waitMs) {
  std::vector<std::vector<uint8_t>> frames;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
  for (;;) {
    io::Frame f;
    while (port.next(f) == io::ReadStatus::kFrame) {
      if (f.bytes.size() >= 12 && f.bytes[6] == 0x02 && f.bytes[7] == 0x00 && f.bytes[8] == 0x00)
        frames.emplace_back(f.bytes.begin(), f.bytes.end());
    }
    if (expect != 0 && frames.size() >= expect) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd = {port.selectableFd(), POLLIN, 0};
    (void)::poll(&pfd, 1, static_cast<int>(left.count()));
  }
  return frames;
}

}  // namespace portvakt::testing
