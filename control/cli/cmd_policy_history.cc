// portvakt policy history: who pushed what, when, with which hash.
// Human output by default, --json for scripts. Exit codes: 0 ok, 1 the daemon
// refused (invalid policy, stale plan, not allowed, not recorded), 2 usage,
// 3 daemon unreachable or a policy file unreadable (read with the caller's rights).
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <variant>

#include "control/api/unix_socket.h"
#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"

namespace portvakt::cli {

using nlohmann::json;

int cmdPolicyHistory(const std::vector<std::string>& args) {
  auto answer = queryDaemon(args, "policy history options", "portvakt policy history [--json]", "policy.history");
  if (auto* code = std::get_if<int>(&answer)) return *code;
  for (const json& v : std::get<json>(answer)["history"]) {
    const std::string who =
        v.value("subject", "").empty() ? "uid " + std::to_string(v.value("uid", 0)) : v.value("subject", "");
    std::cout << v.value("version", 0) << "  " << timeText(v.value("time", int64_t{0})) << "  " << who << "  "
              << v.value("kind", "push") << "  " << v.value("hash", "").substr(0, 19) << "  "
              << (v.value("settings_hash", "").empty() ? std::string("-") : v.value("settings_hash", "").substr(0, 19))
              << "  " << v.value("name", "") << "  " << v.value("summary", "") << "  " << v.value("source", "") << "\n";
  }
  return kExitOk;
}

}  // namespace portvakt::cli
