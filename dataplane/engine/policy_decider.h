#pragma once
// The policy side of the dataplane: the ForwardDecider the VLAN switch calls
// for every frame. It parses the frame (packet::Decoder), lets the device
// profiler learn from it and place the source device in a zone, applies the
// frame-level security checks of DESIGN.md R6 (rogue DHCP and DHCPv6, RA
// guard, ARP and ND spoofing, spoofed MACs), and asks the compiled flow classifier whether an IP frame may
// leave its zone. The switch then does what the decision says within the zone.
//
// What is checked where:
//   switch (dataplane/forward): frame shape, VLAN tags (hopping), MAC limits,
//     port state, flooding within the zone, port-level monitor mode;
//   this decider: the device's zone, R6 frame checks, flow rules (with their
//     own monitor mode), quarantine, isolation; deny by default for every
//     frame shape (docs/forwarding.md, "What a wall jack may send"): IP in
//     broadcast/multicast frames goes through the flow rules unless it is one
//     of the zone's link-local services (unicast ND with hop limit 255 is
//     `nd` too), non-IP needs the zone's
//     `ethertypes`, and a broken IP header is dropped as malformed_ip.
// Frames from uplinks and trunks are not filtered here: the flow rules say
// what a zone may reach, and replies come back on the zone's own VLAN. Only
// malformed IP and link control are dropped on every port.
//
// Threads: one decider per switch thread. No exceptions; no allocation per
// frame except when an explanation is requested (trace) or an event is queued.

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/classify/policy_rules.h"
#include "dataplane/engine/destination_zones.h"
#include "dataplane/engine/event_hold.h"
#include "dataplane/fingerprint/device_profiler.h"
#include "dataplane/forward/vlan_switch.h"
#include "dataplane/packet/frame.h"

namespace portvakt::engine {

// Something the service desk may need to hear about (the control plane turns
// these into alerts).
struct EngineEvent {
  tables::EventType event = tables::EventType::kDeviceNew;
  tables::MacAddress mac;
  uint16_t port = 0;
  int64_t timeNs = 0;
  std::string detail;
};

// Why the decider decided, step by step (for `portvakt trace`).
struct Explanation {
  std::vector<std::string> steps;
  int flowRule = -1;  // index into CompiledPolicy::flows, when a rule decided
  void add(std::string step) { steps.push_back(std::move(step)); }
};

struct DeciderCounters {
  uint64_t frames = 0;
  uint64_t monitorOnly = 0;       // a flow rule in monitor mode would have dropped these
  uint64_t eventsDropped = 0;     // the queue was full
  uint64_t eventsSuppressed = 0;  // repeats within kEventHoldNs
};

class PolicyDecider final : public forward::ForwardDecider {
 public:
  // `policy` must be non-null; building the flow classifier cannot fail for a
  // policy the compiler accepted.
  explicit PolicyDecider(tables::CompiledPolicyPtr policy, fingerprint::ProfilerConfig config = {},
                         std::shared_ptr<const fingerprint::FingerprintDb> fingerprints = nullptr);

  // Swaps in a new policy between frames: a new flow classifier, and every
  // known device re-evaluated against the new classes (evidence is kept).
  void setPolicy(tables::CompiledPolicyPtr policy, int64_t nowNs);
  // Swaps the 802.1X snapshot between frames (see DeviceProfiler::setDot1x).
  void setDot1x(fingerprint::Dot1xSnapshotPtr snapshot, int64_t nowNs);
  const tables::CompiledPolicy& policy() const { return *policy_; }

