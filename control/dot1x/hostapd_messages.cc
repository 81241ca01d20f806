#include "control/dot1x/hostapd_messages.h"

#include <array>
#include <cstdio>
#include <optional>

namespace portvakt::dot1x {
namespace {

bool isControlByte(unsigned char c) { return c < 0x20 || c == 0x7f; }

ParseError error(std::string what, std::string_view bytes) {
  return ParseError{std::move(what) + ": \"" + escapeForMessage(bytes) + "\""};
}

// hostapd writes MACs in exactly one form; anything else is not hostapd's.
std::optional<tables::MacAddress> parseColonMac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  for (size_t i = 2; i < 17; i += 3) {
    if (text[i] != ':') return std::nullopt;
  }
  return tables::MacAddress::parse(text);
}

struct KnownEvent {
  std::string_view name;
  HostapdEventKind kind;
};
constexpr std::array<KnownEvent, 5> kKnownEvents{{
    {"CTRL-EVENT-EAP-STARTED", HostapdEventKind::kEapStarted},
    {"CTRL-EVENT-EAP-SUCCESS2", HostapdEventKind::kEapSuccess},
    {"CTRL-EVENT-EAP-FAILURE2", HostapdEventKind::kEapFailure},
    {"AP-STA-CONNECTED", HostapdEventKind::kStationConnected},
    {"AP-STA-DISCONNECTED", HostapdEventKind::kStationDisconnected},
}};

}  // namespace

const char* toString(HostapdEventKind kind) {
  switch (kind) {
    case HostapdEventKind::kEapStarted: return "eap-started";
    case HostapdEventKind::kEapSuccess: return "eap-success";
    case HostapdEventKind::kEapFailure: return "eap-failure";
    case HostapdEventKind::kStationConnected: return "station-connected";
    case HostapdEventKind::kStationDisconnected: return "station-disconnected";
    case HostapdEventKind::kOther: return "other";
  }
  return "other";
}

std::string escapeForMessage(std::string_view bytes, size_t limit) {
  std::string out;
  const size_t shown = bytes.size() < limit ? bytes.size() : limit;
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (isControlByte(c) || c >= 0x80 || c == '"' || c == '\\') {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown < bytes.size()) out += "...";
  return out;
}

bool isUnsolicited(std::string_view datagram) { return !datagram.empty() && datagram.front() == '<'; }

ParseResult<HostapdEvent> parseEvent(std::string_view datagram) {
  if (datagram.size() > kMaxControlMessageBytes) {
    return ParseError{"event of " + std::to_string(datagram.size()) + " bytes is longer than the limit of " +
                      std::to_string(kMaxControlMessageBytes)};
  }
  std::string_view line = datagram;
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  for (unsigned char c : line) {
    if (isControlByte(c)) return error("event contains a control byte", datagram);
  }
  // "<N>"
  if (line.size() < 3 || line[0] != '<' || line[1] < '0' || line[1] > '9' || line[2] != '>') {
    return error("event does not start with a level \"<N>\"", datagram);
  }
  HostapdEvent event;
  event.level = line[1] - '0';
  line.remove_prefix(3);
  const size_t space = line.find(' ');
  const std::string_view name = line.substr(0, space);
  if (name.empty()) return error("event has no name", datagram);
  event.name = std::string(name.substr(0, kMaxEventNameBytes));
  for (const KnownEvent& known : kKnownEvents) {
    if (name != known.name) continue;
    if (space == std::string_view::npos) return error(std::string(known.name) + " without a MAC", datagram);
    std::string_view rest = line.substr(space + 1);
    // AP-STA-CONNECTED may carry " key=value" attributes after the MAC.
    const std::string_view macText = rest.substr(0, rest.find(' '));
    const auto mac = parseColonMac(macText);
    if (!mac) return error(std::string(known.name) + " with a malformed MAC", datagram);
    event.kind = known.kind;
    event.mac = *mac;
    return event;
  }
  event.kind = HostapdEventKind::kOther;
  return event;
}

ParseResult<StationInfo> parseStationReply(std::string_view reply) {
  if (reply.size() > kMaxControlMessageBytes) {
    return ParseError{"STA reply of " + std::to_string(reply.size()) + " bytes is longer than the limit of " +
                      std::to_string(kMaxControlMessageBytes)};
  }
  if (reply == "FAIL" || reply == "FAIL\n") return ParseError{"hostapd has no such station (FAIL)"};
  for (unsigned char c : reply) {
    if (c != '\n' && isControlByte(c)) return error("STA reply contains a control byte", reply);
  }
  StationInfo info;
  size_t lineCount = 0;
  size_t pos = 0;
  bool first = true;
  while (pos < reply.size()) {
    size_t end = reply.find('\n', pos);
    if (end == std::string_view::npos) end = reply.size();
    const std::string_view line = reply.substr(pos, end - pos);
    pos = end + 1;
    if (++lineCount > kMaxStaLines) {
      return ParseError{"STA reply has more than " + std::to_string(kMaxStaLines) + " lines"};
    }
    if (first) {
      first = false;
      const auto mac = parseColonMac(line);
      if (!mac) return error("STA reply does not start with a MAC", line);
      info.mac = *mac;
      continue;
    }
    if (line.empty()) continue;
    const size_t equals = line.find('=');
    if (equals == std::string_view::npos) return error("STA reply line without '='", line);
    const std::string_view key = line.substr(0, equals);
    const std::string_view value = line.substr(equals + 1);
    if (key.empty() || key.size() > kMaxStaKeyBytes) return error("STA reply key empty or too long", line);
    if (value.size() > kMaxStaValueBytes) return error("STA reply value too long", line);
    // A duplicate key means someone wrote lines we did not expect (an
    // identity with a line break in it): trust none of the reply.
    if (!info.fields.emplace(std::string(key), std::string(value)).second) {
      return error("STA reply repeats the key", key);
    }
  }
  if (first) return ParseError{"STA reply is empty"};
  if (auto it = info.fields.find("flags"); it != info.fields.end()) {
    info.authorized = it->second.find("[AUTHORIZED]") != std::string::npos;
  }
  if (auto it = info.fields.find("dot1xAuthSessionUserName"); it != info.fields.end()) {
    info.identity = it->second;
  }
  return info;
}

}  // namespace portvakt::dot1x
