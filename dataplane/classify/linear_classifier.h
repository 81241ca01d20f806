#pragma once
// The reference classifier: a first-match linear scan with early exit, the
// baseline the fast Classifier is measured against and tested against. It is
// deliberately simple so it can be trusted: each rule is its box (toBox) and a
// key matches when every field lies in the rule's range; fields are compared
// addresses first so most rules are rejected after one compare. The tests also
// check the boxes against rule.h `matches`, which is written from the rules'
// meaning, so a mistake in toBox cannot hide in both classifiers at once.
//
// Same interface as Classifier: build from a rule vector, lookup returns the
// first matching rule's index or kNoMatch.
//
// Threads: immutable after build; lookup is safe from any number of threads.

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/classify/expected.h"
#include "dataplane/classify/rule.h"

namespace portvakt::classify {

class LinearClassifier {
 public:
  // Fails when a rule can match nothing (see toBox), naming the rule.
  static Expected<std::shared_ptr<const LinearClassifier>> build(std::vector<Rule> rules);

  int32_t lookup(const FlowKey& key) const noexcept {
    uint32_t k[kFieldCount];
    for (int j = 0; j < kFieldCount; ++j) k[j] = key.f[kOrder[j]];
    for (size_t i = 0; i < ranges_.size(); ++i) {
      const Ranges& r = ranges_[i];
      int j = 0;
      while (j < kFieldCount && k[j] - r[j].lo <= r[j].width) ++j;
      if (j == kFieldCount) return static_cast<int32_t>(i);
    }
    return kNoMatch;
  }

  size_t size() const { return rules_.size(); }
  const Rule& rule(size_t i) const { return rules_[i]; }
  const std::vector<Rule>& rules() const { return rules_; }
  size_t memoryBytes() const {
    return sizeof(*this) + rules_.capacity() * sizeof(Rule) + ranges_.capacity() * sizeof(Ranges);
  }

 private:
  struct Range {
    uint32_t lo = 0;
    uint32_t width = 0;  // hi - lo: one unsigned compare tests lo <= k <= hi
  };
  using Ranges = std::array<Range, kFieldCount>;
  // Compare order: the fields that differ most between rules first.
  static constexpr uint8_t kOrder[kFieldCount] = {5, 9, 4, 3, 2, 0, 1, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16};

  explicit LinearClassifier(std::vector<Rule> rules) : rules_(std::move(rules)) {}
  std::vector<Rule> rules_;
  std::vector<Ranges> ranges_;
};

using LinearClassifierPtr = std::shared_ptr<const LinearClassifier>;

}  // namespace portvakt::classify
