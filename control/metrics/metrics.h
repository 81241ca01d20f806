#pragma once
// The daemon's Prometheus metrics (prometheus-cpp from Debian). Names are
// portvakt_* in snake_case with the labels Faucet uses for the same things
// (site, port, zone, class, reason). Exposition is text format on a loopback
// HTTP port (prometheus-cpp's Exposer), or as a string for tests.
//
// Thread-safety: prometheus-cpp metrics are safe to update from any thread.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "control/control_result.h"

namespace prometheus {
class Exposer;
}

namespace portvakt::control {

class Metrics {
 public:
  explicit Metrics(std::string site);
  ~Metrics();

  // `hash`: the tables the dataplane runs; `settingsHash`: the control settings.
  void policyLoaded(int version, const std::string& hash, const std::string& policyName,
                    const std::string& settingsHash = "");
  void policyRejected();
  void setUptime(int64_t seconds);
  // Frames with each decode anomaly since start, by the anomaly's stable name
  // (decode.lldp.tlv_overrun). Every anomaly exists from the start at 0.
  void setAnomalyCount(const std::string& anomaly, uint64_t frames);
  // Frames per ingress port and verdict ("received", "dropped"), as the
  // running switch counts them (reset when a push reopens the ports).
  void setFrameCount(const std::string& port, const std::string& verdict, uint64_t frames);
  // Frames the switch dropped, by drop reason (forward::dropReasonName), and
  // in monitor mode the frames enforce mode would have dropped. Adds `n`;
  // every reason exists from the start at 0.
  void addFramesDropped(const std::string& reason, uint64_t n);
  void addFramesWouldDrop(const std::string& reason, uint64_t n);
  // The forwarding loop's wake-ups that found it behind (its oldest frame
  // waited over 250 us) and, of those, overloaded (the 4 ms queue budget
  // applied), since the ports were last opened (forward::LoadCounters). Both
  // exist from the start at 0.
  void setForwardWakeups(uint64_t behind, uint64_t overloaded);

  // 1 while a port's frames, nearly all dropped by the policy, are read on a
  // timer instead of on arrival (a flood: forward::ForwardLoop, "Moderated
  // ports"), else 0.
  void setPortModerated(const std::string& port, bool moderated);
  // Bytes through the switch per port, direction "rx" or "tx".
  void setPortBytes(const std::string& port, const std::string& direction, uint64_t bytes);
  // The alert spool: deliveries waiting for a receiver, given up on, and how
  // long the oldest waiting one has waited.
  void setAlertSpool(int64_t pending, int64_t rejected, double oldestPendingSeconds);
  // Devices by class ("" for none) and zone; pairs missing from `counts` are set to 0.
  void setDeviceCounts(const std::map<std::pair<std::string, std::string>, int64_t>& counts);
  // Events that never became an alert or log line, by where they were lost:
  // profiler_ring_full, decider_queue_full, runner_queue_full (a queue was
  // full), repeat_held (a repeat within the dataplane's 10 s hold). Adds `n`.
  void addEventsDropped(const std::string& reason, uint64_t n);
  // stderr event lines held back by the daemon's log rate limit, by event. Adds `n`.
  void addLogLinesSuppressed(const std::string& event, uint64_t n);
  // Gauges of the bounded per-MAC state: devices the profiler holds (and how
  // many of them are never-classified strangers), rows of the devices table;
  // a negative value leaves that gauge as it is.
  void setDeviceTable(int64_t records, int64_t unclassified, int64_t storedRows);
  // 802.1X sessions by state (started, authorised, failed, ended); states
  // missing from `counts` are set to 0. And EAP failures, adds `n`.
  void setDot1xSessions(const std::map<std::string, int64_t>& counts);
  void addDot1xFailures(uint64_t n);
  std::string exposition() const;
  // Serves /metrics on `address` (host:port, loopback by default), or says
  // why not (port in use, bad address).
  Status serve(const std::string& address);

 private:
  std::string site_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& policyInfo_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Family<prometheus::Gauge>& uptime_;
  prometheus::Family<prometheus::Gauge>& anomalies_;
  prometheus::Family<prometheus::Gauge>& frames_;
  prometheus::Family<prometheus::Gauge>& forwardWakeups_;
  prometheus::Family<prometheus::Counter>& framesDropped_;
  prometheus::Family<prometheus::Counter>& framesWouldDrop_;
  prometheus::Family<prometheus::Gauge>& portBytes_;
  prometheus::Family<prometheus::Gauge>& portModerated_;
  prometheus::Family<prometheus::Gauge>& alertQueue_;
  prometheus::Family<prometheus::Gauge>& alertRejected_;
  prometheus::Family<prometheus::Gauge>& alertLag_;
  prometheus::Family<prometheus::Gauge>& devices_;
  prometheus::Family<prometheus::Counter>& eventsDropped_;
  prometheus::Family<prometheus::Counter>& logSuppressed_;
  prometheus::Family<prometheus::Gauge>& deviceTable_;
  std::map<std::pair<std::string, std::string>, prometheus::Gauge*> deviceGauges_;
  prometheus::Gauge* currentInfo_ = nullptr;
  prometheus::Family<prometheus::Gauge>* dot1xSessions_ = nullptr;    // made on first use
  prometheus::Family<prometheus::Counter>* dot1xFailures_ = nullptr;  // made on first use
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace portvakt::control
