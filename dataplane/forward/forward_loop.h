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
// Under load (docs/forwarding.md, "Under load"). Every frame carries the
// kernel's receive time; the loop reads the clock once per wake-up and so
// knows how long the oldest frame has waited. While that is under
// `behindNs` the loop forwards in arrival order and does nothing else. Past
// it the loop is behind, and for the rest of that wake-up:
//  - priority frames (VlanSwitch::priorityOf: the policy's `priority` zones)
//    are forwarded at once, and the sinks are flushed before any other frame
//    is forwarded, so a call's frames do not wait behind a file copy;
//  - every other frame that has waited longer than `queueBudgetNs` (once the
//    loop is overloaded: behind for `overloadAfterNs`, or its backlog did not
//    shrink over `catchUpWindowNs`; `maxWaitNs` before) is dropped
//    unread (DropReason::kOverload, counted per port): dropping costs a small
//    fraction of forwarding, so the queue drains and what is forwarded has
//    waited at most about the budget, instead of the tens of milliseconds a
//    deep ring holds;
//  - the rest is copied into a preallocated area (`deferredFrames` slots of
//    `deferredSlotBytes`; full: dropped as kOverload) and forwarded after the
//    priority frames, in arrival order;
//  - while forwarding those, when the policy has priority zones, the loop
//    looks at its ports again every 64 frames and reads what arrived meanwhile
//    (no more than the area has room for, so nothing is dropped for it): a
//    priority frame goes out at once instead of after the whole backlog.
// A BatchingSink that drops frames (its port stayed busy) has them counted
// against its port as DropReason::kEgressBusy.
//
// Moderated ports (docs/forwarding.md, "Ports that flood dropped frames").
// What a flood costs the loop is mostly its wake-ups, not its frames: an
// access port that sends router advertisements at 50 000/s in bursts of 8
// woke it ~6 500 times a second for 12-15 us of CPU each on the bench's VM
// (bench/veth_forward_bench.cc, flood/alone),
// while parsing and dropping a frame takes 0.12-0.22 us (bench/pipeline_bench.cc).
// So an access port whose frames the policy drops -- at least
// `moderateAfterDrops` in a `moderationWindowNs` window, and at least
// `moderateDropShare` of the frames the switch judged on it -- stops waking
// the loop: it is read every `moderatedReadEveryNs` instead (at most
// `moderatedBurst` frames a read; what the ring cannot hold meanwhile, the
// kernel drops and counts as ring_full), and every frame read is still
// judged, counted and reported. Its frames wait up to that interval by
// design, so they do not count toward being behind. A window with fewer than
// half those drops, or a smaller share, ends it, and so does a timed read
// whose frames were mostly let through (a PC plugged in where a quarantined
// device chattered must not wait for the window's end, its rate held to
// moderatedBurst a read). Uplinks and trunks are never moderated.
//
// One thread: the loop, the switch, the sources and sinks are all used on
// the thread that calls runOnce(). No allocation per frame.

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/forward/vlan_switch.h"
#include "dataplane/io/frame_io.h"
#include "dataplane/io/live_port.h"

namespace portvakt::forward {

struct LoadOptions {
  // How long a frame may wait in a receive ring before it is not worth
  // forwarding any more (priority frames excepted), in two steps. A push or
  // a busy host stalls the loop for a few ms, and such a stall must not lose
  // frames (a flat 2 ms budget lost 214 frames of a 10 kpps flow in
  // tests/e2e/reload_under_load.sh, and a PC's ping beside a flood in
  // mac_flood.sh): the loop catches up within a wake-up or two, and only
  // `maxWaitNs` applies. A loop that has been behind in every wake-up for
  // `overloadAfterNs` is overloaded, not stalled: then a frame that waited
  // longer than `queueBudgetNs` is dropped, which keeps the added delay near
  // the budget instead of the ring's depth (issue 18: p99 < 5 ms at the
  // maximum rate). Priority frames go first either way.
  // A loop that does not catch up is overloaded sooner: when the oldest
  // frame (of all ports) has waited no less after `catchUpWindowNs` of being
  // behind than at its start, the backlog is not shrinking, and waiting out
  // the rest of overloadAfterNs would only let the ring fill to its depth
  // (~9 ms at portvaktd's rate here: the added p99 at the maximum rate was
  // that, from the first 50 ms of each run). A stall's backlog shrinks from
  // wake-up to wake-up, so this does not cut it short; nor does a stall
  // between two wake-ups: when one begins more than `stallGapNs` after the
  // previous one ended (a behind loop goes straight back to its rings), the
  // window starts again.
  int64_t queueBudgetNs = 4'000'000;
  int64_t overloadAfterNs = 50'000'000;
  int64_t catchUpWindowNs = 5'000'000;
  int64_t stallGapNs = 2'000'000;
  int64_t maxWaitNs = 100'000'000;
  // From how long the oldest frame has waited the loop counts itself behind.
  int64_t behindNs = 250'000;
  size_t deferredFrames = 1024;
  size_t deferredSlotBytes = 1536;  // LivePortOptions::snaplen: a frame is never larger
  // Moderated ports (see above); moderateAfterDrops 0: never.
  int64_t moderationWindowNs = 100'000'000;
  uint64_t moderateAfterDrops = 100;  // 1000 dropped frames/s
  double moderateDropShare = 0.9;
  int64_t moderatedReadEveryNs = 2'000'000;
  size_t moderatedBurst = 512;  // 256 k frames/s per moderated port at most
  // Frame timestamps are CLOCK_REALTIME ns (libpcap); tests pass their own.
  int64_t (*clockNs)() = nullptr;
};

struct LoadCounters {
  uint64_t behindWakeups = 0;      // wake-ups that found the oldest frame past behindNs
  uint64_t overloadedWakeups = 0;  // of which the loop was overloaded (queueBudgetNs applied)
  uint64_t notCatchingUp = 0;      // times the backlog did not shrink over catchUpWindowNs
  uint64_t priorityFirst = 0;      // priority frames forwarded ahead of deferred ones
  uint64_t deferred = 0;           // frames forwarded after the priority frames of their wake-up
  uint64_t overloadDrops = 0;      // DropReason::kOverload
  uint64_t egressBusyDrops = 0;    // DropReason::kEgressBusy
  uint64_t lookAheads = 0;         // looks for new frames between put-off ones
  uint64_t lookAheadFrames = 0;    // frames those looks read
  uint64_t moderations = 0;        // times a port began to be moderated
  uint64_t moderatedReads = 0;     // timed reads of moderated ports
  uint64_t moderatedFrames = 0;    // frames those reads judged
};

class ForwardLoop {
 public:
  explicit ForwardLoop(VlanSwitch& sw, size_t burst = 256, LoadOptions load = {});
  ~ForwardLoop();
  ForwardLoop(const ForwardLoop&) = delete;
  ForwardLoop& operator=(const ForwardLoop&) = delete;

