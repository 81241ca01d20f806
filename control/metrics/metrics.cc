#include "control/metrics/metrics.h"

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "dataplane/forward/drop_reason.h"
#include "dataplane/packet/anomaly.h"
#include "policy/tables/event_type.h"

namespace portvakt::control {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

Metrics::Metrics(std::string site)
    : site_(std::move(site)),
      registry_(std::make_shared<prometheus::Registry>()),
      policyInfo_(BuildGauge()
                      .Name("portvakt_policy_info")
                      .Help("The running policy (value 1), by version, the hash of the tables the dataplane runs "
                            "(hash) and the hash of the control settings (settings_hash)")
                      .Register(*registry_)),
      reloads_(BuildCounter()
                   .Name("portvakt_policy_reloads_total")
                   .Help("Policy pushes and rollbacks by result")
                   .Register(*registry_)),
      uptime_(BuildGauge().Name("portvakt_uptime_seconds").Help("Seconds since portvaktd started").Register(*registry_)),
      anomalies_(BuildGauge()
                     .Name("portvakt_decode_anomaly_frames")
                     .Help("Frames with each decode anomaly since start")
                     .Register(*registry_)),
      frames_(BuildGauge()
                  .Name("portvakt_frames")
                  .Help("Frames by ingress port and verdict (received, dropped) since the ports were last opened")
                  .Register(*registry_)),
      forwardWakeups_(BuildGauge()
                          .Name("portvakt_forward_wakeups")
                          .Help("Forwarding loop wake-ups that found it behind, and of those overloaded (queue "
                                "budget applied), since the ports were last opened")
                          .Register(*registry_)),
      framesDropped_(BuildCounter()
                         .Name("portvakt_frames_dropped_total")
                         .Help("Frames the switch dropped, by drop reason")
                         .Register(*registry_)),
      framesWouldDrop_(BuildCounter()
                           .Name("portvakt_frames_would_drop_total")
                           .Help("Monitor mode: frames enforce mode would have dropped, by drop reason")
                           .Register(*registry_)),
      portBytes_(BuildGauge()
                     .Name("portvakt_port_bytes")
                     .Help("Bytes through the switch by port and direction since start")
                     .Register(*registry_)),
      portModerated_(BuildGauge()
                         .Name("portvakt_port_moderated")
                         .Help("1 while the port's frames, nearly all dropped by the policy, are read on a timer "
                               "instead of on arrival (a flood)")
                         .Register(*registry_)),
      alertQueue_(BuildGauge()
                      .Name("portvakt_alert_queue_depth")
                      .Help("Alert deliveries waiting for a receiver's acknowledgement")
                      .Register(*registry_)),
      alertRejected_(BuildGauge()
                         .Name("portvakt_alert_deliveries_rejected")
                         .Help("Alert deliveries a receiver refused for good")
                         .Register(*registry_)),
      alertLag_(BuildGauge()
                    .Name("portvakt_alert_delivery_lag_seconds")
                    .Help("Age of the oldest alert still waiting for delivery (0: none)")
                    .Register(*registry_)),
      devices_(BuildGauge()
                   .Name("portvakt_devices")
                   .Help("Devices the profiler knows, by class and zone")
                   .Register(*registry_)),
      eventsDropped_(
          BuildCounter()
              .Name("portvakt_events_dropped_total")
              .Help("Dataplane events that raised no alert, by reason (a full queue, a repeat held at the source)")
              .Register(*registry_)),
      logSuppressed_(BuildCounter()
                         .Name("portvakt_log_lines_suppressed_total")
                         .Help("stderr event lines held back by the log rate limit, by event")
                         .Register(*registry_)),
      deviceTable_(BuildGauge()
                       .Name("portvakt_device_table")
                       .Help("Bounded device state: profiler records (all, unclassified) and stored rows")
                       .Register(*registry_)) {
  // The reasons exist from the start, at 0, so rate() and alerts on them work.
  for (const char* reason : {"profiler_ring_full", "decider_queue_full", "runner_queue_full", "repeat_held"}) {
    eventsDropped_.Add({{"site", site_}, {"reason", reason}});
  }
  for (const forward::DropReasonInfo& r : forward::allDropReasons()) {
    framesDropped_.Add({{"site", site_}, {"reason", std::string(r.name)}});
    framesWouldDrop_.Add({{"site", site_}, {"reason", std::string(r.name)}});
  }
  for (const packet::AnomalyInfo& a : packet::allAnomalies()) setAnomalyCount(std::string(a.name), 0);
  setForwardWakeups(0, 0);
  for (const tables::EventTypeInfo& event : tables::kEventTypes)
    logSuppressed_.Add({{"site", site_}, {"event", std::string(event.name)}});
  // Both results exist from the start so rate() works before the first failure.
  reloads_.Add({{"site", site_}, {"result", "ok"}});
  reloads_.Add({{"site", site_}, {"result", "rejected"}});
  // 802.1X's series too (0 without dot1x ports), so dashboards and the docs'
  // names hold on every appliance.
  setDot1xSessions({});
  addDot1xFailures(0);
}

Metrics::~Metrics() = default;

void Metrics::policyLoaded(int version, const std::string& hash, const std::string& policyName,
                           const std::string& settingsHash) {
  if (currentInfo_) policyInfo_.Remove(currentInfo_);
  currentInfo_ = &policyInfo_.Add({{"site", site_},
                                   {"policy", policyName},
                                   {"version", std::to_string(version)},
                                   {"hash", hash},
                                   {"settings_hash", settingsHash}});
  currentInfo_->Set(1);
  reloads_.Add({{"site", site_}, {"result", "ok"}}).Increment();
}

void Metrics::policyRejected() { reloads_.Add({{"site", site_}, {"result", "rejected"}}).Increment(); }

void Metrics::setUptime(int64_t seconds) { uptime_.Add({{"site", site_}}).Set(static_cast<double>(seconds)); }

void Metrics::setAnomalyCount(const std::string& anomaly, uint64_t frames) {
  anomalies_.Add({{"site", site_}, {"anomaly", anomaly}}).Set(static_cast<double>(frames));
}

void Metrics::setFrameCount(const std::string& port, const std::string& verdict, uint64_t frames) {
  frames_.Add({{"site", site_}, {"port", port}, {"verdict", verdict}}).Set(static_cast<double>(frames));
}

void Metrics::setForwardWakeups(uint64_t behind, uint64_t overloaded) {
  forwardWakeups_.Add({{"site", site_}, {"state", "behind"}}).Set(static_cast<double>(behind));
  forwardWakeups_.Add({{"site", site_}, {"state", "overloaded"}}).Set(static_cast<double>(overloaded));
}

void Metrics::addFramesDropped(const std::string& reason, uint64_t n) {
  framesDropped_.Add({{"site", site_}, {"reason", reason}}).Increment(static_cast<double>(n));
}

void Metrics::addFramesWouldDrop(const std::string& reason, uint64_t n) {
  framesWouldDrop_.Add({{"site", site_}, {"reason", reason}}).Increment(static_cast<double>(n));
}

void Metrics::setPortBytes(const std::string& port, const std::string& direction, uint64_t bytes) {
  portBytes_.Add({{"site", site_}, {"port", port}, {"direction", direction}}).Set(static_cast<double>(bytes));
}

void Metrics::setPortModerated(const std::string& port, bool moderated) {
  portModerated_.Add({{"site", site_}, {"port", port}}).Set(moderated ? 1 : 0);
}

void Metrics::setAlertSpool(int64_t pending, int64_t rejected, double oldestPendingSeconds) {
  alertQueue_.Add({{"site", site_}}).Set(static_cast<double>(pending));
  alertRejected_.Add({{"site", site_}}).Set(static_cast<double>(rejected));
  alertLag_.Add({{"site", site_}}).Set(oldestPendingSeconds);
}

void Metrics::setDeviceCounts(const std::map<std::pair<std::string, std::string>, int64_t>& counts) {
  for (auto& [key, gauge] : deviceGauges_) gauge->Set(0);
  for (const auto& [key, count] : counts) {
    prometheus::Gauge*& gauge = deviceGauges_[key];
    if (!gauge) gauge = &devices_.Add({{"site", site_}, {"class", key.first}, {"zone", key.second}});
    gauge->Set(static_cast<double>(count));
  }
}

void Metrics::addEventsDropped(const std::string& reason, uint64_t n) {
  eventsDropped_.Add({{"site", site_}, {"reason", reason}}).Increment(static_cast<double>(n));
}

void Metrics::addLogLinesSuppressed(const std::string& event, uint64_t n) {
  logSuppressed_.Add({{"site", site_}, {"event", event}}).Increment(static_cast<double>(n));
}

void Metrics::setDeviceTable(int64_t records, int64_t unclassified, int64_t storedRows) {
  if (records >= 0) deviceTable_.Add({{"site", site_}, {"what", "profiler_records"}}).Set(static_cast<double>(records));
  if (unclassified >= 0)
    deviceTable_.Add({{"site", site_}, {"what", "profiler_unclassified"}}).Set(static_cast<double>(unclassified));
  if (storedRows >= 0) deviceTable_.Add({{"site", site_}, {"what", "stored_rows"}}).Set(static_cast<double>(storedRows));
}

void Metrics::setDot1xSessions(const std::map<std::string, int64_t>& counts) {
  if (!dot1xSessions_) {
    dot1xSessions_ = &BuildGauge().Name("portvakt_dot1x_sessions").Help("802.1X sessions by state").Register(*registry_);
  }
  for (const char* state : {"started", "authorised", "failed", "ended"}) {
    auto it = counts.find(state);
    dot1xSessions_->Add({{"site", site_}, {"state", state}})
        .Set(it == counts.end() ? 0.0 : static_cast<double>(it->second));
  }
}

void Metrics::addDot1xFailures(uint64_t n) {
  if (!dot1xFailures_) {
    dot1xFailures_ =
        &BuildCounter().Name("portvakt_dot1x_failures_total").Help("802.1X EAP failures").Register(*registry_);
  }
  dot1xFailures_->Add({{"site", site_}}).Increment(static_cast<double>(n));
}

std::string Metrics::exposition() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

Status Metrics::serve(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address);
    exposer_->RegisterCollectable(registry_);
  } catch (const std::exception& e) {
    return Error{"cannot serve metrics on " + address + ": " + e.what()};
  }
  return {};
}

}  // namespace portvakt::control
