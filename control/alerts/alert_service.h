#pragma once
// The alert feed as the daemon sees it: raise(event) and forget.
//
//   raise(Event)  -> route (policy alerts: event -> severity, sinks)
//                 -> maintenance window (annotate; suppress if the window says so)
//                 -> storm control (dedup by id, rate limit per type)
//                 -> Store::spoolAlert (durable before anything is sent)
//                 -> Dispatcher (per-sink delivery with backoff, exactly once
//                    per id and sink as far as the receiver's ack goes)
//
// An event with no route in the policy is kept in the alert history (the CLI
// shows it) and sent nowhere. A suppressed event is kept in the history,
// marked with its window, and sent nowhere. Delivery waits groupWaitMs after
// the first event of an id so a burst is sent once with its count.
//
// A policy reload makes a new AlertService (sinks, routes and windows come
// from the policy); stop the old one first. Undelivered alerts wait in the
// store and the new service's dispatcher picks them up for sinks of the same
// name.
//
// Thread-safety: raise(), flushFolds(), sinkStatus() and reopenSinks() may be
// called from any thread; start()/stop() from the owner.

#include <array>
#include <atomic>
#include <cstdint>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "control/alerts/alert.h"
#include "control/alerts/dispatcher.h"
#include "control/alerts/maintenance.h"
#include "control/alerts/storm.h"
#include "control/store/store.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::alerts {

struct AlertServiceOptions {
  std::string site;  // empty: the policy's name
  std::string zoneinfoDir = "/usr/share/zoneinfo";
  // How long a new alert waits in the spool for more of its kind to fold in
  // before it is sent.
  std::chrono::milliseconds groupWait{2000};
  StormOptions storm;
  DispatcherOptions dispatcher;
  SinkOptions sinks;
  std::function<store::TimeMs()> clock;  // default: the system clock (shared with the dispatcher)
};

// What the daemon knows when something happens. No frame bytes (R10).
struct Event {
  tables::EventType type = tables::EventType::kDeviceNew;
  std::string port;
  int vlan = -1;
  std::string mac;  // any MAC spelling; normalised
  std::vector<Evidence> evidence;
  std::optional<store::TimeMs> time;  // empty: now
};

struct RaiseResult {
  std::string alertId;
  bool spooled = false;     // a new alert was written to the spool
  bool folded = false;      // counted into an existing alert
  bool suppressed = false;  // inside a maintenance window that suppresses it
  std::string window;       // the maintenance window in effect, if any
};

class AlertService {
 public:
  // Builds sinks, routes and the maintenance calendar from the policy. Fails
  // on a sink target or time zone it cannot use.
  static store::Result<std::unique_ptr<AlertService>> create(store::Store& store, const tables::CompiledPolicy& policy,
                                                             AlertServiceOptions options);
  // For tests and tools: sinks built by the caller.
  static store::Result<std::unique_ptr<AlertService>> create(store::Store& store, const tables::CompiledPolicy& policy,
                                                             std::vector<std::unique_ptr<Sink>> sinks,
                                                             AlertServiceOptions options);
  ~AlertService();

  store::Result<RaiseResult> raise(const Event& event);

  void start();      // the dispatcher thread
  void stop();       // stops it and writes pending folded counts
  int deliverNow();  // one synchronous delivery round (when not started)
  store::Status flushFolds();
  std::vector<SinkStatus> sinkStatus() const;
  void reopenSinks();  // SIGHUP / logrotate postrotate
  // Store writes that failed where no caller could take the error (the
  // dispatcher's fold flush, the sink_failed alert, the flush at stop()):
  // each is logged ("portvaktd: alert feed: ...") and counted here.
  uint64_t unreportedStoreErrors() const { return unreportedStoreErrors_.load(std::memory_order_relaxed); }

 private:
  AlertService(store::Store& store, AlertServiceOptions options);
  void noteStoreError(const std::string& what, const store::Error& error);

  struct Route {
    tables::Severity severity = tables::Severity::kWarning;
    std::vector<std::string> sinks;
  };

  store::Store& store_;
  AlertServiceOptions options_;
  std::array<Route, tables::kEventTypeCount> routes_{};  // by EventType; no sinks: kept, sent nowhere
  MaintenanceCalendar calendar_;
  std::mutex mu_;  // guards storm_
  StormControl storm_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::atomic<uint64_t> unreportedStoreErrors_{0};
};

}  // namespace portvakt::alerts
