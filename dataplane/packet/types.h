#pragma once
// Small value types shared by the packet parsers: addresses, the layer bits a
// parsed frame carries, and a fixed-capacity text buffer for the few fields
// that must be decoded rather than viewed (DNS names with compression).

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "policy/tables/addresses.h"

namespace portvakt::packet {

using tables::MacAddress;

// An IPv4 or IPv6 address; IPv4 lives in the first 4 bytes, so it can be handed
// straight to tables::Prefix::containsAddress(v6, bytes.data()).
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool v6 = false;

  static IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    IpAddress ip;
    ip.bytes[0] = a;
    ip.bytes[1] = b;
    ip.bytes[2] = c;
    ip.bytes[3] = d;
    return ip;
  }
  uint32_t v4Value() const {  // host order, for IPv4 only
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3];
  }
  std::string toString() const;  // dotted quad or RFC 5952 text (inet_ntop)
  auto operator<=>(const IpAddress&) const = default;
};

// Which headers of a frame were parsed. A section of ParsedFrame is valid only
// when its bit is set; a set bit with an anomaly means "parsed up to the
// anomaly".
enum class Layer : uint32_t {
  kEthernet = 1u << 0,
  kVlan = 1u << 1,
  kLlc = 1u << 2,
  kSnap = 1u << 3,
  kArp = 1u << 4,
  kIpv4 = 1u << 5,
  kIpv6 = 1u << 6,
  kIcmp = 1u << 7,
  kIcmpv6 = 1u << 8,
  kNeighborDiscovery = 1u << 9,
  kTcp = 1u << 10,
  kUdp = 1u << 11,
  kDhcp = 1u << 12,
  kDhcpv6 = 1u << 13,
  kLldp = 1u << 14,
  kCdp = 1u << 15,
  kEapol = 1u << 16,
  kSip = 1u << 17,
  kMdns = 1u << 18,
  kSsdp = 1u << 19,
};
std::string_view layerName(Layer layer);  // "ipv4", "lldp", ...

// Text of at most N bytes, built in place (no heap). Appends past the
// capacity are refused and reported, never truncated silently.
template <size_t N>
class FixedText {
 public:
  // A user-provided constructor so that resetting a frame does not zero the
  // buffer: only length_ says what is valid.
  FixedText() {}
  std::string_view view() const { return std::string_view(chars_.data(), length_); }
  size_t size() const { return length_; }
  void clear() { length_ = 0; }
  [[nodiscard]] bool append(std::string_view text) {
    if (text.size() > N - length_) return false;
    if (!text.empty()) std::memcpy(chars_.data() + length_, text.data(), text.size());
    length_ += static_cast<uint16_t>(text.size());
    return true;
  }
  [[nodiscard]] bool push(char c) { return append(std::string_view(&c, 1)); }

 private:
  std::array<char, N> chars_;
  uint16_t length_ = 0;
};

// Byte view as text (for TLV values that are strings on the wire).
inline std::string_view asText(std::span<const uint8_t> bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Some senders NUL-terminate TLV strings; the terminator is not part of the
// name a fingerprint matches.
inline std::string_view trimNul(std::string_view s) {
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  return s;
}

}  // namespace portvakt::packet
