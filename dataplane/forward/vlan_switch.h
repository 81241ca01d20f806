#pragma once
// VlanSwitch: the VLAN-aware userspace learning switch that owns the
// appliance's ports. The host kernel has no bridge and no 802.1Q
// sub-interfaces, so tags are pushed and popped here, in the frame bytes.
//
// How a frame goes through it (process()):
//  1. Shape: at least an Ethernet header, not snapped, a unicast non-zero
//     source MAC. Up to two tags are looked at (802.1Q 0x8100, 802.1ad
//     0x88a8, pre-standard 0x9100/0x9200).
//  2. Ingress tagging, by port role:
//     - access, uplink: untagged. A priority tag (VID 0) is accepted and
//       removed; one tag with another VID is `tagged_on_untagged_port`; two or
//       more tags are `vlan_hopping` (the double-tag attack: a switch that
//       pops one tag would deliver the inner one into another VLAN).
//     - trunk: one 802.1Q tag whose VID is a zone the port carries, or
//       untagged/priority-tagged for the native zone when one is configured.
//     - monitor: decided (so the pipeline logs verdicts) but never forwarded.
//  3. Admission: the plugged-in ForwardDecider says which zone the frame is
//     in and whether it may pass (the device profiler and policy classifier
//     live behind it). The ingress port must carry that zone; this is how
//     two devices on one access port (a phone and the PC behind it) are in
//     two zones: the zone belongs to the source MAC, not to the port.
//  3a. MAC limit (port security), before admission: an access port counts
//     every source MAC it sees, whatever zone the decider will put it in
//     (quarantined devices included: they are never learned, so counting
//     learned entries let a random-MAC flood through uncounted). A MAC new on
//     a port that already counts maxMacs is dropped as `mac_limit` before the
//     decider (and the device profiler behind it) ever sees it, unless the
//     decider vouches for it (a classified, pinned or inventoried device).
//     Counted MACs age out after macLimitAgeingNs idle, so the limit is not a
//     permanent lock-out.
//  4. Learning: (zone, source MAC) -> port, with ageing. A MAC that
//     changes zone on the same port drops its entry in the old zone at once.
//  5. Forwarding within the zone only: a known unicast destination goes to
//     its port; broadcast, multicast and unknown unicast flood to the ports
//     that carry the zone (except the ingress port, ports that are down, and
//     monitor ports). Access ports that may carry several zones are members
//     of a zone only while a device of that zone is learned on them (the
//     802.1X/MAB "dynamic VLAN" rule): a region broadcast does not reach the
//     phone-only port. Egress encapsulation: access and uplink untagged, trunk
//     802.1Q with the zone's VID (untagged for its native zone); the ingress
//     PCP and DEI are kept when a tag is rewritten.
//
// Every drop has one DropReason, counted; ForwardResult says what happened.
// Monitor mode (per port, from the policy): the decider's denials and the MAC
// limit are counted as `wouldDrop` and the frame is forwarded anyway; shape
// and tag drops are still enforced, since there is no meaningful way to
// forward a double-tagged frame.
//
// Cost: no allocation or exception per frame; rewrite buffers are allocated
// once. Egress frames are passed to FrameSink::send() with Frame::port set to
// the egress port index; the bytes are valid only during the call (a sink
// that keeps them copies, as io::MemorySink and io::PacketSocketSink do).
// One thread per switch; the decider and events are called on that thread.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dataplane/expected.h"
#include "dataplane/forward/drop_reason.h"
#include "dataplane/forward/mac_table.h"
#include "dataplane/io/frame_io.h"
#include "dataplane/packet/frame.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::forward {

using tables::kNoZone;
using tables::Mode;
using tables::PortRole;

struct SwitchPortConfig {
  std::string name;  // interface name, for messages and dumps
  PortRole role = PortRole::kAccess;
  std::vector<ZoneId> zones;     // zones the port may carry
  ZoneId defaultZone = kNoZone;  // access: unknown devices; uplink: its zone; trunk: native (untagged) zone
  uint16_t maxMacs = 0;          // access ports: distinct source MACs allowed, any zone (0 = no limit)
  Mode mode = Mode::kEnforce;
};

