#pragma once
// Rate limit for the daemon's stderr event lines (issue 14: a MAC flood made
// one line per event, 45 MB of log a minute).
//
// Like the alert feed's storm control, per key, where the key is an event
// type and a port: within each window (10 s) the first `burst` lines of a key
// are written and the rest are counted; when the window has passed,
// takeSummaries() returns one line per key that had lines held back ("12873
// similar lines suppressed ..."). So one noisy port cannot hide another
// port's events, and the volume is bounded by keys x (burst + 1) lines per
// window whatever the event rate.
//
// Memory is bounded: a key is dropped once its window has passed and its
// summary was taken, and at most maxKeys are tracked; events of further keys
// share one overflow key (event "*", port "*").
//
// Thread-safety: every member locks; the daemon's event thread (alerts) and
// control thread (device flush, pruning, summaries) both log through it.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "control/daemon/wall_time.h"

namespace portvakt::control {

struct EventLogLimiterOptions {
  std::chrono::milliseconds window{10'000};  // as long as the dataplane's event hold (kEventHoldNs)
  uint32_t burst = 5;                        // lines per key and window before holding back
  size_t maxKeys = 1024;
};

class EventLogLimiter {
 public:
  explicit EventLogLimiter(EventLogLimiterOptions options = {}) : options_(options) {}

  // True: write the line now. False: it was counted for the key's summary.
  bool admit(const std::string& event, const std::string& port, WallTime now);
  // Summary lines (without "portvaktd: " and newline) of keys whose window
  // ended with lines held back; forgets keys whose window ended.
  std::vector<std::string> takeSummaries(WallTime now);

  uint64_t suppressedTotal() const {
    std::lock_guard lock(mutex_);
    return suppressedTotal_;
  }
  // Held back lines by event type since start (for the metrics).
  std::map<std::string, uint64_t> suppressedByEvent() const {
    std::lock_guard lock(mutex_);
    return suppressedByEvent_;
  }
  size_t trackedKeys() const {
    std::lock_guard lock(mutex_);
    return keys_.size();
  }

 private:
  struct Window {
    WallTime start{};
    uint32_t written = 0;
    uint64_t held = 0;
  };
  static std::string summary(const std::string& key, const Window& w);

  EventLogLimiterOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, Window> keys_;  // "event\x1fport"
  std::map<std::string, uint64_t> suppressedByEvent_;
  uint64_t suppressedTotal_ = 0;
};

}  // namespace portvakt::control
