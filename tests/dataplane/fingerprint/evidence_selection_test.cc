// Profiling that cannot be starved or flooded (issue 13): bounded evidence
// keeps what the policy matches, the CDP phone bit is evidence of its own,
// and the policy's DHCP fingerprint data can contradict a class.
#include <gtest/gtest.h>

#include <filesystem>

#include "dataplane/fingerprint/device_classifier.h"
#include "dataplane/fingerprint/device_profiler.h"
#include "dataplane/io/capture_file.h"
#include "tests/dataplane/fingerprint/allocation_counter.h"
#include "tests/dataplane/fingerprint/karlstad_policy.h"
#include "tests/dataplane/fingerprint/profiler_frames.h"
#include "tests/dataplane/packet/sample_frames.h"
#include "tests/support/ci.h"

namespace portvakt::fingerprint {
namespace {

using namespace testing;
using tables::Signal;

const std::vector<std::string> kWanted = {"_ipp._tcp", "_airplay._tcp.local"};

std::string junk(int i) { return "_junk" + std::to_string(i) + "._tcp"; }

TEST(BoundedEvidence, AWantedServiceTakesThePlaceOfAnUnwantedOneWhenTheListIsFull) {
  DeviceEvidence e;
  for (size_t i = 0; i < kMaxMdnsServices; ++i) EXPECT_TRUE(e.addMdnsService(junk(static_cast<int>(i)), 1, kWanted));
  ASSERT_EQ(e.mdnsServiceCount, kMaxMdnsServices);
  // Unwanted beyond the cap: dropped, counted.
  EXPECT_FALSE(e.addMdnsService("_other._tcp", 2, kWanted));
  EXPECT_FALSE(e.hasMdnsService("_other._tcp"));
  EXPECT_EQ(e.mdnsServicesDropped, 1);
  // Wanted beyond the cap: kept, an unwanted one goes (".local" and case do not matter).
  EXPECT_TRUE(e.addMdnsService("_IPP._tcp.local", 3, kWanted));
  EXPECT_TRUE(e.hasMdnsService("_ipp._tcp"));
  EXPECT_TRUE(e.addMdnsService("_airplay._tcp", 4, kWanted));
  EXPECT_TRUE(e.hasMdnsService("_airplay._tcp"));
  EXPECT_EQ(e.mdnsServiceCount, kMaxMdnsServices);
  EXPECT_EQ(e.mdnsServicesDropped, 3);
  // Announced again: already there, nothing changes.
  EXPECT_FALSE(e.addMdnsService("_ipp._tcp", 5, kWanted));
  // A list full of wanted types keeps them all.
  DeviceEvidence full;
  const std::vector<std::string> all = {junk(0), junk(1), junk(2), junk(3),    junk(4),
                                        junk(5), junk(6), junk(7), "_ipp._tcp"};
  for (size_t i = 0; i < kMaxMdnsServices; ++i) (void)full.addMdnsService(junk(static_cast<int>(i)), 1, all);
  EXPECT_FALSE(full.addMdnsService("_ipp._tcp", 2, all));
  EXPECT_FALSE(full.hasMdnsService("_ipp._tcp"));
}

TEST(BoundedEvidence, MdnsServicesOfThePolicyAreEveryClassesTypes) {
  const tables::CompiledPolicy policy = karlstadPolicy();
  EXPECT_EQ(mdnsServicesOf(policy), (std::vector<std::string>{"_airplay._tcp", "_googlecast._tcp", "_logitech-sync._tcp",
                                                              "_ipp._tcp", "_pdl-datastream._tcp"}));
}

// A printer (HP OUI) that announces many service types before _ipp._tcp: the
// profiler keeps the one the printer class matches and places it.
// Requirements: R6
TEST(BoundedEvidence, ThePolicysServiceIsKeptAfterManyOthersAndPlacesTheDevice) {
  DeviceProfiler p({}, karlstadPolicyPtr());
  const char* printer = "00:1e:0b:33:44:55";
  int64_t now = 0;
  for (int i = 0; i < 12; ++i) (void)p.observe(*mdnsFrame(printer, junk(i)), kWallJack, now += kNsPerSecond);
  const DeviceRecord* r = nullptr;
  for (int i = 0; i < 4; ++i) r = p.observe(*mdnsFrame(printer, "_ipp._tcp"), kWallJack, now += kNsPerSecond);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->evidence.hasMdnsService("_ipp._tcp")) << r->evidence.describe();
  EXPECT_EQ(r->committed.className, "printer") << r->latest.explain(*p.policy());
  EXPECT_EQ(r->zone, kPrinters);