struct SwitchConfig {
  std::vector<uint16_t> zoneVlans;  // index = ZoneId; the zone's 802.1Q VID (1..4094)
  // index = ZoneId; which frames of the zone go first under overload (empty:
  // none). From the policy only: see VlanSwitch::priorityOf.
  std::vector<tables::ZonePriority> zonePriorities;
  std::vector<SwitchPortConfig> ports;  // index = PortIndex = io::Frame::port
  size_t maxMacEntries = 16384;
  int64_t ageingNs = 300'000'000'000;  // 300 s, the 802.1D default
  // A source MAC counted against its port's maxMacs is released after this
  // long without a frame (then a new MAC may take its place).
  int64_t macLimitAgeingNs = 300'000'000'000;
  size_t maxFrameBytes = 65535;  // largest frame rewritten (tag push/pop)
};

struct SwitchConfigOptions {
  uint16_t maxMacsPerAccessPort = 8;  // why 8: a phone, a PC behind it, and room for docks/VMs
  size_t maxMacEntries = 16384;
  int64_t ageingNs = 300'000'000'000;
  int64_t macLimitAgeingNs = 300'000'000'000;
};
// Ports in the policy's order (port index = position in policy.ports).
SwitchConfig switchConfigFromPolicy(const tables::CompiledPolicy& policy, const SwitchConfigOptions& options = {});
// Ok when the config is usable, else an Error whose message names the port or
// zone and whose index is the port's (-1 when the error is not about one port).
dataplane::Status validate(const SwitchConfig& config);

// What the decider sees of one frame, after the switch's own checks.
struct IngressFrame {
  const io::Frame* frame = nullptr;  // the frame as received (tags included)
  PortIndex port = kNoPort;
  PortRole role = PortRole::kAccess;
  // The zone the port or tag implies: the trunk tag's zone or native zone,
  // the uplink's zone, the access port's default zone (where unknown
  // devices land). The decider may answer another zone for access ports.
  ZoneId portZone = kNoZone;
  MacAddress src;
  MacAddress dst;
  uint16_t etherType = 0;            // after the tags
  std::span<const uint8_t> payload;  // after the Ethernet header and tags
  int64_t nowNs = 0;
  // The Ethernet header as the switch read it, so that the decider parses on
  // from the payload instead of reading it again (headerLen 0: not read).
  packet::EthernetView eth;
};

struct ForwardDecision {
  ZoneId zone = kNoZone;
  bool allow = false;
  DropReason reason = DropReason::kPolicyDenied;  // when !allow
  // A denial that monitor-mode ports must enforce too: the policy's
  // invariants hold in every mode (docs/policy.md, "Composition").
  bool enforceAlways = false;
};

// The admission/classification hook. Called once per frame that passed the
// switch's shape and tag checks; must not block or allocate.
class ForwardDecider {
 public:
  virtual ~ForwardDecider() = default;
  virtual ForwardDecision decide(const IngressFrame& in) = 0;
  // Asked only when a MAC new to an access port finds the port at its MAC
  // limit: true lets this device through anyway (it is classified, pinned or
  // inventoried: the limit is for strangers). Must be cheap (a lookup, no
  // allocation): during a MAC flood it is asked for every frame.
  virtual bool exemptFromMacLimit(const MacAddress& /*src*/, PortIndex /*port*/) { return false; }
};

// Learning and drop events for alerts and the device inventory. Called on
// the switch's thread; keep them cheap (queue, don't do I/O).
class SwitchEvents {
 public:
  virtual ~SwitchEvents() = default;
  virtual void onLearned(ZoneId /*zone*/, const MacAddress& /*mac*/, PortIndex /*port*/) {}
  virtual void onMoved(ZoneId /*zone*/, const MacAddress& /*mac*/, PortIndex /*from*/, PortIndex /*to*/) {}
  virtual void onForgotten(ZoneId /*zone*/, const MacAddress& /*mac*/, PortIndex /*port*/) {
  }  // aged, flushed, zone change
  // `enforced` false: monitor mode, the frame was forwarded anyway.
  virtual void onDrop(DropReason /*reason*/, PortIndex /*port*/, const MacAddress& /*src*/, bool /*enforced*/) {}
};

struct ForwardResult {
  DropReason drop = DropReason::kNone;       // kNone: forwarded to egressPorts ports
  DropReason wouldDrop = DropReason::kNone;  // monitor mode: what enforce mode would have done
  ZoneId zone = kNoZone;
  uint16_t egressPorts = 0;
  bool flooded = false;
  bool forwarded() const { return drop == DropReason::kNone; }
};

