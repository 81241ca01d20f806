#include "dataplane/forward/vlan_switch.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "dataplane/packet/ethernet.h"

namespace portvakt::forward {
namespace {

constexpr size_t kEthHeader = 14;
constexpr size_t kMacBytes = 12;  // dst + src
constexpr size_t kTagBytes = 4;

uint16_t load16(const uint8_t* p) { return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]); }
void store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

bool isTagTpid(uint16_t t) {
  return t == packet::kEtherTypeVlan || t == packet::kEtherTypeQinQ || t == 0x9100 || t == 0x9200;
}

bool isZeroMac(const MacAddress& m) { return MacTable::packMac48(m) == 0; }  // one load, no byte loop

uint64_t packMac(const MacAddress& m) { return MacTable::makeKey(0, m); }

// Room for every access port's limit at once, so the MAC-limit table never
// refuses an entry the per-port count allows.
size_t macLimitEntries(const SwitchConfig& c) {
  size_t n = 0;
  for (const SwitchPortConfig& p : c.ports)
    if (p.role == PortRole::kAccess) n += p.maxMacs;
  return n == 0 ? 1 : n;
}

}  // namespace

struct VlanSwitch::Parsed {
  const io::Frame* frame = nullptr;
  std::span<const uint8_t> bytes;
  PortIndex port = kNoPort;
  MacAddress dst, src;
  uint8_t tagCount = 0;  // tags to strip: 0 or 1 once the ingress checks passed
  uint16_t outerTpid = 0;
  uint16_t outerTci = 0;
  uint16_t etherType = 0;
  size_t headerLen = kEthHeader;
};

SwitchConfig switchConfigFromPolicy(const tables::CompiledPolicy& policy, const SwitchConfigOptions& options) {
  SwitchConfig config;
  config.maxMacEntries = options.maxMacEntries;
  config.ageingNs = options.ageingNs;
  config.macLimitAgeingNs = options.macLimitAgeingNs;
  for (const tables::Zone& z : policy.zones) {
    config.zoneVlans.push_back(z.vlan);
    config.zonePriorities.push_back(z.priority);
  }
  for (const tables::Port& p : policy.ports) {
    SwitchPortConfig port;
    port.name = p.interface;
    port.role = p.role;
    port.zones = p.zones;
    port.defaultZone = p.defaultZone;
    if (p.role == PortRole::kUplink && port.defaultZone == kNoZone && p.zones.size() == 1) port.defaultZone = p.zones[0];
    port.maxMacs = p.role == PortRole::kAccess ? options.maxMacsPerAccessPort : 0;
    port.mode = p.mode;
    config.ports.push_back(std::move(port));
  }
  return config;
}

dataplane::Status validate(const SwitchConfig& config) {
  const size_t zones = config.zoneVlans.size();
  if (zones >= kNoZone) return dataplane::Error{"too many zones"};
  if (!config.zonePriorities.empty() && config.zonePriorities.size() != zones)
    return dataplane::Error{"zone priorities given for " + std::to_string(config.zonePriorities.size()) + " zones, not " +
                            std::to_string(zones)};
  if (config.ports.size() >= kNoPort) return dataplane::Error{"too many ports"};
  for (size_t i = 0; i < config.ports.size(); ++i) {
    const SwitchPortConfig& p = config.ports[i];
    const long index = static_cast<long>(i);
    auto portError = [&](const std::string& what) { return dataplane::Error{"port " + p.name + ": " + what, index}; };
    for (ZoneId z : p.zones)
      if (z >= zones) return portError("zone id " + std::to_string(z) + " does not exist");
    bool defaultCarried = std::find(p.zones.begin(), p.zones.end(), p.defaultZone) != p.zones.end();
    if (p.defaultZone != kNoZone && !defaultCarried)
      return portError("default zone " + std::to_string(p.defaultZone) + " is not among the zones it carries");
    if (p.role == PortRole::kUplink && (p.defaultZone == kNoZone || p.zones.size() != 1))
      return portError("an uplink carries exactly one zone, untagged");
    if (p.role == PortRole::kTrunk) {
      std::vector<uint16_t> vids;
      for (ZoneId z : p.zones) {
        if (z == p.defaultZone) continue;  // native: untagged, its VID is not used here
        uint16_t vid = config.zoneVlans[z];
        if (vid == 0 || vid >= 4095)
          return portError("zone id " + std::to_string(z) + " has VLAN " + std::to_string(vid) +
                           ", which cannot be tagged on a trunk (1..4094)");
        if (std::find(vids.begin(), vids.end(), vid) != vids.end())
          return portError("two zones share VLAN " + std::to_string(vid));
        vids.push_back(vid);
      }
    }
  }
  return {};
}

