#include "dataplane/classify/classifier.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

namespace portvakt::classify {

namespace {

std::atomic<uint64_t> nextGeneration{1};

// A rule in compact (active-dimension) form, as the builder sees it.
struct BuildRule {
  uint32_t index = 0;
  std::array<uint32_t, kFieldCount> lo{};
  std::array<uint32_t, kFieldCount> hi{};
};

struct Region {
  std::array<uint32_t, kFieldCount> lo{};
  std::array<uint32_t, kFieldCount> hi{};
};

int bitsNeeded(uint64_t span) {  // smallest b with 2^b >= span
  int b = 0;
  while ((uint64_t{1} << b) < span) ++b;
  return b;
}

}  // namespace

class ClassifierBuilder {
 public:
  ClassifierBuilder(Classifier& c, const BuildOptions& o) : c_(c), o_(o) {}

  void run(std::vector<BuildRule>&& rules, const std::vector<uint32_t>& fullHi) {
    rules_ = std::move(rules);
    D_ = static_cast<int>(c_.dims_.size());
    Region all;
    for (int j = 0; j < D_; ++j) all.hi[j] = fullHi[j];

    // Groups: source pinned to >= 16 bits, else destination, else the rest.
    int src = -1, dst = -1;
    for (int j = 0; j < D_; ++j) {
      if (c_.dims_[j] == static_cast<uint8_t>(Field::kSrc0)) src = j;
      if (c_.dims_[j] == static_cast<uint8_t>(Field::kDst0)) dst = j;
    }
    std::vector<std::vector<uint32_t>> groups(o_.partition ? 3 : 1);
    for (uint32_t i = 0; i < rules_.size(); ++i) {
      const BuildRule& r = rules_[i];
      auto small = [&](int j) { return j >= 0 && r.hi[j] - r.lo[j] < 0x10000u; };
      int g = !o_.partition ? 0 : small(src) ? 0 : small(dst) ? 1 : 2;
      groups[g].push_back(i);
    }
    for (auto& g : groups) {
      if (g.empty()) continue;
      uint32_t root = static_cast<uint32_t>(c_.nodes_.size());
      c_.nodes_.emplace_back();
      buildNode(root, g, all, 1);
      c_.trees_.push_back({root, rules_[g.front()].index});
      c_.stats_.treeRules.push_back(g.size());
    }
    std::sort(c_.trees_.begin(), c_.trees_.end(),
              [](const Classifier::Tree& a, const Classifier::Tree& b) { return a.minRule < b.minRule; });
  }

 private:
  bool covers(const BuildRule& r, const Region& g) const {
    for (int j = 0; j < D_; ++j)
      if (r.lo[j] > g.lo[j] || r.hi[j] < g.hi[j]) return false;
    return true;
  }

  void makeLeaf(uint32_t slot, const std::vector<uint32_t>& ids) {
    Classifier::Node n;
    n.dim = Classifier::kLeaf;
    n.base = static_cast<uint32_t>(c_.entries_.size() / c_.stride_);
    n.loOrCount = static_cast<uint32_t>(ids.size());
    n.minRule = ids.empty() ? std::numeric_limits<uint32_t>::max() : rules_[ids.front()].index;
    for (uint32_t id : ids) {
      const BuildRule& r = rules_[id];
      c_.entries_.push_back(r.index);
      for (int j = 0; j < D_; ++j) {
        c_.entries_.push_back(r.lo[j]);
        c_.entries_.push_back(r.hi[j] - r.lo[j]);
      }
    }
    c_.stats_.leafEntries += ids.size();
    c_.stats_.maxLeaf = std::max(c_.stats_.maxLeaf, ids.size());
    c_.nodes_[slot] = n;
  }

