// portvakt policy diff OLD NEW: the semantic difference between two policies
// (offline, no daemon).
#include <fstream>
#include <iostream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/policy_files.h"
#include "control/policy_views/policy_diff.h"
#include "dataplane/classify/policy_rules.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {

int cmdPolicyDiff(const std::vector<std::string>& args) {
  po::options_description options("policy diff options");
  options.add_options()("old", po::value<std::string>()->required(), "the policy in force")(
      "new", po::value<std::string>()->required(), "the proposed policy");
  po::positional_options_description positional;
  positional.add("old", 1).add("new", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy diff OLD NEW   (exit 0: same, 1: different or invalid)", options,
                               positional, vm)) {
    return *exit;
  }
  auto before = compileOrReport(vm["old"].as<std::string>());
  auto after = compileOrReport(vm["new"].as<std::string>());
  if (!before || !after) return kExitInvalid;
  auto changes = control::diffPolicies(*before, *after);
  std::cout << control::formatChanges(changes);
  return changes.empty() ? kExitOk : kExitInvalid;
}

}  // namespace portvakt::cli
