// portvakt devices forget MAC: drop a device; its next frame starts it over.
#include <iostream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"
#include "control/cli/device_requests.h"

namespace portvakt::cli {

using nlohmann::json;

int cmdDevicesForget(const std::vector<std::string>& args) {
  auto answer = macCommand(args, "devices.forget", "portvakt devices forget MAC [--json]");
  if (auto* code = std::get_if<int>(&answer)) return *code;
  std::cout << "forgot " << std::get<json>(answer).value("forgotten", "")
            << ": its next frame starts it over in quarantine\n";
  return kExitOk;
}

}  // namespace portvakt::cli
