#include "dataplane/packet/ssdp.h"

#include "dataplane/packet/frame.h"
#include "dataplane/packet/text_lines.h"

namespace portvakt::packet {

void parseSsdp(Cursor c, ParsedFrame& out) {
  out.touch(Layer::kSsdp);
  SsdpInfo& ssdp = out.ssdp;
  if (c.restText().find_first_not_of("\r\n") == std::string_view::npos) return;
  std::string_view line;
  bool terminated = false;
  if (!text::readLine(c, line, terminated)) {
    out.flag(Anomaly::kSsdpBadStartLine);
    return;
  }
  if (text::startsWith(line, "HTTP/1.1 ") || text::startsWith(line, "HTTP/1.0 ")) {
    if (!text::parseStatus(line.substr(9), ssdp.statusCode)) {
      out.flag(Anomaly::kSsdpBadStartLine);
      return;
    }
  } else {
    size_t first = line.find(' ');
    size_t last = line.rfind(' ');
    std::string_view version = first == std::string_view::npos ? std::string_view() : line.substr(last + 1);
    if (last == first || (version != "HTTP/1.1" && version != "HTTP/1.0")) {
      out.flag(Anomaly::kSsdpBadStartLine);
      return;
    }
    ssdp.isRequest = true;
    ssdp.method = line.substr(0, first);
  }
  out.add(Layer::kSsdp);

  while (terminated) {
    if (!text::readLine(c, line, terminated)) break;
    if (line.empty()) return;
    if (ssdp.headerCount == kMaxSsdpHeaders) {
      out.flag(Anomaly::kSsdpTooManyHeaders);
      return;
    }
    ++ssdp.headerCount;
    std::string_view name, value;
    if (!text::splitHeader(line, name, value)) continue;
    std::string_view* field = nullptr;
    if (text::iequals(name, "SERVER")) field = &ssdp.server;
    else if (text::iequals(name, "USER-AGENT")) field = &ssdp.userAgent;
    else if (text::iequals(name, "NT")) field = &ssdp.nt;
    else if (text::iequals(name, "NTS")) field = &ssdp.nts;
    else if (text::iequals(name, "ST")) field = &ssdp.st;
    else if (text::iequals(name, "USN")) field = &ssdp.usn;
    else if (text::iequals(name, "LOCATION")) field = &ssdp.location;
    if (field != nullptr && field->empty()) *field = value;
  }
  out.flag(Anomaly::kSsdpHeaderNotTerminated);
}

}  // namespace portvakt::packet
