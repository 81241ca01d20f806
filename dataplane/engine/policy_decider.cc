#include "dataplane/engine/policy_decider.h"

#include <algorithm>

namespace portvakt::engine {

using forward::DropReason;
using forward::ForwardDecision;
using forward::IngressFrame;
using tables::kNoZone;
using tables::ZoneId;

namespace {

// IEEE 802.1D reserved group addresses (STP, LLDP, EAPOL, ...) and Cisco's CDP
// address: frames for the switch itself, never forwarded.
bool isLinkControl(const tables::MacAddress& dst) {
  static constexpr uint8_t kIeee[5] = {0x01, 0x80, 0xc2, 0x00, 0x00};
  static constexpr uint8_t kCdp[6] = {0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc};
  return (std::equal(kIeee, kIeee + 5, dst.bytes.begin()) && dst.bytes[5] <= 0x0f) ||
         std::equal(kCdp, kCdp + 6, dst.bytes.begin());
}

ZoneId onlyInvariantZone(const tables::CompiledPolicy& policy) {
  for (const tables::Invariant& inv : policy.invariants) {
    if (inv.kind == tables::Invariant::Kind::kOnlyClasses) return inv.zone;
  }
  return kNoZone;
}

}  // namespace

PolicyDecider::PolicyDecider(tables::CompiledPolicyPtr policy, fingerprint::ProfilerConfig config,
                             std::shared_ptr<const fingerprint::FingerprintDb> fingerprints)
    : profiler_(std::move(config), policy, std::move(fingerprints)) {
  setPolicy(std::move(policy), 0);
}

void PolicyDecider::setPolicy(tables::CompiledPolicyPtr policy, int64_t nowNs) {
  auto flows = classify::PolicyClassifier::build(*policy);
  // The compiler only emits rules the classifier accepts; if that ever breaks,
  // keep the last good policy rather than run without flow rules.
  if (!flows) return;
  policy_ = std::move(policy);
  flows_ = *flows;
  regionZone_ = onlyInvariantZone(*policy_);
  profiler_.setPolicy(policy_, nowNs);
  drainProfilerEvents();
}

bool PolicyDecider::popEvent(EngineEvent& out) {
  if (events_.empty()) return false;
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

bool PolicyDecider::claimsGateway(const packet::IpAddress& address) const {
  for (const tables::Zone& z : policy_->zones) {
    for (const tables::Prefix& g : z.gateways) {
      if (g.containsAddress(address.v6, address.bytes.data())) return true;
    }
  }
  return false;
}

void PolicyDecider::report(EngineEvent event) {
  if (events_.size() >= kMaxQueuedEvents) {
    ++counters_.eventsDropped;
    return;
  }
  events_.push_back(std::move(event));
}

void PolicyDecider::raise(const char* event, const IngressFrame& in, std::string detail) {
  uint64_t key = std::hash<std::string_view>{}(event);
  for (uint8_t b : in.src.bytes) key = key * 131 + b;
  RecentEvent& slot = recent_[key % recent_.size()];
  if (slot.key == key && in.nowNs - slot.timeNs < kEventHoldNs && in.nowNs >= slot.timeNs) {
    ++counters_.eventsSuppressed;
    return;
  }
  slot = {key, in.nowNs};
  report({event, in.src, in.port, in.nowNs, std::move(detail)});
}

void PolicyDecider::drainProfilerEvents() {
  fingerprint::DeviceEvent e;
  while (profiler_.popEvent(e)) {
    // Device events may fill half the queue: a flood of new devices (a
    // monitor-mode jack) must leave room for the rarer security events the
    // switch and the checks report (mac_limit, rogue_dhcp, ...).
    if (events_.size() >= kMaxQueuedDeviceEvents) {
      ++counters_.eventsDropped;
      continue;
    }
    events_.push_back({fingerprint::toString(e.kind), e.mac, e.port, e.timeNs, std::string(e.detail.view())});
  }
}

std::string PolicyDecider::ruleName(int32_t ruleIndex) const {
  return ruleIndex == classify::kDefaultDeny ? std::string("default deny")
                                             : "flow '" + policy_->flows[static_cast<size_t>(ruleIndex)].name + "'";
}

ForwardDecision PolicyDecider::decide(const IngressFrame& in, Explanation* why) {
  ++counters_.frames;
  decoder_.decode(in.frame->bytes, frame_, in.frame->wireLength);
  if (in.role != tables::PortRole::kAccess) {
    if (why) why->add("arrived on a " + std::string(tables::toString(in.role)) + " port: zone " +
                      policy_->zoneName(in.portZone) + " from the port, not filtered (flow rules apply where devices connect)");
    return {in.portZone, true, DropReason::kNone};
  }
  return decideAccess(in, why);
}

ForwardDecision PolicyDecider::decideAccess(const IngressFrame& in, Explanation* why) {
  const fingerprint::DeviceRecord* device = profiler_.observe(frame_, in.port, in.nowNs);
  if (profiler_.pendingEvents() > 0) drainProfilerEvents();
  const ZoneId zone = device ? device->zone : in.portZone;
  if (why) {
    if (device) {
      why->add("source " + in.src.toString() + ": " + device->committed.explain(*policy_) + " -> zone " +
               policy_->zoneName(zone));
    } else {
      why->add("source " + in.src.toString() + " is not profiled; the port's zone " + policy_->zoneName(zone) + " applies");
    }
  }
  if (device && device->quarantinedAsSuspect) {
    if (why) why->add("blocked: spoofing suspect (" + fingerprint::spoofReasonsToString(device->spoofReasons) + ")");
    return {zone, false, DropReason::kMacSpoofing};
  }
  if (frame_.has(packet::Layer::kDhcp) && frame_.dhcp.op == 2) {
    raise("rogue_dhcp", in, "DHCP server message from access port " + policy_->ports[in.port].interface);
    if (why) why->add("blocked: a DHCP server message from an access port (rogue DHCP)");
    return {zone, false, DropReason::kRogueDhcp};
  }
  if (frame_.has(packet::Layer::kArp) && frame_.arp.hasIps && claimsGateway(frame_.arp.senderIp)) {
    // A device on a wall jack announcing a router's address: classic ARP
    // poisoning, whatever MAC it uses. The gateways are named in the policy.
    raise("arp_spoof", in, "ARP from access port " + policy_->ports[in.port].interface + " claims gateway address " +
                               frame_.arp.senderIp.toString());
    if (why) why->add("blocked: ARP claims the gateway address " + frame_.arp.senderIp.toString() + " (ARP spoofing)");
    return {zone, false, DropReason::kArpSpoofing};
  }
  if (frame_.has(packet::Layer::kArp) && frame_.arp.hasMacs && frame_.arp.senderMac != in.src) {
    raise("arp_spoof", in, "ARP sender " + frame_.arp.senderMac.toString() + " differs from the frame's source");
    if (why) why->add("blocked: ARP sender MAC " + frame_.arp.senderMac.toString() + " is not the frame's source (ARP spoofing)");
    return {zone, false, DropReason::kArpSpoofing};
  }
  if (isLinkControl(in.dst)) {
    // LLDP, CDP, STP and EAPOL are for the switch: learned from, never forwarded.
    if (why) why->add("link-control frame for the switch itself: used as evidence, not forwarded");
    return {zone, false, DropReason::kLinkControl};
  }
  if (zone == kNoZone) return {zone, false, DropReason::kNoZone};
  if (policy_->zones[zone].quarantine) {
    if (why) why->add("blocked: zone " + policy_->zoneName(zone) + " is a quarantine zone and reaches nothing");
    return {zone, false, DropReason::kQuarantine};
  }
  if (in.dst.isMulticast()) {
    if (why) why->add("broadcast/multicast: flooded within zone " + policy_->zoneName(zone));
    return {zone, true, DropReason::kNone};
  }
  const fingerprint::DeviceRecord* target = profiler_.find(in.dst);
  const bool ip = frame_.has(packet::Layer::kIpv4) || frame_.has(packet::Layer::kIpv6);
  if (target && target->zone == zone) {
    if (policy_->zones[zone].isolated) {
      if (why) why->add("blocked: both devices are in zone " + policy_->zoneName(zone) + ", which is isolated");
      return {zone, false, DropReason::kPolicyDenied};
    }
    if (why) why->add("unicast to " + in.dst.toString() + " in the same zone " + policy_->zoneName(zone));
    return {zone, true, DropReason::kNone};
  }
  if (!ip) {
    if (why) why->add("non-IP unicast within zone " + policy_->zoneName(zone));
    return {zone, true, DropReason::kNone};
  }
  return flowDecision(zone, target, in, why);
}

ForwardDecision PolicyDecider::flowDecision(ZoneId srcZone, const fingerprint::DeviceRecord* target,
                                            const IngressFrame& in, Explanation* why) {
  classify::FlowQuery q;
  q.srcZone = srcZone;
  q.dstZone = target ? target->zone : policy_->zoneContaining(frame_.ip.dst.v6, frame_.ip.dst.bytes.data());
  q.v6 = frame_.ip.dst.v6;
  q.dst = frame_.ip.dst.bytes;
  q.ipProto = frame_.ip.protocol;
  q.dstPort = (frame_.has(packet::Layer::kTcp) || frame_.has(packet::Layer::kUdp)) ? frame_.l4.dstPort : 0;
  const classify::PolicyVerdict v = flows_->verdict(q);
  if (why) {
    why->flowRule = v.ruleIndex;
    why->add(q.toString() + ": " + tables::toString(v.action) + " by " + ruleName(v.ruleIndex) +
             (v.mode == tables::Mode::kMonitor ? " (monitor mode)" : ""));
  }
  if (v.action == tables::Action::kAllow) return {srcZone, true, DropReason::kNone};
  const bool byInvariant = v.ruleIndex >= 0 && policy_->flows[static_cast<size_t>(v.ruleIndex)].name.rfind("invariant:", 0) == 0;
  if (byInvariant) {
    // R5: nothing outside the region zone may reach toward it; say so every time.
    raise(srcZone != regionZone_ ? "region_access_attempt" : "invariant_blocked", in,
          "zone " + policy_->zoneName(srcZone) + " -> " + frame_.ip.dst.toString() + " blocked by " + ruleName(v.ruleIndex));
  } else if (v.mode == tables::Mode::kMonitor) {
    ++counters_.monitorOnly;
    // Monitor mode logs what enforcement would drop (docs/policy.md): the same
    // verdict, named, once per device per kEventHoldNs (raise() holds repeats).
    raise("flow_denied", in,
          "monitor mode, passed: zone " + policy_->zoneName(srcZone) + " -> " + frame_.ip.dst.toString() +
              " would be denied by " + ruleName(v.ruleIndex));
    if (why) why->add("monitor mode: passed, and counted as a would-be drop");
    return {srcZone, true, DropReason::kNone};
  }
  return {srcZone, false, DropReason::kPolicyDenied, byInvariant};
}

}  // namespace portvakt::engine
