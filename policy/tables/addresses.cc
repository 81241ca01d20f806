#include "policy/tables/addresses.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace portvakt::tables {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads exactly `count` bytes of hex digits, allowing the given separators
// every `group` digits.
bool parseHexBytes(std::string_view text, uint8_t* out, size_t count, size_t group, char sep) {
  size_t digits = 0;
  size_t pos = 0;
  while (digits < count * 2) {
    if (pos >= text.size()) return false;
    if (digits > 0 && digits % group == 0 && sep != 0) {
      if (text[pos] != sep) return false;
      ++pos;
      if (pos >= text.size()) return false;
    }
    int v = hexValue(text[pos]);
    if (v < 0) return false;
    if (digits % 2 == 0) out[digits / 2] = static_cast<uint8_t>(v << 4);
    else out[digits / 2] |= static_cast<uint8_t>(v);
    ++digits;
    ++pos;
  }
  return pos == text.size();
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  MacAddress mac;
  if (text.size() == 17 &&
      (parseHexBytes(text, mac.bytes.data(), 6, 2, ':') || parseHexBytes(text, mac.bytes.data(), 6, 2, '-'))) {
    return mac;
  }
  if (text.size() == 14 && parseHexBytes(text, mac.bytes.data(), 6, 4, '.')) return mac;
  return std::nullopt;
}

std::string MacAddress::toString() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
                bytes[5]);
  return buf;
}

std::optional<uint32_t> parseOui(std::string_view text) {
  uint8_t b[3];
  bool ok = (text.size() == 8 && (parseHexBytes(text, b, 3, 2, ':') || parseHexBytes(text, b, 3, 2, '-'))) ||
            (text.size() == 6 && parseHexBytes(text, b, 3, 2, 0));
  if (!ok) return std::nullopt;
  return (uint32_t{b[0]} << 16) | (uint32_t{b[1]} << 8) | b[2];
}

std::string ouiToString(uint32_t oui) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x", (oui >> 16) & 0xff, (oui >> 8) & 0xff, oui & 0xff);
  return buf;
}

std::optional<Prefix> Prefix::parse(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string address(text);
  int length = -1;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    address = std::string(text.substr(0, slash));
    std::string_view len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3) return std::nullopt;
    auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), length);
    if (ec != std::errc() || ptr != len.data() + len.size()) return std::nullopt;
  }
  Prefix p;
  if (inet_pton(AF_INET, address.c_str(), p.addr.data()) == 1) {
    p.v6 = false;
  } else if (inet_pton(AF_INET6, address.c_str(), p.addr.data()) == 1) {
    p.v6 = true;
  } else {
    return std::nullopt;
  }
  if (length < 0) length = p.maxLength();
  if (length > p.maxLength()) return std::nullopt;
  p.length = static_cast<uint8_t>(length);
  // Host bits must be zero.
  for (int bit = length; bit < p.maxLength(); ++bit) {
    if (p.addr[bit / 8] & (0x80 >> (bit % 8))) return std::nullopt;
  }
  return p;
}

std::string Prefix::toString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, addr.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(length);
}

bool Prefix::containsAddress(bool isV6, const uint8_t* address) const {
  if (isV6 != v6) return false;
  int full = length / 8;
  if (std::memcmp(addr.data(), address, full) != 0) return false;
  int rest = length % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (addr[full] & mask) == (address[full] & mask);
}

bool Prefix::contains(const Prefix& other) const {
  if (other.v6 != v6 || other.length < length) return false;
  return containsAddress(v6, other.addr.data());
}

std::optional<PortRange> PortRange::parse(std::string_view text) {
  if (text == "any") return PortRange{};
  auto number = [](std::string_view s) -> std::optional<uint16_t> {
    unsigned v = 0;
    if (s.empty() || s.size() > 5) return std::nullopt;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || v > 65535) return std::nullopt;
    return static_cast<uint16_t>(v);
  };
  auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    auto v = number(text);
    if (!v) return std::nullopt;
    return PortRange{*v, *v};
  }
  auto lo = number(text.substr(0, dash));
  auto hi = number(text.substr(dash + 1));
  if (!lo || !hi || *lo > *hi) return std::nullopt;
  return PortRange{*lo, *hi};
}

std::string PortRange::toString() const {
  if (isAny()) return "any";
  if (low == high) return std::to_string(low);
  return std::to_string(low) + "-" + std::to_string(high);
}

}  // namespace portvakt::tables
