#pragma once
// The daemon's log: "portvaktd: ..." lines on stderr (journald keeps them).
//
// line() writes always: start-up, policy changes, what the operator must see.
// limited() is for lines an attacker can multiply (one per dataplane event,
// one per failed write): it is rate limited per event type and port like the
// alert feed (a MAC flood once wrote 45 MB of event lines a minute,
// EventLogLimiter); what is held back is counted in the metrics and
// summarised once its window has passed, by writeSummaries().
//
// Thread-safety: every member may be called from any thread (the event pump,
// the 802.1X supervisor and the control loop all log).

#include <string>

#include "control/daemon/event_log_limiter.h"

namespace portvakt::control {

class Metrics;

class DaemonLog {
 public:
  explicit DaemonLog(Metrics& metrics) : metrics_(metrics) {}

  static void line(const std::string& text);
  // `type` and `port` are the rate limit's key (an event name, an interface).
  void limited(const std::string& type, const std::string& port, const std::string& text);
  // One line per key whose window passed with lines held back (the control loop, every turn).
  void writeSummaries();

 private:
  Metrics& metrics_;
  EventLogLimiter limiter_;
};

}  // namespace portvakt::control
