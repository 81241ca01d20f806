#pragma once
// ForwardLoop: one epoll loop that moves frames from every port's
// FrameSource through the VlanSwitch to the sinks, then flushes the batching
// sinks once per burst (so a burst of N frames costs about one sendmmsg per
// egress port, not N sends).
//
// runOnce() waits up to timeoutMs for any port, reads at most `burst`
// frames from each ready port (so one busy port cannot starve the others),
// and returns how many frames it processed, or -1 with error() set when a
// source failed (the message names the interface; that port is removed from
// the loop and its switch port is set down). epollFd() can be put in the
// daemon's own loop: it is readable when runOnce(0) has work.
//
// One thread: the loop, the switch, the sources and sinks are all used on
// the thread that calls runOnce().

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/forward/vlan_switch.h"
#include "dataplane/io/frame_io.h"
#include "dataplane/io/live_port.h"

namespace portvakt::forward {

class ForwardLoop {
 public:
  explicit ForwardLoop(VlanSwitch& sw, size_t burst = 256);
  ~ForwardLoop();
  ForwardLoop(const ForwardLoop&) = delete;
  ForwardLoop& operator=(const ForwardLoop&) = delete;

  // `source` delivers frames with Frame::port == port and is readable on `fd`.
  // False (error() says why) if the fd cannot be watched.
  [[nodiscard]] bool addSource(PortIndex port, io::FrameSource& source, int fd, std::string name);
  // Flushed after every burst.
  void addBatchingSink(io::BatchingSink& sink) { batching_.push_back(&sink); }

  int runOnce(int timeoutMs);
  int epollFd() const { return epoll_; }
  const std::string& error() const { return error_; }
  uint64_t frames() const { return frames_; }

 private:
  struct Source {
    PortIndex port;
    io::FrameSource* source;
    int fd;
    std::string name;
    bool active;
  };
  VlanSwitch& switch_;
  size_t burst_;
  int epoll_ = -1;
  std::vector<Source> sources_;
  std::vector<io::BatchingSink*> batching_;
  std::string error_;
  uint64_t frames_ = 0;
};

}  // namespace portvakt::forward
