#include "dataplane/forward/forward_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

namespace portvakt::forward {
namespace {
constexpr int kMaxEvents = 64;
// While forwarding put-off frames, the loop looks for new frames every
// kLookAheadEvery of them (~100 us of work), reading at most kLookAheadBurst
// per port, and stops looking after kLookAheadLimit frames in one wake-up so
// that the runner's own work between wake-ups still comes.
constexpr size_t kLookAheadEvery = 64;
constexpr size_t kLookAheadBurst = 64;
constexpr size_t kLookAheadLimit = 4096;

int64_t realtimeNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);  // libpcap stamps frames in CLOCK_REALTIME
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

ForwardLoop::ForwardLoop(VlanSwitch& sw, size_t burst, LoadOptions load)
    : switch_(sw), burst_(burst == 0 ? 1 : burst), options_(load) {
  if (options_.clockNs == nullptr) options_.clockNs = realtimeNs;
  if (options_.deferredSlotBytes == 0) options_.deferredSlotBytes = 1;
  deferredBytes_.resize(options_.deferredFrames * options_.deferredSlotBytes);
  deferred_.resize(options_.deferredFrames);
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

void ForwardLoop::handle(const io::Frame& frame, int64_t nowNs) {
  const int64_t waited = frame.timestampNs > 0 ? nowNs - frame.timestampNs : 0;
  if (!behind_) {
    if (waited <= options_.behindNs) {
      (void)switch_.process(frame);  // the common case: in arrival order, nothing else
      return;
    }
    behind_ = true;
    ++load_.behindWakeups;
    if (behindSinceNs_ == 0) behindSinceNs_ = nowNs;
    behindAtNs_ = nowNs;
    overloaded_ = notCatchingUp_ || nowNs - behindSinceNs_ >= options_.overloadAfterNs;
    if (overloaded_) ++load_.overloadedWakeups;
  }
  // Each port's ring is in arrival order, so the longest wait of a wake-up
  // is its oldest frame's, whichever port it came from.
  if (waited > oldestWaitNs_) oldestWaitNs_ = waited;
  if (switch_.priorityOf(frame)) {
    ++load_.priorityFirst;
    (void)switch_.process(frame);
    return;
  }
  const size_t n = frame.bytes.size();
  const int64_t budget = overloaded_ ? options_.queueBudgetNs : options_.maxWaitNs;
  if (waited > budget || deferredCount_ == options_.deferredFrames || n > options_.deferredSlotBytes) {
    // Not worth forwarding any more, or no room to put it off: dropping it
    // unread is what keeps the queue, and so the delay, short.
    ++load_.overloadDrops;
    switch_.countOverload(frame.port);
    return;
  }
  const size_t slot = (deferredHead_ + deferredCount_) % options_.deferredFrames;
  std::memcpy(deferredBytes_.data() + slot * options_.deferredSlotBytes, frame.bytes.data(), n);
  deferred_[slot] = {static_cast<uint32_t>(n), frame.wireLength, frame.timestampNs, frame.port};
  ++deferredCount_;
}

void ForwardLoop::flushSinks() {
  for (Sink& s : batching_) {
    (void)s.sink->flush();
    const uint64_t dropped = s.sink->droppedFrames();
    if (dropped > s.droppedSeen && s.port != kNoPort) {
      load_.egressBusyDrops += dropped - s.droppedSeen;
      switch_.countEgressBusy(s.port, dropped - s.droppedSeen);
    }
    s.droppedSeen = dropped;
  }
}

void ForwardLoop::finishBurst() {
  if (deferredCount_ > 0) {
    flushSinks();  // the priority frames leave before the deferred ones are even looked at
    size_t sinceLook = 0, lookedAt = 0;
    while (deferredCount_ > 0) {
      const Deferred& d = deferred_[deferredHead_];
      io::Frame frame;
      frame.bytes =
          std::span<const uint8_t>(deferredBytes_.data() + deferredHead_ * options_.deferredSlotBytes, d.length);
      frame.wireLength = d.wireLength;
      frame.timestampNs = d.timestampNs;
      frame.port = d.port;
      (void)switch_.process(frame);
      deferredHead_ = (deferredHead_ + 1) % options_.deferredFrames;
      --deferredCount_;
      ++load_.deferred;
      // A voice frame that arrives now would otherwise wait for every
      // put-off frame of this wake-up (a millisecond and more when the loop
      // is far behind): look for it in between.
      if (++sinceLook == kLookAheadEvery && lookedAt < kLookAheadLimit && switch_.anyPriority()) {
        sinceLook = 0;
        lookedAt += lookAhead();
      }
    }
    deferredHead_ = 0;
  }
  flushSinks();
  if (behind_) {
    judgeCatchUp();
  } else {  // caught up (or idle): a stall, not overload
    behindSinceNs_ = 0;
    windowStartNs_ = 0;
    notCatchingUp_ = false;
  }
  oldestWaitNs_ = 0;
  behind_ = false;
  overloaded_ = false;
}

void ForwardLoop::judgeCatchUp() {
  // A wake-up that began more than stallGapNs after the previous one ended
  // had a stall before it (a push or the runner's other work between
  // wake-ups, the CPU taken by another task): frames waited through it, not
  // because the loop forwards too slowly, so the window starts again.
  const bool stalled = behindAtNs_ - lastBehindEndNs_ > options_.stallGapNs;
  lastBehindEndNs_ = options_.clockNs();
  if (notCatchingUp_) return;
  if (windowStartNs_ == 0 || stalled) {
    windowStartNs_ = behindAtNs_;
    windowStartWaitNs_ = oldestWaitNs_;
  } else if (behindAtNs_ - windowStartNs_ >= options_.catchUpWindowNs) {
    if (oldestWaitNs_ >= windowStartWaitNs_) {
      notCatchingUp_ = true;  // from the next wake-up on, until one keeps up
      ++load_.notCatchingUp;
    } else {
      windowStartNs_ = behindAtNs_;
      windowStartWaitNs_ = oldestWaitNs_;
    }
  }
}

size_t ForwardLoop::lookAhead() {
  ++load_.lookAheads;
  const uint64_t priorityBefore = load_.priorityFirst;
  const int64_t nowNs = options_.clockNs();
  size_t read = 0;
  for (Source& s : sources_) {
    const size_t room = options_.deferredFrames - deferredCount_;
    if (room == 0) break;  // what is not read waits in its ring, as it would have anyway
    if (s.active && !s.moderated) read += readPort(s, std::min(room, kLookAheadBurst), nowNs);
  }
  load_.lookAheadFrames += read;
  frames_ += read;
  if (load_.priorityFirst != priorityBefore) flushSinks();
  return read;
}

size_t ForwardLoop::readPort(Source& s, size_t max, int64_t nowNs) {
  // LivePort reads a burst with one pcap_dispatch and hands the frames over
  // in its ring, without copying them.
  struct Context {
    ForwardLoop* loop;
    PortIndex port;
    int64_t nowNs;
    bool moderated;
  } context{this, s.port, nowNs, s.moderated};
  size_t count = 0;
  const io::ReadStatus st = s.source->readBurst(
      max,
      [](void* c, const io::Frame& in) {
        auto* ctx = static_cast<Context*>(c);
        io::Frame frame = in;
        frame.port = ctx->port;
        // A moderated port's frames waited for its timed read by design:
        // judged as they come, they do not make the loop behind.
        if (ctx->moderated) (void)ctx->loop->switch_.process(frame);
        else ctx->loop->handle(frame, ctx->nowNs);
      },
      &context, count);
  if (st == io::ReadStatus::kError) {
    error_ = std::string(s.source->error());
    if (error_.empty()) error_ = "forward loop: port " + s.name + " failed";
    (void)epoll_ctl(epoll_, EPOLL_CTL_DEL, s.fd, nullptr);
    s.active = false;
    if (s.moderated) {  // out of the loop: no timed reads either
      s.moderated = false;
      --moderatedCount_;
    }
    switch_.setPortUp(s.port, false);
    sourceFailed_ = true;
  }
  return count;
}

int64_t ForwardLoop::untilReadNs(const Source& s, int64_t nowNs) const {
  const int64_t left = s.nextReadNs - nowNs;
  // More than an interval left: the wall clock was set back (frames carry
  // CLOCK_REALTIME, so the loop's clock is that one). Due now, not after the
  // step; nothing waits for it.
  return left <= 0 || left > options_.moderatedReadEveryNs ? 0 : left;
}

int64_t ForwardLoop::waitNs(int timeoutMs) const {
  int64_t wait = timeoutMs < 0 ? INT64_MAX : static_cast<int64_t>(timeoutMs) * 1'000'000;
  const int64_t nowNs = options_.clockNs();
  for (const Source& s : sources_)
    if (s.active && s.moderated) wait = std::min(wait, untilReadNs(s, nowNs));
  return wait;
}

bool ForwardLoop::moderated(PortIndex port) const {
  for (const Source& s : sources_)
    if (s.port == port && s.moderated) return true;
  return false;
}

void ForwardLoop::setModerated(Source& s, bool on, int64_t nowNs) {
  struct epoll_event ev = {};
  ev.events = on ? 0u : static_cast<uint32_t>(EPOLLIN);  // 0: it wakes the loop no more (errors and hang-ups still do)
  ev.data.u64 = static_cast<uint64_t>(&s - sources_.data());
  if (epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev) != 0) return;  // it stays as it was
  s.moderated = on;
  s.nextReadNs = nowNs + options_.moderatedReadEveryNs;
  if (on) {
    ++moderatedCount_;
    ++load_.moderations;
  } else {
    --moderatedCount_;
  }
}

size_t ForwardLoop::readModerated(int64_t nowNs) {
  size_t total = 0;
  for (Source& s : sources_) {
    if (!s.active || !s.moderated || untilReadNs(s, nowNs) > 0) continue;
    s.nextReadNs = nowNs + options_.moderatedReadEveryNs;
    ++load_.moderatedReads;
    const PortCounters& c = switch_.portCounters(s.port);
    const uint64_t judged0 = c.rxFrames, drops0 = c.rxDropped - c.rxOverload;
    const size_t read = readPort(s, options_.moderatedBurst, nowNs);
    load_.moderatedFrames += read;
    frames_ += read;
    total += read;
    // A device that the policy lets through began to send (a PC plugged in
    // where a quarantined device chattered): its frames are woken for again
    // from now on, not held to this read's interval and burst until the
    // window ends.
    const uint64_t judged = c.rxFrames - judged0, drops = c.rxDropped - c.rxOverload - drops0;
    if (judged > 0 && static_cast<double>(drops) < options_.moderateDropShare * static_cast<double>(judged))
      setModerated(s, false, nowNs);
  }
  return total;
}

void ForwardLoop::judgeModeration(int64_t nowNs) {
  if (options_.moderateAfterDrops == 0) return;
  // A window that ended more than a window ago (the loop slept: nothing
  // came), or whose end the clock was set back from, is not judged: its drops
  // would be spread over another time than the window's.
  const int64_t sinceEnd = nowNs - moderationWindowEndNs_;
  const bool judge = moderationWindowEndNs_ != 0 && sinceEnd >= 0 && sinceEnd < options_.moderationWindowNs;
  moderationWindowEndNs_ = nowNs + options_.moderationWindowNs;
  for (Source& s : sources_) {
    if (!s.active || s.port >= switch_.portCount()) continue;
    const PortCounters& c = switch_.portCounters(s.port);
    const uint64_t judged = c.rxFrames, policyDrops = c.rxDropped - c.rxOverload;
    const uint64_t judgedInWindow = judged - s.judgedSeen, dropsInWindow = policyDrops - s.policyDropsSeen;
    s.judgedSeen = judged;
    s.policyDropsSeen = policyDrops;
    if (!judge || switch_.config().ports[s.port].role != PortRole::kAccess) continue;
    const double share =
        judgedInWindow == 0 ? 0 : static_cast<double>(dropsInWindow) / static_cast<double>(judgedInWindow);
    if (!s.moderated && dropsInWindow >= options_.moderateAfterDrops && share >= options_.moderateDropShare)
      setModerated(s, true, nowNs);
    else if (s.moderated && (dropsInWindow < options_.moderateAfterDrops / 2 || share < options_.moderateDropShare))
      setModerated(s, false, nowNs);
  }
}

int ForwardLoop::runOnce(int timeoutMs) {
  if (epoll_ < 0) return -1;
  struct epoll_event events[kMaxEvents];
  int n;
  if (moderatedCount_ == 0) {
    n = epoll_wait(epoll_, events, kMaxEvents, timeoutMs);
  } else {  // woken by the first moderated port that is due, at the latest
    const int64_t ns = waitNs(timeoutMs);
    struct timespec ts = {};
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    n = epoll_pwait2(epoll_, events, kMaxEvents, ns == INT64_MAX ? nullptr : &ts, nullptr);
  }
  if (n < 0) {
    if (errno == EINTR) return 0;
    error_ = std::string("forward loop: epoll_wait: ") + std::strerror(errno);
    return -1;
  }
  int processed = 0;
  // One clock reading per wake-up: how long each frame waited is measured
  // against it (a frame read later in the wake-up waited at least as long).
  const int64_t nowNs = options_.clockNs();
  for (int i = 0; i < n; ++i) {
    Source& s = sources_[events[i].data.u64];
    // One burst per ready port (at most burst_ frames, so a busy port cannot
    // starve the others). A moderated port wakes the loop only with an error
    // or a hang-up, which its read reports.
    const bool due = !s.moderated || (events[i].events & (EPOLLERR | EPOLLHUP)) != 0;
    if (s.active && due) processed += static_cast<int>(readPort(s, burst_, nowNs));
  }
  frames_ += static_cast<uint64_t>(processed);
  if (moderatedCount_ > 0) processed += static_cast<int>(readModerated(nowNs));
  finishBurst();  // flushes what the moderated ports' frames queued too
  // Past the window's end, or the wall clock was set back by more than a window.
  if (nowNs >= moderationWindowEndNs_ || moderationWindowEndNs_ - nowNs > options_.moderationWindowNs)
    judgeModeration(nowNs);
  const bool failed = sourceFailed_;
  sourceFailed_ = false;
  return failed ? -1 : processed;
}

}  // namespace portvakt::forward
