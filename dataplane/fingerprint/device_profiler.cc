#include "dataplane/fingerprint/device_profiler.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <ctime>
#include <tuple>

#include "dataplane/fingerprint/glob.h"
#include "dataplane/packet/frame.h"

namespace portvakt::fingerprint {
namespace {

using tables::Signal;

bool isZeroMac(const MacAddress& mac) {  // per frame: two loads, no byte loop
  uint32_t head = 0;
  uint16_t tail = 0;
  std::memcpy(&head, mac.bytes.data(), 4);
  std::memcpy(&tail, mac.bytes.data() + 4, 2);
  return (head | tail) == 0;
}

// The configured matchers of a class whose trait the device did show but
// which did not fire: the device says something else than the class expects.
// Inventory and OUI are not traits a device "shows", so they never contradict.
SignalMask contradictedSignals(const tables::DeviceClass& c, SignalMask fired, const DeviceEvidence& e) {
  SignalMask observed = 0;
  if (!c.dhcpVendorClass.empty() && e.has(Trait::kDhcpVendorClass)) observed |= signalBit(Signal::kDhcpVendorClass);
  if (!c.dhcpParameterLists.empty() && e.has(Trait::kDhcpParameterList))
    observed |= signalBit(Signal::kDhcpParameterList);
  if (!c.dhcpHostname.empty() && e.has(Trait::kDhcpHostname)) observed |= signalBit(Signal::kDhcpHostname);
  if (!c.lldpMedCapabilities.empty() && (e.has(Trait::kLldpCapabilities) || e.has(Trait::kLldpMedCapabilities)))
    observed |= signalBit(Signal::kLldpMedCapability);
  if (c.lldpMedVoiceVlan && e.has(Trait::kLldpNetworkPolicy)) observed |= signalBit(Signal::kLldpMedVoiceVlan);
  if (!c.cdpPlatform.empty() && e.has(Trait::kCdpPlatform)) observed |= signalBit(Signal::kCdpPlatform);
  if (!c.sipUserAgent.empty() && e.has(Trait::kSipUserAgent)) observed |= signalBit(Signal::kSipUserAgent);
  if (!c.mdnsServices.empty() && e.has(Trait::kMdnsServices)) observed |= signalBit(Signal::kMdnsService);
  if (!c.dhcpv6VendorClass.empty() && e.has(Trait::kDhcpv6VendorClass)) observed |= signalBit(Signal::kDhcpv6VendorClass);
  if (!c.dhcpv6OptionRequests.empty() && e.has(Trait::kDhcpv6OptionRequest))
    observed |= signalBit(Signal::kDhcpv6OptionRequest);
  return static_cast<SignalMask>(observed & ~fired);
}

std::string_view firstLabel(std::string_view host) {
  const size_t dot = host.find('.');
  return dot == std::string_view::npos ? host : host.substr(0, dot);
}

// Text for spoof and mobility details, built in a fixed buffer: the move
// path and evidence changes run per frame for a hostile device, and must not
// allocate (what does not fit is cut, as TraitText does).
class DetailWriter {
 public:
  DetailWriter& append(std::string_view s) {
    const size_t n = std::min(s.size(), buf_.size() - len_);
    if (n) std::memcpy(buf_.data() + len_, s.data(), n);
    len_ += n;
    return *this;
  }
  DetailWriter& number(int64_t v) {
    char b[24];
    auto [end, ec] = std::to_chars(b, b + sizeof b, v);
    return append(std::string_view(b, ec == std::errc() ? static_cast<size_t>(end - b) : 0));
  }
  // Starts another note of a list ("a; b").
  DetailWriter& note() { return len_ ? append("; ") : *this; }
  DetailWriter& signals(SignalMask mask) {
    bool first = true;
    for (int i = 0; i < tables::kSignalCount; ++i) {
      if (!(mask & (1u << i))) continue;
      if (!first) append(",");
      append(tables::toString(static_cast<tables::Signal>(i)));
      first = false;
    }
    return *this;
  }
  // Wall-clock time of day, UTC, to the millisecond: "13:05:01.200".
  DetailWriter& timeOfDay(int64_t ns) {
    const std::time_t secs = static_cast<std::time_t>(ns / kNsPerSecond);
    std::tm tm{};
    (void)gmtime_r(&secs, &tm);
    char b[16];
    const int n = std::snprintf(b, sizeof b, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                                static_cast<int>((ns % kNsPerSecond) / 1'000'000));
    return append(std::string_view(b, n > 0 ? static_cast<size_t>(n) : 0));
  }
  std::string_view view() const { return std::string_view(buf_.data(), len_); }

