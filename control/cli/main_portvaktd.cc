// portvaktd: the appliance daemon. Today it holds the running policy and serves
// the management API on a Unix socket; live ports, the device table and the
// alert feed plug into its loop as they land.
#include <csignal>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "control/api/unix_socket.h"
#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/daemon/api_handler.h"
#include "control/daemon/dataplane_runner.h"
#include "control/daemon/policy_manager.h"
#include "control/metrics/metrics.h"

namespace {

volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

}  // namespace

int main(int argc, char** argv) {
  using namespace portvakt;
  namespace po = boost::program_options;
  po::options_description options("portvaktd options");
  options.add_options()("policy", po::value<std::string>()->required(), "the site policy to run at start")(
      "socket", po::value<std::string>()->default_value("/run/portvakt/portvakt.sock"), "management API socket")(
      "group", po::value<std::string>()->default_value("portvakt"), "group that may push and roll back")(
      "metrics", po::value<std::string>()->default_value("127.0.0.1:9120"), "Prometheus /metrics address ('' for none)")(
      "forward", po::value<bool>()->default_value(true),
      "open the policy's ports and forward frames (no: API and policy only, for checks and tests)");
  po::variables_map vm;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto exit = cli::parseOptions(args, "portvaktd --policy FILE [--socket PATH] [--group NAME]", options,
                                    po::positional_options_description(), vm)) {
    return *exit;
  }
  control::PolicyManager policies;
  if (auto error = policies.push(vm["policy"].as<std::string>(), ::getuid(), "", std::time(nullptr))) {
    std::cerr << "portvaktd: " << *error;
    return cli::kExitInvalid;
  }
  api::UnixSocketServer server;
  if (auto error = api::UnixSocketServer::listen(vm["socket"].as<std::string>(), vm["group"].as<std::string>(), server)) {
    std::cerr << "portvaktd: " << *error << "\n";
    return cli::kExitRuntime;
  }
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  const int64_t started = std::time(nullptr);
  auto current = policies.current();
  control::Metrics metrics(current->name);
  metrics.policyLoaded(policies.history().back().version, current->contentHash, current->name);
  if (const std::string address = vm["metrics"].as<std::string>(); !address.empty()) {
    if (auto error = metrics.serve(address)) {
      std::cerr << "portvaktd: " << *error << "\n";
      return cli::kExitRuntime;
    }
  }
  std::unique_ptr<control::DataplaneRunner> dataplane;
  if (vm["forward"].as<bool>()) {
    std::string error;
    dataplane = control::DataplaneRunner::start(policies, &metrics, error);
    if (!dataplane) {
      std::cerr << "portvaktd: " << error << "\n";
      return cli::kExitRuntime;
    }
  }
  control::ApiHandler handler(policies, vm["group"].as<std::string>(), started, &metrics, dataplane.get());
  std::cerr << "portvaktd: running " << current->name << " " << current->contentHash << ", API on "
            << vm["socket"].as<std::string>() << "\n";
  while (!gStop) {
    metrics.setUptime(std::time(nullptr) - started);
    if (dataplane) {
      // Events go to the journal as JSON lines until the alert feed is wired in.
      for (const engine::EngineEvent& e : dataplane->takeEvents()) {
        std::cerr << "portvaktd: event " << nlohmann::json{{"event", e.event}, {"mac", e.mac.toString()}, {"port", e.port},
                                                           {"time_ns", e.timeNs}, {"detail", e.detail}}
                                                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
      }
    }
    server.serveOnce([&](const std::string& request, const api::Caller& caller) {
      return handler.handle(request, caller, std::time(nullptr));
    }, 200);
  }
  std::cerr << "portvaktd: stopping\n";
  return cli::kExitOk;
}
