#pragma once
// What the classifier matches: a FlowKey (the header fields of one frame) and a
// Rule (a box over those fields). Both classifiers in this folder, the fast one
// (classifier.h) and the linear reference (linear_classifier.h), take the same
// rules and keys and must return the same answer: the index of the first rule
// that matches, or kNoMatch.
//
// Why every field is a 32-bit "dimension": a rule is then an axis-aligned box
// (one inclusive [lo, hi] range per dimension), which is the shape every fast
// classifier wants. An IPv6 prefix is still a box when the 128-bit address is cut
// into four 32-bit words: the words the prefix covers fully are exact, the word
// it ends in is a range, the rest are wildcards. A MAC address is split into its
// top 32 and bottom 16 bits for the same reason. So IPv4, IPv6 and MAC/EtherType
// rules all compile into the same structure, with no slow path for any of them.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "policy/tables/addresses.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::classify {

// The dimensions of a FlowKey, in storage order.
enum class Field : uint8_t {
  kZone,       // 16 bits: zone id (or VLAN), tables::ZoneId
  kEtherType,  // 16 bits: 0x0800 IPv4, 0x86dd IPv6, anything else for non-IP frames
  kProtocol,   // 8 bits: IP protocol number (0 for non-IP)
  kSrcPort,    // 16 bits (0 when the protocol has no ports)
  kDstPort,    // 16 bits
  kSrc0,
  kSrc1,
  kSrc2,
  kSrc3,  // source address, big-endian 32-bit words; IPv4 in kSrc0
  kDst0,
  kDst1,
  kDst2,
  kDst3,      // destination address, same layout
  kSrcMacHi,  // top 32 bits of the source MAC
  kSrcMacLo,  // bottom 16 bits
  kDstMacHi,
  kDstMacLo,
};
inline constexpr int kFieldCount = 17;
const char* toString(Field f);
// Number of significant bits of each field (the others are always zero).
int fieldBits(Field f);

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;

// The header fields of one frame, as the classifier sees them. Plain value type;
// build it with the factory functions so unused fields are zero.
struct FlowKey {
  std::array<uint32_t, kFieldCount> f{};

  uint32_t get(Field field) const { return f[static_cast<int>(field)]; }
  void set(Field field, uint32_t v) { f[static_cast<int>(field)] = v; }

  // src/dst are host-order IPv4 addresses (as ClassBench writes them).
  static FlowKey ipv4(tables::ZoneId zone, uint32_t src, uint32_t dst, uint8_t protocol, uint16_t srcPort,
                      uint16_t dstPort);
  // src/dst point at 16 bytes in network order.
  static FlowKey ipv6(tables::ZoneId zone, const uint8_t* src, const uint8_t* dst, uint8_t protocol, uint16_t srcPort,
                      uint16_t dstPort);
  // A non-IP frame: only zone, EtherType and the MACs are meaningful.
  static FlowKey ethernet(tables::ZoneId zone, uint16_t etherType);
  void setMacs(const tables::MacAddress& src, const tables::MacAddress& dst);

  bool isV6() const { return get(Field::kEtherType) == kEtherTypeIpv6; }
  // The address as 16 network-order bytes (IPv4 in the first 4).
  std::array<uint8_t, 16> srcAddress() const;
  std::array<uint8_t, 16> dstAddress() const;
  tables::MacAddress srcMac() const;
  tables::MacAddress dstMac() const;
  std::string toString() const;

  bool operator==(const FlowKey&) const = default;
};

// A MAC address and how many leading bits must match (48 exact, 24 an OUI).
struct MacMatch {
  tables::MacAddress mac;
  uint8_t length = 48;
};

// One classifier rule. Every field is optional; an unset field matches anything.
// Setting an address prefix implies the EtherType of its family (IPv4 0x0800,
// IPv6 0x86dd), so an IPv4 rule never matches an IPv6 frame.
struct Rule {
  std::optional<tables::ZoneId> zone;
  std::optional<uint16_t> etherType;
  std::optional<tables::Prefix> src;
  std::optional<tables::Prefix> dst;
  std::optional<uint8_t> protocol;  // IP protocol number
  tables::PortRange srcPorts;       // default: any
  tables::PortRange dstPorts;
  std::optional<MacMatch> srcMac;
  std::optional<MacMatch> dstMac;
  uint32_t value = 0;  // opaque to the classifier: the caller's action or rule id

  std::string toString() const;
};

// IP protocol number of a policy protocol; nullopt for kAny.
std::optional<uint8_t> protocolNumber(tables::Protocol p);

// A rule as a box: inclusive [lo, hi] per field. Fails (nullopt, with a reason in
// *why) when the rule can match nothing: src and dst of different families, an
// EtherType that contradicts the family, an empty port range, a prefix or MAC
// length out of range.
struct Box {
  std::array<uint32_t, kFieldCount> lo{};
  std::array<uint32_t, kFieldCount> hi{};
};
std::optional<Box> toBox(const Rule& rule, std::string* why = nullptr);

// Does the rule match the key? Written from the rule's meaning (prefix
// containment on bytes, MAC bits), not from toBox, so the linear reference that
// uses it checks the box compiler too.
bool matches(const Rule& rule, const FlowKey& key);

inline constexpr int32_t kNoMatch = -1;

}  // namespace portvakt::classify