 private:
  std::array<char, 240> buf_{};
  size_t len_ = 0;
};

}  // namespace

tables::EventType eventType(DeviceEventKind k) {
  switch (k) {
    case DeviceEventKind::kNewDevice: return tables::EventType::kDeviceNew;
    case DeviceEventKind::kClassChanged: return tables::EventType::kDeviceClassChanged;
    case DeviceEventKind::kSpoofSuspect: return tables::EventType::kMacSpoofSuspect;
    case DeviceEventKind::kRandomizedMac: return tables::EventType::kRandomizedMac;
    case DeviceEventKind::kMoved: return tables::EventType::kDeviceMoved;
    case DeviceEventKind::kFlapping: return tables::EventType::kMacFlapping;
    case DeviceEventKind::kUnknown: return tables::EventType::kDeviceUnknown;
  }
  return tables::EventType::kDeviceNew;
}

std::vector<std::string> explainTraits(const tables::CompiledPolicy& policy, const DeviceEvidence& evidence) {
  // The class matchers each trait feeds (a trait no matcher reads has none).
  static constexpr std::pair<Trait, SignalMask> kFeeds[] = {
      {Trait::kDhcpVendorClass, signalBit(Signal::kDhcpVendorClass)},
      {Trait::kDhcpParameterList, signalBit(Signal::kDhcpParameterList)},
      {Trait::kDhcpHostname, signalBit(Signal::kDhcpHostname)},
      {Trait::kLldpCapabilities, signalBit(Signal::kLldpMedCapability)},
      {Trait::kLldpMedCapabilities, signalBit(Signal::kLldpMedCapability)},
      {Trait::kLldpNetworkPolicy, signalBit(Signal::kLldpMedVoiceVlan) | signalBit(Signal::kLldpMedApplication)},
      {Trait::kCdpPlatform, signalBit(Signal::kCdpPlatform)},
      {Trait::kSipUserAgent, signalBit(Signal::kSipUserAgent)},
      {Trait::kMdnsServices, signalBit(Signal::kMdnsService)},
      {Trait::kSsdpServer, 0},
      {Trait::kDhcpv6VendorClass, signalBit(Signal::kDhcpv6VendorClass)},
      {Trait::kDhcpv6OptionRequest, signalBit(Signal::kDhcpv6OptionRequest)},
  };
  std::vector<std::string> out;
  for (const auto& [trait, feeds] : kFeeds) {
    if (!evidence.has(trait)) continue;
    std::string looking, counted;
    for (const tables::DeviceClass& c : policy.classes) {
      const SignalMask fired = firedSignals(policy, c, evidence);
      SignalMask reads = contradictedSignals(c, 0, evidence) | fired;
      if (!c.lldpMedApplications.empty() && evidence.has(Trait::kLldpNetworkPolicy))
        reads |= signalBit(Signal::kLldpMedApplication);
      if (reads & feeds) looking += (looking.empty() ? "" : ", ") + c.name;
      if (fired & feeds) counted += (counted.empty() ? "" : ", ") + c.name;
    }
    const std::string name = toString(trait);
    if (!counted.empty()) out.push_back(name + " counted for class " + counted);
    else if (!looking.empty())
      out.push_back(name + " present, but no class matches it (checked by class " + looking + ")");
    else out.push_back(name + " present, but no class of the policy looks at it");
  }
  return out;
}

std::string spoofReasonsToString(uint32_t reasons) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {kSpoofClassNotInventory, "class-not-inventory"},
      {kSpoofContradictsClass, "contradicts-class"},
      {kSpoofHostnameMismatch, "hostname-mismatch"},
      {kSpoofFingerprintCategory, "fingerprint-category"},
      {kSpoofTwoPorts, "two-ports"},
      {kSpoofFlapping, "flapping"},
  };
  std::string s;
  for (auto [bit, name] : kNames) {
    if (reasons & bit) {
      if (!s.empty()) s += ',';
      s += name;
    }
  }
  return s;
}

