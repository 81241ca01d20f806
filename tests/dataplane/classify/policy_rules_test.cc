// PolicyClassifier (flow rules on the fast classifier) against the meaning of
// the flow rules: hand-written cases on a clinic policy with known answers, the
// prefix subtraction on its own, and a differential test on random policies
// (overlapping and nested prefixes and carve-outs, IPv4 and IPv6, zone targets,
// every protocol, port ranges) where PolicyClassifier must agree with
// PolicyReference on every query. The policies are built in code: this binary
// does not link the YAML compiler.
#include "dataplane/classify/policy_rules.h"

#include <gtest/gtest.h>

#include <random>

#include "dataplane/classify/flow_cache.h"

namespace portvakt::classify {
namespace {

using tables::Action;
using tables::kNoZone;
using tables::Mode;
using tables::Prefix;
using tables::Protocol;
using tables::ZoneId;

#if defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 2;  // ~5 s under ASan+UBSan; keep the sanitizer run within CI's budget
#else
constexpr int kScale = 1;
#endif

Prefix pfx(const char* text) {
  auto p = Prefix::parse(text);
  EXPECT_TRUE(p) << text;
  return p.value_or(Prefix{});
}

std::vector<Prefix> pfxs(std::initializer_list<const char*> texts) {
  std::vector<Prefix> out;
  for (const char* t : texts) out.push_back(pfx(t));
  return out;
}

FlowQuery query(ZoneId from, ZoneId toZone, const char* address, uint8_t proto, uint16_t port) {
  Prefix p = pfx(address);
  FlowQuery q;
  q.srcZone = from;
  q.dstZone = toZone;
  q.v6 = p.v6;
  q.dst = p.addr;
  q.ipProto = proto;
  q.dstPort = port;
  return q;
}

tables::FlowRule flow(std::string name, ZoneId from, ZoneId toZone, std::vector<Prefix> to, std::vector<Prefix> except,
                      Protocol proto, tables::PortRange ports = {}, Action action = Action::kAllow,
                      Mode mode = Mode::kEnforce) {
  tables::FlowRule r;
  r.name = std::move(name);
  r.from = from;
  r.toZone = toZone;
  r.toPrefixes = std::move(to);
  r.exceptPrefixes = std::move(except);
  r.protocol = proto;
  r.ports = ports;
  r.action = action;
  r.mode = mode;
  return r;
}

tables::PortRange port(uint16_t p) { return {p, p}; }

constexpr ZoneId kRegion = 0, kVoice = 1, kConference = 2, kQuarantine = 3, kPrinters = 4;

// vardcentral-karlstad as `portvakt policy compile --dump` prints it (rules 0-12),
// then rules that exercise what the example does not: monitor mode, icmp,
// nested carve-outs that fall through to a later rule, IPv6 carve-outs, and a
// zone target with prefixes beside it.
tables::CompiledPolicy clinicPolicy() {
  tables::CompiledPolicy p;
  p.name = "clinic";
  for (const char* z : {"region", "voice", "conference", "quarantine", "printers"}) {
    tables::Zone zone;
    zone.name = z;
    p.zones.push_back(zone);
  }
  auto internet = pfxs({"0.0.0.0/0", "::/0"});
  auto notInternet = pfxs({"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"});
  auto& f = p.flows;
  f.push_back(flow("invariant:voice-never-region", kVoice, kRegion, {}, {}, Protocol::kAny, {}, Action::kDeny));
  f.push_back(
      flow("invariant:voice-never-rdnet", kVoice, kNoZone, pfxs({"10.0.0.0/8"}), {}, Protocol::kAny, {}, Action::kDeny));
  f.push_back(flow("invariant:region-never-voice", kRegion, kVoice, {}, {}, Protocol::kAny, {}, Action::kDeny));
  f.push_back(flow("invariant:conference-never-region", kConference, kRegion, {}, {}, Protocol::kAny, {}, Action::kDeny));
  f.push_back(flow("invariant:conference-never-rdnet", kConference, kNoZone, pfxs({"10.0.0.0/8"}), {}, Protocol::kAny, {},
                   Action::kDeny));
  f.push_back(flow("voice-signalling", kVoice, kNoZone, internet, notInternet, Protocol::kUdp, {5060, 5061}));
  f.push_back(flow("voice-signalling", kVoice, kNoZone, internet, notInternet, Protocol::kTcp, {5060, 5061}));
  f.push_back(flow("voice-media", kVoice, kNoZone, internet, notInternet, Protocol::kUdp, {10000, 20000}));
  f.push_back(flow("conference-web", kConference, kNoZone, internet, notInternet, Protocol::kTcp, port(443)));
  f.push_back(flow("eklient-rdnet", kRegion, kNoZone, pfxs({"10.0.0.0/8"}), {}, Protocol::kAny));
  f.push_back(flow("eklient-print", kRegion, kPrinters, {}, {}, Protocol::kTcp, port(9100)));
  f.push_back(flow("eklient-print", kRegion, kPrinters, {}, {}, Protocol::kTcp, port(631)));
  f.push_back(flow("eklient-print", kRegion, kPrinters, {}, {}, Protocol::kTcp, port(443)));
  // 13..
  f.push_back(flow("printer-scan", kPrinters, kNoZone, pfxs({"10.20.0.0/16"}), {}, Protocol::kTcp, port(9100),
                   Action::kAllow, Mode::kMonitor));
  f.push_back(flow("conference-ping", kConference, kNoZone, internet, notInternet, Protocol::kIcmp));
  f.push_back(flow("conference-ping6", kConference, kNoZone, pfxs({"::/0"}), pfxs({"fc00::/7"}), Protocol::kIcmpv6));
  f.push_back(flow("dns-but-lab", kRegion, kNoZone, pfxs({"192.168.0.0/16"}),
                   pfxs({"192.168.1.0/24", "192.168.1.128/25"}), Protocol::kUdp, port(53)));
  f.push_back(flow("lab-dns-denied", kRegion, kNoZone, pfxs({"192.168.1.0/24"}), {}, Protocol::kUdp, port(53),
                   Action::kDeny, Mode::kMonitor));
  f.push_back(flow("ssh-v6", kRegion, kNoZone, pfxs({"2001:db8::/32"}), pfxs({"2001:db8:1::/48", "2001:db8:1:2::/64"}),
                   Protocol::kTcp, port(22)));
  f.push_back(flow("printers-web", kPrinters, kRegion, pfxs({"172.16.0.0/12"}), pfxs({"172.16.5.0/24"}), Protocol::kTcp,
                   port(80)));
  return p;
}

struct Case {
  const char* what;
  FlowQuery q;
  int32_t rule;  // expected flow index or kDefaultDeny
};

TEST(PolicyClassifier, ClinicPolicyCases) {
  tables::CompiledPolicy policy = clinicPolicy();
  auto built = PolicyClassifier::build(policy);
  ASSERT_TRUE(built) << built.error().message;
  const PolicyClassifier& pc = **built;
  PolicyReference ref(policy);
  constexpr int32_t kDeny = kDefaultDeny;
  const Case cases[] = {
      {"voice to a region device: the invariant deny comes before any allow",
       query(kVoice, kRegion, "203.0.113.7", 17, 5060), 0},
      {"voice to RDnet is denied by the invariant", query(kVoice, kNoZone, "10.20.0.5", 6, 443), 1},
      {"voice signalling udp to the internet", query(kVoice, kNoZone, "203.0.113.7", 17, 5060), 5},
      {"voice signalling tcp, top of the range", query(kVoice, kNoZone, "203.0.113.7", 6, 5061), 6},
      {"voice tcp just above the range: default deny", query(kVoice, kNoZone, "203.0.113.7", 6, 5062), kDeny},
      {"voice to private 172.16/12 is carved out", query(kVoice, kNoZone, "172.16.3.3", 17, 5060), kDeny},
      {"voice to the last address of 192.168/16 is carved out", query(kVoice, kNoZone, "192.168.255.255", 17, 5060),
       kDeny},
      {"voice to the first address after 192.168/16", query(kVoice, kNoZone, "192.169.0.0", 17, 5060), 5},
      {"voice to the first address after 172.16/12", query(kVoice, kNoZone, "172.32.0.0", 17, 5060), 5},
      {"voice to the last address before 172.16/12", query(kVoice, kNoZone, "172.15.255.255", 17, 5060), 5},
      {"voice media over IPv6", query(kVoice, kNoZone, "2001:db8::1", 17, 15000), 7},
      {"voice media to fc00::/7 is carved out", query(kVoice, kNoZone, "fd00::1", 17, 15000), kDeny},
      {"voice media just after fc00::/7", query(kVoice, kNoZone, "fe00::1", 17, 15000), 7},
      {"voice media port 20001: default deny", query(kVoice, kNoZone, "203.0.113.7", 17, 20001), kDeny},
      {"conference web", query(kConference, kNoZone, "203.0.113.7", 6, 443), 8},
      {"conference to RDnet is denied by the invariant", query(kConference, kNoZone, "10.1.1.1", 6, 443), 4},
      {"conference to a region device (address outside RDnet)", query(kConference, kRegion, "172.16.0.1", 6, 443), 3},
      {"conference ping (icmp = protocol 1)", query(kConference, kNoZone, "8.8.8.8", 1, 0), 14},
      {"icmpv6 over IPv4 matches neither icmp rule", query(kConference, kNoZone, "8.8.8.8", 58, 0), kDeny},
      {"icmpv6 to an IPv6 internet address", query(kConference, kNoZone, "2001:db8::5", 58, 0), 15},
      {"icmpv6 to fc00::/7 is carved out", query(kConference, kNoZone, "fc00::5", 58, 0), kDeny},
      {"an icmp rule matches protocol 1 whatever the family", query(kConference, kNoZone, "2001:db8::5", 1, 0), 14},
      {"conference udp 443: default deny", query(kConference, kNoZone, "203.0.113.7", 17, 443), kDeny},
      {"eKlient to RDnet, any protocol", query(kRegion, kNoZone, "10.20.0.5", 6, 443), 9},
      {"eKlient to RDnet, protocol 47 (GRE)", query(kRegion, kNoZone, "10.20.0.5", 47, 0), 9},
      {"eKlient prints on 9100", query(kRegion, kPrinters, "192.0.2.9", 6, 9100), 10},
      {"eKlient prints on 631", query(kRegion, kPrinters, "192.0.2.9", 6, 631), 11},
      {"eKlient prints on 443", query(kRegion, kPrinters, "192.0.2.9", 6, 443), 12},
      {"eKlient to a printer on port 80: default deny", query(kRegion, kPrinters, "192.0.2.9", 6, 80), kDeny},
      {"eKlient to a printer over udp 9100: default deny", query(kRegion, kPrinters, "192.0.2.9", 17, 9100), kDeny},
      {"eKlient to a printer inside RDnet: the earlier any-rule wins", query(kRegion, kPrinters, "10.40.0.9", 6, 80), 9},
      {"eKlient to a voice device is denied", query(kRegion, kVoice, "192.0.2.20", 17, 5060), 2},
      {"the zone rule needs the destination zone, not an address", query(kRegion, kNoZone, "192.0.2.9", 6, 9100), kDeny},
      {"printer scan to RDnet, monitor mode", query(kPrinters, kNoZone, "10.20.0.5", 6, 9100), 13},
      {"printer to RDnet on 443: default deny", query(kPrinters, kNoZone, "10.20.0.5", 6, 443), kDeny},
      {"dns to 192.168/16 outside the lab", query(kRegion, kNoZone, "192.168.2.1", 17, 53), 16},
      {"dns into the nested carve-out falls through to the later deny", query(kRegion, kNoZone, "192.168.1.200", 17, 53),
       17},
      {"dns into the outer carve-out falls through to the later deny", query(kRegion, kNoZone, "192.168.1.5", 17, 53),
       17},
      {"tcp 53 into the lab: neither rule", query(kRegion, kNoZone, "192.168.1.5", 6, 53), kDeny},
      {"ssh over IPv6", query(kRegion, kNoZone, "2001:db8:2::1", 6, 22), 18},
      {"ssh into the /48 carve-out", query(kRegion, kNoZone, "2001:db8:1:5::1", 6, 22), kDeny},
      {"ssh into the nested /64 carve-out", query(kRegion, kNoZone, "2001:db8:1:2::1", 6, 22), kDeny},
      {"ssh just past the /48", query(kRegion, kNoZone, "2001:db8:2::", 6, 22), 18},
      {"ssh outside 2001:db8::/32", query(kRegion, kNoZone, "2001:db9::1", 6, 22), kDeny},
      {"the zone branch ignores the except list", query(kPrinters, kRegion, "172.16.5.1", 6, 80), 19},
      {"the prefix branch honours the except list", query(kPrinters, kNoZone, "172.16.5.1", 6, 80), kDeny},
      {"the prefix branch outside the carve-out", query(kPrinters, kNoZone, "172.16.6.1", 6, 80), 19},
      {"quarantine reaches nothing", query(kQuarantine, kNoZone, "203.0.113.7", 6, 443), kDeny},
      {"an unknown source zone reaches nothing", query(kNoZone, kNoZone, "10.20.0.5", 6, 443), kDeny},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.what) + ": " + c.q.toString());
    EXPECT_EQ(ref.lookup(c.q), c.rule) << "reference";
    EXPECT_EQ(pc.lookup(c.q), c.rule) << "classifier";
    PolicyVerdict v = pc.verdict(c.q);
    EXPECT_EQ(v, ref.verdict(c.q));
    EXPECT_EQ(v.ruleIndex, c.rule);
    if (c.rule == kDeny) {
      EXPECT_EQ(v.action, Action::kDeny);
      EXPECT_EQ(v.mode, Mode::kEnforce);
    } else {
      EXPECT_EQ(v.action, policy.flows[c.rule].action);
      EXPECT_EQ(v.mode, policy.flows[c.rule].mode);
    }
  }
  // Spot checks that the cases above really carry both actions and both modes.
  EXPECT_EQ(pc.verdict(query(kPrinters, kNoZone, "10.20.0.5", 6, 9100)),
            (PolicyVerdict{Action::kAllow, Mode::kMonitor, 13}));
  EXPECT_EQ(pc.verdict(query(kRegion, kNoZone, "192.168.1.5", 17, 53)),
            (PolicyVerdict{Action::kDeny, Mode::kMonitor, 17}));
  EXPECT_EQ(pc.verdict(query(kVoice, kNoZone, "10.20.0.5", 6, 443)), (PolicyVerdict{Action::kDeny, Mode::kEnforce, 1}));
}

