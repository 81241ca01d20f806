// 802.1X admission in the profiler: on a port that requires 802.1X the
// eKlient class needs an authorised session whose identity is the inventory
// asset of that very MAC. A copied MAC with the exact Windows DHCP
// fingerprint stays in the port's default zone; a certificate of another
// asset is no evidence; a session that ends (or belongs to another port)
// takes the device out at once; while RADIUS does not answer, unauthorised
// devices go to the policy's fallback zone.
#include <gtest/gtest.h>

#include "dataplane/fingerprint/device_profiler.h"
#include "tests/dataplane/fingerprint/karlstad_policy.h"
#include "tests/dataplane/fingerprint/profiler_frames.h"

namespace portvakt::fingerprint {
namespace {

using namespace testing;

const Bytes kWin10(kWindows10.begin(), kWindows10.end());
constexpr const char* kEklientMac = "3c:52:82:1a:2b:3c";  // inventory asset RV-100231

// Karlstad with 802.1X required on the wall jacks, as a site of the region
// base runs it: the profiling-only eklient class switched off, so that the
// base's eklient-dot1x (inventory and an authorised identity) places eKlients.
tables::CompiledPolicyPtr dot1xPolicy() {
  tables::CompiledPolicy p = karlstadPolicy();
  for (tables::Port& port : p.ports) {
    if (port.group == "wall-jacks") port.authentication = tables::Authentication::kDot1x;
  }
  std::erase_if(p.classes, [](const tables::DeviceClass& c) { return c.name == "eklient"; });
  p.dot1x.radiusServers = {{"10.20.0.5", 1812}};
  p.dot1x.unreachableZone = kConference;
  return std::make_shared<const tables::CompiledPolicy>(std::move(p));
}

Dot1xSnapshotPtr sessions(std::vector<Dot1xAuthorisation> s, bool unreachable = false) {
  auto snap = std::make_shared<Dot1xSnapshot>();
  snap->sessions = std::move(s);
  snap->radiusUnreachable = unreachable;
  return snap;
}

// Requirements: R1a
TEST(Dot1xAdmission, CopiedMacAndFingerprintWithoutSessionStayOutOfRegion) {
  DeviceProfiler p({}, dot1xPolicy());
  const DeviceRecord* r = p.observe(*dhcpFrame(kEklientMac, "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 0);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->zone, kQuarantine) << r->committed.explain(*p.policy());
  EXPECT_TRUE(r->committed.className.empty());
}

// Requirements: R1a
TEST(Dot1xAdmission, AuthorisedAsItsOwnAssetIsPlacedInRegionAndLeavesAtOnce) {
  DeviceProfiler p({}, dot1xPolicy());
  (void)p.observe(*dhcpFrame(kEklientMac, "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 0);
  p.setDot1x(sessions({{mac(kEklientMac), kWallJack, "RV-100231"}}), 1);
  const DeviceRecord* r = p.find(mac(kEklientMac));
  EXPECT_EQ(r->zone, kRegion) << r->committed.explain(*p.policy());
  EXPECT_EQ(r->committed.className, "eklient-dot1x");
  p.setDot1x(sessions({}), 2);  // logoff, failed re-authentication, hostapd restarted
  r = p.find(mac(kEklientMac));
  EXPECT_EQ(r->zone, kQuarantine);
}

// Requirements: R1a
TEST(Dot1xAdmission, AnotherAssetsIdentityIsNoEvidence) {
  DeviceProfiler p({}, dot1xPolicy());
  p.setDot1x(sessions({{mac(kEklientMac), kWallJack, "RV-100232"}}), 0);
  const DeviceRecord* r = p.observe(*dhcpFrame(kEklientMac, "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 1);
  EXPECT_EQ(r->zone, kQuarantine) << r->committed.explain(*p.policy());
  // An identity that only starts like the asset id, or is cut, is not it either.
  p.setDot1x(sessions({{mac(kEklientMac), kWallJack, "RV-100231x"}}), 2);
  EXPECT_EQ(p.find(mac(kEklientMac))->zone, kQuarantine);
  p.setDot1x(sessions({{mac(kEklientMac), kWallJack, "RV-100231" + std::string(100, ' ')}}), 3);
  EXPECT_EQ(p.find(mac(kEklientMac))->zone, kQuarantine);
}

// Requirements: R1a
TEST(Dot1xAdmission, SessionOnAnotherPortDoesNotCountAndAMoveLeavesAtOnce) {
  DeviceProfiler p({}, dot1xPolicy());
  p.setDot1x(sessions({{mac(kEklientMac), kWallJack2, "RV-100231"}}), 0);
  const DeviceRecord* r = p.observe(*dhcpFrame(kEklientMac, "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 1);
  EXPECT_EQ(r->zone, kQuarantine);
  r = p.observe(*dhcpFrame(kEklientMac, "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack2, 10 * kNsPerSecond);
  EXPECT_EQ(r->zone, kRegion) << r->committed.explain(*p.policy());
  // Back on the first jack (no session there): out with the first frame, no hysteresis.
  r = p.observe(*dataFrame(kEklientMac), kWallJack, 20 * kNsPerSecond);
  EXPECT_EQ(r->zone, kQuarantine) << r->committed.explain(*p.policy());
}

// Requirements: R1a
TEST(Dot1xAdmission, RadiusUnreachableSendsUnauthorisedDevicesToTheFallbackZone) {
  DeviceProfiler p({}, dot1xPolicy());
  const MacAddress other = mac("3c:52:82:1a:2b:3d");
  p.setDot1x(sessions({{mac(kEklientMac), kWallJack, "RV-100231"}}), 0);
  (void)p.observe(*dhcpFrame(kEklientMac, "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 1);
  (void)p.observe(*dataFrame("3c:52:82:1a:2b:3d"), kWallJack, 2);
  EXPECT_EQ(p.find(other)->zone, kQuarantine);
  p.setDot1x(sessions({{mac(kEklientMac), kWallJack, "RV-100231"}}, true), 3);
  EXPECT_EQ(p.find(other)->zone, kConference);
  EXPECT_EQ(p.find(mac(kEklientMac))->zone, kRegion);  // the authorised session is kept
  p.setDot1x(sessions({{mac(kEklientMac), kWallJack, "RV-100231"}}, false), 4);
  EXPECT_EQ(p.find(other)->zone, kQuarantine);
}

}  // namespace
}  // namespace portvakt::fingerprint
