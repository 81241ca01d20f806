#pragma once
// ARP and RARP for Ethernet/IPv4 (RFC 826, RFC 903).

#include <cstdint>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

struct ArpInfo {
  uint16_t hardwareType = 0;
  uint16_t protocolType = 0;
  uint8_t hardwareLength = 0;
  uint8_t protocolLength = 0;
  uint16_t operation = 0;  // 1 request, 2 reply, 3/4 RARP
  MacAddress senderMac;
  IpAddress senderIp;
  MacAddress targetMac;
  IpAddress targetIp;
};

void parseArp(Cursor c, ParsedFrame& out);

}  // namespace portvakt::packet
