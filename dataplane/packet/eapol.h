#pragma once
// EAPOL (802.1X) and the EAP header inside it; the identity of an
// EAP-Response/Identity is the user or machine name a port login uses.

#include <cstdint>
#include <string_view>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

struct EapolInfo {
  uint8_t version = 0;
  uint8_t type = 0;  // 0 EAP packet, 1 start, 2 logoff, 3 key, 4 ASF alert
  uint16_t bodyLength = 0;
  bool hasEap = false;
  uint8_t eapCode = 0;  // 1 request, 2 response, 3 success, 4 failure
  uint8_t eapId = 0;
  uint16_t eapLength = 0;
  uint8_t eapType = 0;        // request/response only: 1 identity, 13 TLS, 25 PEAP, ...
  std::string_view identity;  // EAP type 1
  uint8_t keyDescriptor = 0;  // EAPOL-Key
};

void parseEapol(Cursor c, ParsedFrame& out);

}  // namespace portvakt::packet
