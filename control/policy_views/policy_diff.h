#pragma once
// Semantic difference between two compiled policies, per section and per named
// item (zones, ports, classes, inventory, flows, invariants, sinks, alerts,
// maintenance, pins, tests). It compares the canonical forms, so anything that
// changes behaviour shows and formatting or comments never do.

#include <string>
#include <vector>

#include "policy/tables/compiled_policy.h"

namespace portvakt::control {

struct PolicyChange {
  enum class Kind { kAdded, kRemoved, kChanged };
  Kind kind;
  std::string section;  // "zone", "port", "class", "inventory", "flow", ...
  std::string key;      // the item's name, interface or MAC
  std::string before;   // canonical text (empty when added)
  std::string after;    // canonical text (empty when removed)
};

std::vector<PolicyChange> diffPolicies(const tables::CompiledPolicy& before, const tables::CompiledPolicy& after);
std::string formatChanges(const std::vector<PolicyChange>& changes);

}  // namespace portvakt::control
