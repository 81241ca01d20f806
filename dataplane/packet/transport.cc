#include "dataplane/packet/transport.h"

#include "dataplane/packet/frame.h"

namespace portvakt::packet {

bool parseTcp(Cursor& c, ParsedFrame& out) {
  TransportInfo& l4 = out.l4;
  if (!c.readU16(l4.srcPort) || !c.readU16(l4.dstPort)) {
    out.flag(Anomaly::kTcpTruncated);
    return false;
  }
  out.add(Layer::kTcp);  // the ports are worth keeping even if the rest is cut off
  uint8_t offset = 0;
  uint16_t checksum = 0, urgent = 0;
  if (!c.readU32(l4.tcpSeq) || !c.readU32(l4.tcpAck) || !c.readU8(offset) || !c.readU8(l4.tcpFlags) ||
      !c.readU16(l4.tcpWindow) || !c.readU16(checksum) || !c.readU16(urgent)) {
    out.flag(Anomaly::kTcpTruncated);
    return false;
  }
  l4.tcpHeaderLength = static_cast<uint8_t>((offset >> 4) * 4);
  if (l4.tcpHeaderLength < 20) {
    out.flag(Anomaly::kTcpBadHeaderLength);
    return false;
  }
  if (!c.skip(l4.tcpHeaderLength - 20u)) {  // options
    out.flag(Anomaly::kTcpTruncated);
    return false;
  }
  out.payload = c.rest();
  return true;
}

namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]); }

// A UDP header cut short: the ports when they are there, flagged.
bool truncatedUdp(Cursor& c, ParsedFrame& out) {
  TransportInfo& l4 = out.l4;
  if (c.readU16(l4.srcPort) && c.readU16(l4.dstPort)) {
    out.add(Layer::kUdp);
    (void)c.readU16(l4.udpLength);
  }
  out.flag(Anomaly::kUdpTruncated);
  return false;
}

}  // namespace

bool parseUdp(Cursor& c, ParsedFrame& out) {
  TransportInfo& l4 = out.l4;
  // Every UDP frame comes here: with the 8 bytes captured (the one length
  // check), the fields are read in place.
  const std::span<const uint8_t> header = c.rest();
  if (header.size() < 8) return truncatedUdp(c, out);
  l4.srcPort = be16(&header[0]);
  l4.dstPort = be16(&header[2]);
  l4.udpLength = be16(&header[4]);
  (void)c.skip(8);
  out.add(Layer::kUdp);
  if (l4.udpLength < 8) {
    out.flag(Anomaly::kUdpBadLength);
    return false;
  }
  size_t payloadLength = l4.udpLength - 8u;
  if (payloadLength > c.remaining() && !out.snapped()) out.flag(Anomaly::kUdpLengthOverrun);
  c.clampRemaining(payloadLength);
  out.payload = c.rest();
  return true;
}

void parseIcmp(Cursor c, ParsedFrame& out) {
  uint16_t checksum = 0;
  if (!c.readU8(out.l4.icmpType) || !c.readU8(out.l4.icmpCode) || !c.readU16(checksum)) {
    out.flag(Anomaly::kIcmpTruncated);
    return;
  }
  out.add(Layer::kIcmp);
  out.payload = c.rest();
}

namespace {

void parseNdOptions(Cursor c, ParsedFrame& out) {
  NdInfo& nd = out.nd;
  while (!c.empty()) {
    if (nd.optionCount == kMaxNdOptions) {
      out.flag(Anomaly::kIcmpv6TooManyNdOptions);
      return;
    }
    uint8_t type = 0, units = 0;
    if (!c.readU8(type) || !c.readU8(units)) {
      out.flag(Anomaly::kIcmpv6NdOptionOverrun);
      return;
    }
    if (units == 0) {
      out.flag(Anomaly::kIcmpv6NdOptionZeroLength);
      return;
    }
    Cursor body;
    if (!c.take(size_t{units} * 8 - 2, body)) {
      out.flag(Anomaly::kIcmpv6NdOptionOverrun);
      return;
    }
    ++nd.optionCount;
    if (type == 1 && !nd.hasSourceLinkAddress) {
      nd.hasSourceLinkAddress = body.copy(nd.sourceLinkAddress.bytes.data(), 6);
    } else if (type == 2 && !nd.hasTargetLinkAddress) {
      nd.hasTargetLinkAddress = body.copy(nd.targetLinkAddress.bytes.data(), 6);
    } else if (type == 3) {
      ++nd.prefixCount;
    }
  }
}

}  // namespace

void parseIcmpv6Header(Cursor c, ParsedFrame& out) {
  uint16_t checksum = 0;
  if (!c.readU8(out.l4.icmpType) || !c.readU8(out.l4.icmpCode) || !c.readU16(checksum)) {
    out.flag(Anomaly::kIcmpv6Truncated);
    return;
  }
  out.add(Layer::kIcmpv6);
  out.payload = c.rest();
}

void parseIcmpv6(Cursor c, ParsedFrame& out) {
  out.touch(Layer::kNeighborDiscovery);
  parseIcmpv6Header(c, out);
  if (!out.has(Layer::kIcmpv6) || !c.skip(4)) return;  // past the header parseIcmpv6Header read
  uint8_t type = out.l4.icmpType;
  if (type < 133 || type > 137) return;

  NdInfo& nd = out.nd;
  bool ok = true;
  switch (type) {
    case 133:  // router solicitation
      ok = c.skip(4);
      break;
    case 134: {  // router advertisement
      uint8_t hopLimit = 0;
      ok = c.readU8(hopLimit) && c.readU8(nd.flags) && c.readU16(nd.routerLifetime) && c.skip(8);
      break;
    }
    case 135:  // neighbour solicitation
      ok = c.skip(4) && c.copy(nd.target.bytes.data(), 16);
      nd.hasTarget = ok;
      break;
    case 136:  // neighbour advertisement
      ok = c.readU8(nd.flags) && c.skip(3) && c.copy(nd.target.bytes.data(), 16);
      nd.hasTarget = ok;
      break;
    case 137:  // redirect
      ok = c.skip(4) && c.copy(nd.target.bytes.data(), 16) && c.skip(16);
      nd.hasTarget = ok;
      break;
    default: break;
  }
  nd.target.v6 = true;
  if (!ok) {
    out.flag(Anomaly::kIcmpv6Truncated);
    return;
  }
  out.add(Layer::kNeighborDiscovery);
  parseNdOptions(c, out);
}

}  // namespace portvakt::packet
