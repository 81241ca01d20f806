// The supervisor's failure paths that need no network namespace: a refused
// configuration, a missing hostapd, and a "hostapd" that exits at once
// (/bin/false, a real program) restarted with a doubling backoff. The real
// hostapd, killed, hung and restarted, is in tests/e2e/dot1x.sh.
#include "control/dot1x/hostapd_supervisor.h"

#include <condition_variable>
#include <gtest/gtest.h>
#include <mutex>
#include <vector>

#include "tests/control/store/temp_dir.h"

namespace portvakt::dot1x {
namespace {

using std::chrono::milliseconds;

Dot1xConfig configIn(const std::string& runtimeDir) {
  Dot1xConfig config;
  config.runtimeDir = runtimeDir;
  config.servers = {RadiusServer{"127.0.0.1", 1812, "secret"}};
  config.ports = {Dot1xPort{"acc1", std::chrono::seconds(3600)}};
  return config;
}

TEST(HostapdSupervisor, RefusesABadConfigurationWithTheReason) {
  portvakt::testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  Dot1xConfig config = configIn(dir.file("rt"));
  config.servers[0].sharedSecret = "secret\nauth_server_addr=203.0.113.9";
  auto supervisor = HostapdSupervisor::start(config, SupervisorOptions{}, nullptr);
  ASSERT_FALSE(supervisor);
  EXPECT_NE(supervisor.error().message.find("shared secret contains a byte outside printable ASCII"), std::string::npos)
      << supervisor.error().message;
}

TEST(HostapdSupervisor, SaysWhenHostapdIsMissing) {
  portvakt::testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  SupervisorOptions options;
  options.hostapdBinary = dir.file("no-hostapd-here");
  auto supervisor = HostapdSupervisor::start(configIn(dir.file("rt")), options, nullptr);
  ASSERT_FALSE(supervisor);
  EXPECT_NE(supervisor.error().message.find(options.hostapdBinary), std::string::npos) << supervisor.error().message;
  EXPECT_NE(supervisor.error().message.find("install the Debian package hostapd"), std::string::npos);
}

TEST(HostapdSupervisor, AHostapdThatExitsIsRestartedWithADoublingBackoff) {
  portvakt::testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  SupervisorOptions options;
  options.hostapdBinary = "/bin/false";
  options.backoffInitial = milliseconds(10);
  options.backoffMax = milliseconds(40);
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> exits;
  auto supervisor = HostapdSupervisor::start(configIn(dir.file("rt")), options, [&](const SupervisorNotice& notice) {
    if (notice.kind != SupervisorNotice::Kind::kHostapdExited) return;
    std::lock_guard lock(mutex);
    exits.push_back(notice.message);
    changed.notify_all();
  });
  ASSERT_TRUE(supervisor) << supervisor.error().message;
  {
    std::unique_lock lock(mutex);
    // A functional deadline: four exits take about 0.1 s.
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(30), [&] { return exits.size() >= 4; }));
    EXPECT_NE(exits[0].find("exited with status 1; starting it again in 10 ms"), std::string::npos) << exits[0];
    EXPECT_NE(exits[1].find("starting it again in 20 ms"), std::string::npos) << exits[1];
    EXPECT_NE(exits[2].find("starting it again in 40 ms"), std::string::npos) << exits[2];
    EXPECT_NE(exits[3].find("starting it again in 40 ms"), std::string::npos) << "capped: " << exits[3];
    EXPECT_NE(exits[0].find(dir.file("rt") + "/hostapd-acc1.log"), std::string::npos) << "names the log: " << exits[0];
  }
  const auto ports = (*supervisor)->ports();
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_GE(ports[0].starts, 4u);
  EXPECT_FALSE(ports[0].attached);
  // Commands while hostapd is not attached fail with a reason, not a hang.
  const auto mac = *tables::MacAddress::parse("02:00:00:d1:00:01");
  auto notRunning = (*supervisor)->deauthenticate("acc1", mac);
  ASSERT_FALSE(notRunning);
  EXPECT_NE(notRunning.error().message.find("hostapd for acc1 is not running"), std::string::npos)
      << notRunning.error().message;
  auto unknown = (*supervisor)->station("acc9", mac);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("port acc9 is not an 802.1X port"), std::string::npos);
}

}  // namespace
}  // namespace portvakt::dot1x