struct PortCounters {
  uint64_t rxFrames = 0;
  uint64_t rxDropped = 0;
  uint64_t rxOverload = 0;  // of rxDropped: dropped unread, the switch was behind (DropReason::kOverload)
  uint64_t txBusy = 0;      // queued for this port, dropped because it stayed busy (DropReason::kEgressBusy)
  uint64_t txFrames = 0;
  uint64_t txErrors = 0;  // the sink refused the frame
  uint64_t rxBytes = 0;   // wire length of every frame received
  uint64_t txBytes = 0;   // as sent (a pushed or popped tag counts)
  uint32_t learnedMacs = 0;
  uint32_t sourceMacs = 0;  // distinct source MACs counted against the port's maxMacs (any zone)
};

struct SwitchCounters {
  uint64_t frames = 0;
  uint64_t unicast = 0;  // forwarded to one learned port
  uint64_t flooded = 0;  // broadcast/multicast/unknown unicast
  uint64_t learned = 0;
  uint64_t moved = 0;
  uint64_t forgotten = 0;
  uint64_t tableFull = 0;         // could not learn: table at maxMacEntries
  uint64_t macLimitExempt = 0;    // new MACs over a port's limit the decider vouched for
  uint64_t portsUpByTraffic = 0;  // down ports brought up by a frame received after the link went down
};

class VlanSwitch {
 public:
  // The config must pass validate(); `decider` must outlive the switch.
  VlanSwitch(SwitchConfig config, ForwardDecider& decider);

  // Where frames for a port are sent (may be shared by ports; null: none).
  void attach(PortIndex port, io::FrameSink* sink);
  void setEvents(SwitchEvents* events) { events_ = events; }

  // One frame in, its egress frames out (to the attached sinks).
  ForwardResult process(const io::Frame& frame);

  // A port going down forgets every MAC learned on it and takes no part in
  // flooding until it comes up again; frames received on it are dropped.
  // `downAtNs` (the frames' clock, CLOCK_REALTIME ns): when the link was seen
  // going down. A frame the kernel received later shows that the link carries
  // frames again, and brings the port up: the kernel announces a carrier
  // coming up after the first frames may already have arrived (its linkwatch
  // runs deferred), and the daemon reads link news between bursts, so a
  // client's first DHCPDISCOVER after plugging in must not be lost as
  // port_down. Frames from before the link went down stay dropped. Without a
  // time (a port whose socket failed, an interface that is missing) the port
  // stays down until setPortUp(port, true).
  static constexpr int64_t kDownUntilTold = INT64_MAX;
  void setPortUp(PortIndex port, bool up, int64_t downAtNs = kDownUntilTold);
  bool portUp(PortIndex port) const { return ports_[port].up; }

  // Under load (forward_loop.h). True when the frame goes ahead of the rest:
  // the zone it belongs to has `priority: voice` in the policy, or `priority:
  // dscp` and the frame's IP header is marked DSCP EF (46) or CS3 (24). The
  // zone is the port's (uplink, trunk tag) or, on an access port, the one the
  // decider last placed the source MAC in on that port (none yet: not
  // priority). A device cannot make itself priority: its DSCP marking counts
  // only inside a zone the policy marks `dscp`. A hash probe and a few reads
  // of the frame, bounded by its captured length; no allocation.
  bool priorityOf(const io::Frame& frame) const;
  bool anyPriority() const { return anyPriority_; }  // the policy has a zone with `priority`
  // A frame the forwarding loop dropped before process() (kOverload), or
  // `frames` queued for `port` that its sink then dropped (kEgressBusy).
  void countOverload(PortIndex port);
  void countEgressBusy(PortIndex port, uint64_t frames);

  // Removes aged entries now (process() also does this about once a second).
  size_t age(int64_t nowNs);
  // Forgets one device in one zone (admission moved it, inventory changed).
  bool forget(ZoneId zone, const MacAddress& mac);
  PortIndex lookup(ZoneId zone, const MacAddress& mac, int64_t nowNs) const { return table_.lookup(zone, mac, nowNs); }

  const SwitchConfig& config() const { return config_; }
  const DropCounters& drops() const { return drops_; }
  const DropCounters& wouldDrops() const { return wouldDrops_; }
  const SwitchCounters& counters() const { return counters_; }
  const PortCounters& portCounters(PortIndex port) const { return ports_[port].counters; }
  const MacTable& table() const { return table_; }
  size_t portCount() const { return ports_.size(); }

 private:
  struct PortState {
    io::FrameSink* sink = nullptr;
    bool up = true;
    int64_t downAtNs = 0;            // when !up: frames received after it bring the port up
    bool dynamicMembership = false;  // access port that may carry several zones
    PortCounters counters;
  };
  struct Parsed;

