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
// It also writes one log line per authorisation and per end, and keeps them
// as rows of the store's dot1x_sessions table (the audit trail of
// admissions, R9; `portvakt devices show` lists a device's).
//
// hostapd's wired driver never forgets a station by itself, so Dot1xAdmission
// deauthenticates (DEAUTHENTICATE <mac>, the session ends with the reason):
//   link down         every station of a port whose link goes down (its own
//                     rtnetlink watch of the 802.1X ports): whatever is
//                     plugged in next authenticates afresh;
//   MAC aged out      a station the dataplane has not seen for
//                     stationAgeing (default 300 s, the switch's MAC
//                     ageing); when it talks again it is asked to
//                     authenticate (NEW_STA);
//   policy change     a pushed policy that changes, for a station, its
//                     port's authentication or zones, its inventory asset,
//                     or the 802.1X classes or pins that place it; it is
//                     asked to authenticate again (NEW_STA) once hostapd has
//                     freed the station (kReauthenticateAfterDeauth).
// These commands run on the housekeeping thread (which also watches RADIUS),
// never on the control thread.
//
// The RADIUS shared secret is read from the daemon's own option
// (--dot1x-secret-file), never from the policy or a client: the daemon never
// opens a path a client names.
//
// Threads: apply() and stop() from the control thread; the supervisor's
// observer runs on the supervisor thread and only touches the session map
// (under its mutex), the store, the dataplane runner's setDot1x and `raise`;
// sessions() and describeMac() from any thread.

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
#include "policy/tables/event_type.h"

namespace portvakt::store {
class Store;
}

namespace portvakt::control {

class DataplaneRunner;
class Metrics;

// hostapd frees a deauthenticated station 5 s later (AP_MAX_INACTIVITY_AFTER_DEAUTH
// in hostapd 2.10); a NEW_STA before that finds it still there and does nothing.
inline constexpr auto kReauthenticateAfterDeauth = std::chrono::seconds(6);

struct Dot1xOptions {
  std::string secretFile;  // empty: 802.1X ports are refused with a message
  std::string runtimeDir = "/run/portvakt/dot1x";
  std::string hostapdBinary = "/usr/sbin/hostapd";
  std::string ownIpAddress = "127.0.0.1";  // NAS-IP-Address, RADIUS is sent from it
  // A station the dataplane has not seen for this long is deauthenticated
  // (the 802.1D MAC ageing default, as the switch's learning table).
  std::chrono::seconds stationAgeing{300};
};

class Dot1xAdmission {
 public:
  using Raise = std::function<void(tables::EventType type, const std::string& port, const std::string& mac,
                                   const std::string& detail)>;
  // `metrics` and `store` may be null. With a store, audit rows a previous
  // portvaktd left open are closed ("portvaktd restarted").
  Dot1xAdmission(Dot1xOptions options, DataplaneRunner* dataplane, Metrics* metrics, Raise raise,
                 store::Store* store = nullptr);
  ~Dot1xAdmission();

  // Starts, restarts or stops the supervisor for `policy`: a policy whose
  // 802.1X configuration (ports, servers, periods) is unchanged keeps the
  // running hostapds and their sessions. Returns an error to report, or "".
  std::string apply(const tables::CompiledPolicyPtr& policy);
  void stop();

  // Every station's session as last reported (also ended ones, bounded).
  std::vector<dot1x::Session> sessions() const;
  // The 802.1X state of `mac` on every port, one clause each ("eth3
  // authorised as EK-0001 since 12:00:01Z; eth4 ended (disconnected) at
  // 12:03:10Z as EK-0001"), or "no 802.1X session": the evidence the spoof
  // and 802.1X alerts carry.
  std::string describeMac(const tables::MacAddress& mac) const;
  // Appends describeMac to the detail of the events where it is evidence
  // (mac_spoof_suspect, mac_flapping, device_moved, dot1x_failure); other
  // events' detail is returned as it is.
  std::string annotate(tables::EventType event, const std::string& mac, const std::string& detail) const;
  // Sets the sessions-by-state gauge from the supervisor's table (control thread).
  void updateMetrics() const;
  bool running() const { return supervisor_ != nullptr; }

 private:
  void onNotice(const dot1x::SupervisorNotice& notice);
  void publish();
  void housekeep(std::vector<std::string> ports);  // the housekeeping thread: links, ageing, RADIUS
  void checkRadius(std::map<std::string, dot1x::RadiusCounters>& last);
  void checkAgeing();
  void deauthenticate(const std::string& port, const tables::MacAddress& mac, const std::string& reason);
  void stopWatch();
  void stopSupervisor(const std::string& reason);
  void record(const dot1x::Session& session, dot1x::SessionState previous, bool identityChanged);

  struct Deauth {
    std::string port;
    tables::MacAddress mac;
    std::string reason;
    bool reauthenticate = false;
  };
  using StationKey = std::pair<std::string, tables::MacAddress>;

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
  store::Store* store_;
  // Housekeeping thread only:
  std::map<StationKey, std::chrono::steady_clock::time_point> reauthenticateAt_;  // NEW_STA due
  std::map<StationKey, int64_t> agedOut_;  // deauthenticated for idleness at (wall ns): NEW_STA when seen again

  mutable std::mutex mutex_;  // guards the members below
  tables::CompiledPolicyPtr policy_;
  std::map<std::pair<std::string, tables::MacAddress>, std::string> authorised_;  // (port, MAC) -> identity
  // Every session as the supervisor last reported it (bounded): what
  // sessions() and describeMac() read, from any thread.
  std::map<std::pair<std::string, tables::MacAddress>, dot1x::Session> seen_;
  std::map<std::pair<std::string, tables::MacAddress>, dot1x::Session>
      lastEnded_;  // the last end of each (bounded with seen_)
  std::map<tables::MacAddress, std::chrono::steady_clock::time_point> lastFailureAlert_;
  bool radiusUnreachable_ = false;
  std::vector<Deauth> pendingDeauth_;  // for the housekeeping thread
};

}  // namespace portvakt::control
