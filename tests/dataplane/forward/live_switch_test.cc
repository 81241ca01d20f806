// The switch on real veths in a network namespace: hosts in another
// namespace send with raw sockets; what each host receives is captured and
// checked byte by byte. Needs root (skipped otherwise, failed under CI=true).

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "dataplane/forward/forward_loop.h"
#include "dataplane/forward/vlan_switch.h"
#include "dataplane/io/live_port.h"
#include "tests/dataplane/forward/l2_frames.h"
#include "tests/support/netns_lab.h"

namespace portvakt::forward {
namespace {

using portvakt::testing::captureTestFrames;
using portvakt::testing::NetnsLab;
using portvakt::testing::NetnsScope;
using portvakt::testing::RawSender;
using testing::Bytes;
using testing::l2Frame;
using testing::mac;

constexpr ZoneId kRegion = 0, kVoice = 1;
constexpr PortIndex kPcPort = 0, kPhonePort = 1, kTrunk = 2, kUplink = 3, kPorts = 4;
constexpr const char* kPc = "02:00:00:00:00:01";
constexpr const char* kPhone = "02:00:00:00:00:02";
constexpr const char* kPbx = "02:00:00:00:02:00";
constexpr const char* kBroadcast = "ff:ff:ff:ff:ff:ff";

SwitchConfig labConfig() {
  SwitchConfig c;
  c.zoneVlans = {10, 20};
  c.ports.push_back({"p0", PortRole::kAccess, {kRegion, kVoice}, kRegion, 4, Mode::kEnforce});
  c.ports.push_back({"p1", PortRole::kAccess, {kVoice}, kVoice, 4, Mode::kEnforce});
  c.ports.push_back({"p2", PortRole::kTrunk, {kRegion, kVoice}, kNoZone, 0, Mode::kEnforce});
  c.ports.push_back({"p3", PortRole::kUplink, {kRegion}, kRegion, 0, Mode::kEnforce});
  return c;
}

class LiveSwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PORTVAKT_REQUIRE_ROOT();
    lab_.emplace();
    swNs_ = lab_->addNamespace("sw");
    hostNs_ = lab_->addNamespace("hosts");
    ASSERT_FALSE(swNs_.empty());
    ASSERT_FALSE(hostNs_.empty());
    for (int i = 0; i < kPorts; ++i)
      ASSERT_TRUE(lab_->addVeth(swNs_, "p" + std::to_string(i), hostNs_, "h" + std::to_string(i)));

    decider_.assign(mac(kPc), kRegion);
    decider_.assign(mac(kPhone), kVoice);
    sw_.emplace(labConfig(), decider_);
    // The tests inject a whole burst before the loop runs, so frames wait in
    // the ring for as long as injecting takes (tens of ms on a busy
    // machine): a budget that long keeps the loop from taking that for
    // overload (forward_loop.h; the overload path is UnderLoad.*).
    LoadOptions load;
    load.queueBudgetNs = 10'000'000'000;
    load.behindNs = 10'000'000'000;
    loop_.emplace(*sw_, 256, load);
    {
      NetnsScope in(swNs_);
      ASSERT_TRUE(in.ok());
      for (PortIndex i = 0; i < kPorts; ++i) {
        const std::string name = "p" + std::to_string(i);
        auto port = io::LivePort::open(name, i);
        ASSERT_TRUE(port.ok()) << port.error().message;
        auto sink = io::PacketSocketSink::open(name);
        ASSERT_TRUE(sink.ok()) << sink.error().message;
        sw_->attach(i, sink.value().get());
        ASSERT_TRUE(loop_->addSource(i, *port.value(), port.value()->selectableFd(), name)) << loop_->error();
        loop_->addBatchingSink(*sink.value());
        ports_.push_back(std::move(port.value()));
        sinks_.push_back(std::move(sink.value()));
      }
    }
    NetnsScope in(hostNs_);
    ASSERT_TRUE(in.ok());
    for (int i = 0; i < kPorts; ++i) {
      const std::string name = "h" + std::to_string(i);
      auto capture = io::LivePort::open(name, static_cast<uint16_t>(i));
      ASSERT_TRUE(capture.ok()) << capture.error().message;
      captures_.push_back(std::move(capture.value()));
      senders_.push_back(std::make_unique<RawSender>(name));
      ASSERT_TRUE(senders_.back()->ok()) << name;
    }
  }

  // Sends from host `from`, runs the switch until it has processed the frame.
  void inject(int from, const Bytes& frame) {
    const uint64_t before = sw_->counters().frames;
    ASSERT_TRUE(senders_[from]->send(frame));
    for (int i = 0; i < 100 && sw_->counters().frames == before; ++i) ASSERT_GE(loop_->runOnce(10), 0) << loop_->error();
    ASSERT_EQ(sw_->counters().frames, before + 1) << "the switch did not see the frame";
  }
  // What every host received: expected hosts are waited for, the rest get
  // a short grace period (nothing may arrive there).
  std::vector<std::vector<Bytes>> received(std::initializer_list<int> expectAt) {
    std::vector<std::vector<Bytes>> got(kPorts);
    for (int i : expectAt) got[i] = captureTestFrames(*captures_[i], 1, 1000);
    for (int i = 0; i < kPorts; ++i)
      if (std::find(expectAt.begin(), expectAt.end(), i) == expectAt.end())
        got[i] = captureTestFrames(*captures_[i], 0, 50);
    return got;
  }

