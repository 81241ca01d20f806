#include "control/daemon/device_persister.h"

#include <unordered_set>

#include "control/daemon/device_json.h"

namespace portvakt::control {

namespace {

bool sameRow(const store::DeviceRecord& a, const store::DeviceRecord& b) {
  return a.port == b.port && a.deviceClass == b.deviceClass && a.zone == b.zone && a.confidence == b.confidence &&
         a.evidenceJson == b.evidenceJson && a.lastSeen == b.lastSeen;
}

}  // namespace

store::Result<size_t> DevicePersister::flush(const std::vector<DeviceSnapshot>& devices, WallTime now) {
  std::vector<store::DeviceRecord> changed;
  std::unordered_set<std::string> live;
  live.reserve(devices.size());
  for (const DeviceSnapshot& d : devices) {
    store::DeviceRecord r = toRecord(d);
    live.insert(r.mac);
    auto it = written_.find(r.mac);
    if (it != written_.end() && sameRow(it->second, r)) continue;
    changed.push_back(std::move(r));
  }
  // Only what the profiler still holds is worth remembering.
  std::erase_if(written_, [&](const auto& kv) { return !live.count(kv.first); });
  if (!changed.empty()) {
    if (auto stored = store_.upsertDevices(changed); !stored) return stored.error();
    for (store::DeviceRecord& r : changed) written_[r.mac] = std::move(r);
  }
  auto pruned = store_.pruneDevices(std::chrono::floor<std::chrono::seconds>(now - options_.unclassifiedRetention),
                                    options_.maxRows);
  if (!pruned) return pruned.error();
  pruned_ += *pruned;
  return changed.size();
}

}  // namespace portvakt::control
