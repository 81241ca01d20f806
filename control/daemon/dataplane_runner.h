#pragma once
// The daemon's dataplane thread: opens every port the policy names (libpcap
// receive, batched AF_PACKET send), runs the VLAN switch with the policy
// decider in one epoll loop, and picks up a pushed policy between bursts.
//
// Policy swap: the runner polls PolicyManager::current() (an atomic pointer)
// once per loop turn. When only the control settings changed (the same
// contentHash), nothing is done: no device is decided again. When only
// rules, classes or inventory changed, the
// decider takes the new tables between two frames; when the ports or zones
// changed, the ports are reopened and the switch rebuilt (learned MACs are
// relearned from traffic; device evidence is kept by the decider).
//
// Threads: start() returns once the ports are open; the loop runs on its own
// thread. ports() and takeEvents() are safe to call from the control thread.

#include <atomic>
#include <climits>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "control/daemon/policy_manager.h"
#include "control/daemon/wall_time.h"
#include "control/link/link_watcher.h"
#include "control/metrics/metrics.h"
#include "dataplane/engine/policy_decider.h"
#include "dataplane/engine/switch_drop_events.h"
#include "dataplane/forward/forward_loop.h"
#include "dataplane/io/live_port.h"

namespace portvakt::control {

struct PortSnapshot {
  std::string interface;
  bool up = true;
  uint64_t rxFrames = 0, rxDropped = 0, txFrames = 0, txErrors = 0, rxBytes = 0, txBytes = 0;
  uint32_t learnedMacs = 0;
  // Frames the kernel dropped before the switch read them: the port's capture
  // ring was full (pcap_stats ps_drop, since the port was opened).
  uint64_t ringDropped = 0;
  // Its frames, mostly dropped by the policy, are read on a timer instead of
  // on arrival (forward::ForwardLoop, "Moderated ports"): a flood.
  bool moderated = false;
};

// One device as the profiler sees it, copied out for the control thread.
struct DeviceSnapshot {
  fingerprint::DeviceEvidence evidence;  // evidence.mac is the device
  std::string port;                      // interface
  std::string deviceClass;               // committed class, empty: none
  std::string zone;                      // the zone its frames get now
  std::string source;                    // pin | class | default-zone
  std::string explanation;               // ClassDecision::explain of the committed decision
  std::string spoofReasons;              // empty: not a suspect
  double confidence = 0;
  bool pinned = false, inventoried = false, randomized = false, quarantinedAsSuspect = false;
  int64_t firstSeenNs = 0, lastSeenNs = 0;
  uint64_t frames = 0;
};

// A device from the store, to be placed again after a restart.
struct DeviceSeed {
  fingerprint::DeviceEvidence evidence;
  std::string port;
  int64_t firstSeenNs = 0, lastSeenNs = 0;
};

// What the forwarding thread runs (for status and the reload measurement).
struct DataplaneStatus {
  // False when no ports are open: a push changed the ports and neither its
  // ports nor the previous ones could be opened. The runner then tries the
  // running policy again every kPortRetryMs and takes any later push.
  bool forwarding = true;
  std::string policyHash;     // what forwards now; empty while not forwarding
  std::string refusedHash;    // the pushed policy whose ports could not be opened; empty: none
  uint64_t reloads = 0;       // policies taken since start (new tables: devices decided again)
  uint64_t settingsOnly = 0;  // pushes that changed only the control settings: taken without a reload
  uint64_t portReopens = 0;   // of which needed the ports reopened
  int64_t lastReloadUs = -1;  // from PolicyManager's swap to the dataplane running it; -1: none yet
  // Devices from the store that start() could not place again (their port is
  // no longer an access port of the policy): logged, and counted here.
  uint64_t seedsNotRestored = 0;
};

inline constexpr int kDevicePublishMs = 1000;
// While no ports are open, how often the runner tries to open them again.
inline constexpr int kPortRetryMs = 1000;
// Events waiting for the control thread (it takes them every 200 ms); more are
// dropped and counted (portvakt_events_dropped_total{reason="runner_queue_full"}).
// Past it, losses are also raised as an `events_lost` event, in one slot kept
// beyond the bound.
inline constexpr size_t kMaxRunnerEvents = 10000;
// The port of an event that concerns no port (events_lost).
inline constexpr uint16_t kNoPortEvent = 0xffff;

// Events lost on their way to the control plane, since start.
struct EventLoss {
  uint64_t profilerRingFull = 0;  // the profiler's event ring was full
  uint64_t deciderQueueFull = 0;  // the decider's queue was full
  uint64_t runnerQueueFull = 0;   // the runner's queue for the control thread was full
  uint64_t repeatHeld = 0;        // a repeat within the 10 s hold at the source (not an error)
};

// Appends `fresh` to the runner's queue for the control thread (at most
// `bound`), counts what did not fit in loss.runnerQueueFull, and when the
// queue-full losses (loss's profiler, decider and runner counts) grew since
// `announced`, appends one `events_lost` event in a slot kept beyond the bound.
void queueEvents(std::vector<engine::EngineEvent>& queue, std::vector<engine::EngineEvent>& fresh, EventLoss& loss,
                 EventLoss& announced, WallTimeNs now, size_t bound = kMaxRunnerEvents);

class DataplaneRunner {
 public:
  // Whether this host can run `policy`'s ports: every required interface
  // exists (what a push is checked against before the swap). Ok, or why not.
  static Status checkPorts(const tables::CompiledPolicy& policy);
  // Opens the ports of the running policy, or says which interface failed.
  // `seeds` (devices from the store) are placed before the first frame.
  static Result<std::unique_ptr<DataplaneRunner>> start(PolicyManager& policies, Metrics* metrics,
                                                        const std::vector<DeviceSeed>& seeds = {});
  ~DataplaneRunner();

