#pragma once
// The switch's own security drops (R6) as events for the alert feed: VLAN
// hopping (double tags on an access or uplink port) and the MAC limit of an
// access port. The decider raises the other R6 events itself; these two are
// decided before the switch asks the decider anything, so the switch reports
// them through SwitchEvents and this adapter queues them on the decider.
//
// Storm control at the source, like PolicyDecider::raise: one event per
// (reason, source MAC, port) per kEventHoldNs; the alert feed folds further.
// A fixed direct-mapped table: no allocation except the event's detail text.
//
// Time: the offline pipeline sets the capture time per frame (setNow); the
// live daemon passes liveClock and the wall clock is read when a drop happens.

#include <array>
#include <cstdint>

#include "dataplane/engine/policy_decider.h"
#include "dataplane/forward/vlan_switch.h"

namespace portvakt::engine {

class SwitchDropEvents final : public forward::SwitchEvents {
 public:
  SwitchDropEvents(PolicyDecider& decider, const forward::SwitchConfig& config, bool liveClock)
      : decider_(decider), config_(config), liveClock_(liveClock) {}
  void setNow(int64_t nowNs) { nowNs_ = nowNs; }
  void onDrop(forward::DropReason reason, forward::PortIndex port, const tables::MacAddress& src, bool enforced) override;
  uint64_t suppressed() const { return suppressed_; }

 private:
  PolicyDecider& decider_;
  const forward::SwitchConfig& config_;  // the switch's; lives as long as the switch
  bool liveClock_;
  int64_t nowNs_ = 0;
  uint64_t suppressed_ = 0;
  struct Recent {
    uint64_t key = 0;
    int64_t timeNs = 0;
  };
  std::array<Recent, 64> recent_{};
};

}  // namespace portvakt::engine
