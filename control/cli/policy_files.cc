#include "control/cli/policy_files.h"

#include <fstream>
#include <iostream>

#include "policy/compiler/compiler.h"

namespace portvakt::cli {

bool writeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

std::shared_ptr<const tables::CompiledPolicy> compileOrReport(const std::string& file) {
  policy::CompileResult result = policy::compilePolicyFile(file);
  if (!result.ok() || result.diagnostics.warningCount() > 0) std::cerr << result.diagnostics.format();
  return result.policy;
}

}  // namespace portvakt::cli
