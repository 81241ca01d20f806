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
  // Valid when the hardware is Ethernet (type 1 or 6, length 6).
  bool hasMacs = false;
  MacAddress senderMac;
  MacAddress targetMac;
  // Valid when the protocol is IPv4 (type 0x0800, length 4).
  bool hasIps = false;
  IpAddress senderIp;
  IpAddress targetIp;
};

void parseArp(Cursor c, ParsedFrame& out);

}  // namespace portvakt::packet
