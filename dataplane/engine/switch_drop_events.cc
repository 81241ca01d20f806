#include "dataplane/engine/switch_drop_events.h"

#include <time.h>

namespace portvakt::engine {

namespace {

int64_t wallClockNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);  // the clock libpcap stamps frames with
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

void SwitchDropEvents::onDrop(forward::DropReason reason, forward::PortIndex port, const tables::MacAddress& src,
                              bool enforced) {
  const char* event = reason == forward::DropReason::kVlanHopping ? "vlan_hopping"
                      : reason == forward::DropReason::kMacLimit  ? "mac_limit"
                                                                  : nullptr;
  if (!event) return;
  const int64_t now = liveClock_ ? wallClockNs() : nowNs_;
  uint64_t key = static_cast<uint64_t>(reason) * 1'000'003 + port;
  for (uint8_t b : src.bytes) key = key * 131 + b;
  Recent& slot = recent_[key % recent_.size()];
  if (slot.key == key && now - slot.timeNs < kEventHoldNs && now >= slot.timeNs) {
    ++suppressed_;
    return;
  }
  slot = {key, now};
  const std::string portName = port < config_.ports.size() ? config_.ports[port].name : std::to_string(port);
  std::string detail = reason == forward::DropReason::kVlanHopping
                           ? "double-tagged frame on port " + portName
                           : "a new MAC on access port " + portName + ", which already has its maximum number of MACs";
  if (!enforced) detail += " (monitor mode: forwarded)";
  decider_.report({event, src, port, now, std::move(detail)});
}

}  // namespace portvakt::engine