  std::optional<NetnsLab> lab_;
  std::string swNs_, hostNs_;
  StaticMacDecider decider_;
  std::optional<VlanSwitch> sw_;
  std::optional<ForwardLoop> loop_;
  std::vector<std::unique_ptr<io::LivePort>> ports_;
  std::vector<std::unique_ptr<io::PacketSocketSink>> sinks_;
  std::vector<std::unique_ptr<io::LivePort>> captures_;
  std::vector<std::unique_ptr<RawSender>> senders_;
};

// Requirements: R3, R4
TEST_F(LiveSwitchTest, TagsOnTheWireAndZoneIsolation) {
  // 1. The region PC broadcasts: the trunk carries it tagged 10, the region
  //    uplink untagged, the phone-only port never sees it.
  const Bytes pcBroadcast = l2Frame(kBroadcast, kPc, {}, 0x11);
  inject(kPcPort, pcBroadcast);
  auto got = received({kTrunk, kUplink});
  Bytes tagged(pcBroadcast.begin(), pcBroadcast.begin() + 12);
  for (uint8_t b : {0x81, 0x00, 0x00, 0x0a}) tagged.push_back(b);
  tagged.insert(tagged.end(), pcBroadcast.begin() + 12, pcBroadcast.end());
  ASSERT_EQ(got[kTrunk].size(), 1u);
  EXPECT_EQ(got[kTrunk][0], tagged) << "trunk frame must carry 802.1Q VID 10";
  ASSERT_EQ(got[kUplink].size(), 1u);
  EXPECT_EQ(got[kUplink][0], pcBroadcast);
  EXPECT_TRUE(got[kPhonePort].empty()) << "a region broadcast reached the voice-only port";
  EXPECT_TRUE(got[kPcPort].empty()) << "echoed to the sender";

  // 2. The phone broadcasts: trunk tagged 20, not the region uplink, not
  //    the PC's port (no voice device there).
  const Bytes phoneBroadcast = l2Frame(kBroadcast, kPhone, {}, 0x22);
  inject(kPhonePort, phoneBroadcast);
  got = received({kTrunk});
  ASSERT_EQ(got[kTrunk].size(), 1u);
  EXPECT_EQ(got[kTrunk][0][14], 0x00);
  EXPECT_EQ(got[kTrunk][0][15], 0x14) << "VID 20";
  EXPECT_TRUE(got[kUplink].empty()) << "a voice broadcast reached the region uplink";
  EXPECT_TRUE(got[kPcPort].empty());

  // 3. The PBX behind the trunk answers the phone (tagged 20, unicast): the
  //    phone's port gets it untagged, nobody else.
  const Bytes toPhone = l2Frame(kPhone, kPbx, {{0x8100, 20, 5}}, 0x33);
  inject(kTrunk, toPhone);
  got = received({kPhonePort});
  Bytes untagged(toPhone.begin(), toPhone.begin() + 12);
  untagged.insert(untagged.end(), toPhone.begin() + 16, toPhone.end());
  ASSERT_EQ(got[kPhonePort].size(), 1u);
  EXPECT_EQ(got[kPhonePort][0], untagged);
  EXPECT_TRUE(got[kUplink].empty());
  EXPECT_TRUE(got[kPcPort].empty());

  // 4. VLAN hopping: a double-tagged frame from the PC's port goes nowhere.
  inject(kPcPort, l2Frame(kBroadcast, kPc, {{0x8100, 10}, {0x8100, 20}}, 0x44));
  got = received({});
  for (int i = 0; i < kPorts; ++i) EXPECT_TRUE(got[i].empty()) << "double-tagged frame reached h" << i;
  EXPECT_EQ(sw_->drops().get(DropReason::kVlanHopping), 1u);

  // The batched sender did the sending; nothing was lost on the way.
  uint64_t sent = 0, dropped = 0;
  for (const auto& s : sinks_) {
    sent += s->stats().sent;
    dropped += s->stats().dropped;
  }
  EXPECT_EQ(sent, 4u);
  EXPECT_EQ(dropped, 0u);
  for (const auto& p : ports_) EXPECT_EQ(p->stats().kernelDropped, 0u);
}

TEST_F(LiveSwitchTest, BurstIsForwardedWithoutLoss) {
  // 2000 frames in one burst from the uplink to a learned PC: all arrive,
  // in order, in far fewer sendmmsg calls than frames.
  inject(kPcPort, l2Frame(kBroadcast, kPc, {}, 0));
  (void)received({kTrunk, kUplink});
  const uint64_t before = sw_->counters().frames;
  constexpr int kFrames = 2000;
  for (int i = 0; i < kFrames; ++i) {
    Bytes f = l2Frame(kPc, "02:00:00:00:01:00", {}, 0);
    f[14] = static_cast<uint8_t>(i >> 8);
    f[15] = static_cast<uint8_t>(i);
    ASSERT_TRUE(senders_[kUplink]->send(f));
  }
  for (int i = 0; i < 500 && sw_->counters().frames < before + kFrames; ++i) ASSERT_GE(loop_->runOnce(10), 0);
  ASSERT_EQ(sw_->counters().frames, before + kFrames);
  auto got = captureTestFrames(*captures_[kPcPort], kFrames, 2000);
  ASSERT_EQ(got.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) ASSERT_EQ((got[i][14] << 8) | got[i][15], i) << "out of order";
  EXPECT_LT(sinks_[kPcPort]->stats().syscalls, static_cast<uint64_t>(kFrames) / 4);
}

}  // namespace
}  // namespace portvakt::forward