VlanSwitch::VlanSwitch(SwitchConfig config, ForwardDecider& decider)
    : config_(std::move(config)),
      decider_(decider),
      table_(config_.maxMacEntries, config_.ageingNs),
      portMacs_(macLimitEntries(config_), config_.macLimitAgeingNs),
      zoneCount_(config_.zoneVlans.size()),
      ports_(config_.ports.size()),
      carries_(config_.ports.size() * config_.zoneVlans.size(), 0),
      members_(config_.ports.size() * config_.zoneVlans.size(), 0),
      floodPorts_(config_.zoneVlans.size()),
      untaggedBuf_(config_.maxFrameBytes + kTagBytes),
      taggedBuf_(config_.maxFrameBytes + kTagBytes) {
  vidToZone_.fill(kNoZone);
  config_.zonePriorities.resize(zoneCount_, tables::ZonePriority::kNone);
  for (tables::ZonePriority p : config_.zonePriorities) anyPriority_ |= p != tables::ZonePriority::kNone;
  if (anyPriority_) priorityCache_.resize(kPriorityEntries);
  for (size_t z = 0; z < zoneCount_; ++z) {
    uint16_t vid = config_.zoneVlans[z];
    if (vid > 0 && vid < 4095 && vidToZone_[vid] == kNoZone) vidToZone_[vid] = static_cast<ZoneId>(z);
  }
  for (size_t i = 0; i < config_.ports.size(); ++i) {
    const SwitchPortConfig& p = config_.ports[i];
    for (ZoneId z : p.zones) {
      if (z >= zoneCount_) continue;
      carries_[i * zoneCount_ + z] = 1;
      if (p.role != PortRole::kMonitor) floodPorts_[z].push_back(static_cast<PortIndex>(i));
    }
    ports_[i].dynamicMembership = p.role == PortRole::kAccess && p.zones.size() > 1;
  }
}

void VlanSwitch::attach(PortIndex port, io::FrameSink* sink) {
  if (port < ports_.size()) ports_[port].sink = sink;
}

void VlanSwitch::setPortUp(PortIndex port, bool up, int64_t downAtNs) {
  if (port >= ports_.size()) return;
  if (!up) ports_[port].downAtNs = downAtNs;  // also for a port already down: frames must be newer than its last down
  if (ports_[port].up == up) return;
  ports_[port].up = up;
  if (!up) {
    table_.flushPort(port, [&](ZoneId z, const MacAddress& mac, PortIndex p) { accountForgotten(z, mac, p); });
    portMacs_.flushPort(port, [&](ZoneId, const MacAddress&, PortIndex) {});
    ports_[port].counters.sourceMacs = 0;
  }
}

void VlanSwitch::forgetEntry(ZoneId zone, const MacAddress& mac, PortIndex port) {
  table_.erase(zone, mac);
  accountForgotten(zone, mac, port);
}

void VlanSwitch::accountForgotten(ZoneId zone, const MacAddress& mac, PortIndex port) {
  // The table has removed the entry already (sweep, flush, forgetEntry).
  if (port < ports_.size()) {
    if (ports_[port].counters.learnedMacs > 0) --ports_[port].counters.learnedMacs;
    uint32_t& m = members_[size_t{port} * zoneCount_ + zone];
    if (m > 0) --m;
  }
  ++counters_.forgotten;
  if (events_) events_->onForgotten(zone, mac, port);
}

size_t VlanSwitch::age(int64_t nowNs) {
  lastSweepNs_ = nowNs;
  portMacs_.sweep(nowNs, [&](ZoneId, const MacAddress&, PortIndex p) {
    if (p < ports_.size() && ports_[p].counters.sourceMacs > 0) --ports_[p].counters.sourceMacs;
  });
  return table_.sweep(nowNs, [&](ZoneId z, const MacAddress& mac, PortIndex p) { accountForgotten(z, mac, p); });
}

bool VlanSwitch::forget(ZoneId zone, const MacAddress& mac) {
  PortIndex port = table_.peek(zone, mac);
  if (port == kNoPort) return false;
  forgetEntry(zone, mac, port);
  return true;
}

