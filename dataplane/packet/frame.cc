#include "dataplane/packet/frame.h"

namespace portvakt::packet {
namespace {

constexpr uint32_t kRareSections = static_cast<uint32_t>(Layer::kArp) | static_cast<uint32_t>(Layer::kNeighborDiscovery) |
                                   static_cast<uint32_t>(Layer::kDhcp) | static_cast<uint32_t>(Layer::kDhcpv6) |
                                   static_cast<uint32_t>(Layer::kLldp) | static_cast<uint32_t>(Layer::kCdp) |
                                   static_cast<uint32_t>(Layer::kEapol) | static_cast<uint32_t>(Layer::kSip) |
                                   static_cast<uint32_t>(Layer::kMdns) | static_cast<uint32_t>(Layer::kSsdp);

}  // namespace

void ParsedFrame::reset(std::span<const uint8_t> frame, uint32_t wire) {
  bytes = frame;
  wireLength = wire > frame.size() ? wire : static_cast<uint32_t>(frame.size());
  layers = 0;
  anomalies.clear();
  const uint32_t touched = touched_;
  auto was = [touched](Layer l) { return (touched & static_cast<uint32_t>(l)) != 0; };
  eth = {};  // always written; small
  l4 = {};
  if (was(Layer::kIpv4) || was(Layer::kIpv6)) ip = {};
  touched_ = 0;
  payload = {};
  // The sections below are touched by few frames (not by IP data): one test
  // for all of them.
  if ((touched & kRareSections) == 0) return;
  if (was(Layer::kArp)) arp = {};
  if (was(Layer::kNeighborDiscovery)) nd = {};
  if (was(Layer::kDhcp)) dhcp = {};
  if (was(Layer::kDhcpv6)) dhcpv6 = {};
  if (was(Layer::kLldp)) lldp = {};
  if (was(Layer::kCdp)) cdp = {};
  if (was(Layer::kEapol)) eapol = {};
  if (was(Layer::kSip)) sip = {};
  if (was(Layer::kMdns)) mdns.clear();
  if (was(Layer::kSsdp)) ssdp = {};
}

namespace {

bool isPort(const TransportInfo& l4, uint16_t port) { return l4.srcPort == port || l4.dstPort == port; }

// The ports of the applications decoded below.
bool isApplicationPort(uint16_t port) {
  switch (port) {
    case kDhcpServerPort:
    case kDhcpClientPort:
    case kDhcpv6ClientPort:
    case kDhcpv6ServerPort:
    case kMdnsPort:
    case kSsdpPort:
    case kSipPort: return true;
    default: return false;
  }
}

void parseUdpApplication(Cursor c, ParsedFrame& out) {
  const TransportInfo& l4 = out.l4;
  // Most datagrams use none of the ports below: one switch per port instead
  // of the seven pairs of compares, then only the SIP sniff.
  if (!isApplicationPort(l4.srcPort) && !isApplicationPort(l4.dstPort)) {
    if (looksLikeSip(c.rest())) parseSip(c, out);
    return;
  }
  if (isPort(l4, kDhcpServerPort) || isPort(l4, kDhcpClientPort)) {
    // Both ends must be 67/68: plain BOOTP relays use 67<->67, clients 68->67.
    if ((l4.srcPort == 67 || l4.srcPort == 68) && (l4.dstPort == 67 || l4.dstPort == 68)) {
      parseDhcp(c, out);
      return;
    }
  }
  if (isPort(l4, kDhcpv6ClientPort) || isPort(l4, kDhcpv6ServerPort)) {
    if ((l4.srcPort == 546 || l4.srcPort == 547) && (l4.dstPort == 546 || l4.dstPort == 547)) {
      parseDhcpv6(c, out);
      return;
    }
  }
  if (isPort(l4, kMdnsPort)) {
    parseMdns(c, out);
    return;
  }
  if (isPort(l4, kSsdpPort)) {
    parseSsdp(c, out);
    return;
  }
  if (isPort(l4, kSipPort) || looksLikeSip(c.rest())) {
    parseSip(c, out);
  }
}

void parseTcpApplication(Cursor c, ParsedFrame& out) {
  if (c.empty()) return;
  // Only SIP over TCP is decoded; a segment counts when it starts a message.
  if (looksLikeSip(c.rest())) parseSip(c, out);
}

void parseIpPayload(Cursor c, ParsedFrame& out) {
  // The first fragment has the transport header but not the whole message:
  // parse ports (and the ICMPv6 type), not the application (no reassembly).
  const bool wholeDatagram = !out.ip.fragmented;
  switch (out.ip.protocol) {
    case kIpProtoTcp:
      if (parseTcp(c, out) && wholeDatagram) parseTcpApplication(c, out);
      break;
    case kIpProtoUdp:
      if (parseUdp(c, out) && wholeDatagram) parseUdpApplication(c, out);
      break;
    case kIpProtoIcmp:
      if (out.has(Layer::kIpv4)) parseIcmp(c, out);
      break;
    case kIpProtoIcmpv6:
      if (!out.has(Layer::kIpv6)) break;
      if (wholeDatagram) parseIcmpv6(c, out);
      else parseIcmpv6Header(c, out);  // RA guard must see the type of a fragmented RA
      break;
    default: break;
  }
  // RFC 7112: a first fragment carries the whole header chain, upper-layer
  // header included. One that ends before it hides what it is from every
  // check that reads it (the RA-guard evasion of RFC 7113).
  if (out.has(Layer::kIpv6) && out.ip.fragmented) {
    const uint8_t p = out.ip.protocol;
    const bool missing = (p == kIpProtoTcp && !out.has(Layer::kTcp)) || (p == kIpProtoUdp && !out.has(Layer::kUdp)) ||
                         (p == kIpProtoIcmpv6 && !out.has(Layer::kIcmpv6));
    if (missing) out.flag(Anomaly::kIpv6IncompleteHeaderChain);
  }
}

// Everything after the Ethernet header (and its tags); `c` is at the payload.
void parseAfterEthernet(Cursor& c, ParsedFrame& out, ParseDepth depth) {
  const EthernetInfo& eth = out.eth;
  if (eth.encapsulation == Encapsulation::kSnap && eth.snapOui == kOuiCisco && eth.snapPid == kSnapPidCdp) {
    parseCdp(c, out);
    return;
  }
  if (eth.encapsulation == Encapsulation::kLlc) return;  // STP and friends: not parsed

  const bool full = depth == ParseDepth::kFull;
  switch (eth.etherType) {
    case kEtherTypeIpv4:
      if (parseIpv4(c, out) && full) parseIpPayload(c, out);
      break;
    case kEtherTypeIpv6:
      if (parseIpv6(c, out) && full) parseIpPayload(c, out);
      break;
    case kEtherTypeArp:
    case kEtherTypeRarp:
      if (full) parseArp(c, out);
      break;
    case kEtherTypeLldp:
      if (full) parseLldp(c, out);
      break;
    case kEtherTypeEapol:
      if (full) parseEapol(c, out);
      break;
    default: break;
  }
}

}  // namespace

void parseFrame(std::span<const uint8_t> frame, ParsedFrame& out, uint32_t wireLength, ParseDepth depth) {
  out.reset(frame, wireLength);
  Cursor c(frame);
  if (!parseEthernet(c, out)) return;
  parseAfterEthernet(c, out, depth);
}

void parseFrameAfterEthernet(std::span<const uint8_t> frame, const EthernetView& view, ParsedFrame& out,
                             uint32_t wireLength, ParseDepth depth) {
  const size_t header = view.headerLen;
  if (view.etherType < 0x0600 || view.tagCount > 1 || header != 14u + 4u * view.tagCount || frame.size() < header) {
    parseFrame(frame, out, wireLength, depth);
    return;
  }
  out.reset(frame, wireLength);
  EthernetInfo& eth = out.eth;
  eth.dst = view.dst;
  eth.src = view.src;
  out.add(Layer::kEthernet);
  if (view.tagCount == 1) {
    VlanTag& tag = eth.tags[eth.tagCount++];
    tag.tpid = view.outerTpid;
    tag.pcp = static_cast<uint8_t>(view.outerTci >> 13);
    tag.dei = (view.outerTci & 0x1000) != 0;
    tag.vid = view.outerTci & 0x0fff;
    out.add(Layer::kVlan);
  }
  eth.etherType = view.etherType;
  Cursor c(frame);
  (void)c.skip(header);  // checked above: header <= frame.size()
  parseAfterEthernet(c, out, depth);
}

}  // namespace portvakt::packet