DeviceProfiler::DeviceProfiler(ProfilerConfig config, tables::CompiledPolicyPtr policy,
                               std::shared_ptr<const FingerprintDb> fingerprints)
    : config_(std::move(config)),
      policy_(policy ? std::move(policy) : std::make_shared<const tables::CompiledPolicy>()),
      fingerprints_(std::move(fingerprints)) {
  config_.maxDevices = std::max<size_t>(config_.maxDevices, 1);
  config_.eventCapacity = std::max<size_t>(config_.eventCapacity, 1);
  config_.holdDecisions = std::max<uint32_t>(config_.holdDecisions, 1);
  config_.evidence.wantedMdnsServices = mdnsServicesOf(*policy_);
  config_.evidence.hostnamePolicy = policy_.get();
  config_.evidence.classesMatchHostnames = classesMatchHostnames(*policy_);
  records_.resize(config_.maxDevices);
  // At most half full, so probe runs stay short.
  index_.assign(std::bit_ceil(config_.maxDevices * 2), 0);
  free_.reserve(config_.maxDevices);
  for (size_t i = config_.maxDevices; i > 0; --i) free_.push_back(static_cast<uint32_t>(i));
  events_.resize(config_.eventCapacity);
}

// ---- index and LRU ---------------------------------------------------------

void DeviceProfiler::indexInsert(const MacAddress& mac, uint32_t ref) {
  const size_t mask = index_.size() - 1;
  size_t i = slotOf(mac);
  while (index_[i] != 0) i = (i + 1) & mask;
  index_[i] = ref;
}

void DeviceProfiler::indexErase(const MacAddress& mac) {
  const size_t mask = index_.size() - 1;
  size_t i = slotOf(mac);
  while (index_[i] != 0 && records_[index_[i] - 1].evidence.mac != mac) i = (i + 1) & mask;
  if (index_[i] == 0) return;
  index_[i] = 0;
  // Backward-shift deletion: pull later entries of the probe run into the
  // hole when their home slot is not between the hole and where they sit.
  for (size_t j = (i + 1) & mask; index_[j] != 0; j = (j + 1) & mask) {
    const size_t home = slotOf(records_[index_[j] - 1].evidence.mac);
    const bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
    if (!stays) {
      index_[i] = index_[j];
      index_[j] = 0;
      i = j;
    }
  }
}

void DeviceProfiler::unlink(uint32_t ref) {
  DeviceRecord& r = records_[ref - 1];
  if (r.prev_) records_[r.prev_ - 1].next_ = r.next_;
  else head_ = r.next_;
  if (r.next_) records_[r.next_ - 1].prev_ = r.prev_;
  else tail_ = r.prev_;
  r.prev_ = r.next_ = 0;
}

void DeviceProfiler::linkFront(uint32_t ref) {
  DeviceRecord& r = records_[ref - 1];
  r.prev_ = 0;
  r.next_ = head_;
  if (head_) records_[head_ - 1].prev_ = ref;
  head_ = ref;
  if (!tail_) tail_ = ref;
}

void DeviceProfiler::probationUnlink(uint32_t ref) {
  DeviceRecord& r = records_[ref - 1];
  if (!r.onProbation_) return;
  if (r.probationPrev_) records_[r.probationPrev_ - 1].probationNext_ = r.probationNext_;
  else probationHead_ = r.probationNext_;
  if (r.probationNext_) records_[r.probationNext_ - 1].probationPrev_ = r.probationPrev_;
  else probationTail_ = r.probationPrev_;
  r.probationPrev_ = r.probationNext_ = 0;
  r.onProbation_ = false;
  --probationSize_;
}

void DeviceProfiler::probationLinkFront(uint32_t ref) {
  DeviceRecord& r = records_[ref - 1];
  r.probationPrev_ = 0;
  r.probationNext_ = probationHead_;
  if (probationHead_) records_[probationHead_ - 1].probationPrev_ = ref;
  probationHead_ = ref;
  if (!probationTail_) probationTail_ = ref;
  r.onProbation_ = true;
  ++probationSize_;
}

void DeviceProfiler::leaveProbationIfVouched(DeviceRecord& r, uint32_t ref) {
  if (r.committed.classIndex != kNoClass || r.committed.pinned || r.inventoried) {
    r.everVouched = true;
    probationUnlink(ref);
  }
}

void DeviceProfiler::forget(uint32_t ref) {
  DeviceRecord& r = records_[ref - 1];
  indexErase(r.evidence.mac);
  unlink(ref);
  probationUnlink(ref);
  r.used_ = false;
  free_.push_back(ref);  // capacity reserved up front: no allocation
  --size_;
}

