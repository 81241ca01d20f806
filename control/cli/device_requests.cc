#include "control/cli/device_requests.h"

#include <iomanip>
#include <sstream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"

namespace portvakt::cli {

using nlohmann::json;

std::string confidenceText(double c) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << c;
  return out.str();
}

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

}  // namespace portvakt::cli