ForwardResult VlanSwitch::drop(DropReason reason, PortIndex port, const MacAddress& src, ForwardResult& result) {
  drops_.count(reason);
  if (port < ports_.size()) ++ports_[port].counters.rxDropped;
  if (events_) events_->onDrop(reason, port, src, true);
  result.drop = reason;
  return result;
}

namespace {
uint64_t priorityKey(PortIndex port, const MacAddress& mac) { return (uint64_t{port} << 48) | MacTable::packMac48(mac); }
size_t prioritySlot(uint64_t key, size_t entries) {
  return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 40) & (entries - 1);
}
constexpr uint8_t kDscpEf = 46, kDscpCs3 = 24;  // voice media (RFC 3246), call signalling (RFC 4594)
}  // namespace

void VlanSwitch::notePriority(PortIndex port, const MacAddress& src, ZoneId zone) {
  const uint64_t key = priorityKey(port, src);
  PriorityEntry& e = priorityCache_[prioritySlot(key, priorityCache_.size())];
  const tables::ZonePriority p = config_.zonePriorities[zone];
  if (e.key == key) {
    e.priority = p;  // a device moved out of (or into) a priority zone: at once
  } else if (p != tables::ZonePriority::kNone) {
    e = {key, p};
  }
}

bool VlanSwitch::frameMarked(std::span<const uint8_t> b) const {
  // Ethernet II, at most one tag (more are dropped by process() anyway).
  size_t off = kMacBytes;
  if (b.size() < off + 2) return false;
  uint16_t type = load16(b.data() + off);
  if (isTagTpid(type)) {
    off += kTagBytes;
    if (b.size() < off + 2) return false;
    type = load16(b.data() + off);
  }
  off += 2;
  uint8_t dscp = 0;
  if (type == packet::kEtherTypeIpv4 && b.size() >= off + 2 && (b[off] >> 4) == 4) {
    dscp = static_cast<uint8_t>(b[off + 1] >> 2);
  } else if (type == packet::kEtherTypeIpv6 && b.size() >= off + 2 && (b[off] >> 4) == 6) {
    dscp = static_cast<uint8_t>(((b[off] & 0x0f) << 2) | (b[off + 1] >> 6));
  } else {
    return false;
  }
  return dscp == kDscpEf || dscp == kDscpCs3;
}

bool VlanSwitch::priorityOf(const io::Frame& frame) const {
  if (!anyPriority_ || frame.port >= ports_.size() || frame.bytes.size() < kEthHeader) return false;
  const SwitchPortConfig& cfg = config_.ports[frame.port];
  ZoneId zone = cfg.defaultZone;
  tables::ZonePriority p = tables::ZonePriority::kNone;
  switch (cfg.role) {
    case PortRole::kMonitor: return false;
    case PortRole::kUplink: break;
    case PortRole::kTrunk: {
      const uint16_t type = load16(frame.bytes.data() + kMacBytes);
      if (type == packet::kEtherTypeVlan && frame.bytes.size() >= kMacBytes + kTagBytes) {
        const uint16_t vid = load16(frame.bytes.data() + kMacBytes + 2) & 0x0fff;
        if (vid != 0) zone = vidToZone_[vid];
      }
      break;
    }
    case PortRole::kAccess: {
      MacAddress src;
      std::memcpy(src.bytes.data(), frame.bytes.data() + 6, 6);
      const uint64_t key = priorityKey(frame.port, src);
      const PriorityEntry& e = priorityCache_[prioritySlot(key, priorityCache_.size())];
      if (e.key != key) return false;
      p = e.priority;
      zone = kNoZone;
      break;
    }
  }
  if (zone != kNoZone) p = zone < zoneCount_ ? config_.zonePriorities[zone] : tables::ZonePriority::kNone;
  if (p == tables::ZonePriority::kVoice) return true;
  return p == tables::ZonePriority::kDscp && frameMarked(frame.bytes);
}

void VlanSwitch::countOverload(PortIndex port) {
  drops_.count(DropReason::kOverload);
  if (port < ports_.size()) {
    ++ports_[port].counters.rxDropped;
    ++ports_[port].counters.rxOverload;
  }
}

void VlanSwitch::countEgressBusy(PortIndex port, uint64_t frames) {
  drops_.count(DropReason::kEgressBusy, frames);
  if (port < ports_.size()) ports_[port].counters.txBusy += frames;
}

bool VlanSwitch::admitSourceMac(const Parsed& p, int64_t nowNs) {
  return portMacs_.touch(p.port, p.src, nowNs) || admitNewSourceMac(p, nowNs);  // counted already: one probe
}

