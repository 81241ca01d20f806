#pragma once
// What the commands that install a policy in a running portvaktd share (policy
// plan, push, rollback): the request that carries the policy bundle itself,
// read with the caller's own rights, and the line push and rollback print.

#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "control/cli/cli_options.h"

namespace portvakt::cli {

// policy.plan and policy.push carry the policy itself, not its path: this
// process reads the site file and every file it names (bases, inventory CSVs)
// with the caller's own rights, and portvaktd (root) never opens a path a
// client names. Returns the request, or an exit code after saying why not.
std::variant<nlohmann::json, int> policyRequest(const std::string& command, const std::string& file);

// What push and rollback print: the version now running.
int reportInstalled(const po::variables_map& vm, const std::variant<nlohmann::json, int>& answer);

}  // namespace portvakt::cli
