// Moderated ports (issue 13): an access port whose frames the policy drops
// stops waking the forwarding loop and is read on a timer instead, every
// frame still judged and counted; uplinks, and ports whose traffic is mostly
// forwarded, are never moderated; it ends when the flood does. Driven through
// ForwardLoop::runOnce with real epoll and eventfd-signalled rings, and a
// clock the test sets.
#include <gtest/gtest.h>

#include <memory>

#include "dataplane/forward/forward_loop.h"
#include "tests/dataplane/forward/l2_frames.h"
#include "tests/dataplane/forward/ring_source.h"

namespace portvakt::forward {
namespace {

using testing::Bytes;
using testing::l2Frame;
using testing::mac;
using testing::RingSource;

constexpr ZoneId kQuarantine = 0, kRegion = 1;
enum : PortIndex { kJack, kAttackerJack, kUplink, kPortCount };
constexpr const char* kPc = "02:00:00:00:00:01";      // region, on kJack
constexpr const char* kServer = "02:00:00:00:01:00";  // behind the uplink
// A multicast source MAC: every frame of it is dropped (DropReason::kBadSourceMac).
constexpr const char* kAttacker = "03:00:00:00:00:66";
constexpr int64_t kMs = 1'000'000;

class CountingSink final : public io::BatchingSink {
 public:
  bool send(const io::Frame&) override {
    ++sent;
    return true;
  }
  bool flush() override { return true; }
  uint64_t droppedFrames() const override { return 0; }
  std::string_view error() const override { return {}; }
  uint64_t sent = 0;
};

class PortModeration : public ::testing::Test {
 protected:
  static int64_t clockNs;

  PortModeration() : sw(config(), decider) {
    decider.assign(mac(kPc), kRegion);
    for (PortIndex p = 0; p < kPortCount; ++p) sw.attach(p, &sink);
    clockNs = 1'000'000 * kMs;
    LoadOptions options;
    options.clockNs = [] { return clockNs; };
    loop = std::make_unique<ForwardLoop>(sw, 256, options);
    loop->addBatchingSink(sink, kUplink);
    EXPECT_TRUE(loop->addSource(kJack, rings[kJack], rings[kJack].fd, "jack"));
    EXPECT_TRUE(loop->addSource(kAttackerJack, rings[kAttackerJack], rings[kAttackerJack].fd, "attacker-jack"));
    EXPECT_TRUE(loop->addSource(kUplink, rings[kUplink], rings[kUplink].fd, "uplink"));
    rings[kUplink].add(l2Frame("ff:ff:ff:ff:ff:ff", kServer), clockNs);  // the server is learned
    run();
    sink.sent = 0;
  }

  static SwitchConfig config() {
    SwitchConfig c;
    c.zoneVlans = {99, 10};
    c.zonePriorities = {tables::ZonePriority::kNone, tables::ZonePriority::kNone};
    c.ports.push_back(
        SwitchPortConfig{"jack", PortRole::kAccess, {kQuarantine, kRegion}, kQuarantine, 0, Mode::kEnforce});
    c.ports.push_back(
        SwitchPortConfig{"attacker-jack", PortRole::kAccess, {kQuarantine, kRegion}, kQuarantine, 0, Mode::kEnforce});
    c.ports.push_back(SwitchPortConfig{"uplink", PortRole::kUplink, {kRegion}, kRegion, 0, Mode::kEnforce});
    return c;
  }

  // `count` frames into `port`'s ring, received now.
  void flood(PortIndex port, const char* src, int count, const char* dst = kServer) {
    for (int i = 0; i < count; ++i) rings[port].add(l2Frame(dst, src, {}, static_cast<uint8_t>(i)), clockNs);
  }
  // One wake-up that does not wait: what epoll says is ready, and the
  // moderated ports that are due.
  int run() { return loop->runOnce(0); }
  // Every frame of `frames` dropped on the attacker's jack in one window,
  // then the window's end: the jack is moderated from then on.
  void moderateTheAttackerJack(int frames = 150) {
    flood(kAttackerJack, kAttacker, frames);
    run();
    clockNs += 100 * kMs;
    run();
    ASSERT_TRUE(loop->moderated(kAttackerJack));
  }
  uint64_t attackerDrops() const { return sw.drops().get(DropReason::kBadSourceMac); }

