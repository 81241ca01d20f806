#include "control/daemon/daemon_log.h"

#include <iostream>

#include "control/metrics/metrics.h"
#include "policy/tables/wall_clock.h"

namespace portvakt::control {

void DaemonLog::line(const std::string& text) { std::cerr << "portvaktd: " << text << "\n"; }

void DaemonLog::limited(const std::string& type, const std::string& port, const std::string& text) {
  if (limiter_.admit(type, port, wallNow())) line(text);
  else metrics_.addLogLinesSuppressed(type, 1);
}

void DaemonLog::writeSummaries() {
  for (const std::string& summary : limiter_.takeSummaries(wallNow())) line(summary);
}

}  // namespace portvakt::control
