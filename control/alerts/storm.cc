#include "control/alerts/storm.h"

#include <algorithm>

namespace portvakt::alerts {

void StormControl::forgetOld(store::TimeMs now) {
  if (now - lastSweep_ < std::chrono::seconds(1) && seen_.size() < options_.maxTracked) return;
  lastSweep_ = now;
  std::erase_if(seen_, [&](const auto& kv) { return kv.second <= now; });
}

StormControl::Decision StormControl::decide(Alert alert, store::TimeMs now) {
  forgetOld(now);
  const std::chrono::milliseconds bucket = std::max(options_.bucket, std::chrono::milliseconds(1));
  // The end of the bucket `alert` falls in: its id is deduplicated until then.
  auto bucketEnd = [&](store::TimeMs t) { return t - t.time_since_epoch() % bucket + bucket; };
  auto fold = [&](const std::string& id) {
    Fold& f = folds_[id];
    f.alertId = id;
    f.count += alert.count;
    f.lastTime = std::max(f.lastTime, std::max(alert.time, alert.lastTime));
    Decision d;
    d.alertId = id;
    return d;
  };
  if (seen_.count(alert.id)) return fold(alert.id);

  Tokens& t = tokens_[alert.event];
  if (t.last == store::TimeMs{}) t.tokens = options_.burst;
  const std::chrono::duration<double> sinceLast = now - t.last;
  t.tokens = std::min(options_.burst, t.tokens + sinceLast.count() * options_.ratePerSecond);
  t.last = now;
  if (t.tokens < 1.0) {
    // Over the limit: one storm alert per type and bucket carries the rest.
    std::string stormId = makeAlertId(alert.site, alert.event, "", "storm", alert.time, bucket);
    if (seen_.count(stormId)) return fold(stormId);
    Alert storm = alert;
    storm.id = stormId;
    storm.port.clear();
    storm.vlan = -1;
    storm.deviceMac.clear();
    storm.evidence = {{"storm", "rate_limited"}, {"first_device", alert.deviceMac}, {"first_port", alert.port}};
    seen_[stormId] = bucketEnd(alert.time);
    return Decision{true, std::move(storm), stormId};
  }
  t.tokens -= 1.0;
  if (seen_.size() < options_.maxTracked) seen_[alert.id] = bucketEnd(alert.time);
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
