#pragma once
// The reference classifier: a first-match linear scan with early exit over the
// rules' meaning (rule.h `matches`). It is deliberately simple so it can be
// trusted; the fast Classifier is tested against it. Same interface as
// Classifier: build from a rule vector, lookup returns the first matching rule's
// index or kNoMatch.
//
// Threads: immutable after build; lookup is safe from any number of threads.

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
    for (size_t i = 0; i < rules_.size(); ++i)
      if (matches(rules_[i], key)) return static_cast<int32_t>(i);
    return kNoMatch;
  }

  size_t size() const { return rules_.size(); }
  const Rule& rule(size_t i) const { return rules_[i]; }
  const std::vector<Rule>& rules() const { return rules_; }
  size_t memoryBytes() const { return sizeof(*this) + rules_.capacity() * sizeof(Rule); }

 private:
  explicit LinearClassifier(std::vector<Rule> rules) : rules_(std::move(rules)) {}
  std::vector<Rule> rules_;
};

using LinearClassifierPtr = std::shared_ptr<const LinearClassifier>;

}  // namespace portvakt::classify