bool VlanSwitch::admitNewSourceMac(const Parsed& p, int64_t nowNs) {
  PortState& ps = ports_[p.port];
  if (ps.counters.sourceMacs >= config_.ports[p.port].maxMacs) {
    // Not counted: a vouched-for device does not take a stranger's place.
    if (decider_.exemptFromMacLimit(p.src, p.port)) {
      ++counters_.macLimitExempt;
      return true;
    }
    return false;
  }
  PortIndex previous = kNoPort;
  if (portMacs_.learn(p.port, p.src, p.port, nowNs, previous) == MacTable::LearnResult::kLearned)
    ++ps.counters.sourceMacs;
  return true;
}

void VlanSwitch::learnSource(const Parsed& p, ZoneId zone, int64_t nowNs) {
  // Known here in this zone already (nearly every frame): a refresh, in one
  // probe, and nothing to count.
  if (!table_.refreshIfOn(zone, p.src, p.port, nowNs)) learnNewSource(p, zone, nowNs);
}

void VlanSwitch::learnNewSource(const Parsed& p, ZoneId zone, int64_t nowNs) {
  const SwitchPortConfig& cfg = config_.ports[p.port];
  PortState& ps = ports_[p.port];
  if (cfg.role == PortRole::kAccess) {
    // New on this port in this zone (the only caller, learnSource, found no
    // such entry). If the device was in another zone on this same port
    // (admission moved it out of quarantine), that entry goes now, so
    // unicast to the old zone stops and it does not count twice.
    for (ZoneId other : cfg.zones)
      if (other != zone && table_.peek(other, p.src) == p.port) forgetEntry(other, p.src, p.port);
  }
  PortIndex previous = kNoPort;
  switch (table_.learn(zone, p.src, p.port, nowNs, previous)) {
    case MacTable::LearnResult::kRefreshed: break;
    case MacTable::LearnResult::kLearned:
      ++ps.counters.learnedMacs;
      ++members_[size_t{p.port} * zoneCount_ + zone];
      ++counters_.learned;
      if (events_) events_->onLearned(zone, p.src, p.port);
      break;
    case MacTable::LearnResult::kMoved: {
      PortState& old = ports_[previous];
      if (old.counters.learnedMacs > 0) --old.counters.learnedMacs;
      uint32_t& m = members_[size_t{previous} * zoneCount_ + zone];
      if (m > 0) --m;
      ++ps.counters.learnedMacs;
      ++members_[size_t{p.port} * zoneCount_ + zone];
      ++counters_.moved;
      if (events_) events_->onMoved(zone, p.src, previous, p.port);
      break;
    }
    case MacTable::LearnResult::kFull: ++counters_.tableFull; break;
  }
}

bool VlanSwitch::emit(PortIndex egress, ZoneId zone, const Parsed& p) {
  PortState& ps = ports_[egress];
  if (ps.sink == nullptr) return false;
  const SwitchPortConfig& cfg = config_.ports[egress];
  std::span<const uint8_t> out = p.bytes;
  const bool tagged = cfg.role == PortRole::kTrunk && zone != cfg.defaultZone;
  if (!tagged) {
    if (p.tagCount != 0) {
      if (!untaggedBuilt_) {
        // Pop: the MACs, then everything after the tag.
        std::memcpy(untaggedBuf_.data(), p.bytes.data(), kMacBytes);
        std::memcpy(untaggedBuf_.data() + kMacBytes, p.bytes.data() + kMacBytes + kTagBytes,
                    p.bytes.size() - kMacBytes - kTagBytes);
        untaggedLen_ = p.bytes.size() - kTagBytes;
        untaggedBuilt_ = true;
      }
      out = std::span<const uint8_t>(untaggedBuf_.data(), untaggedLen_);
    }
  } else {
    const uint16_t vid = config_.zoneVlans[zone];
    const bool sameTag = p.tagCount == 1 && p.outerTpid == packet::kEtherTypeVlan && (p.outerTci & 0x0fff) == vid;
    if (!sameTag) {
      if (!taggedBuilt_ || taggedVid_ != vid) {
        // Push (or rewrite a priority tag): keep PCP and DEI, set the VID.
        const size_t rest = p.bytes.size() - kMacBytes - kTagBytes * p.tagCount;
        uint8_t* b = taggedBuf_.data();
        std::memcpy(b, p.bytes.data(), kMacBytes);
        store16(b + kMacBytes, packet::kEtherTypeVlan);
        store16(b + kMacBytes + 2, static_cast<uint16_t>((p.outerTci & 0xf000) | vid));
        std::memcpy(b + kMacBytes + kTagBytes, p.bytes.data() + kMacBytes + kTagBytes * p.tagCount, rest);
        taggedLen_ = kMacBytes + kTagBytes + rest;
        taggedVid_ = vid;
        taggedBuilt_ = true;
      }
      out = std::span<const uint8_t>(taggedBuf_.data(), taggedLen_);
    }
  }
  io::Frame f;
  f.bytes = out;
  f.wireLength = static_cast<uint32_t>(out.size());
  f.timestampNs = p.frame->timestampNs;
  f.port = egress;
  if (ps.sink->send(f)) {
    ++ps.counters.txFrames;
    ps.counters.txBytes += out.size();
  } else {
    ++ps.counters.txErrors;
  }
  return true;
}

