// portvakt devices: the devices the running daemon knows on its access ports
// (live, and remembered in its store): port, class, zone, last seen.
#include <iostream>

#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"
#include "control/cli/device_requests.h"

namespace portvakt::cli {

using nlohmann::json;

int cmdDevices(const std::vector<std::string>& args) {
  auto answer = queryDaemon(args, "devices options", "portvakt devices [--json]   (devices show|forget MAC)", "devices");
  if (auto* code = std::get_if<int>(&answer)) return *code;
  std::vector<std::vector<std::string>> rows = {
      {"MAC", "PORT", "CLASS", "ZONE", "CONF", "FIRST SEEN", "LAST SEEN", "STATE"}};
  for (const json& d : std::get<json>(answer)["devices"]) {
    std::string state = d.value("live", false) ? "live" : "stored";
    if (!d.value("spoof_suspect", std::string()).empty())
      state += ", SPOOF SUSPECT (" + d.value("spoof_suspect", "") + ")";
    if (d.value("pinned", false)) state += ", pinned";
    rows.push_back({d.value("mac", ""), d.value("port", ""), d.value("class", "").empty() ? "-" : d.value("class", ""),
                    d.value("zone", ""), confidenceText(d.value("confidence", 0.0)),
                    timeText(d.value("first_seen", int64_t{0})), timeText(d.value("last_seen", int64_t{0})), state});
  }
  printTable(std::cout, rows);
  std::cout << rows.size() - 1 << " device(s)\n";
  return kExitOk;
}

}  // namespace portvakt::cli
