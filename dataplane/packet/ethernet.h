#pragma once
// Ethernet II, 802.3 LLC/SNAP and stacked VLAN tags (802.1Q 0x8100, 802.1ad
// 0x88a8, and the pre-standard QinQ types 0x9100/0x9200).

#include <array>
#include <cstdint>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

// Why 4: QinQ is two tags; a third is already unusual and more is an attack or
// a loop. Stopping at a small cap bounds the loop and flags the frame.
inline constexpr size_t kMaxVlanTags = 4;

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeRarp = 0x8035;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr uint16_t kEtherTypeEapol = 0x888e;
inline constexpr uint16_t kEtherTypeLldp = 0x88cc;

struct VlanTag {
  uint16_t tpid = 0;  // the tag's own ethertype: 0x8100, 0x88a8, ...
  uint16_t vid = 0;
  uint8_t pcp = 0;
  bool dei = false;
};

enum class Encapsulation : uint8_t { kEthernetII, kLlc, kSnap };

struct EthernetInfo {
  MacAddress dst;
  MacAddress src;
  std::array<VlanTag, kMaxVlanTags> tags{};  // outermost first
  uint8_t tagCount = 0;
  // The type after all tags. For 802.3 frames this is the length field; for
  // SNAP it is the SNAP protocol id when the OUI is 0 (RFC 1042).
  uint16_t etherType = 0;
  Encapsulation encapsulation = Encapsulation::kEthernetII;
  uint8_t dsap = 0, ssap = 0, control = 0;  // LLC, when encapsulation != kEthernetII
  uint32_t snapOui = 0;                     // SNAP
  uint16_t snapPid = 0;

  // The VLAN the frame is in for a single-tagged or untagged access port.
  uint16_t outerVid() const { return tagCount > 0 ? tags[0].vid : 0; }
  uint16_t innerVid() const { return tagCount > 0 ? tags[tagCount - 1].vid : 0; }
};

// Parses the MAC header, tags and LLC/SNAP; on return `c` is at the payload
// (clamped to the 802.3 length field when there is one). Returns false when
// nothing after the Ethernet header can be parsed.
bool parseEthernet(Cursor& c, ParsedFrame& out);

}  // namespace portvakt::packet
