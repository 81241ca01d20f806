// portvakt policy plan FILE: what a push of FILE would change against the
// running policy, and the plan's hash for push --plan.
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

int cmdPolicyPlan(const std::vector<std::string>& args) {
  po::options_description options("policy plan options");
  options.add_options()("file", po::value<std::string>()->required(), "the site policy to plan");
  addDaemonOptions(options);
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy plan FILE [--json]", options, positional, vm)) return *exit;
  auto request = policyRequest("policy.plan", vm["file"].as<std::string>());
  if (auto* code = std::get_if<int>(&request)) return *code;
  auto answer = callDaemon(vm, std::get<json>(request));
  if (auto* code = std::get_if<int>(&answer)) return *code;
  if (vm.count("json")) return kExitOk;
  const json& a = std::get<json>(answer);
  std::cerr << a.value("diagnostics", "");
  for (const json& c : a["changes"]) {
    std::string kind = c.value("kind", "");
    std::cout << (kind == "added"     ? "+ "
                  : kind == "removed" ? "- "
                                      : "~ ")
              << c.value("section", "") << " " << c.value("key", "") << "\n";
  }
  for (const json& m : a.value("moves", json::array())) {
    auto placed = [&](const std::string& cls, const std::string& zone) {
      return (cls.empty() ? std::string("-") : cls) + "/" + zone;
    };
    std::cout << "> device " << m.value("mac", "") << " on " << m.value("port", "") << ": "
              << placed(m.value("from_class", ""), m.value("from_zone", "")) << " -> "
              << placed(m.value("to_class", ""), m.value("to_zone", "")) << "\n";
  }
  std::cout << "plan " << a.value("plan_id", "") << ": " << a.value("summary", "") << " (push with --plan "
            << a.value("plan_id", "") << ")\n";
  return kExitOk;
}

}  // namespace portvakt::cli
