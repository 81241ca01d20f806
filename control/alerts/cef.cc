#include "control/alerts/cef.h"

#include <algorithm>
#include <utility>

namespace portvakt::alerts {

namespace {

// CEF's msg holds at most 1023 characters; cut at a UTF-8 boundary.
constexpr size_t kMaxMsg = 1023;

std::string cutUtf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

}  // namespace

int cefSeverity(tables::Severity s) {
  switch (s) {
    case tables::Severity::kInfo: return 3;
    case tables::Severity::kWarning: return 6;
    case tables::Severity::kCritical: return 9;
  }
  return 6;
}

std::string cefEventName(std::string_view event) {
  if (std::optional<tables::EventType> type = tables::eventTypeFromName(event))
    return std::string(tables::cefName(*type));
  return std::string(event);
}

std::string cefEscapeHeader(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '|') out += '\\';
    if (c == '\r' || c == '\n') c = ' ';
    out += c;
  }
  return out;
}

std::string cefEscapeValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '=': out += "\\="; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default:
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = '?';
        out += c;
    }
  }
  return out;
}

std::string toCef(const Alert& a, const CefFormat& f) {
  std::string line = "CEF:0|portvakt|portvakt|" + cefEscapeHeader(f.deviceVersion) + "|" + cefEscapeHeader(a.event) +
                     "|" + cefEscapeHeader(cefEventName(a.event)) + "|" + std::to_string(cefSeverity(a.severity)) + "|";
  bool first = true;
  auto add = [&](std::string_view key, std::string_view value) {
    if (value.empty()) return;
    if (!first) line += ' ';
    first = false;
    line.append(key).append(1, '=').append(cefEscapeValue(value));
  };
  // CEF's times are Unix milliseconds.
  add("rt", std::to_string(a.time.time_since_epoch().count()));
  add("start", std::to_string(a.time.time_since_epoch().count()));
  add("end", std::to_string(std::max(a.time, a.lastTime).time_since_epoch().count()));
  add("externalId", a.id);
  add("cnt", std::to_string(a.count));
  if (f.hostname != "-") add("dvchost", f.hostname);
  add("deviceExternalId", a.site);
  add("deviceInboundInterface", a.port);
  if (a.vlan >= 0) {
    add("cn1", std::to_string(a.vlan));
    add("cn1Label", "vlan");
  }
  add("smac", a.deviceMac);
  if (!a.evidence.empty()) {
    std::string evidence;
    for (const auto& e : a.evidence) evidence += (evidence.empty() ? "" : " ") + e.key + "=" + e.value;
    add("cs1", evidence);
    add("cs1Label", "evidence");
  }
  if (!a.maintenanceWindow.empty()) {
    add("cs2", a.maintenanceWindow);
    add("cs2Label", "maintenance_window");
  }
  add("msg", cutUtf8(summaryLine(a), kMaxMsg));
  return line;
}

std::string toSyslogCef(const Alert& a, const SyslogFormat& syslog, const CefFormat& cef) {
  return rfc5424Header(a, syslog) + "- " + toCef(a, cef);
}

}  // namespace portvakt::alerts
