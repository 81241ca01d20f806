#include "dataplane/packet/ip.h"

#include "dataplane/packet/frame.h"

namespace portvakt::packet {

namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]); }

// What the field-by-field read of an IPv4 header shorter than 20 bytes
// leaves in `ip` (the fields before the cut), as it always has: the frame is
// truncated and no reader relies on them, but a parse stays the same.
void readTruncatedFixedHeader(Cursor c, IpInfo& ip) {
  uint8_t ignored = 0;
  uint16_t skipped = 0;
  (void)(c.readU8(ignored) && c.readU8(ip.trafficClass) && c.readU16(skipped) && c.readU16(skipped) &&
         c.readU16(skipped) && c.readU8(ip.ttl) && c.readU8(ip.protocol) && c.readU16(skipped) &&
         c.copy(ip.src.bytes.data(), 4));
}

}  // namespace

bool parseIpv4(Cursor& c, ParsedFrame& out) {
  out.touch(Layer::kIpv4);
  IpInfo& ip = out.ip;
  uint8_t versionIhl = 0;
  if (!c.peekU8(versionIhl)) {
    out.flag(Anomaly::kIpv4Truncated);
    return false;
  }
  ip.version = versionIhl >> 4;
  if (ip.version != 4) {
    out.flag(Anomaly::kIpv4BadVersion);
    return false;
  }
  size_t headerLength = size_t{versionIhl & 0x0fu} * 4;
  if (headerLength < 20) {
    out.flag(Anomaly::kIpv4BadHeaderLength);
    return false;
  }
  // The fixed 20 bytes first, so that a header whose options are cut off
  // still yields its addresses. Every IP frame comes here: with the 20 bytes
  // captured (the one length check), the fields are read in place.
  uint16_t totalLength = 0, identification = 0, flagsOffset = 0;
  const std::span<const uint8_t> fixed = c.rest();
  if (fixed.size() < 20) {
    readTruncatedFixedHeader(c, ip);
    out.flag(Anomaly::kIpv4Truncated);
    return false;
  }
  ip.trafficClass = fixed[1];
  totalLength = be16(&fixed[2]);
  identification = be16(&fixed[4]);
  flagsOffset = be16(&fixed[6]);
  ip.ttl = fixed[8];
  ip.protocol = fixed[9];
  std::memcpy(ip.src.bytes.data(), &fixed[12], 4);
  std::memcpy(ip.dst.bytes.data(), &fixed[16], 4);
  ip.headerLength = static_cast<uint16_t>(headerLength);
  ip.totalLength = totalLength;
  ip.identification = identification;
  ip.dontFragment = (flagsOffset & 0x4000) != 0;
  ip.moreFragments = (flagsOffset & 0x2000) != 0;
  ip.fragmentOffset = uint32_t{flagsOffset & 0x1fffu} * 8;
  ip.fragmented = ip.moreFragments || ip.fragmentOffset != 0;
  out.add(Layer::kIpv4);

  Cursor header;
  if (!c.take(headerLength, header)) {
    out.flag(Anomaly::kIpv4Truncated);
    return false;
  }
  (void)header.skip(20);

  // Options: at most 40 bytes and every iteration consumes at least one, so
  // the loop is bounded by the header length itself.
  while (!header.empty()) {
    uint8_t type = 0, length = 0;
    if (!header.readU8(type) || type == 0) break;  // end of option list
    if (type == 1) continue;                       // no-op
    if (!header.readU8(length) || length < 2 || !header.skip(length - 2u)) {
      out.flag(Anomaly::kIpv4OptionOverrun);
      break;
    }
    ++ip.optionCount;
    if (type == 148) ip.routerAlert = true;
  }

  if (totalLength < headerLength) {
    out.flag(Anomaly::kIpv4BadTotalLength);
    return false;
  }
  size_t payloadLength = totalLength - headerLength;
  if (payloadLength > c.remaining() && !out.snapped()) out.flag(Anomaly::kIpv4TotalLengthOverrun);
  c.clampRemaining(payloadLength);  // drops Ethernet padding
  return ip.fragmentOffset == 0;
}

