#include "control/alerts/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "policy/tables/wall_clock.h"

namespace portvakt::alerts {

Dispatcher::Dispatcher(store::Store& store, std::vector<std::unique_ptr<Sink>> sinks, DispatcherOptions options)
    : store_(store), options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return store::atUnixMs(wallClockMs()); };
  for (auto& s : sinks) {
    SinkState st;
    st.status.name = s->name();
    st.sink = std::move(s);
    sinks_.push_back(std::move(st));
  }
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::setHooks(std::function<void()> beforeRound, SinkStateHook onSinkState) {
  beforeRound_ = std::move(beforeRound);
  onSinkState_ = std::move(onSinkState);
}

store::TimeMs Dispatcher::now() const { return options_.clock(); }

void Dispatcher::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::vector<SinkStatus> Dispatcher::status() const {
  std::lock_guard lock(mu_);
  std::vector<SinkStatus> out;
  for (const auto& s : sinks_) out.push_back(s.status);
  return out;
}

void Dispatcher::reopenSinks() {
  // Done by the delivering thread at the start of its next round, so a sink
  // is never reopened in the middle of a delivery.
  reopenRequested_ = true;
  wake();
}

int Dispatcher::deliverSink(SinkState& s, store::TimeMs roundStart) {
  {
    std::lock_guard lock(mu_);
    if (s.status.blockedUntil > roundStart) return 0;
  }
  auto due = store_.dueDeliveries(s.status.name, roundStart, options_.batch);
  if (!due) return 0;  // the store's error shows up again in the next round; nothing to do here
  int acked = 0;
  for (const auto& row : *due) {
    auto alert = fromRecord(row.alert);
    DeliveryResult r =
        alert ? s.sink->deliver(*alert) : DeliveryResult{DeliveryOutcome::kRejected, "malformed alert row in the spool"};
    const store::TimeMs t = now();
    std::optional<std::pair<bool, std::string>> stateChange;
    if (r.outcome == DeliveryOutcome::kAcked) {
      auto marked = store_.markDelivered(row.alert.id, s.status.name, t);
      ++acked;
      std::lock_guard lock(mu_);
      if (!marked) {
        // The receiver has it; the spool does not know: it will be sent
        // again (the receiver deduplicates by the Idempotency-Key / id).
        s.status.lastError =
            "delivered, but the spool could not record it (it will be sent again): " + marked.error().message;
        std::cerr << "portvaktd: alert " << row.alert.id << " to " << s.status.name << ": " << s.status.lastError << "\n";
      }
      ++s.status.delivered;
      if (s.status.down) stateChange = std::make_pair(false, std::string());
      s.status.down = false;
      s.status.consecutiveFailures = 0;
      s.status.blockedUntil = {};
    } else if (r.outcome == DeliveryOutcome::kRejected) {
      auto marked = store_.markRejected(row.alert.id, s.status.name, r.error, t);
      std::lock_guard lock(mu_);
      ++s.status.rejected;
      s.status.lastError = r.error;
      if (!marked) {
        s.status.lastError += "; the spool could not record the rejection: " + marked.error().message;
        std::cerr << "portvaktd: alert " << row.alert.id << " to " << s.status.name << ": " << s.status.lastError << "\n";
      }
    } else {
      std::chrono::milliseconds backoff;
      {
        std::lock_guard lock(mu_);
        ++s.status.retries;
        int failures = ++s.status.consecutiveFailures;
        s.status.lastError = r.error;
        backoff = options_.retryBase;
        for (int i = 1; i < failures && backoff < options_.retryMax; ++i) backoff *= 2;
        backoff = std::min(backoff, options_.retryMax);
        s.status.blockedUntil = t + backoff;
        if (!s.status.down && failures >= options_.sinkFailedAfter) {
          s.status.down = true;
          stateChange = std::make_pair(true, r.error);
        }
      }
      if (auto marked = store_.markRetry(row.alert.id, s.status.name, r.error, t + backoff); !marked) {
        // The row stays due now instead of after the backoff: the next round
        // is still held back by blockedUntil, so this is no busy loop.
        std::lock_guard lock(mu_);
        s.status.lastError = r.error + "; the spool could not record the retry: " + marked.error().message;
        std::cerr << "portvaktd: alert " << row.alert.id << " to " << s.status.name << ": " << s.status.lastError << "\n";
      }
    }
    if (stateChange && onSinkState_) onSinkState_(s.status.name, stateChange->first, stateChange->second);
    if (r.outcome == DeliveryOutcome::kRetry) break;  // the receiver is down: keep order, back off
  }
  return acked;
}

int Dispatcher::runOnce() {
  if (reopenRequested_.exchange(false)) {
    for (auto& s : sinks_) s.sink->reopen();
  }
  if (beforeRound_) beforeRound_();
  int acked = 0;
  for (auto& s : sinks_) acked += deliverSink(s, now());
  return acked;
}

std::chrono::milliseconds Dispatcher::waitFor(store::TimeMs from) {
  std::chrono::milliseconds wait = options_.idleWait;
  auto consider = [&](store::TimeMs at) {
    if (at > from) wait = std::min(wait, at - from);
  };
  if (auto next = store_.nextDue(); next && next->has_value()) {
    // Due already but its sink is blocked: the block's end is what counts.
    consider(**next);
  }
  std::lock_guard lock(mu_);
  for (const auto& s : sinks_) consider(s.status.blockedUntil);
  return std::max(wait, std::chrono::milliseconds(1));
}

void Dispatcher::loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      woken_ = false;
    }
    int acked = runOnce();
    if (acked > 0) continue;  // more may be waiting behind a full batch
    const std::chrono::milliseconds wait = waitFor(now());
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stopping_ || woken_; });
  }
}

}  // namespace portvakt::alerts
