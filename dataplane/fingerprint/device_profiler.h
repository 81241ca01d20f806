#pragma once
// DeviceProfiler: per-MAC evidence and placement for the frames of access
// ports, with hysteresis, pins, spoof suspicion and events for the control
// plane.
//
// How it works. observe() takes one parsed frame. Its source MAC finds (or
// creates) a DeviceRecord in a fixed-size table: an open-addressing index over
// records preallocated at construction, linked in least-recently-seen order.
// The frame's traits are folded into the record's evidence (copying only what
// changed, evidence.h), and only when something changed, or the device
// appeared on another port, is classifyDevice() run again. A frame that
// changes nothing costs a hash probe, a few compares and timestamp writes: no
// allocation, no exception, no classification.
//
// Placement. The decision in force (`committed`) follows the latest decision
// (`latest`) under these rules, in order:
//  - a pin takes effect at once, in both directions (PacketFence #7384:
//    pinned conference phones were pushed back to voice by the profiler);
//  - a device that has no class yet takes its first class at once (an eKlient
//    must get its region VLAN before its DHCP exchange ends);
//  - any other change of class or zone must hold for `holdDecisions`
//    consecutive evidence-bearing frames, or for `holdNs`, before it moves the
//    device (PacketFence #5596: a device flapping between Windows and Xbox);
//    a frame whose evidence points elsewhere restarts the count;
//  - a policy swap (setPolicy) re-decides every device and commits at once:
//    the engineer's change is not flapping.
// The zone used for forwarding (`zone`) is the committed zone, except that an
// unpinned spoof suspect (and a flapping MAC, pinned or not) goes to the quarantine zone (if configured) and a
// zone the port may not carry falls back to the port's default zone.
//
// Spoof suspicion (R6). A device is a suspect, with reasons, when
//  - its MAC is inventoried and its evidence would make it a non-inventory
//    class (an IP phone using an eKlient's MAC), or
//  - its MAC is inventoried and an observed trait contradicts the inventory
//    class's matcher (option-55 list, vendor class, ...), or its DHCP host name
//    is not the inventory's host name, or
//  - its MAC is inventoried and the fingerprint database knows its option-55
//    list as something outside `inventoryCategories` (Linux, a phone), or
//  - the MAC flaps between ports (below).
// Evidence-based reasons are re-evaluated with the evidence.
//
// Mobility (R6, the policy's `mac_mobility`). A frame on another access port
// than the record's is a move, kept in a small ring per record (the last
// tables::kMaxMobilityMoves: ports and times, for `portvakt trace`). One move
// is a replugged laptop: a `device_moved` event, placement unchanged. The MAC
// is flapping, a spoof suspect with reason `flapping`, when
//  - `moves` moves fall within `window` (a forger answering every few
//    seconds on another jack than the real PC), or
//  - it was active on the other port less than `twoPortWindowNs` before the
//    move (reason `two-ports` as well: no replug is that fast).
// A flapping MAC is quarantined on every port, whichever device sends it
// (the real PC too: one record per MAC, and the profiler cannot tell which
// sender is genuine), announced once (`mac_flapping`, with the moves' ports
// and times), and held until `hold` has passed since its last move (moves
// while held extend the hold and raise nothing), or until forget(). While
// held, no `device_moved` events are raised. The move path does not
// allocate: the ring and the detail texts are fixed-size.
//
// Bounds. At most maxDevices records, preallocated. Records that nothing
// vouches for yet (never classified, pinned or inventoried: strangers, a MAC
// flood) are also on a second LRU list, the probation list. A new MAC in a
// full table evicts the least recently seen record on probation, and only
// when there is none the least recently seen record of all (counted as
// evictionsOfKnown: the table is too small for the site), so a MAC flood
// recycles its own records rather than the clinic's devices however many of
// those sit idle at the old end. Records on probation are also forgotten
// after unclassifiedIdleNs without a frame (observe() forgets a few per call,
// expireUnclassified() the rest), so a flood's records do not linger for the
// persister and the device list. A record leaves probation for good the first
// time it is vouched for. Events go to a ring of eventCapacity; when it is
// full new events are dropped and counted.
//
// Thread-safety: one profiler per dataplane thread; observe, setPolicy and
// the readers are called from that thread only. Pointers to records stay
// valid until the next observe(), setPolicy(), expireIdle() or
// expireUnclassified().

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/fingerprint/device_classifier.h"
#include "dataplane/fingerprint/evidence.h"
#include "dataplane/fingerprint/fingerprint_db.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::packet {
struct ParsedFrame;
}

