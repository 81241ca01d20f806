#pragma once
// The switch's own security drops (R6) as events for the alert feed: VLAN
// hopping (double tags on an access or uplink port) and the MAC limit of an
// access port. The decider raises the other R6 events itself; these two are
// decided before the switch asks the decider anything, so the switch reports
// them through SwitchEvents and this adapter queues them on the decider.
//
// Storm control at the source: one event per (reason, port) per kEventHoldNs,
// whatever the source MAC. Why per port and not per MAC like
// PolicyDecider::raise: both attacks come with random source MACs (a MAC
// flood is a new MAC per frame), and keying by MAC turned 165 k dropped
// frames/s into as many events. The next event after a hold says how many
// drops it stood for. The table (event_hold.h) is one slot per port and
// reason, sized at construction: no allocation except the event's detail text.
//
// Time: the offline pipeline sets the capture time per frame (setNow); the
// live daemon passes liveClock and the wall clock is read when a drop happens.

#include <cstdint>

#include "dataplane/engine/event_hold.h"
#include "dataplane/engine/policy_decider.h"
#include "dataplane/forward/vlan_switch.h"

namespace portvakt::engine {

class SwitchDropEvents final : public forward::SwitchEvents {
 public:
  SwitchDropEvents(PolicyDecider& decider, const forward::SwitchConfig& config, bool liveClock)
      : decider_(decider), config_(config), liveClock_(liveClock), held_(config.ports.size() * kReasons) {}
  void setNow(int64_t nowNs) { nowNs_ = nowNs; }
  void onDrop(forward::DropReason reason, forward::PortIndex port, const tables::MacAddress& src, bool enforced) override;
  // Drops that raised no event because one for their port and reason was
  // raised less than kEventHoldNs before.
  uint64_t suppressed() const { return held_.held(); }

 private:
  static constexpr size_t kReasons = 2;  // vlan_hopping, mac_limit
  PolicyDecider& decider_;
  const forward::SwitchConfig& config_;  // the switch's; lives as long as the switch
  bool liveClock_;
  int64_t nowNs_ = 0;
  EventHold held_;  // one slot per (port, reason): key port * kReasons + reason
};

}  // namespace portvakt::engine
