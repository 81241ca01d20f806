// portvaktd: the appliance daemon. It holds the running policy, forwards on
// the policy's ports (DataplaneRunner's thread), keeps devices, policy history
// and the alert spool in SQLite, feeds alerts to the service desk, and serves
// the management API on a Unix socket (docs/operations.md).
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <ctime>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "control/api/https_server.h"
#include "control/api/unix_socket.h"
#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/daemon/api_handler.h"
#include "control/alerts/alert_service.h"
#include "control/daemon/dataplane_runner.h"
#include "control/daemon/device_json.h"
#include "control/daemon/device_persister.h"
#include "control/daemon/dot1x_admission.h"
#include "control/daemon/event_log_limiter.h"
#include "control/store/store.h"
#include "control/daemon/policy_manager.h"
#include "control/daemon/retention.h"
#include "control/metrics/metrics.h"
#include "policy/compiler/compiler.h"
#include "control/version.h"

namespace {

volatile std::sig_atomic_t gStop = 0;
// How stale the stored device table may be after a kill -9 (a clean stop
// flushes): short enough that a restart finds the devices of the last minute.
constexpr int64_t kDeviceFlushSeconds = 5;
// Alert history retention (docs/operations.md, "Bounds"): alerts whose
// deliveries are finished go after 90 days, and beyond 100 000 rows the oldest
// finished ones go; checked hourly.
constexpr int64_t kAlertRetentionMs = int64_t{90} * 24 * 3600 * 1000;
constexpr int64_t kMaxAlertRows = 100'000;
constexpr int64_t kAlertPruneSeconds = 3600;
void onSignal(int) { gStop = 1; }
// How often the event thread takes the dataplane's events to the alert feed:
// the longest an event waits before raise() (delivery then follows the feed's
// group wait, AlertServiceOptions::groupWaitMs).
constexpr auto kEventTick = std::chrono::milliseconds(50);
// How long one turn of the API's event loop waits for a socket when nothing
// happens (the control loop's tick for the metrics, the device flush and
// policy-change announcements).
constexpr int kApiTurnMs = 200;

// What the alert feed is built from: the control settings (sinks, routes,
// maintenance windows) and the site name.
std::string alertConfig(const portvakt::tables::CompiledPolicy& policy) {
  return policy.control.settingsHash + " " + policy.name;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace portvakt;
  namespace po = boost::program_options;
  po::options_description options("portvaktd options");
  options.add_options()("policy", po::value<std::string>(),
                        "the site policy to run at start (default: the last one pushed, from the state directory)")(
      "initial-policy", po::value<std::string>(),
      "the policy to run when the state directory holds none yet (first start); later starts resume the last push")(
      "state-dir", po::value<std::string>()->default_value("/var/lib/portvakt"),
      "where the database (policy history, devices, alert spool) lives")(
      "socket", po::value<std::string>()->default_value("/run/portvakt/portvakt.sock"), "management API socket")(
      "group", po::value<std::string>()->default_value("portvakt"), "group that may push and roll back")(
      "metrics", po::value<std::string>()->default_value("127.0.0.1:9120"), "Prometheus /metrics address ('' for none)")(
      "forward", po::value<bool>()->default_value(true),
      "open the policy's ports and forward frames (no: API and policy only, for checks and tests)")(
      "dot1x-secret-file", po::value<std::string>()->default_value(""),
      "the RADIUS shared secret for 802.1X ports (a root-only file; never taken from a policy)")(
      "dot1x-runtime-dir", po::value<std::string>()->default_value("/run/portvakt/dot1x"),
      "hostapd configs, logs and control sockets")("dot1x-nas-ip", po::value<std::string>()->default_value("127.0.0.1"),
                                                   "NAS-IP-Address: the address RADIUS requests are sent from")(
      "hostapd", po::value<std::string>()->default_value("/usr/sbin/hostapd"), "the hostapd binary")(
      "dot1x-station-ageing", po::value<unsigned>()->default_value(300),
      "seconds without a frame after which an 802.1X station is deauthenticated")(
      "https", po::value<std::string>()->default_value(""),
      "HTTPS management API on ADDRESS:PORT of the management interface, mutual TLS ('' for none)")(
      "https-cert", po::value<std::string>()->default_value(""), "the HTTPS server's certificate chain (PEM)")(
      "https-key", po::value<std::string>()->default_value(""),
      "its private key (PEM, mode 0600, owned by portvaktd's user)")(
      "https-ca", po::value<std::string>()->default_value(""), "the CA whose client certificates are accepted (PEM)")(
      "https-crl", po::value<std::string>()->default_value(""), "revoked client certificates (PEM CRL of that CA)")(
      "version", "print the version and exit");
  po::variables_map vm;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto exit = cli::parseOptions(args, "portvaktd --policy FILE [--socket PATH] [--group NAME]", options,
                                    po::positional_options_description(), vm)) {
    return *exit;
  }
  if (vm.count("version")) {
    std::cout << "portvaktd " << kVersion << "\n";
    return cli::kExitOk;
  }
  const std::string stateDir = vm["state-dir"].as<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(stateDir, ec);
  auto opened = store::Store::open(stateDir + "/portvakt.db");
  if (!opened) {
    std::cerr << "portvaktd: " << opened.error().message << "\n";
    return cli::kExitRuntime;
  }
  std::unique_ptr<store::Store> db = std::move(opened.value());
  control::PolicyManager policies(db.get());
  if (!policies.lastStoreError().empty()) std::cerr << "portvaktd: " << policies.lastStoreError() << "\n";
  const bool firstStart = policies.history().empty();
  if (vm.count("policy") || (firstStart && vm.count("initial-policy"))) {
    // The operator's own file, read by the daemon (the one place it opens a policy file).
    const std::string startPolicy = vm[vm.count("policy") ? "policy" : "initial-policy"].as<std::string>();
    policy::BundleRead read = policy::readPolicyBundle(startPolicy);
    if (!read.bundle) {
      std::cerr << "portvaktd: " << read.diagnostics.format();
      return cli::kExitInvalid;
    }
    auto plan = policies.plan(*read.bundle);
    if (plan.ok && !policies.history().empty() && plan.compiled->contentHash == policies.history().back().hash &&
        plan.compiled->control.settingsHash == policies.history().back().settingsHash) {
      policies.resume(plan.compiled);  // the same tables as before the restart: no new history entry
    } else if (auto error = policies.push(*read.bundle, ::getuid(), "", std::time(nullptr))) {
      // Also when the state directory cannot record it: never run unrecorded.
      std::cerr << "portvaktd: " << *error << (error->ends_with("\n") ? "" : "\n");
      return cli::kExitInvalid;
    }
  } else if (policies.history().empty()) {
    std::cerr << "portvaktd: no --policy or --initial-policy given and no earlier policy in " << stateDir << "\n";
    return cli::kExitUsage;
  } else if (auto error = policies.resumeLatest()) {
    // Rebuilt from the files recorded with it, not from disk (they may have changed since).
    std::cerr << "portvaktd: cannot restart with the last policy: " << *error << "\n";
    return cli::kExitRuntime;
  } else {
    std::cerr << "portvaktd: restarting with the last pushed policy, version " << policies.history().back().version << " "
              << policies.history().back().hash << " (" << policies.history().back().source << ")\n";
  }
  api::UnixSocketServer server;
  if (auto error = api::UnixSocketServer::listen(vm["socket"].as<std::string>(), vm["group"].as<std::string>(), server)) {
    std::cerr << "portvaktd: " << *error << "\n";
    return cli::kExitRuntime;
  }
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  const int64_t started = std::time(nullptr);
  auto current = policies.current();
  control::Metrics metrics(current->name);
  metrics.policyLoaded(policies.history().back().version, current->contentHash, current->name,
                       current->control.settingsHash);
  if (const std::string address = vm["metrics"].as<std::string>(); !address.empty()) {
    if (auto error = metrics.serve(address)) {
      std::cerr << "portvaktd: " << *error << "\n";
      return cli::kExitRuntime;
    }
  }
  std::unique_ptr<control::DataplaneRunner> dataplane;
  if (vm["forward"].as<bool>()) {
    // Devices known before a restart are placed again before the first frame.
    std::vector<control::DeviceSeed> seeds;
    if (auto stored = db->devices()) {
      for (const store::DeviceRecord& r : *stored) {
        std::string problem;
        if (auto seed = control::toSeed(r, problem)) seeds.push_back(std::move(*seed));
        else std::cerr << "portvaktd: stored device skipped: " << problem << "\n";
      }
    } else {
      std::cerr << "portvaktd: cannot read the stored devices: " << stored.error().message << "\n";
    }
    std::string error;
    dataplane = control::DataplaneRunner::start(policies, &metrics, error, seeds);
    if (!dataplane) {
      std::cerr << "portvaktd: " << error << "\n";
      return cli::kExitRuntime;
    }
    // A push whose ports this host does not have is refused before the swap.
    policies.setPreflight(&control::DataplaneRunner::checkPorts);
  }
  // The alert feed (spool in the store, sinks from the policy). A sink it cannot
  // use is reported and the daemon runs on: enforcement must not depend on it.
  // The event thread raises into it while the control thread may replace it
  // (a push with new sinks): feedMutex guards the pointer.
  std::mutex feedMutex;
  std::unique_ptr<alerts::AlertService> alertFeed;
  auto startAlerts = [&](const tables::CompiledPolicy& policy) {
    auto created = alerts::AlertService::create(*db, policy, {});
    std::unique_ptr<alerts::AlertService> old;
    {
      std::lock_guard lock(feedMutex);
      old = std::move(alertFeed);
      if (created) alertFeed = std::move(created.value());
    }
    // Stopped outside the lock (it waits for a delivery in flight) and before
    // the new dispatcher starts: two would send the same spool rows. Events
    // raised meanwhile wait in the spool.
    if (old) old->stop();
    if (!created) {
      std::cerr << "portvaktd: alerts are not delivered: " << created.error().message << "\n";
      return;
    }
    std::lock_guard lock(feedMutex);
    alertFeed->start();
  };
  startAlerts(*current);
  std::string runningAlertConfig = alertConfig(*current);
  // stderr is rate limited per event type and port like the alert feed
  // (a MAC flood once wrote 45 MB of event lines a minute); what is held back
  // is summarised every window and counted in the metrics.
  control::EventLogLimiter logLimiter;
  auto nowMs = [] { return static_cast<int64_t>(std::time(nullptr)) * 1000; };
  auto logLine = [&](const std::string& type, const std::string& port, const std::string& line) {
    if (logLimiter.admit(type, port, nowMs())) std::cerr << "portvaktd: " << line << "\n";
    else metrics.addLogLinesSuppressed(type, 1);
  };
  auto raise = [&](tables::EventType type, const std::string& port, const std::string& mac, const std::string& detail) {
    const std::string name(tables::toString(type));
    logLine(name, port,
            "event " + nlohmann::json{{"event", name}, {"port", port}, {"mac", mac}, {"detail", detail}}.dump(
                           -1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!alertFeed) return;
    alerts::Event e;
    e.type = type;
    e.port = port;
    e.mac = mac;
    if (!detail.empty()) e.evidence.push_back({"detail", detail.substr(0, alerts::kMaxEvidenceValue)});
    if (auto r = alertFeed->raise(e); !r) logLine("alert_not_recorded", port, "alert not recorded: " + r.error().message);
  };
  auto raiseLocked = [&](tables::EventType type, const std::string& port, const std::string& mac,
                         const std::string& detail) {
    std::lock_guard lock(feedMutex);
    raise(type, port, mac, detail);
  };
  control::ApiHandler handler(policies, vm["group"].as<std::string>(), started, &metrics, dataplane.get(), db.get());
  // The HTTPS API's workers call the same handler as the Unix socket:
  // apiMutex serializes them and the control loop's policy bookkeeping.
  std::mutex apiMutex;
  std::unique_ptr<api::HttpsServer> https;
  if (const std::string listen = vm["https"].as<std::string>(); !listen.empty()) {
    std::string error;
    https = api::HttpsServer::start({listen, vm["https-cert"].as<std::string>(), vm["https-key"].as<std::string>(),
                                     vm["https-ca"].as<std::string>(), vm["https-crl"].as<std::string>()},
                                    {[&](const std::string& request, const api::Caller& caller) {
                                       std::lock_guard lock(apiMutex);
                                       return handler.handle(request, caller, std::time(nullptr));
                                     },
                                     [&] { return policies.current(); }, [&] { return metrics.exposition(); }, db.get()},
                                    error);
    if (!https) {
      std::cerr << "portvaktd: " << error << "\n";
      return cli::kExitRuntime;
    }
    std::cerr << "portvaktd: HTTPS API on " << listen << " (port " << https->port() << ")\n";
  }
  control::DevicePersister devices(*db);
  int64_t lastDeviceFlush = std::time(nullptr);
  auto flushDevices = [&] {
    if (!dataplane) return;
    if (auto written = devices.flush(dataplane->devices(), std::time(nullptr)); !written) {
      logLine("devices_not_saved", "", "devices not saved: " + written.error().message);
    }
  };
  int64_t lastAlertPrune = 0;
  auto pruneAlerts = [&] {
    auto aged = db->pruneAlerts(nowMs() - kAlertRetentionMs);
    auto capped = db->capAlerts(kMaxAlertRows);
    if (!aged || !capped) {
      logLine("alerts_not_pruned", "", "alert history not pruned: " + (!aged ? aged.error() : capped.error()).message);
    }
    // The policy's retention (docs/policy.md "retention"), on the same hourly beat.
    const tables::Retention retention = policies.current()->control.retention;
    auto applied =
        control::applyRetention(*db, retention, std::chrono::system_clock::now(), [&](const tables::MacAddress& mac) {
          if (dataplane) dataplane->forget(mac);
        });
    if (!applied) {
      logLine("retention_not_applied", "", "retention not applied: " + applied.error().message);
    } else if (!applied->forgottenDevices.empty() || applied->auditEntriesRemoved > 0) {
      std::cerr << "portvaktd: retention: forgot " << applied->forgottenDevices.size() << " devices not seen for "
                << std::chrono::duration_cast<std::chrono::hours>(retention.devices).count() / 24 << " days, removed "
                << applied->auditEntriesRemoved << " policy history entries older than "
                << std::chrono::duration_cast<std::chrono::hours>(retention.audit).count() / 24 << " days\n";
    }
  };
  // 802.1X: hostapd per dot1x port, sessions into the dataplane's admission.
  control::Dot1xAdmission dot1xAdmission(
      {vm["dot1x-secret-file"].as<std::string>(), vm["dot1x-runtime-dir"].as<std::string>(),
       vm["hostapd"].as<std::string>(), vm["dot1x-nas-ip"].as<std::string>(),
       std::chrono::seconds(vm["dot1x-station-ageing"].as<unsigned>())},
      dataplane.get(), &metrics, raiseLocked, db.get());
  {
    std::lock_guard lock(apiMutex);  // the HTTPS workers may be serving already
    handler.setDot1x(&dot1xAdmission);
  }
  if (dataplane) {
    if (auto error = dot1xAdmission.apply(current); !error.empty()) std::cerr << "portvaktd: " << error << "\n";
  }
  size_t knownVersions = policies.history().size();
  std::cerr << "portvaktd: running " << current->name << " " << current->contentHash << ", API on "
            << vm["socket"].as<std::string>() << "\n";
  // Dataplane events become alerts on a thread of their own, so that nothing
  // the control thread does (an API request, a long policy compile) delays
  // them: an event reaches raise() within kEventTick of the dataplane queueing
  // it. raise() itself waits only for the store (one SQLite transaction of
  // whichever thread holds it, e.g. the device flush) and for feedMutex, which
  // is never held across a delivery or a request.
  std::atomic<bool> stopEvents{false};
  std::thread eventThread;
  if (dataplane) {
    eventThread = std::thread([&] {
      while (true) {
        const bool last = stopEvents.load();  // one more round after the stop: nothing queued is lost
        auto running = policies.current();
        for (const engine::EngineEvent& e : dataplane->takeEvents()) {
          const bool noDevice = e.mac == tables::MacAddress{};  // link events concern a port, not a device
          raiseLocked(e.event, e.port < running->ports.size() ? running->ports[e.port].interface : "",
                      noDevice ? std::string() : e.mac.toString(),
                      noDevice ? e.detail : dot1xAdmission.annotate(e.event, e.mac.toString(), e.detail));
        }
        if (last) return;
        std::this_thread::sleep_for(kEventTick);
      }
    });
  }
  while (!gStop) {
    metrics.setUptime(std::time(nullptr) - started);
    std::unique_lock apiLock(apiMutex);
    if (policies.history().size() != knownVersions) {
      // A push or rollback went through: announce it and rebuild the feed for the new sinks.
      knownVersions = policies.history().size();
      const control::PolicyVersion& v = policies.history().back();
      if (alertConfig(*policies.current()) != runningAlertConfig) {
        // New sinks or routes: a feed for them (the spool keeps what is pending).
        // Otherwise the running feed stays, with its retry backoff.
        startAlerts(*policies.current());
        runningAlertConfig = alertConfig(*policies.current());
      }
      if (dataplane) {
        if (auto error = dot1xAdmission.apply(policies.current()); !error.empty())
          std::cerr << "portvaktd: " << error << "\n";
      }
      raiseLocked(v.kind == "rollback" ? tables::EventType::kPolicyRolledBack : tables::EventType::kPolicyReload, "", "",
                  v.name + " version " + std::to_string(v.version) + " " + v.hash + " by " +
                      (v.subject.empty() ? "uid " + std::to_string(v.uid) : v.subject));
      if (!policies.lastStoreError().empty()) std::cerr << "portvaktd: " << policies.lastStoreError() << "\n";
    }
    for (const std::string& why : handler.takeRejections()) raiseLocked(tables::EventType::kPolicyRejected, "", "", why);
    apiLock.unlock();
    for (const std::string& summary : logLimiter.takeSummaries(nowMs())) std::cerr << "portvaktd: " << summary << "\n";
    if (std::time(nullptr) - lastAlertPrune >= kAlertPruneSeconds) {
      pruneAlerts();
      lastAlertPrune = std::time(nullptr);
    }
    if (std::time(nullptr) - lastDeviceFlush >= kDeviceFlushSeconds) {
      flushDevices();
      lastDeviceFlush = std::time(nullptr);
      if (dataplane) {
        std::map<std::pair<std::string, std::string>, int64_t> byClassAndZone;
        for (const control::DeviceSnapshot& d : dataplane->devices()) ++byClassAndZone[{d.deviceClass, d.zone}];
        metrics.setDeviceCounts(byClassAndZone);
        dot1xAdmission.updateMetrics();
      }
      if (auto rows = db->deviceCount()) metrics.setDeviceTable(-1, -1, *rows);
    }
    if (auto spool = db->spoolStats()) {
      const int64_t nowMs = std::time(nullptr) * int64_t{1000};
      metrics.setAlertSpool(spool->pending, spool->rejected,
                            spool->oldestPendingMs ? static_cast<double>(nowMs - spool->oldestPendingMs) / 1000.0 : 0.0);
    }
    // Every client is served by the API's event loop (control/api/unix_socket.h):
    // no client, however slow, holds this loop longer than its own request's handling.
    server.serveOnce(
        [&](const std::string& request, const api::Caller& caller) {
          std::lock_guard lock(apiMutex);
          return handler.handle(request, caller, std::time(nullptr));
        },
        kApiTurnMs);
  }
  dot1xAdmission.stop();
  if (https) https->stop();
  stopEvents = true;
  if (eventThread.joinable()) eventThread.join();
  flushDevices();
  if (alertFeed) alertFeed->stop();
  std::cerr << "portvaktd: stopping\n";
  return cli::kExitOk;
}