uint32_t DeviceProfiler::create(const MacAddress& mac, int64_t nowNs) {
  if (free_.empty()) {
    // Evict the least recently seen record that nothing vouches for; a MAC
    // flood then recycles its own records. Only a table full of vouched-for
    // devices gives up its oldest one.
    const uint32_t victim = probationTail_ ? probationTail_ : tail_;
    const DeviceRecord& v = records_[victim - 1];
    if (!v.onProbation_) ++stats_.evictionsOfKnown;
    ++stats_.evictions;
    forget(victim);
  }
  const uint32_t ref = free_.back();
  free_.pop_back();
  DeviceRecord& r = records_[ref - 1];
  r = DeviceRecord{};
  r.used_ = true;
  r.evidence.mac = mac;
  r.firstSeenNs = r.lastSeenNs = nowNs;
  r.randomized = isLocallyAdministered(mac);
  indexInsert(mac, ref);
  linkFront(ref);
  probationLinkFront(ref);
  ++size_;
  ++stats_.devicesCreated;
  return ref;
}

size_t DeviceProfiler::expireIdle(int64_t nowNs, int64_t idleNs) {
  size_t n = 0;
  while (tail_ != 0 && nowNs - records_[tail_ - 1].lastSeenNs > idleNs) {
    forget(tail_);
    ++n;
  }
  return n;
}

size_t DeviceProfiler::expireUnclassified(int64_t nowNs, size_t limit) {
  if (config_.unclassifiedIdleNs <= 0) return 0;
  size_t n = 0;
  while (n < limit && probationTail_ != 0 &&
         nowNs - records_[probationTail_ - 1].lastSeenNs > config_.unclassifiedIdleNs) {
    forget(probationTail_);
    ++n;
  }
  stats_.expiredUnclassified += n;
  return n;
}

// ---- events ----------------------------------------------------------------

void DeviceProfiler::emit(DeviceEvent&& event) {
  if (eventCount_ == events_.size()) {
    // Keep the oldest: the first alert of a burst is the one that explains it.
    ++stats_.eventsDropped;
    return;
  }
  events_[(eventHead_ + eventCount_) % events_.size()] = std::move(event);
  ++eventCount_;
}

bool DeviceProfiler::popEvent(DeviceEvent& out) {
  if (eventCount_ == 0) return false;
  out = events_[eventHead_];
  eventHead_ = (eventHead_ + 1) % events_.size();
  --eventCount_;
  return true;
}

DeviceEvent DeviceProfiler::makeEvent(DeviceEventKind kind, const DeviceRecord& r, int64_t nowNs) const {
  DeviceEvent e;
  e.kind = kind;
  e.mac = r.evidence.mac;
  e.port = r.port;
  e.previousPort = r.previousPort;
  e.timeNs = nowNs;
  e.toZone = r.zone;
  (void)e.toClass.assign(r.committed.className);
  e.spoofReasons = r.spoofReasons;
  return e;
}

// ---- deciding --------------------------------------------------------------

tables::ZoneId DeviceProfiler::portDefaultZone(uint16_t port) const {
  return port < policy_->ports.size() ? policy_->ports[port].defaultZone : tables::kNoZone;
}

const Dot1xAuthorisation* Dot1xSnapshot::find(const MacAddress& mac, uint16_t port) const {
  auto it = std::lower_bound(sessions.begin(), sessions.end(), std::make_pair(mac, port),
                             [](const Dot1xAuthorisation& a, const std::pair<MacAddress, uint16_t>& key) {
                               return std::tie(a.mac, a.port) < std::tie(key.first, key.second);
                             });
  return it != sessions.end() && it->mac == mac && it->port == port ? &*it : nullptr;
}

bool DeviceProfiler::applyDot1x(DeviceRecord& r) {
  const Dot1xAuthorisation* a = dot1x_ ? dot1x_->find(r.evidence.mac, r.port) : nullptr;
  bool changed = r.evidence.dot1xAuthorised != (a != nullptr);
  r.evidence.dot1xAuthorised = a != nullptr;
  changed |= r.evidence.dot1xIdentity.assign(a ? std::string_view(a->identity) : std::string_view());
  return changed;
}

void DeviceProfiler::setDot1x(Dot1xSnapshotPtr snapshot, int64_t nowNs) {
  const bool fallbackChanged = (dot1x_ && dot1x_->radiusUnreachable) != (snapshot && snapshot->radiusUnreachable);
  dot1x_ = std::move(snapshot);
  for (uint32_t ref = head_; ref != 0; ref = records_[ref - 1].next_) {
    DeviceRecord& r = records_[ref - 1];
    if (!applyDot1x(r) && !fallbackChanged) continue;
    decide(r, nowNs);
    const uint32_t newSuspicion = checkSpoof(r);
    commit(r, nowNs, true);
    if (newSuspicion) announceSpoof(r, newSuspicion, nowNs);
  }
}

