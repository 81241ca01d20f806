// device_unknown: a device that no class (and no pin) places 30 s after it was
// first seen is reported once, so the service desk hears of the new printer or
// personal laptop in quarantine; a device classified in time, or restored
// after a restart, is not.
#include <gtest/gtest.h>

#include "dataplane/fingerprint/device_profiler.h"
#include "tests/dataplane/fingerprint/karlstad_policy.h"
#include "tests/dataplane/fingerprint/profiler_frames.h"

namespace portvakt::fingerprint {
namespace {

using namespace testing;

constexpr int64_t kSec = 1'000'000'000;

int unknownEvents(DeviceProfiler& p, const std::string& mac) {
  int n = 0;
  DeviceEvent e;
  while (p.popEvent(e)) {
    if (e.kind == DeviceEventKind::kUnknown && e.mac.toString() == mac) ++n;
  }
  return n;
}

// Requirements: R7
TEST(DeviceUnknown, RaisedOnceForADeviceStillUnplacedAfter30Seconds) {
  DeviceProfiler p({}, karlstadPolicyPtr());
  const std::string laptop = "a4:83:e7:00:00:01";
  const Bytes linuxParams{1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42};
  int raised = 0;
  for (int64_t t : {0, 10, 29}) {
    (void)p.observe(*dhcpFrame(laptop, "", linuxParams), kWallJack, t * kSec);
    raised += unknownEvents(p, laptop);
  }
  EXPECT_EQ(raised, 0) << "not before 30 s";
  for (int64_t t : {31, 40, 300}) {
    (void)p.observe(*dhcpFrame(laptop, "", linuxParams), kWallJack, t * kSec);
    raised += unknownEvents(p, laptop);
  }
  EXPECT_EQ(raised, 1) << "once, at its first frame after 30 s";
  EXPECT_EQ(eventType(DeviceEventKind::kUnknown), tables::EventType::kDeviceUnknown)
      << "raised as the alert device_unknown";

  // An eKlient that its DHCP places at once is never unknown.
  const std::string eklient = "3c:52:82:1a:2b:3c";
  const Bytes win10(kWindows10.begin(), kWindows10.end());
  for (int64_t t : {0, 31, 60})
    (void)p.observe(*dhcpFrame(eklient, "MSFT 5.0", win10, "EK-KSD-0231"), kWallJack2, t * kSec);
  EXPECT_EQ(unknownEvents(p, eklient), 0);

  // After a restart, a restored unplaced device is not announced again.
  DeviceProfiler restarted({}, karlstadPolicyPtr());
  const DeviceRecord* before = p.find(*tables::MacAddress::parse(laptop));
  ASSERT_NE(before, nullptr);
  ASSERT_NE(restarted.restore(before->evidence, kWallJack, 0, 300 * kSec, 400 * kSec), nullptr);
  (void)restarted.observe(*dhcpFrame(laptop, "", linuxParams), kWallJack, 401 * kSec);
  EXPECT_EQ(unknownEvents(restarted, laptop), 0);
}

}  // namespace
}  // namespace portvakt::fingerprint
