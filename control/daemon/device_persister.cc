#include "control/daemon/device_persister.h"

#include "control/daemon/device_json.h"

namespace portvakt::control {

namespace {

bool sameRow(const store::DeviceRecord& a, const store::DeviceRecord& b) {
  return a.port == b.port && a.deviceClass == b.deviceClass && a.zone == b.zone && a.confidence == b.confidence &&
         a.evidenceJson == b.evidenceJson && a.lastSeen == b.lastSeen;
}

}  // namespace

store::Result<size_t> DevicePersister::flush(const std::vector<DeviceSnapshot>& devices) {
  std::vector<store::DeviceRecord> changed;
  for (const DeviceSnapshot& d : devices) {
    store::DeviceRecord r = toRecord(d);
    auto it = written_.find(r.mac);
    if (it != written_.end() && sameRow(it->second, r)) continue;
    changed.push_back(std::move(r));
  }
  if (changed.empty()) return size_t{0};
  if (auto stored = store_.upsertDevices(changed); !stored) return stored.error();
  for (store::DeviceRecord& r : changed) written_[r.mac] = std::move(r);
  return changed.size();
}

}  // namespace portvakt::control