namespace portvakt::fingerprint {

inline constexpr int64_t kNsPerSecond = 1'000'000'000;

struct ProfilerConfig {
  size_t maxDevices = 4096;
  size_t eventCapacity = 1024;
  uint32_t holdDecisions = 3;              // consecutive evidence-bearing frames a change must hold
  int64_t holdNs = 30 * kNsPerSecond;      // ... or this long; 0 disables the time rule
  int64_t twoPortWindowNs = kNsPerSecond;  // active on another port this recently: two devices
  bool quarantineSpoofSuspects = true;     // an unpinned suspect lands in the quarantine zone
  // Fingerprint-database categories an inventoried device may show; an
  // option-55 list known only as something else is a spoof reason.
  std::vector<std::string> inventoryCategories{"Windows"};
  // A record that was never classified, pinned or inventoried is forgotten
  // after this long without a frame (0: never). Why 15 min: an unknown
  // laptop that is quiet for a few minutes keeps its evidence and is not
  // announced as device_new again (with 120 s, a DHCP client of the shared
  // captures lost its fingerprint between renewals); flood pressure does not
  // wait for it, the probation list is evicted first when the table is full.
  int64_t unclassifiedIdleNs = 15 * 60 * kNsPerSecond;
  EvidenceOptions evidence;
};

// The control plane's view of 802.1X (control/dot1x), handed to the dataplane
// thread as an immutable snapshot: which MACs hold an authorised session on
// which port, as whom, and which ports' RADIUS servers do not answer.
struct Dot1xAuthorisation {
  MacAddress mac;
  uint16_t port = 0;  // index into the policy's ports
  std::string identity;
};
struct Dot1xSnapshot {
  std::vector<Dot1xAuthorisation> sessions;  // sorted by (mac, port)
  bool radiusUnreachable = false;            // unauthorised devices on 802.1X ports go to the policy's fallback zone
  const Dot1xAuthorisation* find(const MacAddress& mac, uint16_t port) const;
};
using Dot1xSnapshotPtr = std::shared_ptr<const Dot1xSnapshot>;

enum class DeviceEventKind : uint8_t {
  kNewDevice,      // "device_new"
  kClassChanged,   // "device_class_changed"
  kSpoofSuspect,   // "mac_spoof_suspect"
  kRandomizedMac,  // "randomized_mac"
  kMoved,          // "device_moved"
  kFlapping,       // "mac_flapping"
  kUnknown,        // "device_unknown": still without a class or pin kUnknownAfterNs after it was first seen
};
// Why 30 s: a phone announces LLDP-MED within seconds and a PC sends DHCP at
// once; a device the policy cannot place after that is one the service desk
// may be asked about (docs/alerts.md, device_unknown).
inline constexpr int64_t kUnknownAfterNs = int64_t{30} * 1'000'000'000;
// The alert event names of docs/policy.md.
tables::EventType eventType(DeviceEventKind k);  // the alert event it is

// Spoof reasons, a bit set.
enum SpoofReason : uint32_t {
  kSpoofClassNotInventory = 1u << 0,    // evidence makes an inventoried MAC a non-inventory class
  kSpoofContradictsClass = 1u << 1,     // an observed trait fails the inventory class's matcher
  kSpoofHostnameMismatch = 1u << 2,     // DHCP host name is not the inventory's
  kSpoofFingerprintCategory = 1u << 3,  // option-55 list known as another kind of device
  kSpoofTwoPorts = 1u << 4,             // the MAC is active on two ports at once
  kSpoofFlapping = 1u << 5,             // the MAC moves back and forth between ports (held for mac_mobility.hold)
};
inline constexpr uint32_t kMobilityReasons = kSpoofTwoPorts | kSpoofFlapping;
std::string spoofReasonsToString(uint32_t reasons);  // "two-ports,fingerprint-category"

// For `portvakt trace`: each trait the device showed and what became of it
// ("dhcp.vendor_class present, but no class matches it (checked by class
// eklient)", "... counted for class ip-phone"). Allocates; not for the frame path.
std::vector<std::string> explainTraits(const tables::CompiledPolicy& policy, const DeviceEvidence& evidence);

using ClassName = TraitText<64>;  // class names are at most 63 characters (docs/policy.md)

struct DeviceEvent {
  DeviceEventKind kind = DeviceEventKind::kNewDevice;
  MacAddress mac;
  uint16_t port = 0;
  uint16_t previousPort = 0;  // kMoved, kFlapping
  int64_t timeNs = 0;
  ClassName fromClass, toClass;  // kClassChanged (empty: no class); kNewDevice: toClass
  tables::ZoneId fromZone = tables::kNoZone, toZone = tables::kNoZone;
  uint32_t spoofReasons = 0;
  TraitText<240> detail;  // human-readable why
};

// One change of access port of a MAC.
struct PortMove {
  uint16_t from = 0, to = 0;  // port indexes of the policy
  int64_t timeNs = 0;
};

struct DeviceRecord {
  DeviceEvidence evidence;
  ClassDecision latest;                   // what the evidence says now
  ClassDecision committed;                // the decision in force (after hysteresis)
  tables::ZoneId zone = tables::kNoZone;  // the zone frames of this device get
  bool zoneRefusedOnPort = false;         // committed zone not carried by the port: default zone used
  bool quarantinedAsSuspect = false;
  // Hysteresis: `latest` differs from `committed` since pendingSinceNs, for pendingCount observations.
  bool pending = false;
  int pendingClass = kNoClass;
  tables::ZoneId pendingZone = tables::kNoZone;
  uint32_t pendingCount = 0;
  int64_t pendingSinceNs = 0;
  uint16_t port = 0;
  uint16_t previousPort = 0;
  bool hasPreviousPort = false;
  int64_t portLastSeenNs = 0;
  int64_t firstSeenNs = 0;
  int64_t lastSeenNs = 0;
  uint64_t frames = 0;
  bool randomized = false;  // locally administered MAC
  bool inventoried = false;
  bool everVouched = false;       // was classified, pinned or inventoried at some point (off probation)
  bool unknownAnnounced = false;  // device_unknown raised (once per record)
  uint32_t spoofReasons = 0;
  TraitText<240> spoofDetail;
  // Mobility: the last moves (a ring), and the flapping hold.
  std::array<PortMove, tables::kMaxMobilityMoves> moves{};
  uint32_t moveCount = 0;        // moves ever recorded; the ring holds the last kMaxMobilityMoves
  int64_t movesCountFromNs = 0;  // moves before this (a released hold) do not count toward flapping
  bool flapping = false;
  int64_t flappingSinceNs = 0;
  int64_t flappingUntilNs = 0;    // the hold ends here (extended by every move while held)
  TraitText<240> mobilityDetail;  // why it is flapping: the moves with ports and times