TEST(PolicyClassifier, DefaultDenyCarriesThePolicyMode) {
  tables::CompiledPolicy policy = clinicPolicy();
  policy.mode = Mode::kMonitor;
  auto pc = PolicyClassifier::build(policy);
  ASSERT_TRUE(pc) << pc.error().message;
  FlowQuery q = query(kQuarantine, kNoZone, "203.0.113.7", 6, 443);
  EXPECT_EQ((*pc)->verdict(q), (PolicyVerdict{Action::kDeny, Mode::kMonitor, kDefaultDeny}));
  EXPECT_EQ((*pc)->verdict(q), PolicyReference(policy).verdict(q));
}

TEST(PolicyClassifier, EmptyPolicyDeniesEverything) {
  tables::CompiledPolicy policy;
  auto pc = PolicyClassifier::build(policy);
  ASSERT_TRUE(pc) << pc.error().message;
  EXPECT_EQ((*pc)->lookup(query(0, 0, "10.0.0.1", 6, 80)), kDefaultDeny);
  EXPECT_EQ((*pc)->stats().expandedRules, 0u);
}

TEST(PolicyClassifier, PortsOnlyCountForTcpAndUdp) {
  // The policy compiler never emits ports on an any/icmp rule; if one arrives
  // anyway, both implementations read it the same way: no port constraint.
  tables::CompiledPolicy policy;
  policy.flows.push_back(flow("any", 0, kNoZone, pfxs({"10.0.0.0/8"}), {}, Protocol::kAny, port(80)));
  policy.flows.push_back(flow("icmp", 1, kNoZone, pfxs({"10.0.0.0/8"}), {}, Protocol::kIcmp, port(80)));
  auto pc = PolicyClassifier::build(policy);
  ASSERT_TRUE(pc) << pc.error().message;
  PolicyReference ref(policy);
  for (FlowQuery q : {query(0, kNoZone, "10.1.1.1", 6, 443), query(1, kNoZone, "10.1.1.1", 1, 0),
                      query(1, kNoZone, "10.1.1.1", 1, 7)}) {
    EXPECT_EQ((*pc)->lookup(q), q.srcZone == 0 ? 0 : 1) << q.toString();
    EXPECT_EQ(ref.lookup(q), q.srcZone == 0 ? 0 : 1) << q.toString();
  }
}

