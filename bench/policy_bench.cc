// Policy classifier benchmarks: the policy's flow rules compiled onto the fast
// classifier (PolicyClassifier) beside their direct linear evaluation
// (PolicyReference), on
//   clinic: vardcentral-karlstad as compiled (13 flow rules: 5 invariant denies,
//           internet flows with private carve-outs, zone-target print rules);
//   region: a synthetic large site built the same way: 48 zones, ~2600 flow
//           rules (zone targets, RDnet subnets, internet with carve-outs, IPv6),
//           the size a whole region's merged policy might reach.
// Traffic is synthetic, drawn per zone the way a clinic's devices talk: mostly
// tcp/udp to RDnet, the internet and local devices, some icmp, some traffic no
// rule allows. No locality is assumed (the queries are shuffled).
//
//   build-dir/bench/portvakt_policy_bench      (from the project root)
//
// Counters: lookups_per_s (rate), time_per_lookup (seconds per lookup),
// flow_rules, classifier_rules, bytes, build_ms; for the cached run hit_rate.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "dataplane/classify/flow_cache.h"
#include "dataplane/classify/policy_rules.h"

namespace classify = portvakt::classify;
namespace tables = portvakt::tables;

namespace {

using tables::Action;
using tables::kNoZone;
using tables::Mode;
using tables::Prefix;
using tables::Protocol;
using tables::ZoneId;

Prefix pfx(const char* text) { return *Prefix::parse(text); }

Prefix v4(uint32_t a, int len) {
  Prefix p;
  uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  a &= mask;
  for (int i = 0; i < 4; ++i) p.addr[i] = static_cast<uint8_t>(a >> (24 - 8 * i));
  p.length = static_cast<uint8_t>(len);
  return p;
}

tables::FlowRule flow(std::string name, ZoneId from, ZoneId toZone, std::vector<Prefix> to, std::vector<Prefix> except,
                      Protocol proto, tables::PortRange ports = {}, Action action = Action::kAllow) {
  tables::FlowRule r;
  r.name = std::move(name);
  r.from = from;
  r.toZone = toZone;
  r.toPrefixes = std::move(to);
  r.exceptPrefixes = std::move(except);
  r.protocol = proto;
  r.ports = ports;
  r.action = action;
  return r;
}

std::vector<Prefix> internet() { return {pfx("0.0.0.0/0"), pfx("::/0")}; }
std::vector<Prefix> notInternet() {
  return {pfx("10.0.0.0/8"), pfx("172.16.0.0/12"), pfx("192.168.0.0/16"), pfx("fc00::/7")};
}

// examples/vardcentral-karlstad.yaml on examples/region-base.yaml, as
// `portvakt policy compile --dump` prints its flows.
tables::CompiledPolicy clinicPolicy() {
  tables::CompiledPolicy p;
  p.name = "vardcentral-karlstad";
  for (const char* z : {"region", "voice", "conference", "quarantine", "printers"})
    p.zones.push_back({z, 0, "", false, false, {}, {}});
  enum : ZoneId { kRegion, kVoice, kConference, kQuarantine, kPrinters };
  auto& f = p.flows;
  f.push_back(flow("invariant:voice-never-region", kVoice, kRegion, {}, {}, Protocol::kAny, {}, Action::kDeny));
  f.push_back(
      flow("invariant:voice-never-rdnet", kVoice, kNoZone, {pfx("10.0.0.0/8")}, {}, Protocol::kAny, {}, Action::kDeny));
  f.push_back(flow("invariant:region-never-voice", kRegion, kVoice, {}, {}, Protocol::kAny, {}, Action::kDeny));
  f.push_back(flow("invariant:conference-never-region", kConference, kRegion, {}, {}, Protocol::kAny, {}, Action::kDeny));
  f.push_back(flow("invariant:conference-never-rdnet", kConference, kNoZone, {pfx("10.0.0.0/8")}, {}, Protocol::kAny, {},
                   Action::kDeny));
  f.push_back(flow("voice-signalling", kVoice, kNoZone, internet(), notInternet(), Protocol::kUdp, {5060, 5061}));
  f.push_back(flow("voice-signalling", kVoice, kNoZone, internet(), notInternet(), Protocol::kTcp, {5060, 5061}));
  f.push_back(flow("voice-media", kVoice, kNoZone, internet(), notInternet(), Protocol::kUdp, {10000, 20000}));
  f.push_back(flow("conference-web", kConference, kNoZone, internet(), notInternet(), Protocol::kTcp, {443, 443}));
  f.push_back(flow("eklient-rdnet", kRegion, kNoZone, {pfx("10.0.0.0/8")}, {}, Protocol::kAny));
  for (uint16_t port : {9100, 631, 443}) {
    f.push_back(flow("eklient-print", kRegion, kPrinters, {}, {}, Protocol::kTcp, {port, port}));
  }
  return p;
}

// 48 zones (16 sites × region/voice/conference-like roles); per zone the
// invariant denies, RDnet service subnets with ports, internet flows with the
// private carve-outs and per-site extra carve-outs, zone-target rules to a few
// other zones, and IPv6 rules. Deterministic.
tables::CompiledPolicy regionPolicy() {
  tables::CompiledPolicy p;
  p.name = "synthetic-region";
  constexpr int kZones = 48;
  for (int z = 0; z < kZones; ++z) p.zones.push_back({"zone" + std::to_string(z), 0, "", false, false, {}, {}});
  std::mt19937_64 rng(4711);
  auto pick = [&](uint64_t n) { return rng() % n; };
  const uint16_t services[] = {443, 80, 53, 389, 636, 88, 445, 3389, 1433, 8080, 8443, 9100, 631, 123, 514, 5060};
  auto& f = p.flows;
  for (int z = 0; z < kZones; ++z) {  // invariants first, as the compiler orders them
    ZoneId other = static_cast<ZoneId>((z + 1 + pick(kZones - 1)) % kZones);
    f.push_back(flow("invariant", static_cast<ZoneId>(z), other, {}, {}, Protocol::kAny, {}, Action::kDeny));
    if (z % 3 != 0) {
      f.push_back(
          flow("invariant", static_cast<ZoneId>(z), kNoZone, {pfx("10.0.0.0/8")}, {}, Protocol::kAny, {}, Action::kDeny));
    }
  }
  for (int z = 0; z < kZones; ++z) {
    ZoneId from = static_cast<ZoneId>(z);
    // RDnet service subnets: /16 to /28 inside 10/8, one service each.
    for (int i = 0; i < 24; ++i) {
      Prefix to = v4(0x0a000000u | static_cast<uint32_t>(rng() & 0x00ffffff), 16 + static_cast<int>(pick(13)));
      uint16_t port = services[pick(std::size(services))];
      Protocol proto = port == 53 || port == 123 || port == 514 ? Protocol::kUdp : Protocol::kTcp;
      Action action = pick(8) == 0 ? Action::kDeny : Action::kAllow;
      f.push_back(flow("rdnet-service", from, kNoZone, {to}, {}, proto, {port, port}, action));
    }
    // Internet with carve-outs: the private ranges plus a site block list.
    std::vector<Prefix> except = notInternet();
    for (int i = 0; i < 3; ++i) except.push_back(v4(static_cast<uint32_t>(rng()), 20 + static_cast<int>(pick(9))));
    for (uint16_t port : {443, 80})
      f.push_back(flow("internet-web", from, kNoZone, internet(), except, Protocol::kTcp, {port, port}));
    f.push_back(flow("internet-dns", from, kNoZone, {pfx("0.0.0.0/0")}, except, Protocol::kUdp, {53, 53}));
    f.push_back(flow("internet-ping", from, kNoZone, {pfx("0.0.0.0/0")}, except, Protocol::kIcmp));
    // Zone targets: printers, servers, phones of the same site.
    for (int i = 0; i < 8; ++i) {
      ZoneId to = static_cast<ZoneId>(pick(kZones));
      uint16_t port = services[pick(std::size(services))];
      f.push_back(flow("zone-service", from, to, {}, {}, Protocol::kTcp, {port, port}));
    }
    // IPv6 services in the region's /32.
    for (int i = 0; i < 6; ++i) {
      Prefix to = pfx("2001:db8::/32");
      to.length = static_cast<uint8_t>(48 + 8 * pick(3));
      to.addr[4] = static_cast<uint8_t>(pick(4));
      to.addr[5] = static_cast<uint8_t>(pick(256));
      if (to.length > 48) to.addr[6] = static_cast<uint8_t>(pick(256));
      if (to.length > 56) to.addr[7] = static_cast<uint8_t>(pick(256));
      f.push_back(flow("v6-service", from, kNoZone, {to}, {}, Protocol::kTcp, {443, 443}));
    }
    f.push_back(
        flow("rdnet-any", from, kNoZone, {v4(0x0a000000u | (static_cast<uint32_t>(z) << 16), 16)}, {}, Protocol::kAny));
  }
  return p;
}

// Per-frame queries as the pipeline would fill them, shuffled.
std::vector<classify::FlowQuery> traffic(const tables::CompiledPolicy& p, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t k) { return rng() % k; };
  // Destinations the policy names, so a fair share of the traffic is allowed.
  std::vector<Prefix> named;
  for (const auto& r : p.flows) {
    for (const Prefix& x : r.toPrefixes) {
      if (x.length > 0) named.push_back(x);
    }
    for (const Prefix& x : r.exceptPrefixes) named.push_back(x);
  }
  const uint16_t ports[] = {443, 443, 443, 80, 53, 5060, 10500, 9100, 631, 22, 3389, 8080, 123};
  std::vector<classify::FlowQuery> out;
  out.reserve(n);
  const auto zones = static_cast<ZoneId>(p.zones.size());
  for (size_t i = 0; i < n; ++i) {
    classify::FlowQuery q;
    q.srcZone = static_cast<ZoneId>(pick(zones));
    q.dstZone = pick(4) == 0 ? static_cast<ZoneId>(pick(zones)) : kNoZone;
    uint32_t r = static_cast<uint32_t>(pick(10));
    if (r < 5 && !named.empty()) {  // inside something the policy names
      Prefix x = named[pick(named.size())];
      q.v6 = x.v6;
      q.dst = x.addr;
      for (int b = x.length; b < x.maxLength(); ++b) {
        if (pick(2)) q.dst[b / 8] |= static_cast<uint8_t>(0x80 >> (b % 8));
      }
    } else if (r < 9) {  // anywhere on the IPv4 internet
      uint32_t a = static_cast<uint32_t>(rng());
      for (int b = 0; b < 4; ++b) q.dst[b] = static_cast<uint8_t>(a >> (24 - 8 * b));
    } else {  // IPv6 internet
      q.v6 = true;
      q.dst[0] = 0x20;
      for (int b = 1; b < 16; ++b) q.dst[b] = static_cast<uint8_t>(rng());
    }
    uint32_t pr = static_cast<uint32_t>(pick(20));
    q.ipProto = pr < 13 ? 6 : pr < 19 ? 17 : (q.v6 ? 58 : 1);
    if (q.ipProto == 6 || q.ipProto == 17) q.dstPort = ports[pick(std::size(ports))];
    out.push_back(q);
  }
  return out;
}

