#pragma once
// Maintenance windows (R8, Dalarna 14.2 "Servicefönster"): is an instant
// inside a window, in the window's own time zone, and does that window
// suppress this event?
//
// Why our own TZif reader: g++ 12's libstdc++ has no std::chrono::zoned_time
// or tzdb, and localtime_r needs the process-wide TZ variable, which is not
// safe to change while other daemon threads format times. TimeZone reads the
// system zone file (/usr/share/zoneinfo/<name>, RFC 8536) once: the transition
// table, and the POSIX TZ rule in its footer for instants after the last
// transition (Debian ships "slim" files in which that rule does all the work
// for current dates). Tested against glibc's localtime_r over DST edges.
//
// Window semantics: a window opens on each weekday in its mask at startMinute
// local wall-clock time and closes at endMinute; if endMinute <= startMinute
// it closes on the next day (a Friday 22:00-02:00 window covers Saturday
// 01:30). Wall-clock minutes mean a window that spans a DST change is an hour
// shorter or longer in real time, which is what the people who planned it
// expect; on the autumn night both 02:30s are inside a window covering 02:30.
//
// Thread-safety: TimeZone and MaintenanceCalendar are immutable after
// construction; const members may be called from any thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/store/store_result.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::alerts {

struct LocalTime {
  int year = 1970, month = 1, day = 1;  // month 1..12
  int weekday = 0;                      // 0 = Monday ... 6 = Sunday
  int minuteOfDay = 0;                  // 0..1439
  int second = 0;
  int utcOffsetSeconds = 0;
  bool dst = false;
};

class TimeZone {
 public:
  // Loads <zoneinfoDir>/<name>. Names with "..", a leading '/' or odd
  // characters are refused (the name comes from a policy file).
  static store::Result<TimeZone> load(std::string_view name, const std::string& zoneinfoDir = "/usr/share/zoneinfo");
  // A zone from a POSIX TZ rule alone ("CET-1CEST,M3.5.0,M10.5.0/3").
  static store::Result<TimeZone> fromPosixRule(std::string_view rule);

  const std::string& name() const { return name_; }
  LocalTime toLocal(std::chrono::sys_seconds instant) const;
  int utcOffsetAt(std::chrono::sys_seconds instant, bool* dst = nullptr) const;

  struct Rule;  // parsed POSIX TZ footer

 private:
  struct Type {
    int32_t utcOffset = 0;
    bool dst = false;
  };
  std::string name_;
  std::vector<int64_t> transitions_;  // Unix seconds, as the TZif file holds them
  std::vector<uint8_t> transitionTypes_;
  std::vector<Type> types_;
  std::shared_ptr<const Rule> rule_;  // may be null
};

struct WindowMatch {
  std::string window;       // the window's name
  bool suppresses = false;  // the event is in that window's suppress list
};

class MaintenanceCalendar {
 public:
  // Loads the time zone of every window (empty timezone: Europe/Stockholm).
  static store::Result<MaintenanceCalendar> build(const std::vector<tables::MaintenanceWindow>& windows,
                                                  const std::string& zoneinfoDir = "/usr/share/zoneinfo");
  // The window in effect at the instant, preferring one that suppresses the
  // event; nullopt outside every window.
  std::optional<WindowMatch> at(std::chrono::sys_seconds instant, tables::EventType event) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    tables::MaintenanceWindow window;
    TimeZone zone;
  };
  std::vector<Entry> entries_;
};

// True if the local time falls inside the window (see the header comment).
bool insideWindow(const tables::MaintenanceWindow& w, const LocalTime& t);

inline constexpr std::string_view kDefaultTimeZone = "Europe/Stockholm";

}  // namespace portvakt::alerts
