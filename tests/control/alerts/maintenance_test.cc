// Maintenance windows in Europe/Stockholm across the DST changes, checked
// against glibc's localtime_r reading the same system tz database.

#include "control/alerts/maintenance.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <random>

namespace portvakt::alerts {
namespace {

std::chrono::sys_seconds instant(int64_t unixSeconds) {
  return std::chrono::sys_seconds(std::chrono::seconds(unixSeconds));
}

int64_t utc(int y, int mo, int d, int h, int mi, int s = 0) {
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return timegm(&tm);
}

class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    if (const char* old = getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTz() {
    if (old_) setenv("TZ", old_->c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }

 private:
  std::optional<std::string> old_;
};

// Requirements: R8
TEST(TimeZoneTest, AgreesWithGlibcOnRandomInstantsAndEveryDstEdge) {
  for (const char* name : {"Europe/Stockholm", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"}) {
    auto zone = TimeZone::load(name);
    ASSERT_TRUE(zone) << zone.error().message;
    ScopedTz tz(name);
    std::mt19937_64 rng(42);
    std::vector<int64_t> instants;
    for (int i = 0; i < 20000; ++i) instants.push_back(static_cast<int64_t>(rng() % 4102444800ULL));  // 1970..2100
    // Every second around each offset change 2020..2040 as glibc sees it.
    for (int64_t t = utc(2020, 1, 1, 0, 0); t < utc(2040, 1, 1, 0, 0); t += 3600) {
      time_t a = static_cast<time_t>(t), b = static_cast<time_t>(t + 3600);
      struct tm ta {
      }, tb{};
      localtime_r(&a, &ta);
      localtime_r(&b, &tb);
      if (ta.tm_gmtoff != tb.tm_gmtoff) {
        for (int64_t s = t; s <= t + 3600; s += 1) instants.push_back(s);
      }
    }
    for (int64_t t : instants) {
      time_t tt = static_cast<time_t>(t);
      struct tm g {};
      localtime_r(&tt, &g);
      LocalTime l = zone->toLocal(instant(t));
      ASSERT_EQ(l.utcOffsetSeconds, g.tm_gmtoff) << name << " at " << t;
      ASSERT_EQ(l.dst, g.tm_isdst > 0) << name << " at " << t;
      ASSERT_EQ(l.year, g.tm_year + 1900) << name << " at " << t;
      ASSERT_EQ(l.month, g.tm_mon + 1);
      ASSERT_EQ(l.day, g.tm_mday);
      ASSERT_EQ(l.weekday, (g.tm_wday + 6) % 7);
      ASSERT_EQ(l.minuteOfDay, g.tm_hour * 60 + g.tm_min) << name << " at " << t;
    }
  }
}

TEST(TimeZoneTest, PosixRuleAloneCoversTheFarFuture) {
  auto rule = TimeZone::fromPosixRule("CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_TRUE(rule) << rule.error().message;
  // 2087-03-30 is the last Sunday of March: CEST from 01:00 UTC.
  EXPECT_EQ(rule->utcOffsetAt(instant(utc(2087, 3, 30, 0, 59, 59))), 3600);
  EXPECT_EQ(rule->utcOffsetAt(instant(utc(2087, 3, 30, 1, 0, 0))), 7200);
  EXPECT_FALSE(TimeZone::fromPosixRule("nonsense,,"));
  EXPECT_FALSE(TimeZone::load("../../etc/passwd"));
  EXPECT_FALSE(TimeZone::load("Europe/Atlantis"));
}

tables::MaintenanceWindow window(uint8_t days, int startH, int startM, int endH, int endM,
                                 std::vector<tables::EventType> suppress = {tables::EventType::kLinkDown}) {
  tables::MaintenanceWindow w;
  w.name = "servicefonster";
  w.weekdays = days;
  w.startMinute = static_cast<uint16_t>(startH * 60 + startM);
  w.endMinute = static_cast<uint16_t>(endH * 60 + endM);
  w.timezone = "Europe/Stockholm";
  w.suppress = std::move(suppress);
  return w;
}

constexpr uint8_t kFriday = 1 << 4, kSunday = 1 << 6;

// Requirements: R8
TEST(MaintenanceTest, SpringForwardNightIsShorterInRealTime) {
  // 2025-03-30 (Sunday): 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
  auto cal = MaintenanceCalendar::build({window(kSunday, 1, 0, 4, 0)});
  ASSERT_TRUE(cal) << cal.error().message;
  EXPECT_FALSE(cal->at(instant(utc(2025, 3, 29, 23, 59, 59)), tables::EventType::kLinkDown));  // 00:59:59 CET
  EXPECT_TRUE(cal->at(instant(utc(2025, 3, 30, 0, 0)), tables::EventType::kLinkDown));         // 01:00 CET
  EXPECT_TRUE(cal->at(instant(utc(2025, 3, 30, 0, 59, 59)), tables::EventType::kLinkDown));    // 01:59:59 CET
  EXPECT_TRUE(cal->at(instant(utc(2025, 3, 30, 1, 0)), tables::EventType::kLinkDown));         // 03:00 CEST
  EXPECT_TRUE(cal->at(instant(utc(2025, 3, 30, 1, 59, 59)), tables::EventType::kLinkDown));    // 03:59:59 CEST
  EXPECT_FALSE(
      cal->at(instant(utc(2025, 3, 30, 2, 0)), tables::EventType::kLinkDown));  // 04:00 CEST: two real hours, not three

  // A window inside the skipped hour never opens that night.
  auto skipped = MaintenanceCalendar::build({window(kSunday, 2, 15, 2, 45)});
  ASSERT_TRUE(skipped);
  for (int64_t t = utc(2025, 3, 29, 22, 0); t < utc(2025, 3, 30, 4, 0); t += 60) {
    EXPECT_FALSE(skipped->at(instant(t), tables::EventType::kLinkDown)) << t;
  }
}

// Requirements: R8
TEST(MaintenanceTest, FallBackNightCoversBothRepeatedHours) {
  // 2025-10-26 (Sunday): 03:00 CEST falls back to 02:00 CET at 01:00 UTC.
  auto cal = MaintenanceCalendar::build({window(kSunday, 2, 0, 3, 0)});
  ASSERT_TRUE(cal);
  EXPECT_FALSE(cal->at(instant(utc(2025, 10, 25, 23, 59, 59)), tables::EventType::kLinkDown));  // 01:59:59 CEST
  EXPECT_TRUE(cal->at(instant(utc(2025, 10, 26, 0, 0)), tables::EventType::kLinkDown));         // 02:00 CEST
  EXPECT_TRUE(cal->at(instant(utc(2025, 10, 26, 0, 30)), tables::EventType::kLinkDown));        // first 02:30
  EXPECT_TRUE(cal->at(instant(utc(2025, 10, 26, 1, 30)), tables::EventType::kLinkDown));        // second 02:30 (CET)
  EXPECT_FALSE(cal->at(instant(utc(2025, 10, 26, 2, 0)), tables::EventType::kLinkDown));        // 03:00 CET
}

// Requirements: R8
TEST(MaintenanceTest, WindowCrossingMidnightBelongsToItsStartDay) {
  // Friday 22:00 -> 02:00 (winter, CET = UTC+1). 2025-01-10 is a Friday.
  auto cal = MaintenanceCalendar::build({window(kFriday, 22, 0, 2, 0)});
  ASSERT_TRUE(cal);
  EXPECT_FALSE(cal->at(instant(utc(2025, 1, 10, 20, 59)), tables::EventType::kLinkDown));  // Fri 21:59
  EXPECT_TRUE(cal->at(instant(utc(2025, 1, 10, 21, 0)), tables::EventType::kLinkDown));    // Fri 22:00
  EXPECT_TRUE(cal->at(instant(utc(2025, 1, 11, 0, 30)), tables::EventType::kLinkDown));    // Sat 01:30
  EXPECT_FALSE(cal->at(instant(utc(2025, 1, 11, 1, 0)), tables::EventType::kLinkDown));    // Sat 02:00
  EXPECT_FALSE(cal->at(instant(utc(2025, 1, 11, 21, 30)), tables::EventType::kLinkDown));  // Sat 22:30: not a Friday
  EXPECT_FALSE(
      cal->at(instant(utc(2025, 1, 9, 23, 30)), tables::EventType::kLinkDown));  // Fri 00:30 belongs to Thursday's window
}

// Requirements: R8
TEST(MaintenanceTest, OnlyListedEventsAreSuppressed) {
  auto cal = MaintenanceCalendar::build(
      {window(kSunday, 1, 0, 4, 0, {tables::EventType::kLinkDown, tables::EventType::kLinkUp})});
  ASSERT_TRUE(cal);
  auto t = instant(utc(2025, 1, 12, 1, 0));  // Sunday 02:00 CET
  auto linkDown = cal->at(t, tables::EventType::kLinkDown);
  ASSERT_TRUE(linkDown);
  EXPECT_TRUE(linkDown->suppresses);
  EXPECT_EQ(linkDown->window, "servicefonster");
  auto rogue = cal->at(t, *tables::eventTypeFromName("rogue_dhcp"));
  ASSERT_TRUE(rogue);  // inside the window: annotated, still paged
  EXPECT_FALSE(rogue->suppresses);
  auto bad = MaintenanceCalendar::build({[] {
    auto w = window(kSunday, 1, 0, 2, 0);
    w.timezone = "Mars/Olympus_Mons";
    return w;
  }()});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("servicefonster"), std::string::npos);
}

}  // namespace
}  // namespace portvakt::alerts
