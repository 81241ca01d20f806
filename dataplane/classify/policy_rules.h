#pragma once
// The policy's flow rules on the fast classifier: the dataplane side of the
// boundary "compiled tables in". PolicyClassifier::build translates the
// tables::FlowRule list of a CompiledPolicy into classifier Rules once per
// policy; a lookup then answers "which flow rule decides this packet?" with one
// Classifier::lookup.
//
// What a flow rule means (docs/policy.md, docs/architecture.md): rules are
// evaluated in order, the first match wins, anything unmatched is denied. Rule i
// matches a packet from source zone Z when
//   Z == from,
//   and (the destination device is in zone toZone, when toZone != kNoZone,
//        or the destination address is in one of toPrefixes and in none of
//        exceptPrefixes),
//   and the protocol matches (kAny: every IP protocol; kIcmp: 1; kIcmpv6: 58),
//   and, for tcp and udp rules only, the destination port is in `ports`.
// (A rule of protocol any, icmp or icmpv6 has no ports; the policy compiler
// rejects ports on them, and here they are ignored, as PolicyReference does.)
// The except list carves out of the prefix branch only; it never removes a
// destination that the zone branch matches.
//
// How it is translated. The classifier is strictly first-match, so a flow rule
// cannot say "does not match, go on to the next one" for an except carve-out.
// Instead each prefix is cut into the disjoint prefixes that cover exactly
// prefix minus the except prefixes (prefix subtraction: split in halves where an
// except lies strictly inside, drop halves an except covers). 0.0.0.0/0 minus
// three private ranges is 31 prefixes; in general a carve-out of length L inside
// a prefix of length P adds at most L - P prefixes. The result is a plain box
// per piece, so the except semantics are exact with no second lookup.
// The OR of the two branches becomes several classifier rules for one flow
// rule, all adjacent and in flow order, so the first classifier rule that
// matches belongs to the first flow rule that matches.
//
// One classifier per source zone. Every flow rule names exactly one source
// zone, so the rules are split by it and each zone gets its own Classifier,
// indexed by zone id: one array load instead of a dimension the trees would
// have to cut, and no zone's rules copied into another zone's regions (on the
// synthetic 2144-rule region policy in bench/ this took the lookup from 510 to
// 84 ns and the memory from 198 to 12 MB).
//
// The classifier key. The policy never looks at the source address or source
// port, so the destination zone is carried in the source-port dimension (a
// 16-bit exact match for a zone rule, a wildcard for a prefix rule) and the
// source address is left zero; the source zone stays in the key's zone field.
// The key therefore holds exactly what the policy can distinguish, which makes
// it the right key for a FlowCache in front of the classifier (see key()).
//
// Threads: a PolicyClassifier is immutable after build and is shared read-only
// by the dataplane threads (PolicyClassifierPtr); lookups never allocate or
// throw. Build a new one beside the old one when the policy is swapped; its
// classifiers have new generations, so flow caches drop the old verdicts.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/classify/classifier.h"
#include "dataplane/classify/expected.h"
#include "dataplane/classify/rule.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::classify {

// What the policy needs to know about one IP packet. The pipeline fills it per
// frame from the parsed headers and the device table.
struct FlowQuery {
  tables::ZoneId srcZone = tables::kNoZone;  // zone of the sending device
  // Zone of the destination device when it is a known local device; kNoZone for
  // anything else (an address behind an uplink, the internet).
  tables::ZoneId dstZone = tables::kNoZone;
  bool v6 = false;
  std::array<uint8_t, 16> dst{};  // destination address, network order; IPv4 in the first 4 bytes
  uint8_t ipProto = 0;            // IP protocol number (IPv6: the upper-layer protocol)
  uint16_t dstPort = 0;           // destination port for tcp/udp; ignored otherwise

  // dst is a host-order IPv4 address.
  static FlowQuery ipv4(tables::ZoneId srcZone, tables::ZoneId dstZone, uint32_t dst, uint8_t ipProto, uint16_t dstPort);
  // dst points at 16 network-order bytes.
  static FlowQuery ipv6(tables::ZoneId srcZone, tables::ZoneId dstZone, const uint8_t* dst, uint8_t ipProto,
                        uint16_t dstPort);
  std::string toString() const;
  bool operator==(const FlowQuery&) const = default;
};

// Returned by lookup() when no flow rule matches: the policy's default deny.
inline constexpr int32_t kDefaultDeny = -1;

// The decision for one packet. ruleIndex is the index into CompiledPolicy::flows,
// or kDefaultDeny; then action is deny and mode is the policy's global mode.
struct PolicyVerdict {
  tables::Action action = tables::Action::kDeny;
  tables::Mode mode = tables::Mode::kEnforce;
  int32_t ruleIndex = kDefaultDeny;
  bool operator==(const PolicyVerdict&) const = default;
};

