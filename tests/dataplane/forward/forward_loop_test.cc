// The forwarding loop under load (issue 18): in arrival order while it keeps
// up; when behind, the policy's priority frames first and stale bulk dropped
// unread, counted per port. Driven through ForwardLoop::handle/finishBurst with
// frames whose receive time says how long they waited, as libpcap stamps them.
#include "dataplane/forward/forward_loop.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "tests/dataplane/fingerprint/allocation_counter.h"
#include "tests/dataplane/forward/l2_frames.h"
#include "tests/dataplane/forward/ring_source.h"

namespace portvakt::forward {
namespace {

using testing::Bytes;
using testing::l2Frame;
using testing::mac;
using testing::RingSource;
using testing::Tag;

constexpr ZoneId kQuarantine = 0, kRegion = 1, kVoice = 2, kGuest = 3;
enum : PortIndex { kAcc0, kAcc1, kTrunk, kUpRegion, kUpVoice, kPortCount };
constexpr const char* kPc = "02:00:00:00:00:01";       // region, on acc0 behind the phone
constexpr const char* kPhone = "02:00:00:00:00:02";    // voice, on acc0
constexpr const char* kGuestPc = "02:00:00:00:00:03";  // guest, on acc1
constexpr const char* kServer = "02:00:00:00:01:00";   // behind the region uplink
constexpr const char* kPbx = "02:00:00:00:02:00";      // behind the voice uplink

constexpr int64_t kNow = 1'000'000'000'000;  // the wake-up's clock reading
constexpr int64_t kUs = 1000;

SwitchConfig config(tables::ZonePriority voice, tables::ZonePriority region, tables::ZonePriority guest) {
  SwitchConfig c;
  c.zoneVlans = {99, 10, 20, 30};
  c.zonePriorities = {tables::ZonePriority::kNone, region, voice, guest};
  auto port = [&](const char* name, PortRole role, std::vector<ZoneId> zones, ZoneId def) {
    c.ports.push_back(SwitchPortConfig{name, role, std::move(zones), def, 0, Mode::kEnforce});
  };
  port("acc0", PortRole::kAccess, {kQuarantine, kRegion, kVoice}, kQuarantine);
  port("acc1", PortRole::kAccess, {kQuarantine, kGuest}, kQuarantine);
  port("trunk", PortRole::kTrunk, {kRegion, kVoice, kGuest}, kNoZone);
  port("up-region", PortRole::kUplink, {kRegion}, kRegion);
  port("up-voice", PortRole::kUplink, {kVoice}, kVoice);
  return c;
}

// A batching sink that records what was sent, in order, and where each flush fell.
class RecordingSink final : public io::BatchingSink {
 public:
  bool send(const io::Frame& frame) override {
    log.push_back(std::to_string(frame.port) + ":" + std::to_string(frame.bytes.size() > 19 ? frame.bytes[19] : 0));
    return true;
  }
  bool flush() override {
    if (!log.empty() && log.back() != "|") log.push_back("|");
    return true;
  }
  uint64_t droppedFrames() const override { return dropped; }
  std::string_view error() const override { return {}; }
  std::vector<std::string> log;
  uint64_t dropped = 0;
};

// An untagged IPv4 frame with the TOS byte `tos` (DSCP << 2) and the IP
// identification `id` (its low byte, frame byte 19, tells frames apart).
Bytes ipv4Frame(const char* dst, const char* src, uint8_t tos, uint8_t id, std::vector<Tag> tags = {}) {
  Bytes b = l2Frame(dst, src, tags, 0, 0, 0x0800);
  Bytes ip(46, 0);
  ip[0] = 0x45;
  ip[1] = tos;
  ip[3] = 46;
  ip[5] = id;
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

class UnderLoad : public ::testing::Test {
 protected:
  void SetUp() override { build(tables::ZonePriority::kVoice, tables::ZonePriority::kNone); }
  void build(tables::ZonePriority voice, tables::ZonePriority region) {
    loop.reset();
    sw.reset();
    decider = StaticMacDecider();
    decider.assign(mac(kPc), kRegion);
    decider.assign(mac(kPhone), kVoice);
    decider.assign(mac(kGuestPc), kGuest);
    sw = std::make_unique<VlanSwitch>(config(voice, region, tables::ZonePriority::kNone), decider);
    for (PortIndex p = 0; p < kPortCount; ++p) sw->attach(p, &sink);
    LoadOptions options;
    options.clockNs = [] { return kNow; };
    options.queueBudgetNs = 2'000'000;  // the mechanism, with a budget the frames below exceed,
    options.overloadAfterNs = 0;        // and overloaded as soon as behind
    loop = std::make_unique<ForwardLoop>(*sw, 256, options);
    loop->addBatchingSink(sink, kUpRegion);
    // Every device and server sends once while the loop keeps up: learned,
    // and the phone's zone is known to the switch.
    for (const char* server : {kServer, kPbx}) {
      const PortIndex up = std::string(server) == kServer ? kUpRegion : kUpVoice;
      send(ipv4Frame("ff:ff:ff:ff:ff:ff", server, 0, 0), up, 0);
    }
    send(ipv4Frame(kServer, kPc, 0, 0), kAcc0, 0);
    send(ipv4Frame(kPbx, kPhone, 0, 0), kAcc0, 0);
    send(ipv4Frame("ff:ff:ff:ff:ff:ff", kGuestPc, 0, 0), kAcc1, 0);
    loop->finishBurst();
    sink.log.clear();
  }
  // One frame read from `port` that waited `waitedNs` in the ring.
  void send(const Bytes& bytes, PortIndex port, int64_t waitedNs) {
    frames.push_back(bytes);
    io::Frame f;
    f.bytes = frames.back();
    f.wireLength = static_cast<uint32_t>(bytes.size());
    f.timestampNs = kNow - waitedNs;
    f.port = port;
    loop->handle(f, kNow);
  }
  std::string log() const {
    std::string s;
    for (const std::string& e : sink.log) s += (s.empty() ? "" : " ") + e;
    return s;
  }

  StaticMacDecider decider;
  RecordingSink sink;
  std::unique_ptr<VlanSwitch> sw;
  std::unique_ptr<ForwardLoop> loop;
  std::deque<Bytes> frames;
};

// Egress entries are "port:IP id"; "|" is a flush (a sendmmsg per port).
TEST_F(UnderLoad, InArrivalOrderWhileItKeepsUp) {
  for (uint8_t i = 1; i <= 3; ++i) {
    send(ipv4Frame(kServer, kPc, 0, i), kAcc0, 100 * kUs);
    send(ipv4Frame(kPbx, kPhone, 0, static_cast<uint8_t>(10 + i)), kAcc0, 100 * kUs);
  }
  loop->finishBurst();
  EXPECT_EQ(log(), "3:1 4:11 3:2 4:12 3:3 4:13 |");
  EXPECT_EQ(loop->loadCounters().behindWakeups, 0u);
  EXPECT_EQ(sw->drops().get(DropReason::kOverload), 0u);
}

// The PC behind the phone copies a file; the loop is behind: the phone's
// frames leave first (and are flushed before the PC's are looked at), the
// PC's follow in their order; nothing is lost while under the budget.
TEST_F(UnderLoad, VoiceFirstWhenBehind) {
  std::vector<std::pair<std::string, uint8_t>> order;
  for (uint8_t i = 1; i <= 3; ++i) {
    send(ipv4Frame(kServer, kPc, 0, i), kAcc0, 500 * kUs);
    send(ipv4Frame(kPbx, kPhone, 0, static_cast<uint8_t>(10 + i)), kAcc0, 500 * kUs);
  }
  loop->finishBurst();
  // Ports: 4 = up-voice (the phone's), 3 = up-region (the PC's); flush after the voice.
  EXPECT_EQ(log(), "4:11 4:12 4:13 | 3:1 3:2 3:3 |");
  EXPECT_EQ(loop->loadCounters().priorityFirst, 3u);
  EXPECT_EQ(loop->loadCounters().deferred, 3u);
  EXPECT_EQ(sw->portCounters(kUpVoice).txFrames, 4u);  // with the learning frame's flood
  EXPECT_EQ(sw->drops().get(DropReason::kOverload), 0u);
}

// Frames older than the budget: bulk is dropped unread and counted on its
// port and reason; voice of the same age is still forwarded.
TEST_F(UnderLoad, StaleBulkIsDroppedAndCountedPerPortVoiceIsNot) {
  const uint64_t rxDropped = sw->portCounters(kAcc0).rxDropped;
  for (uint8_t i = 1; i <= 4; ++i) {
    send(ipv4Frame(kServer, kPc, 0, i), kAcc0, 3000 * kUs);
    send(ipv4Frame(kPbx, kPhone, 0, i), kAcc0, 3000 * kUs);
  }
  send(ipv4Frame(kServer, kGuestPc, 0, 9), kAcc1, 3000 * kUs);
  loop->finishBurst();
  EXPECT_EQ(log(), "4:1 4:2 4:3 4:4 |");
  EXPECT_EQ(sw->drops().get(DropReason::kOverload), 5u);
  EXPECT_EQ(sw->portCounters(kAcc0).rxOverload, 4u);
  EXPECT_EQ(sw->portCounters(kAcc0).rxDropped, rxDropped + 4);
  EXPECT_EQ(sw->portCounters(kAcc1).rxOverload, 1u);
  EXPECT_EQ(loop->loadCounters().overloadDrops, 5u);
}

// Only the policy decides: DSCP EF from a device in a zone without priority
// changes nothing; in a `dscp` zone EF and CS3 go first, unmarked frames not.
TEST_F(UnderLoad, DscpCountsOnlyWhereThePolicySaysSo) {
  auto at = [&](const char* src, PortIndex port, uint8_t dscp) {
    Bytes b = ipv4Frame(kServer, src, static_cast<uint8_t>(dscp << 2), 1);
    io::Frame f;
    f.bytes = b;
    f.wireLength = static_cast<uint32_t>(b.size());
    f.port = port;
    return sw->priorityOf(f);
  };
  EXPECT_FALSE(at(kPc, kAcc0, 46)) << "region has no priority: its EF marking is the device's own wish";
  EXPECT_FALSE(at(kGuestPc, kAcc1, 46));
  EXPECT_TRUE(at(kPhone, kAcc0, 0)) << "voice: every frame";
  EXPECT_FALSE(at("02:00:00:00:00:77", kAcc0, 46)) << "a device never decided has no priority";
  build(tables::ZonePriority::kVoice, tables::ZonePriority::kDscp);
  EXPECT_TRUE(at(kPc, kAcc0, 46)) << "EF in a dscp zone";
  EXPECT_TRUE(at(kPc, kAcc0, 24)) << "CS3 in a dscp zone";
  EXPECT_FALSE(at(kPc, kAcc0, 0));
  EXPECT_FALSE(at(kPc, kAcc0, 34)) << "AF41 (video) is not voice";
  EXPECT_FALSE(at(kPhone, kAcc1, 0)) << "the phone's MAC on another jack";
}

TEST_F(UnderLoad, UplinkAndTrunkFramesHaveTheirZonesPriority) {
  auto at = [&](PortIndex port, std::vector<Tag> tags) {
    Bytes b = ipv4Frame(kPhone, kPbx, 0, 1, tags);
    io::Frame f;
    f.bytes = b;
    f.wireLength = static_cast<uint32_t>(b.size());
    f.port = port;
    return sw->priorityOf(f);
  };
  EXPECT_TRUE(at(kUpVoice, {}));
  EXPECT_FALSE(at(kUpRegion, {}));
  EXPECT_TRUE(at(kTrunk, {Tag{0x8100, 20}}));
  EXPECT_FALSE(at(kTrunk, {Tag{0x8100, 10}}));
}

// A device the decider moves out of the voice zone loses its priority with
// its next decided frame.
TEST_F(UnderLoad, LeavingTheVoiceZoneEndsPriority) {
  Bytes b = ipv4Frame(kPbx, kPhone, 0, 1);
  io::Frame f;
  f.bytes = b;
  f.wireLength = static_cast<uint32_t>(b.size());
  f.port = kAcc0;
  EXPECT_TRUE(sw->priorityOf(f));
  decider.assign(mac(kPhone), kRegion);
  (void)sw->process(f);
  EXPECT_FALSE(sw->priorityOf(f));
}

TEST_F(UnderLoad, FramesTheSinkDropsAreCountedAsEgressBusyOnItsPort) {
  send(ipv4Frame(kServer, kPc, 0, 1), kAcc0, 0);
  sink.dropped = 7;
  loop->finishBurst();
  EXPECT_EQ(sw->drops().get(DropReason::kEgressBusy), 7u);
  EXPECT_EQ(sw->portCounters(kUpRegion).txBusy, 7u);
  loop->finishBurst();
  EXPECT_EQ(sw->drops().get(DropReason::kEgressBusy), 7u) << "counted once";
}

TEST_F(UnderLoad, BehindAllocatesNothingPerFrame) {
  std::vector<io::Frame> burst;
  for (uint8_t i = 0; i < 200; ++i) {
    frames.push_back(ipv4Frame(i % 3 ? kServer : kPbx, i % 3 ? kPc : kPhone, 0, i));
    io::Frame f;
    f.bytes = frames.back();
    f.wireLength = static_cast<uint32_t>(frames.back().size());
    f.timestampNs = kNow - (i % 2 ? 500 : 3000) * kUs;
    f.port = kAcc0;
    burst.push_back(f);
  }
  sink.log.reserve(4096);
  const uint64_t before = fingerprint::testing::allocationCount();
  for (const io::Frame& f : burst) loop->handle(f, kNow);
  loop->finishBurst();
  EXPECT_EQ(fingerprint::testing::allocationCount() - before, 0u) << "the recording sink's strings are short (SSO)";
  EXPECT_GT(loop->loadCounters().overloadDrops, 0u);
  EXPECT_GT(loop->loadCounters().deferred, 0u);
}

// Far behind, the loop has 200 of the PC's frames put off; a voice frame
// arrives in the phone's ring meanwhile. It goes out after at most 64 of them
// (flushed at once), not after all 200 and the next wake-up.
TEST_F(UnderLoad, AVoiceFrameArrivingWhileTheBacklogIsForwardedGoesOutInBetween) {
  RingSource ring;
  ASSERT_TRUE(loop->addSource(kAcc0, ring, ring.fd, "acc0"));
  for (int i = 1; i <= 200; ++i) send(ipv4Frame(kServer, kPc, 0, static_cast<uint8_t>(i)), kAcc0, 500 * kUs);
  ring.add(ipv4Frame(kPbx, kPhone, 0, 7), kNow - 10 * kUs);
  loop->finishBurst();
  std::string expected;
  for (int i = 1; i <= 64; ++i) expected += "3:" + std::to_string(i) + " ";
  expected += "4:7 | ";
  for (int i = 65; i <= 200; ++i) expected += "3:" + std::to_string(i) + " ";
  expected += "|";
  EXPECT_EQ(log(), expected);
  EXPECT_TRUE(ring.queued.empty());
  EXPECT_EQ(loop->loadCounters().priorityFirst, 1u);
  EXPECT_EQ(loop->loadCounters().deferred, 200u);
  EXPECT_GE(loop->loadCounters().lookAheads, 1u);
  EXPECT_EQ(loop->loadCounters().lookAheadFrames, 1u);
  EXPECT_EQ(sw->drops().get(DropReason::kOverload), 0u);
}

// What the look-ahead reads and is not priority joins the put-off frames in
// arrival order; it reads no more than they have room for, so nothing is
// dropped for it; without a priority zone in the policy it does not look.
TEST_F(UnderLoad, TheLookAheadDropsNothingAndOnlyLooksWhenThePolicyHasPriority) {
  LoadOptions options;
  options.clockNs = [] { return kNow; };
  options.deferredFrames = 100;
  loop = std::make_unique<ForwardLoop>(*sw, 256, options);
  loop->addBatchingSink(sink, kUpRegion);
  RingSource ring;
  ASSERT_TRUE(loop->addSource(kAcc1, ring, ring.fd, "acc1"));
  for (int i = 1; i <= 100; ++i) send(ipv4Frame(kServer, kPc, 0, static_cast<uint8_t>(i)), kAcc0, 500 * kUs);
  for (int i = 1; i <= 150; ++i) ring.add(ipv4Frame(kServer, kGuestPc, 0, static_cast<uint8_t>(i)), kNow);
  loop->finishBurst();
  EXPECT_EQ(sw->drops().get(DropReason::kOverload), 0u) << "the full area was never overfilled";
  EXPECT_EQ(loop->loadCounters().deferred, 100u + loop->loadCounters().lookAheadFrames);
  EXPECT_EQ(ring.queued.size(), 150u - loop->loadCounters().lookAheadFrames) << "the rest waits in its ring";
  EXPECT_GT(loop->loadCounters().lookAheadFrames, 0u);
  EXPECT_EQ(log().substr(0, 5), "3:1 3") << "the put-off frames first, in their order";

  build(tables::ZonePriority::kNone, tables::ZonePriority::kNone);  // no priority zone at all
  RingSource quiet;
  ASSERT_TRUE(loop->addSource(kAcc0, quiet, quiet.fd, "acc0"));
  for (int i = 1; i <= 200; ++i) send(ipv4Frame(kServer, kPc, 0, static_cast<uint8_t>(i)), kAcc0, 500 * kUs);
  quiet.add(ipv4Frame(kServer, kPc, 0, 201), kNow);
  loop->finishBurst();
  EXPECT_EQ(loop->loadCounters().lookAheads, 0u);
  EXPECT_EQ(quiet.queued.size(), 1u);
}

// The queue budget's steps, driven frame by frame with the clock the test
// gives: handle() gets each wake-up's time, and the loop's own clock (read
// when a wake-up ends) says the wake-up took 0.9 ms.
class OverloadBudget : public ::testing::Test {
 protected:
  static int64_t wakeUpEndNs;

  OverloadBudget()
      : sw(config(tables::ZonePriority::kVoice, tables::ZonePriority::kNone, tables::ZonePriority::kNone), decider) {
    decider.assign(mac(kPc), kRegion);
    for (PortIndex p = 0; p < kPortCount; ++p) sw.attach(p, &sink);
    options.queueBudgetNs = 4'000'000;
    options.overloadAfterNs = 50'000'000;
    options.catchUpWindowNs = 5'000'000;
    options.stallGapNs = 2'000'000;
    options.maxWaitNs = 100'000'000;
    options.clockNs = [] { return wakeUpEndNs; };
    loop = std::make_unique<ForwardLoop>(sw, 256, options);
  }

  // One wake-up at `nowNs`: first `fresh` frames from acc1 (its ring is
  // nearly empty), then `frames` from acc0 whose oldest waited `waitedNs`.
  void wakeUp(int64_t nowNs, int64_t waitedNs, int frames, int fresh = 0) {
    auto one = [&](PortIndex port, int64_t waited, int i) {
      kept.push_back(ipv4Frame(kServer, kPc, 0, static_cast<uint8_t>(i)));
      io::Frame f;
      f.bytes = kept.back();
      f.wireLength = static_cast<uint32_t>(kept.back().size());
      f.timestampNs = nowNs - waited;
      f.port = port;
      loop->handle(f, nowNs);
    };
    for (int i = 0; i < fresh; ++i) one(kAcc1, 300'000, i);
    for (int i = 0; i < frames; ++i) one(kAcc0, waitedNs - i * 10'000, i);
    wakeUpEndNs = nowNs + 900'000;
    loop->finishBurst();
  }
  uint64_t overloadDrops() const { return sw.drops().get(DropReason::kOverload); }

  StaticMacDecider decider;
  RecordingSink sink;
  VlanSwitch sw;
  LoadOptions options;
  std::unique_ptr<ForwardLoop> loop;
  std::deque<Bytes> kept;
};
int64_t OverloadBudget::wakeUpEndNs = 0;

// A stall the loop recovers from (a push, a busy host) drops nothing under
// the budget; only when it has been behind in every wake-up for
// overloadAfterNs does the budget apply, and one wake-up that keeps up ends it.
TEST_F(OverloadBudget, AStallDropsNothingSustainedOverloadDropsPastTheBudget) {
  wakeUp(kNow, 0, 1);                       // learned
  wakeUp(kNow + 1'000'000, 20'000'000, 8);  // a 20 ms stall: behind, not overloaded
  EXPECT_EQ(overloadDrops(), 0u);
  wakeUp(kNow + 2'000'000, 0, 1);  // caught up
  // Behind in every wake-up for 60 ms, the backlog shrinking too slowly to
  // catch up (6.0, 5.9, ... 5.4 ms): from 50 ms on, frames over 4 ms are stale.
  for (int64_t t = 0; t <= 60'000'000; t += 10'000'000) wakeUp(kNow + 10'000'000 + t, 6'000'000 - t / 100, 4);
  EXPECT_EQ(overloadDrops(), 8u) << "the wake-ups at 50 and 60 ms";
  EXPECT_EQ(loop->loadCounters().overloadedWakeups, 2u);
  EXPECT_EQ(loop->loadCounters().notCatchingUp, 0u);
  wakeUp(kNow + 80'000'000, 0, 1);          // keeps up once
  wakeUp(kNow + 90'000'000, 5'000'000, 4);  // behind again: a new stall
  EXPECT_EQ(overloadDrops(), 8u);
  wakeUp(kNow + 200'000'000, 150'000'000, 1);  // past maxWaitNs: dropped even in a stall
  EXPECT_EQ(overloadDrops(), 9u);
}

// A backlog that grows is overload from the first catch-up window on (5 ms),
// not after overloadAfterNs (50 ms): the ring would fill to its depth
// meanwhile. One that shrinks, however long its oldest frame waited (a
// stall), is not.
TEST_F(OverloadBudget, ABacklogThatDoesNotShrinkIsOverloadAfterOneCatchUpWindow) {
  constexpr int64_t kMs = 1'000'000;
  wakeUp(kNow, 0, 1);  // learned
  // A 30 ms stall, caught up over 10 wake-ups a millisecond apart: nothing dropped.
  for (int64_t i = 0; i < 10; ++i) wakeUp(kNow + (1 + i) * kMs, (30 - 3 * i) * kMs, 4);
  EXPECT_EQ(overloadDrops(), 0u);
  EXPECT_EQ(loop->loadCounters().notCatchingUp, 0u);
  wakeUp(kNow + 20 * kMs, 0, 1);  // caught up
  // The same stall while another port's frames, read first in every
  // wake-up, wait only 0.3 ms: the backlog is judged by its oldest frame,
  // whichever port it is on, so this is no overload either.
  for (int64_t i = 0; i < 10; ++i) wakeUp(kNow + (21 + i) * kMs, (30 - 3 * i) * kMs, 4, i % 2 ? 0 : 2);
  EXPECT_EQ(overloadDrops(), 0u);
  EXPECT_EQ(loop->loadCounters().notCatchingUp, 0u);
  wakeUp(kNow + 40 * kMs, 0, 1);  // caught up
  // Overload: the oldest frame waits 1 ms longer at every wake-up. The
  // window that starts with the first (1 ms) ends with the sixth (6 ms):
  // from the seventh on, frames older than the 4 ms budget are dropped.
  for (int64_t i = 0; i < 8; ++i) wakeUp(kNow + (50 + i) * kMs, (1 + i) * kMs, 4);
  EXPECT_EQ(loop->loadCounters().notCatchingUp, 1u);
  EXPECT_EQ(loop->loadCounters().overloadedWakeups, 2u) << "the wake-ups 6 and 7 ms after it fell behind";
  EXPECT_EQ(overloadDrops(), 8u) << "their frames waited 7 and 8 ms, over the 4 ms budget";
  wakeUp(kNow + 60 * kMs, 0, 1);        // keeps up once: overload ends
  wakeUp(kNow + 61 * kMs, 6 * kMs, 4);  // behind again: a new window, not yet overloaded
  EXPECT_EQ(overloadDrops(), 8u);
  wakeUp(kNow + 62 * kMs, 5 * kMs, 4);
  // The loop stalls for 6 ms between two wake-ups (stallGapNs is 2 ms): the
  // oldest frame waited longer after the stall than at the window's start,
  // but through the stall, and the backlog shrinks after it: no overload.
  for (int64_t i = 0; i < 8; ++i) wakeUp(kNow + (69 + i) * kMs, (11 - i) * kMs, 4);
  EXPECT_EQ(loop->loadCounters().notCatchingUp, 1u);
  EXPECT_EQ(overloadDrops(), 8u);
}

}  // namespace
}  // namespace portvakt::forward
