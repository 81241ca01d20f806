#pragma once
// Why the switch dropped a frame. Every drop has exactly one reason, a stable
// name ("vlan_hopping") exported as a counter, and a description for the
// operator. Switch-level reasons are decided by VlanSwitch itself; the
// admission reasons are returned by the plugged-in ForwardDecider (device
// profiler, policy classifier) so their counters sit next to the switch's and
// nobody has to add to this enum to report a denial.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace portvakt::forward {

enum class DropReason : uint8_t {
  kNone,  // not dropped
  // Frame shape.
  kTruncated,     // shorter than an Ethernet header (or a tag cut off)
  kSnapped,       // captured shorter than on the wire: forwarding it would corrupt it
  kOversize,      // too large for the rewrite buffer (tag push/pop)
  kBadSourceMac,  // source MAC is multicast/broadcast or all zeros
  // VLAN tags at ingress.
  kVlanHopping,           // two or more tags on an access or uplink port
  kTaggedOnUntaggedPort,  // one tag (not VID 0) on an access or uplink port
  kUntaggedOnTrunk,       // untagged/priority-tagged on a trunk without a native zone
  kVlanNotAllowed,        // trunk tag whose VID is not a zone the port carries
  kStackedTagsOnTrunk,    // two or more tags on a trunk (no QinQ here)
  // Port state and learning.
  kMonitorPort,  // a monitor (mirror) port never forwards what it receives
  kPortDown,     // ingress port is administratively/operationally down
  kMacLimit,     // a new MAC on an access port that already has its maximum
  kHairpin,      // destination was learned on the ingress port itself
  kNoEgress,     // nothing to send to (no other port carries the zone)
  // Admission (returned by the decider).
  kNoZone,           // the decider gave no zone for the source
  kZoneNotOnPort,    // the decided zone is not carried by the ingress port
  kPolicyDenied,     // a flow rule (or default deny) forbids this frame
  kQuarantine,       // the source is in quarantine and this frame is not allowed there
  kMacSpoofing,      // an inventoried MAC seen on a second port / contradicting fingerprint
  kRogueDhcp,        // DHCP server message from an access port
  kArpSpoofing,      // ARP reply claiming a protected address from an access port
  kLinkControl,      // LLDP, CDP, STP, EAPOL: frames for the switch itself (evidence, never forwarded)
  kMalformedIp,      // EtherType IPv4/IPv6 whose IP header is missing, truncated or invalid
  kEtherTypeDenied,  // a non-IP EtherType (or 802.3 LLC) the zone does not allow
  kRaGuard,     // IPv6 router advertisement/redirect from an untrusted access port, or a first fragment hiding its header
  kNdSpoofing,  // neighbour advertisement claiming a zone gateway's IPv6 address from an access port
  // Under load (forward_loop.h): the daemon fell behind.
  kOverload,    // waited in the receive ring longer than the queue budget (not a priority frame): dropped unread
  kEgressBusy,  // the egress port stayed busy past the send budget: dropped instead of queued
};
inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kEgressBusy) + 1;

struct DropReasonInfo {
  DropReason reason;
  std::string_view name;         // stable counter/log name, snake_case
  std::string_view description;  // one line for the operator
};

std::string_view dropReasonName(DropReason reason);
// Every reason except kNone, in enum order.
std::span<const DropReasonInfo> allDropReasons();

// Per-reason frame counters (one per switch; single thread).
class DropCounters {
 public:
  void count(DropReason r) { ++counts_[static_cast<size_t>(r)]; }
  void count(DropReason r, uint64_t n) { counts_[static_cast<size_t>(r)] += n; }
  uint64_t get(DropReason r) const { return counts_[static_cast<size_t>(r)]; }
  uint64_t total() const;

 private:
  std::array<uint64_t, kDropReasonCount> counts_{};
};

}  // namespace portvakt::forward