void DeviceProfiler::decide(DeviceRecord& r, int64_t) {
  (void)applyDot1x(r);
  r.latest = classifyDevice(*policy_, r.evidence, portDefaultZone(r.port));
  r.inventoried = findInventory(*policy_, r.evidence.mac) != nullptr;
  ++stats_.decisions;
}

uint32_t DeviceProfiler::checkSpoof(DeviceRecord& r) {
  const tables::CompiledPolicy& p = *policy_;
  const DeviceEvidence& e = r.evidence;
  uint32_t reasons = r.spoofReasons & kMobilityReasons;  // set and cleared by the move path
  DetailWriter detail;
  if (r.inventoried) {
    const tables::InventoryDevice* inv = findInventory(p, e.mac);
    bool anyInventoryClass = false, allContradicted = true;
    const tables::DeviceClass* contradicted = nullptr;
    SignalMask contradictedMask = 0;
    for (const tables::DeviceClass& c : p.classes) {
      if (!c.inventory) continue;
      anyInventoryClass = true;
      const SignalMask fired = firedSignals(p, c, e);
      // A class that requires 802.1X cannot hold a device without a session:
      // its few other rules (the region base's eklient-dot1x has only a vendor
      // class) must not vouch for a copied MAC that the profiling class refutes.
      const bool needsSession = std::find(c.required.begin(), c.required.end(), Signal::kDot1x) != c.required.end();
      if (needsSession && (fired & signalBit(Signal::kDot1x)) == 0) continue;
      const SignalMask against = contradictedSignals(c, fired, e);
      if (against == 0) {
        allContradicted = false;
      } else if (!contradicted) {
        contradicted = &c;
        contradictedMask = against;
      }
    }
    if (anyInventoryClass && allContradicted && contradicted) {
      reasons |= kSpoofContradictsClass;
      detail.note()
          .append("inventoried MAC: ")
          .signals(contradictedMask)
          .append(" does not match class ")
          .append(contradicted->name);
    }
    const int evidenceClass = r.latest.evidenceClassIndex;
    if (anyInventoryClass && evidenceClass != kNoClass && !p.classes[static_cast<size_t>(evidenceClass)].inventory) {
      reasons |= kSpoofClassNotInventory;
      detail.note().append("inventoried MAC shows class ").append(p.classes[static_cast<size_t>(evidenceClass)].name);
    }
    if (inv && !inv->hostname.empty() && e.has(Trait::kDhcpHostname) &&
        !equalsIgnoreCase(firstLabel(e.dhcpHostname.view()), inv->hostname)) {
      reasons |= kSpoofHostnameMismatch;
      detail.note()
          .append("dhcp.hostname \"")
          .append(e.dhcpHostname.view())
          .append("\" is not the inventory's \"")
          .append(inv->hostname)
          .append("\"");
    }
    if (fingerprints_ && e.has(Trait::kDhcpParameterList)) {
      if (const OsFingerprint* os = fingerprints_->lookup(e.dhcpParameterList.codes()); os && !os->categories.empty()) {
        bool expected = false;
        for (const std::string& cat : config_.inventoryCategories) expected |= inCategory(*os, cat);
        if (!expected) {
          reasons |= kSpoofFingerprintCategory;
          detail.note()
              .append("option 55 is known as \"")
              .append(os->description)
              .append("\" (")
              .append(os->categories.front())
              .append(")");
        }
      }
    }
  }
  if (reasons & kMobilityReasons) detail.note().append(r.mobilityDetail.view());
  const uint32_t added = reasons & ~r.spoofReasons;
  r.spoofReasons = reasons;
  (void)r.spoofDetail.assign(detail.view());
  return added;
}

void DeviceProfiler::announceSpoof(DeviceRecord& r, uint32_t newReasons, int64_t nowNs) {
  placeZone(r);
  if (newReasons & ~kMobilityReasons) {
    DeviceEvent ev = makeEvent(DeviceEventKind::kSpoofSuspect, r, nowNs);
    ev.detail = r.spoofDetail;
    emit(std::move(ev));
  }
  if (newReasons & kSpoofFlapping) {
    DeviceEvent ev = makeEvent(DeviceEventKind::kFlapping, r, nowNs);
    ev.detail = r.mobilityDetail;
    emit(std::move(ev));
  }
}

