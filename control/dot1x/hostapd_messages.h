#pragma once
// What hostapd says on its control interface, parsed: unsolicited event
// lines and the reply to `STA <mac>`. Both are input portvakt did not write
// (a hostapd of another version, a process that took over the socket path,
// a corrupted datagram), so parsing is bounded and total: every function
// takes any bytes, never throws, never reads past the view, and says what was
// wrong. Formats, from hostapd 2.10 (src/eap_server/eap_server.c,
// src/ap/sta_info.c, src/ap/ctrl_iface_ap.c; checked against the real
// hostapd in tests/e2e/dot1x.sh):
//
//   <3>CTRL-EVENT-EAP-STARTED 02:00:00:00:00:01
//   <3>CTRL-EVENT-EAP-SUCCESS2 02:00:00:00:00:01
//   <3>CTRL-EVENT-EAP-FAILURE2 02:00:00:00:00:01
//   <3>AP-STA-CONNECTED 02:00:00:00:00:01[ key=value ...]
//   <3>AP-STA-DISCONNECTED 02:00:00:00:00:01[ key=value ...]
//
// "<N>" is the message level (0..5 in hostapd). Other events (for example
// CTRL-EVENT-EAP-PROPOSED-METHOD, which names no station) are reported as
// kOther with their name, so a caller can count what it ignores.
//
// The STA reply is the station's MAC on the first line, then key=value
// lines (flags=[AUTHORIZED], dot1xAuthSessionUserName=..., ...); "FAIL" when
// hostapd has no such station.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "policy/tables/addresses.h"
#include "policy/tables/expected.h"

namespace portvakt::dot1x {

// Longest datagram accepted from hostapd. hostapd's own replies and events
// fit in 4096 bytes (its ctrl_iface reply buffer); a longer one is refused.
inline constexpr size_t kMaxControlMessageBytes = 8192;
// Limits inside a STA reply: lines, key and value lengths.
inline constexpr size_t kMaxStaLines = 256;
inline constexpr size_t kMaxStaKeyBytes = 64;
inline constexpr size_t kMaxStaValueBytes = 512;
// Longest event name kept for kOther (the rest is cut, not refused).
inline constexpr size_t kMaxEventNameBytes = 64;

struct ParseError {
  std::string message;  // what was wrong, with the offending bytes escaped and cut short
};
template <typename T>
using ParseResult = portvakt::Expected<T, ParseError>;

enum class HostapdEventKind : uint8_t {
  kEapStarted,           // CTRL-EVENT-EAP-STARTED: an EAP exchange began for the MAC
  kEapSuccess,           // CTRL-EVENT-EAP-SUCCESS2: the server accepted it
  kEapFailure,           // CTRL-EVENT-EAP-FAILURE2: the server refused it
  kStationConnected,     // AP-STA-CONNECTED: hostapd authorised the MAC
  kStationDisconnected,  // AP-STA-DISCONNECTED: the MAC is no longer authorised
  kOther,                // any other well-formed event (name kept, no MAC)
};
const char* toString(HostapdEventKind kind);

struct HostapdEvent {
  HostapdEventKind kind = HostapdEventKind::kOther;
  int level = 0;           // the <N> prefix
  tables::MacAddress mac;  // set for every kind but kOther
  std::string name;        // the event's name as hostapd wrote it (cut to kMaxEventNameBytes)
};

// Is this datagram an unsolicited event ("<N>...") rather than a reply?
bool isUnsolicited(std::string_view datagram);

// Parses one event datagram (a trailing newline is allowed). Refused: no
// "<N>" prefix, a level that is not 0..9, empty name, control bytes, an
// event of a known kind without a well-formed MAC (aa:bb:cc:dd:ee:ff, the
// only form hostapd writes), a datagram over kMaxControlMessageBytes.
ParseResult<HostapdEvent> parseEvent(std::string_view datagram);

// The reply to `STA <mac>`.
struct StationInfo {
  tables::MacAddress mac;
  bool authorized = false;                    // flags contain [AUTHORIZED]
  std::string identity;                       // dot1xAuthSessionUserName ("" when absent)
  std::map<std::string, std::string> fields;  // every key=value line, as given
};

// Parses a STA reply. "FAIL" gives an error saying hostapd has no such
// station. Refused: a first line that is not a MAC, a line without '=',
// duplicate keys, limits exceeded (kMaxStaLines, kMaxStaKeyBytes,
// kMaxStaValueBytes, kMaxControlMessageBytes), control bytes other than the
// line breaks.
ParseResult<StationInfo> parseStationReply(std::string_view reply);

// For error messages: at most `limit` bytes of `bytes`, non-printable ones
// as \xNN.
std::string escapeForMessage(std::string_view bytes, size_t limit = 80);

}  // namespace portvakt::dot1x
