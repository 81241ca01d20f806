// The whole dataplane on the Vårdcentral example policy: frames built byte by
// byte go through the VLAN switch with the policy decider, and each scenario
// of DESIGN.md R1-R6 ends with the verdict and the alert it must.
#include <gtest/gtest.h>

#include "dataplane/engine/offline_pipeline.h"
#include "policy/compiler/compiler.h"
#include "tests/dataplane/packet/frame_builder.h"
#include "tests/dataplane/packet/sample_frames.h"

namespace portvakt::engine {
namespace {

using namespace packet::testing;
using packet::kEtherTypeIpv4;
using packet::kIpProtoTcp;
using packet::kIpProtoUdp;

constexpr std::string_view kEklientMac = "3c:52:82:1a:2b:3c";  // in the inventory CSV
constexpr std::string_view kGatewayMac = "00:00:5e:00:01:0a";  // behind the uplink, never seen on access
const Bytes kWindowsParams = {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252};
const Bytes kLinuxParams = {1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42};

Writer discover(std::string_view mac, const Bytes& params, std::string_view vendor, std::string_view hostname) {
  std::vector<Writer> options = {dhcpOption(53, Bytes{1}), dhcpOption(55, params)};
  if (!vendor.empty()) options.push_back(dhcpOption(60, vendor));
  if (!hostname.empty()) options.push_back(dhcpOption(12, hostname));
  return ethernet(kBroadcast, mac, kEtherTypeIpv4,
                  ipv4("0.0.0.0", "255.255.255.255", kIpProtoUdp, udp(68, 67, dhcp(1, 0x1234, mac, options))));
}

// An mDNS response announcing one service type (a PTR record), from a link-local address.
Writer mdnsAnnounce(std::string_view mac, std::string_view service) {
  Writer dns;
  dns.u16(0).u16(0x8400).u16(0).u16(1).u16(0).u16(0);
  dns.append(dnsName(std::string(service) + ".local"));
  Writer target = dnsName("Device." + std::string(service) + ".local");
  dns.u16(12).u16(1).u32(4500).u16(static_cast<uint16_t>(target.size())).append(target);
  return ethernet("01:00:5e:00:00:fb", mac, kEtherTypeIpv4,
                  ipv4("169.254.7.9", "224.0.0.251", kIpProtoUdp, udp(5353, 5353, dns)));
}

Writer tcpSyn(std::string_view src, std::string_view dst, const char* from, const char* to, uint16_t port) {
  return ethernet(dst, src, kEtherTypeIpv4, ipv4(from, to, kIpProtoTcp, tcp(50000, port, 0x02, Writer())));
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policy::CompileResult compiled = policy::compilePolicyFile("examples/vardcentral-karlstad.yaml");
    ASSERT_TRUE(compiled.ok()) << compiled.diagnostics.format();
    policy_ = compiled.policy;
    auto created = OfflinePipeline::create(policy_);
    ASSERT_TRUE(created) << created.error().message;
    pipeline_ = std::move(created.value());
  }

  uint16_t port(std::string_view name) const {
    for (size_t i = 0; i < policy_->ports.size(); ++i) {
      if (policy_->ports[i].interface == name) return static_cast<uint16_t>(i);
    }
    ADD_FAILURE() << "no port " << name;
    return 0;
  }

  PipelineResult send(const Writer& w, std::string_view on = "eth3", Explanation* why = nullptr) {
    frames_.push_back(w.data);
    io::Frame f;
    f.bytes = frames_.back();
    f.wireLength = static_cast<uint32_t>(frames_.back().size());
    f.port = port(on);
    now_ += 1'000'000'000;  // one second apart
    f.timestampNs = now_;
    return pipeline_->process(f, why);
  }

  std::string zoneOf(std::string_view mac) const {
    const auto* d = pipeline_->decider().profiler().find(*tables::MacAddress::parse(mac));
    return d ? policy_->zoneName(d->zone) : "(unknown)";
  }

  std::vector<std::string> events() {
    std::vector<std::string> out;
    EngineEvent e;
    while (pipeline_->decider().popEvent(e))
      out.push_back(std::string(tables::toString(e.event)) + " " + e.mac.toString());
    return out;
  }

