#include "dataplane/classify/policy_rules.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

namespace portvakt::classify {

namespace {

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;

uint32_t loadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

bool hasPorts(tables::Protocol p) { return p == tables::Protocol::kTcp || p == tables::Protocol::kUdp; }

bool bitAt(const tables::Prefix& p, int bit) { return ((p.addr[bit / 8] >> (7 - bit % 8)) & 1) != 0; }

// The two halves of p (p.length < maxLength).
std::array<tables::Prefix, 2> halves(const tables::Prefix& p) {
  tables::Prefix lo = p, hi = p;
  lo.length = hi.length = static_cast<uint8_t>(p.length + 1);
  hi.addr[p.length / 8] |= static_cast<uint8_t>(0x80 >> (p.length % 8));
  return {lo, hi};
}

// Clears the host bits, so a prefix written with them set ("10.1.2.3/8") means
// what containsAddress makes it mean: only the first `length` bits count.
tables::Prefix canonical(tables::Prefix p) {
  for (int i = 0; i < 16; ++i) {
    int bits = std::clamp(static_cast<int>(p.length) - 8 * i, 0, 8);
    p.addr[i] &= static_cast<uint8_t>(0xff00 >> bits);
  }
  return p;
}

void subtract(const tables::Prefix& p, const std::vector<const tables::Prefix*>& except,
              std::vector<tables::Prefix>& out) {
  std::vector<const tables::Prefix*> inside;
  for (const tables::Prefix* e : except) {
    if (e->contains(p)) return;  // carved out whole
    if (p.contains(*e)) inside.push_back(e);
  }
  if (inside.empty()) {
    out.push_back(p);
    return;
  }
  // Every remaining except is strictly longer than p, so p can be halved; each
  // except lies in exactly one half.
  auto [lo, hi] = halves(p);
  std::vector<const tables::Prefix*> loEx, hiEx;
  for (const tables::Prefix* e : inside) (bitAt(*e, p.length) ? hiEx : loEx).push_back(e);
  subtract(lo, loEx, out);
  subtract(hi, hiEx, out);
}

}  // namespace

FlowQuery FlowQuery::ipv4(tables::ZoneId srcZone, tables::ZoneId dstZone, uint32_t dst, uint8_t ipProto,
                          uint16_t dstPort) {
  FlowQuery q;
  q.srcZone = srcZone;
  q.dstZone = dstZone;
  for (int i = 0; i < 4; ++i) q.dst[i] = static_cast<uint8_t>(dst >> (24 - 8 * i));
  q.ipProto = ipProto;
  q.dstPort = dstPort;
  return q;
}

FlowQuery FlowQuery::ipv6(tables::ZoneId srcZone, tables::ZoneId dstZone, const uint8_t* dst, uint8_t ipProto,
                          uint16_t dstPort) {
  FlowQuery q;
  q.srcZone = srcZone;
  q.dstZone = dstZone;
  q.v6 = true;
  std::copy(dst, dst + 16, q.dst.begin());
  q.ipProto = ipProto;
  q.dstPort = dstPort;
  return q;
}

std::string FlowQuery::toString() const {
  tables::Prefix p;
  p.v6 = v6;
  p.addr = v6 ? dst : std::array<uint8_t, 16>{dst[0], dst[1], dst[2], dst[3]};
  p.length = static_cast<uint8_t>(p.maxLength());
  char buf[160];
  std::snprintf(buf, sizeof buf, "src_zone=%u dst_zone=%u dst=%s proto=%u dport=%u", unsigned{srcZone}, unsigned{dstZone},
                p.toString().c_str(), unsigned{ipProto}, unsigned{dstPort});
  return buf;
}

std::vector<tables::Prefix> subtractPrefixes(const tables::Prefix& prefix, const std::vector<tables::Prefix>& except) {
  tables::Prefix p = canonical(prefix);
  std::vector<tables::Prefix> canon;
  canon.reserve(except.size());
  for (const tables::Prefix& e : except) {
    if (e.v6 == p.v6) canon.push_back(canonical(e));
  }
  std::vector<const tables::Prefix*> ptrs;
  for (const tables::Prefix& e : canon) ptrs.push_back(&e);
  std::vector<tables::Prefix> out;
  subtract(p, ptrs, out);
  return out;
}

FlowKey PolicyClassifier::key(const FlowQuery& q) noexcept {
  FlowKey k;
  k.set(Field::kZone, q.srcZone);
  k.set(Field::kEtherType, q.v6 ? kEtherTypeIpv6 : kEtherTypeIpv4);
  k.set(Field::kProtocol, q.ipProto);
  k.set(Field::kSrcPort, q.dstZone);  // see the header: the destination zone's dimension
  // Only tcp/udp rules test the port, and they also pin the protocol, so the
  // port of any other protocol cannot change a verdict: zero it so that one
  // flow cache entry serves all of them.
  k.set(Field::kDstPort, q.ipProto == kProtoTcp || q.ipProto == kProtoUdp ? q.dstPort : 0);
  int words = q.v6 ? 4 : 1;
  for (int w = 0; w < words; ++w) k.f[static_cast<int>(Field::kDst0) + w] = loadBe32(q.dst.data() + 4 * w);
  return k;
}

Expected<PolicyClassifierPtr> PolicyClassifier::build(const tables::CompiledPolicy& policy, const BuildOptions& options) {
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<PolicyClassifier> pc(new PolicyClassifier());
  pc->defaultMode_ = policy.mode;
  PolicyClassifierStats& st = pc->stats_;
  st.flowRules = policy.flows.size();

  // Per source zone: its classifier rules in flow order, and their flow rules.
  std::map<tables::ZoneId, std::pair<std::vector<Rule>, std::vector<int32_t>>> byZone;
  std::map<tables::ZoneId, size_t> flowCount;
  for (size_t i = 0; i < policy.flows.size(); ++i) {
    const tables::FlowRule& f = policy.flows[i];
    const std::string at = "flow rule " + std::to_string(i) + " '" + f.name + "': ";
    if (hasPorts(f.protocol) && f.ports.low > f.ports.high)
      return Error{at + "empty port range " + f.ports.toString(), static_cast<long>(i)};
    for (const auto* list : {&f.toPrefixes, &f.exceptPrefixes}) {
      for (const tables::Prefix& p : *list) {
        if (p.length > p.maxLength())
          return Error{at + "prefix length " + std::to_string(p.length) + " is too long for its family",
                       static_cast<long>(i)};
      }
    }
    pc->outcomes_.push_back({f.action, f.mode});

    // The source zone is not in the rule: each zone has its own classifier.
    Rule base;
    if (auto n = protocolNumber(f.protocol)) base.protocol = *n;
    if (hasPorts(f.protocol)) base.dstPorts = f.ports;
    base.value = static_cast<uint32_t>(i);

    ++flowCount[f.from];
    auto& [rules, flowOf] = byZone[f.from];
    size_t before = rules.size();
    if (f.toZone != tables::kNoZone) {
      Rule r = base;
      r.srcPorts = tables::PortRange{f.toZone, f.toZone};
      rules.push_back(r);
      ++st.zoneRules;
    }
    for (const tables::Prefix& p : f.toPrefixes) {
      std::vector<tables::Prefix> pieces = subtractPrefixes(p, f.exceptPrefixes);
      bool carved = pieces.size() != 1 || pieces.front() != canonical(p);
      if (carved) st.carvedPieces += pieces.size();
      for (const tables::Prefix& piece : pieces) {
        Rule r = base;
        r.dst = piece;
        rules.push_back(r);
        ++st.prefixRules;
      }
    }
    flowOf.insert(flowOf.end(), rules.size() - before, static_cast<int32_t>(i));
  }

  st.bytes = sizeof(PolicyClassifier) + pc->outcomes_.capacity() * sizeof(Outcome);
  for (auto& [zone, table] : byZone) {
    auto& [rules, flowOf] = table;
    PolicyClassifierStats::PerZone z;
    z.zone = zone;
    z.name = policy.zoneName(zone);
    z.flowRules = flowCount[zone];
    z.expandedRules = rules.size();
    st.expandedRules += rules.size();
    if (!rules.empty()) {
      auto built = Classifier::build(std::move(rules), options);
      if (!built) {
        // Not expected after the checks above; name the flow rule anyway.
        Error e = built.error();
        if (e.index >= 0 && static_cast<size_t>(e.index) < flowOf.size()) e.index = flowOf[e.index];
        e.message = "policy classifier, zone " + z.name + ": " + e.message;
        return e;
      }
      if (pc->zones_.size() <= zone) pc->zones_.resize(size_t{zone} + 1);
      const ClassifierStats& cs = (*built)->stats();
      z.nodes = cs.nodes;
      z.maxDepth = cs.maxDepth;
      z.bytes = cs.bytes + flowOf.capacity() * sizeof(int32_t);
      st.bytes += z.bytes;
      st.nodes += cs.nodes;
      st.maxDepth = std::max(st.maxDepth, cs.maxDepth);
      st.maxLeaf = std::max(st.maxLeaf, cs.maxLeaf);
      pc->zones_[zone] = ZoneTable{std::move(*built), std::move(flowOf)};
    }
    st.perZone.push_back(std::move(z));
  }
  st.bytes += pc->zones_.capacity() * sizeof(ZoneTable);
  st.buildMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return PolicyClassifierPtr(std::move(pc));
}

std::string PolicyClassifier::describe() const {
  const PolicyClassifierStats& st = stats_;
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "policy classifier: %zu flow rules -> %zu classifier rules (%zu zone-target, %zu prefix; %zu of "
                "them from except carve-outs) in %zu per-zone classifiers, %zu nodes, depth %zu, largest leaf %zu, "
                "%zu bytes, built in %.2f ms\n",
                st.flowRules, st.expandedRules, st.zoneRules, st.prefixRules, st.carvedPieces, st.perZone.size(),
                st.nodes, st.maxDepth, st.maxLeaf, st.bytes, st.buildMs);
  out += buf;
  for (const auto& z : st.perZone) {
    std::snprintf(buf, sizeof buf, "  from %s: %zu flow rules -> %zu classifier rules, %zu nodes, depth %zu, %zu bytes\n",
                  z.name.c_str(), z.flowRules, z.expandedRules, z.nodes, z.maxDepth, z.bytes);
    out += buf;
  }
  out += "  key: sport = destination zone, dport and dst address from the packet; one classifier per source zone\n";
  return out;
}

