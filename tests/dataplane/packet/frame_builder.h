#pragma once
// A small frame builder for parser tests and fuzz seeds.
//
// Each layer is a Writer: its bytes plus "cut marks" that say which anomaly
// a capture cut at that offset must produce (or that a cut there is clean,
// e.g. between two TLVs). Wrapping a payload in a header shifts the
// payload's marks, so a whole frame knows, for every byte offset, what the
// parser has to report when the frame ends there. That is what the
// truncate-at-every-offset tests check.

#include <arpa/inet.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/packet/frame.h"

namespace portvakt::packet::testing {

using Bytes = std::vector<uint8_t>;

struct CutMark {
  size_t offset = 0;
  std::optional<Anomaly> anomaly;  // nullopt: a cut here is clean
};

class Writer {
 public:
  Writer& u8(uint8_t v) {
    data.push_back(v);
    return *this;
  }
  Writer& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Writer& u24(uint32_t v) { return u8(static_cast<uint8_t>(v >> 16)).u16(static_cast<uint16_t>(v)); }
  Writer& u32(uint32_t v) { return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v)); }
  Writer& bytes(const Bytes& b) {
    data.insert(data.end(), b.begin(), b.end());
    return *this;
  }
  Writer& str(std::string_view s) {
    data.insert(data.end(), s.begin(), s.end());
    return *this;
  }
  Writer& zeros(size_t n) {
    data.insert(data.end(), n, 0);
    return *this;
  }
  Writer& mac(std::string_view text) {
    auto m = MacAddress::parse(text);
    for (uint8_t b : m.value().bytes) u8(b);
    return *this;
  }
  Writer& ip4(const char* text) {
    uint8_t b[4] = {};
    inet_pton(AF_INET, text, b);
    for (uint8_t x : b) u8(x);
    return *this;
  }
  Writer& ip6(const char* text) {
    uint8_t b[16] = {};
    inet_pton(AF_INET6, text, b);
    for (uint8_t x : b) u8(x);
    return *this;
  }
  // From here on, a cut must report `a` ...
  Writer& mark(Anomaly a) {
    marks.push_back({data.size(), a});
    return *this;
  }
  // ... or nothing.
  Writer& clean() {
    marks.push_back({data.size(), std::nullopt});
    return *this;
  }
  Writer& append(const Writer& inner) {
    for (const CutMark& m : inner.marks) marks.push_back({m.offset + data.size(), m.anomaly});
    return bytes(inner.data);
  }
  size_t size() const { return data.size(); }

  // What a capture of the first `n` bytes must report; nullopt = no anomaly.
  // Marks are in offset order; the last one at or before n applies.
  std::optional<Anomaly> expectedAt(size_t n) const {
    std::optional<Anomaly> result;
    for (const CutMark& m : marks) {
      if (m.offset <= n) result = m.anomaly;
    }
    return result;
  }

  Bytes data;
  std::vector<CutMark> marks;
};

inline Writer text(std::string_view s) {
  Writer w;
  w.str(s);
  return w;
}

// Ethernet II (or 802.3 when type < 0x600 is given as 0: then the length is
// filled in), with optional tags (tpid, tci).
inline Writer ethernet(std::string_view dst, std::string_view src, uint16_t type, const Writer& payload,
                       std::vector<std::pair<uint16_t, uint16_t>> tags = {}) {
  Writer w;
  w.mark(Anomaly::kEthTruncated).mac(dst).mac(src);
  for (auto [tpid, tci] : tags) {
    w.u16(tpid).mark(Anomaly::kEthVlanTruncated).u16(tci);
  }
  w.u16(type);
  w.append(payload);
  return w;
}

// 802.3 + LLC/SNAP; payload after the SNAP header.
inline Writer ethernetSnap(std::string_view dst, std::string_view src, uint32_t oui, uint16_t pid,
                           const Writer& payload) {
  Writer w;
  w.mark(Anomaly::kEthTruncated).mac(dst).mac(src).u16(static_cast<uint16_t>(8 + payload.size()));
  w.mark(Anomaly::kEthLlcTruncated).u8(0xaa).u8(0xaa).u8(0x03).u24(oui).u16(pid);
  w.append(payload);
  return w;
}

inline Writer ipv4(const char* src, const char* dst, uint8_t protocol, const Writer& payload, uint16_t flagsOffset = 0,
                   const Bytes& options = {}) {
  Writer w;
  const size_t headerLength = 20 + options.size();
  w.mark(Anomaly::kIpv4Truncated)
      .u8(static_cast<uint8_t>(0x40 | (headerLength / 4)))
      .u8(0)
      .u16(static_cast<uint16_t>(headerLength + payload.size()))
      .u16(0x1234)
      .u16(flagsOffset)
      .u8(64)
      .u8(protocol)
      .u16(0)
      .ip4(src)
      .ip4(dst)
      .bytes(options);
  w.append(payload);
  return w;
}

