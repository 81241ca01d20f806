#pragma once
// TCP, UDP, ICMP and ICMPv6 including neighbour discovery (RFC 4861).

#include <cstdint>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

// Why 16: an RA carries a handful of options; a frame full of tiny options is
// either fuzzing or an attack on parsers like this one.
inline constexpr size_t kMaxNdOptions = 16;

struct TransportInfo {
  uint16_t srcPort = 0;
  uint16_t dstPort = 0;
  // TCP
  uint32_t tcpSeq = 0;
  uint32_t tcpAck = 0;
  uint8_t tcpFlags = 0;  // FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80
  uint8_t tcpHeaderLength = 0;
  uint16_t tcpWindow = 0;
  // UDP
  uint16_t udpLength = 0;
  // ICMP / ICMPv6
  uint8_t icmpType = 0;
  uint8_t icmpCode = 0;
};

// Neighbour discovery (ICMPv6 133-137).
struct NdInfo {
  bool hasTarget = false;  // NS, NA, redirect
  IpAddress target;
  bool hasSourceLinkAddress = false;  // option 1
  MacAddress sourceLinkAddress;
  bool hasTargetLinkAddress = false;  // option 2
  MacAddress targetLinkAddress;
  uint8_t flags = 0;            // RA M/O flags byte; NA R/S/O flags byte
  uint16_t routerLifetime = 0;  // RA
  uint8_t prefixCount = 0;      // RA prefix-information options
  uint8_t optionCount = 0;
};

// On return `c` is the segment / datagram payload. False when the header
// could not be parsed.
bool parseTcp(Cursor& c, ParsedFrame& out);
bool parseUdp(Cursor& c, ParsedFrame& out);
void parseIcmp(Cursor c, ParsedFrame& out);
void parseIcmpv6(Cursor c, ParsedFrame& out);
// Type and code only: for the first fragment of a fragmented ICMPv6 message,
// whose body is not all there.
void parseIcmpv6Header(Cursor c, ParsedFrame& out);

}  // namespace portvakt::packet
