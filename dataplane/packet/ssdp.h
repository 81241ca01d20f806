#pragma once
// SSDP (UPnP discovery, HTTP over UDP 1900): the SERVER string names the OS
// and product of printers, TVs and conference displays; NT/ST name the device
// type.

#include <cstdint>
#include <string_view>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

inline constexpr uint16_t kSsdpPort = 1900;
inline constexpr size_t kMaxSsdpHeaders = 48;

struct SsdpInfo {
  bool isRequest = false;
  std::string_view method;  // "M-SEARCH", "NOTIFY"
  uint16_t statusCode = 0;  // responses to M-SEARCH
  std::string_view server;
  std::string_view userAgent;
  std::string_view nt;
  std::string_view nts;
  std::string_view st;
  std::string_view usn;
  std::string_view location;
  uint8_t headerCount = 0;
};

void parseSsdp(Cursor c, ParsedFrame& out);

}  // namespace portvakt::packet
