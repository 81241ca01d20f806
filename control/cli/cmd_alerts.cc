// portvakt alerts [--unacked] [--limit N]: the daemon's alert history with
// each sink's delivery state.
#include <iostream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"

namespace portvakt::cli {

using nlohmann::json;

namespace {

// "webhook delivered, syslog pending (3 tries: connection refused)"
std::string deliveryText(const json& deliveries) {
  std::string out;
  for (const auto& item : deliveries.items()) {
    if (!out.empty()) out += ", ";
    const json& d = item.value();
    out += item.key() + " " + d.value("state", "");
    if (d.value("state", "") != "delivered" && d.value("attempts", 0) > 0) {
      out += " (" + std::to_string(d.value("attempts", 0)) + " tries: " + d.value("last_error", "") + ")";
    }
  }
  return out.empty() ? "-" : out;
}

}  // namespace

int cmdAlerts(const std::vector<std::string>& args) {
  po::options_description options("alerts options");
  options.add_options()("unacked", "only alerts nobody acknowledged yet")("limit", po::value<int>()->default_value(50),
                                                                          "at most this many, newest first");
  addDaemonOptions(options);
  po::variables_map vm;
  if (auto exit =
          parseOptions(args, "portvakt alerts [--unacked] [--limit N] [--json]   (alerts ack ID)", options, {}, vm)) {
    return *exit;
  }
  auto answer =
      callDaemon(vm, {{"command", "alerts"}, {"limit", vm["limit"].as<int>()}, {"unacked", vm.count("unacked") > 0}});
  if (auto* code = std::get_if<int>(&answer)) return *code;
  if (vm.count("json")) return kExitOk;
  const json& a = std::get<json>(answer);
  std::vector<std::vector<std::string>> rows = {
      {"TIME", "SEVERITY", "EVENT", "PORT", "DEVICE", "COUNT", "ACK", "DELIVERY", "ID"}};
  for (const json& alert : a["alerts"]) {
    std::string ack = alert["acked_by"].is_null() ? "-"
                      : !alert.value("acked_by_subject", "").empty()
                          ? alert.value("acked_by_subject", "")
                          : "uid " + std::to_string(alert["acked_by"].get<int64_t>());
    std::string event = alert.value("event", "");
    if (alert.value("suppressed", false)) event += " (suppressed: " + alert.value("maintenance_window", "") + ")";
    rows.push_back({timeText(alert.value("time_ms", int64_t{0}) / 1000), alert.value("severity", ""), event,
                    alert.value("port", "").empty() ? "-" : alert.value("port", ""),
                    alert.value("device", "").empty() ? "-" : alert.value("device", ""),
                    std::to_string(alert.value("count", int64_t{1})), ack, deliveryText(alert["deliveries"]),
                    alert.value("id", "")});
  }
  printTable(std::cout, rows);
  if (a.contains("spool")) {
    std::cout << a["spool"].value("pending", int64_t{0}) << " deliveries pending, "
              << a["spool"].value("rejected", int64_t{0}) << " rejected by a receiver\n";
  }
  return kExitOk;
}

}  // namespace portvakt::cli
