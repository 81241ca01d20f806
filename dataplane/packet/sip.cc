#include "dataplane/packet/sip.h"

#include <array>

#include "dataplane/packet/frame.h"
#include "dataplane/packet/text_lines.h"

namespace portvakt::packet {
namespace {

constexpr std::array<std::string_view, 14> kMethods = {"INVITE",  "ACK",   "BYE",       "CANCEL", "REGISTER",
                                                       "OPTIONS", "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH",
                                                       "INFO",    "REFER", "MESSAGE",   "UPDATE"};

bool isMethod(std::string_view token) {
  for (std::string_view m : kMethods) {
    if (token == m) return true;
  }
  return false;
}

void setOnce(std::string_view& field, std::string_view value) {
  if (field.empty()) field = value;
}

}  // namespace

bool looksLikeSip(std::span<const uint8_t> payload) {
  // Every UDP datagram on any port comes here: a start line begins with an
  // upper-case letter ("SIP/2.0 " or a method), so one byte rejects nearly
  // all other payloads before any string search.
  if (payload.empty() || payload[0] < 'A' || payload[0] > 'Z') return false;
  std::string_view s = asText(payload).substr(0, 64);
  if (text::startsWith(s, "SIP/2.0 ")) return true;
  size_t space = s.find(' ');
  if (space == std::string_view::npos || !isMethod(s.substr(0, space))) return false;
  std::string_view uri = s.substr(space + 1);
  return text::startsWith(uri, "sip:") || text::startsWith(uri, "sips:") || text::startsWith(uri, "tel:");
}

void parseSip(Cursor c, ParsedFrame& out) {
  out.touch(Layer::kSip);
  SipInfo& sip = out.sip;
  // CRLF keep-alives (RFC 5626) are not messages.
  if (c.restText().find_first_not_of("\r\n") == std::string_view::npos) return;
  std::string_view line;
  bool terminated = false;
  if (!text::readLine(c, line, terminated)) {
    out.flag(Anomaly::kSipBadStartLine);
    return;
  }
  if (text::startsWith(line, "SIP/2.0 ")) {
    std::string_view rest = line.substr(8);
    if (!text::parseStatus(rest, sip.statusCode)) {
      out.flag(Anomaly::kSipBadStartLine);
      return;
    }
    sip.reason = rest.size() > 4 ? rest.substr(4) : std::string_view();
  } else {
    size_t first = line.find(' ');
    size_t last = line.rfind(' ');
    if (first == std::string_view::npos || last == first || line.substr(last + 1) != "SIP/2.0") {
      out.flag(Anomaly::kSipBadStartLine);
      return;
    }
    sip.isRequest = true;
    sip.method = line.substr(0, first);
    sip.requestUri = line.substr(first + 1, last - first - 1);
  }
  out.add(Layer::kSip);

  while (terminated) {
    if (!text::readLine(c, line, terminated)) break;
    if (line.empty()) return;  // end of headers
    if (sip.headerCount == kMaxSipHeaders) {
      out.flag(Anomaly::kSipTooManyHeaders);
      return;
    }
    ++sip.headerCount;
    if (line.front() == ' ' || line.front() == '\t') continue;  // folded continuation: ignored
    std::string_view name, value;
    if (!text::splitHeader(line, name, value)) continue;
    if (text::iequals(name, "User-Agent")) setOnce(sip.userAgent, value);
    else if (text::iequals(name, "Server")) setOnce(sip.server, value);
    else if (text::iequals(name, "From") || name == "f") setOnce(sip.from, value);
    else if (text::iequals(name, "To") || name == "t") setOnce(sip.to, value);
    else if (text::iequals(name, "Contact") || name == "m") setOnce(sip.contact, value);
    else if (text::iequals(name, "Call-ID") || name == "i") setOnce(sip.callId, value);
    else if (text::iequals(name, "CSeq")) setOnce(sip.cseq, value);
  }
  out.flag(Anomaly::kSipHeaderNotTerminated);
}

}  // namespace portvakt::packet
