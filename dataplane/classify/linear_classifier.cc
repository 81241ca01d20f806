#include "dataplane/classify/linear_classifier.h"

namespace portvakt::classify {

static_assert(static_cast<int>(Field::kSrc0) == 5 && static_cast<int>(Field::kDst0) == 9 &&
                  static_cast<int>(Field::kDstPort) == 4 && static_cast<int>(Field::kSrcPort) == 3,
              "LinearClassifier::kOrder names fields by number");

Expected<std::shared_ptr<const LinearClassifier>> LinearClassifier::build(std::vector<Rule> rules) {
  std::vector<Ranges> ranges;
  ranges.reserve(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string why;
    auto box = toBox(rules[i], &why);
    if (!box) return Error{"rule " + std::to_string(i) + ": " + why, long(i)};
    Ranges r;
    for (int j = 0; j < kFieldCount; ++j) r[j] = {box->lo[kOrder[j]], box->hi[kOrder[j]] - box->lo[kOrder[j]]};
    ranges.push_back(r);
  }
  auto c = std::shared_ptr<LinearClassifier>(new LinearClassifier(std::move(rules)));
  c->ranges_ = std::move(ranges);
  return std::shared_ptr<const LinearClassifier>(std::move(c));
}

}  // namespace portvakt::classify
