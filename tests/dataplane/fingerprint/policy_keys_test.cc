// Two policy keys the profiler honours: LLDP-MED application types as class
// evidence (a video bar announcing a video-conferencing network policy), and
// randomized_macs: quarantine (locally administered MACs are not admitted
// unless an engineer pins them).
#include <gtest/gtest.h>

#include "dataplane/fingerprint/device_profiler.h"
#include "tests/dataplane/fingerprint/karlstad_policy.h"
#include "tests/dataplane/fingerprint/profiler_frames.h"

namespace portvakt::fingerprint {
namespace {

using namespace testing;

tables::CompiledPolicyPtr withVideoClass(bool quarantineRandomized) {
  tables::CompiledPolicy p = karlstadPolicy();
  tables::DeviceClass video;
  video.name = "video-endpoint";
  video.zone = kConference;
  video.priority = 60;
  video.lldpMedApplications = {6};  // video-conferencing
  video.configuredSignals = 1;
  video.evidenceRequired = 1;
  p.classes.insert(p.classes.begin(), video);  // highest priority first
  p.randomizedMacs = quarantineRandomized ? tables::RandomizedMacs::kQuarantine : tables::RandomizedMacs::kClassify;
  p.seal();
  return std::make_shared<const tables::CompiledPolicy>(p);
}

// Requirements: R2
TEST(PolicyKeys, LldpMedApplicationTypesAreEvidence) {
  DeviceProfiler p({}, withVideoClass(false));
  const char* bar = "c0:28:8d:00:10:01";
  const DeviceRecord* r = p.observe(*lldpFrame(bar, 0x0004, 0, /*application=*/6), kWallJack, 0);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->committed.className, "video-endpoint");
  EXPECT_EQ(r->zone, kConference);
  // Another application type (streaming video, 7) is not the one the class asks for.
  const char* other = "00:11:22:00:10:02";
  r = p.observe(*lldpFrame(other, 0x0004, 0, /*application=*/7), kWallJack2, 0);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->committed.className, "video-endpoint");
}

TEST(PolicyKeys, RandomizedMacsAreQuarantinedWhenThePolicySaysSo) {
  const char* randomized = "3a:11:22:33:44:55";  // locally administered
  {
    DeviceProfiler classify({}, withVideoClass(false));
    const DeviceRecord* r = classify.observe(*lldpFrame(randomized, 0x0004, 0, 6), kWallJack, 0);
    ASSERT_NE(r, nullptr);
    EXPECT_TRUE(r->randomized);
    EXPECT_EQ(r->zone, kConference);  // classified like any device
  }
  DeviceProfiler strict({}, withVideoClass(true));
  const DeviceRecord* r = strict.observe(*lldpFrame(randomized, 0x0004, 0, 6), kWallJack, 0);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->committed.className, "video-endpoint");  // the evidence still says what it is
  EXPECT_EQ(r->zone, kQuarantine);                      // but the policy does not admit it
}

TEST(PolicyKeys, APinStillPlacesARandomizedMac) {
  tables::CompiledPolicy p = *withVideoClass(true);
  tables::Pin pin;
  pin.mac = mac("3a:11:22:33:44:56");
  pin.zone = kConference;
  pin.deviceClass = "video-endpoint";
  pin.reason = "the meeting room bar randomises its MAC";
  p.pins.push_back(pin);
  p.seal();
  DeviceProfiler profiler({}, std::make_shared<const tables::CompiledPolicy>(p));
  const DeviceRecord* r = profiler.observe(*lldpFrame("3a:11:22:33:44:56", 0x0004, 0, 6), kWallJack, 0);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->committed.pinned);
  EXPECT_EQ(r->zone, kConference);
}

}  // namespace
}  // namespace portvakt::fingerprint