struct Setup {
  tables::CompiledPolicy policy;
  classify::PolicyClassifierPtr fast;
  std::unique_ptr<classify::PolicyReference> reference;
  std::vector<classify::FlowQuery> queries;
};

std::map<std::string, Setup>& setups() {
  static std::map<std::string, Setup> s;
  return s;
}

void setRate(benchmark::State& state, size_t lookups) {
  double n = static_cast<double>(lookups) * static_cast<double>(state.iterations());
  state.counters["lookups_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["time_per_lookup"] = benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void shape(benchmark::State& state, const Setup& s) {
  const auto& st = s.fast->stats();
  state.counters["flow_rules"] = double(st.flowRules);
  state.counters["classifier_rules"] = double(st.expandedRules);
  state.counters["bytes"] = double(st.bytes);
}

void classifierLookups(benchmark::State& state, const std::string& name) {
  const Setup& s = setups().at(name);
  for (auto _ : state) {
    for (const auto& q : s.queries) benchmark::DoNotOptimize(s.fast->verdict(q));
  }
  setRate(state, s.queries.size());
  shape(state, s);
}

// The reference is slow on the large policy; a slice of the queries is enough.
void referenceLookups(benchmark::State& state, const std::string& name) {
  const Setup& s = setups().at(name);
  size_t n = std::min<size_t>(s.queries.size(), s.policy.flows.size() > 1000 ? 8192 : s.queries.size());
  for (auto _ : state) {
    for (size_t i = 0; i < n; ++i) benchmark::DoNotOptimize(s.reference->verdict(s.queries[i]));
  }
  setRate(state, n);
}

// A flow cache in front, the traffic replayed with every query repeated in a
// short burst (a flow's packets), as the pipeline would see it.
void cachedLookups(benchmark::State& state, const std::string& name) {
  const Setup& s = setups().at(name);
  classify::FlowCache cache(classify::FlowCacheOptions{1 << 14, 0});
  const classify::PolicyClassifier& pc = *s.fast;
  size_t n = 0;
  for (auto _ : state) {
    for (const auto& q : s.queries) {
      classify::FlowKey k = classify::PolicyClassifier::key(q);
      const classify::Classifier* c = pc.classifierFor(q.srcZone);
      for (int burst = 0; burst < 8; ++burst) {
        benchmark::DoNotOptimize(c ? pc.verdictOf(pc.flowOf(q.srcZone, cache.lookup(*c, k))) : pc.verdictOf(-1));
      }
    }
    n = s.queries.size() * 8;
  }
  setRate(state, n);
  double hits = double(cache.stats().hits), misses = double(cache.stats().misses);
  state.counters["hit_rate"] = hits / std::max(1.0, hits + misses);
}

void build(benchmark::State& state, const std::string& name) {
  const Setup& s = setups().at(name);
  double ms = 0;
  for (auto _ : state) {
    auto pc = classify::PolicyClassifier::build(s.policy);
    ms = (*pc)->stats().buildMs;
    benchmark::DoNotOptimize(pc);
  }
  state.counters["build_ms"] = ms;
  shape(state, s);
}

bool prepare(const std::string& name, tables::CompiledPolicy policy) {
  Setup s;
  s.policy = std::move(policy);
  auto pc = classify::PolicyClassifier::build(s.policy);
  if (!pc) {
    std::cerr << "policy_bench: " << name << ": " << pc.error().message << "\n";
    return false;
  }
  s.fast = *pc;
  s.reference = std::make_unique<classify::PolicyReference>(s.policy);
  s.queries = traffic(s.policy, 1 << 16, 99);
  // A benchmark of wrong answers is worthless: check them all first.
  size_t allowed = 0;
  for (const auto& q : s.queries) {
    auto v = s.fast->verdict(q);
    if (v != s.reference->verdict(q)) {
      std::cerr << "policy_bench: " << name << ": classifier and reference disagree on " << q.toString() << "\n";
      return false;
    }
    allowed += v.action == Action::kAllow;
  }
  std::cerr << name << ": " << s.fast->describe() << "  traffic: " << s.queries.size() << " queries, "
            << 100.0 * double(allowed) / double(s.queries.size()) << "% allowed, all checked against the reference\n";
  setups()[name] = std::move(s);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (!prepare("clinic", clinicPolicy()) || !prepare("region", regionPolicy())) return 1;
  for (const char* name : {"clinic", "region"}) {
    std::string s = name;
    benchmark::RegisterBenchmark(("policy/classifier/" + s).c_str(), classifierLookups, s)->UseRealTime();
    benchmark::RegisterBenchmark(("policy/reference/" + s).c_str(), referenceLookups, s)->UseRealTime();
    benchmark::RegisterBenchmark(("policy/cached/" + s).c_str(), cachedLookups, s)->UseRealTime();
    benchmark::RegisterBenchmark(("policy/build/" + s).c_str(), build, s)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
