// The supervisor's failure paths that need no network namespace: a refused
// configuration, a missing hostapd, and a "hostapd" that exits at once
// (/bin/false, a real program) restarted with a doubling backoff. The real
// hostapd, killed, hung and restarted, is in tests/e2e/dot1x.sh.
#include "control/dot1x/hostapd_supervisor.h"

#include <sys/stat.h>

#include <condition_variable>
#include <fstream>
#include <thread>
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

// The log is in RAM (/run): a chatty hostapd must not grow it without bound.
// The stand-in writes 3 MB and then keeps running without a control socket.
TEST(HostapdSupervisor, KeepsHostapdsLogBounded) {
  portvakt::testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string chatty = dir.file("chatty-hostapd");
  std::ofstream(chatty) << "#!/bin/sh\nhead -c 3000000 /dev/zero | tr '\\0' x\nexec sleep 60\n";
  ASSERT_EQ(::chmod(chatty.c_str(), 0700), 0);
  SupervisorOptions options;
  options.hostapdBinary = chatty;
  options.maxLogBytes = 100000;
  options.startTimeout = milliseconds(120000);
  const Dot1xConfig config = configIn(dir.file("rt"));
  auto supervisor = HostapdSupervisor::start(config, options, nullptr);
  ASSERT_TRUE(supervisor) << supervisor.error().message;
  const std::string log = hostapdLogPath(config, "acc1");
  auto size = [](const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
  };
  // Functional deadline: the 3 MB are written and trimmed well within it.
  bool trimmed = false;
  for (int i = 0; i < 300 && !trimmed; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    trimmed = size(log + ".1") > 0 && size(log) <= options.maxLogBytes;
  }
  EXPECT_TRUE(trimmed) << "log " << size(log) << " bytes, log.1 " << size(log + ".1") << " bytes";
  // Keep watching until the writer is done: the file never stays above the bound.
  std::this_thread::sleep_for(milliseconds(2500));
  EXPECT_LE(size(log), options.maxLogBytes);
  EXPECT_LE(size(log + ".1"), options.maxLogBytes);
  struct stat info {};
  ASSERT_EQ(::stat(log.c_str(), &info), 0);
  EXPECT_LE(static_cast<uint64_t>(info.st_blocks) * 512, options.maxLogBytes + 65536) << "not sparse";
}

}  // namespace
}  // namespace portvakt::dot1x
