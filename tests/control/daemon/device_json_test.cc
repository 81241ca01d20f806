// Device evidence survives the store: what evidenceToJson writes,
// evidenceFromJson reads back to the same traits; bad rows are errors that
// name the key, and over-long values stay bounded.
#include "control/daemon/device_json.h"
#include "tests/control/daemon/status_text.h"

#include <gtest/gtest.h>

namespace portvakt::control {
namespace {

using fingerprint::DeviceEvidence;
using fingerprint::Trait;
using nlohmann::json;

DeviceEvidence phoneEvidence() {
  DeviceEvidence e;
  e.mac = *tables::MacAddress::parse("80:5e:c0:12:34:56");
  (void)e.dhcpVendorClass.assign("yealink");
  const uint8_t codes[] = {1, 3, 6, 15, 66};
  (void)e.dhcpParameterList.assign(codes);
  e.lldpMedCapabilities = 0x23;
  e.lldpMedDeviceType = 3;
  e.lldpApplications = 0x2;
  e.lldpVoiceVlan = 20;
  e.lldpCapabilities = 0x24;
  (void)e.sipUserAgent.assign("Yealink SIP-T54W 96.86.0.70");
  (void)e.addMdnsService("_sip._udp", 5);
  e.present |= fingerprint::traitBit(Trait::kDhcpVendorClass) | fingerprint::traitBit(Trait::kDhcpParameterList) |
               fingerprint::traitBit(Trait::kLldpMedCapabilities) | fingerprint::traitBit(Trait::kLldpNetworkPolicy) |
               fingerprint::traitBit(Trait::kLldpCapabilities) | fingerprint::traitBit(Trait::kSipUserAgent);
  return e;
}

TEST(DeviceJson, EvidenceRoundTrips) {
  const DeviceEvidence in = phoneEvidence();
  const json written = evidenceToJson(in);
  EXPECT_EQ(written["lldp_med.voice_vlan"], 20);
  EXPECT_EQ(written["dhcp.parameter_list"], json::array({1, 3, 6, 15, 66}));
  EXPECT_FALSE(written.contains("cdp.platform")) << "only traits the device showed";
  DeviceEvidence out;
  out.mac = in.mac;
  ASSERT_EQ(errorOf(evidenceFromJson(json::parse(written.dump()), out)), std::nullopt);
  EXPECT_EQ(out.present, in.present);
  EXPECT_EQ(out.dhcpVendorClass.view(), "yealink");
  EXPECT_TRUE(out.dhcpParameterList.equals(in.dhcpParameterList.codes()));
  EXPECT_EQ(out.lldpMedCapabilities, 0x23);
  EXPECT_EQ(out.lldpMedDeviceType, 3);
  EXPECT_EQ(out.lldpApplications, 0x2);
  EXPECT_EQ(out.lldpVoiceVlan, std::optional<uint16_t>(20));
  EXPECT_EQ(out.lldpCapabilities, 0x24);
  EXPECT_EQ(out.sipUserAgent.view(), in.sipUserAgent.view());
  EXPECT_TRUE(out.hasMdnsService("_sip._udp"));
  EXPECT_EQ(evidenceToJson(out), written);
}

TEST(DeviceJson, BadRowsNameTheKey) {
  DeviceEvidence e;
  EXPECT_EQ(errorOf(evidenceFromJson(json::array(), e)), "evidence: not a JSON object");
  EXPECT_EQ(errorOf(evidenceFromJson(json{{"dhcp.vendor_class", 5}}, e)), "dhcp.vendor_class: not a string");
  EXPECT_EQ(errorOf(evidenceFromJson(json{{"lldp_med.capabilities", -1}}, e)),
            "lldp_med.capabilities: not a number from 0 to 65535");
  EXPECT_EQ(errorOf(evidenceFromJson(json{{"dhcp.parameter_list", json::array({1, 300})}}, e)),
            "dhcp.parameter_list: a code is not 0-255");
  EXPECT_EQ(errorOf(evidenceFromJson(json{{"os", "windows"}}, e)), "evidence: unknown key 'os'");
  store::DeviceRecord row;
  row.mac = "not-a-mac";
  auto seed = toSeed(row);
  ASSERT_FALSE(seed);
  EXPECT_EQ(seed.error().message, "device not-a-mac: not a MAC address");
  row.mac = "80:5e:c0:12:34:56";
  row.evidenceJson = "{";
  auto unreadable = toSeed(row);
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().message, "device 80:5e:c0:12:34:56: evidence is not JSON");
}

TEST(DeviceJson, OverlongValuesStayBounded) {
  DeviceEvidence e;
  ASSERT_EQ(
      errorOf(evidenceFromJson(json{{"sip.user_agent", std::string(100000, 'x')},
                                    {"mdns.services", json::array({"_a._tcp", "_b._tcp", "_c._tcp", "_d._tcp", "_e._tcp",
                                                                   "_f._tcp", "_g._tcp", "_h._tcp", "_i._tcp"})}},
                               e)),
      std::nullopt);
  EXPECT_EQ(e.sipUserAgent.view().size(), fingerprint::kMaxTraitText);
  EXPECT_TRUE(e.sipUserAgent.truncated());
  EXPECT_EQ(e.mdnsServiceCount, fingerprint::kMaxMdnsServices);
}

TEST(DeviceJson, SeedCarriesPortAndTimes) {
  store::DeviceRecord row;
  row.mac = "80:5E:C0:12:34:56";
  row.port = "eth4";
  row.evidenceJson = evidenceToJson(phoneEvidence()).dump();
  row.firstSeen = 100;
  row.lastSeen = 200;
  auto seed = toSeed(row);
  ASSERT_TRUE(seed) << seed.error().message;
  EXPECT_EQ(seed->port, "eth4");
  EXPECT_EQ(seed->firstSeenNs, 100'000'000'000);
  EXPECT_EQ(seed->lastSeenNs, 200'000'000'000);
  EXPECT_EQ(seed->evidence.mac.toString(), "80:5e:c0:12:34:56");
  EXPECT_EQ(seed->evidence.lldpVoiceVlan, std::optional<uint16_t>(20));
}

}  // namespace
}  // namespace portvakt::control
