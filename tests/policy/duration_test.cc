// Policy durations (mac_mobility, retention): units, and values too large for
// int64_t nanoseconds refused instead of wrapping into a small, valid-looking one.
#include "policy/compiler/duration.h"

#include <gtest/gtest.h>

namespace portvakt::policy {
namespace {

TEST(PolicyDuration, UnitsAndTheInt64Limit) {
  EXPECT_EQ(parseDurationNs("90s"), int64_t{90} * 1'000'000'000);
  EXPECT_EQ(parseDurationNs("5m"), int64_t{300} * 1'000'000'000);
  EXPECT_EQ(parseDurationNs("2h"), int64_t{7200} * 1'000'000'000);
  EXPECT_EQ(parseDurationNs("1d"), int64_t{86400} * 1'000'000'000);
  EXPECT_EQ(parseDurationNs("106751d"), int64_t{106751} * 86400 * 1'000'000'000);  // the largest whole day
  EXPECT_EQ(parseDurationNs("106752d"), std::nullopt);
  EXPECT_EQ(parseDurationNs("10000000d"), std::nullopt);
  for (const char* bad : {"", "d", "5", "-3d", "1.5d", "5 m", "5w", "m5"})
    EXPECT_EQ(parseDurationNs(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace portvakt::policy
