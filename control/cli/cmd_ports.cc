// portvakt ports: the policy's ports with the switch's and the kernel's view
// (link state and counters read over rtnetlink by the daemon).
#include <iostream>

#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"

namespace portvakt::cli {

using nlohmann::json;

int cmdPorts(const std::vector<std::string>& args) {
  auto answer = queryDaemon(args, "ports options", "portvakt ports [--json]", "ports");
  if (auto* code = std::get_if<int>(&answer)) return *code;
  std::vector<std::vector<std::string>> rows = {{"PORT", "ROLE", "ZONES", "MODE", "AUTH", "LINK", "RX", "RX DROPPED",
                                                 "TX", "TX ERRORS", "MACS", "KERNEL RX/TX", "READ"}};
  for (const json& p : std::get<json>(answer)["ports"]) {
    std::string zones;
    for (const json& z : p["zones"]) zones += (zones.empty() ? "" : ",") + z.get<std::string>();
    std::string link = "-";
    if (p.contains("link")) {
      const json& l = p["link"];
      link = !l.value("exists", false)     ? "MISSING"
             : !l.value("admin_up", false) ? "admin down"
             : l.value("carrier", false)   ? "up"
                                           : "NO CARRIER";
    }
    const json s = p.value("switch", json::object());
    const json k = p.value("kernel", json::object());
    auto n = [](const json& o, const char* key) {
      return o.contains(key) ? std::to_string(o[key].get<uint64_t>()) : "-";
    };
    rows.push_back({p.value("interface", ""), p.value("role", ""), zones.empty() ? "-" : zones, p.value("mode", ""),
                    p.value("authentication", "none"), link, n(s, "rx_frames"), n(s, "rx_dropped"), n(s, "tx_frames"),
                    n(s, "tx_errors"), n(s, "learned_macs"), n(k, "rx_packets") + "/" + n(k, "tx_packets"),
                    // "timer": a flood of dropped frames, read every few ms (portvakt_port_moderated).
                    !s.contains("moderated")     ? "-"
                    : s["moderated"].get<bool>() ? "timer"
                                                 : "arrival"});
  }
  printTable(std::cout, rows);
  return kExitOk;
}

}  // namespace portvakt::cli
