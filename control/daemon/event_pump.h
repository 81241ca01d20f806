#pragma once
// The event pump: the thread that takes the dataplane's events (device seen,
// R6 violations, invariants, link changes) to the alert feed.
//
// It runs apart from the control loop so that nothing the control thread does
// (an API request, a long policy compile) delays an alert: an event reaches
// AlertFeed::raise() within kEventTick of the dataplane queueing it. raise()
// itself waits only for the store (one SQLite transaction of whichever thread
// holds it, e.g. the device flush) and for the feed's mutex, which is never
// held across a delivery or a request.
//
// Threads: start() and stop() from the control thread; the pump's own thread
// reads the running policy (an atomic pointer), the dataplane's event queue
// (DataplaneRunner::takeEvents locks it) and the 802.1X sessions (for the
// evidence of spoof and 802.1X events).

#include <atomic>
#include <chrono>
#include <thread>

namespace portvakt::control {

class AlertFeed;
class DataplaneRunner;
class Dot1xAdmission;
class PolicyManager;

// How often the pump takes the dataplane's events: the longest an event waits
// before raise() (delivery then follows the feed's group wait,
// AlertServiceOptions::groupWait).
inline constexpr std::chrono::milliseconds kEventTick{50};

class EventPump {
 public:
  EventPump(DataplaneRunner& dataplane, const PolicyManager& policies, AlertFeed& feed, const Dot1xAdmission& dot1x)
      : dataplane_(dataplane), policies_(policies), feed_(feed), dot1x_(dot1x) {}
  ~EventPump() { stop(); }
  EventPump(const EventPump&) = delete;
  EventPump& operator=(const EventPump&) = delete;

  void start();
  // Takes one more round after the stop is asked for, so nothing the
  // dataplane queued before it stopped is lost, then joins. Stop the
  // dataplane's sources first (the 802.1X supervisor) and the feed after.
  void stop();

 private:
  void pumpOnce();

  DataplaneRunner& dataplane_;
  const PolicyManager& policies_;
  AlertFeed& feed_;
  const Dot1xAdmission& dot1x_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace portvakt::control
