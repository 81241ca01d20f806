#include "dataplane/engine/policy_decider.h"

#include <algorithm>
#include <cstdio>
#include <optional>

namespace portvakt::engine {

using forward::DropReason;
using forward::ForwardDecision;
using forward::IngressFrame;
using tables::EventType;
using tables::kNoZone;
using tables::ZoneId;

namespace {

// IEEE 802.1D reserved group addresses (STP, LLDP, EAPOL, LACP, ...) and
// Cisco's CDP/VTP/DTP and PVST+ addresses: frames for the switch itself,
// never forwarded.
bool isLinkControlAddress(const tables::MacAddress& dst) {
  static constexpr uint8_t kIeee[5] = {0x01, 0x80, 0xc2, 0x00, 0x00};
  static constexpr uint8_t kCisco[5] = {0x01, 0x00, 0x0c, 0xcc, 0xcc};
  return (std::equal(kIeee, kIeee + 5, dst.bytes.begin()) && dst.bytes[5] <= 0x0f) ||
         (std::equal(kCisco, kCisco + 5, dst.bytes.begin()) && (dst.bytes[5] == 0xcc || dst.bytes[5] == 0xcd));
}

constexpr uint16_t kEtherTypeSlowProtocols = 0x8809;  // LACP, marker, OAM

// Link control by address, and also by what the frame is: EAPOL sent unicast
// to the authenticator (hostapd reads it from the port itself), LLDP or LACP
// to any address, CDP in SNAP. None of it is ever forwarded.
bool isLinkControl(const packet::ParsedFrame& f, const tables::MacAddress& dst) {
  if (isLinkControlAddress(dst) || f.has(packet::Layer::kCdp)) return true;
  if (f.eth.encapsulation == packet::Encapsulation::kLlc) return false;
  const uint16_t type = f.eth.etherType;
  return type == packet::kEtherTypeEapol || type == packet::kEtherTypeLldp || type == kEtherTypeSlowProtocols;
}

// 802.3 frames without an EtherType: plain LLC (STP, NetBIOS, raw IPX) and
// SNAP with a vendor OUI. A SNAP header with OUI 0 carries an EtherType
// (RFC 1042) and is judged by it.
bool isLlcFrame(const packet::EthernetInfo& eth) {
  return eth.encapsulation == packet::Encapsulation::kLlc ||
         (eth.encapsulation == packet::Encapsulation::kSnap && eth.snapOui != 0);
}

// The anomalies of the IP header itself. A frame whose EtherType says IP and
// that has one of them has no header the flow rules could judge honestly (no
// addresses, a version that is not the EtherType's, options or extension
// headers that run past the packet, a length that lies): it is dropped as
// malformed_ip. Anomalies above IP (a truncated UDP header, bad DHCP) are
// left to the flow rules and the protocol checks.
constexpr packet::Anomaly kIpHeaderAnomalies[] = {
    packet::Anomaly::kIpv4Truncated,
    packet::Anomaly::kIpv4BadVersion,
    packet::Anomaly::kIpv4BadHeaderLength,
    packet::Anomaly::kIpv4BadTotalLength,
    packet::Anomaly::kIpv4TotalLengthOverrun,
    packet::Anomaly::kIpv4OptionOverrun,
    packet::Anomaly::kIpv6Truncated,
    packet::Anomaly::kIpv6BadVersion,
    packet::Anomaly::kIpv6PayloadLengthOverrun,
    packet::Anomaly::kIpv6ExtTruncated,
    packet::Anomaly::kIpv6TooManyExtHeaders,
};

// True when the frame's EtherType (after its tags, or in SNAP) is IPv4 or
// IPv6 and the IP header is missing or has one of the anomalies above.
bool isMalformedIp(const packet::ParsedFrame& f) {
  if (isLlcFrame(f.eth)) return false;
  const uint16_t type = f.eth.etherType;
  if (type != packet::kEtherTypeIpv4 && type != packet::kEtherTypeIpv6) return false;
  if (!f.has(type == packet::kEtherTypeIpv4 ? packet::Layer::kIpv4 : packet::Layer::kIpv6)) return true;
  if (f.anomalies.empty()) return false;  // the common case: no walk over the list
  for (packet::Anomaly a : kIpHeaderAnomalies) {
    if (f.anomalies.contains(a)) return true;
  }
  return false;
}

std::string malformedIpDetail(const packet::ParsedFrame& f) {
  for (packet::Anomaly a : kIpHeaderAnomalies) {
    if (f.anomalies.contains(a)) return std::string(packet::anomalyName(a));
  }
  return "no IP header";
}

bool isIpv4(const packet::IpAddress& a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3) {
  return !a.v6 && a.bytes[0] == b0 && a.bytes[1] == b1 && a.bytes[2] == b2 && a.bytes[3] == b3;
}

// ff02::<last two bytes as given>, all other bytes zero.
bool isIpv6LinkGroup(const packet::IpAddress& a, uint8_t b13, uint8_t b15) {
  if (!a.v6 || a.bytes[0] != 0xff || a.bytes[1] != 0x02) return false;
  for (size_t i = 2; i < 16; ++i) {
    const uint8_t want = i == 13 ? b13 : i == 15 ? b15 : 0;
    if (a.bytes[i] != want) return false;
  }
  return true;
}

constexpr uint8_t kIpProtoIgmp = 2;
constexpr uint8_t kIcmpv6RouterSolicitation = 133;
constexpr uint8_t kIcmpv6RouterAdvertisement = 134;
constexpr uint8_t kIcmpv6NeighborSolicitation = 135;
constexpr uint8_t kIcmpv6NeighborAdvertisement = 136;
constexpr uint8_t kIcmpv6Redirect = 137;

// DHCPv6 messages only a server or relay agent sends to clients: ADVERTISE,
// REPLY, RECONFIGURE, RELAY-REPL (RFC 8415, 7.3).
bool isDhcpv6ServerType(uint8_t type) { return type == 2 || type == 7 || type == 10 || type == 13; }

// A DHCPv6 server or relay reply: by its message type (outer or relayed), or,
// where the parser did not reach the message (a first fragment, no
// reassembly), by its ports: server/relay port 547 to the client port 546.
bool isDhcpv6ServerMessage(const packet::ParsedFrame& f) {
  if (f.has(packet::Layer::kDhcpv6) &&
      (isDhcpv6ServerType(f.dhcpv6.outerMessageType) || isDhcpv6ServerType(f.dhcpv6.messageType)))
    return true;
  return f.has(packet::Layer::kIpv6) && f.has(packet::Layer::kUdp) && f.l4.srcPort == packet::kDhcpv6ServerPort &&
         f.l4.dstPort == packet::kDhcpv6ClientPort;
}

// Router/neighbour solicitation or neighbour advertisement that a receiver
// would accept (hop limit 255, RFC 4861 6.1, 7.1): link-scoped whatever its
// IP destination.
bool isUnicastNd(const packet::ParsedFrame& f) {
  if (!f.has(packet::Layer::kNeighborDiscovery) || f.ip.ttl != 255) return false;
  const uint8_t type = f.l4.icmpType;
  return type == kIcmpv6RouterSolicitation || type == kIcmpv6NeighborSolicitation || type == kIcmpv6NeighborAdvertisement;
}

const char* upperLayerName(uint8_t protocol) {
  switch (protocol) {
    case packet::kIpProtoIcmpv6: return "ICMPv6";
    case packet::kIpProtoUdp: return "UDP";
    case packet::kIpProtoTcp: return "TCP";
  }
  return "upper-layer";
}

// The link-local service an IP frame with a group destination MAC belongs to
// (docs/policy.md, `link_local`), if any. ARP is decided by its EtherType.
std::optional<tables::LinkLocalService> linkLocalService(const packet::ParsedFrame& f) {
  using tables::LinkLocalService;
  const packet::IpAddress& dst = f.ip.dst;
  if (f.has(packet::Layer::kIpv4)) {
    if (f.ip.protocol == kIpProtoIgmp && (dst.bytes[0] & 0xf0) == 0xe0) return LinkLocalService::kIgmp;
    if (!f.has(packet::Layer::kUdp)) return std::nullopt;
    if (f.l4.srcPort == 68 && f.l4.dstPort == 67 && isIpv4(dst, 255, 255, 255, 255)) return LinkLocalService::kDhcp;
    if (f.l4.dstPort == 5353 && isIpv4(dst, 224, 0, 0, 251)) return LinkLocalService::kMdns;
    return std::nullopt;
  }
  if (!f.has(packet::Layer::kIpv6) || dst.bytes[0] != 0xff) return std::nullopt;
  if (f.has(packet::Layer::kIcmpv6)) {
    const uint8_t type = f.l4.icmpType;
    const bool linkScope = dst.bytes[1] == 0x02;
    if (linkScope && (type == kIcmpv6RouterSolicitation || type == kIcmpv6NeighborSolicitation ||
                      type == kIcmpv6NeighborAdvertisement))
      return LinkLocalService::kNd;
    if (type == 130 || type == 131 || type == 132 || type == 143) return LinkLocalService::kMld;
    return std::nullopt;
  }
  if (!f.has(packet::Layer::kUdp)) return std::nullopt;
  if (f.l4.srcPort == 546 && f.l4.dstPort == 547 && isIpv6LinkGroup(dst, 0x01, 0x02)) return LinkLocalService::kDhcpv6;
  if (f.l4.dstPort == 5353 && isIpv6LinkGroup(dst, 0x00, 0xfb)) return LinkLocalService::kMdns;
  return std::nullopt;
}

std::string etherTypeText(const packet::EthernetInfo& eth) {
  if (isLlcFrame(eth)) return "802.3 LLC";
  char hex[24];
  std::snprintf(hex, sizeof hex, "EtherType 0x%04x", eth.etherType);
  return hex;
}

ZoneId onlyInvariantZone(const tables::CompiledPolicy& policy) {
  for (const tables::Invariant& inv : policy.invariants) {
    if (inv.kind == tables::Invariant::Kind::kOnlyClasses) return inv.zone;
  }
  return kNoZone;
}

}  // namespace

PolicyDecider::PolicyDecider(tables::CompiledPolicyPtr policy, fingerprint::ProfilerConfig config,
                             std::shared_ptr<const fingerprint::FingerprintDb> fingerprints)
    : profiler_(std::move(config), policy, std::move(fingerprints)) {
  setPolicy(std::move(policy), 0);
}

void PolicyDecider::setPolicy(tables::CompiledPolicyPtr policy, int64_t nowNs) {
  auto flows = classify::PolicyClassifier::build(*policy);
  // The compiler only emits rules the classifier accepts; if that ever breaks,
  // keep the last good policy rather than run without flow rules.
  if (!flows) return;
  policy_ = std::move(policy);
  flows_ = *flows;
  destinationZones_ = DestinationZones(*policy_);
  regionZone_ = onlyInvariantZone(*policy_);
  profiler_.setPolicy(policy_, nowNs);
  drainProfilerEvents();
}

bool PolicyDecider::popEvent(EngineEvent& out) {
  if (events_.empty()) return false;
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

bool PolicyDecider::claimsGateway(const packet::IpAddress& address) const {
  for (const tables::Zone& z : policy_->zones) {
    for (const tables::Prefix& g : z.gateways) {
      if (g.containsAddress(address.v6, address.bytes.data())) return true;
    }
  }
  return false;
}

void PolicyDecider::report(EngineEvent event) {
  if (events_.size() >= kMaxQueuedEvents) {
    ++counters_.eventsDropped;
    return;
  }
  events_.push_back(std::move(event));
}

bool PolicyDecider::admitEvent(EventType event, const IngressFrame& in) {
  uint64_t key = static_cast<uint64_t>(event) + 1;
  for (uint8_t b : in.src.bytes) key = key * 131 + b;
  if (!recent_.admit(key, in.nowNs).admitted) {
    ++counters_.eventsSuppressed;
    return false;
  }
  return true;
}

void PolicyDecider::drainProfilerEvents() {
  fingerprint::DeviceEvent e;
  while (profiler_.popEvent(e)) {
    // Device events may fill half the queue: a flood of new devices (a
    // monitor-mode jack) must leave room for the rarer security events the
    // switch and the checks report (mac_limit, rogue_dhcp, ...).
    if (events_.size() >= kMaxQueuedDeviceEvents) {
      ++counters_.eventsDropped;
      continue;
    }
    events_.push_back({fingerprint::eventType(e.kind), e.mac, e.port, e.timeNs, std::string(e.detail.view())});
  }
}

std::string PolicyDecider::ruleName(int32_t ruleIndex) const {
  return ruleIndex == classify::kDefaultDeny ? std::string("default deny")
                                             : "flow '" + policy_->flows[static_cast<size_t>(ruleIndex)].name + "'";
}

ForwardDecision PolicyDecider::decide(const IngressFrame& in, Explanation* why) {
  ++counters_.frames;
  // Uplink and trunk frames are judged by their headers alone (below); their
  // transport and application layers are decoded only for a trace.
  const bool access = in.role == tables::PortRole::kAccess;
  // The switch has read the Ethernet header and tag (in.eth): parsing goes on
  // from there, not from the first byte again.
  decoder_.decode(in.frame->bytes, in.eth, frame_, in.frame->wireLength,
                  access || why ? packet::ParseDepth::kFull : packet::ParseDepth::kHeaders);
  // Frame-level checks that hold on every port and in every mode: a broken IP
  // header has no meaningful place to go, and link control is for the switch.
  // Counted by the switch's drop counters only (no event: a flood of broken
  // frames must not become a flood of alerts).
  if (isMalformedIp(frame_)) {
    if (why) why->add("blocked: EtherType says IP but the IP header is broken (" + malformedIpDetail(frame_) + ")");
    return {in.portZone, false, DropReason::kMalformedIp, true};
  }
  if (!access && isLinkControl(frame_, in.dst)) {  // access ports: decideAccess checks it (once)
    if (why) why->add("link-control frame for the switch itself: not forwarded");
    return {in.portZone, false, DropReason::kLinkControl, true};
  }
  if (!access) {
    if (why)
      why->add("arrived on a " + std::string(tables::toString(in.role)) + " port: zone " +
               policy_->zoneName(in.portZone) + " from the port, not filtered (flow rules apply where devices connect)");
    return {in.portZone, true, DropReason::kNone};
  }
  return decideAccess(in, why);
}

void PolicyDecider::setDot1x(fingerprint::Dot1xSnapshotPtr snapshot, int64_t nowNs) {
  profiler_.setDot1x(std::move(snapshot), nowNs);
  if (profiler_.pendingEvents() > 0) drainProfilerEvents();
}

ForwardDecision PolicyDecider::decideAccess(const IngressFrame& in, Explanation* why) {
  const fingerprint::DeviceRecord* device = profiler_.observe(frame_, in.port, in.nowNs);
  if (profiler_.pendingEvents() > 0) drainProfilerEvents();
  if (device && device->inventoried && !device->evidence.dot1xAuthorised && in.port < policy_->ports.size() &&
      policy_->ports[in.port].authentication == tables::Authentication::kDot1x &&
      in.nowNs - device->firstSeenNs > kDot1xGraceNs && admitEvent(EventType::kDot1xFailure, in)) {
    // An inventoried MAC that keeps talking on an 802.1X port without a
    // session: the eKlient's own supplicant is done within a second, so this
    // is a device without the certificate (a copied MAC) or a broken one.
    const fingerprint::Dot1xSnapshotPtr& d = profiler_.dot1x();
    const tables::InventoryDevice* inv = fingerprint::findInventory(*policy_, in.src);
    report({EventType::kDot1xFailure, in.src, in.port, in.nowNs,
            "inventoried MAC (asset " + (inv ? inv->assetId : std::string("?")) + ") sends traffic on 802.1X port " +
                policy_->ports[in.port].interface + " without an authorised 802.1X session" +
                (d && d->radiusUnreachable ? " (no RADIUS server answers)" : "") + "; kept out of the port's zones"});
  }
  const ZoneId zone = device ? device->zone : in.portZone;
  if (why) {
    if (device) {
      why->add("source " + in.src.toString() + ": " + device->committed.explain(*policy_) + " -> zone " +
               policy_->zoneName(zone));
    } else {
      why->add("source " + in.src.toString() + " is not profiled; the port's zone " + policy_->zoneName(zone) +
               " applies");
    }
  }
  if (device && device->quarantinedAsSuspect) {
    if (why) why->add("blocked: spoofing suspect (" + fingerprint::spoofReasonsToString(device->spoofReasons) + ")");
    return {zone, false, DropReason::kMacSpoofing};
  }
  if (std::optional<ForwardDecision> guarded = firstHopGuard(zone, in, why)) return *guarded;
  if (frame_.has(packet::Layer::kArp) && frame_.arp.hasIps && claimsGateway(frame_.arp.senderIp)) {
    // A device on a wall jack announcing a router's address: classic ARP
    // poisoning, whatever MAC it uses. The gateways are named in the policy.
    if (admitEvent(EventType::kArpSpoof, in)) {
      report({EventType::kArpSpoof, in.src, in.port, in.nowNs,
              "ARP from access port " + policy_->ports[in.port].interface + " claims gateway address " +
                  frame_.arp.senderIp.toString()});
    }
    if (why) why->add("blocked: ARP claims the gateway address " + frame_.arp.senderIp.toString() + " (ARP spoofing)");
    return {zone, false, DropReason::kArpSpoofing};
  }
  if (frame_.has(packet::Layer::kArp) && frame_.arp.hasMacs && frame_.arp.senderMac != in.src) {
    if (admitEvent(EventType::kArpSpoof, in)) {
      report({EventType::kArpSpoof, in.src, in.port, in.nowNs,
              "ARP sender " + frame_.arp.senderMac.toString() + " differs from the frame's source"});
    }
    if (why)
      why->add("blocked: ARP sender MAC " + frame_.arp.senderMac.toString() +
               " is not the frame's source (ARP spoofing)");
    return {zone, false, DropReason::kArpSpoofing};
  }
  if (isLinkControl(frame_, in.dst)) {
    // LLDP, CDP, STP, LACP and EAPOL are for the switch: learned from, never
    // forwarded, in every mode.
    if (why) why->add("link-control frame for the switch itself: used as evidence, not forwarded");
    return {zone, false, DropReason::kLinkControl, true};
  }
  if (zone == kNoZone) return {zone, false, DropReason::kNoZone};
  const tables::Zone& z = policy_->zones[zone];
  if (z.quarantine) {
    if (why) why->add("blocked: zone " + policy_->zoneName(zone) + " is a quarantine zone and reaches nothing");
    return {zone, false, DropReason::kQuarantine};
  }
  const fingerprint::DeviceRecord* target = in.dst.isMulticast() ? nullptr : profiler_.find(in.dst);
  const bool sameZone = target && target->zone == zone;
  if (sameZone && z.isolated) {
    if (why) why->add("blocked: both devices are in zone " + policy_->zoneName(zone) + ", which is isolated");
    return {zone, false, DropReason::kPolicyDenied};
  }
  const bool ip = frame_.has(packet::Layer::kIpv4) || frame_.has(packet::Layer::kIpv6);
  if (!ip) return nonIpDecision(zone, why);
  if (in.dst.isMulticast()) return groupDecision(zone, in, why);
  if (sameZone) {
    if (why) why->add("unicast to " + in.dst.toString() + " in the same zone " + policy_->zoneName(zone));
    return {zone, true, DropReason::kNone};
  }
  if (isUnicastNd(frame_) && (z.linkLocal & tables::linkLocalBit(tables::LinkLocalService::kNd))) {
    // Neighbour unreachability detection and solicited advertisements are
    // unicast, to the router behind the uplink too: without them no IPv6
    // packet reaches the router (its ADVERTISEs and replies are never sent).
    // Hop limit 255 keeps them on the link (RFC 4861); the gateway claims
    // were checked above.
    if (why)
      why->add("ICMPv6 neighbour discovery, unicast with hop limit 255: link-local service 'nd' of zone " + z.name);
    return {zone, true, DropReason::kNone};
  }
  return flowDecision(zone, target, in, why);
}

// What only routers and DHCP servers send, from a wall jack (R6; docs/forwarding.md,
// "IPv6 first-hop security"): DHCP/DHCPv6 server messages (DHCP guard), IPv6
// router advertisements and redirects (RA guard, also behind extension
// headers and in first fragments), and neighbour advertisements claiming a
// zone gateway's IPv6 address (ND inspection). The port's `trust` exempts
// it from the first two. Alerts are held per (event, MAC) before any detail
// text is built, so a flood of them allocates nothing.
std::optional<ForwardDecision> PolicyDecider::firstHopGuard(ZoneId zone, const IngressFrame& in, Explanation* why) {
  const tables::Port& port = policy_->ports[in.port];
  const bool trustDhcp = (port.trust & tables::trustBit(tables::TrustedRole::kDhcp)) != 0;
  const bool trustRa = (port.trust & tables::trustBit(tables::TrustedRole::kRa)) != 0;
  if (!trustDhcp && frame_.has(packet::Layer::kDhcp) && frame_.dhcp.op == 2) {
    if (admitEvent(EventType::kRogueDhcp, in))
      report(
          {EventType::kRogueDhcp, in.src, in.port, in.nowNs, "DHCP server message from access port " + port.interface});
    if (why) why->add("blocked: a DHCP server message from an access port (rogue DHCP)");
    return ForwardDecision{zone, false, DropReason::kRogueDhcp};
  }
  if (!frame_.has(packet::Layer::kIpv6)) return std::nullopt;
  if (!trustDhcp && isDhcpv6ServerMessage(frame_)) {
    if (admitEvent(EventType::kRogueDhcp, in)) {
      const unsigned type = frame_.has(packet::Layer::kDhcpv6) ? frame_.dhcpv6.outerMessageType : 0;
      report({EventType::kRogueDhcp, in.src, in.port, in.nowNs,
              "DHCPv6 server message" +
                  (type ? " (type " + std::to_string(type) + ")" : std::string(" (UDP 547 -> 546)")) +
                  " from access port " + port.interface});
    }
    if (why)
      why->add(
          "blocked: a DHCPv6 server message (advertise, reply, reconfigure or relay-reply) from an access port (rogue "
          "DHCPv6)");
    return ForwardDecision{zone, false, DropReason::kRogueDhcp};
  }
  if (frame_.anomalies.contains(packet::Anomaly::kIpv6IncompleteHeaderChain)) {
    // RFC 7112/7113: whatever follows could be a router advertisement or a
    // DHCPv6 reply; no legitimate sender fragments before the upper-layer header.
    if (admitEvent(EventType::kRogueRa, in)) {
      report({EventType::kRogueRa, in.src, in.port, in.nowNs,
              std::string("IPv6 first fragment from access port ") + port.interface + " ends before its " +
                  upperLayerName(frame_.ip.protocol) + " header: it could hide a router advertisement (RFC 7113)"});
    }
    if (why) {
      why->add(std::string("blocked: an IPv6 first fragment that ends before its ") + upperLayerName(frame_.ip.protocol) +
               " header (RFC 7112), the RA-guard evasion of RFC 7113");
    }
    return ForwardDecision{zone, false, DropReason::kRaGuard};
  }
  if (!frame_.has(packet::Layer::kIcmpv6)) return std::nullopt;
  const uint8_t type = frame_.l4.icmpType;
  if ((type == kIcmpv6RouterAdvertisement || type == kIcmpv6Redirect) && !trustRa) {
    const char* what = type == kIcmpv6RouterAdvertisement ? "router advertisement" : "ICMPv6 redirect";
    if (admitEvent(EventType::kRogueRa, in)) {
      std::string detail =
          std::string(what) + " from access port " + port.interface + ", source " + frame_.ip.src.toString();
      if (frame_.ip.fragmented) detail += ", fragmented";
      if (frame_.ip.extHeaderCount > 0)
        detail += ", behind " + std::to_string(frame_.ip.extHeaderCount) + " extension header(s)";
      if (type == kIcmpv6RouterAdvertisement && frame_.has(packet::Layer::kNeighborDiscovery)) {
        detail += ", router lifetime " + std::to_string(frame_.nd.routerLifetime) + " s, " +
                  std::to_string(frame_.nd.prefixCount) + " prefix(es)";
      }
      report({EventType::kRogueRa, in.src, in.port, in.nowNs, std::move(detail)});
    }
    if (why) {
      why->add(std::string("blocked: ") + what + " from access port " + port.interface +
               ", which the policy does not trust for 'ra' (RA guard)");
    }
    return ForwardDecision{zone, false, DropReason::kRaGuard};
  }
  if (type == kIcmpv6NeighborAdvertisement && frame_.has(packet::Layer::kNeighborDiscovery) && frame_.nd.hasTarget &&
      claimsGateway(frame_.nd.target)) {
    if (admitEvent(EventType::kNdSpoof, in)) {
      report({EventType::kNdSpoof, in.src, in.port, in.nowNs,
              "neighbour advertisement from access port " + port.interface + " claims gateway address " +
                  frame_.nd.target.toString()});
    }
    if (why) {
      why->add("blocked: neighbour advertisement claims the gateway address " + frame_.nd.target.toString() +
               " (ND spoofing)");
    }
    return ForwardDecision{zone, false, DropReason::kNdSpoofing};
  }
  return std::nullopt;
}

// ARP is the link-local service `arp`; every other non-IP frame passes only
// with an EtherType (or `llc`) the zone lists in `ethertypes`. Within the
// zone, like any frame: the switch never carries it to another zone.
ForwardDecision PolicyDecider::nonIpDecision(ZoneId zone, Explanation* why) {
  const tables::Zone& z = policy_->zones[zone];
  const packet::EthernetInfo& eth = frame_.eth;
  if (!isLlcFrame(eth) && (eth.etherType == packet::kEtherTypeArp)) {
    if (z.linkLocal & tables::linkLocalBit(tables::LinkLocalService::kArp)) {
      if (why) why->add("ARP: link-local service 'arp' of zone " + z.name + ", within the zone");
      return {zone, true, DropReason::kNone};
    }
    if (why) why->add("blocked: ARP is not among zone " + z.name + "'s link_local services");
    return {zone, false, DropReason::kPolicyDenied};
  }
  const bool allowed = isLlcFrame(eth) ? z.llcFrames : z.allowsEtherType(eth.etherType);
  if (allowed) {
    if (why) why->add(etherTypeText(eth) + ": allowed by zone " + z.name + "'s ethertypes, within the zone");
    return {zone, true, DropReason::kNone};
  }
  if (why)
    why->add("blocked: " + etherTypeText(eth) + " is not IP and zone " + z.name + " does not allow it (ethertypes)");
  return {zone, false, DropReason::kEtherTypeDenied};
}

// IP to a broadcast or multicast MAC. The link-local services of the zone
// flood without a flow rule; everything else is judged by the flow rules with
// its IP destination (255.255.255.255, a subnet broadcast, 239.x, ff0x::, or a
// unicast address hidden in a group frame) and, if allowed, floods within the
// zone like any group frame.
ForwardDecision PolicyDecider::groupDecision(ZoneId zone, const IngressFrame& in, Explanation* why) {
  const tables::Zone& z = policy_->zones[zone];
  if (frame_.has(packet::Layer::kIcmpv6) && frame_.l4.icmpType == kIcmpv6RouterAdvertisement) {
    // Only a port trusted for 'ra' gets here (firstHopGuard): a router on a
    // jack, which advertises to the zone like one behind the uplink.
    if (why) why->add("ICMPv6 router advertisement from a port trusted for 'ra': flooded within zone " + z.name);
    return {zone, true, DropReason::kNone};
  }
  // A DHCP server on a port trusted for 'dhcp' (untrusted ones were dropped
  // in firstHopGuard) answers as part of the zone's dhcp/dhcpv6 service.
  const bool trustedServer = (policy_->ports[in.port].trust & tables::trustBit(tables::TrustedRole::kDhcp)) != 0 &&
                             ((frame_.has(packet::Layer::kDhcp) && frame_.dhcp.op == 2) || isDhcpv6ServerMessage(frame_));
  std::optional<tables::LinkLocalService> service = linkLocalService(frame_);
  if (trustedServer)
    service = frame_.has(packet::Layer::kIpv6) ? tables::LinkLocalService::kDhcpv6 : tables::LinkLocalService::kDhcp;
  if (service) {
    if (z.linkLocal & tables::linkLocalBit(*service)) {
      if (why)
        why->add(std::string("link-local service '") + tables::toString(*service) + "' of zone " + z.name +
                 ": flooded within the zone");
      return {zone, true, DropReason::kNone};
    }
    if (why)
      why->add(std::string("'") + tables::toString(*service) + "' is not among zone " + z.name +
               "'s link_local services: the flow rules decide");
  } else if (why) {
    why->add("broadcast/multicast " + in.dst.toString() + " to " + frame_.ip.dst.toString() +
             " is no link-local service: the flow rules decide");
  }
  return flowDecision(zone, nullptr, in, why);
}

ForwardDecision PolicyDecider::flowDecision(ZoneId srcZone, const fingerprint::DeviceRecord* target,
                                            const IngressFrame& in, Explanation* why) {
  classify::FlowQuery q;
  q.srcZone = srcZone;
  q.dstZone = target ? target->zone : destinationZones_.zoneOf(frame_.ip.dst.v6, frame_.ip.dst.bytes.data());
  q.v6 = frame_.ip.dst.v6;
  q.dst = frame_.ip.dst.bytes;
  q.ipProto = frame_.ip.protocol;
  q.dstPort = (frame_.has(packet::Layer::kTcp) || frame_.has(packet::Layer::kUdp)) ? frame_.l4.dstPort : 0;
  const classify::PolicyVerdict v = flows_->verdict(q);
  if (why) {
    why->flowRule = v.ruleIndex;
    why->add(q.toString() + ": " + tables::toString(v.action) + " by " + ruleName(v.ruleIndex) +
             (v.mode == tables::Mode::kMonitor ? " (monitor mode)" : ""));
  }
  if (v.action == tables::Action::kAllow) return {srcZone, true, DropReason::kNone};
  const bool byInvariant = v.ruleIndex >= 0 && policy_->flows[static_cast<size_t>(v.ruleIndex)].invariant;
  if (byInvariant) {
    // R5: nothing outside the region zone may reach toward it; say so every time.
    raise(srcZone != regionZone_ ? EventType::kRegionAccessAttempt : EventType::kInvariantBlocked, in, [&] {
      return "zone " + policy_->zoneName(srcZone) + " -> " + frame_.ip.dst.toString() + " blocked by " +
             ruleName(v.ruleIndex);
    });
  } else if (v.mode == tables::Mode::kMonitor) {
    ++counters_.monitorOnly;
    // Monitor mode logs what enforcement would drop (docs/policy.md): the same
    // verdict, named, once per device per kEventHoldNs (raise() holds repeats).
    raise(EventType::kFlowDenied, in, [&] {
      return "monitor mode, passed: zone " + policy_->zoneName(srcZone) + " -> " + frame_.ip.dst.toString() +
             " would be denied by " + ruleName(v.ruleIndex);
    });
    if (why) why->add("monitor mode: passed, and counted as a would-be drop");
    return {srcZone, true, DropReason::kNone};
  }
  return {srcZone, false, DropReason::kPolicyDenied, byInvariant};
}

}  // namespace portvakt::engine
