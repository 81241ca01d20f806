#pragma once
// The dispatcher moves alerts from the spool (the store) to the sinks.
//
// Why it reads the spool and not a queue in memory: the spool row is written
// before delivery and only marked delivered after the sink acknowledged, so a
// receiver that is down for an hour, a daemon restart, or a kill -9 in the
// middle of a delivery loses nothing. The price is at-least-once: a kill
// between the receiver's ack and our markDelivered sends that alert once more
// on restart, which the webhook's Idempotency-Key (= alert id) lets the
// receiver drop.
//
// Per sink, in alert-time order. When a sink fails, the dispatcher backs off
// that sink only (retryBaseMs * 2^(failures-1), capped at retryMaxMs) and the
// others keep going; after sinkFailedAfter consecutive failures it reports the
// sink down once (AlertService turns that into a sink_failed alert), and up
// again on the first success.
//
// Thread-safety: start()/stop() from the owning thread; wake(), status() from
// any thread; runOnce() only when the thread is not started (tests, tools).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/alerts/sink.h"
#include "control/store/store.h"

namespace portvakt::alerts {

// Times are std::chrono values; a point in time is a store::TimeMs (Unix
// time in milliseconds, the unit the spool's columns hold).
struct DispatcherOptions {
  std::chrono::milliseconds retryBase{1000};  // the first retry's delay, doubled per failure
  std::chrono::milliseconds retryMax = std::chrono::minutes(5);
  int batch = 100;                           // rows per sink per round
  std::chrono::milliseconds idleWait{1000};  // longest sleep when nothing is due
  int sinkFailedAfter = 3;                   // consecutive failures before "sink down"
  std::function<store::TimeMs()> clock;      // default: the system clock
};

struct SinkStatus {
  std::string name;
  int64_t delivered = 0;
  int64_t retries = 0;
  int64_t rejected = 0;
  int consecutiveFailures = 0;
  bool down = false;
  std::string lastError;
  store::TimeMs blockedUntil{};  // no delivery before this (a retry's backoff); epoch: none
};

class Dispatcher {
 public:
  using SinkStateHook = std::function<void(const std::string& sink, bool down, const std::string& error)>;

  Dispatcher(store::Store& store, std::vector<std::unique_ptr<Sink>> sinks, DispatcherOptions options);
  ~Dispatcher();  // stops the thread
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Called at the start of each round (AlertService flushes folded counts so
  // a delivery carries the latest count), and on sink down/up.
  void setHooks(std::function<void()> beforeRound, SinkStateHook onSinkState);

  void start();
  void stop();
  void wake();
  // One pass over every sink; returns how many deliveries were acknowledged.
  int runOnce();

  std::vector<SinkStatus> status() const;
  // Asks every sink to reopen its file/connection before the next round.
  void reopenSinks();
  store::TimeMs now() const;

 private:
  struct SinkState {
    std::unique_ptr<Sink> sink;
    SinkStatus status;
  };
  int deliverSink(SinkState& s, store::TimeMs roundStart);
  std::chrono::milliseconds waitFor(store::TimeMs from);
  void loop();

  store::Store& store_;
  DispatcherOptions options_;
  std::vector<SinkState> sinks_;
  std::function<void()> beforeRound_;
  SinkStateHook onSinkState_;

  mutable std::mutex mu_;  // guards status fields read by status(), and wake state
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::atomic<bool> reopenRequested_{false};
  std::thread thread_;
};

}  // namespace portvakt::alerts