void DeviceProfiler::describeFlapping(DeviceRecord& r, int64_t sinceOtherPortNs) {
  const tables::MacMobility& m = policy_->macMobility;
  auto portName = [&](uint16_t port) -> std::string_view {
    return port < policy_->ports.size() ? std::string_view(policy_->ports[port].interface) : std::string_view("?");
  };
  DetailWriter d;
  if (r.spoofReasons & kSpoofTwoPorts) {
    d.append("active on ")
        .append(portName(r.previousPort))
        .append(" ")
        .number(sinceOtherPortNs / 1'000'000)
        .append(" ms before it appeared on ")
        .append(portName(r.port))
        .append("; ");
  }
  uint32_t counted = 0;
  int64_t first = 0;
  r.forEachMove([&](const PortMove& mv) {
    if (mv.timeNs < r.movesCountFromNs || mv.timeNs <= r.flappingSinceNs - m.windowNs) return;
    if (counted++ == 0) first = mv.timeNs;
  });
  d.number(counted)
      .append(counted == 1 ? " move in " : " moves in ")
      .number((r.flappingSinceNs - first) / kNsPerSecond)
      .append(" s (window ")
      .number(m.windowNs / kNsPerSecond)
      .append(" s, hold ")
      .number(m.holdNs / kNsPerSecond)
      .append(" s):");
  r.forEachMove([&](const PortMove& mv) {
    if (mv.timeNs < r.movesCountFromNs || mv.timeNs <= r.flappingSinceNs - m.windowNs) return;
    d.append(" ").append(portName(mv.from)).append("->").append(portName(mv.to)).append(" at ").timeOfDay(mv.timeNs);
  });
  (void)r.mobilityDetail.assign(d.view());
}

bool DeviceProfiler::recordMove(DeviceRecord& r, uint16_t from, uint16_t to, int64_t nowNs, int64_t sinceOtherPortNs) {
  const tables::MacMobility& m = policy_->macMobility;
  r.moves[r.moveCount % tables::kMaxMobilityMoves] = {from, to, nowNs};
  ++r.moveCount;
  ++stats_.moves;
  if (r.flapping) {
    r.flappingUntilNs = nowNs + m.holdNs;  // still flapping: the hold runs from the last move
    return false;
  }
  uint32_t recent = 0;
  r.forEachMove([&](const PortMove& mv) {
    if (mv.timeNs >= r.movesCountFromNs && mv.timeNs > nowNs - m.windowNs) ++recent;
  });
  const bool atOnce = sinceOtherPortNs <= config_.twoPortWindowNs;
  if (!atOnce && recent < m.moves) return false;
  r.flapping = true;
  r.flappingSinceNs = nowNs;
  r.flappingUntilNs = nowNs + m.holdNs;
  r.spoofReasons |= kSpoofFlapping | (atOnce ? kSpoofTwoPorts : 0u);
  describeFlapping(r, sinceOtherPortNs);
  ++stats_.flappingDetected;
  // The hold is security state: a flood must not evict it to free the MAC.
  probationUnlink(static_cast<uint32_t>(&r - records_.data()) + 1);
  return true;
}

void DeviceProfiler::placeZone(DeviceRecord& r) {
  tables::ZoneId zone = r.committed.zone;
  r.quarantinedAsSuspect = false;
  r.zoneRefusedOnPort = false;
  if (!r.committed.pinned && r.randomized && policy_->randomizedMacs == tables::RandomizedMacs::kQuarantine) {
    // The policy does not admit randomised MACs: only a pin can place one.
    if (const tables::ZoneId q = quarantineZone(*policy_); q != tables::kNoZone) zone = q;
  }
  // A pin names one device; a flapping MAC is two, so the pin does not hold it in.
  // An authenticated identity that is the inventory asset of this MAC
  // outweighs an evidence-based doubt (a Windows update changed option 55)
  // unless the policy quarantines such a disagreement; the alert is raised
  // either way (mac_spoof_suspect). Two ports at once and flapping are not
  // evidence-based.
  const bool authenticatedAsInventory = (r.committed.winnerFired & signalBit(Signal::kDot1x)) != 0;
  const bool keepDespiteDoubt = authenticatedAsInventory && (r.spoofReasons & kSpoofTwoPorts) == 0 && !r.flapping &&
                                !policy_->dot1x.quarantineFingerprintMismatch;
  if ((!r.committed.pinned || r.flapping) && r.spoofReasons && config_.quarantineSpoofSuspects && !keepDespiteDoubt) {
    const tables::ZoneId q = quarantineZone(*policy_);
    if (q != tables::kNoZone) {
      zone = q;
      r.quarantinedAsSuspect = true;
    }
  }
  if (r.port < policy_->ports.size()) {
    const tables::Port& port = policy_->ports[r.port];
    if (port.authentication != tables::Authentication::kNone && !r.committed.pinned && !r.evidence.dot1xAuthorised &&
        zone == port.defaultZone && dot1x_ && dot1x_->radiusUnreachable &&
        policy_->dot1x.unreachableZone != tables::kNoZone) {
      // No RADIUS server answers: a device that could not authenticate goes to
      // the policy's fallback zone instead of the port's default zone.
      zone = policy_->dot1x.unreachableZone;
    }
    if (!port.zones.empty() && zone != tables::kNoZone &&
        !std::binary_search(port.zones.begin(), port.zones.end(), zone)) {
      zone = port.defaultZone;
      r.zoneRefusedOnPort = true;
    }
  }
  r.zone = zone;
}

