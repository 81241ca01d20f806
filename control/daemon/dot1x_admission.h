#pragma once
// Dot1xAdmission: portvaktd's 802.1X. It runs the hostapd supervisor for the
// compiled policy's 802.1X ports (one hostapd per port, restarted when it
// dies: control/dot1x), turns the sessions hostapd reports into the
// dataplane's admission snapshot (fingerprint::Dot1xSnapshot: who holds an
// authorised session on which port, as whom), and raises the 802.1X alerts:
//   dot1x_identity_mismatch  an authorised identity that is not the inventory
//                            asset of that MAC (the device is not placed by
//                            any dot1x class: the dataplane checks it too);
//   dot1x_failure            EAP failure, at most one per MAC per minute;
//   radius_unreachable       hostapd's RADIUS requests time out and no server
//                            answers (its MIB counters, read every 2 s): the
//                            authorised sessions stay, unauthorised devices on
//                            802.1X ports go to the policy's fallback zone
//                            until a server answers again.
// It also writes one log line per authorisation and per end (the audit
// trail of admissions, R9).
//
// The RADIUS shared secret is read from the daemon's own option
// (--dot1x-secret-file), never from the policy or a client: the daemon never
// opens a path a client names.
//
// Threads: apply() and stop() from the control thread; the supervisor's
// observer runs on the supervisor thread and only touches the session map
// (under its mutex), the dataplane runner's setDot1x and `raise`.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/dot1x/hostapd_supervisor.h"
#include "dataplane/fingerprint/device_profiler.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::control {

class DataplaneRunner;
class Metrics;

struct Dot1xOptions {
  std::string secretFile;   // empty: 802.1X ports are refused with a message
  std::string runtimeDir = "/run/portvakt/dot1x";
  std::string hostapdBinary = "/usr/sbin/hostapd";
  std::string ownIpAddress = "127.0.0.1";  // NAS-IP-Address, RADIUS is sent from it
};

class Dot1xAdmission {
 public:
  using Raise = std::function<void(tables::EventType type, const std::string& port, const std::string& mac,
                                   const std::string& detail)>;
  // `metrics` may be null.
  Dot1xAdmission(Dot1xOptions options, DataplaneRunner* dataplane, Metrics* metrics, Raise raise);
  ~Dot1xAdmission();

  // Starts, restarts or stops the supervisor for `policy`: a policy whose
  // 802.1X configuration (ports, servers, periods) is unchanged keeps the
  // running hostapds and their sessions. Returns an error to report, or "".
  std::string apply(const tables::CompiledPolicyPtr& policy);
  void stop();

  std::vector<dot1x::Session> sessions() const;
  // Sets the sessions-by-state gauge from the supervisor's table (control thread).
  void updateMetrics() const;
  bool running() const { return supervisor_ != nullptr; }

 private:
  void onNotice(const dot1x::SupervisorNotice& notice);
  void publish();
  void watchRadius(std::vector<std::string> ports);  // the RADIUS watch thread
  void stopWatch();

  Dot1xOptions options_;
  DataplaneRunner* dataplane_;
  Metrics* metrics_;
  Raise raise_;
  std::unique_ptr<dot1x::HostapdSupervisor> supervisor_;
  std::string runningConfig_;  // the config the supervisor runs, as text, to see a change
  std::thread watch_;
  std::mutex watchMutex_;
  std::condition_variable watchWake_;
  bool watchStop_ = false;  // guarded by watchMutex_

  mutable std::mutex mutex_;  // guards the members below
  tables::CompiledPolicyPtr policy_;
  std::map<std::pair<std::string, tables::MacAddress>, std::string> authorised_;  // (port, MAC) -> identity
  std::map<tables::MacAddress, std::chrono::steady_clock::time_point> lastFailureAlert_;
  bool radiusUnreachable_ = false;
};

}  // namespace portvakt::control
