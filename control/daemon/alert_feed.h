#pragma once
// The daemon's alert feed: the AlertService (spool in the store, sinks, routes
// and maintenance windows from the policy) and the one way events reach it,
// raise().
//
// A push or rollback that changes the policy's sinks, alert routes,
// maintenance windows or site name gets a new AlertService; any other change
// (a flow, a class, a port) keeps the running one, with its retry backoff and
// folded counts (follow(), compared by alertConfig()). A sink the feed cannot
// use is reported and the daemon runs on without a feed: enforcement must not
// depend on it. What is raised meanwhile waits in the spool, so a rebuild
// loses nothing.
//
// Threads: raise() from any thread (the event pump, the 802.1X supervisor,
// the control loop); build(), follow() and stop() from the control thread.
// mutex_ guards the service pointer: it is held while an event is recorded
// (one SQLite transaction), never across a delivery, and not while an old
// service stops (that waits for its delivery in flight).

#include <memory>
#include <mutex>
#include <string>

#include "control/alerts/alert_service.h"
#include "policy/tables/compiled_policy.h"
#include "policy/tables/event_type.h"

namespace portvakt::store {
class Store;
}

namespace portvakt::control {

class DaemonLog;

// What the alert feed is built from: the control settings (sinks, routes,
// maintenance windows; their settings hash) and the site name. Two policies
// with the same alertConfig have the same feed. (A change of the settings'
// other parts, tests or retention, rebuilds it too: rare, and harmless.)
std::string alertConfig(const tables::CompiledPolicy& policy);

class AlertFeed {
 public:
  AlertFeed(store::Store& store, DaemonLog& log) : store_(store), log_(log) {}
  ~AlertFeed();
  AlertFeed(const AlertFeed&) = delete;
  AlertFeed& operator=(const AlertFeed&) = delete;

  // Builds the feed for `policy` and starts its dispatcher; a running feed is
  // stopped first (two dispatchers would send the same spool rows). On a sink
  // it cannot use: a line on stderr and no feed until the next build.
  void build(const tables::CompiledPolicy& policy);
  // build() when `policy`'s alertConfig differs from the one last built;
  // returns whether it built.
  bool follow(const tables::CompiledPolicy& policy);
  // Writes the event's line to the daemon log (rate limited) and records it
  // in the feed, if there is one.
  void raise(tables::EventType type, const std::string& port, const std::string& mac, const std::string& detail);
  // Stops the dispatcher and writes pending folded counts (at the daemon's stop).
  void stop();

  bool running() const;
  // How many times a feed was built (start included): tests see a rebuild.
  int builds() const { return builds_; }

 private:
  store::Store& store_;
  DaemonLog& log_;
  mutable std::mutex mutex_;
  std::unique_ptr<alerts::AlertService> service_;
  std::string builtConfig_;  // alertConfig of the last build (also when it failed)
  int builds_ = 0;
};

}  // namespace portvakt::control