  // Visits the recorded moves, oldest first.
  template <class Fn>
  void forEachMove(Fn&& fn) const {
    const uint32_t kept = std::min<uint32_t>(moveCount, tables::kMaxMobilityMoves);
    for (uint32_t i = moveCount - kept; i < moveCount; ++i) fn(moves[i % tables::kMaxMobilityMoves]);
  }

 private:
  friend class DeviceProfiler;
  uint32_t prev_ = 0, next_ = 0;                    // LRU links (record index + 1; 0: none)
  uint32_t probationPrev_ = 0, probationNext_ = 0;  // probation LRU links, while onProbation_
  bool onProbation_ = false;
  bool used_ = false;
};

struct ProfilerStats {
  uint64_t frames = 0;
  uint64_t ignoredFrames = 0;  // no Ethernet source, multicast source, or not an access port
  uint64_t decisions = 0;      // classifyDevice calls
  uint64_t devicesCreated = 0;
  uint64_t evictions = 0;
  uint64_t evictionsOfKnown = 0;     // evicted while classified, pinned or inventoried (the table is too small)
  uint64_t expiredUnclassified = 0;  // never-vouched records forgotten after unclassifiedIdleNs
  uint64_t eventsDropped = 0;
  uint64_t moves = 0;             // changes of access port
  uint64_t flappingDetected = 0;  // MACs that started flapping (each raised one mac_flapping)
};

class DeviceProfiler {
 public:
  // Allocates the table and event ring up front. maxDevices and eventCapacity
  // are raised to at least 1.
  explicit DeviceProfiler(ProfilerConfig config = {}, tables::CompiledPolicyPtr policy = nullptr,
                          std::shared_ptr<const FingerprintDb> fingerprints = nullptr);

