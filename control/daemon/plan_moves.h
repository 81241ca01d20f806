#pragma once
// Which live devices a planned policy would place elsewhere: what `policy
// plan` (and the Ansible module's check mode) shows beside the semantic diff,
// so an engineer sees "the ECG cart on eth3 goes from quarantine to medtech"
// before pushing, not after.
//
// Each device the dataplane holds now is classified again with the planned
// policy (fingerprint::classifyDevice, the same pure function the profiler
// runs) on the evidence it has shown, with its port's default zone in that
// policy. A device is listed when its class or zone would differ from what it
// has now. Not predicted: the profiler's hysteresis and a spoof suspect's
// hold (such a device stays where it is until its hold ends, so it is left
// out), and devices only the store remembers (not on a jack now).

#include <nlohmann/json.hpp>
#include <vector>

#include "control/daemon/dataplane_runner.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::control {

// [{mac, port, from_class, from_zone, to_class, to_zone}], by MAC.
nlohmann::json plannedMoves(const tables::CompiledPolicy& planned, const std::vector<DeviceSnapshot>& devices);

}  // namespace portvakt::control
