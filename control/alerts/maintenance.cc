#include "control/alerts/maintenance.h"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace portvakt::alerts {

using store::Error;
using store::ErrorCode;

// --- civil calendar (days since 1970-01-01, proleptic Gregorian; H. Hinnant)

namespace {

int64_t daysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civilFromDays(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool isLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

// --- POSIX TZ rule, e.g. "CET-1CEST,M3.5.0,M10.5.0/3"

struct TimeZone::Rule {
  struct Date {
    char kind = 'M';  // 'M' month.week.day, 'J' Julian 1..365 without Feb 29, 'N' zero-based day
    int month = 0, week = 0, weekday = 0, day = 0;
    int32_t time = 7200;  // seconds after local midnight, may be negative or > 24h
  };
  int32_t stdOffset = 0;  // seconds east of UTC
  int32_t dstOffset = 0;
  bool hasDst = false;
  Date start, end;

  // Local midnight of the date in `year`, as days since the epoch.
  static int64_t dayOf(const Date& d, int64_t year) {
    if (d.kind == 'J') {
      int n = d.day;  // 1..365, Feb 29 never counted
      int64_t base = daysFromCivil(year, 1, 1) + n - 1;
      if (isLeap(year) && n >= 60) ++base;
      return base;
    }
    if (d.kind == 'N') return daysFromCivil(year, 1, 1) + d.day;
    int64_t first = daysFromCivil(year, d.month, 1);
    int wdayFirst = static_cast<int>(((first % 7) + 11) % 7);  // 0 = Sunday; 1970-01-01 was a Thursday
    int day = 1 + (d.weekday - wdayFirst + 7) % 7 + (d.week - 1) * 7;
    while (day > daysInMonth(year, d.month)) day -= 7;
    return first + day - 1;
  }

  int offsetAt(int64_t t, bool* dst) const {
    if (!hasDst) {
      if (dst) *dst = false;
      return stdOffset;
    }
    int y, m, dd;
    civilFromDays(floorDiv(t + stdOffset, 86400), y, m, dd);
    // Both changes of year y, in UTC. With start > end (southern hemisphere)
    // DST spans New Year, so it is "not inside [end, start)".
    int64_t startUtc = dayOf(start, y) * 86400 + start.time - stdOffset;  // DST begins at standard time
    int64_t endUtc = dayOf(end, y) * 86400 + end.time - dstOffset;        // and ends at daylight time
    bool inDst = startUtc < endUtc ? (t >= startUtc && t < endUtc) : !(t >= endUtc && t < startUtc);
    if (dst) *dst = inDst;
    return inDst ? dstOffset : stdOffset;
  }
};

namespace {

class RuleParser {
 public:
  explicit RuleParser(std::string_view s) : s_(s) {}

  std::optional<TimeZone::Rule> parse() {
    TimeZone::Rule r;
    if (!name()) return std::nullopt;
    auto off = offset();
    if (!off) return std::nullopt;
    r.stdOffset = -*off;  // POSIX offsets are west of UTC
    if (done()) return r;
    if (!name()) return std::nullopt;
    r.hasDst = true;
    r.dstOffset = r.stdOffset + 3600;
    if (!done() && peek() != ',') {
      auto d = offset();
      if (!d) return std::nullopt;
      r.dstOffset = -*d;
    }
    if (done()) {
      // No rule given: POSIX leaves it implementation-defined; use the EU rule.
      r.start = {'M', 3, 5, 0, 0, 3600 + r.stdOffset};
      r.end = {'M', 10, 5, 0, 0, 3600 + r.dstOffset};
      return r;
    }
    if (!eat(',') || !date(r.start) || !eat(',') || !date(r.end) || !done()) return std::nullopt;
    return r;
  }

 private:
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  bool name() {
    if (eat('<')) {
      size_t close = s_.find('>', i_);
      if (close == std::string_view::npos) return false;
      i_ = close + 1;
      return true;
    }
    size_t begin = i_;
    while (!done() && ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z'))) ++i_;
    return i_ - begin >= 3;
  }
  std::optional<int> number(int maxDigits) {
    int v = 0, n = 0;
    while (!done() && peek() >= '0' && peek() <= '9' && n < maxDigits) {
      v = v * 10 + (peek() - '0');
      ++i_;
      ++n;
    }
    if (n == 0) return std::nullopt;
    return v;
  }
  // [+-]hh[:mm[:ss]] in seconds.
  std::optional<int> offset() {
    int sign = 1;
    if (eat('-')) sign = -1;
    else eat('+');
    auto h = number(3);
    if (!h || *h > 167) return std::nullopt;
    int secs = *h * 3600;
    if (eat(':')) {
      auto m = number(2);
      if (!m) return std::nullopt;
      secs += *m * 60;
      if (eat(':')) {
        auto s = number(2);
        if (!s) return std::nullopt;
        secs += *s;
      }
    }
    return sign * secs;
  }
  bool date(TimeZone::Rule::Date& d) {
    if (eat('M')) {
      auto m = number(2);
      if (!m || !eat('.')) return false;
      auto w = number(1);
      if (!w || !eat('.')) return false;
      auto wd = number(1);
      if (!wd || *m < 1 || *m > 12 || *w < 1 || *w > 5 || *wd > 6) return false;
      d.kind = 'M';
      d.month = *m;
      d.week = *w;
      d.weekday = *wd;
    } else if (eat('J')) {
      auto n = number(3);
      if (!n || *n < 1 || *n > 365) return false;
      d.kind = 'J';
      d.day = *n;
    } else {
      auto n = number(3);
      if (!n || *n > 365) return false;
      d.kind = 'N';
      d.day = *n;
    }
    d.time = 7200;
    if (eat('/')) {
      auto t = offset();
      if (!t) return false;
      d.time = *t;
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

bool validZoneName(std::string_view n) {
  if (n.empty() || n.size() > 64 || n.front() == '/' || n.find("..") != std::string_view::npos) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
           c == '-' || c == '+';
  });
}

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

store::Result<TimeZone> TimeZone::fromPosixRule(std::string_view text) {
  auto rule = RuleParser(text).parse();
  if (!rule) return Error{ErrorCode::kInvalid, "not a POSIX TZ rule: '" + std::string(text) + "'"};
  TimeZone z;
  z.name_ = std::string(text);
  z.rule_ = std::make_shared<const Rule>(*rule);
  return z;
}

store::Result<TimeZone> TimeZone::load(std::string_view name, const std::string& zoneinfoDir) {
  if (!validZoneName(name)) return Error{ErrorCode::kInvalid, "not a time zone name: '" + std::string(name) + "'"};
  std::string path = zoneinfoDir + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{ErrorCode::kIo, "unknown time zone '" + std::string(name) + "' (cannot read " + path + ")"};
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](const char* why) { return Error{ErrorCode::kInvalid, path + ": not a usable TZif file: " + why}; };
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t size = data.size();
  if (size < 44 || data.compare(0, 4, "TZif") != 0) return bad("no TZif header");
  char version = data[4];

  struct Counts {
    uint32_t isut, isstd, leap, time, type, chars;
  };
  auto counts = [&](size_t at) {
    return Counts{be32(p + at + 20), be32(p + at + 24), be32(p + at + 28),
                  be32(p + at + 32), be32(p + at + 36), be32(p + at + 40)};
  };
  auto blockSize = [](const Counts& c, size_t timeSize) {
    return c.time * timeSize + c.time + c.type * 6 + c.chars + c.leap * (timeSize + 4) + c.isstd + c.isut;
  };
  Counts c = counts(0);
  if (c.time > 10000 || c.type > 256 || c.type == 0 || c.chars > 4096 || c.leap > 1000) return bad("implausible counts");
  size_t at = 44;
  size_t timeSize = 4;
  if (version >= '2') {
    at += blockSize(c, 4);  // skip the 32-bit block; the 64-bit one follows
    if (size < at + 44 || data.compare(at, 4, "TZif") != 0) return bad("no second header");
    c = counts(at);
    if (c.time > 10000 || c.type > 256 || c.type == 0 || c.chars > 4096 || c.leap > 1000)
      return bad("implausible counts");
    at += 44;
    timeSize = 8;
  }
  if (size < at + blockSize(c, timeSize)) return bad("truncated");

  TimeZone z;
  z.name_ = std::string(name);
  for (uint32_t i = 0; i < c.time; ++i) {
    const unsigned char* q = p + at + i * timeSize;
    int64_t t = timeSize == 8 ? static_cast<int64_t>((uint64_t{be32(q)} << 32) | be32(q + 4))
                              : static_cast<int64_t>(static_cast<int32_t>(be32(q)));
    z.transitions_.push_back(t);
  }
  at += c.time * timeSize;
  for (uint32_t i = 0; i < c.time; ++i) {
    if (p[at + i] >= c.type) return bad("transition type out of range");
    z.transitionTypes_.push_back(p[at + i]);
  }
  at += c.time;
  for (uint32_t i = 0; i < c.type; ++i) {
    const unsigned char* q = p + at + i * 6;
    z.types_.push_back({static_cast<int32_t>(be32(q)), q[4] != 0});
  }
  at += c.type * 6 + c.chars + c.leap * (timeSize + 4) + c.isstd + c.isut;
  if (version >= '2' && at < size && data[at] == '\n') {
    size_t end = data.find('\n', at + 1);
    if (end != std::string::npos && end > at + 1) {
      auto rule = RuleParser(std::string_view(data).substr(at + 1, end - at - 1)).parse();
      if (rule) z.rule_ = std::make_shared<const Rule>(*rule);
    }
  }
  return z;
}

int TimeZone::utcOffsetAt(std::chrono::sys_seconds instant, bool* dst) const {
  const int64_t t = instant.time_since_epoch().count();  // the TZif transitions are Unix seconds
  if (transitions_.empty() || t >= transitions_.back()) {
    if (rule_) return rule_->offsetAt(t, dst);
  }
  if (transitions_.empty() || t < transitions_.front()) {
    // Before the first transition: the first non-DST type (RFC 8536 3.2).
    const Type* first = &types_.front();
    for (const auto& ty : types_) {
      if (!ty.dst) {
        first = &ty;
        break;
      }
    }
    if (dst) *dst = first->dst;
    return first->utcOffset;
  }
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  const Type& ty = types_[transitionTypes_[static_cast<size_t>(it - transitions_.begin()) - 1]];
  if (dst) *dst = ty.dst;
  return ty.utcOffset;
}

LocalTime TimeZone::toLocal(std::chrono::sys_seconds instant) const {
  const int64_t t = instant.time_since_epoch().count();
  LocalTime lt;
  lt.utcOffsetSeconds = utcOffsetAt(instant, &lt.dst);
  int64_t local = t + lt.utcOffsetSeconds;
  int64_t days = floorDiv(local, 86400);
  int64_t secs = local - days * 86400;
  civilFromDays(days, lt.year, lt.month, lt.day);
  lt.weekday = static_cast<int>(((days % 7) + 10) % 7);  // 1970-01-01 was a Thursday (3)
  lt.minuteOfDay = static_cast<int>(secs / 60);
  lt.second = static_cast<int>(secs % 60);
  return lt;
}

bool insideWindow(const tables::MaintenanceWindow& w, const LocalTime& t) {
  auto open = [&](int weekday) { return (w.weekdays >> weekday) & 1; };
  int m = t.minuteOfDay;
  if (w.startMinute < w.endMinute) return open(t.weekday) && m >= w.startMinute && m < w.endMinute;
  // Crosses midnight (or start == end: a full day from startMinute).
  int yesterday = (t.weekday + 6) % 7;
  return (open(t.weekday) && m >= w.startMinute) || (open(yesterday) && m < w.endMinute);
}

store::Result<MaintenanceCalendar> MaintenanceCalendar::build(const std::vector<tables::MaintenanceWindow>& windows,
                                                              const std::string& zoneinfoDir) {
  MaintenanceCalendar cal;
  for (const auto& w : windows) {
    std::string_view zoneName = w.timezone.empty() ? kDefaultTimeZone : std::string_view(w.timezone);
    auto zone = TimeZone::load(zoneName, zoneinfoDir);
    if (!zone) {
      Error e = zone.error();
      e.message = "maintenance window '" + w.name + "': " + e.message;
      return e;
    }
    cal.entries_.push_back({w, std::move(zone.value())});
  }
  return cal;
}

std::optional<WindowMatch> MaintenanceCalendar::at(std::chrono::sys_seconds instant, tables::EventType event) const {
  std::optional<WindowMatch> found;
  for (const auto& e : entries_) {
    if (!insideWindow(e.window, e.zone.toLocal(instant))) continue;
    bool suppresses = std::find(e.window.suppress.begin(), e.window.suppress.end(), event) != e.window.suppress.end();
    if (suppresses) return WindowMatch{e.window.name, true};
    if (!found) found = WindowMatch{e.window.name, false};
  }
  return found;
}

}  // namespace portvakt::alerts