  // Folds one frame received on `portIndex` (index into policy->ports) into
  // its source's record and returns it, or nullptr when the frame is ignored
  // (no Ethernet header, a multicast/zero source, a port that is not an
  // access port: devices behind uplinks are not profiled). Never throws;
  // allocates only when something changed (a new event's detail text).
  const DeviceRecord* observe(const packet::ParsedFrame& frame, uint16_t portIndex, int64_t nowNs);

  // Swaps the policy; every device is re-decided with its evidence kept.
  void setPolicy(tables::CompiledPolicyPtr policy, int64_t nowNs);
  void setFingerprintDb(std::shared_ptr<const FingerprintDb> fingerprints);
  // Swaps the 802.1X snapshot; every device whose authorisation changed is
  // re-decided and committed at once (no hysteresis: an EAP success admits
  // now, a logoff or a failed re-authentication removes now).
  void setDot1x(Dot1xSnapshotPtr snapshot, int64_t nowNs);
  const Dot1xSnapshotPtr& dot1x() const { return dot1x_; }
  const tables::CompiledPolicyPtr& policy() const { return policy_; }

  const DeviceRecord* find(const MacAddress& mac) const {
    const uint32_t ref = lookup(mac);
    return ref ? &records_[ref - 1] : nullptr;
  }
  size_t size() const { return size_; }
  size_t capacity() const { return records_.size(); }
  // Visits every record, most recently seen first.
  template <class Fn>
  void forEach(Fn&& fn) const {
    for (uint32_t i = head_; i != 0; i = records_[i - 1].next_) fn(records_[i - 1]);
  }
  // Re-creates a device known before a restart from its stored evidence and
  // places it at once (no hysteresis, no events): an eKlient whose lease
  // outlives a daemon restart must not wait in quarantine for its next DHCP
  // renewal. Returns null, and changes nothing, when the MAC is already known
  // (live traffic is fresher) or the port is not an access port of the policy.
  // Restore oldest first: the LRU order then matches lastSeenNs.
  const DeviceRecord* restore(const DeviceEvidence& evidence, uint16_t portIndex, int64_t firstSeenNs, int64_t lastSeenNs,
                              int64_t nowNs);
  // An engineer's `portvakt devices forget`: the record and its evidence go;
  // the device starts over (quarantine, then classification) on its next frame.
  // This is also how a flapping MAC is forgiven before its hold ends.
  bool forget(const MacAddress& mac);
  // Forgets records not seen for idleNs; returns how many.
  size_t expireIdle(int64_t nowNs, int64_t idleNs);
  // Forgets records on probation (never classified, pinned or inventoried)
  // not seen for config().unclassifiedIdleNs, at most `limit`; returns how many.
  size_t expireUnclassified(int64_t nowNs, size_t limit = SIZE_MAX);
  size_t probationSize() const { return probationSize_; }

  // Events, oldest first.
  bool popEvent(DeviceEvent& out);
  size_t pendingEvents() const { return eventCount_; }
  const ProfilerStats& stats() const { return stats_; }
  const ProfilerConfig& config() const { return config_; }