  ForwardResult drop(DropReason reason, PortIndex port, const MacAddress& src, ForwardResult& result);
  bool portCarries(PortIndex port, ZoneId zone) const {
    return zone < zoneCount_ && carries_[size_t{port} * zoneCount_ + zone];
  }
  // MAC limit: counts p.src against its access port; false: over the limit.
  // Each splits what nearly every frame needs (a MAC known already: one
  // probe, small enough to inline into process()) from the rest.
  bool admitSourceMac(const Parsed& p, int64_t nowNs);
  bool admitNewSourceMac(const Parsed& p, int64_t nowNs);
  void learnSource(const Parsed& p, ZoneId zone, int64_t nowNs);
  void learnNewSource(const Parsed& p, ZoneId zone, int64_t nowNs);
  void forgetEntry(ZoneId zone, const MacAddress& mac, PortIndex port);
  void accountForgotten(ZoneId zone, const MacAddress& mac, PortIndex port);
  bool emit(PortIndex egress, ZoneId zone, const Parsed& p);
  // Inline: checked for every frame, true about once a second.
  void maybeSweep(int64_t nowNs) {
    if (nowNs - lastSweepNs_ >= kSweepIntervalNs) age(nowNs);
  }
  // Why 1 s: ageing is in minutes; a sweep (O(table capacity)) once a second
  // costs microseconds and keeps the per-port MAC counts close to the truth.
  static constexpr int64_t kSweepIntervalNs = 1'000'000'000;
  void notePriority(PortIndex port, const MacAddress& src, ZoneId zone);
  bool frameMarked(std::span<const uint8_t> bytes) const;

  SwitchConfig config_;
  ForwardDecider& decider_;
  SwitchEvents* events_ = nullptr;
  MacTable table_;
  // (port, MAC) -> port for the MAC limit: every source MAC an access port
  // with a limit has seen lately, in any zone. At most the sum of the ports'
  // limits (checked before insertion), so it never fills.
  MacTable portMacs_;
  size_t zoneCount_ = 0;
  std::vector<PortState> ports_;
  std::vector<uint8_t> carries_;                    // [port * zoneCount + zone]
  std::vector<uint32_t> members_;                   // learned entries per [port * zoneCount + zone]
  std::vector<std::vector<PortIndex>> floodPorts_;  // per zone: ports that carry it, not monitor
  std::array<ZoneId, 4096> vidToZone_{};
  std::vector<uint8_t> untaggedBuf_;
  std::vector<uint8_t> taggedBuf_;
  size_t untaggedLen_ = 0, taggedLen_ = 0;
  uint16_t taggedVid_ = 0;
  bool untaggedBuilt_ = false, taggedBuilt_ = false;
  // (access port, source MAC) -> the priority of the zone the decider last
  // put it in, for priorityOf() before the decider runs. Direct-mapped and
  // fixed in size: a colliding device just loses its priority until its next
  // frame is decided; only priority devices (and their demotion) are written.
  struct PriorityEntry {
    uint64_t key = ~uint64_t{0};  // port << 48 | MAC
    tables::ZonePriority priority = tables::ZonePriority::kNone;
  };
  static constexpr size_t kPriorityEntries = 4096;
  std::vector<PriorityEntry> priorityCache_;
  bool anyPriority_ = false;
  DropCounters drops_;
  DropCounters wouldDrops_;
  SwitchCounters counters_;
  int64_t lastNowNs_ = 0;
  int64_t lastSweepNs_ = 0;
};

// A decider for tests, benchmarks and bring-up: a fixed MAC -> zone map, all
// frames of a known MAC allowed; unknown MACs get `unknownZone` (allowed when
// allowUnknown, else kQuarantine). On trunk and uplink ports the port's zone
// is taken as is. Allocates only in assign().
class StaticMacDecider final : public ForwardDecider {
 public:
  void assign(const MacAddress& mac, ZoneId zone);
  void setUnknown(ZoneId zone, bool allow) {
    unknownZone_ = zone;
    allowUnknown_ = allow;
  }
  ForwardDecision decide(const IngressFrame& in) override;

 private:
  std::vector<std::pair<uint64_t, ZoneId>> macs_;  // sorted by packed MAC
  ZoneId unknownZone_ = kNoZone;
  bool allowUnknown_ = false;
};

}  // namespace portvakt::forward
