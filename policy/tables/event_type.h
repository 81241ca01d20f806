#pragma once
// The alert event types: one enumeration for the whole project. The compiler
// accepts exactly these names in `alerts` and maintenance `suppress`, the
// dataplane and the control plane raise these values (never free text), CEF
// names them in words from here, and docs/alerts.md lists them
// (tests/tables/event_type_test.cc checks the list both ways, and that each
// type names a test that raises it).
//
// Adding a type: a row in kEventTypes (enum order), a row in the table of
// docs/alerts.md naming the test that raises it, a runbook entry if the desk
// must act on it.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace portvakt::tables {

enum class EventType : uint8_t {
  kDeviceNew,
  kDeviceUnknown,
  kDeviceClassChanged,
  kMacSpoofSuspect,
  kVlanHopping,
  kRogueDhcp,
  kArpSpoof,
  kRegionAccessAttempt,
  kFlowDenied,
  kInvariantBlocked,
  kLinkDown,
  kLinkUp,
  kPolicyReload,
  kPolicyRejected,
  kSinkFailed,
  kRandomizedMac,
  kDeviceMoved,
  kPolicyRolledBack,
  kMacLimit,
  kRogueRa,
  kNdSpoof,
  kMacFlapping,
  kDot1xFailure,
  kDot1xIdentityMismatch,
  kRadiusUnreachable,
  kEventsLost,
};

struct EventTypeInfo {
  EventType type;
  std::string_view name;     // the policy's and the alert's word: "rogue_dhcp"
  std::string_view cefName;  // CEF's Name: the type in words
};

// In enum order (kEventTypes[i].type == EventType(i), checked below).
inline constexpr std::array kEventTypes{
    EventTypeInfo{EventType::kDeviceNew, "device_new", "New device"},
    EventTypeInfo{EventType::kDeviceUnknown, "device_unknown", "Unknown device"},
    EventTypeInfo{EventType::kDeviceClassChanged, "device_class_changed", "Device class changed"},
    EventTypeInfo{EventType::kMacSpoofSuspect, "mac_spoof_suspect", "Suspected MAC spoofing"},
    EventTypeInfo{EventType::kVlanHopping, "vlan_hopping", "VLAN hopping attempt"},
    EventTypeInfo{EventType::kRogueDhcp, "rogue_dhcp", "Rogue DHCP server"},
    EventTypeInfo{EventType::kArpSpoof, "arp_spoof", "ARP spoofing"},
    EventTypeInfo{EventType::kRegionAccessAttempt, "region_access_attempt", "Region network access attempt"},
    EventTypeInfo{EventType::kFlowDenied, "flow_denied", "Flow denied"},
    EventTypeInfo{EventType::kInvariantBlocked, "invariant_blocked", "Traffic blocked by an invariant"},
    EventTypeInfo{EventType::kLinkDown, "link_down", "Link down"},
    EventTypeInfo{EventType::kLinkUp, "link_up", "Link up"},
    EventTypeInfo{EventType::kPolicyReload, "policy_reload", "Policy reloaded"},
    EventTypeInfo{EventType::kPolicyRejected, "policy_rejected", "Policy rejected"},
    EventTypeInfo{EventType::kSinkFailed, "sink_failed", "Alert receiver failing"},
    EventTypeInfo{EventType::kRandomizedMac, "randomized_mac", "Randomized MAC address"},
    EventTypeInfo{EventType::kDeviceMoved, "device_moved", "Device moved"},
    EventTypeInfo{EventType::kPolicyRolledBack, "policy_rolled_back", "Policy rolled back"},
    EventTypeInfo{EventType::kMacLimit, "mac_limit", "Too many MAC addresses on a port"},
    EventTypeInfo{EventType::kRogueRa, "rogue_ra", "Rogue IPv6 router advertisement"},
    EventTypeInfo{EventType::kNdSpoof, "nd_spoof", "IPv6 neighbour spoofing"},
    EventTypeInfo{EventType::kMacFlapping, "mac_flapping", "MAC address flapping between ports"},
    EventTypeInfo{EventType::kDot1xFailure, "dot1x_failure", "802.1X authentication failed"},
    EventTypeInfo{EventType::kDot1xIdentityMismatch, "dot1x_identity_mismatch", "802.1X identity is another asset"},
    EventTypeInfo{EventType::kRadiusUnreachable, "radius_unreachable", "RADIUS server unreachable"},
    EventTypeInfo{EventType::kEventsLost, "events_lost", "Dataplane events lost"},
};
inline constexpr size_t kEventTypeCount = kEventTypes.size();

constexpr bool eventTableInEnumOrder() {
  for (size_t i = 0; i < kEventTypeCount; ++i) {
    if (static_cast<size_t>(kEventTypes[i].type) != i) return false;
  }
  return true;
}
static_assert(eventTableInEnumOrder(), "kEventTypes must list every EventType in enum order");
static_assert(static_cast<size_t>(EventType::kEventsLost) + 1 == kEventTypeCount, "a new EventType needs its row");

// "rogue_dhcp". No allocation.
constexpr std::string_view toString(EventType t) { return kEventTypes[static_cast<size_t>(t)].name; }
constexpr std::string_view cefName(EventType t) { return kEventTypes[static_cast<size_t>(t)].cefName; }
std::optional<EventType> eventTypeFromName(std::string_view name);

}  // namespace portvakt::tables
