#include "control/daemon/daemon.h"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "control/api/https_server.h"
#include "control/daemon/alert_feed.h"
#include "control/daemon/api_handler.h"
#include "control/daemon/daemon_log.h"
#include "control/daemon/dataplane_runner.h"
#include "control/daemon/device_json.h"
#include "control/daemon/dot1x_admission.h"
#include "control/daemon/event_pump.h"
#include "control/daemon/housekeeping.h"
#include "control/daemon/policy_manager.h"
#include "control/daemon/start_policy.h"
#include "control/metrics/metrics.h"
#include "control/store/store.h"

namespace portvakt::control {

using Kind = DaemonError::Kind;

Daemon::Daemon(DaemonOptions options) : options_(std::move(options)) {}

Daemon::~Daemon() = default;

Expected<std::unique_ptr<Daemon>, DaemonError> Daemon::open(DaemonOptions options) {
  std::unique_ptr<Daemon> daemon(new Daemon(std::move(options)));
  const DaemonOptions& o = daemon->options_;
  std::error_code ec;
  std::filesystem::create_directories(o.stateDir, ec);
  auto opened = store::Store::open(o.stateDir + "/portvakt.db");
  if (!opened) return DaemonError{Kind::kRuntime, opened.error().message};
  daemon->store_ = std::move(opened.value());
  daemon->policies_ = std::make_unique<PolicyManager>(daemon->store_.get());
  if (const Status& read = daemon->policies_->historyRead(); !read) DaemonLog::line(read.error().message);
  if (auto error = installStartPolicy(*daemon->policies_, o)) return *error;
  if (auto listening = api::UnixSocketServer::listen(o.socketPath, o.adminGroup, daemon->socket_); !listening) {
    return DaemonError{Kind::kRuntime, listening.error().message};
  }
  return daemon;
}

std::optional<DaemonError> Daemon::start() {
  startedAt_ = wallNow();
  const tables::CompiledPolicyPtr current = policies_->current();
  metrics_ = std::make_unique<Metrics>(current->name);
  metrics_->policyLoaded(policies_->history().back().version, current->contentHash, current->name,
                         current->control.settingsHash);
  if (!options_.metricsAddress.empty()) {
    if (auto serving = metrics_->serve(options_.metricsAddress); !serving) {
      return DaemonError{Kind::kRuntime, serving.error().message};
    }
  }
  if (options_.forward) {
    // Devices known before a restart are placed again before the first frame.
    std::vector<DeviceSeed> seeds;
    if (auto stored = store_->devices()) {
      for (const store::DeviceRecord& r : *stored) {
        if (auto seed = toSeed(r)) seeds.push_back(std::move(*seed));
        else DaemonLog::line("stored device skipped: " + seed.error().message);
      }
    } else {
      DaemonLog::line("cannot read the stored devices: " + stored.error().message);
    }
    auto dataplane = DataplaneRunner::start(*policies_, metrics_.get(), seeds);
    if (!dataplane) return DaemonError{Kind::kRuntime, dataplane.error().message};
    dataplane_ = std::move(dataplane.value());
    dataplane_->setForwardingNice(options_.forwardingNice);
    // A push whose ports this host does not have is refused before the swap.
    policies_->setPreflight(&DataplaneRunner::checkPorts);
  }
  log_ = std::make_unique<DaemonLog>(*metrics_);
  alerts_ = std::make_unique<AlertFeed>(*store_, *log_);
  alerts_->build(*current);
  handler_ = std::make_unique<ApiHandler>(*policies_, options_.adminGroup, startedAt_, metrics_.get(), dataplane_.get(),
                                          store_.get());
  if (!options_.https.listen.empty()) {
    auto https = api::HttpsServer::start(options_.https, {[this](const std::string& request, const api::Caller& caller) {
                                                            std::lock_guard lock(apiMutex_);
                                                            return handler_->handle(request, caller, wallNow());
                                                          },
                                                          [this] { return policies_->current(); },
                                                          [this] { return metrics_->exposition(); }, store_.get()});
    if (!https) return DaemonError{Kind::kRuntime, https.error().message};
    https_ = std::move(https.value());
    DaemonLog::line("HTTPS API on " + options_.https.listen + " (port " + std::to_string(https_->port()) + ")");
  }
  // 802.1X: hostapd per dot1x port, sessions into the dataplane's admission.
  dot1x_ = std::make_unique<Dot1xAdmission>(
      options_.dot1x, dataplane_.get(), metrics_.get(),
      [this](tables::EventType type, const std::string& port, const std::string& mac, const std::string& detail) {
        alerts_->raise(type, port, mac, detail);
      },
      store_.get());
  {
    std::lock_guard lock(apiMutex_);  // the HTTPS workers may be serving already
    handler_->setDot1x(dot1x_.get());
  }
  if (dataplane_) {
    if (auto error = dot1x_->apply(current); !error.empty()) DaemonLog::line(error);
  }
  housekeeping_ =
      std::make_unique<Housekeeping>(*store_, *policies_, *metrics_, dataplane_.get(), *dot1x_, *log_, wallNow());
  knownVersions_ = policies_->history().size();
  DaemonLog::line("running " + current->name + " " + current->contentHash + " (settings " +
                  current->control.settingsHash + "), API on " + options_.socketPath);
  if (dataplane_) {
    events_ = std::make_unique<EventPump>(*dataplane_, *policies_, *alerts_, *dot1x_);
    events_->start();
  }
  return std::nullopt;
}

void Daemon::run(const std::function<bool()>& stopRequested) {
  while (!stopRequested()) {
    metrics_->setUptime(std::chrono::duration_cast<std::chrono::seconds>(wallNow() - startedAt_).count());
    std::unique_lock apiLock(apiMutex_);
    if (policies_->history().size() != knownVersions_) announcePolicyChange();
    for (const std::string& why : handler_->takeRejections()) {
      alerts_->raise(tables::EventType::kPolicyRejected, "", "", why);
    }
    apiLock.unlock();
    housekeeping_->turn();
    // Every client is served by the API's event loop (control/api/unix_socket.h):
    // no client, however slow, holds this loop longer than its own request's handling.
    socket_.serveOnce(
        [this](const std::string& request, const api::Caller& caller) {
          std::lock_guard lock(apiMutex_);
          return handler_->handle(request, caller, wallNow());
        },
        kApiTurn);
  }
  stop();
}

void Daemon::announcePolicyChange() {
  knownVersions_ = policies_->history().size();
  const PolicyVersion& v = policies_->history().back();
  // New sinks or routes: a feed for them (the spool keeps what is pending).
  // Otherwise the running feed stays, with its retry backoff.
  alerts_->follow(*policies_->current());
  if (dataplane_) {
    if (auto error = dot1x_->apply(policies_->current()); !error.empty()) DaemonLog::line(error);
  }
  alerts_->raise(v.kind == "rollback" ? tables::EventType::kPolicyRolledBack : tables::EventType::kPolicyReload, "", "",
                 v.name + " version " + std::to_string(v.version) + " " + v.hash + " (settings " + v.settingsHash +
                     ") by " + (v.subject.empty() ? "uid " + std::to_string(v.uid) : v.subject));
  if (const Status& read = policies_->historyRead(); !read) DaemonLog::line(read.error().message);
}

void Daemon::stop() {
  // Sources first, then what they feed: 802.1X and HTTPS raise and call the
  // handler; the event pump takes one more round of the dataplane's events;
  // the devices are written once more; the feed writes its folded counts.
  dot1x_->stop();
  if (https_) https_->stop();
  if (events_) events_->stop();
  housekeeping_->flushDevices();
  alerts_->stop();
  DaemonLog::line("stopping");
}

}  // namespace portvakt::control
