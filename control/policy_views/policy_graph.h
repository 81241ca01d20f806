#pragma once
// A picture of a compiled policy in Graphviz DOT: zones (with VLAN), the ports
// that carry them, the flows each zone may use, and the invariants as red
// "never" edges. SVG rendering runs Debian's `dot`.

#include <string>

#include "policy/tables/compiled_policy.h"

namespace portvakt::control {

std::string policyToDot(const tables::CompiledPolicy& policy);

// Runs `dot -Tsvg`; returns the SVG, or an empty string and sets `error`.
std::string renderSvg(const std::string& dot, std::string& error);

}  // namespace portvakt::control