namespace {

bool isExtensionHeader(uint8_t nextHeader) {
  switch (nextHeader) {
    case 0:    // hop-by-hop options
    case 43:   // routing
    case 44:   // fragment
    case 51:   // authentication header
    case 60:   // destination options
    case 135:  // mobility
    case 139:  // HIP
    case 140:  // shim6
      return true;
    default: return false;
  }
}

}  // namespace

bool parseIpv6(Cursor& c, ParsedFrame& out) {
  out.touch(Layer::kIpv6);
  IpInfo& ip = out.ip;
  uint8_t first = 0;
  if (!c.peekU8(first)) {
    out.flag(Anomaly::kIpv6Truncated);
    return false;
  }
  ip.version = first >> 4;
  if (ip.version != 6) {
    out.flag(Anomaly::kIpv6BadVersion);
    return false;
  }
  uint32_t versionClassFlow = 0;
  uint16_t payloadLength = 0;
  uint8_t nextHeader = 0;
  if (!c.readU32(versionClassFlow) || !c.readU16(payloadLength) || !c.readU8(nextHeader) || !c.readU8(ip.ttl) ||
      !c.copy(ip.src.bytes.data(), 16) || !c.copy(ip.dst.bytes.data(), 16)) {
    out.flag(Anomaly::kIpv6Truncated);
    return false;
  }
  ip.src.v6 = ip.dst.v6 = true;
  ip.trafficClass = static_cast<uint8_t>(versionClassFlow >> 20);
  ip.flowLabel = versionClassFlow & 0xfffff;
  ip.totalLength = 40u + payloadLength;
  ip.headerLength = 40;
  out.add(Layer::kIpv6);

  // Payload length 0 with a hop-by-hop header is a jumbogram (RFC 2675): the
  // real length is in an option, and the capture bounds it anyway.
  bool jumbo = payloadLength == 0 && nextHeader == 0;
  if (!jumbo) {
    if (payloadLength > c.remaining() && !out.snapped()) out.flag(Anomaly::kIpv6PayloadLengthOverrun);
    c.clampRemaining(payloadLength);
  }

  while (isExtensionHeader(nextHeader)) {
    if (ip.extHeaderCount == kMaxIpv6ExtHeaders) {
      out.flag(Anomaly::kIpv6TooManyExtHeaders);
      ip.protocol = nextHeader;
      return false;
    }
    ip.extHeaders[ip.extHeaderCount++] = nextHeader;
    uint8_t following = 0, lengthField = 0;
    Cursor peek = c;
    if (!peek.readU8(following) || !peek.readU8(lengthField)) {
      out.flag(Anomaly::kIpv6ExtTruncated);
      ip.protocol = nextHeader;
      return false;
    }
    size_t length = nextHeader == 44   ? 8
                    : nextHeader == 51 ? (size_t{lengthField} + 2) * 4
                                       : (size_t{lengthField} + 1) * 8;
    Cursor ext;
    if (!c.take(length, ext)) {
      out.flag(Anomaly::kIpv6ExtTruncated);
      ip.protocol = nextHeader;
      return false;
    }
    ip.headerLength = static_cast<uint16_t>(ip.headerLength + length);
    if (nextHeader == 44) {
      uint16_t offsetFlags = 0;
      uint32_t identification = 0;
      (void)(ext.skip(2) && ext.readU16(offsetFlags) && ext.readU32(identification));
      ip.fragmented = true;
      ip.fragmentOffset = (uint32_t{offsetFlags} >> 3) * 8;
      ip.moreFragments = (offsetFlags & 1) != 0;
      ip.identification = identification;
    } else if (nextHeader == 0) {
      // Hop-by-hop options: only router alert (MLD, RSVP) is of interest.
      (void)ext.skip(2);
      while (!ext.empty()) {
        uint8_t type = 0, optLength = 0;
        if (!ext.readU8(type)) break;
        if (type == 0) continue;  // Pad1
        if (!ext.readU8(optLength) || !ext.skip(optLength)) break;
        if (type == 5) ip.routerAlert = true;
      }
    }
    nextHeader = following;
  }
  ip.protocol = nextHeader;
  if (nextHeader == 59) return false;  // no next header
  return ip.fragmentOffset == 0;
}

}  // namespace portvakt::packet
