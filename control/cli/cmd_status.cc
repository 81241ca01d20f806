// portvakt status: the running daemon's policy, uptime and ports.
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

int cmdStatus(const std::vector<std::string>& args) {
  auto answer = queryDaemon(args, "status options", "portvakt status [--json] [--socket PATH]", "status");
  if (auto* code = std::get_if<int>(&answer)) return *code;
  const json& a = std::get<json>(answer);
  const json& p = a["policy"];
  std::cout << "policy   " << p.value("name", "") << " version " << p.value("version", 0) << " (" << p.value("mode", "")
            << ")\nhash     " << p.value("hash", "") << "\nsettings " << p.value("settings_hash", "") << "\nuptime   "
            << a.value("uptime_s", 0) << " s (portvaktd " << a.value("version", "?") << ")\nports\n";
  for (const json& port : a["ports"]) {
    std::cout << "  " << port.value("interface", "") << "  " << port.value("role", "") << "  default "
              << port.value("default_zone", "") << "  " << port.value("mode", "");
    if (port.contains("rx_frames")) {
      std::cout << "  " << (port.value("up", false) ? "up" : "DOWN") << "  rx " << port.value("rx_frames", uint64_t{0})
                << " (dropped " << port.value("rx_dropped", uint64_t{0}) << ")  tx "
                << port.value("tx_frames", uint64_t{0}) << "  macs " << port.value("learned_macs", 0);
    }
    std::cout << "\n";
  }
  if (a.contains("dataplane")) {
    const json& d = a["dataplane"];
    if (d.value("forwarding", true)) {
      std::cout << "dataplane runs " << d.value("policy_hash", "") << " (" << d.value("reloads", 0) << " reloads";
      if (d.value("settings_only", 0) > 0) std::cout << ", " << d.value("settings_only", 0) << " settings-only pushes";
      if (d.value("last_reload_us", int64_t{-1}) >= 0)
        std::cout << ", the last taken " << d.value("last_reload_us", 0) << " µs after the push";
      std::cout << ")\n";
    } else {
      std::cout << "dataplane NOT FORWARDING: no ports open\n";
    }
    if (!d.value("error", "").empty()) std::cout << "dataplane error: " << d.value("error", "") << "\n";
  } else if (!a.value("forwarding", false)) {
    std::cout << "(not forwarding: portvaktd runs with --forward no)\n";
  }
  return kExitOk;
}

}  // namespace portvakt::cli
