#pragma once
// Address value types shared by the compiled policy and the dataplane: MAC
// addresses, IPv4/IPv6 prefixes and port ranges. Parsing returns std::nullopt on
// malformed text (the caller owns the diagnostic); nothing here throws.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portvakt::tables {

struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  // Accepts aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff and aabb.ccdd.eeff (any case).
  static std::optional<MacAddress> parse(std::string_view text);
  std::string toString() const;  // lower-case, colon separated
  uint32_t oui() const { return (uint32_t{bytes[0]} << 16) | (uint32_t{bytes[1]} << 8) | bytes[2]; }
  bool isMulticast() const { return (bytes[0] & 1) != 0; }
  auto operator<=>(const MacAddress&) const = default;
};

// A vendor prefix (OUI), 24 bits: "00:04:f2" or "0004f2".
std::optional<uint32_t> parseOui(std::string_view text);
std::string ouiToString(uint32_t oui);

// An IPv4 or IPv6 prefix. IPv4 is stored in the first 4 bytes of addr.
struct Prefix {
  bool v6 = false;
  std::array<uint8_t, 16> addr{};
  uint8_t length = 0;

  // "10.0.0.0/8", "2001:db8::/32", or a bare address (host prefix). Host bits
  // beyond the length must be zero ("10.1.2.3/8" is rejected) so typos show up.
  static std::optional<Prefix> parse(std::string_view text);
  std::string toString() const;
  int maxLength() const { return v6 ? 128 : 32; }
  bool contains(const Prefix& other) const;  // other is inside this (same family)
  bool overlaps(const Prefix& other) const { return contains(other) || other.contains(*this); }
  bool containsAddress(bool isV6, const uint8_t* address) const;
  auto operator<=>(const Prefix&) const = default;
};

struct PortRange {
  uint16_t low = 0;
  uint16_t high = 65535;
  // "443", "1024-65535", "any"
  static std::optional<PortRange> parse(std::string_view text);
  bool isAny() const { return low == 0 && high == 65535; }
  bool contains(uint16_t port) const { return port >= low && port <= high; }
  bool covers(const PortRange& other) const { return low <= other.low && other.high <= high; }
  std::string toString() const;
  auto operator<=>(const PortRange&) const = default;
};

}  // namespace portvakt::tables
