// The fast classifier against the linear reference: random rule sets with
// overlapping prefixes and ranges (IPv4, IPv6, MAC/EtherType, zones), keys drawn
// near rule boundaries, and a few hand-made cases with known answers.
#include "dataplane/classify/classifier.h"

#include <gtest/gtest.h>

#include <random>

#include "dataplane/classify/linear_classifier.h"

namespace portvakt::classify {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 4;  // keep the sanitizer run within CI's budget
#else
constexpr int kScale = 1;
#endif

tables::Prefix v4(uint32_t a, int len) {
  tables::Prefix p;
  uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  a &= mask;
  for (int i = 0; i < 4; ++i) p.addr[i] = static_cast<uint8_t>(a >> (24 - 8 * i));
  p.length = static_cast<uint8_t>(len);
  return p;
}

tables::Prefix v6(std::array<uint8_t, 16> a, int len) {
  tables::Prefix p;
  p.v6 = true;
  for (int i = 0; i < 16; ++i) {
    int bits = std::clamp(len - 8 * i, 0, 8);
    a[i] &= static_cast<uint8_t>(0xff00 >> bits);
  }
  p.addr = a;
  p.length = static_cast<uint8_t>(len);
  return p;
}

// Rules and keys from small pools of addresses and port ends, so that rules
// overlap, nest and share boundaries, which is where a cutting tree can go wrong.
class RandomPolicy {
 public:
  explicit RandomPolicy(uint64_t seed) : rng_(seed) {
    for (int i = 0; i < 6; ++i) bases4_.push_back(static_cast<uint32_t>(rng_()));
    for (int i = 0; i < 4; ++i) {
      std::array<uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
      for (int b = 4; b < 16; ++b) a[b] = static_cast<uint8_t>(rng_());
      bases6_.push_back(a);
    }
    for (int i = 0; i < 8; ++i) ports_.push_back(static_cast<uint16_t>(rng_()));
    ports_.insert(ports_.end(), {0, 1, 22, 80, 443, 1023, 1024, 65535});
  }

  uint32_t addr4() {
    uint32_t a = bases4_[pick(bases4_.size())];
    return a ^ static_cast<uint32_t>(rng_() & ((uint64_t{1} << pick(33)) - 1));
  }
  std::array<uint8_t, 16> addr6() {
    auto a = bases6_[pick(bases6_.size())];
    int from = static_cast<int>(pick(17));
    for (int b = from; b < 16; ++b) a[b] ^= static_cast<uint8_t>(rng_());
    return a;
  }
  tables::PortRange ports() {
    switch (pick(4)) {
      case 0: return {};
      case 1: {
        uint16_t p = ports_[pick(ports_.size())];
        return {p, p};
      }
      default: {
        uint16_t a = ports_[pick(ports_.size())], b = ports_[pick(ports_.size())];
        return {std::min(a, b), std::max(a, b)};
      }
    }
  }
  tables::MacAddress mac() {
    tables::MacAddress m{{0x00, 0x04, 0xf2, 0, 0, static_cast<uint8_t>(pick(4))}};
    if (pick(2)) m.bytes[0] = 0x3c;
    return m;
  }

  Rule rule() {
    Rule r;
    if (pick(3) == 0) r.zone = static_cast<tables::ZoneId>(pick(3));
    switch (pick(8)) {
      case 0: {  // non-IP: EtherType and MACs
        r.etherType = pick(2) ? uint16_t{0x88cc} : uint16_t{0x0806};
        if (pick(2)) r.srcMac = MacMatch{mac(), static_cast<uint8_t>(pick(2) ? 48 : 24)};
        return r;
      }
      case 1:
      case 2: {  // IPv6
        if (pick(4)) r.src = v6(addr6(), static_cast<int>(pick(129)));
        if (pick(4)) r.dst = v6(addr6(), static_cast<int>(pick(129)));
        if (!r.src && !r.dst) r.etherType = kEtherTypeIpv6;
        break;
      }
      default: {  // IPv4
        if (pick(4)) r.src = v4(addr4(), static_cast<int>(pick(33)));
        if (pick(4)) r.dst = v4(addr4(), static_cast<int>(pick(33)));
        break;
      }
    }
    if (pick(3)) r.protocol = pick(2) ? uint8_t{6} : uint8_t{17};
    r.srcPorts = ports();
    r.dstPorts = ports();
    if (pick(6) == 0) r.dstMac = MacMatch{mac(), static_cast<uint8_t>(pick(49))};
    return r;
  }