TEST(PolicyClassifier, RejectsMalformedRulesNamingThem) {
  tables::CompiledPolicy policy;
  policy.flows.push_back(flow("fine", 0, kNoZone, pfxs({"10.0.0.0/8"}), {}, Protocol::kTcp, port(22)));
  policy.flows.push_back(flow("backwards", 0, kNoZone, pfxs({"10.0.0.0/8"}), {}, Protocol::kTcp, {100, 10}));
  auto pc = PolicyClassifier::build(policy);
  ASSERT_FALSE(pc);
  EXPECT_EQ(pc.error().index, 1);
  EXPECT_NE(pc.error().message.find("backwards"), std::string::npos) << pc.error().message;

  Prefix tooLong = pfx("10.0.0.0/8");
  tooLong.length = 33;
  policy.flows[1] = flow("long", 0, kNoZone, {}, {tooLong}, Protocol::kAny);
  pc = PolicyClassifier::build(policy);
  ASSERT_FALSE(pc);
  EXPECT_EQ(pc.error().index, 1);
}

TEST(PolicyClassifier, RulesThatMatchNothingAreKeptInTheNumbering) {
  tables::CompiledPolicy policy;
  policy.flows.push_back(flow("all carved", 0, kNoZone, pfxs({"10.1.0.0/16"}), pfxs({"10.0.0.0/8"}), Protocol::kAny));
  policy.flows.push_back(flow("no target", 0, kNoZone, {}, {}, Protocol::kAny));
  policy.flows.push_back(flow("catch", 0, kNoZone, pfxs({"0.0.0.0/0"}), {}, Protocol::kAny, {}, Action::kDeny));
  auto pc = PolicyClassifier::build(policy);
  ASSERT_TRUE(pc) << pc.error().message;
  EXPECT_EQ((*pc)->lookup(query(0, kNoZone, "10.1.2.3", 6, 1)), 2);
  EXPECT_EQ((*pc)->stats().expandedRules, 1u);
}

