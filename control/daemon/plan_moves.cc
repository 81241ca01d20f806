#include "control/daemon/plan_moves.h"

#include <algorithm>

#include "dataplane/fingerprint/device_classifier.h"

namespace portvakt::control {

nlohmann::json plannedMoves(const tables::CompiledPolicy& planned, const std::vector<DeviceSnapshot>& devices) {
  std::vector<const DeviceSnapshot*> sorted;
  for (const DeviceSnapshot& d : devices) sorted.push_back(&d);
  std::sort(sorted.begin(), sorted.end(), [](const DeviceSnapshot* a, const DeviceSnapshot* b) {
    return a->evidence.mac.toString() < b->evidence.mac.toString();
  });
  nlohmann::json moves = nlohmann::json::array();
  for (const DeviceSnapshot* d : sorted) {
    if (d->quarantinedAsSuspect) continue;  // held in quarantine whatever the policy says, until its hold ends
    const tables::Port* port = nullptr;
    for (const tables::Port& p : planned.ports) {
      if (p.interface == d->port) port = &p;
    }
    // "-": the planned policy has no such port, the jack is no longer served.
    // (Not `toZone = "-"`: g++ 12 with -fsanitize reports a false -Wrestrict there.)
    std::string toClass;
    std::string toZone(1, '-');
    if (port) {
      const fingerprint::ClassDecision decision = fingerprint::classifyDevice(planned, d->evidence, port->defaultZone);
      toClass = std::string(decision.className);
      toZone = planned.zoneName(decision.zone);
    }
    if (toClass == d->deviceClass && toZone == d->zone) continue;
    moves.push_back({{"mac", d->evidence.mac.toString()},
                     {"port", d->port},
                     {"from_class", d->deviceClass},
                     {"from_zone", d->zone},
                     {"to_class", toClass},
                     {"to_zone", toZone}});
  }
  return moves;
}

}  // namespace portvakt::control