  // Fills nodes_[slot] with the subtree for `ids` (sorted by priority) in `g`.
  void buildNode(uint32_t slot, std::vector<uint32_t> ids, const Region& g, size_t depth) {
    c_.stats_.maxDepth = std::max(c_.stats_.maxDepth, depth);
    // Rules after one that covers the whole region never win here.
    for (size_t i = 0; i < ids.size(); ++i) {
      if (covers(rules_[ids[i]], g)) {
        ids.resize(i + 1);
        break;
      }
    }
    if (ids.size() <= static_cast<size_t>(o_.leafSize) || depth >= kMaxDepth) {
      makeLeaf(slot, ids);
      return;
    }

    // Choose the dimension and slice count: per dimension the most slices the
    // space budget allows, then the dimension whose fullest slice is smallest.
    const size_t n = ids.size();
    int bestDim = -1, bestShift = 0;
    size_t bestMax = n, bestTotal = std::numeric_limits<size_t>::max();
    std::vector<int64_t> diff;
    for (int j = 0; j < D_; ++j) {
      uint64_t span = uint64_t{g.hi[j]} - g.lo[j] + 1;
      if (span < 2) continue;
      int spanBits = bitsNeeded(span);
      int chosenShift = -1;
      size_t chosenMax = n, chosenTotal = 0;
      for (int k = 1; k <= std::min(o_.maxCutBits, spanBits); ++k) {
        int shift = spanBits - k;
        size_t children = static_cast<size_t>(((span - 1) >> shift) + 1);
        diff.assign(children + 1, 0);
        size_t total = 0;
        for (uint32_t id : ids) {
          const BuildRule& r = rules_[id];
          uint32_t a = (std::max(r.lo[j], g.lo[j]) - g.lo[j]) >> shift;
          uint32_t b = (std::min(r.hi[j], g.hi[j]) - g.lo[j]) >> shift;
          ++diff[a];
          --diff[b + 1];
          total += b - a + 1;
        }
        if (k > 1 && static_cast<double>(total + children) > o_.spaceFactor * static_cast<double>(n)) break;
        size_t mx = 0;
        int64_t run = 0;
        for (size_t c = 0; c < children; ++c) {
          run += diff[c];
          mx = std::max(mx, static_cast<size_t>(run));
        }
        chosenShift = shift;
        chosenMax = mx;
        chosenTotal = total;
      }
      if (chosenShift < 0) continue;
      if (chosenMax < bestMax || (chosenMax == bestMax && chosenTotal < bestTotal)) {
        bestDim = j;
        bestShift = chosenShift;
        bestMax = chosenMax;
        bestTotal = chosenTotal;
      }
    }
    if (bestDim < 0 || bestMax >= n) {  // nothing separates these rules any further
      makeLeaf(slot, ids);
      return;
    }

    const int j = bestDim;
    const uint64_t span = uint64_t{g.hi[j]} - g.lo[j] + 1;
    const size_t children = static_cast<size_t>(((span - 1) >> bestShift) + 1);
    std::vector<std::vector<uint32_t>> lists(children);
    for (uint32_t id : ids) {
      const BuildRule& r = rules_[id];
      uint32_t a = (std::max(r.lo[j], g.lo[j]) - g.lo[j]) >> bestShift;
      uint32_t b = (std::min(r.hi[j], g.hi[j]) - g.lo[j]) >> bestShift;
      for (uint32_t c = a; c <= b; ++c) lists[c].push_back(id);
    }
    const uint32_t first = static_cast<uint32_t>(c_.nodes_.size());
    c_.nodes_.resize(c_.nodes_.size() + children);
    Classifier::Node inner;
    inner.base = first;
    inner.loOrCount = g.lo[j];
    inner.minRule = rules_[ids.front()].index;
    inner.dim = static_cast<uint8_t>(j);
    inner.shift = static_cast<uint8_t>(bestShift);
    c_.nodes_[slot] = inner;

    // Runs of adjacent slices with the same rules share one subtree, built for
    // the union of their regions (so pruning by coverage stays exact).
    for (size_t c = 0; c < children;) {
      size_t e = c + 1;
      while (e < children && lists[e] == lists[c]) ++e;
      Region sub = g;
      sub.lo[j] = static_cast<uint32_t>(g.lo[j] + (uint64_t{c} << bestShift));
      uint64_t hi = uint64_t{g.lo[j]} + (uint64_t{e} << bestShift) - 1;
      sub.hi[j] = static_cast<uint32_t>(std::min<uint64_t>(hi, g.hi[j]));
      uint32_t childSlot = first + static_cast<uint32_t>(c);
      buildNode(childSlot, std::move(lists[c]), sub, depth + 1);
      for (size_t s = c + 1; s < e; ++s) c_.nodes_[first + s] = c_.nodes_[childSlot];
      c = e;
    }
  }

