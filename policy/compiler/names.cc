#include "policy/compiler/names.h"

#include <algorithm>
#include <charconv>

namespace portvakt::policy {

using namespace tables;

std::optional<Mode> parseMode(std::string_view s) {
  if (s == "enforce") return Mode::kEnforce;
  if (s == "monitor") return Mode::kMonitor;
  return std::nullopt;
}

std::optional<PortRole> parseRole(std::string_view s) {
  if (s == "access") return PortRole::kAccess;
  if (s == "uplink") return PortRole::kUplink;
  if (s == "trunk") return PortRole::kTrunk;
  if (s == "monitor") return PortRole::kMonitor;
  return std::nullopt;
}

std::optional<Protocol> parseProtocol(std::string_view s) {
  if (s == "any") return Protocol::kAny;
  if (s == "tcp") return Protocol::kTcp;
  if (s == "udp") return Protocol::kUdp;
  if (s == "icmp") return Protocol::kIcmp;
  if (s == "icmpv6") return Protocol::kIcmpv6;
  return std::nullopt;
}

std::optional<Action> parseAction(std::string_view s) {
  if (s == "allow") return Action::kAllow;
  if (s == "deny") return Action::kDeny;
  return std::nullopt;
}

std::optional<Severity> parseSeverity(std::string_view s) {
  if (s == "info") return Severity::kInfo;
  if (s == "warning") return Severity::kWarning;
  if (s == "critical") return Severity::kCritical;
  return std::nullopt;
}

std::optional<Signal> parseSignal(std::string_view s) {
  for (int i = 0; i < kSignalCount; ++i) {
    if (s == toString(static_cast<Signal>(i))) return static_cast<Signal>(i);
  }
  return std::nullopt;
}

std::optional<uint8_t> parseMedApplication(std::string_view s) {
  static const char* kNames[] = {"voice",           "voice-signaling",    "guest-voice",     "guest-voice-signaling",
                                 "softphone-voice", "video-conferencing", "streaming-video", "video-signaling"};
  for (uint8_t i = 0; i < 8; ++i) {
    if (s == kNames[i]) return static_cast<uint8_t>(i + 1);
  }
  return std::nullopt;
}

std::vector<std::string> alertEventNames() {
  std::vector<std::string> names;
  for (const EventTypeInfo& info : kEventTypes) names.emplace_back(info.name);
  return names;
}

const std::vector<std::string>& lldpCapabilityNames() {
  static const std::vector<std::string> kNames = {"other",
                                                  "repeater",
                                                  "bridge",
                                                  "wlan-ap",
                                                  "router",
                                                  "telephone",
                                                  "docsis",
                                                  "station",
                                                  "med-capabilities",
                                                  "network-policy",
                                                  "location",
                                                  "extended-power-pse",
                                                  "extended-power-pd",
                                                  "inventory"};
  return kNames;
}

bool isValidName(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; };
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
  return std::all_of(s.begin(), s.end(), ok);
}

bool isValidInterfaceName(std::string_view s) {
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c > ' ' && c < 127 && c != '/' && c != ':' && c != '[' && c != ']' && c != ',';
  });
}

std::optional<std::vector<std::string>> expandInterfacePattern(std::string_view pattern, size_t limit) {
  size_t open = pattern.find('[');
  if (open == std::string_view::npos) {
    if (!isValidInterfaceName(pattern)) return std::nullopt;
    return std::vector<std::string>{std::string(pattern)};
  }
  size_t close = pattern.find(']', open);
  if (close == std::string_view::npos || pattern.find('[', open + 1) < close ||
      pattern.find('[', close) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view head = pattern.substr(0, open), tail = pattern.substr(close + 1);
  std::string_view body = pattern.substr(open + 1, close - open - 1);
  std::vector<std::string> out;
  auto number = [](std::string_view s) -> std::optional<int> {
    int v = 0;
    if (s.empty() || s.size() > 5) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
  };
  size_t start = 0;
  while (start <= body.size()) {
    size_t comma = body.find(',', start);
    if (comma == std::string_view::npos) comma = body.size();
    std::string_view part = body.substr(start, comma - start);
    size_t dash = part.find('-');
    auto lo = number(dash == std::string_view::npos ? part : part.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : number(part.substr(dash + 1));
    if (!lo || !hi || *lo > *hi) return std::nullopt;
    for (int i = *lo; i <= *hi; ++i) {
      if (out.size() >= limit) return std::nullopt;
      std::string name = std::string(head) + std::to_string(i) + std::string(tail);
      if (!isValidInterfaceName(name)) return std::nullopt;
      out.push_back(std::move(name));
    }
    start = comma + 1;
  }
  return out;
}

std::optional<int> parseClockTime(std::string_view s, bool allowEndOfDay) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(s[0]) || !digit(s[1]) || !digit(s[3]) || !digit(s[4])) return std::nullopt;
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h == 24 && m == 0 && allowEndOfDay) return 24 * 60;
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::optional<uint8_t> parseDays(std::string_view s) {
  static const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (int d = 0; d < 7; ++d) {
    if (s == kDays[d]) return static_cast<uint8_t>(1 << d);
  }
  if (s == "daily") return 0x7f;
  if (s == "weekdays") return 0x1f;
  if (s == "weekend") return 0x60;
  return std::nullopt;
}

}  // namespace portvakt::policy