ForwardResult VlanSwitch::process(const io::Frame& frame) {
  ForwardResult result;
  ++counters_.frames;
  Parsed p;
  p.frame = &frame;
  p.bytes = frame.bytes;
  p.port = frame.port;
  if (p.port >= ports_.size()) return drop(DropReason::kPortDown, kNoPort, p.src, result);
  PortState& ps = ports_[p.port];
  const SwitchPortConfig& cfg = config_.ports[p.port];
  ++ps.counters.rxFrames;
  ps.counters.rxBytes += frame.wireLength;

  const int64_t nowNs = std::max(frame.timestampNs, lastNowNs_);
  lastNowNs_ = nowNs;
  maybeSweep(nowNs);
  untaggedBuilt_ = taggedBuilt_ = false;

  if (!ps.up) {
    if (frame.timestampNs <= ps.downAtNs) return drop(DropReason::kPortDown, p.port, p.src, result);
    setPortUp(p.port, true);  // received after the link went down: it is up again (setPortUp)
    ++counters_.portsUpByTraffic;
  }
  const uint8_t* b = p.bytes.data();
  if (p.bytes.size() < kEthHeader) return drop(DropReason::kTruncated, p.port, p.src, result);
  if (frame.wireLength > p.bytes.size()) return drop(DropReason::kSnapped, p.port, p.src, result);
  if (p.bytes.size() > config_.maxFrameBytes) return drop(DropReason::kOversize, p.port, p.src, result);
  std::memcpy(p.dst.bytes.data(), b, 6);
  std::memcpy(p.src.bytes.data(), b + 6, 6);
  if (p.src.isMulticast() || isZeroMac(p.src)) return drop(DropReason::kBadSourceMac, p.port, p.src, result);

  // Tags: look at two at most; a second tag is all it takes to decide.
  size_t off = kMacBytes;
  int tags = 0;
  while (tags < 2 && isTagTpid(load16(b + off))) {
    if (p.bytes.size() < off + kTagBytes + 2) return drop(DropReason::kTruncated, p.port, p.src, result);
    if (tags == 0) {
      p.outerTpid = load16(b + off);
      p.outerTci = load16(b + off + 2);
    }
    ++tags;
    off += kTagBytes;
  }
  p.etherType = load16(b + off);
  p.headerLen = off + 2;
  p.tagCount = static_cast<uint8_t>(tags);
  const uint16_t vid = p.outerTci & 0x0fff;

  ZoneId portZone = cfg.defaultZone;
  switch (cfg.role) {
    case PortRole::kAccess:
    case PortRole::kUplink:
    case PortRole::kMonitor:
      if (tags >= 2) return drop(DropReason::kVlanHopping, p.port, p.src, result);
      if (tags == 1 && vid != 0) return drop(DropReason::kTaggedOnUntaggedPort, p.port, p.src, result);
      break;
    case PortRole::kTrunk:
      if (tags >= 2) return drop(DropReason::kStackedTagsOnTrunk, p.port, p.src, result);
      if (tags == 1 && vid != 0) {
        if (p.outerTpid != packet::kEtherTypeVlan) return drop(DropReason::kVlanNotAllowed, p.port, p.src, result);
        portZone = vidToZone_[vid];
        if (portZone == kNoZone || !portCarries(p.port, portZone))
          return drop(DropReason::kVlanNotAllowed, p.port, p.src, result);
      } else if (portZone == kNoZone) {
        return drop(DropReason::kUntaggedOnTrunk, p.port, p.src, result);
      }
      break;
  }

  const bool monitor = cfg.mode == Mode::kMonitor;
  // The MAC limit comes before admission, so a flood of new MACs past it
  // costs a hash probe each and never reaches the device profiler.
  const bool overMacLimit = cfg.role == PortRole::kAccess && cfg.maxMacs != 0 && !admitSourceMac(p, nowNs);
  if (overMacLimit && !monitor) return drop(DropReason::kMacLimit, p.port, p.src, result);

  IngressFrame in;
  in.frame = &frame;
  in.port = p.port;
  in.role = cfg.role;
  in.portZone = portZone;
  in.src = p.src;
  in.dst = p.dst;
  in.etherType = p.etherType;
  in.payload = p.bytes.subspan(p.headerLen);
  in.nowNs = nowNs;
  in.eth.dst = p.dst;
  in.eth.src = p.src;
  in.eth.tagCount = p.tagCount;
  in.eth.outerTpid = p.outerTpid;
  in.eth.outerTci = p.outerTci;
  in.eth.etherType = p.etherType;
  in.eth.headerLen = static_cast<uint16_t>(p.headerLen);
  const ForwardDecision d = decider_.decide(in);

  ZoneId zone = d.zone;
  auto softDrop = [&](DropReason reason) {
    // Monitor mode: count what enforcement would do and carry on.
    wouldDrops_.count(reason);
    if (result.wouldDrop == DropReason::kNone) result.wouldDrop = reason;
    if (events_) events_->onDrop(reason, p.port, p.src, false);
  };
  if (!d.allow) {
    DropReason reason = d.reason == DropReason::kNone ? DropReason::kPolicyDenied : d.reason;
    if (!monitor || d.enforceAlways) return drop(reason, p.port, p.src, result);
    softDrop(reason);
    if (zone == kNoZone) zone = portZone;
  }
  if (zone == kNoZone || zone >= zoneCount_) return drop(DropReason::kNoZone, p.port, p.src, result);
  result.zone = zone;
  if (!portCarries(p.port, zone)) {
    if (!monitor) return drop(DropReason::kZoneNotOnPort, p.port, p.src, result);
    softDrop(DropReason::kZoneNotOnPort);
  }
  // A mirror port sees other ports' traffic: learning from it would point
  // those MACs at the mirror.
  if (cfg.role == PortRole::kMonitor) return drop(DropReason::kMonitorPort, p.port, p.src, result);

  if (overMacLimit) softDrop(DropReason::kMacLimit);  // monitor mode: after the decider's own verdict
  learnSource(p, zone, nowNs);
  if (anyPriority_ && cfg.role == PortRole::kAccess) notePriority(p.port, p.src, zone);

  if (!p.dst.isMulticast()) {
    const PortIndex out = table_.lookup(zone, p.dst, nowNs);
    if (out == p.port) return drop(DropReason::kHairpin, p.port, p.src, result);
    if (out != kNoPort && ports_[out].up) {
      if (emit(out, zone, p)) ++result.egressPorts;
      ++counters_.unicast;
      return result;
    }
  }
  result.flooded = true;
  ++counters_.flooded;
  for (PortIndex q : floodPorts_[zone]) {
    if (q == p.port || !ports_[q].up) continue;
    if (ports_[q].dynamicMembership && members_[size_t{q} * zoneCount_ + zone] == 0) continue;
    if (emit(q, zone, p)) ++result.egressPorts;
  }
  if (result.egressPorts == 0) return drop(DropReason::kNoEgress, p.port, p.src, result);
  return result;
}

void StaticMacDecider::assign(const MacAddress& mac, ZoneId zone) {
  const uint64_t key = packMac(mac);
  auto it = std::lower_bound(macs_.begin(), macs_.end(), std::make_pair(key, ZoneId{0}),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
  if (it != macs_.end() && it->first == key) {
    it->second = zone;
  } else {
    macs_.insert(it, {key, zone});
  }
}

ForwardDecision StaticMacDecider::decide(const IngressFrame& in) {
  if (in.role != PortRole::kAccess) return {in.portZone, true, DropReason::kNone};
  const uint64_t key = packMac(in.src);
  auto it = std::lower_bound(macs_.begin(), macs_.end(), std::make_pair(key, ZoneId{0}),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
  if (it != macs_.end() && it->first == key) return {it->second, true, DropReason::kNone};
  ZoneId zone = unknownZone_ == kNoZone ? in.portZone : unknownZone_;
  return {zone, allowUnknown_, allowUnknown_ ? DropReason::kNone : DropReason::kQuarantine};
}

}  // namespace portvakt::forward