  FlowKey key() {
    auto zone = static_cast<tables::ZoneId>(pick(4));
    uint8_t proto = pick(5) ? (pick(2) ? 6 : 17) : 1;
    auto port = [&] { return pick(2) ? ports_[pick(ports_.size())] + static_cast<int>(pick(3)) - 1 : rng_(); };
    FlowKey k;
    switch (pick(8)) {
      case 0: k = FlowKey::ethernet(zone, pick(2) ? 0x88cc : 0x0806); break;
      case 1:
      case 2: {
        auto s = addr6(), d = addr6();
        k = FlowKey::ipv6(zone, s.data(), d.data(), proto, static_cast<uint16_t>(port()), static_cast<uint16_t>(port()));
        break;
      }
      default:
        k = FlowKey::ipv4(zone, addr4(), addr4(), proto, static_cast<uint16_t>(port()), static_cast<uint16_t>(port()));
    }
    k.setMacs(mac(), mac());
    return k;
  }

  // A key inside the rule, often then nudged across one of its edges.
  FlowKey keyNear(const Rule& r) {
    FlowKey k = key();
    if (r.zone) k.set(Field::kZone, *r.zone);
    bool six = (r.src && r.src->v6) || (r.dst && r.dst->v6) || r.etherType == kEtherTypeIpv6;
    bool four = (r.src && !r.src->v6) || (r.dst && !r.dst->v6) || r.etherType == kEtherTypeIpv4;
    if (six && !k.isV6()) {
      auto a = addr6(), b = addr6();
      k = FlowKey::ipv6(k.get(Field::kZone) & 0xffff, a.data(), b.data(), 6, 1, 2);
    } else if (four && k.get(Field::kEtherType) != kEtherTypeIpv4) {
      k = FlowKey::ipv4(k.get(Field::kZone) & 0xffff, addr4(), addr4(), 6, 1, 2);
    }
    if (r.etherType) k.set(Field::kEtherType, *r.etherType);
    auto place = [&](const tables::Prefix& p, Field first) {
      int words = p.v6 ? 4 : 1;
      for (int w = 0; w < words; ++w) {
        uint32_t v = (uint32_t{p.addr[4 * w]} << 24) | (uint32_t{p.addr[4 * w + 1]} << 16) |
                     (uint32_t{p.addr[4 * w + 2]} << 8) | p.addr[4 * w + 3];
        int bits = std::clamp(static_cast<int>(p.length) - 32 * w, 0, 32);
        uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
        uint32_t cur = k.f[static_cast<int>(first) + w];
        k.f[static_cast<int>(first) + w] = (v & mask) | (cur & ~mask);
      }
    };
    if (r.src) place(*r.src, Field::kSrc0);
    if (r.dst) place(*r.dst, Field::kDst0);
    if (r.protocol) k.set(Field::kProtocol, *r.protocol);
    auto inRange = [&](const tables::PortRange& p) -> uint32_t {
      switch (pick(3)) {
        case 0: return p.low;
        case 1: return p.high;
        default: return p.low + static_cast<uint32_t>(pick(uint64_t{p.high} - p.low + 1));
      }
    };
    k.set(Field::kSrcPort, inRange(r.srcPorts));
    k.set(Field::kDstPort, inRange(r.dstPorts));
    tables::MacAddress sm = k.srcMac(), dm = k.dstMac();
    if (r.srcMac) sm = r.srcMac->mac;
    if (r.dstMac) dm = r.dstMac->mac;
    k.setMacs(sm, dm);
    if (pick(2)) {  // nudge one field by one, possibly out of the rule
      int f = static_cast<int>(pick(kFieldCount));
      uint32_t limit =
          fieldBits(static_cast<Field>(f)) == 32 ? ~uint32_t{0} : (uint32_t{1} << fieldBits(static_cast<Field>(f))) - 1;
      uint32_t v = k.f[f];
      if (pick(2)) {
        if (v < limit) k.f[f] = v + 1;
      } else if (v > 0) {
        k.f[f] = v - 1;
      }
      // The EtherType decides the family; keep it a real one so address words stay meaningful.
      if (f == static_cast<int>(Field::kEtherType)) k.f[f] = v;
    }
    return k;
  }

