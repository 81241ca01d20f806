// portvakt alerts ack ID: acknowledge an alert (the caller's uid is recorded).
#include <iostream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"

namespace portvakt::cli {

using nlohmann::json;

int cmdAlertsAck(const std::vector<std::string>& args) {
  po::options_description options("alerts ack options");
  options.add_options()("id", po::value<std::string>()->required(), "the alert's id (portvakt alerts shows it)");
  addDaemonOptions(options);
  po::positional_options_description positional;
  positional.add("id", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt alerts ack ID [--json]", options, positional, vm)) return *exit;
  auto answer = callDaemon(vm, {{"command", "alerts.ack"}, {"id", vm["id"].as<std::string>()}});
  if (auto* code = std::get_if<int>(&answer)) return *code;
  if (!vm.count("json")) std::cout << "acknowledged " << std::get<json>(answer).value("acked", "") << "\n";
  return kExitOk;
}

}  // namespace portvakt::cli
