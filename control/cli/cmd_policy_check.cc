// portvakt policy check FILE... [-W]: validate policy files and print every
// problem with file:line:col (offline, no daemon).
#include <fstream>
#include <iostream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "dataplane/classify/policy_rules.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {

int cmdPolicyCheck(const std::vector<std::string>& args) {
  po::options_description options("policy check options");
  options.add_options()("file", po::value<std::vector<std::string>>()->required(), "policy files (site or base)")(
      "warnings-as-errors,W", "fail on warnings too");
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy check FILE... [-W]", options, positional, vm)) return *exit;
  int errors = 0, warnings = 0;
  auto files = vm["file"].as<std::vector<std::string>>();
  for (const std::string& file : files) {
    policy::CompileResult result = policy::compilePolicyFile(file);
    std::string text = result.diagnostics.format();
    // The per-file summary line is replaced by one for all files below.
    text.erase(text.size() - result.diagnostics.summary().size() - 1);
    std::cout << text;
    errors += result.diagnostics.errorCount();
    warnings += result.diagnostics.warningCount();
    if (result.ok()) {
      std::cout << file << ": ok, " << result.policy->contentHash << " (settings " << result.policy->control.settingsHash
                << ")\n";
    }
  }
  std::cout << errors << " error" << (errors == 1 ? "" : "s") << ", " << warnings << " warning"
            << (warnings == 1 ? "" : "s") << " in " << files.size() << " file" << (files.size() == 1 ? "" : "s") << "\n";
  if (errors > 0 || (warnings > 0 && vm.count("warnings-as-errors"))) return kExitInvalid;
  return kExitOk;
}

}  // namespace portvakt::cli
