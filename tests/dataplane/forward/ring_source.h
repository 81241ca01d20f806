#pragma once
// A port's receive ring for the forwarding loop's tests: the frames it holds,
// handed out by next() as LivePort reads them, and readable on `fd` (an
// eventfd, set while it holds frames) as a packet socket is, so that the
// loop's epoll sees it.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>
#include <utility>

#include "dataplane/io/frame_io.h"
#include "tests/dataplane/forward/l2_frames.h"

namespace portvakt::forward::testing {

class RingSource final : public io::FrameSource {
 public:
  RingSource() : fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~RingSource() override { ::close(fd); }
  RingSource(const RingSource&) = delete;
  RingSource& operator=(const RingSource&) = delete;
  void add(Bytes bytes, int64_t timestampNs) {
    queued.push_back({std::move(bytes), timestampNs});
    const uint64_t one = 1;
    EXPECT_EQ(::write(fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
  }
  io::ReadStatus next(io::Frame& out) override {
    if (failed) return io::ReadStatus::kError;
    if (queued.empty()) return io::ReadStatus::kEnd;
    current = std::move(queued.front());
    queued.pop_front();
    if (queued.empty()) {
      uint64_t count;
      EXPECT_EQ(::read(fd, &count, sizeof count), static_cast<ssize_t>(sizeof count));
    }
    out.bytes = current.first;
    out.wireLength = static_cast<uint32_t>(current.first.size());
    out.timestampNs = current.second;
    return io::ReadStatus::kFrame;
  }
  std::string_view error() const override { return failed ? "the ring failed" : ""; }
  // From now on every read fails (an interface that went away).
  void fail() {
    failed = true;
    const uint64_t one = 1;
    EXPECT_EQ(::write(fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
  }
  bool failed = false;
  int linkType() const override { return 1; }
  int fd;
  std::deque<std::pair<Bytes, int64_t>> queued;
  std::pair<Bytes, int64_t> current;
};

}  // namespace portvakt::forward::testing