TEST(PolicyClassifier, DescribeShowsTheShape) {
  auto pc = PolicyClassifier::build(clinicPolicy());
  ASSERT_TRUE(pc) << pc.error().message;
  std::string d = (*pc)->describe();
  EXPECT_NE(d.find("20 flow rules -> "), std::string::npos) << d;
  EXPECT_NE(d.find("from voice: 5 flow rules"), std::string::npos) << d;
  EXPECT_NE(d.find("from printers: 2 flow rules"), std::string::npos) << d;
  EXPECT_NE(d.find("in 4 per-zone classifiers"), std::string::npos) << d;
  EXPECT_EQ((*pc)->classifierFor(kQuarantine), nullptr);
  const PolicyClassifierStats& st = (*pc)->stats();
  EXPECT_EQ(st.flowRules, 20u);
  EXPECT_EQ(st.expandedRules, st.zoneRules + st.prefixRules);
  EXPECT_EQ(st.zoneRules, 7u);
  EXPECT_GT(st.carvedPieces, 0u);
  EXPECT_GT(st.bytes, 0u);
}

TEST(PolicyClassifier, FlowCacheInFrontGivesTheSameVerdicts) {
  tables::CompiledPolicy policy = clinicPolicy();
  auto pc = PolicyClassifier::build(policy);
  ASSERT_TRUE(pc) << pc.error().message;
  FlowCache cache(FlowCacheOptions{64, 0});
  std::mt19937_64 rng(7);
  for (int pass = 0; pass < 2; ++pass) {
    for (const char* a : {"203.0.113.7", "10.20.0.5", "172.16.5.1", "192.168.1.200", "2001:db8:1:2::1", "fd00::1"}) {
      for (ZoneId z : {kRegion, kVoice, kConference, kPrinters}) {
        for (uint8_t proto : {1, 6, 17, 58}) {
          FlowQuery q = query(z, rng() % 2 ? kRegion : kNoZone, a, proto, static_cast<uint16_t>(rng() % 3 ? 5060 : 53));
          const Classifier* c = (*pc)->classifierFor(q.srcZone);
          ASSERT_NE(c, nullptr);
          int32_t viaCache = (*pc)->flowOf(q.srcZone, cache.lookup(*c, PolicyClassifier::key(q)));
          EXPECT_EQ(viaCache, (*pc)->lookup(q)) << q.toString();
        }
      }
    }
  }
  EXPECT_GT(cache.stats().hits, 0u);
}

