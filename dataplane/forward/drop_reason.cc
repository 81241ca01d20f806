#include "dataplane/forward/drop_reason.h"

namespace portvakt::forward {
namespace {

constexpr DropReasonInfo kInfos[] = {
    {DropReason::kTruncated, "truncated", "frame shorter than an Ethernet header or its VLAN tag"},
    {DropReason::kSnapped, "snapped", "frame captured shorter than its length on the wire"},
    {DropReason::kOversize, "oversize", "frame too large to rewrite its VLAN tag"},
    {DropReason::kBadSourceMac, "bad_source_mac", "source MAC is multicast, broadcast or all zeros"},
    {DropReason::kVlanHopping, "vlan_hopping", "two or more VLAN tags on an access or uplink port"},
    {DropReason::kTaggedOnUntaggedPort, "tagged_on_untagged_port",
     "VLAN-tagged frame (VID other than 0) on an access or uplink port"},
    {DropReason::kUntaggedOnTrunk, "untagged_on_trunk", "untagged frame on a trunk port without a native zone"},
    {DropReason::kVlanNotAllowed, "vlan_not_allowed", "trunk frame tagged with a VLAN the port does not carry"},
    {DropReason::kStackedTagsOnTrunk, "stacked_tags_on_trunk", "two or more VLAN tags on a trunk port"},
    {DropReason::kMonitorPort, "monitor_port", "frame received on a monitor port (never forwarded)"},
    {DropReason::kPortDown, "port_down", "frame received on a port that is down"},
    {DropReason::kMacLimit, "mac_limit", "new MAC on an access port that already has its maximum number of MACs"},
    {DropReason::kHairpin, "hairpin", "destination MAC was learned on the ingress port"},
    {DropReason::kNoEgress, "no_egress", "no other port is up and carries the frame's zone"},
    {DropReason::kNoZone, "no_zone", "the admission decision gave no zone for the source"},
    {DropReason::kZoneNotOnPort, "zone_not_on_port", "the decided zone is not carried by the ingress port"},
    {DropReason::kPolicyDenied, "policy_denied", "a flow rule or the default deny forbids the frame"},
    {DropReason::kQuarantine, "quarantine", "source is in quarantine and the frame is not allowed there"},
    {DropReason::kMacSpoofing, "mac_spoofing",
     "MAC of an inventoried device on another port or with another fingerprint"},
    {DropReason::kRogueDhcp, "rogue_dhcp", "DHCP server message from an access port"},
    {DropReason::kArpSpoofing, "arp_spoofing", "ARP reply claiming a protected address from an access port"},
    {DropReason::kLinkControl, "link_control",
     "LLDP/CDP/STP/EAPOL frame for the switch itself: used as evidence, not forwarded"},
    {DropReason::kMalformedIp, "malformed_ip",
     "EtherType says IPv4/IPv6 but the IP header is missing, truncated or invalid"},
    {DropReason::kEtherTypeDenied, "ethertype_denied", "non-IP EtherType (or 802.3 LLC frame) the zone does not allow"},
    {DropReason::kRaGuard, "ra_guard",
     "IPv6 router advertisement or redirect from an access port not trusted for them, or an IPv6 first fragment that "
     "hides its upper-layer header"},
    {DropReason::kNdSpoofing, "nd_spoofing",
     "neighbour advertisement claiming a zone gateway's IPv6 address from an access port"},
    {DropReason::kOverload, "overload",
     "waited in the receive queue longer than its time budget while the switch was behind (priority frames excepted)"},
    {DropReason::kEgressBusy, "egress_busy", "the egress port stayed busy longer than the send budget"},
};
static_assert(std::size(kInfos) == kDropReasonCount - 1, "every DropReason needs a name");

}  // namespace

std::string_view dropReasonName(DropReason reason) {
  if (reason == DropReason::kNone) return "none";
  size_t i = static_cast<size_t>(reason) - 1;
  return i < std::size(kInfos) ? kInfos[i].name : "unknown";
}

std::span<const DropReasonInfo> allDropReasons() { return kInfos; }

uint64_t DropCounters::total() const {
  uint64_t sum = 0;
  for (size_t i = 1; i < counts_.size(); ++i) sum += counts_[i];
  return sum;
}

}  // namespace portvakt::forward