bool PolicyReference::matches(const tables::FlowRule& r, const FlowQuery& q) noexcept {
  if (q.srcZone != r.from) return false;
  bool toZone = r.toZone != tables::kNoZone && q.dstZone == r.toZone;
  auto in = [&](const std::vector<tables::Prefix>& list) {
    return std::any_of(list.begin(), list.end(),
                       [&](const tables::Prefix& p) { return p.containsAddress(q.v6, q.dst.data()); });
  };
  if (!toZone && !(in(r.toPrefixes) && !in(r.exceptPrefixes))) return false;
  switch (r.protocol) {
    case tables::Protocol::kAny: return true;
    case tables::Protocol::kIcmp: return q.ipProto == 1;
    case tables::Protocol::kIcmpv6: return q.ipProto == 58;
    case tables::Protocol::kTcp: return q.ipProto == kProtoTcp && r.ports.contains(q.dstPort);
    case tables::Protocol::kUdp: return q.ipProto == kProtoUdp && r.ports.contains(q.dstPort);
  }
  return false;
}

int32_t PolicyReference::lookup(const FlowQuery& q) const noexcept {
  for (size_t i = 0; i < flows_.size(); ++i) {
    if (matches(flows_[i], q)) return static_cast<int32_t>(i);
  }
  return kDefaultDeny;
}

PolicyVerdict PolicyReference::verdict(const FlowQuery& q) const noexcept {
  int32_t i = lookup(q);
  if (i < 0) return {tables::Action::kDeny, defaultMode_, kDefaultDeny};
  return {flows_[static_cast<size_t>(i)].action, flows_[static_cast<size_t>(i)].mode, i};
}

}  // namespace portvakt::classify
