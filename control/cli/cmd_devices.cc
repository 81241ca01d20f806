// portvakt devices [show MAC | forget MAC]: what the running daemon knows
// about the devices on its access ports (live, and remembered in its store).
#include <iomanip>
#include <iostream>
#include <sstream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"

namespace portvakt::cli {

using nlohmann::json;

namespace {

std::string confidenceText(double c) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << c;
  return out.str();
}

// One MAC argument: the shared shape of show and forget.
std::variant<json, int> macCommand(const std::vector<std::string>& args, const char* command, const char* usage) {
  po::options_description options(std::string(command) + " options");
  options.add_options()("mac", po::value<std::string>()->required(), "the device's MAC address");
  addDaemonOptions(options);
  po::positional_options_description positional;
  positional.add("mac", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, usage, options, positional, vm)) return *exit;
  auto answer = callDaemon(vm, {{"command", command}, {"mac", vm["mac"].as<std::string>()}});
  if (vm.count("json") && std::holds_alternative<json>(answer)) return kExitOk;
  return answer;
}

}  // namespace

int cmdDevices(const std::vector<std::string>& args) {
  po::options_description options("devices options");
  addDaemonOptions(options);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt devices [--json]   (devices show|forget MAC)", options, {}, vm)) {
    return *exit;
  }
  auto answer = callDaemon(vm, {{"command", "devices"}});
  if (auto* code = std::get_if<int>(&answer)) return *code;
  if (vm.count("json")) return kExitOk;
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

int cmdDevicesForget(const std::vector<std::string>& args) {
  auto answer = macCommand(args, "devices.forget", "portvakt devices forget MAC [--json]");
  if (auto* code = std::get_if<int>(&answer)) return *code;
  std::cout << "forgot " << std::get<json>(answer).value("forgotten", "")
            << ": its next frame starts it over in quarantine\n";
  return kExitOk;
}

}  // namespace portvakt::cli
