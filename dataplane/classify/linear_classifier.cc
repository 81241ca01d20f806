#include "dataplane/classify/linear_classifier.h"

namespace portvakt::classify {

Expected<std::shared_ptr<const LinearClassifier>> LinearClassifier::build(std::vector<Rule> rules) {
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string why;
    if (!toBox(rules[i], &why)) return Error{"rule " + std::to_string(i) + ": " + why, long(i)};
  }
  return std::shared_ptr<const LinearClassifier>(new LinearClassifier(std::move(rules)));
}

}  // namespace portvakt::classify
