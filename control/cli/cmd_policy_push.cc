// portvakt policy push FILE: validate, compile and swap in a policy.
// Human output by default, --json for scripts. Exit codes: 0 ok, 1 the daemon
// refused (invalid policy, stale plan, not allowed, not recorded), 2 usage,
// 3 daemon unreachable or a policy file unreadable (read with the caller's rights).
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <variant>

#include "control/api/unix_socket.h"
#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"
#include "control/cli/policy_request.h"

namespace portvakt::cli {

using nlohmann::json;

int cmdPolicyPush(const std::vector<std::string>& args) {
  po::options_description options("policy push options");
  options.add_options()("file", po::value<std::string>()->required(), "the site policy to run")(
      "plan", po::value<std::string>()->default_value(""), "refuse unless the plan is still this one");
  addDaemonOptions(options);
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy push FILE [--plan ID] [--json]", options, positional, vm))
    return *exit;
  auto request = policyRequest("policy.push", vm["file"].as<std::string>());
  if (auto* code = std::get_if<int>(&request)) return *code;
  json& push = std::get<json>(request);
  if (!vm["plan"].as<std::string>().empty()) push["plan_id"] = vm["plan"].as<std::string>();
  return reportInstalled(vm, callDaemon(vm, push));
}

}  // namespace portvakt::cli
