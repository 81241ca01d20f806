#include "dataplane/classify/rule.h"

#include <cstdio>
#include <cstring>

namespace portvakt::classify {

namespace {

uint32_t loadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void storeBe32(uint32_t v, uint8_t* p) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

int idx(Field f) { return static_cast<int>(f); }

// Constrains four consecutive address words to a prefix of `length` bits.
void prefixToBox(const tables::Prefix& p, Field first, Box& box) {
  int words = p.v6 ? 4 : 1;
  for (int w = 0; w < words; ++w) {
    uint32_t value = loadBe32(p.addr.data() + 4 * w);
    int bits = static_cast<int>(p.length) - 32 * w;  // prefix bits inside this word
    if (bits <= 0) continue;                         // wildcard word
    if (bits >= 32) {
      box.lo[idx(first) + w] = box.hi[idx(first) + w] = value;
    } else {
      uint32_t mask = ~uint32_t{0} << (32 - bits);
      box.lo[idx(first) + w] = value & mask;
      box.hi[idx(first) + w] = (value & mask) | ~mask;
    }
  }
  // An IPv4 key has zero in words 1..3; an IPv4 rule leaves them as wildcards,
  // the EtherType dimension already separates the families.
}

uint64_t macBits(const tables::MacAddress& m) {
  uint64_t v = 0;
  for (uint8_t b : m.bytes) v = (v << 8) | b;
  return v;
}

// Constrains (hi32, lo16) to a MAC prefix.
void macToBox(const MacMatch& m, Field hiField, Field loField, Box& box) {
  uint64_t v = macBits(m.mac);
  uint64_t mask = m.length == 0 ? 0 : (~uint64_t{0} << (48 - m.length)) & 0xffffffffffffULL;
  uint64_t lo = v & mask, hi = lo | (~mask & 0xffffffffffffULL);
  // The top word decides first; the bottom word is exact only when the top is.
  int hiBits = std::min<int>(m.length, 32);
  if (hiBits > 0) {
    box.lo[idx(hiField)] = static_cast<uint32_t>(lo >> 16);
    box.hi[idx(hiField)] = static_cast<uint32_t>(hi >> 16);
  }
  if (m.length > 32) {
    box.lo[idx(loField)] = static_cast<uint32_t>(lo & 0xffff);
    box.hi[idx(loField)] = static_cast<uint32_t>(hi & 0xffff);
  }
}

bool macMatches(const MacMatch& m, const tables::MacAddress& a) {
  for (int bit = 0; bit < m.length; ++bit) {
    int byte = bit / 8, shift = 7 - bit % 8;
    if (((m.mac.bytes[byte] >> shift) & 1) != ((a.bytes[byte] >> shift) & 1)) return false;
  }
  return true;
}

}  // namespace

const char* toString(Field f) {
  static const char* const kNames[kFieldCount] = {"zone", "ethertype", "proto",   "sport",   "dport",  "src0",
                                                  "src1", "src2",      "src3",    "dst0",    "dst1",   "dst2",
                                                  "dst3", "smac_hi",   "smac_lo", "dmac_hi", "dmac_lo"};
  return kNames[idx(f)];
}

int fieldBits(Field f) {
  switch (f) {
    case Field::kZone:
    case Field::kEtherType:
    case Field::kSrcPort:
    case Field::kDstPort:
    case Field::kSrcMacLo:
    case Field::kDstMacLo: return 16;
    case Field::kProtocol: return 8;
    default: return 32;
  }
}

FlowKey FlowKey::ipv4(tables::ZoneId zone, uint32_t src, uint32_t dst, uint8_t protocol, uint16_t srcPort,
                      uint16_t dstPort) {
  FlowKey k;
  k.set(Field::kZone, zone);
  k.set(Field::kEtherType, kEtherTypeIpv4);
  k.set(Field::kProtocol, protocol);
  k.set(Field::kSrcPort, srcPort);
  k.set(Field::kDstPort, dstPort);
  k.set(Field::kSrc0, src);
  k.set(Field::kDst0, dst);
  return k;
}

FlowKey FlowKey::ipv6(tables::ZoneId zone, const uint8_t* src, const uint8_t* dst, uint8_t protocol, uint16_t srcPort,
                      uint16_t dstPort) {
  FlowKey k;
  k.set(Field::kZone, zone);
  k.set(Field::kEtherType, kEtherTypeIpv6);
  k.set(Field::kProtocol, protocol);
  k.set(Field::kSrcPort, srcPort);
  k.set(Field::kDstPort, dstPort);
  for (int w = 0; w < 4; ++w) {
    k.f[idx(Field::kSrc0) + w] = loadBe32(src + 4 * w);
    k.f[idx(Field::kDst0) + w] = loadBe32(dst + 4 * w);
  }
  return k;
}

FlowKey FlowKey::ethernet(tables::ZoneId zone, uint16_t etherType) {
  FlowKey k;
  k.set(Field::kZone, zone);
  k.set(Field::kEtherType, etherType);
  return k;
}

void FlowKey::setMacs(const tables::MacAddress& src, const tables::MacAddress& dst) {
  uint64_t s = macBits(src), d = macBits(dst);
  set(Field::kSrcMacHi, static_cast<uint32_t>(s >> 16));
  set(Field::kSrcMacLo, static_cast<uint32_t>(s & 0xffff));
  set(Field::kDstMacHi, static_cast<uint32_t>(d >> 16));
  set(Field::kDstMacLo, static_cast<uint32_t>(d & 0xffff));
}

std::array<uint8_t, 16> FlowKey::srcAddress() const {
  std::array<uint8_t, 16> a{};
  for (int w = 0; w < 4; ++w) storeBe32(f[idx(Field::kSrc0) + w], a.data() + 4 * w);
  return a;
}

std::array<uint8_t, 16> FlowKey::dstAddress() const {
  std::array<uint8_t, 16> a{};
  for (int w = 0; w < 4; ++w) storeBe32(f[idx(Field::kDst0) + w], a.data() + 4 * w);
  return a;
}

namespace {
tables::MacAddress macFrom(uint32_t hi, uint32_t lo) {
  uint64_t v = (uint64_t{hi} << 16) | (lo & 0xffff);
  tables::MacAddress m;
  for (int i = 5; i >= 0; --i, v >>= 8) m.bytes[i] = static_cast<uint8_t>(v);
  return m;
}
}  // namespace

tables::MacAddress FlowKey::srcMac() const { return macFrom(get(Field::kSrcMacHi), get(Field::kSrcMacLo)); }
tables::MacAddress FlowKey::dstMac() const { return macFrom(get(Field::kDstMacHi), get(Field::kDstMacLo)); }

std::string FlowKey::toString() const {
  std::string s;
  char buf[32];
  for (int i = 0; i < kFieldCount; ++i) {
    std::snprintf(buf, sizeof buf, "%s%s=%u", i ? " " : "", classify::toString(static_cast<Field>(i)), f[i]);
    s += buf;
  }
  return s;
}

std::string Rule::toString() const {
  std::string s;
  auto add = [&](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
  if (zone) add("zone=" + std::to_string(*zone));
  if (etherType) add("ethertype=" + std::to_string(*etherType));
  if (src) add("src=" + src->toString());
  if (dst) add("dst=" + dst->toString());
  if (protocol) add("proto=" + std::to_string(*protocol));
  if (!srcPorts.isAny()) add("sport=" + srcPorts.toString());
  if (!dstPorts.isAny()) add("dport=" + dstPorts.toString());
  if (srcMac) add("smac=" + srcMac->mac.toString() + "/" + std::to_string(srcMac->length));
  if (dstMac) add("dmac=" + dstMac->mac.toString() + "/" + std::to_string(dstMac->length));
  if (s.empty()) s = "any";
  return s;
}

std::optional<uint8_t> protocolNumber(tables::Protocol p) {
  switch (p) {
    case tables::Protocol::kAny: return std::nullopt;
    case tables::Protocol::kTcp: return 6;
    case tables::Protocol::kUdp: return 17;
    case tables::Protocol::kIcmp: return 1;
    case tables::Protocol::kIcmpv6: return 58;
  }
  return std::nullopt;
}

std::optional<Box> toBox(const Rule& rule, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<Box> {
    if (why) *why = reason;
    return std::nullopt;
  };
  Box box;
  for (int i = 0; i < kFieldCount; ++i) {
    int bits = fieldBits(static_cast<Field>(i));
    box.hi[i] = bits == 32 ? ~uint32_t{0} : (uint32_t{1} << bits) - 1;
  }
  std::optional<uint16_t> family;
  for (const auto* p : {&rule.src, &rule.dst}) {
    if (!*p) continue;
    if ((*p)->length > (*p)->maxLength()) return fail("prefix length out of range");
    uint16_t t = (*p)->v6 ? kEtherTypeIpv6 : kEtherTypeIpv4;
    if (family && *family != t) return fail("source and destination are of different families");
    family = t;
  }
  if (family && rule.etherType && *rule.etherType != *family) return fail("EtherType contradicts the address family");
  std::optional<uint16_t> etherType = rule.etherType ? rule.etherType : family;
  if (rule.srcPorts.low > rule.srcPorts.high || rule.dstPorts.low > rule.dstPorts.high) return fail("empty port range");
  for (const auto* m : {&rule.srcMac, &rule.dstMac})
    if (*m && (*m)->length > 48) return fail("MAC prefix length out of range");

  if (rule.zone) box.lo[idx(Field::kZone)] = box.hi[idx(Field::kZone)] = *rule.zone;
  if (etherType) box.lo[idx(Field::kEtherType)] = box.hi[idx(Field::kEtherType)] = *etherType;
  if (rule.protocol) box.lo[idx(Field::kProtocol)] = box.hi[idx(Field::kProtocol)] = *rule.protocol;
  box.lo[idx(Field::kSrcPort)] = rule.srcPorts.low;
  box.hi[idx(Field::kSrcPort)] = rule.srcPorts.high;
  box.lo[idx(Field::kDstPort)] = rule.dstPorts.low;
  box.hi[idx(Field::kDstPort)] = rule.dstPorts.high;
  if (rule.src) prefixToBox(*rule.src, Field::kSrc0, box);
  if (rule.dst) prefixToBox(*rule.dst, Field::kDst0, box);
  if (rule.srcMac) macToBox(*rule.srcMac, Field::kSrcMacHi, Field::kSrcMacLo, box);
  if (rule.dstMac) macToBox(*rule.dstMac, Field::kDstMacHi, Field::kDstMacLo, box);
  return box;
}

bool matches(const Rule& rule, const FlowKey& key) {
  if (rule.zone && key.get(Field::kZone) != *rule.zone) return false;
  uint32_t etherType = key.get(Field::kEtherType);
  if (rule.etherType && etherType != *rule.etherType) return false;
  if (rule.src || rule.dst) {
    bool keyV6 = etherType == kEtherTypeIpv6;
    if (!keyV6 && etherType != kEtherTypeIpv4) return false;
    if (rule.src && !rule.src->containsAddress(keyV6, key.srcAddress().data())) return false;
    if (rule.dst && !rule.dst->containsAddress(keyV6, key.dstAddress().data())) return false;
  }
  if (rule.protocol && key.get(Field::kProtocol) != *rule.protocol) return false;
  if (!rule.srcPorts.contains(static_cast<uint16_t>(key.get(Field::kSrcPort)))) return false;
  if (!rule.dstPorts.contains(static_cast<uint16_t>(key.get(Field::kDstPort)))) return false;
  if (rule.srcMac && !macMatches(*rule.srcMac, key.srcMac())) return false;
  if (rule.dstMac && !macMatches(*rule.dstMac, key.dstMac())) return false;
  return true;
}

}  // namespace portvakt::classify
