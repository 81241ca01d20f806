#pragma once
// Runs hostapd for portvaktd's 802.1X ports and keeps the session table.
//
// One hostapd process per access port (not one hostapd with several config
// files): a port's hostapd can then die, be restarted or be reconfigured
// without touching the sessions of any other port, its log and its control
// socket are its own, and a crash that some frame on one jack provokes stays
// on that jack. The cost is about 1 MB of private memory per port (an idle
// hostapd 2.10: Private_Clean + Private_Dirty in /proc/PID/smaps_rollup,
// docs/dot1x.md), small against a switch's 8 to 48 access ports.
//
// One supervisor thread does everything that changes state, in a poll()
// loop over: a pidfd per hostapd (it becomes readable when hostapd exits),
// the monitor connection per hostapd (ATTACHed, unsolicited events), and an
// eventfd that stop() writes. Per port it:
//   1. writes the config (writeHostapdConfigs) and starts hostapd
//      (fork + exec, PR_SET_PDEATHSIG so hostapd never outlives portvaktd,
//      stdout/stderr to <runtimeDir>/hostapd-<port>.log, kept under
//      maxLogBytes, the part before in .log.1);
//   2. waits for hostapd's control socket (PING -> PONG), opens the command
//      connection and the monitor connection and ATTACHes;
//   3. asks hostapd to start authentication (NEW_STA) for every MAC whose
//      session a previous hostapd of this port forgot, so the stations
//      re-authenticate without waiting for their own EAPOL-Start;
//   4. applies every event to the session table and, on EAP success and
//      failure, asks STA <mac> for the identity;
//   5. when hostapd exits (or stops answering PING), ends the port's
//      sessions ("hostapd restarted") and starts it again after a backoff
//      (250 ms doubling to 30 s; back to 250 ms once it ran 60 s).
//
// Other threads read snapshots (sessions(), ports()) and send commands
// (deauthenticate, startAuthentication, station) over the command
// connection; these block for at most the request timeout. The observer is
// called on the supervisor thread, without any lock held; it must not call
// back into the supervisor's blocking commands for long.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "control/dot1x/dot1x_config.h"
#include "control/dot1x/hostapd_control.h"
#include "control/dot1x/session_table.h"

namespace portvakt::dot1x {

struct SupervisorOptions {
  std::string hostapdBinary = "/usr/sbin/hostapd";
  std::chrono::milliseconds requestTimeout{2000};
  std::chrono::milliseconds startTimeout{10000};  // from exec to a PONG on the control socket
  std::chrono::milliseconds backoffInitial{250};
  std::chrono::milliseconds backoffMax{30000};
  std::chrono::milliseconds healthyAfter{60000};  // running this long resets the backoff
  std::chrono::milliseconds pingInterval{10000};  // a hostapd that misses 3 PINGs in a row is killed
  // hostapd's log lives in the runtime directory (tmpfs, RAM): past this
  // size it is copied to .log.1 and emptied, checked once a second.
  uint64_t maxLogBytes = 1 << 20;
};

// What happened, for the daemon (alerts, audit) and the tests.
struct SupervisorNotice {
  enum class Kind : uint8_t {
    kEvent,           // a hostapd event (event set), whether or not it changed a session
    kSessionChanged,  // a session changed state (change set)
    kHostapdStarted,  // hostapd of `port` is running and attached (pid)
    kHostapdExited,   // hostapd of `port` exited or was killed (message says how)
    kProblem,         // something went wrong that the operator should read (message)
  };
  Kind kind = Kind::kEvent;
  std::string port;
  HostapdEvent event;
  SessionChange change;
  pid_t pid = 0;
  std::string message;
};
const char* toString(SupervisorNotice::Kind kind);

struct PortStatus {
  std::string port;
  pid_t pid = 0;                // 0 while not running
  bool attached = false;        // the monitor connection is ATTACHed
  uint32_t starts = 0;          // hostapd processes started for this port
  uint32_t rejectedEvents = 0;  // datagrams that did not parse as events
  std::string lastProblem;
};

// hostapd's RADIUS client counters (its MIB command), summed over the servers.
struct RadiusCounters {
  uint64_t requests = 0;
  uint64_t responses = 0;  // accepts + rejects + challenges: a server answered
  uint64_t timeouts = 0;
};
RadiusCounters parseRadiusCounters(std::string_view mib);

class HostapdSupervisor {
 public:
  using Observer = std::function<void(const SupervisorNotice&)>;

  // Validates the config, writes the hostapd configs and starts the
  // supervisor thread (which starts hostapd). Fails with a message when the
  // config is refused or cannot be written; a hostapd that fails to start is
  // not a failure here but a kProblem notice and a retry with backoff.
  static ConfigResult<std::unique_ptr<HostapdSupervisor>> start(Dot1xConfig config, SupervisorOptions options,
                                                                Observer observer);
  // Stops the thread, terminates every hostapd (SIGTERM, then SIGKILL after 2 s).
  ~HostapdSupervisor();
  HostapdSupervisor(const HostapdSupervisor&) = delete;
  HostapdSupervisor& operator=(const HostapdSupervisor&) = delete;

  std::vector<Session> sessions() const;
  std::vector<PortStatus> ports() const;

  // Commands to the hostapd of `port` (any thread; blocks up to the request timeout).
  // `reason` ("link down", "MAC aged out", "policy change"; empty: none)
  // becomes the session's end reason when hostapd reports the disconnect.
  ControlResult<void> deauthenticate(const std::string& port, const tables::MacAddress& mac,
                                     const std::string& reason = "");
  ControlResult<void> startAuthentication(const std::string& port, const tables::MacAddress& mac);
  ControlResult<StationInfo> station(const std::string& port, const tables::MacAddress& mac);
  ControlResult<RadiusCounters> radiusCounters(const std::string& port);

 private:
  struct PortRuntime;
  HostapdSupervisor(Dot1xConfig config, SupervisorOptions options, Observer observer);
  void run();
  void startHostapd(PortRuntime& port);
  void tryAttach(PortRuntime& port);
  void handleExit(PortRuntime& port);
  void handleEvents(PortRuntime& port);
  void pingIfDue(PortRuntime& port);
  void trimLog(PortRuntime& port);
  void killHostapd(PortRuntime& port, const std::string& why);
  void stopAll();
  void notify(const SupervisorNotice& notice);
  void problem(PortRuntime& port, const std::string& message);
  std::shared_ptr<HostapdControl> commandConnection(const std::string& port, ControlError& error) const;

  Dot1xConfig config_;
  SupervisorOptions options_;
  Observer observer_;
  std::vector<std::unique_ptr<PortRuntime>> ports_;
  mutable std::mutex mutex_;  // guards table_ and the PortRuntime fields marked "guarded"
  SessionTable table_;
  int wakeFd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace portvakt::dot1x
