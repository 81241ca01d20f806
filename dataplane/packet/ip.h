#pragma once
// IPv4 (options, fragments) and IPv6 (extension-header chain).
//
// Both fill the same IpInfo so that later stages ask one question ("what is
// the upper-layer protocol and where does it start") whatever the version.
// Header length fields only ever narrow the window to what was captured.

#include <array>
#include <cstdint>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

// Why 8: real traffic carries at most two or three extension headers; a long
// chain is a known evasion technique and costs a loop iteration each.
inline constexpr size_t kMaxIpv6ExtHeaders = 8;

inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;

struct IpInfo {
  uint8_t version = 0;
  IpAddress src;
  IpAddress dst;
  uint8_t protocol = 0;       // upper layer; for IPv6 after the extension chain
  uint8_t ttl = 0;            // IPv6: hop limit
  uint8_t trafficClass = 0;   // IPv4 TOS byte / IPv6 traffic class
  uint16_t headerLength = 0;  // IPv4 IHL*4; IPv6 40 + extension headers
  uint32_t totalLength = 0;   // IPv4 total length; IPv6 40 + payload length
  // Fragments. For IPv4: offset in bytes, MF, DF. For IPv6: from the fragment header.
  bool fragmented = false;  // this is one fragment of a larger datagram
  bool moreFragments = false;
  bool dontFragment = false;
  uint32_t fragmentOffset = 0;
  uint32_t identification = 0;
  uint8_t optionCount = 0;   // IPv4 options seen (NOP/EOL not counted)
  bool routerAlert = false;  // IPv4 option 148 or IPv6 hop-by-hop option 5
  uint32_t flowLabel = 0;
  std::array<uint8_t, kMaxIpv6ExtHeaders> extHeaders{};  // next-header values in order
  uint8_t extHeaderCount = 0;

  bool firstFragment() const { return fragmented && fragmentOffset == 0; }
};

// On return `c` is the IP payload (clamped to the header's length fields).
// They return false when the upper layer must not be parsed: an error, or a
// non-first fragment.
bool parseIpv4(Cursor& c, ParsedFrame& out);
bool parseIpv6(Cursor& c, ParsedFrame& out);

}  // namespace portvakt::packet
