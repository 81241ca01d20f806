// The device persister against a real SQLite file: it writes only what
// changed, remembers only the devices of the current snapshot (the
// profiler's bounded table), and keeps the devices table bounded.
#include "control/daemon/device_persister.h"

#include <gtest/gtest.h>

#include "tests/control/store/temp_dir.h"

namespace portvakt::control {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

DeviceSnapshot stranger(int i, int64_t seenSeconds) {
  DeviceSnapshot d;
  char mac[18];
  std::snprintf(mac, sizeof mac, "06:00:00:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  d.evidence.mac = *tables::MacAddress::parse(mac);
  d.port = "eth3";
  d.zone = "quarantine";
  d.firstSeenNs = d.lastSeenNs = seenSeconds * kNsPerSecond;
  return d;
}

DeviceSnapshot eklient(int64_t seenSeconds) {
  DeviceSnapshot d = stranger(0, seenSeconds);
  d.evidence.mac = *tables::MacAddress::parse("3c:52:82:1a:2b:3c");
  d.deviceClass = "eklient";
  d.zone = "region";
  return d;
}

// Issue 14: a flood passes through the profiler's table (4096 records,
// recycled); the persister's memory of what it wrote and the table on disk
// must not grow with every MAC that ever passed.
TEST(DevicePersister, MemoryAndTableStayBoundedUnderAFlood) {
  portvakt::testing::TempDir dir;
  auto opened = store::Store::open(dir.file("portvakt.db"));
  ASSERT_TRUE(opened) << opened.error().message;
  store::Store& db = *opened.value();
  DevicePersister persister(db, {.unclassifiedRetention = std::chrono::seconds(60), .maxRows = 500});
  int next = 1;
  int64_t now = 1'000'000;
  for (int flush = 0; flush < 40; ++flush, now += 5) {
    // Each flush sees the classified PC and 200 strangers it has never seen.
    std::vector<DeviceSnapshot> snapshot{eklient(now)};
    for (int i = 0; i < 200; ++i) snapshot.push_back(stranger(next++, now));
    auto written = persister.flush(snapshot, fromUnixSeconds(now));
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_EQ(*written, 201u);
    EXPECT_LE(persister.remembered(), snapshot.size()) << "flush " << flush;
    EXPECT_LE(*db.deviceCount(), 500) << "flush " << flush;
  }
  EXPECT_EQ(persister.remembered(), 201u);
  EXPECT_GT(persister.pruned(), 7000);
  EXPECT_TRUE(db.device("3c:52:82:1a:2b:3c")) << "the classified device stays";
  // Unchanged rows are not written again.
  std::vector<DeviceSnapshot> quiet{eklient(now - 5)};
  ASSERT_TRUE(persister.flush(quiet, fromUnixSeconds(now)));
  auto again = persister.flush(quiet, fromUnixSeconds(now));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
  // Strangers not seen for the retention go by age, the PC does not.
  auto pruned = db.pruneDevices(store::TimeS(std::chrono::seconds(now + 1000 - 60)), 500);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*db.deviceCount(), 1);
}

}  // namespace
}  // namespace portvakt::control
