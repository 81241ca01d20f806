// R10, personal data minimised: a DHCP host name can name a person, so the
// profiler keeps it only where the policy uses it (the inventory's host name
// for that MAC, checked against spoofing; or a class matching host names).
#include <gtest/gtest.h>

#include "dataplane/fingerprint/device_profiler.h"
#include "tests/dataplane/fingerprint/karlstad_policy.h"
#include "tests/dataplane/fingerprint/profiler_frames.h"

namespace portvakt::fingerprint {
namespace {

using namespace testing;

const Bytes kWin10(kWindows10.begin(), kWindows10.end());

// Requirements: R10
TEST(HostnameMinimisation, KeptOnlyWhereThePolicyUsesIt) {
  DeviceProfiler p({}, karlstadPolicyPtr());  // no class matches host names
  // A laptop nobody inventoried: its host name names its owner and is not kept.
  const DeviceRecord* laptop =
      p.observe(*dhcpFrame("a4:83:e7:00:00:01", "", Bytes{1, 3, 6, 15}, "anna-andersson"), kWallJack, 0);
  ASSERT_NE(laptop, nullptr);
  EXPECT_FALSE(laptop->evidence.has(Trait::kDhcpHostname));
  EXPECT_EQ(laptop->evidence.describe().find("anna"), std::string::npos) << laptop->evidence.describe();
  // The eKlient's host name is checked against its inventory entry: kept, and
  // a host that copies its MAC is still caught by the name it sends.
  const DeviceRecord* eklient =
      p.observe(*dhcpFrame("3c:52:82:1a:2b:3c", "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 0);
  ASSERT_NE(eklient, nullptr);
  EXPECT_EQ(eklient->evidence.dhcpHostname.view(), "EK-KSD-0231");

  // A policy with a class that matches host names keeps every host name.
  tables::CompiledPolicy byName = karlstadPolicy();
  byName.classes[0].dhcpHostname = {"EK-*"};
  DeviceProfiler q({}, std::make_shared<const tables::CompiledPolicy>(std::move(byName)));
  laptop = q.observe(*dhcpFrame("a4:83:e7:00:00:01", "", Bytes{1, 3, 6, 15}, "anna-andersson"), kWallJack, 0);
  ASSERT_NE(laptop, nullptr);
  EXPECT_EQ(laptop->evidence.dhcpHostname.view(), "anna-andersson");
}

}  // namespace
}  // namespace portvakt::fingerprint
