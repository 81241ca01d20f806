#pragma once
// A picture of a compiled policy in Graphviz DOT: zones (with VLAN), the ports
// that carry them, the flows each zone may use, and the invariants as red
// "never" edges. SVG rendering runs Debian's `dot`.

#include <string>

#include "control/control_result.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::control {

std::string policyToDot(const tables::CompiledPolicy& policy);

// Runs `dot -Tsvg`; returns the SVG, or why there is none (no Graphviz, dot
// refused the text, no pipe or process).
Result<std::string> renderSvg(const std::string& dot);

}  // namespace portvakt::control
