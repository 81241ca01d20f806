#include "control/alerts/alert_service.h"

#include <algorithm>
#include <array>
#include <iostream>

#include "policy/tables/wall_clock.h"

namespace portvakt::alerts {

AlertService::AlertService(store::Store& store, AlertServiceOptions options)
    : store_(store), options_(std::move(options)), storm_(options_.storm) {}

AlertService::~AlertService() { stop(); }

store::Result<std::unique_ptr<AlertService>> AlertService::create(store::Store& store,
                                                                  const tables::CompiledPolicy& policy,
                                                                  AlertServiceOptions options) {
  std::vector<std::unique_ptr<Sink>> sinks;
  for (const auto& spec : policy.control.sinks) {
    auto sink = makeSink(spec, options.sinks);
    if (!sink) return sink.error();
    sinks.push_back(std::move(sink.value()));
  }
  return create(store, policy, std::move(sinks), std::move(options));
}

store::Result<std::unique_ptr<AlertService>> AlertService::create(store::Store& store,
                                                                  const tables::CompiledPolicy& policy,
                                                                  std::vector<std::unique_ptr<Sink>> sinks,
                                                                  AlertServiceOptions options) {
  if (!options.clock) options.clock = [] { return store::atUnixMs(wallClockMs()); };
  if (!options.dispatcher.clock) options.dispatcher.clock = options.clock;
  if (options.site.empty()) options.site = policy.name;
  auto calendar = MaintenanceCalendar::build(policy.control.maintenance, options.zoneinfoDir);
  if (!calendar) return calendar.error();

  std::unique_ptr<AlertService> svc(new AlertService(store, std::move(options)));
  svc->calendar_ = std::move(calendar.value());
  // An event's first alerts entry sets its severity (info too: the default
  // warning applies only to events no entry names); further entries for the
  // same event can only raise it.
  std::array<bool, tables::kEventTypeCount> named{};
  for (const auto& r : policy.control.alerts) {
    const size_t event = static_cast<size_t>(r.event);
    Route& route = svc->routes_[event];
    route.severity = named[event] ? std::max(route.severity, r.severity) : r.severity;
    named[event] = true;
    for (const auto& s : r.sinks) {
      if (std::find(route.sinks.begin(), route.sinks.end(), s) == route.sinks.end()) route.sinks.push_back(s);
    }
  }
  svc->dispatcher_ = std::make_unique<Dispatcher>(store, std::move(sinks), svc->options_.dispatcher);
  AlertService* self = svc.get();
  svc->dispatcher_->setHooks(
      [self] {
        if (auto flushed = self->flushFolds(); !flushed) {
          self->noteStoreError("could not write folded alert counts", flushed.error());
        }
      },
      [self](const std::string& sink, bool down, const std::string& error) {
        if (!down) return;
        Event e;
        e.type = tables::EventType::kSinkFailed;
        e.evidence = {{"sink", sink}, {"error", error}};
        if (auto raised = self->raise(e); !raised) {
          self->noteStoreError("could not spool the sink_failed alert for sink " + sink, raised.error());
        }
      });
  return svc;
}

store::Result<RaiseResult> AlertService::raise(const Event& event) {
  const store::TimeMs now = options_.clock();
  Alert a;
  a.event = std::string(tables::toString(event.type));
  a.time = event.time.value_or(now);
  a.lastTime = a.time;
  a.site = options_.site;
  a.port = event.port;
  a.vlan = event.vlan;
  if (!event.mac.empty()) a.deviceMac = store::normaliseMac(event.mac).value_or("");
  a.evidence = sanitizeEvidence(event.evidence);
  if (!event.mac.empty() && a.deviceMac.empty()) a.evidence.push_back({"mac_unparsed", "true"});

  const Route& route = routes_[static_cast<size_t>(event.type)];
  std::vector<std::string> sinks = route.sinks;
  a.severity = route.severity;
  RaiseResult result;
  // Floored to the second it falls in (also before 1970).
  const auto second = std::chrono::floor<std::chrono::seconds>(a.time);
  if (auto m = calendar_.at(second, event.type)) {
    a.maintenanceWindow = m->window;
    a.suppressed = m->suppresses;
    result.window = m->window;
    result.suppressed = m->suppresses;
    if (a.suppressed) sinks.clear();
  }
  a.id = makeAlertId(a.site, a.event, a.port, a.deviceMac, a.time, storm_.options().bucket);

  StormControl::Decision d;
  {
    std::lock_guard lock(mu_);
    d = storm_.decide(std::move(a), now);
  }
  result.alertId = d.alertId;
  if (!d.admit) {
    result.folded = true;
    return result;
  }
  auto spooled = store_.spoolAlert(toRecord(d.alert), sinks, now + options_.groupWait);
  if (!spooled) return spooled.error();
  result.spooled = *spooled;
  result.folded = !*spooled;  // known id from before a restart: merged by the store
  if (!sinks.empty()) dispatcher_->wake();
  return result;
}

store::Status AlertService::flushFolds() {
  std::vector<StormControl::Fold> folds;
  {
    std::lock_guard lock(mu_);
    folds = storm_.takeFolds();
  }
  store::Status status;
  for (const auto& f : folds) {
    if (auto s = store_.addOccurrences(f.alertId, f.count, f.lastTime); !s && status) status = s;
  }
  return status;
}

void AlertService::start() { dispatcher_->start(); }

void AlertService::stop() {
  if (dispatcher_) dispatcher_->stop();
  if (auto flushed = flushFolds(); !flushed) {
    noteStoreError("could not write folded alert counts at stop", flushed.error());
  }
}

void AlertService::noteStoreError(const std::string& what, const store::Error& error) {
  unreportedStoreErrors_.fetch_add(1, std::memory_order_relaxed);
  std::cerr << "portvaktd: alert feed: " << what << ": " << error.message << "\n";
}

int AlertService::deliverNow() { return dispatcher_->runOnce(); }

std::vector<SinkStatus> AlertService::sinkStatus() const { return dispatcher_->status(); }

void AlertService::reopenSinks() { dispatcher_->reopenSinks(); }

}  // namespace portvakt::alerts
