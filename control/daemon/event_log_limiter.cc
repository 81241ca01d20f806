#include "control/daemon/event_log_limiter.h"

namespace portvakt::control {

namespace {
constexpr char kSeparator = '\x1f';
const std::string kOverflowKey = std::string("*") + kSeparator + "*";
}  // namespace

bool EventLogLimiter::admit(const std::string& event, const std::string& port, WallTime now) {
  std::lock_guard lock(mutex_);
  std::string key = event + kSeparator + port;
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    if (keys_.size() >= options_.maxKeys) {
      it = keys_.find(kOverflowKey);
      if (it == keys_.end()) it = keys_.emplace(kOverflowKey, Window{now, 0, 0}).first;
    } else {
      it = keys_.emplace(std::move(key), Window{now, 0, 0}).first;
    }
  }
  Window& w = it->second;
  if (now - w.start >= options_.window && w.held == 0) w = Window{now, 0, 0};
  // A window with lines held back stays until takeSummaries() has reported it,
  // so the summary always comes before the next lines of its key.
  if (w.written < options_.burst && now - w.start < options_.window) {
    ++w.written;
    return true;
  }
  ++w.held;
  ++suppressedTotal_;
  ++suppressedByEvent_[event];
  return false;
}

std::string EventLogLimiter::summary(const std::string& key, const Window& w) {
  const size_t sep = key.find(kSeparator);
  const std::string event = key.substr(0, sep);
  const std::string port = sep == std::string::npos ? "" : key.substr(sep + 1);
  return std::to_string(w.held) + " similar event lines suppressed (event " + event +
         (port.empty() ? "" : ", port " + port) + ")";
}

std::vector<std::string> EventLogLimiter::takeSummaries(WallTime now) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (auto it = keys_.begin(); it != keys_.end();) {
    const Window& w = it->second;
    if (now - w.start < options_.window) {
      ++it;
      continue;
    }
    if (w.held > 0) out.push_back(summary(it->first, w));
    it = keys_.erase(it);
  }
  return out;
}

}  // namespace portvakt::control