struct PolicyClassifierStats {
  size_t flowRules = 0;      // CompiledPolicy::flows
  size_t expandedRules = 0;  // classifier rules they became
  size_t zoneRules = 0;      // of which zone-target rules
  size_t prefixRules = 0;    // of which prefix pieces after except subtraction
  size_t carvedPieces = 0;   // prefix rules that come from a prefix an except cut into pieces
  struct PerZone {
    tables::ZoneId zone = tables::kNoZone;
    std::string name;
    size_t flowRules = 0;
    size_t expandedRules = 0;
    size_t nodes = 0;
    size_t maxDepth = 0;
    size_t bytes = 0;
  };
  std::vector<PerZone> perZone;  // source zones that have rules, by zone id
  size_t nodes = 0;              // classifier nodes, all zones
  size_t maxDepth = 0;
  size_t maxLeaf = 0;
  size_t bytes = 0;    // classifiers plus the rule -> flow maps
  double buildMs = 0;  // whole translation, including the classifier build
};

class PolicyClassifier;
using PolicyClassifierPtr = std::shared_ptr<const PolicyClassifier>;

class PolicyClassifier {
 public:
  // Translates policy.flows and builds the classifier. Fails, with the index of
  // the flow rule at fault, on a prefix longer than its family allows or a tcp/udp
  // rule with an empty port range (low > high). A rule that can match nothing for
  // a legitimate reason (everything excepted, no target) contributes no rules.
  static Expected<PolicyClassifierPtr> build(const tables::CompiledPolicy& policy, const BuildOptions& options = {});

  // Index into policy.flows of the first flow rule that matches, or kDefaultDeny.
  int32_t lookup(const FlowQuery& query) const noexcept {
    const Classifier* c = classifierFor(query.srcZone);
    return c ? flowOf(query.srcZone, c->lookup(key(query))) : kDefaultDeny;
  }
  PolicyVerdict verdict(const FlowQuery& query) const noexcept { return verdictOf(lookup(query)); }

  // The lower-level pieces, for a pipeline with a FlowCache in front:
  //   const Classifier* c = pc.classifierFor(q.srcZone);   // nullptr: default deny
  //   int32_t r = cache.lookup(*c, PolicyClassifier::key(q));
  //   PolicyVerdict v = pc.verdictOf(pc.flowOf(q.srcZone, r));
  // key() puts into the FlowKey exactly what the policy can distinguish. Every
  // zone's classifier has its own generation, all new with each build, so one
  // cache serves all zones and forgets them all on a policy swap.
  static FlowKey key(const FlowQuery& query) noexcept;
  const Classifier* classifierFor(tables::ZoneId srcZone) const noexcept {
    return srcZone < zones_.size() ? zones_[srcZone].classifier.get() : nullptr;
  }
  // Classifier rule index of srcZone's classifier (or kNoMatch) -> flow rule
  // index (or kDefaultDeny).
  int32_t flowOf(tables::ZoneId srcZone, int32_t classifierRule) const noexcept {
    return classifierRule < 0 ? kDefaultDeny : zones_[srcZone].flowOf[static_cast<size_t>(classifierRule)];
  }
  PolicyVerdict verdictOf(int32_t flowIndex) const noexcept {
    if (flowIndex < 0) return {tables::Action::kDeny, defaultMode_, kDefaultDeny};
    const Outcome& o = outcomes_[static_cast<size_t>(flowIndex)];
    return {o.action, o.mode, flowIndex};
  }
  size_t flowRules() const { return outcomes_.size(); }

  const PolicyClassifierStats& stats() const { return stats_; }
  // Several lines: flow rules -> classifier rules, rules per source zone, the
  // classifier's shape and memory. For `portvakt policy compile --dump`.
  std::string describe() const;

 private:
  struct Outcome {
    tables::Action action;
    tables::Mode mode;
  };
  PolicyClassifier() = default;

  // One classifier per source zone: the zone is an exact match in every rule,
  // so indexing by it first keeps one zone's rules from being cut (and copied)
  // across the others' regions.
  struct ZoneTable {
    ClassifierPtr classifier;     // null: the zone has no rules
    std::vector<int32_t> flowOf;  // classifier rule -> flow rule
  };
  std::vector<ZoneTable> zones_;   // by source zone id
  std::vector<Outcome> outcomes_;  // per flow rule
  tables::Mode defaultMode_ = tables::Mode::kEnforce;
  PolicyClassifierStats stats_;
};

// prefix minus the union of except, as disjoint prefixes in address order
// (except prefixes of the other family are ignored). Exposed for tests and for
// explaining a rule's expansion.
std::vector<tables::Prefix> subtractPrefixes(const tables::Prefix& prefix, const std::vector<tables::Prefix>& except);

// The flow rules' meaning written out directly, one rule after the other with no
// expansion: the reference that PolicyClassifier is tested and benchmarked
// against. Keeps its own copy of the rules.
class PolicyReference {
 public:
  explicit PolicyReference(const tables::CompiledPolicy& policy) : flows_(policy.flows), defaultMode_(policy.mode) {}

  int32_t lookup(const FlowQuery& query) const noexcept;
  PolicyVerdict verdict(const FlowQuery& query) const noexcept;
  // Does flow rule r match the query? (The semantics in one place.)
  static bool matches(const tables::FlowRule& r, const FlowQuery& query) noexcept;

 private:
  std::vector<tables::FlowRule> flows_;
  tables::Mode defaultMode_;
};

}  // namespace portvakt::classify