  // `source` delivers frames with Frame::port == port and is readable on `fd`.
  // False (error() says why) if the fd cannot be watched.
  [[nodiscard]] bool addSource(PortIndex port, io::FrameSource& source, int fd, std::string name);
  // Flushed after every burst; frames it drops are counted against `port`
  // (kNoPort: counted nowhere, as before).
  void addBatchingSink(io::BatchingSink& sink, PortIndex port = kNoPort) {
    batching_.push_back({&sink, port, sink.droppedFrames()});
  }

  int runOnce(int timeoutMs);
  int epollFd() const { return epoll_; }
  const std::string& error() const { return error_; }
  uint64_t frames() const { return frames_; }
  const LoadCounters& loadCounters() const { return load_; }
  const LoadOptions& loadOptions() const { return options_; }
  // Whether `port` is read on a timer now (see "Moderated ports").
  bool moderated(PortIndex port) const;

  // One frame as runOnce() handles it (the wake-up's clock reading `nowNs`);
  // then finishBurst() forwards what was deferred. Public for the tests and
  // bench/frame_cost.cc, which drive the loop without sockets.
  void handle(const io::Frame& frame, int64_t nowNs);
  void finishBurst();

 private:
  struct Source {
    PortIndex port;
    io::FrameSource* source;
    int fd;
    std::string name;
    bool active;
    bool moderated = false;
    int64_t nextReadNs = 0;  // moderated: its next timed read
    // Its switch counters at the start of the moderation window.
    uint64_t judgedSeen = 0, policyDropsSeen = 0;
  };
  struct Sink {
    io::BatchingSink* sink;
    PortIndex port;
    uint64_t droppedSeen;
  };
  struct Deferred {
    uint32_t length;
    uint32_t wireLength;
    int64_t timestampNs;
    PortIndex port;
  };
  void flushSinks();
  // Reads at most `max` frames of `s` through handle() (a moderated port's
  // straight through the switch); a failed source is taken out of the loop
  // (sourceFailed_, error_).
  size_t readPort(Source& s, size_t max, int64_t nowNs);
  // The moderated ports whose time has come; then, once a window, which
  // access ports are to be moderated and which no longer.
  size_t readModerated(int64_t nowNs);
  void judgeModeration(int64_t nowNs);
  void setModerated(Source& s, bool on, int64_t nowNs);
  // How long epoll may wait: `timeoutMs`, or less when a moderated port is due.
  int64_t waitNs(int timeoutMs) const;
  // Until `s`'s timed read: 0 when due, or when the clock was set back.
  int64_t untilReadNs(const Source& s, int64_t nowNs) const;
  // Between put-off frames: reads what arrived meanwhile, at most what the
  // deferred area has room for, so that a priority frame goes out now.
  size_t lookAhead();
  // At the end of a wake-up that was behind: has the backlog shrunk over the
  // last catchUpWindowNs? If not, the loop is overloaded (LoadOptions).
  void judgeCatchUp();

  VlanSwitch& switch_;
  size_t burst_;
  LoadOptions options_;
  int epoll_ = -1;
  std::vector<Source> sources_;
  std::vector<Sink> batching_;
  std::string error_;
  uint64_t frames_ = 0;
  // The wake-up in progress: behind or not, and the frames put off.
  bool behind_ = false;
  bool overloaded_ = false;    // not catching up, or behind for overloadAfterNs: queueBudgetNs applies
  int64_t behindSinceNs_ = 0;  // the first of the wake-ups in a row that were behind; 0: not behind
  // The catch-up window in progress: when it began (0: none) and how long the
  // oldest frame had waited then, judged at the end of each wake-up that was
  // behind (behindAtNs_: its clock, oldestWaitNs_: its oldest frame's wait,
  // over all ports). notCatchingUp_ holds until a wake-up keeps up.
  int64_t behindAtNs_ = 0;
  int64_t lastBehindEndNs_ = 0;  // when the previous behind wake-up ended
  int64_t oldestWaitNs_ = 0;
  int64_t windowStartNs_ = 0;
  int64_t windowStartWaitNs_ = 0;
  bool notCatchingUp_ = false;
  bool sourceFailed_ = false;
  std::vector<uint8_t> deferredBytes_;  // deferredFrames x deferredSlotBytes
  std::vector<Deferred> deferred_;      // deferredFrames slots, a FIFO ring: head, count
  size_t deferredHead_ = 0;
  size_t deferredCount_ = 0;
  LoadCounters load_;
  int64_t moderationWindowEndNs_ = 0;
  size_t moderatedCount_ = 0;
};

}  // namespace portvakt::forward