  StaticMacDecider decider;
  CountingSink sink;
  VlanSwitch sw;
  RingSource rings[kPortCount];
  std::unique_ptr<ForwardLoop> loop;
};
int64_t PortModeration::clockNs = 0;

// Moderated, the jack's frames wait in its ring until its timed read, which
// judges every one of them; the PC's jack is read at once meanwhile.
TEST_F(PortModeration, AJackWhoseFramesAreDroppedIsReadOnATimerAndEveryFrameIsStillJudged) {
  flood(kAttackerJack, kAttacker, 150);
  EXPECT_EQ(run(), 150);
  EXPECT_FALSE(loop->moderated(kAttackerJack)) << "judged when the window ends, not before";
  clockNs += 100 * kMs;
  run();
  EXPECT_TRUE(loop->moderated(kAttackerJack));
  EXPECT_EQ(loop->loadCounters().moderations, 1u);

  flood(kAttackerJack, kAttacker, 50);
  flood(kJack, kPc, 3);
  clockNs += kMs;  // before its 2 ms read
  EXPECT_EQ(run(), 3) << "the PC's frames, not the attacker's";
  EXPECT_EQ(sink.sent, 3u);
  EXPECT_EQ(rings[kAttackerJack].queued.size(), 50u);

  clockNs += kMs;  // due
  EXPECT_EQ(run(), 50);
  EXPECT_TRUE(rings[kAttackerJack].queued.empty());
  EXPECT_EQ(attackerDrops(), 200u) << "every frame of the flood was judged and counted";
  EXPECT_EQ(loop->loadCounters().moderatedReads, 1u);
  EXPECT_EQ(loop->loadCounters().moderatedFrames, 50u);
}

// A timed read takes at most moderatedBurst frames; the rest waits for the
// next one (or is dropped by the kernel when the ring is full).
TEST_F(PortModeration, ATimedReadTakesAtMostItsBurst) {
  moderateTheAttackerJack();
  flood(kAttackerJack, kAttacker, 600);
  clockNs += 2 * kMs;
  EXPECT_EQ(run(), 512);
  EXPECT_EQ(rings[kAttackerJack].queued.size(), 88u);
  clockNs += 2 * kMs;
  EXPECT_EQ(run(), 88);
}

// Its frames waited for the timer by design: they do not put the loop
// behind, so the PC's frames are neither put off nor dropped for them.
TEST_F(PortModeration, AModeratedJacksWaitDoesNotPutTheLoopBehind) {
  moderateTheAttackerJack();
  flood(kAttackerJack, kAttacker, 100);
  clockNs += 2 * kMs;  // they waited 2 ms, over behindNs (0.25 ms)
  flood(kJack, kPc, 5);
  EXPECT_EQ(run(), 105);
  EXPECT_EQ(loop->loadCounters().behindWakeups, 0u);
  EXPECT_EQ(loop->loadCounters().deferred, 0u);
  EXPECT_EQ(sink.sent, 5u);
}

// A window with fewer than half the drops that began it ends it: the jack
// wakes the loop again and its frames are read at once.
TEST_F(PortModeration, ItEndsWhenTheFloodDoes) {
  moderateTheAttackerJack();
  for (int ms = 2; ms <= 100; ms += 2) {  // 25 frames over the next window, under half of 100
    if (ms % 4 == 0) flood(kAttackerJack, kAttacker, 1);
    clockNs += 2 * kMs;
    run();
  }
  EXPECT_FALSE(loop->moderated(kAttackerJack));
  flood(kAttackerJack, kAttacker, 1);
  EXPECT_EQ(run(), 1) << "read when it arrives, not at a timer";
}

// A PC that starts to send on a moderated jack (plugged in where a
// quarantined device chattered) is woken for again after the first timed
// read that lets its frames through, not held to the read's burst until the
// window ends.
TEST_F(PortModeration, ATimedReadThatLetsFramesThroughEndsIt) {
  moderateTheAttackerJack();
  flood(kAttackerJack, kPc, 300);
  clockNs += 2 * kMs;
  EXPECT_EQ(run(), 300);
  EXPECT_EQ(sink.sent, 300u);
  EXPECT_FALSE(loop->moderated(kAttackerJack));
  flood(kAttackerJack, kPc, 600);
  EXPECT_EQ(run(), 256) << "read when they arrive, a burst per wake-up as any port";
}

// Only access ports, only when nearly all they send is dropped, and only
// from one window's drops: an uplink's dropped frames, a PC whose traffic is
// mostly forwarded, or drops spread over a long idle time leave them alone.
TEST_F(PortModeration, UplinksMostlyForwardedJacksAndOldDropsAreNotModerated) {
  flood(kUplink, kAttacker, 200);
  flood(kJack, kPc, 150);
  flood(kJack, kAttacker, 50);  // 25 % of the jack's frames dropped
  run();
  run();
  const uint64_t uplinkDrops = sw.portCounters(kUplink).rxDropped;
  EXPECT_GE(uplinkDrops, 100u) << "the uplink's frames must be dropped for this case to mean anything";
  clockNs += 100 * kMs;
  run();
  EXPECT_FALSE(loop->moderated(kUplink));
  EXPECT_FALSE(loop->moderated(kJack));

  flood(kAttackerJack, kAttacker, 150);
  run();
  clockNs += 10'000 * kMs;  // the loop slept for 10 s: that window is not judged
  run();
  EXPECT_FALSE(loop->moderated(kAttackerJack));
  EXPECT_EQ(loop->loadCounters().moderations, 0u);
}

// A moderated port whose read fails leaves the loop like any port (the
// error names it, its switch port goes down) and is no longer timed.
TEST_F(PortModeration, AModeratedPortThatFailsLeavesTheLoop) {
  moderateTheAttackerJack();
  rings[kAttackerJack].fail();
  clockNs += 2 * kMs;
  EXPECT_EQ(run(), -1);
  EXPECT_EQ(loop->error(), "the ring failed");
  EXPECT_FALSE(loop->moderated(kAttackerJack));
  EXPECT_FALSE(sw.portUp(kAttackerJack));
  flood(kJack, kPc, 2);
  EXPECT_EQ(run(), 2) << "the others go on";
}

// The loop's clock is the wall clock (frames carry CLOCK_REALTIME): set back
// by an hour, a moderated port is still read at its interval, not in an
// hour, and the next window is judged on its own drops.
TEST_F(PortModeration, ASetBackClockDelaysNoTimedReadAndNoWindow) {
  moderateTheAttackerJack();
  clockNs -= 3'600'000 * kMs;
  flood(kAttackerJack, kAttacker, 10);
  EXPECT_EQ(run(), 10) << "due at once: its next read was an hour ahead of the clock";
  clockNs += kMs;
  flood(kAttackerJack, kAttacker, 10);
  EXPECT_EQ(run(), 0) << "then every 2 ms again";
  clockNs += kMs;
  EXPECT_EQ(run(), 10);
  for (int i = 0; i < 60; ++i) {  // 120 ms with 30 frames in all: under half of 100
    if (i % 2 == 0) flood(kAttackerJack, kAttacker, 1);
    clockNs += 2 * kMs;
    run();
  }
  EXPECT_FALSE(loop->moderated(kAttackerJack)) << "the windows go on after the step";
}

// moderateAfterDrops 0 turns it off.
TEST_F(PortModeration, OffWhenItsThresholdIsZero) {
  LoadOptions options;
  options.clockNs = [] { return clockNs; };
  options.moderateAfterDrops = 0;
  loop = std::make_unique<ForwardLoop>(sw, 256, options);
  ASSERT_TRUE(loop->addSource(kAttackerJack, rings[kAttackerJack], rings[kAttackerJack].fd, "attacker-jack"));
  flood(kAttackerJack, kAttacker, 1000);
  for (int i = 0; i < 4; ++i) run();
  clockNs += 100 * kMs;
  run();
  clockNs += 100 * kMs;
  run();
  EXPECT_FALSE(loop->moderated(kAttackerJack));
}

}  // namespace
}  // namespace portvakt::forward