 private:
  uint32_t lookup(const MacAddress& mac) const;  // record index + 1, or 0
  uint32_t create(const MacAddress& mac, int64_t nowNs);
  void forget(uint32_t ref);
  void unlink(uint32_t ref);
  void linkFront(uint32_t ref);
  void probationUnlink(uint32_t ref);
  void probationLinkFront(uint32_t ref);
  void leaveProbationIfVouched(DeviceRecord& r, uint32_t ref);
  void indexInsert(const MacAddress& mac, uint32_t ref);
  void indexErase(const MacAddress& mac);
  size_t slotOf(const MacAddress& mac) const;
  static bool sameMac(const MacAddress& a, const MacAddress& b);

  tables::ZoneId portDefaultZone(uint16_t port) const;
  void decide(DeviceRecord& r, int64_t nowNs);
  // Recomputes r.spoofReasons/spoofDetail; returns the reasons that are new.
  uint32_t checkSpoof(DeviceRecord& r);
  void announceSpoof(DeviceRecord& r, uint32_t newReasons, int64_t nowNs);
  // Records a move; true when it makes the MAC flapping (announce it).
  bool recordMove(DeviceRecord& r, uint16_t from, uint16_t to, int64_t nowNs, int64_t sinceOtherPortNs);
  void describeFlapping(DeviceRecord& r, int64_t sinceOtherPortNs);
  void commit(DeviceRecord& r, int64_t nowNs, bool announce);
  void placeZone(DeviceRecord& r);
  void emit(DeviceEvent&& event);
  DeviceEvent makeEvent(DeviceEventKind kind, const DeviceRecord& r, int64_t nowNs) const;

  ProfilerConfig config_;
  tables::CompiledPolicyPtr policy_;
  std::shared_ptr<const FingerprintDb> fingerprints_;
  Dot1xSnapshotPtr dot1x_;
  // Copies the snapshot's session for (r's MAC, r.port) into r.evidence; true if that changed it.
  bool applyDot1x(DeviceRecord& r);
  std::vector<DeviceRecord> records_;
  std::vector<uint32_t> index_;   // open addressing, linear probing; record index + 1, 0 empty
  std::vector<uint32_t> free_;    // unused record refs
  uint32_t head_ = 0, tail_ = 0;  // most / least recently seen
  uint32_t probationHead_ = 0, probationTail_ = 0;
  size_t size_ = 0;
  size_t probationSize_ = 0;
  std::vector<DeviceEvent> events_;
  size_t eventHead_ = 0, eventCount_ = 0;
  ProfilerStats stats_;
};

// The index probe runs for every frame of an access port (the source, and the
// destination of a unicast frame), so it is inline, and MACs are compared as
// two loads rather than through memcmp.
inline size_t DeviceProfiler::slotOf(const MacAddress& mac) const {
  uint64_t key = 0;
  std::memcpy(&key, mac.bytes.data(), 6);  // any fixed order will do for a hash: one load, no byte loop
  // Fibonacci hashing: the multiply spreads the vendor prefix and the
  // sequential low bytes of a MAC flood over the whole table.
  const uint64_t h = key * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h >> 32) & (index_.size() - 1);
}

inline bool DeviceProfiler::sameMac(const MacAddress& a, const MacAddress& b) {
  uint32_t a4, b4;
  uint16_t a2, b2;
  std::memcpy(&a4, a.bytes.data(), 4);
  std::memcpy(&b4, b.bytes.data(), 4);
  std::memcpy(&a2, a.bytes.data() + 4, 2);
  std::memcpy(&b2, b.bytes.data() + 4, 2);
  return a4 == b4 && a2 == b2;
}

inline uint32_t DeviceProfiler::lookup(const MacAddress& mac) const {
  const size_t mask = index_.size() - 1;
  for (size_t i = slotOf(mac);; i = (i + 1) & mask) {
    const uint32_t ref = index_[i];
    if (ref == 0) return 0;
    if (sameMac(records_[ref - 1].evidence.mac, mac)) return ref;
  }
}

}  // namespace portvakt::fingerprint