inline Writer ipv6(const char* src, const char* dst, uint8_t nextHeader, const Writer& payload) {
  Writer w;
  w.mark(Anomaly::kIpv6Truncated)
      .u32(0x60000000)
      .u16(static_cast<uint16_t>(payload.size()))
      .u8(nextHeader)
      .u8(255)
      .ip6(src)
      .ip6(dst);
  w.append(payload);
  return w;
}

inline Writer udp(uint16_t srcPort, uint16_t dstPort, const Writer& payload) {
  Writer w;
  w.mark(Anomaly::kUdpTruncated).u16(srcPort).u16(dstPort).u16(static_cast<uint16_t>(8 + payload.size())).u16(0);
  w.append(payload);
  return w;
}

inline Writer tcp(uint16_t srcPort, uint16_t dstPort, uint8_t flags, const Writer& payload) {
  Writer w;
  w.mark(Anomaly::kTcpTruncated).u16(srcPort).u16(dstPort).u32(1000).u32(0).u8(0x50).u8(flags).u16(65535).u16(0).u16(0);
  w.append(payload);
  return w;
}

inline Writer dhcpOption(uint8_t code, const Bytes& value) {
  Writer w;
  w.clean().u8(code).mark(Anomaly::kDhcpOptionOverrun).u8(static_cast<uint8_t>(value.size())).bytes(value);
  return w;
}
inline Writer dhcpOption(uint8_t code, std::string_view value) {
  return dhcpOption(code, Bytes(value.begin(), value.end()));
}

// BOOTP header + cookie + options + end.
inline Writer dhcp(uint8_t op, uint32_t xid, std::string_view chaddr, const std::vector<Writer>& options,
                   const char* yiaddr = "0.0.0.0") {
  Writer w;
  w.mark(Anomaly::kDhcpTruncated).u8(op).u8(1).u8(6).u8(0).u32(xid).u16(0).u16(0);
  w.ip4("0.0.0.0").ip4(yiaddr).ip4("0.0.0.0").ip4("0.0.0.0").mac(chaddr).zeros(10).zeros(64 + 128);
  w.mark(Anomaly::kDhcpBadCookie).u32(0x63825363);
  for (const Writer& o : options) w.append(o);
  w.clean().u8(255);
  return w;
}

inline Writer lldpTlv(uint8_t type, const Writer& value) {
  Writer w;
  const uint16_t header = static_cast<uint16_t>((type << 9) | (value.size() & 0x1ff));
  w.clean().u8(static_cast<uint8_t>(header >> 8)).mark(Anomaly::kLldpTruncated).u8(static_cast<uint8_t>(header));
  if (value.size() > 0) w.mark(Anomaly::kLldpTlvOverrun);
  w.bytes(value.data);
  return w;
}
inline Writer lldpOrgTlv(uint32_t oui, uint8_t subtype, const Writer& value) {
  Writer v;
  v.u24(oui).u8(subtype).bytes(value.data);
  return lldpTlv(127, v);
}

inline Writer cdpTlv(uint16_t type, const Writer& value) {
  Writer w;
  w.clean().u8(static_cast<uint8_t>(type >> 8)).mark(Anomaly::kCdpTruncated).u8(static_cast<uint8_t>(type));
  w.u16(static_cast<uint16_t>(value.size() + 4));
  if (value.size() > 0) w.mark(Anomaly::kCdpTlvOverrun);
  w.bytes(value.data);
  return w;
}

inline Writer u16Value(uint16_t v) {
  Writer w;
  w.u16(v);
  return w;
}

// A DNS name in wire format (no compression).
inline Writer dnsName(std::string_view dotted) {
  Writer w;
  while (!dotted.empty()) {
    size_t dot = dotted.find('.');
    std::string_view label = dotted.substr(0, dot);
    w.u8(static_cast<uint8_t>(label.size())).str(label);
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  w.u8(0);
  return w;
}

// Parses the bytes and returns the result (a fresh frame each time).
inline const ParsedFrame& parse(const Bytes& bytes, uint32_t wireLength = 0) {
  static ParsedFrame frame;
  parseFrame(bytes, frame, wireLength);
  return frame;
}

inline std::string hexOf(std::span<const uint8_t> b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s.push_back(digits[x >> 4]);
    s.push_back(digits[x & 15]);
  }
  return s;
}

}  // namespace portvakt::packet::testing