void DeviceProfiler::commit(DeviceRecord& r, int64_t nowNs, bool announce) {
  const int oldClass = r.committed.classIndex;
  const tables::ZoneId oldZone = r.committed.zone;
  ClassName oldName;
  (void)oldName.assign(r.committed.className);
  r.committed = r.latest;
  r.pending = false;
  r.pendingCount = 0;
  placeZone(r);
  leaveProbationIfVouched(r, static_cast<uint32_t>(&r - records_.data()) + 1);
  if (announce && (oldClass != r.committed.classIndex || oldZone != r.committed.zone)) {
    DeviceEvent ev = makeEvent(DeviceEventKind::kClassChanged, r, nowNs);
    ev.fromClass = oldName;
    ev.fromZone = oldZone;
    ev.toZone = r.committed.zone;
    (void)ev.detail.assign(r.committed.explain(*policy_).substr(0, 240));
    emit(std::move(ev));
  }
}

const DeviceRecord* DeviceProfiler::observe(const packet::ParsedFrame& frame, uint16_t portIndex, int64_t nowNs) {
  ++stats_.frames;
  const MacAddress& mac = frame.eth.src;
  if (!frame.has(packet::Layer::kEthernet) || mac.isMulticast() || isZeroMac(mac) ||
      (portIndex < policy_->ports.size() && policy_->ports[portIndex].role != tables::PortRole::kAccess)) {
    ++stats_.ignoredFrames;
    return nullptr;
  }
  // A few idle strangers go per frame (bounded work); the runner's periodic
  // expireUnclassified() takes the rest when traffic is sparse. The inline
  // test spares the call when nothing is on probation (the usual case).
  if (probationTail_ != 0) (void)expireUnclassified(nowNs, 2);
  uint32_t ref = lookup(mac);
  const bool isNew = ref == 0;
  if (isNew) {
    ref = create(mac, nowNs);
  } else {
    if (head_ != ref) {
      unlink(ref);
      linkFront(ref);
    }
    if (records_[ref - 1].onProbation_ && probationHead_ != ref) {
      probationUnlink(ref);
      probationLinkFront(ref);
    }
  }
  DeviceRecord& r = records_[ref - 1];
  r.lastSeenNs = nowNs;
  ++r.frames;

  bool portChanged = false;
  bool released = false;
  bool startedFlapping = false;
  if (!isNew && r.flapping && nowNs >= r.flappingUntilNs) {
    // The hold has passed since the last move: the MAC starts over, and only
    // moves from now on count toward flapping again.
    r.flapping = false;
    r.spoofReasons &= ~kMobilityReasons;
    r.movesCountFromNs = nowNs;
    (void)r.mobilityDetail.assign({});
    released = true;
  }
  if (isNew) {
    r.port = portIndex;
  } else if (portIndex != r.port) {
    r.previousPort = r.port;
    r.hasPreviousPort = true;
    r.port = portIndex;
    portChanged = true;
    startedFlapping = recordMove(r, r.previousPort, r.port, nowNs, nowNs - r.portLastSeenNs);
  }
  r.portLastSeenNs = nowNs;

  // Most frames of a known device (its data) carry no evidence: no call.
  const EvidenceUpdate u =
      carriesEvidence(frame.layers) ? updateEvidence(r.evidence, frame, nowNs, config_.evidence) : EvidenceUpdate{};
  if (isNew || u.changed || portChanged || released) {
    decide(r, nowNs);
    const uint32_t newSuspicion = checkSpoof(r) | (startedFlapping ? kSpoofFlapping : 0u);
    if (isNew) {
      commit(r, nowNs, false);
      emit(makeEvent(DeviceEventKind::kNewDevice, r, nowNs));
      if (r.randomized) {
        DeviceEvent ev = makeEvent(DeviceEventKind::kRandomizedMac, r, nowNs);
        (void)ev.detail.assign("locally administered MAC (randomised or software-assigned)");
        emit(std::move(ev));
      }
    } else if (r.latest.sameOutcome(r.committed)) {
      r.committed = r.latest;  // same placement, fresher explanation
      r.pending = false;
      leaveProbationIfVouched(r, ref);
    } else if (r.latest.pinned || r.committed.pinned || r.committed.classIndex == kNoClass ||
               ((r.committed.winnerFired & signalBit(Signal::kDot1x)) != 0 && !r.evidence.dot1xAuthorised)) {
      // Pins at once; and a device placed by 802.1X evidence that lost it
      // (it moved to another port) leaves at once, not after the hysteresis.
      commit(r, nowNs, !r.flapping);  // a held MAC's port-default placements are not news
    } else if (!r.pending || r.pendingClass != r.latest.classIndex || r.pendingZone != r.latest.zone) {
      r.pending = true;
      r.pendingClass = r.latest.classIndex;
      r.pendingZone = r.latest.zone;
      r.pendingCount = 1;
      r.pendingSinceNs = nowNs;
    } else {
      ++r.pendingCount;
    }
    if (portChanged && !r.flapping) emit(makeEvent(DeviceEventKind::kMoved, r, nowNs));
    placeZone(r);
    leaveProbationIfVouched(r, ref);
    if (newSuspicion) announceSpoof(r, newSuspicion, nowNs);
  } else if (u.seen && r.pending) {
    ++r.pendingCount;
  }
  if (r.pending &&
      (r.pendingCount >= config_.holdDecisions || (config_.holdNs > 0 && nowNs - r.pendingSinceNs >= config_.holdNs))) {
    commit(r, nowNs, true);
  }
  if (!r.unknownAnnounced && r.committed.classIndex == kNoClass && !r.committed.pinned && !r.flapping &&
      nowNs - r.firstSeenNs >= kUnknownAfterNs) {
    r.unknownAnnounced = true;
    DeviceEvent ev = makeEvent(DeviceEventKind::kUnknown, r, nowNs);
    (void)ev.detail.assign("no class of the policy matches it 30 s after it was first seen");
    emit(std::move(ev));
  }
  return &r;
}

