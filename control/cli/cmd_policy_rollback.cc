// portvakt policy rollback [VERSION]: return to an earlier policy version (by
// default the one before the running one).
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

int cmdPolicyRollback(const std::vector<std::string>& args) {
  po::options_description options("policy rollback options");
  options.add_options()("version", po::value<int>(), "version to return to (default: the one before)");
  addDaemonOptions(options);
  po::positional_options_description positional;
  positional.add("version", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy rollback [VERSION] [--json]", options, positional, vm))
    return *exit;
  json request = {{"command", "policy.rollback"}};
  if (vm.count("version")) request["version"] = vm["version"].as<int>();
  auto answer = callDaemon(vm, request);
  return reportInstalled(vm, answer);
}

}  // namespace portvakt::cli
