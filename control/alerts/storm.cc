#include "control/alerts/storm.h"

#include <algorithm>

namespace portvakt::alerts {

void StormControl::forgetOld(int64_t nowMs) {
  if (nowMs - lastSweepMs_ < 1000 && seen_.size() < options_.maxTracked) return;
  lastSweepMs_ = nowMs;
  std::erase_if(seen_, [&](const auto& kv) { return kv.second <= nowMs; });
}

StormControl::Decision StormControl::decide(Alert alert, int64_t nowMs) {
  forgetOld(nowMs);
  int64_t bucket = options_.bucketMs > 0 ? options_.bucketMs : 1;
  auto fold = [&](const std::string& id) {
    Fold& f = folds_[id];
    f.alertId = id;
    f.count += alert.count;
    f.lastTimeMs = std::max(f.lastTimeMs, std::max(alert.timeMs, alert.lastTimeMs));
    Decision d;
    d.alertId = id;
    return d;
  };
  if (seen_.count(alert.id)) return fold(alert.id);

  Tokens& t = tokens_[alert.event];
  if (t.lastMs == 0) t.tokens = options_.burst;
  t.tokens = std::min(options_.burst, t.tokens + (nowMs - t.lastMs) / 1000.0 * options_.ratePerSecond);
  t.lastMs = nowMs;
  if (t.tokens < 1.0) {
    // Over the limit: one storm alert per type and bucket carries the rest.
    std::string stormId = makeAlertId(alert.site, alert.event, "", "storm", alert.timeMs, bucket);
    if (seen_.count(stormId)) return fold(stormId);
    Alert storm = alert;
    storm.id = stormId;
    storm.port.clear();
    storm.vlan = -1;
    storm.deviceMac.clear();
    storm.evidence = {{"storm", "rate_limited"}, {"first_device", alert.deviceMac}, {"first_port", alert.port}};
    seen_[stormId] = (alert.timeMs / bucket + 1) * bucket;
    return Decision{true, std::move(storm), stormId};
  }
  t.tokens -= 1.0;
  if (seen_.size() < options_.maxTracked) seen_[alert.id] = (alert.timeMs / bucket + 1) * bucket;
  std::string id = alert.id;
  return Decision{true, std::move(alert), id};
}

std::vector<StormControl::Fold> StormControl::takeFolds() {
  std::vector<Fold> out;
  out.reserve(folds_.size());
  for (auto& [id, f] : folds_) out.push_back(f);
  folds_.clear();
  return out;
}

}  // namespace portvakt::alerts
