#pragma once
// What portvaktd is told at start (its command line, control/cli/main_portvaktd.cc,
// builds this; tests build it directly), and how a start can fail.
// The defaults here are the command line's defaults (--help shows them).

#include <optional>
#include <string>

#include "control/api/https_server.h"
#include "control/daemon/dot1x_admission.h"
#include "control/daemon/thread_priority.h"

namespace portvakt::control {

struct DaemonOptions {
  // --policy: the site policy to run at start; without it, the last one pushed.
  std::optional<std::string> policyFile;
  // --initial-policy: the policy to run when the state directory holds none yet.
  std::optional<std::string> initialPolicyFile;
  std::string stateDir = "/var/lib/portvakt";              // the database (policy history, devices, alert spool)
  std::string socketPath = "/run/portvakt/portvakt.sock";  // the management API's Unix socket
  std::string adminGroup = "portvakt";                     // may push and roll back over the socket
  std::string metricsAddress = "127.0.0.1:9120";           // Prometheus /metrics; "" for none
  bool forward = true;  // false: API and policy only (no ports opened, no event pump, no 802.1X)
  // --forwarding-nice: the forwarding thread's nice value (thread_priority.h);
  // the daemon's other threads keep the process's.
  int forwardingNice = kDefaultForwardingNice;
  Dot1xOptions dot1x;
  api::HttpsOptions https;  // https.listen "" for no HTTPS API
};

struct DaemonError {
  enum class Kind {
    kUsage,          // nothing to run: no policy given and none recorded
    kInvalidPolicy,  // the start policy does not compile or cannot be recorded
    kRuntime,        // the store, a socket, a port, a certificate ...
  };
  Kind kind = Kind::kRuntime;
  std::string message;  // for "portvaktd: <message>"; may span lines (compiler diagnostics)
};

}  // namespace portvakt::control
