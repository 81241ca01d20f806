#pragma once
// DestinationZones: the zone whose `prefixes` hold an IP destination, for the
// flow rules' destination zone of a frame whose destination MAC is not a
// profiled device (a server behind the uplink, another zone's subnet).
//
// Why not CompiledPolicy::zoneContaining: it walks every zone and calls
// Prefix::containsAddress (a byte compare through memcmp) for each prefix,
// for every such frame. This is the same answer from flat per-family arrays
// built once per policy: an IPv4 prefix is one masked 32-bit compare, an
// IPv6 prefix two 64-bit ones, and a policy without zone prefixes answers
// with one size test. The order is the policy's (zones in order, each zone's
// prefixes in order), so the first match is the one zoneContaining returns,
// overlaps included. Built by the decider with each policy (setPolicy), so it
// is never older than the policy it answers for.
//
// No allocation or exception when answering; one thread.

#include <cstdint>
#include <vector>

#include "policy/tables/compiled_policy.h"

namespace portvakt::engine {

class DestinationZones {
 public:
  DestinationZones() = default;
  explicit DestinationZones(const tables::CompiledPolicy& policy);

  // The first zone of the policy with a prefix holding `address` (4 bytes
  // for IPv4, 16 for IPv6, network order), or kNoZone.
  tables::ZoneId zoneOf(bool v6, const uint8_t* address) const { return v6 ? zoneOfV6(address) : zoneOfV4(address); }

 private:
  struct V4Entry {
    uint32_t network = 0, mask = 0;  // host order
    tables::ZoneId zone = tables::kNoZone;
  };
  struct V6Entry {
    uint64_t network[2] = {0, 0}, mask[2] = {0, 0};  // host order, high half first
    tables::ZoneId zone = tables::kNoZone;
  };
  tables::ZoneId zoneOfV4(const uint8_t* address) const;
  tables::ZoneId zoneOfV6(const uint8_t* address) const;

  std::vector<V4Entry> v4_;
  std::vector<V6Entry> v6_;
};

}  // namespace portvakt::engine