// Number of addresses a set of disjoint IPv4 prefixes covers.
uint64_t size4(const std::vector<Prefix>& ps) {
  uint64_t n = 0;
  for (const Prefix& p : ps) n += uint64_t{1} << (32 - p.length);
  return n;
}

TEST(SubtractPrefixes, CarvesExactlyTheExceptions) {
  auto pieces = subtractPrefixes(pfx("0.0.0.0/0"), pfxs({"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}));
  EXPECT_EQ(size4(pieces), (uint64_t{1} << 32) - (1u << 24) - (1u << 20) - (1u << 16));
  for (size_t i = 0; i < pieces.size(); ++i) {
    for (const Prefix& e : pfxs({"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"})) EXPECT_FALSE(pieces[i].overlaps(e));
    for (size_t j = i + 1; j < pieces.size(); ++j) EXPECT_FALSE(pieces[i].overlaps(pieces[j]));
  }
  // 0/1 down to 10/8: 7 pieces; 128/1 splits into 128/2 (172.16/12 at 10 more
  // levels: 10 pieces) and 192/2 (192.168/16: 14 pieces).
  EXPECT_EQ(pieces.size(), 31u);

  EXPECT_EQ(subtractPrefixes(pfx("::/0"), pfxs({"fc00::/7"})).size(), 7u);
  EXPECT_TRUE(subtractPrefixes(pfx("10.1.0.0/16"), pfxs({"10.0.0.0/8"})).empty());
  EXPECT_EQ(subtractPrefixes(pfx("10.1.0.0/16"), pfxs({"fc00::/7", "11.0.0.0/8"})), pfxs({"10.1.0.0/16"}));
  // Nested carve-outs are the outer one.
  EXPECT_EQ(subtractPrefixes(pfx("10.0.0.0/8"), pfxs({"10.1.0.0/16", "10.1.2.0/24"})),
            subtractPrefixes(pfx("10.0.0.0/8"), pfxs({"10.1.0.0/16"})));
  EXPECT_EQ(subtractPrefixes(pfx("10.0.0.0/30"), pfxs({"10.0.0.1/32"})), pfxs({"10.0.0.0/32", "10.0.0.2/31"}));
  EXPECT_TRUE(subtractPrefixes(pfx("2001:db8::1/128"), pfxs({"2001:db8::1/128"})).empty());
}

// Random policies over small pools of addresses, so that prefixes, carve-outs
// and zone targets overlap, nest and share boundaries; queries are drawn inside
// and at the edges of the prefixes the policy names.
class RandomPolicies {
 public:
  explicit RandomPolicies(uint64_t seed) : rng_(seed) {}

  tables::CompiledPolicy policy() {
    tables::CompiledPolicy p;
    zones_ = 2 + static_cast<int>(pick(5));
    for (int z = 0; z < zones_; ++z)
      p.zones.push_back(tables::Zone{"z" + std::to_string(z), 0, "", false, false, {}, {}});
    p.mode = pick(2) ? Mode::kEnforce : Mode::kMonitor;
    bases4_.clear();
    bases6_.clear();
    for (int i = 0; i < 4; ++i) bases4_.push_back(static_cast<uint32_t>(rng_()));
    for (int i = 0; i < 3; ++i) {
      std::array<uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
      for (int b = 4; b < 16; ++b) a[b] = static_cast<uint8_t>(rng_());
      bases6_.push_back(a);
    }
    ports_.clear();
    for (int i = 0; i < 4; ++i) ports_.push_back(static_cast<uint16_t>(rng_()));
    ports_.insert(ports_.end(), {0, 22, 53, 443, 1024, 65535});
    named_.clear();
    int n = 1 + static_cast<int>(pick(40));
    for (int i = 0; i < n; ++i) p.flows.push_back(rule());
    return p;
  }

  // Three queries in four aim at one rule (its zones, protocol, ports and
  // prefixes), so most of them reach a rule or one of its edges.
  FlowQuery query(const tables::CompiledPolicy& policy) {
    FlowQuery q;
    const tables::FlowRule* r = pick(4) && !policy.flows.empty() ? &policy.flows[pick(policy.flows.size())] : nullptr;
    q.srcZone = pick(20) == 0 ? kNoZone : r ? r->from : static_cast<ZoneId>(pick(zones_));
    q.dstZone = pick(2) ? kNoZone : r && r->toZone != kNoZone && pick(2) ? r->toZone : static_cast<ZoneId>(pick(zones_));
    Prefix p = prefix(pick(3) != 0);
    if (r && pick(4) && !(r->toPrefixes.empty() && r->exceptPrefixes.empty())) {
      size_t i = pick(r->toPrefixes.size() + r->exceptPrefixes.size());
      p = i < r->toPrefixes.size() ? r->toPrefixes[i] : r->exceptPrefixes[i - r->toPrefixes.size()];
    } else if (!named_.empty() && pick(5)) {
      p = named_[pick(named_.size())];
    }
    q.v6 = p.v6;
    q.dst = p.addr;
    int bits = p.maxLength();
    switch (pick(6)) {
      case 0: break;                                        // first address
      case 1: setHost(q.dst, p.length, bits, true); break;  // last address
      case 2:
        setHost(q.dst, p.length, bits, true);
        step(q.dst, bits, +1);
        break;                               // just after
      case 3: step(q.dst, bits, -1); break;  // just before
      default:
        for (int b = p.length; b < bits; ++b) {
          if (pick(2)) q.dst[b / 8] |= static_cast<uint8_t>(0x80 >> (b % 8));
        }
    }
    const uint8_t protos[] = {1, 6, 17, 58, 0, 47};
    q.ipProto = protos[pick(6)];
    if (r && r->protocol != Protocol::kAny && pick(4)) q.ipProto = *protocolNumber(r->protocol);
    uint16_t pt = ports_[pick(ports_.size())];
    if (r && pick(2)) pt = pick(2) ? r->ports.low : r->ports.high;
    q.dstPort = pick(4) == 0 ? static_cast<uint16_t>(rng_()) : static_cast<uint16_t>(pt + static_cast<int>(pick(3)) - 1);
    return q;
  }

  uint64_t pick(uint64_t n) { return rng_() % n; }

 private:
  Prefix prefix(bool four) {
    Prefix p;
    p.v6 = !four;
    if (four) {
      uint32_t a = bases4_[pick(bases4_.size())] ^ static_cast<uint32_t>(rng_() & ((uint64_t{1} << pick(33)) - 1));
      for (int i = 0; i < 4; ++i) p.addr[i] = static_cast<uint8_t>(a >> (24 - 8 * i));
      p.length = static_cast<uint8_t>(pick(4) == 0 ? pick(33) : 8 + pick(25));
    } else {
      p.addr = bases6_[pick(bases6_.size())];
      for (int b = 4 + static_cast<int>(pick(13)); b < 16; ++b) p.addr[b] ^= static_cast<uint8_t>(rng_());
      p.length = static_cast<uint8_t>(pick(4) == 0 ? pick(129) : 32 + pick(97));
    }
    return clearHost(p);
  }

  // A prefix inside p: p extended by up to 12 random bits.
  Prefix inside(Prefix p) {
    int extra = std::min<int>(1 + static_cast<int>(pick(12)), p.maxLength() - p.length);
    for (int b = p.length; b < p.length + extra; ++b) {
      if (pick(2)) p.addr[b / 8] |= static_cast<uint8_t>(0x80 >> (b % 8));
    }
    p.length = static_cast<uint8_t>(p.length + extra);
    return p;
  }

  static Prefix clearHost(Prefix p) {
    for (int i = 0; i < 16; ++i) {
      int bits = std::clamp(static_cast<int>(p.length) - 8 * i, 0, 8);
      p.addr[i] &= static_cast<uint8_t>(0xff00 >> bits);
    }
    if (!p.v6) std::fill(p.addr.begin() + 4, p.addr.end(), 0);
    return p;
  }

  static void setHost(std::array<uint8_t, 16>& a, int from, int bits, bool one) {
    for (int b = from; b < bits; ++b) {
      uint8_t m = static_cast<uint8_t>(0x80 >> (b % 8));
      a[b / 8] = one ? (a[b / 8] | m) : (a[b / 8] & ~m);
    }
  }

  // Adds or subtracts one at the last bit of the address (wrapping).
  static void step(std::array<uint8_t, 16>& a, int bits, int dir) {
    for (int i = bits / 8 - 1; i >= 0; --i) {
      uint8_t old = a[i];
      a[i] = static_cast<uint8_t>(old + dir);
      if ((dir > 0 && a[i] != 0) || (dir < 0 && old != 0)) return;
    }
  }

  tables::FlowRule rule() {
    tables::FlowRule r;
    r.name = "r" + std::to_string(pick(1000));
    r.from = static_cast<ZoneId>(pick(zones_));
    if (pick(3) == 0) r.toZone = static_cast<ZoneId>(pick(zones_));
    size_t targets = r.toZone == kNoZone ? 1 + pick(3) : pick(3);
    for (size_t i = 0; i < targets; ++i) {
      Prefix p = !named_.empty() && pick(3) == 0 ? named_[pick(named_.size())] : prefix(pick(3) != 0);
      r.toPrefixes.push_back(p);
    }
    size_t excepts = pick(3) == 0 ? 0 : pick(5);
    for (size_t i = 0; i < excepts; ++i) {
      Prefix e;
      switch (pick(5)) {
        case 0: e = prefix(pick(3) != 0); break;  // anywhere: disjoint, containing, other family
        case 1:
          if (!r.exceptPrefixes.empty()) {  // nested in an earlier carve-out
            e = inside(r.exceptPrefixes[pick(r.exceptPrefixes.size())]);
            break;
          }
          [[fallthrough]];
        default: e = r.toPrefixes.empty() ? prefix(true) : inside(r.toPrefixes[pick(r.toPrefixes.size())]);
      }
      r.exceptPrefixes.push_back(e);
    }
    for (const Prefix& p : r.toPrefixes) named_.push_back(p);
    for (const Prefix& p : r.exceptPrefixes) named_.push_back(p);
    const Protocol protos[] = {Protocol::kAny, Protocol::kTcp, Protocol::kUdp, Protocol::kIcmp, Protocol::kIcmpv6};
    r.protocol = protos[pick(5)];
    if ((r.protocol == Protocol::kTcp || r.protocol == Protocol::kUdp) && pick(4) != 0) {
      uint16_t a = ports_[pick(ports_.size())], b = ports_[pick(ports_.size())];
      r.ports = pick(2) ? tables::PortRange{a, a} : tables::PortRange{std::min(a, b), std::max(a, b)};
    }
    r.action = pick(3) == 0 ? Action::kDeny : Action::kAllow;
    r.mode = pick(4) == 0 ? Mode::kMonitor : Mode::kEnforce;
    return r;
  }

  std::mt19937_64 rng_;
  int zones_ = 2;
  std::vector<uint32_t> bases4_;
  std::vector<std::array<uint8_t, 16>> bases6_;
  std::vector<uint16_t> ports_;
  std::vector<Prefix> named_;  // every prefix the policy names, to draw queries from
};

TEST(PolicyClassifierDifferential, AgreesWithReferenceOnRandomPolicies) {
  const int kPolicies = 1000 / kScale;
  const int kQueries = 10000;
  RandomPolicies gen(20240611);
  size_t lookups = 0, denied = 0, carvedOut = 0, viaZone = 0, expanded = 0;
  std::vector<size_t> byProtocol(5);
  for (int i = 0; i < kPolicies; ++i) {
    tables::CompiledPolicy policy = gen.policy();
    auto pc = PolicyClassifier::build(policy);
    ASSERT_TRUE(pc) << "policy " << i << ": " << pc.error().message;
    expanded += (*pc)->stats().expandedRules;
    PolicyReference ref(policy);
    std::vector<tables::FlowRule> noExcept = policy.flows;
    for (auto& r : noExcept) r.exceptPrefixes.clear();
    int mismatches = 0;
    for (int j = 0; j < kQueries; ++j) {
      FlowQuery q = gen.query(policy);
      PolicyVerdict want = ref.verdict(q);
      PolicyVerdict got = (*pc)->verdict(q);
      ++lookups;
      if (got != want && ++mismatches <= 5) {
        ADD_FAILURE() << "policy " << i << " query " << q.toString() << ": classifier rule " << got.ruleIndex
                      << ", reference rule " << want.ruleIndex << "\n"
                      << policy.dumpCanonical();
      }
      // Coverage: what the queries exercised, so this test cannot pass by
      // only ever agreeing on default deny.
      if (want.ruleIndex < 0) {
        ++denied;
      } else {
        const tables::FlowRule& r = policy.flows[static_cast<size_t>(want.ruleIndex)];
        ++byProtocol[static_cast<size_t>(r.protocol)];
        if (r.toZone != kNoZone && q.dstZone == r.toZone) ++viaZone;
      }
      for (size_t k = 0; k < policy.flows.size() && static_cast<int32_t>(k) != want.ruleIndex; ++k) {
        if (PolicyReference::matches(noExcept[k], q)) {
          ++carvedOut;  // an earlier rule would have matched but for its carve-out
          break;
        }
      }
    }
    ASSERT_EQ(mismatches, 0) << "policy " << i;
  }
  std::printf(
      "policy differential: %zu lookups, %zu default deny, %zu fell through a carve-out, %zu matched by zone, "
      "%.1f classifier rules per policy\n",
      lookups, denied, carvedOut, viaZone, double(expanded) / kPolicies);
  EXPECT_GT(denied, lookups / 20);
  EXPECT_LT(denied, lookups - lookups / 5);
  EXPECT_GT(carvedOut, lookups / 50);
  EXPECT_GT(viaZone, lookups / 50);
  for (size_t p = 0; p < byProtocol.size(); ++p) EXPECT_GT(byProtocol[p], lookups / 200) << "protocol " << p;
}

// The mutant check: the same differential machinery must notice when a
// translation ignores carve-outs (what a naive "emit toPrefixes" would do).
TEST(PolicyClassifierDifferential, NoticesAWrongTranslation) {
  RandomPolicies gen(99);
  size_t disagreements = 0;
  for (int i = 0; i < 20; ++i) {
    tables::CompiledPolicy policy = gen.policy();
    tables::CompiledPolicy naive = policy;
    for (auto& r : naive.flows) r.exceptPrefixes.clear();
    auto pc = PolicyClassifier::build(naive);
    ASSERT_TRUE(pc) << pc.error().message;
    PolicyReference ref(policy);
    for (int j = 0; j < 2000; ++j) {
      FlowQuery q = gen.query(policy);
      disagreements += (*pc)->lookup(q) != ref.lookup(q);
    }
  }
  EXPECT_GT(disagreements, 100u);
}

}  // namespace
}  // namespace portvakt::classify