  uint64_t pick(uint64_t n) { return rng_() % n; }

 private:
  std::mt19937_64 rng_;
  std::vector<uint32_t> bases4_;
  std::vector<std::array<uint8_t, 16>> bases6_;
  std::vector<uint16_t> ports_;
};

void expectAgrees(const std::vector<Rule>& rules, RandomPolicy& gen, int lookups, const BuildOptions& options,
                  const std::string& what) {
  auto fast = Classifier::build(rules, options);
  ASSERT_TRUE(fast) << fast.error().message;
  auto ref = LinearClassifier::build(rules);
  ASSERT_TRUE(ref) << ref.error().message;
  int wrong = 0, hits = 0;
  for (int i = 0; i < lookups; ++i) {
    FlowKey k = gen.pick(4) == 0 ? gen.key() : gen.keyNear(rules[gen.pick(rules.size())]);
    int32_t want = (*ref)->lookup(k), got = (*fast)->lookup(k);
    // Both classifiers compare boxes; check the boxes against the rules' meaning.
    int32_t meaning = kNoMatch;
    for (size_t r = 0; r < rules.size() && meaning == kNoMatch; ++r)
      if (matches(rules[r], k)) meaning = static_cast<int32_t>(r);
    if (meaning != want && ++wrong <= 3)
      ADD_FAILURE() << what << ": key " << k.toString() << ": reference " << want << ", rule meaning " << meaning;
    hits += want != kNoMatch;
    if (want != got && ++wrong <= 3)
      ADD_FAILURE() << what << ": key " << k.toString() << ": classifier " << got << ", reference " << want
                    << (want >= 0 ? " (" + rules[want].toString() + ")" : "") << "\n"
                    << (*fast)->describe();
  }
  EXPECT_EQ(wrong, 0) << what;
  // The generator must produce keys that hit rules, or the comparison says little.
  EXPECT_GT(hits, lookups / 20) << what;
}

TEST(ClassifierDifferential, AgreesWithLinearReferenceOnRandomPolicies) {
  RandomPolicy gen(20240601);
  const int sizes[] = {1, 7, 40, 150, 400, 1000};
  for (int round = 0; round < 3; ++round) {
    for (int n : sizes) {
      std::vector<Rule> rules;
      for (int i = 0; i < n; ++i) rules.push_back(gen.rule());
      if (round == 2) rules.push_back(Rule{});  // a catch-all at the end
      std::string what = "round " + std::to_string(round) + ", " + std::to_string(n) + " rules";
      expectAgrees(rules, gen, 60000 / kScale, BuildOptions{}, what);
    }
  }
}

TEST(ClassifierDifferential, AgreesUnderEveryBuildOption) {
  RandomPolicy gen(7);
  std::vector<Rule> rules;
  for (int i = 0; i < 300; ++i) rules.push_back(gen.rule());
  BuildOptions one;
  one.partition = false;
  expectAgrees(rules, gen, 40000 / kScale, one, "one tree");
  BuildOptions tiny;
  tiny.leafSize = 1;
  tiny.maxCutBits = 1;
  tiny.spaceFactor = 100;
  expectAgrees(rules, gen, 40000 / kScale, tiny, "binary cuts, leaf size 1");
  BuildOptions wide;
  wide.leafSize = 32;
  wide.maxCutBits = 12;
  expectAgrees(rules, gen, 40000 / kScale, wide, "wide cuts, big leaves");
}

TEST(Classifier, HandMadeCases) {
  std::vector<Rule> rules(5);
  rules[0].zone = 1;
  rules[0].dst = v4(0x0a000000, 8);
  rules[0].protocol = 6;
  rules[0].dstPorts = {443, 443};
  rules[1].src = v6({0x20, 0x01, 0x0d, 0xb8}, 32);
  rules[2].etherType = 0x88cc;
  rules[2].dstMac = MacMatch{tables::MacAddress{{0x01, 0x80, 0xc2, 0, 0, 0x0e}}, 48};
  rules[3].zone = 1;
  rules[3].dst = v4(0x0a000000, 8);
  rules[4].zone = 2;
  auto c = Classifier::build(rules);
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->lookup(FlowKey::ipv4(1, 0xc0a80001, 0x0a010203, 6, 5555, 443)), 0);
  EXPECT_EQ((*c)->lookup(FlowKey::ipv4(1, 0xc0a80001, 0x0a010203, 17, 5555, 443)), 3);
  EXPECT_EQ((*c)->lookup(FlowKey::ipv4(0, 0xc0a80001, 0x0a010203, 6, 5555, 443)), kNoMatch);
  EXPECT_EQ((*c)->lookup(FlowKey::ipv4(2, 0xc0a80001, 0x0b010203, 6, 5555, 443)), 4);
  uint8_t s[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1}, d[16] = {0xfe, 0x80};
  EXPECT_EQ((*c)->lookup(FlowKey::ipv6(0, s, d, 17, 1, 2)), 1);
  s[3] = 0xb9;
  EXPECT_EQ((*c)->lookup(FlowKey::ipv6(0, s, d, 17, 1, 2)), kNoMatch);
  // An IPv4 key whose address words equal the v6 prefix's first word must not match it.
  EXPECT_EQ((*c)->lookup(FlowKey::ipv4(0, 0x20010db8, 0, 17, 1, 2)), kNoMatch);
  FlowKey lldp = FlowKey::ethernet(3, 0x88cc);
  lldp.setMacs(tables::MacAddress{{0, 4, 0xf2, 1, 2, 3}}, tables::MacAddress{{0x01, 0x80, 0xc2, 0, 0, 0x0e}});
  EXPECT_EQ((*c)->lookup(lldp), 2);
  lldp.setMacs(tables::MacAddress{{0, 4, 0xf2, 1, 2, 3}}, tables::MacAddress{{0x01, 0x80, 0xc2, 0, 0, 0x03}});
  EXPECT_EQ((*c)->lookup(lldp), kNoMatch);
  // Stray high bits in a 16-bit field must not index outside the tree.
  FlowKey odd = FlowKey::ipv4(1, 0xc0a80001, 0x0a010203, 6, 5555, 443);
  odd.set(Field::kZone, 0x10001);
  EXPECT_EQ((*c)->lookup(odd), 0);
}

