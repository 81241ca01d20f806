#include "dataplane/forward/forward_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstring>

namespace portvakt::forward {
namespace {
constexpr int kMaxEvents = 64;
}

ForwardLoop::ForwardLoop(VlanSwitch& sw, size_t burst) : switch_(sw), burst_(burst == 0 ? 1 : burst) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) error_ = std::string("forward loop: epoll_create1: ") + std::strerror(errno);
}

ForwardLoop::~ForwardLoop() {
  if (epoll_ >= 0) ::close(epoll_);
}

bool ForwardLoop::addSource(PortIndex port, io::FrameSource& source, int fd, std::string name) {
  if (epoll_ < 0) return false;
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = sources_.size();
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    error_ = "forward loop: cannot watch port " + name + ": " + std::strerror(errno);
    return false;
  }
  sources_.push_back(Source{port, &source, fd, std::move(name), true});
  return true;
}

int ForwardLoop::runOnce(int timeoutMs) {
  if (epoll_ < 0) return -1;
  struct epoll_event events[kMaxEvents];
  int n = epoll_wait(epoll_, events, kMaxEvents, timeoutMs);
  if (n < 0) {
    if (errno == EINTR) return 0;
    error_ = std::string("forward loop: epoll_wait: ") + std::strerror(errno);
    return -1;
  }
  int processed = 0;
  bool failed = false;
  for (int i = 0; i < n; ++i) {
    Source& s = sources_[events[i].data.u64];
    if (!s.active) continue;
    // One burst per ready port (at most burst_ frames, so a busy port cannot
    // starve the others); LivePort reads it with one pcap_dispatch and hands
    // the frames over in its ring, without copying them.
    struct Context {
      VlanSwitch* sw;
      PortIndex port;
    } context{&switch_, s.port};
    size_t count = 0;
    const io::ReadStatus st = s.source->readBurst(
        burst_,
        [](void* c, const io::Frame& in) {
          auto* ctx = static_cast<Context*>(c);
          io::Frame frame = in;
          frame.port = ctx->port;
          (void)ctx->sw->process(frame);
        },
        &context, count);
    processed += static_cast<int>(count);
    if (st == io::ReadStatus::kError) {
      error_ = std::string(s.source->error());
      if (error_.empty()) error_ = "forward loop: port " + s.name + " failed";
      (void)epoll_ctl(epoll_, EPOLL_CTL_DEL, s.fd, nullptr);
      s.active = false;
      switch_.setPortUp(s.port, false);
      failed = true;
    }
  }
  for (io::BatchingSink* sink : batching_) (void)sink->flush();
  frames_ += static_cast<uint64_t>(processed);
  return failed ? -1 : processed;
}

}  // namespace portvakt::forward