  forward::ForwardDecision decide(const forward::IngressFrame& in) override {
    Explanation* why = explainNext_;
    explainNext_ = nullptr;
    forward::ForwardDecision d = decide(in, why);
    lastZone_ = d.zone;
    return d;
  }
  forward::ForwardDecision decide(const forward::IngressFrame& in, Explanation* why);
  // Over an access port's MAC limit, a device the policy or the profiler
  // vouches for still gets in: pinned or inventoried by the policy, or
  // classified before (it moved here, or its count aged out). Strangers,
  // including never-classified records of the profiler, do not.
  bool exemptFromMacLimit(const tables::MacAddress& src, forward::PortIndex) override {
    if (const fingerprint::DeviceRecord* r = profiler_.find(src);
        r && (r->committed.classIndex != fingerprint::kNoClass || r->committed.pinned || r->inventoried)) {
      return true;
    }
    return fingerprint::findPin(*policy_, src) != nullptr || fingerprint::findInventory(*policy_, src) != nullptr;
  }
  // The next decide() call (made by the switch) records its steps in `why`.
  void explainNext(Explanation* why) {
    explainNext_ = why;
    lastZone_ = tables::kNoZone;
  }
  void stopExplaining() { explainNext_ = nullptr; }
  // The zone of the last decide() since explainNext(), kNoZone if none was made.
  tables::ZoneId lastZone() const { return lastZone_; }
  // Queues an event from another stage (the switch's VLAN-hopping drops).
  void report(EngineEvent event);

  const fingerprint::DeviceProfiler& profiler() const { return profiler_; }
  // For the control plane's restore-after-restart and `devices forget`, from
  // the decider's own thread between frames.
  fingerprint::DeviceProfiler& profiler() { return profiler_; }
  const packet::Decoder& decoder() const { return decoder_; }
  const packet::ParsedFrame& lastFrame() const { return frame_; }
  const DeciderCounters& counters() const { return counters_; }

  // Oldest first; false when empty. Profiler events are included.
  bool popEvent(EngineEvent& out);

 private:
  forward::ForwardDecision decideAccess(const forward::IngressFrame& in, Explanation* why);
  forward::ForwardDecision nonIpDecision(tables::ZoneId zone, Explanation* why);
  forward::ForwardDecision groupDecision(tables::ZoneId zone, const forward::IngressFrame& in, Explanation* why);
  forward::ForwardDecision flowDecision(tables::ZoneId srcZone, const fingerprint::DeviceRecord* target,
                                        const forward::IngressFrame& in, Explanation* why);
  std::string ruleName(int32_t ruleIndex) const;
  std::optional<forward::ForwardDecision> firstHopGuard(tables::ZoneId zone, const forward::IngressFrame& in,
                                                        Explanation* why);
  // True when `event` from this source MAC was not raised within
  // kEventHoldNs; records it as raised now. Call before building the detail.
  bool admitEvent(tables::EventType event, const forward::IngressFrame& in);
  // Reports `event` unless it is held; `detail()` builds its text only then,
  // so a flood of held repeats allocates nothing.
  template <typename Detail>
  void raise(tables::EventType event, const forward::IngressFrame& in, Detail&& detail) {
    if (admitEvent(event, in)) report({event, in.src, in.port, in.nowNs, detail()});
  }
  bool claimsGateway(const packet::IpAddress& address) const;  // a zone gateway of the policy
  void drainProfilerEvents();

  tables::CompiledPolicyPtr policy_;
  classify::PolicyClassifierPtr flows_;
  DestinationZones destinationZones_;  // the policy's zone prefixes, rebuilt with it
  fingerprint::DeviceProfiler profiler_;
  packet::Decoder decoder_;
  packet::ParsedFrame frame_;
  std::deque<EngineEvent> events_;
  DeciderCounters counters_;
  tables::ZoneId regionZone_ = tables::kNoZone;  // the zone an `only` invariant protects, if any
  Explanation* explainNext_ = nullptr;
  tables::ZoneId lastZone_ = tables::kNoZone;
  // Storm control at the source: one event per (event, MAC) per kEventHoldNs
  // (event_hold.h); the alert feed deduplicates further.
  EventHold recent_{256};
};

// How long an inventoried MAC may talk on an 802.1X port before EAP succeeds
// without an alert (a Windows supplicant is done in well under a second).
inline constexpr int64_t kDot1xGraceNs = 5'000'000'000;  // 5 s

inline constexpr size_t kMaxQueuedEvents = 4096;
inline constexpr size_t kMaxQueuedDeviceEvents = kMaxQueuedEvents / 2;  // the profiler's share

}  // namespace portvakt::engine