TEST(Classifier, EmptyAndCatchAll) {
  auto empty = Classifier::build({});
  ASSERT_TRUE(empty);
  EXPECT_EQ((*empty)->lookup(FlowKey::ipv4(0, 1, 2, 6, 3, 4)), kNoMatch);
  auto all = Classifier::build({Rule{}, Rule{}});
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)->lookup(FlowKey::ethernet(9, 0x1234)), 0);
}

TEST(Classifier, RejectsRulesThatMatchNothing) {
  Rule mixed;
  mixed.src = v4(0x0a000000, 8);
  mixed.dst = v6({0x20, 0x01}, 16);
  Rule ports;
  ports.dstPorts = {10, 5};
  Rule ether;
  ether.src = v4(0x0a000000, 8);
  ether.etherType = kEtherTypeIpv6;
  for (const Rule& bad : {mixed, ports, ether}) {
    auto c = Classifier::build({Rule{}, bad});
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().index, 1);
    EXPECT_FALSE(LinearClassifier::build({bad}));
  }
}

TEST(Classifier, GenerationsAreUniqueAndStatsAreFilled) {
  RandomPolicy gen(3);
  std::vector<Rule> rules;
  for (int i = 0; i < 200; ++i) rules.push_back(gen.rule());
  auto a = Classifier::build(rules), b = Classifier::build(rules);
  ASSERT_TRUE(a && b);
  EXPECT_NE((*a)->generation(), (*b)->generation());
  EXPECT_NE((*a)->generation(), 0u);
  const ClassifierStats& s = (*a)->stats();
  EXPECT_EQ(s.rules, 200u);
  EXPECT_GT(s.trees, 0u);
  EXPECT_GT(s.bytes, 200u * sizeof(Rule));
  EXPECT_NE((*a)->describe().find("200 rules"), std::string::npos);
}

}  // namespace
}  // namespace portvakt::classify