  // The same device's frames, now unchanged: no allocation per frame.
  const TestFrame ipp = mdnsFrame(printer, "_ipp._tcp");
  const TestFrame other = mdnsFrame(printer, junk(20));
  const uint64_t before = allocationCount();
  for (int i = 0; i < 100; ++i) {
    (void)p.observe(*ipp, kWallJack, now += kNsPerSecond);
    (void)p.observe(*other, kWallJack, now += kNsPerSecond);
  }
  EXPECT_EQ(allocationCount(), before);
}

// Requirements: R2
TEST(CdpCapabilities, ThePhoneBitIsEvidenceOfItsOwnBesideThePlatform) {
  const packet::testing::Writer w = packet::testing::cdpPhoneFrame();
  const TestFrame frame(w);
  ASSERT_TRUE((*frame).has(packet::Layer::kCdp));
  DeviceEvidence e;
  e.mac = (*frame).eth.src;
  const EvidenceUpdate u = updateEvidence(e, *frame, 7, EvidenceOptions{});
  EXPECT_TRUE(u.seen & traitBit(Trait::kCdpCapabilities));
  EXPECT_EQ(e.cdpCapabilities, 0x490u);  // host, phone, two-port MAC relay
  EXPECT_NE(e.describe().find("cdp.capabilities=host,phone,mac-relay"), std::string::npos) << e.describe();

  const tables::CompiledPolicy policy = karlstadPolicy();
  const tables::DeviceClass& phone = policy.classes[static_cast<size_t>(findClass(policy, "ip-phone"))];
  const SignalMask fired = firedSignals(policy, phone, e);
  EXPECT_EQ(fired, signalBit(Signal::kCdpPlatform) | signalBit(Signal::kCdpCapability)) << signalsToString(fired);
  EXPECT_EQ(classifyDevice(policy, e, kQuarantine).className, "ip-phone");
  // Every configured bit must be announced.
  tables::DeviceClass needsSwitch = phone;
  needsSwitch.cdpCapabilities = 0x80 | 0x08;
  EXPECT_FALSE(firedSignals(policy, needsSwitch, e) & signalBit(Signal::kCdpCapability));
}

// The CDP captures of the shared data (MANIFEST.tsv) are switches and
// routers: capabilities read as tshark shows them (0x28, 0x29), never a phone.
TEST(CdpCapabilities, TheSharedCapturesSwitchesAreNotPhones) {
  const char* captures[] = {"../shared/pcaps/tcpdump/LLDP_and_CDP.pcap",
                            "../shared/pcaps/more/cdp/tcpdump__3560_CDP.pcap",
                            "../shared/pcaps/pcapplusplus/VlanPackets.pcap"};
  PORTVAKT_REQUIRE(std::filesystem::exists(captures[0]), "../shared/pcaps is absent");
  const tables::CompiledPolicy policy = karlstadPolicy();
  const tables::DeviceClass& phone = policy.classes[static_cast<size_t>(findClass(policy, "ip-phone"))];
  int cdpFrames = 0;
  for (const char* capture : captures) {
    auto source = io::CaptureFileSource::open(capture);
    ASSERT_TRUE(source.ok()) << capture;
    io::Frame frame;
    while (source.value()->next(frame) == io::ReadStatus::kFrame) {
      packet::ParsedFrame f;
      packet::parseFrame(frame.bytes, f);
      if (!f.has(packet::Layer::kCdp) || !f.cdp.hasCapabilities) continue;
      ++cdpFrames;
      DeviceEvidence e;
      e.mac = f.eth.src;
      (void)updateEvidence(e, f, 0, EvidenceOptions{});
      SCOPED_TRACE(std::string(capture) + " " + e.describe());
      EXPECT_TRUE(e.cdpCapabilities == 0x28 || e.cdpCapabilities == 0x29) << std::hex << e.cdpCapabilities;
      EXPECT_FALSE(firedSignals(policy, phone, e) & signalBit(Signal::kCdpCapability));
    }
  }
  EXPECT_EQ(cdpFrames, 4 + 3 + 6);  // tshark -Y cdp: 4, 3 and 6 frames
}

// Requirements: R6
TEST(FingerprintContradiction, ALinuxFingerprintContradictsThePrinterClassAndTheExplanationSaysWhy) {
  const tables::CompiledPolicy policy = karlstadPolicy();
  tables::ExpectedOutcome t;
  t.mac = mac("9c:7b:ef:00:00:09");  // a printer maker's OUI
  t.mdnsServices = {"_ipp._tcp"};
  t.dhcpParameterList = kDebianLinux;
  const DeviceEvidence e = evidenceFromExpectedOutcome(t);
  const ClassDecision d = classifyDevice(policy, e, kQuarantine);
  EXPECT_EQ(d.className, "");
  EXPECT_EQ(d.zone, kQuarantine);
  ASSERT_NE(d.knownFingerprint, nullptr);
  EXPECT_EQ(d.knownFingerprint->description, "Ubuntu/Debian 5/Knoppix 6");
  const std::string text = d.explain(policy);
  EXPECT_NE(text.find("candidate printer 2/3 need 2 not matched (mdns.services,oui) contradicted: dhcp.parameter_list is "
                      "\"Ubuntu/Debian 5/Knoppix 6\" (Linux) in the policy's fingerprints, not Printers"),
            std::string::npos)
      << text;
  // Without the fingerprint the same device is a printer: the contradiction decided.
  t.dhcpParameterList.clear();
  EXPECT_EQ(classifyDevice(policy, evidenceFromExpectedOutcome(t), kQuarantine).className, "printer");
}

}  // namespace
}  // namespace portvakt::fingerprint

