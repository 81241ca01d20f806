#include "control/daemon/alert_feed.h"

#include <nlohmann/json.hpp>

#include "control/alerts/alert_service.h"
#include "control/daemon/daemon_log.h"

namespace portvakt::control {

std::string alertConfig(const tables::CompiledPolicy& policy) { return policy.control.settingsHash + " " + policy.name; }

AlertFeed::~AlertFeed() = default;  // the service's own destructor stops it

void AlertFeed::build(const tables::CompiledPolicy& policy) {
  auto created = alerts::AlertService::create(store_, policy, {});
  builtConfig_ = alertConfig(policy);
  ++builds_;
  std::unique_ptr<alerts::AlertService> old;
  {
    std::lock_guard lock(mutex_);
    old = std::move(service_);
    if (created) service_ = std::move(created.value());
  }
  // Stopped outside the lock (it waits for a delivery in flight) and before
  // the new dispatcher starts: two would send the same spool rows. Events
  // raised meanwhile wait in the spool.
  if (old) old->stop();
  if (!created) {
    DaemonLog::line("alerts are not delivered: " + created.error().message);
    return;
  }
  std::lock_guard lock(mutex_);
  service_->start();
}

bool AlertFeed::follow(const tables::CompiledPolicy& policy) {
  if (alertConfig(policy) == builtConfig_) return false;
  build(policy);
  return true;
}

void AlertFeed::raise(tables::EventType type, const std::string& port, const std::string& mac,
                      const std::string& detail) {
  std::lock_guard lock(mutex_);
  const std::string name(tables::toString(type));
  log_.limited(name, port,
               "event " + nlohmann::json{{"event", name}, {"port", port}, {"mac", mac}, {"detail", detail}}.dump(
                              -1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!service_) return;
  alerts::Event e;
  e.type = type;
  e.port = port;
  e.mac = mac;
  if (!detail.empty()) e.evidence.push_back({"detail", detail.substr(0, alerts::kMaxEvidenceValue)});
  if (auto r = service_->raise(e); !r) {
    log_.limited("alert_not_recorded", port, "alert not recorded: " + r.error().message);
  }
}

void AlertFeed::stop() {
  // The service stays (it is stopped, not removed) like before the split: a
  // raise() after stop() is still recorded in the spool for the next start.
  if (service_) service_->stop();
}

bool AlertFeed::running() const {
  std::lock_guard lock(mutex_);
  return service_ != nullptr;
}

}  // namespace portvakt::control
