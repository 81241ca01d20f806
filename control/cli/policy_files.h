#pragma once
// What the offline policy commands share (policy compile, diff, graph).

#include <memory>
#include <string>

#include "policy/tables/compiled_policy.h"

namespace portvakt::cli {

// Writes `data` to `path` (replacing it); false if it could not.
bool writeFile(const std::string& path, const std::string& data);

// Compiles one file; on errors prints the diagnostics to stderr.
std::shared_ptr<const tables::CompiledPolicy> compileOrReport(const std::string& file);

}  // namespace portvakt::cli
