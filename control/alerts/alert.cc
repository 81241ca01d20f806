#include "control/alerts/alert.h"

#include <algorithm>
#include <ctime>

#include <nlohmann/json.hpp>

namespace portvakt::alerts {

namespace {

using Json = nlohmann::ordered_json;

bool validKey(std::string_view k) {
  if (k.empty() || k.size() > 32) return false;
  return std::all_of(k.begin(), k.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// Cuts at most `max` bytes without splitting a UTF-8 sequence.
std::string cutUtf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

std::optional<tables::Severity> severityFrom(std::string_view s) {
  if (s == "info") return tables::Severity::kInfo;
  if (s == "warning") return tables::Severity::kWarning;
  if (s == "critical") return tables::Severity::kCritical;
  return std::nullopt;
}

// RFC 5424 6.3.3: inside PARAM-VALUE, '"', '\' and ']' are escaped.
std::string sdEscape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

// HOSTNAME, APP-NAME, PROCID: PRINTUSASCII, no spaces, bounded, "-" if empty.
std::string headerField(std::string_view v, size_t max) {
  std::string out;
  for (char c : v) {
    if (c > 32 && c < 127) out += c;
    if (out.size() == max) break;
  }
  return out.empty() ? "-" : out;
}

// ECS suggests the RFC 7042 form for MACs: upper case, hyphens.
std::string ecsMac(std::string_view mac) {
  std::string out(mac);
  for (char& c : out) {
    if (c == ':') c = '-';
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

std::string makeAlertId(std::string_view site, std::string_view event, std::string_view port, std::string_view device,
                        store::TimeMs time, std::chrono::milliseconds bucketLength) {
  const int64_t timeMs = time.time_since_epoch().count();
  const int64_t bucketMs = bucketLength.count();
  int64_t bucket = bucketMs > 0 ? timeMs / bucketMs : timeMs;
  std::string key;
  key.append(site).append(1, '\0').append(event).append(1, '\0').append(port).append(1, '\0').append(device);
  key.append(1, '\0').append(std::to_string(bucket)).append(1, '\0').append(std::to_string(bucketMs));
  return "pva-" + tables::sha256Hex(key).substr(0, 24);
}

std::vector<Evidence> sanitizeEvidence(std::vector<Evidence> items) {
  std::vector<Evidence> out;
  for (auto& e : items) {
    if (out.size() == kMaxEvidenceItems) break;
    if (!validKey(e.key)) continue;
    std::string v = cutUtf8(std::move(e.value), kMaxEvidenceValue);
    for (char& c : v) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    out.push_back({std::move(e.key), std::move(v)});
  }
  return out;
}

std::string summaryLine(const Alert& a) {
  std::string s = a.event;
  if (!a.port.empty()) s += " on " + a.port;
  if (a.vlan >= 0) s += " (VLAN " + std::to_string(a.vlan) + ")";
  if (!a.deviceMac.empty()) s += " from " + a.deviceMac;
  if (a.count > 1) s += ", " + std::to_string(a.count) + " times";
  if (!a.evidence.empty()) {
    s += ":";
    for (const auto& e : a.evidence) s += " " + e.key + "=" + e.value;
  }
  if (!a.maintenanceWindow.empty()) s += " [maintenance window " + a.maintenanceWindow + "]";
  return s;
}

int syslogSeverity(tables::Severity s) {
  switch (s) {
    case tables::Severity::kCritical: return 2;
    case tables::Severity::kWarning: return 4;
    case tables::Severity::kInfo: return 6;
  }
  return 4;
}

std::string formatUtc(store::TimeMs time) {
  const int64_t unixMs = time.time_since_epoch().count();
  time_t secs = static_cast<time_t>(unixMs / 1000);
  int ms = static_cast<int>(unixMs % 1000);
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::string rfc5424Header(const Alert& a, const SyslogFormat& f) {
  int pri = f.facility * 8 + syslogSeverity(a.severity);
  return "<" + std::to_string(pri) + ">1 " + formatUtc(a.time) + " " + headerField(f.hostname, 255) + " " +
         headerField(f.appName, 48) + " " + headerField(f.procId, 128) + " " + headerField(a.event, 32) + " ";
}

std::string toRfc5424(const Alert& a, const SyslogFormat& f) {
  std::string m = rfc5424Header(a, f);
  // 32473 is the private enterprise number RFC 5612 reserves for examples;
  // replace it when the project registers its own.
  m += "[portvakt@32473 id=\"" + sdEscape(a.id) + "\" site=\"" + sdEscape(a.site) + "\" severity=\"" +
       tables::toString(a.severity) + "\" count=\"" + std::to_string(a.count) + "\"";
  if (!a.port.empty()) m += " port=\"" + sdEscape(a.port) + "\"";
  if (a.vlan >= 0) m += " vlan=\"" + std::to_string(a.vlan) + "\"";
  if (!a.deviceMac.empty()) m += " mac=\"" + sdEscape(a.deviceMac) + "\"";
  if (!a.maintenanceWindow.empty()) m += " maintenance=\"" + sdEscape(a.maintenanceWindow) + "\"";
  m += "]";
  if (!a.evidence.empty()) {
    m += "[evidence@32473";
    for (const auto& e : a.evidence) m += " " + e.key + "=\"" + sdEscape(e.value) + "\"";
    m += "]";
  }
  m += " " + summaryLine(a);
  return m;
}

std::string toEcsJson(const Alert& a, std::string_view observerHostname) {
  Json doc;
  doc["@timestamp"] = formatUtc(a.time);
  doc["message"] = summaryLine(a);
  doc["event"] = {{"kind", "alert"},
                  {"action", a.event},
                  {"id", a.id},
                  {"severity", syslogSeverity(a.severity)},
                  {"category", Json::array({"network"})},
                  {"module", "portvakt"},
                  {"dataset", "portvakt.alerts"},
                  {"start", formatUtc(a.time)},
                  {"end", formatUtc(std::max(a.time, a.lastTime))}};
  doc["log"] = {{"level", tables::toString(a.severity)}};
  if (!a.deviceMac.empty()) doc["source"] = {{"mac", ecsMac(a.deviceMac)}};
  Json ingress = Json::object();
  if (!a.port.empty()) ingress["interface"] = {{"name", a.port}};
  if (a.vlan >= 0) ingress["vlan"] = {{"id", std::to_string(a.vlan)}};  // ECS: keyword
  doc["observer"] = {{"type", "switch"}, {"vendor", "portvakt"}, {"product", "portvakt"}};
  if (!observerHostname.empty()) doc["observer"]["hostname"] = std::string(observerHostname);
  if (!ingress.empty()) doc["observer"]["ingress"] = ingress;
  doc["labels"] = {{"site", a.site}};
  if (!a.maintenanceWindow.empty()) doc["labels"]["maintenance_window"] = a.maintenanceWindow;
  Json evidence = Json::object();
  for (const auto& e : a.evidence) evidence[e.key] = e.value;
  doc["portvakt"] = {{"count", a.count}, {"suppressed", a.suppressed}, {"evidence", evidence}};
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

store::AlertRecord toRecord(const Alert& a) {
  store::AlertRecord r;
  r.id = a.id;
  r.timeMs = a.time.time_since_epoch().count();
  r.lastTimeMs = std::max(a.time, a.lastTime).time_since_epoch().count();
  r.event = a.event;
  r.severity = tables::toString(a.severity);
  r.site = a.site;
  r.port = a.port;
  r.vlan = a.vlan;
  r.device = a.deviceMac;
  Json ev = Json::object();
  for (const auto& e : a.evidence) ev[e.key] = e.value;
  r.evidenceJson = ev.dump(-1, ' ', false, Json::error_handler_t::replace);
  r.count = a.count;
  r.maintenanceWindow = a.maintenanceWindow;
  r.suppressed = a.suppressed;
  return r;
}

std::optional<Alert> fromRecord(const store::AlertRecord& r) {
  auto sev = severityFrom(r.severity);
  if (!sev) return std::nullopt;
  Alert a;
  a.id = r.id;
  a.time = store::atUnixMs(r.timeMs);
  a.lastTime = store::atUnixMs(r.lastTimeMs);
  a.event = r.event;
  a.severity = *sev;
  a.site = r.site;
  a.port = r.port;
  a.vlan = r.vlan;
  a.deviceMac = r.device;
  a.count = r.count;
  a.maintenanceWindow = r.maintenanceWindow;
  a.suppressed = r.suppressed;
  Json ev = Json::parse(r.evidenceJson, nullptr, false);
  if (ev.is_discarded() || !ev.is_object()) return std::nullopt;
  for (auto it = ev.begin(); it != ev.end(); ++it) {
    if (it.value().is_string()) a.evidence.push_back({it.key(), it.value().get<std::string>()});
  }
  return a;
}

}  // namespace portvakt::alerts
