#pragma once
// Devices as JSON: for the API (`portvakt devices`) and for the store, whose
// device rows keep the evidence so a restarted daemon can place a device
// before it says anything again (an eKlient's DHCP lease outlives a restart).
//
// Evidence keys are the policy's matcher names (docs/policy.md, "classes"),
// so what `devices show` prints reads like the class that matched it. Only
// traits the device showed are written. Reading back is bounded the same way
// live evidence is (the TraitText caps): a hand-edited or foreign row cannot
// grow a record, and a malformed one is an error naming the key.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "control/daemon/dataplane_runner.h"
#include "control/store/store.h"
#include "dataplane/fingerprint/evidence.h"

namespace portvakt::control {

nlohmann::json evidenceToJson(const fingerprint::DeviceEvidence& evidence);
// Fills `out` (whose mac the caller sets) from evidenceToJson's shape; the
// error names the first bad key.
Status evidenceFromJson(const nlohmann::json& in, fingerprint::DeviceEvidence& out);

// The API's device object. `live`: seen by the running dataplane since start.
nlohmann::json deviceToJson(const DeviceSnapshot& device, bool withEvidence);
nlohmann::json deviceToJson(const store::DeviceRecord& device, bool withEvidence);

// What the store keeps of a device (seconds, evidence as JSON text).
store::DeviceRecord toRecord(const DeviceSnapshot& device);
// A stored device as a seed for DataplaneRunner::start, or why the row
// cannot be read back.
Result<DeviceSeed> toSeed(const store::DeviceRecord& record);

}  // namespace portvakt::control
