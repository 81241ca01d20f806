#include "dataplane/engine/switch_drop_events.h"

#include "policy/tables/wall_clock.h"

#include <optional>

namespace portvakt::engine {

void SwitchDropEvents::onDrop(forward::DropReason reason, forward::PortIndex port, const tables::MacAddress& src,
                              bool enforced) {
  size_t kind = 0;
  std::optional<tables::EventType> event;
  if (reason == forward::DropReason::kVlanHopping) {
    event = tables::EventType::kVlanHopping;
    kind = 0;
  } else if (reason == forward::DropReason::kMacLimit) {
    event = tables::EventType::kMacLimit;
    kind = 1;
  }
  if (!event || port >= config_.ports.size()) return;
  const int64_t now = liveClock_ ? wallClockNs() : nowNs_;
  const EventHold::Admission admission = held_.admit(size_t{port} * kReasons + kind, now);
  if (!admission.admitted) return;
  const uint64_t heldBefore = admission.heldBefore;
  const forward::SwitchPortConfig& cfg = config_.ports[port];
  std::string detail = reason == forward::DropReason::kVlanHopping
                           ? "double-tagged frame on port " + cfg.name
                           : "a new MAC (" + src.toString() + ") on access port " + cfg.name +
                                 ", which already has its maximum of " + std::to_string(cfg.maxMacs) +
                                 " MACs; new MACs are dropped until one has been idle for " +
                                 std::to_string(config_.macLimitAgeingNs / 1'000'000'000) + " s";
  if (heldBefore > 0) {
    detail += " (" + std::to_string(heldBefore) + " more such drops on this port since the last event)";
  }
  if (!enforced) detail += " (monitor mode: forwarded)";
  // mac_limit concerns the port, not a device: without a MAC the alert feed
  // folds a flood's events into one alert per port and time bucket (its id
  // has no device), instead of a row per random MAC that happened to trigger one.
  const tables::MacAddress device = reason == forward::DropReason::kMacLimit ? tables::MacAddress{} : src;
  decider_.report({*event, device, port, now, std::move(detail)});
}

}  // namespace portvakt::engine
