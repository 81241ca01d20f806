#pragma once
// portvaktd's composition root: the parts of the daemon, built in order,
// driven by one control loop, and stopped in order.
//
//   open()   the store in the state directory, the start policy
//            (start_policy.h), the management API's Unix socket;
//   start()  the metrics endpoint, the dataplane's forwarding thread
//            (DataplaneRunner, with the stored devices placed again), the
//            alert feed, the HTTPS API's workers, 802.1X (hostapd
//            supervisor) and the event pump;
//   run()    the control loop: announces pushes and rollbacks (alert feed
//            rebuilt when its sinks changed, 802.1X applied, policy_reload
//            raised), serves the Unix socket, and does the housekeeping
//            (housekeeping.h), until asked to stop; then stops: 802.1X, HTTPS,
//            the event pump (after one more round), the last device flush,
//            the alert feed. Nothing queued is lost.
// README.md in this folder draws the threads and what each lock guards.
//
// The split between open() and start() is where the command line installs
// its signal handlers: a signal before the socket is bound ends the process,
// one after it stops the daemon cleanly.
//
// Threads: every member from one thread (the control thread).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "control/api/unix_socket.h"
#include "control/daemon/daemon_options.h"
#include "control/daemon/wall_time.h"
#include "policy/tables/expected.h"

namespace portvakt::store {
class Store;
}
namespace portvakt::api {
class HttpsServer;
}

namespace portvakt::control {

class AlertFeed;
class ApiHandler;
class DaemonLog;
class DataplaneRunner;
class Dot1xAdmission;
class EventPump;
class Housekeeping;
class Metrics;
class PolicyManager;

// How long one turn of the control loop waits for the Unix socket when
// nothing happens: the loop's tick for the metrics, the device flush and
// policy-change announcements.
inline constexpr std::chrono::milliseconds kApiTurn{200};

class Daemon {
 public:
  // Opens the store (creating the state directory), installs the start
  // policy and binds the API socket. Returns the daemon, or why it cannot start.
  static Expected<std::unique_ptr<Daemon>, DaemonError> open(DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts every thread. Returns why it could not (a port, an address, a
  // certificate); what was started is stopped by the destructor.
  [[nodiscard]] std::optional<DaemonError> start();
  // The control loop, until `stopRequested` returns true (checked every
  // turn, at most kApiTurn plus one request apart); then stops in order.
  // Call once, after start() succeeded.
  void run(const std::function<bool()>& stopRequested);

 private:
  explicit Daemon(DaemonOptions options);
  // After a push or rollback: the alert feed, 802.1X, the policy_reload alert.
  void announcePolicyChange();
  void stop();

  DaemonOptions options_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<PolicyManager> policies_;
  api::UnixSocketServer socket_;
  WallTime startedAt_{};
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<DataplaneRunner> dataplane_;  // null when not forwarding
  std::unique_ptr<DaemonLog> log_;
  std::unique_ptr<AlertFeed> alerts_;
  std::unique_ptr<ApiHandler> handler_;
  // The HTTPS workers call the same handler as the Unix socket: apiMutex_
  // serializes them and the control loop's policy bookkeeping (handler_ and
  // policies_ run one request at a time).
  std::mutex apiMutex_;
  std::unique_ptr<api::HttpsServer> https_;  // null without --https
  std::unique_ptr<Dot1xAdmission> dot1x_;
  std::unique_ptr<Housekeeping> housekeeping_;
  std::unique_ptr<EventPump> events_;  // null when not forwarding
  size_t knownVersions_ = 0;           // policy history length last announced
};

}  // namespace portvakt::control
