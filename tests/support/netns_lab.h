#pragma once
// The gtest parts of the C++ lab for the root tests (tests/dataplane/forward
// and io, tests/control/link and daemon): PORTVAKT_REQUIRE_ROOT(), sh(),
// RawSender and captureTestFrames. The namespaces themselves (NetnsLab,
// NetnsScope) are in tests/support/netns.h, which the veth bench uses too;
// the shell tests have the same in tests/support/lab.bash.

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/io/live_port.h"
#include "tests/support/ci.h"
#include "tests/support/netns.h"

// Skips (or, under CI=true, where tests run as root, fails) a test that needs root.
#define PORTVAKT_REQUIRE_ROOT() \
  PORTVAKT_REQUIRE(::geteuid() == 0, "needs root: creates network namespaces and veth pairs")

namespace portvakt::testing {

// A shell command, its output discarded: the tests' own `ip` calls.
inline int sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

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