namespace portvakt::fingerprint {
namespace {

// `require: [[dhcp.fingerprint, oui]]` with `evidence: any`: mDNS alone fires
// but does not satisfy the group; either kind of the group does.
TEST(RequireGroups, OneKindOfEachGroupMustFire) {
  tables::CompiledPolicy policy = testing::karlstadPolicy();
  tables::DeviceClass& printer = policy.classes[static_cast<size_t>(findClass(policy, "printer"))];
  printer.evidenceRequired = 1;
  printer.required.clear();
  printer.requiredAnyOf = {{tables::Signal::kOui, tables::Signal::kDhcpFingerprint}};
  tables::ExpectedOutcome t;
  t.mac = testing::mac("02:00:00:00:00:31");
  t.mdnsServices = {"_ipp._tcp"};
  ClassDecision d = classifyDevice(policy, evidenceFromExpectedOutcome(t), testing::kQuarantine);
  EXPECT_EQ(d.className, "") << d.explain(policy);
  t.mac = testing::mac("00:1e:0b:00:00:31");  // the group's oui
  d = classifyDevice(policy, evidenceFromExpectedOutcome(t), testing::kQuarantine);
  EXPECT_EQ(d.className, "printer") << d.explain(policy);
  t.mac = testing::mac("02:00:00:00:00:31");
  t.dhcpParameterList = testing::kHpPrinter;  // the group's dhcp.fingerprint
  d = classifyDevice(policy, evidenceFromExpectedOutcome(t), testing::kQuarantine);
  EXPECT_EQ(d.className, "printer") << d.explain(policy);
}

}  // namespace
}  // namespace portvakt::fingerprint
