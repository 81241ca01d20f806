#include "dataplane/forward/mac_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace portvakt::forward {
namespace {

MacAddress mac(uint32_t n) {
  MacAddress m;
  m.bytes = {0x02,
             0x00,
             static_cast<uint8_t>(n >> 24),
             static_cast<uint8_t>(n >> 16),
             static_cast<uint8_t>(n >> 8),
             static_cast<uint8_t>(n)};
  return m;
}

TEST(MacTable, KeyPacksZoneAndMac) {
  MacAddress m = *MacAddress::parse("aa:bb:cc:dd:ee:ff");
  uint64_t key = MacTable::makeKey(7, m);
  EXPECT_EQ(MacTable::zoneOf(key), 7);
  EXPECT_EQ(MacTable::macOf(key), m);
}

TEST(MacTable, TouchRefreshesOnlyPresentEntries) {
  MacTable t(4, 10);
  PortIndex previous = kNoPort;
  EXPECT_FALSE(t.touch(1, mac(1), 0)) << "absent: not inserted";
  EXPECT_EQ(t.size(), 0u);
  ASSERT_EQ(t.learn(1, mac(1), 3, 0, previous), MacTable::LearnResult::kLearned);
  EXPECT_TRUE(t.touch(1, mac(1), 8));
  EXPECT_EQ(t.lookup(1, mac(1), 15), 3) << "the touch at 8 keeps it alive until 18";
  EXPECT_FALSE(t.touch(2, mac(1), 8)) << "another zone's key";
}

// The switch's learning step for a known device: refreshIfOn must be exactly
// learn()'s kRefreshed case, and change nothing in every other case (the
// switch then takes the full learning path, which counts moves and new MACs).
TEST(MacTable, RefreshIfOnIsLearnsRefreshAndNothingElse) {
  MacTable t(4, 10);
  PortIndex previous = kNoPort;
  EXPECT_FALSE(t.refreshIfOn(1, mac(1), 3, 0)) << "absent: not inserted";
  EXPECT_EQ(t.size(), 0u);
  ASSERT_EQ(t.learn(1, mac(1), 3, 0, previous), MacTable::LearnResult::kLearned);
  EXPECT_FALSE(t.refreshIfOn(1, mac(1), 4, 5)) << "on another port: a move, for learn() to count";
  EXPECT_EQ(t.peek(1, mac(1)), 3) << "and the entry stays where it was";
  EXPECT_EQ(t.lookup(1, mac(1), 11), kNoPort) << "not refreshed by the refused call at 5: aged out after 10";
  EXPECT_TRUE(t.refreshIfOn(1, mac(1), 3, 12)) << "aged out but present on its port: refreshed, as learn() does";
  EXPECT_EQ(t.lookup(1, mac(1), 20), 3);
  EXPECT_FALSE(t.refreshIfOn(2, mac(1), 3, 12)) << "another zone's key";
  EXPECT_EQ(t.learn(1, mac(1), 3, 13, previous), MacTable::LearnResult::kRefreshed);
  EXPECT_EQ(t.size(), 1u);
}

TEST(MacTable, LearnLookupMoveAndZonesAreSeparate) {
  MacTable t(16, 1000);
  PortIndex prev = 0;
  EXPECT_EQ(t.learn(1, mac(1), 3, 0, prev), MacTable::LearnResult::kLearned);
  EXPECT_EQ(t.learn(1, mac(1), 3, 10, prev), MacTable::LearnResult::kRefreshed);
  EXPECT_EQ(t.lookup(1, mac(1), 10), 3);
  EXPECT_EQ(t.lookup(2, mac(1), 10), kNoPort) << "learning is per zone";
  EXPECT_EQ(t.learn(1, mac(1), 4, 20, prev), MacTable::LearnResult::kMoved);
  EXPECT_EQ(prev, 3);
  EXPECT_EQ(t.lookup(1, mac(1), 20), 4);
  EXPECT_EQ(t.size(), 1u);
}

TEST(MacTable, AgedEntriesAreAbsentAndSwept) {
  MacTable t(16, 1000);
  PortIndex prev = 0;
  (void)t.learn(1, mac(1), 3, 0, prev);
  (void)t.learn(1, mac(2), 3, 900, prev);
  EXPECT_EQ(t.lookup(1, mac(1), 1000), 3);
  EXPECT_EQ(t.lookup(1, mac(1), 1001), kNoPort);
  EXPECT_EQ(t.peek(1, mac(1)), 3) << "present until swept";
  std::vector<MacAddress> gone;
  EXPECT_EQ(t.sweep(1001, [&](ZoneId, const MacAddress& m, PortIndex) { gone.push_back(m); }), 1u);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], mac(1));
  EXPECT_EQ(t.size(), 1u);
}

TEST(MacTable, BoundedSize) {
  MacTable t(4, 1000);
  PortIndex prev = 0;
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(t.learn(0, mac(i), 1, 0, prev), MacTable::LearnResult::kLearned);
  EXPECT_EQ(t.learn(0, mac(99), 1, 0, prev), MacTable::LearnResult::kFull);
  EXPECT_EQ(t.learn(0, mac(2), 1, 0, prev), MacTable::LearnResult::kRefreshed) << "known keys still refresh";
}

// Random churn against std::map: backward-shift deletion must never lose or
// resurrect an entry.
TEST(MacTable, RandomChurnMatchesReference) {
  MacTable t(512, 1'000'000);
  std::map<uint64_t, PortIndex> ref;
  std::mt19937 rng(42);
  for (int step = 0; step < 200000; ++step) {
    ZoneId z = static_cast<ZoneId>(rng() % 3);
    MacAddress m = mac(rng() % 700);
    uint64_t key = MacTable::makeKey(z, m);
    switch (rng() % 4) {
      case 0:
      case 1: {
        PortIndex p = static_cast<PortIndex>(rng() % 8), prev = 0;
        auto r = t.learn(z, m, p, 0, prev);
        if (r == MacTable::LearnResult::kFull) {
          ASSERT_EQ(ref.size(), 512u);
          ASSERT_EQ(ref.count(key), 0u);
        } else {
          ref[key] = p;
        }
        break;
      }
      case 2: ASSERT_EQ(t.erase(z, m), ref.erase(key) == 1); break;
      case 3: {
        auto it = ref.find(key);
        ASSERT_EQ(t.lookup(z, m, 0), it == ref.end() ? kNoPort : it->second);
        break;
      }
    }
    if (step % 50000 == 0) {
      PortIndex victim = static_cast<PortIndex>(rng() % 8);
      t.flushPort(victim, [](ZoneId, const MacAddress&, PortIndex) {});
      std::erase_if(ref, [&](const auto& kv) { return kv.second == victim; });
    }
    ASSERT_EQ(t.size(), ref.size());
  }
  size_t seen = 0;
  t.forEach([&](ZoneId z, const MacAddress& m, PortIndex p, int64_t) {
    ++seen;
    EXPECT_EQ(ref.at(MacTable::makeKey(z, m)), p);
  });
  EXPECT_EQ(seen, ref.size());
}

}  // namespace
}  // namespace portvakt::forward