  std::vector<PortSnapshot> ports() const;
  // As of the last publish (at most kDevicePublishMs old), most recently seen first.
  std::vector<DeviceSnapshot> devices() const;
  DataplaneStatus status() const;
  // Queued; the forwarding thread forgets the device before its next burst.
  void forget(const tables::MacAddress& mac);
  // The 802.1X admission snapshot (Dot1xAdmission); the forwarding thread
  // applies it before its next burst, also to a decider built later.
  void setDot1x(fingerprint::Dot1xSnapshotPtr snapshot);
  std::vector<engine::EngineEvent> takeEvents();
  // The forwarding thread's nice value (thread_priority.h); it sets it itself
  // before its next burst and logs what came of it.
  void setForwardingNice(int nice) { wantedNice_ = nice; }
  EventLoss eventLoss() const;
  std::string lastError() const;

 private:
  struct Plane;  // ports, switch, decider and loop for one port configuration
  DataplaneRunner(PolicyManager& policies, Metrics* metrics);
  // `decider` (null: a new one) moves into the plane on success and stays
  // with the caller on failure.
  static Result<std::unique_ptr<Plane>> open(tables::CompiledPolicyPtr policy,
                                             std::unique_ptr<engine::PolicyDecider>& decider);
  void run();
  void applyPolicy(tables::CompiledPolicyPtr policy, WallTimeNs now);
  // Every path ends in one of: forwarding `applied_`, or no plane with the
  // decider parked (devices' evidence kept) and the status saying so.
  void reopen(tables::CompiledPolicyPtr policy);
  // Ok: forwarding what was pushed; else what went wrong, logged once.
  void noteState(const Status& state);
  void publish(bool withDevices);
  void restore(const std::vector<DeviceSeed>& seeds);
  void watchLinks();

  PolicyManager& policies_;
  Metrics* metrics_;
  std::unique_ptr<Plane> plane_;
  std::unique_ptr<engine::PolicyDecider> parked_;  // the decider while plane_ is null
  std::chrono::steady_clock::time_point nextRetry_{};
  tables::CompiledPolicyPtr applied_;
  tables::CompiledPolicyPtr refused_;  // a policy whose ports failed to open: not retried every turn
  std::atomic<bool> stop_{false};
  static constexpr int kNiceUnset = INT_MIN;
  std::atomic<int> wantedNice_{kNiceUnset};
  int appliedNice_ = kNiceUnset;  // the forwarding thread's own
  std::thread thread_;
  mutable std::mutex mutex_;  // guards the members below
  std::vector<PortSnapshot> snapshot_;
  std::vector<DeviceSnapshot> devices_;
  DataplaneStatus status_;
  std::vector<tables::MacAddress> forgetQueue_;
  fingerprint::Dot1xSnapshotPtr dot1x_;
  std::vector<engine::EngineEvent> events_;
  EventLoss loss_;                   // as published
  EventLoss reported_;               // as last added to the metrics (dataplane thread only)
  EventLoss announced_;              // as last reported by an events_lost event
  uint64_t heldBySwitchBefore_ = 0;  // repeats held by switch drop events of planes closed before
  std::string lastError_;
};

}  // namespace portvakt::control
