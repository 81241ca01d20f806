// portvakt devices show MAC: one device with its evidence and why it is where
// it is.
#include <iomanip>
#include <iostream>
#include <sstream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"
#include "control/cli/device_requests.h"

namespace portvakt::cli {

using nlohmann::json;

int cmdDevicesShow(const std::vector<std::string>& args) {
  auto answer = macCommand(args, "devices.show", "portvakt devices show MAC [--json]");
  if (auto* code = std::get_if<int>(&answer)) return *code;
  const json& d = std::get<json>(answer)["device"];
  std::cout << "mac          " << d.value("mac", "") << "\nport         " << d.value("port", "") << "\nclass        "
            << (d.value("class", "").empty() ? "-" : d.value("class", "")) << "\nzone         " << d.value("zone", "")
            << "\nconfidence   " << confidenceText(d.value("confidence", 0.0)) << "\nfirst seen   "
            << timeText(d.value("first_seen", int64_t{0})) << "\nlast seen    "
            << timeText(d.value("last_seen", int64_t{0})) << "\nstate        "
            << (d.value("live", false) ? "live" : "stored (not seen since portvaktd started)") << "\n";
  if (d.contains("explanation")) std::cout << "why          " << d.value("explanation", "") << "\n";
  if (d.contains("dot1x") && d["dot1x"].is_object()) {
    std::cout << "802.1X       " << d["dot1x"].value("state", "") << " as " << d["dot1x"].value("identity", "") << "\n";
  }
  // hostapd's sessions of this MAC now (one per port it authenticated on)
  // and its last authorisations from the audit trail.
  auto msText = [](const json& v, const char* key) { return timeText(v.value(key, int64_t{0}) / 1000); };
  if (d.contains("dot1x_sessions") && d["dot1x_sessions"].is_array()) {
    for (const json& s : d["dot1x_sessions"]) {
      std::cout << "802.1X on " << s.value("port", "") << "  " << s.value("state", "");
      if (!s.value("identity", std::string()).empty()) std::cout << " as " << s.value("identity", "");
      if (!s.value("end_reason", std::string()).empty()) std::cout << " (" << s.value("end_reason", "") << ")";
      std::cout << " since " << msText(s, "since_ms") << ", last authenticated " << msText(s, "last_authenticated_ms")
                << ", failures " << s.value("failures", 0) << "\n";
    }
  }
  if (d.contains("dot1x_audit") && d["dot1x_audit"].is_array()) {
    std::cout << "802.1X audit (newest first)\n";
    for (const json& r : d["dot1x_audit"]) {
      std::cout << "  " << r.value("port", "") << "  " << r.value("identity", "") << "  authorised "
                << msText(r, "authorised_ms") << ", last authenticated " << msText(r, "last_authenticated_ms") << ", "
                << (r.value("ended_ms", int64_t{0}) == 0
                        ? std::string("still authorised")
                        : "ended " + msText(r, "ended_ms") + " (" + r.value("end_reason", "") + ")")
                << "\n";
    }
  }
  if (!d.value("spoof_suspect", std::string()).empty())
    std::cout << "SPOOF SUSPECT " << d.value("spoof_suspect", "") << "\n";
  std::cout << "evidence\n";
  if (d.contains("evidence") && d["evidence"].is_object()) {
    for (const auto& item : d["evidence"].items()) {
      std::cout << "  " << item.key() << std::string(24 - std::min<size_t>(22, item.key().size()), ' ')
                << (item.value().is_string() ? item.value().get<std::string>() : item.value().dump()) << "\n";
    }
  }
  return kExitOk;
}

}  // namespace portvakt::cli
