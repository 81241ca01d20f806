// The daemon's stderr rate limit: per event type and port, a burst per
// window, then one summary line for what was held back.
#include "control/daemon/event_log_limiter.h"

#include <gtest/gtest.h>

namespace portvakt::control {
namespace {

TEST(EventLogLimiter, AFloodOfOneKeyIsBoundedAndSummarised) {
  EventLogLimiter limiter({.window = std::chrono::seconds(10), .burst = 5, .maxKeys = 1024});
  int written = 0;
  std::vector<std::string> summaries;
  // 10 minutes of 1000 events a second from one port, summaries taken every 200 ms.
  for (int64_t ms = 0; ms < 600'000; ++ms) {
    if (ms % 200 == 0)
      for (std::string& s : limiter.takeSummaries(fromUnixMs(ms))) summaries.push_back(std::move(s));
    if (limiter.admit("device_new", "eth3", fromUnixMs(ms))) ++written;
  }
  EXPECT_EQ(written, 60 * 5) << "5 lines per 10 s window";
  EXPECT_EQ(summaries.size(), 59u) << "one per window that has ended";
  EXPECT_EQ(summaries.front(), "9995 similar event lines suppressed (event device_new, port eth3)");
  EXPECT_EQ(limiter.suppressedTotal(), 600'000u - 300u);
  EXPECT_EQ(limiter.suppressedByEvent().at("device_new"), 600'000u - 300u);
  EXPECT_LE(limiter.trackedKeys(), 1u);
}

TEST(EventLogLimiter, OneNoisyPortDoesNotSilenceAnother) {
  EventLogLimiter limiter;
  for (int i = 0; i < 100; ++i) (void)limiter.admit("mac_limit", "eth3", fromUnixMs(1000));
  EXPECT_TRUE(limiter.admit("mac_limit", "eth4", fromUnixMs(1000)));
  EXPECT_TRUE(limiter.admit("link_down", "eth3", fromUnixMs(1000)));
  EXPECT_TRUE(limiter.takeSummaries(fromUnixMs(5000)).empty()) << "the window is not over yet";
  auto s = limiter.takeSummaries(fromUnixMs(11'000));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0], "95 similar event lines suppressed (event mac_limit, port eth3)");
  EXPECT_EQ(limiter.trackedKeys(), 0u) << "keys go once their window is reported";
  EXPECT_TRUE(limiter.admit("mac_limit", "eth3", fromUnixMs(11'000))) << "a new window writes again";
}

TEST(EventLogLimiter, KeysAreBounded) {
  EventLogLimiter limiter({.window = std::chrono::seconds(10), .burst = 1, .maxKeys = 8});
  int written = 0;
  for (int i = 0; i < 1000; ++i) written += limiter.admit("device_new", "port" + std::to_string(i), fromUnixMs(0));
  EXPECT_EQ(limiter.trackedKeys(), 9u) << "8 keys and the overflow key";
  EXPECT_EQ(written, 9);
  auto s = limiter.takeSummaries(fromUnixMs(10'000));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0], "991 similar event lines suppressed (event *, port *)");
}

}  // namespace
}  // namespace portvakt::control