  static constexpr size_t kMaxDepth = 48;
  Classifier& c_;
  const BuildOptions& o_;
  std::vector<BuildRule> rules_;
  int D_ = 0;
};

template <int D>
int32_t Classifier::lookupImpl(const Classifier& c, const FlowKey& key) noexcept {
  // D is the number of active dimensions; 0 means "use c.dims_.size()" (general).
  const int dims = D > 0 ? D : static_cast<int>(c.dims_.size());
  uint32_t k[kFieldCount];
  // Masking keeps a key with stray high bits inside the tree (a field never holds
  // more than fieldBits bits; a malformed key must not index out of bounds).
  for (int j = 0; j < dims; ++j) k[j] = key.f[c.dims_[j]] & c.masks_[j];
  const uint32_t stride = D > 0 ? 1 + 2 * D : c.stride_;
  uint32_t best = std::numeric_limits<uint32_t>::max();
  const Node* nodes = c.nodes_.data();
  const uint32_t* entries = c.entries_.data();
  for (const Tree& t : c.trees_) {
    if (t.minRule >= best) break;
    const Node* n = &nodes[t.root];
    while (n->dim != kLeaf) n = &nodes[n->base + ((k[n->dim] - n->loOrCount) >> n->shift)];
    const uint32_t* e = entries + size_t{n->base} * stride;
    for (uint32_t i = 0; i < n->loOrCount; ++i, e += stride) {
      if (e[0] >= best) break;
      bool ok = true;
      for (int j = 0; j < dims; ++j) {
        if (k[j] - e[1 + 2 * j] > e[2 + 2 * j]) {
          ok = false;
          break;
        }
      }
      if (ok) {
        best = e[0];
        break;
      }
    }
  }
  return best == std::numeric_limits<uint32_t>::max() ? kNoMatch : static_cast<int32_t>(best);
}

Expected<ClassifierPtr> Classifier::build(std::vector<Rule> rules, const BuildOptions& options) {
  auto start = std::chrono::steady_clock::now();
  if (rules.size() >= std::numeric_limits<uint32_t>::max()) return Error{"too many rules"};
  std::vector<Box> boxes;
  boxes.reserve(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string why;
    auto box = toBox(rules[i], &why);
    if (!box) return Error{"rule " + std::to_string(i) + ": " + why, long(i)};
    boxes.push_back(*box);
  }
  std::shared_ptr<Classifier> c(new Classifier());
  c->rules_ = std::move(rules);

  // Active dimensions, most selective first (smallest average share of the
  // dimension a rule covers), so a leaf scan rejects a rule after one compare.
  std::vector<std::pair<double, int>> order;
  for (int f = 0; f < kFieldCount; ++f) {
    int bits = fieldBits(static_cast<Field>(f));
    uint32_t full = bits == 32 ? ~uint32_t{0} : (uint32_t{1} << bits) - 1;
    bool active = false, same = true;
    double share = 0;
    for (const Box& b : boxes) {
      if (b.lo[f] != 0 || b.hi[f] != full) active = true;
      if (b.lo[f] != boxes[0].lo[f] || b.hi[f] != boxes[0].hi[f]) same = false;
      share += std::log2(double(b.hi[f]) - b.lo[f] + 1) / bits;
    }
    // A field every rule constrains the same way (a ClassBench set's EtherType)
    // tells rules apart nowhere: compare it last.
    if (same) share = 1e300;
    if (active) order.emplace_back(share, f);
  }
  std::stable_sort(order.begin(), order.end());
  std::vector<uint32_t> fullHi;
  for (auto& [share, f] : order) {
    c->dims_.push_back(static_cast<uint8_t>(f));
    int bits = fieldBits(static_cast<Field>(f));
    fullHi.push_back(bits == 32 ? ~uint32_t{0} : (uint32_t{1} << bits) - 1);
    c->masks_[c->dims_.size() - 1] = fullHi.back();
  }
  const int D = static_cast<int>(c->dims_.size());
  c->stride_ = static_cast<uint32_t>(1 + 2 * D);

  std::vector<BuildRule> compact(boxes.size());
  for (size_t i = 0; i < boxes.size(); ++i) {
    compact[i].index = static_cast<uint32_t>(i);
    for (int j = 0; j < D; ++j) {
      compact[i].lo[j] = boxes[i].lo[c->dims_[j]];
      compact[i].hi[j] = boxes[i].hi[c->dims_[j]];
    }
  }
  ClassifierBuilder(*c, options).run(std::move(compact), fullHi);

  static constexpr LookupFn kFns[] = {&lookupImpl<0>,  &lookupImpl<1>,  &lookupImpl<2>,  &lookupImpl<3>,  &lookupImpl<4>,
                                      &lookupImpl<5>,  &lookupImpl<6>,  &lookupImpl<7>,  &lookupImpl<8>,  &lookupImpl<9>,
                                      &lookupImpl<10>, &lookupImpl<11>, &lookupImpl<12>, &lookupImpl<13>, &lookupImpl<14>,
                                      &lookupImpl<15>, &lookupImpl<16>, &lookupImpl<17>};
  static_assert(sizeof(kFns) / sizeof(kFns[0]) == kFieldCount + 1);
  // With no active dimension every rule matches everything; the general form
  // handles that (one leaf, zero compares).
  c->lookupFn_ = kFns[D];

  c->nodes_.shrink_to_fit();
  c->entries_.shrink_to_fit();
  c->generation_ = nextGeneration.fetch_add(1, std::memory_order_relaxed);
  ClassifierStats& s = c->stats_;
  s.rules = c->rules_.size();
  s.activeFields = c->dims_.size();
  s.trees = c->trees_.size();
  s.nodes = c->nodes_.size();
  s.bytes = sizeof(Classifier) + c->nodes_.size() * sizeof(Node) + c->entries_.size() * sizeof(uint32_t) +
            c->trees_.size() * sizeof(Tree) + c->dims_.size() + c->rules_.size() * sizeof(Rule);
  s.buildMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return ClassifierPtr(std::move(c));
}

std::string Classifier::describe() const {
  std::string fields;
  for (uint8_t d : dims_) fields += std::string(fields.empty() ? "" : ",") + toString(static_cast<Field>(d));
  std::string perTree;
  for (size_t n : stats_.treeRules) perTree += (perTree.empty() ? "" : "/") + std::to_string(n);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "classifier: %zu rules, fields [%s], %zu trees (rules %s), %zu nodes, %zu leaf "
                "entries, depth %zu, largest leaf %zu, %zu bytes (%.1f per rule), built in %.1f ms",
                stats_.rules, fields.c_str(), stats_.trees, perTree.c_str(), stats_.nodes, stats_.leafEntries,
                stats_.maxDepth, stats_.maxLeaf, stats_.bytes,
                stats_.rules ? double(stats_.bytes) / double(stats_.rules) : 0.0, stats_.buildMs);
  return buf;
}

}  // namespace portvakt::classify
