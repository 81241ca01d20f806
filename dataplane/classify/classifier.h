#pragma once
// The fast rule classifier: first match wins, exact, no allocation and no
// exceptions on the lookup path.
//
// How it works. Every rule is a box over the FlowKey's dimensions (rule.h). At
// build time only the dimensions that some rule constrains are kept ("active"
// dimensions; a ClassBench set has six), and the key is gathered into that
// compact form once per lookup.
//
// The rules are split into a few groups by which address they pin down (source
// prefix of 16 bits or more, else destination prefix of 16 bits or more, else
// neither), the CutSplit observation: a rule that is small in one field and a
// rule that is small in another cannot both be cut without copying one of them,
// so they go to different trees. Each group becomes a cutting tree in the
// HiCuts style: an inner node cuts one dimension of its region into 2^k equal
// slices (child = (key[d] - lo) >> shift, one load per level), a leaf holds at
// most `leafSize` rules in priority order, stored inline with their boxes so the
// scan touches one cache line run. Adjacent slices with the same rules share one
// subtree, and in every region the rules after the first rule that covers the
// whole region are dropped (they can never win there); both keep the replication
// that cutting causes in check.
//
// A lookup walks each tree, highest-priority tree first, and stops as soon as the
// best match found so far has a smaller index than anything the next tree or leaf
// holds. The leaf compares the full box, so the structure only has to be
// conservative (every rule that can match a key is in that key's leaf) to be
// exact; the tests check that against the linear reference.
//
// Threads: a Classifier is immutable once built and is shared read-only (through
// ClassifierPtr) by any number of dataplane threads. A new policy is built beside
// the old one and swapped in (ClassifierSlot); every build gets a new
// generation() so flow caches can tell the two apart.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/classify/expected.h"
#include "dataplane/classify/rule.h"

namespace portvakt::classify {

struct BuildOptions {
  int leafSize = 8;          // a region with at most this many rules becomes a leaf
  double spaceFactor = 4.0;  // HiCuts spfac: children's rule copies <= spaceFactor * rules
  int maxCutBits = 8;        // at most 2^maxCutBits slices per inner node
  bool partition = true;     // split rules into groups (see above); false: one tree
};

struct ClassifierStats {
  size_t rules = 0;
  size_t activeFields = 0;
  size_t trees = 0;
  size_t nodes = 0;        // inner nodes and leaves, including shared slots
  size_t leafEntries = 0;  // rule copies stored in leaves
  size_t maxDepth = 0;
  size_t maxLeaf = 0;  // largest leaf (can exceed leafSize when rules cannot be cut apart)
  size_t bytes = 0;    // everything the lookup touches plus the rules kept for explaining
  double buildMs = 0;
  std::vector<size_t> treeRules;  // rules per tree
};

class Classifier;
using ClassifierPtr = std::shared_ptr<const Classifier>;

class Classifier {
 public:
  // Compiles rules (index 0 = highest priority). Fails, naming the rule, when a
  // rule can match nothing (toBox). Cost: well under a second for 10K rules.
  static Expected<ClassifierPtr> build(std::vector<Rule> rules, const BuildOptions& options = {});

  // Index of the first rule that matches key, or kNoMatch. Never allocates or
  // throws; safe to call concurrently.
  int32_t lookup(const FlowKey& key) const noexcept { return lookupFn_(*this, key); }

  size_t size() const { return rules_.size(); }
  const Rule& rule(size_t i) const { return rules_[i]; }
  const std::vector<Rule>& rules() const { return rules_; }
  // Unique per build in this process (never 0), so caches can tell policies apart.
  uint64_t generation() const { return generation_; }
  const ClassifierStats& stats() const { return stats_; }
  // A readable summary of the shape: fields, trees, nodes, depth, memory.
  std::string describe() const;

 private:
  friend class ClassifierBuilder;
  struct Node {
    uint32_t base = 0;       // inner: first child slot; leaf: first entry
    uint32_t loOrCount = 0;  // inner: low end of the region in `dim`; leaf: entry count
    uint32_t minRule = 0;    // smallest rule index below this node (leaf: of the first entry)
    uint8_t dim = 0;         // compact dimension index, kLeaf for a leaf
    uint8_t shift = 0;
  };
  static constexpr uint8_t kLeaf = 0xff;
  struct Tree {
    uint32_t root = 0;
    uint32_t minRule = 0;
  };
  using LookupFn = int32_t (*)(const Classifier&, const FlowKey&) noexcept;
  template <int D>
  static int32_t lookupImpl(const Classifier& c, const FlowKey& key) noexcept;

  Classifier() = default;

  std::vector<Rule> rules_;
  std::vector<uint8_t> dims_;                  // compact dimension -> Field
  std::array<uint32_t, kFieldCount> masks_{};  // compact dimension -> value mask
  std::vector<Tree> trees_;                    // by minRule, ascending
  std::vector<Node> nodes_;
  std::vector<uint32_t> entries_;  // leaf entries: [index, lo0, width0, lo1, width1, ...]
  uint32_t stride_ = 1;            // uint32 per entry: 1 + 2 * dims
  LookupFn lookupFn_ = nullptr;
  uint64_t generation_ = 0;
  ClassifierStats stats_;
};

// The classifier in force, swapped atomically. Readers (dataplane threads) call
// current() once per batch and keep the pointer for the batch; the control plane
// calls swap() with a classifier built beside the old one. The old one is freed
// when its last reader drops it.
class ClassifierSlot {
 public:
  ClassifierPtr current() const { return slot_.load(std::memory_order_acquire); }
  void swap(ClassifierPtr next) { slot_.store(std::move(next), std::memory_order_release); }

 private:
  std::atomic<ClassifierPtr> slot_;
};

}  // namespace portvakt::classify