  static bool has(const std::vector<std::string>& events, const std::string& what) {
    return std::find(events.begin(), events.end(), what) != events.end();
  }

  std::shared_ptr<const tables::CompiledPolicy> policy_;
  std::unique_ptr<OfflinePipeline> pipeline_;
  std::deque<Bytes> frames_;
  int64_t now_ = 1'700'000'000'000'000'000;
};

// Requirements: R1
TEST_F(PipelineTest, AnInventoriedEklientIsAdmittedToRegionAndReachesRdnet) {
  for (int i = 0; i < 3; ++i) send(discover(kEklientMac, kWindowsParams, "MSFT 5.0", "EK-KSD-0231"));
  EXPECT_EQ(zoneOf(kEklientMac), "region");
  Explanation why;
  PipelineResult r = send(tcpSyn(kEklientMac, kGatewayMac, "10.10.0.23", "10.20.0.5", 443), "eth3", &why);
  EXPECT_EQ(r.verdict, "forwarded");
  EXPECT_EQ(r.forward.zone, policy_->findZone("region"));
  ASSERT_GE(why.flowRule, 0);
  EXPECT_EQ(policy_->flows[static_cast<size_t>(why.flowRule)].name, "eklient-rdnet");
}

// Requirements: R1
TEST_F(PipelineTest, AnUnknownLaptopIsQuarantined) {
  const std::string laptop = "a4:83:e7:00:00:01";
  send(discover(laptop, kWindowsParams, "MSFT 5.0", "my-laptop"));
  EXPECT_EQ(zoneOf(laptop), "quarantine");
  EXPECT_EQ(send(tcpSyn(laptop, kGatewayMac, "10.10.0.99", "10.20.0.5", 443)).verdict, "dropped:quarantine");
  EXPECT_TRUE(has(events(), "device_new " + laptop));
}

// Requirements: R2, R5
TEST_F(PipelineTest, APhoneLandsInVoiceAndNeverReachesTheRegion) {
  send(lldpMedPhoneFrame());
  EXPECT_EQ(zoneOf(kPhoneMac), "voice");
  PipelineResult r = send(tcpSyn(kPhoneMac, kGatewayMac, "10.30.0.7", "10.20.0.5", 443));
  EXPECT_EQ(r.verdict, "dropped:policy_denied");
  EXPECT_TRUE(has(events(), "region_access_attempt " + std::string(kPhoneMac)));
  // SIP to the provider on the internet is what voice may do.
  EXPECT_EQ(send(ethernet(kGatewayMac, kPhoneMac, kEtherTypeIpv4,
                          ipv4("10.30.0.7", "198.18.0.5", kIpProtoUdp,
                               udp(5060, 5060, text("REGISTER sip:x SIP/2.0\r\n\r\n")))))
                .verdict,
            "forwarded");
}

// Requirements: R6
TEST_F(PipelineTest, RogueDhcpServerOnAnAccessPortIsDroppedAndAlerted) {
  PipelineResult r = send(dhcpOfferFrame());
  EXPECT_EQ(r.verdict, "dropped:rogue_dhcp");
  EXPECT_TRUE(has(events(), "rogue_dhcp " + std::string(kSwitchMac)));
}

// An ARP reply from a wall jack claiming the printer VLAN's router (a zone
// gateway in the policy) is poisoning, whatever MAC it is sent with.
Writer arpReply(std::string_view mac, const char* claimedIp) {
  Writer arp;
  arp.u16(1).u16(0x0800).u8(6).u8(4).u16(2).mac(mac).ip4(claimedIp).mac(kGatewayMac).ip4("10.40.0.20");
  return ethernet(kGatewayMac, mac, packet::kEtherTypeArp, arp);
}

// Requirements: R6
TEST_F(PipelineTest, ArpClaimingAZoneGatewayIsDroppedAndAlerted) {
  const std::string laptop = "a4:83:e7:00:00:07";
  EXPECT_EQ(send(arpReply(laptop, "10.40.0.1")).verdict, "dropped:arp_spoofing");
  EXPECT_TRUE(has(events(), "arp_spoof " + laptop));
  EXPECT_NE(send(arpReply(laptop, "10.40.0.77")).verdict, "dropped:arp_spoofing") << "its own address is no claim";
}

// Requirements: R6
TEST_F(PipelineTest, DoubleTaggedFramesAreVlanHopping) {
  Writer hop = ethernet(kBroadcast, "02:00:00:00:00:66", kEtherTypeIpv4,
                        ipv4("10.0.0.66", "10.20.0.5", kIpProtoUdp, udp(1, 2, Writer())), {{0x8100, 30}, {0x8100, 10}});
  EXPECT_EQ(send(hop).verdict, "dropped:vlan_hopping");
  EXPECT_TRUE(has(events(), "vlan_hopping 02:00:00:00:00:66"));
  // A burst of them is one event per hold time (10 s; frames here are 1 s apart).
  for (int i = 0; i < 5; ++i) EXPECT_EQ(send(hop).verdict, "dropped:vlan_hopping");
  EXPECT_TRUE(events().empty());
  for (int i = 0; i < 6; ++i) send(hop);
  EXPECT_EQ(events(), std::vector<std::string>{"vlan_hopping 02:00:00:00:00:66"}) << "after the hold it is news again";
}

// Requirements: R1, R6
TEST_F(PipelineTest, AHostCopyingAnEklientMacWithALinuxFingerprintIsNotAdmitted) {
  for (int i = 0; i < 3; ++i) send(discover(kEklientMac, kLinuxParams, "", "kali"));
  EXPECT_NE(zoneOf(kEklientMac), "region");
  PipelineResult r = send(tcpSyn(kEklientMac, kGatewayMac, "10.10.0.23", "10.20.0.5", 443));
  EXPECT_NE(r.verdict, "forwarded");
  EXPECT_TRUE(has(events(), "mac_spoof_suspect " + std::string(kEklientMac)));
}

TEST_F(PipelineTest, MonitorModePortsPassWhatEnforcementWouldDrop) {
  const std::string unknown = "a4:83:e7:00:00:05", other = "a4:83:e7:00:00:06";  // no class matches these
  PipelineResult r = send(tcpSyn(unknown, kGatewayMac, "10.40.0.9", "10.20.0.5", 443), "eth15");
  // Enforcement would quarantine the unknown device; monitor mode records that
  // and lets the frame on (here it then has nowhere to go: nobody else is in quarantine).
  EXPECT_EQ(r.forward.wouldDrop, forward::DropReason::kQuarantine) << r.verdict;
  EXPECT_NE(r.forward.drop, forward::DropReason::kQuarantine) << r.verdict;
  EXPECT_EQ(pipeline_->vlanSwitch().wouldDrops().get(forward::DropReason::kQuarantine), 1u);
  // The same frame on an enforcing port is dropped for quarantine.
  EXPECT_EQ(send(tcpSyn(other, kGatewayMac, "10.40.0.9", "10.20.0.5", 443), "eth4").verdict, "dropped:quarantine");
}

// Requirements: R5, R6b
TEST_F(PipelineTest, APrinterMayNotReachRdnetAndTheSameMacOnTwoPortsIsSuspect) {
  const std::string printer = "9c:7b:ef:00:00:01";  // HP OUI and IPP: class printer
  send(mdnsAnnounce(printer, "_ipp._tcp"), "eth4");
  EXPECT_EQ(send(tcpSyn(printer, kGatewayMac, "10.40.0.9", "10.20.0.5", 443), "eth4").verdict, "dropped:policy_denied");
  EXPECT_EQ(zoneOf(printer), "printers");
  EXPECT_EQ(send(tcpSyn(printer, kGatewayMac, "10.40.0.9", "10.20.0.5", 443), "eth5").verdict, "dropped:mac_spoofing");
  EXPECT_TRUE(has(events(), "mac_flapping " + printer)) << "one MAC on two ports at once: flapping (issue 13)";
}

// Issue 13: one claim any computer can make (a Linux box announcing IPP)
// must not place a device in the printers zone, which eKlient PCs reach.
// Requirements: R3, R6
TEST_F(PipelineTest, ALinuxBoxAnnouncingIppIsNotPlacedInPrinters) {
  const std::string linuxBox = "a4:83:e7:00:00:02";
  send(discover(linuxBox, kLinuxParams, "", "raspberrypi"));
  send(mdnsAnnounce(linuxBox, "_ipp._tcp"));
  send(mdnsAnnounce(linuxBox, "_ipp._tcp"));
  EXPECT_EQ(zoneOf(linuxBox), "quarantine");
  // From an HP printer's OUI too: the Linux DHCP fingerprint contradicts the
  // printer class, and the trace says so.
  const std::string spoofedOui = "00:1e:0b:00:00:02";
  send(discover(spoofedOui, kLinuxParams, "", ""));
  send(mdnsAnnounce(spoofedOui, "_ipp._tcp"));
  Explanation why;
  PipelineResult r = send(mdnsAnnounce(spoofedOui, "_ipp._tcp"), "eth3", &why);
  EXPECT_EQ(zoneOf(spoofedOui), "quarantine");
  EXPECT_EQ(r.verdict, "dropped:quarantine");
  std::string steps;
  for (const std::string& s : why.steps) steps += s + "\n";
  EXPECT_NE(
      steps.find("candidate printer 2/3 need 2 not matched (mdns.services,oui) contradicted: dhcp.parameter_list is "
                 "\"Ubuntu/Debian 5/Knoppix 6\" (Linux)"),
      std::string::npos)
      << steps;
  // A printer's own DHCP fingerprint (Fingerbank "HP Printer") with IPP: printers.
  const std::string printer = "02:00:5e:00:00:08";
  send(discover(printer, Bytes{1, 3, 44, 6, 7, 12, 15, 22, 54, 58, 59, 69, 18, 144}, "", "NPI1A2B3C"));
  send(mdnsAnnounce(printer, "_ipp._tcp"));
  send(mdnsAnnounce(printer, "_ipp._tcp"));
  EXPECT_EQ(zoneOf(printer), "printers");
}

// Requirements: R5
TEST(PipelineMonitorMode, InvariantsAreEnforcedEvenOnMonitorPorts) {
  policy::CompileResult compiled = policy::compilePolicyFile("tests/control/pipeline/monitor-site.yaml");
  ASSERT_TRUE(compiled.ok()) << compiled.diagnostics.format();
  auto created = OfflinePipeline::create(compiled.policy);
  ASSERT_TRUE(created) << created.error().message;
  std::unique_ptr<OfflinePipeline> pipeline = std::move(created.value());
  std::deque<Bytes> keep;
  int64_t now = 1'000'000'000;
  auto send = [&](const Writer& w) {
    keep.push_back(w.data);
    io::Frame f;
    f.bytes = keep.back();
    f.wireLength = static_cast<uint32_t>(keep.back().size());
    f.port = 2;  // eth3, the watched jack
    f.timestampNs = now += 1'000'000'000;
    return pipeline->process(f);
  };
  send(lldpMedPhoneFrame());  // a phone: voice
  // Voice toward RDnet breaks the base's invariant: dropped although the port only watches.
  PipelineResult toRdnet = send(tcpSyn(kPhoneMac, kGatewayMac, "10.30.0.7", "10.20.0.5", 443));
  EXPECT_EQ(toRdnet.verdict, "dropped:policy_denied");
  // An unknown laptop would be quarantined; monitor mode lets it pass and counts it.
  PipelineResult laptop = send(tcpSyn("a4:83:e7:00:00:03", kGatewayMac, "10.20.0.99", "10.20.0.5", 443));
  EXPECT_EQ(laptop.forward.wouldDrop, forward::DropReason::kQuarantine) << laptop.verdict;
}

// Requirements: R9
TEST_F(PipelineTest, TallyCountsEveryFrameByZoneAndVerdict) {
  send(dhcpOfferFrame());
  send(discover("a4:83:e7:00:00:02", kLinuxParams, "", ""));
  uint64_t total = 0;
  for (const auto& [key, n] : pipeline_->tally()) total += n;
  EXPECT_EQ(total, 2u);
}

// A monitor port forwards what enforcement would drop; the MAC limit still
// counts, and the switch's drop becomes one mac_limit event per port per hold
// (kEventHoldNs), not one per MAC.
// Requirements: R6
TEST(PipelineMonitorMode, MoreMacsThanAnAccessPortMayHaveRaiseMacLimit) {
  policy::CompileResult compiled = policy::compilePolicyFile("tests/control/pipeline/monitor-site.yaml");
  ASSERT_TRUE(compiled.ok()) << compiled.diagnostics.format();
  auto created = OfflinePipeline::create(compiled.policy);
  ASSERT_TRUE(created) << created.error().message;
  std::unique_ptr<OfflinePipeline> pipeline = std::move(created.value());
  std::deque<Bytes> keep;
  std::vector<std::string> events;
  for (int i = 0; i < 12; ++i) {
    char mac[18];
    std::snprintf(mac, sizeof mac, "02:00:00:00:01:%02x", i);
    keep.push_back(discover(mac, kLinuxParams, "", "dock").data);
    io::Frame f;
    f.bytes = keep.back();
    f.wireLength = static_cast<uint32_t>(keep.back().size());
    f.port = 2;  // eth3, the watched jack
    f.timestampNs = (i + 1) * int64_t{1'000'000'000};
    (void)pipeline->process(f);
    EngineEvent e;
    while (pipeline->decider().popEvent(e)) {
      if (e.event == tables::EventType::kMacLimit) events.push_back(e.mac.toString() + " " + e.detail);
    }
  }
  // The switch allows 8 MACs per access port (SwitchConfigOptions): the 9th to
  // 12th are over, 1 s apart, so within one hold: one event, for the 9th.
  ASSERT_EQ(events.size(), 1u) << ::testing::PrintToString(events);
  EXPECT_EQ(events[0],
            "00:00:00:00:00:00 a new MAC (02:00:00:00:01:08) on access port eth3, which already has its "
            "maximum of 8 MACs; new MACs are dropped until one has been idle for 300 s (monitor mode: "
            "forwarded)")
      << "a port event: no device MAC, the first MAC over the limit in the detail";
  EXPECT_EQ(pipeline->vlanSwitch().wouldDrops().get(forward::DropReason::kMacLimit), 4u);
}

// A monitor-mode jack lets a flood reach the profiler: thousands of
// device_new events. They may take only half of the decider's queue, so the
// switch's mac_limit still gets through while nobody has drained it yet.
TEST(PipelineMonitorMode, AFloodOfNewDevicesLeavesRoomForMacLimit) {
  policy::CompileResult compiled = policy::compilePolicyFile("tests/control/pipeline/monitor-site.yaml");
  ASSERT_TRUE(compiled.ok()) << compiled.diagnostics.format();
  auto created = OfflinePipeline::create(compiled.policy);
  ASSERT_TRUE(created) << created.error().message;
  std::unique_ptr<OfflinePipeline> pipeline = std::move(created.value());
  std::deque<Bytes> keep;
  for (int i = 0; i < 5000; ++i) {  // 3 ms apart: 15 s, two mac_limit holds
    char mac[18];
    std::snprintf(mac, sizeof mac, "06:00:00:00:%02x:%02x", i >> 8, i & 0xff);
    keep.push_back(discover(mac, kLinuxParams, "", "").data);
    io::Frame f;
    f.bytes = keep.back();
    f.wireLength = static_cast<uint32_t>(keep.back().size());
    f.port = 2;  // eth3, the watched jack
    f.timestampNs = int64_t{1'000'000'000} + i * int64_t{3'000'000};
    (void)pipeline->process(f);
  }
  EngineEvent e;
  size_t macLimit = 0, queued = 0;
  while (pipeline->decider().popEvent(e)) {
    ++queued;
    if (e.event == tables::EventType::kMacLimit) ++macLimit;
  }
  EXPECT_EQ(macLimit, 2u) << "one per 10 s hold, the second after the queue had filled with device events";
  EXPECT_LE(queued, kMaxQueuedEvents);
  EXPECT_GT(pipeline->decider().counters().eventsDropped, 0u) << "the device events beyond their share are counted";
}

// Issue 14: a random-MAC flood on an enforcing jack. Unknown MACs land in
// quarantine and are never learned, yet each counts against the port's MAC
// limit; past it they are dropped before the device profiler (no device
// records, no device_new events), mac_limit is raised once per hold, and
// known devices on the port keep working: those counted before the flood, and
// pinned or inventoried ones that arrive during it.
// Requirements: R6
TEST(PipelineMacFlood, QuarantinedMacsCountAgainstTheLimitAndAreDroppedBeforeTheProfiler) {
  policy::CompileResult compiled = policy::compilePolicyFile("examples/vardcentral-karlstad.yaml");
  ASSERT_TRUE(compiled.ok()) << compiled.diagnostics.format();
  auto created = OfflinePipeline::create(compiled.policy);
  ASSERT_TRUE(created) << created.error().message;
  std::unique_ptr<OfflinePipeline> pipeline = std::move(created.value());
  uint16_t eth3 = 0;
  for (size_t i = 0; i < compiled.policy->ports.size(); ++i)
    if (compiled.policy->ports[i].interface == "eth3") eth3 = static_cast<uint16_t>(i);
  std::deque<Bytes> keep;
  int64_t now = 1'000'000'000;
  auto send = [&](std::string_view mac, const Bytes& params = kLinuxParams, std::string_view vendor = "",
                  std::string_view hostname = "") {
    keep.push_back(discover(mac, params, vendor, hostname).data);
    io::Frame f;
    f.bytes = keep.back();
    f.wireLength = static_cast<uint32_t>(keep.back().size());
    f.port = eth3;
    f.timestampNs = now;
    now += 1'000'000;  // 1 ms apart: the whole flood is within one hold
    return pipeline->process(f);
  };
  auto zoneOf = [&](std::string_view mac) {
    const fingerprint::DeviceRecord* r = pipeline->decider().profiler().find(*tables::MacAddress::parse(mac));
    return r ? compiled.policy->zoneName(r->zone) : std::string("(none)");
  };
  // An unknown laptop first: quarantined, and counted.
  EXPECT_EQ(send("a4:83:e7:00:00:01").verdict, "dropped:quarantine");
  std::vector<std::string> macLimitEvents;
  size_t deviceNew = 0;
  for (int i = 0; i < 1000; ++i) {
    char mac[18];
    std::snprintf(mac, sizeof mac, "06:%02x:%02x:00:00:01", i >> 8, i & 0xff);
    (void)send(mac);
    EngineEvent e;
    while (pipeline->decider().popEvent(e)) {
      if (e.event == tables::EventType::kMacLimit) macLimitEvents.push_back(e.detail);
      if (e.event == tables::EventType::kDeviceNew) ++deviceNew;
    }
  }
  // 8 per access port: the laptop and the first 7 flood MACs.
  EXPECT_EQ(pipeline->vlanSwitch().drops().get(forward::DropReason::kMacLimit), 993u);
  EXPECT_EQ(pipeline->vlanSwitch().portCounters(eth3).sourceMacs, 8u);
  EXPECT_EQ(pipeline->decider().profiler().size(), 8u) << "the flood past the limit never reached the profiler";
  EXPECT_EQ(deviceNew, 8u) << "the laptop and the 7 flood MACs under the limit";
  ASSERT_EQ(macLimitEvents.size(), 1u) << "one event per port per hold, not one per MAC";
  EXPECT_NE(macLimitEvents[0].find("eth3"), std::string::npos) << macLimitEvents[0];
  // Known devices keep working: the laptop counted before the flood is still
  // profiled (quarantined, as before); the inventoried eKlient arriving now
  // is placed in the region zone despite the full port.
  EXPECT_EQ(send("a4:83:e7:00:00:01").verdict, "dropped:quarantine");
  EXPECT_NE(send(kEklientMac, kWindowsParams, "MSFT 5.0", "EK-KSD-0231").verdict, "dropped:mac_limit");
  EXPECT_EQ(zoneOf(kEklientMac), "region");
  // A stranger is still kept out; after the counted MACs idle out (300 s) the
  // port takes new MACs again.
  EXPECT_EQ(send("06:ff:ff:00:00:01").verdict, "dropped:mac_limit");
  now += 301'000'000'000;
  EXPECT_EQ(send("06:ff:ff:00:00:01").verdict, "dropped:quarantine");
}

}  // namespace
}  // namespace portvakt::engine