void DeviceProfiler::setPolicy(tables::CompiledPolicyPtr policy, int64_t nowNs) {
  // The old policy stays alive until every record's views into it are gone.
  const tables::CompiledPolicyPtr old = policy_;
  policy_ = policy ? std::move(policy) : std::make_shared<const tables::CompiledPolicy>();
  config_.evidence.wantedMdnsServices = mdnsServicesOf(*policy_);
  config_.evidence.hostnamePolicy = policy_.get();
  config_.evidence.classesMatchHostnames = classesMatchHostnames(*policy_);
  for (uint32_t ref = head_; ref != 0; ref = records_[ref - 1].next_) {
    DeviceRecord& r = records_[ref - 1];
    decide(r, nowNs);
    const uint32_t newSuspicion = checkSpoof(r);
    commit(r, nowNs, true);
    if (newSuspicion) announceSpoof(r, newSuspicion, nowNs);
  }
}

const DeviceRecord* DeviceProfiler::restore(const DeviceEvidence& evidence, uint16_t portIndex, int64_t firstSeenNs,
                                            int64_t lastSeenNs, int64_t nowNs) {
  const MacAddress& mac = evidence.mac;
  if (mac.isMulticast() || isZeroMac(mac) || portIndex >= policy_->ports.size() ||
      policy_->ports[portIndex].role != tables::PortRole::kAccess || lookup(mac) != 0) {
    return nullptr;
  }
  DeviceRecord& r = records_[create(mac, nowNs) - 1];
  r.evidence = evidence;
  r.port = portIndex;
  r.firstSeenNs = firstSeenNs;
  r.lastSeenNs = lastSeenNs;
  r.portLastSeenNs = 0;       // a port change while the daemon was down is a move, not two devices
  r.unknownAnnounced = true;  // raised before the restart if it was due: not again
  decide(r, nowNs);
  (void)checkSpoof(r);
  commit(r, nowNs, false);
  return &r;
}

bool DeviceProfiler::forget(const MacAddress& mac) {
  const uint32_t ref = lookup(mac);
  if (ref == 0) return false;
  forget(ref);
  return true;
}

void DeviceProfiler::setFingerprintDb(std::shared_ptr<const FingerprintDb> fingerprints) {
  fingerprints_ = std::move(fingerprints);
}

}  // namespace portvakt::fingerprint
