// portvaktd: the appliance daemon's command line. The daemon itself (the
// running policy, forwarding, the store, the alert feed, the management APIs)
// is control/daemon/daemon.h; this file turns the options into DaemonOptions,
// installs the signal handlers and maps a failed start to an exit code
// (docs/operations.md).
#include <chrono>
#include <csignal>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/daemon/daemon.h"
#include "control/version.h"

namespace {

volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

int exitCodeOf(const portvakt::control::DaemonError& error) {
  using Kind = portvakt::control::DaemonError::Kind;
  switch (error.kind) {
    case Kind::kUsage: return portvakt::cli::kExitUsage;
    case Kind::kInvalidPolicy: return portvakt::cli::kExitInvalid;
    case Kind::kRuntime: return portvakt::cli::kExitRuntime;
  }
  return portvakt::cli::kExitRuntime;
}

int failed(const portvakt::control::DaemonError& error) {
  std::cerr << "portvaktd: " << error.message << (error.message.ends_with("\n") ? "" : "\n");
  return exitCodeOf(error);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace portvakt;
  namespace po = boost::program_options;
  const control::DaemonOptions defaults;
  po::options_description options("portvaktd options");
  options.add_options()("policy", po::value<std::string>(),
                        "the site policy to run at start (default: the last one pushed, from the state directory)")(
      "initial-policy", po::value<std::string>(),
      "the policy to run when the state directory holds none yet (first start); later starts resume the last push")(
      "state-dir", po::value<std::string>()->default_value(defaults.stateDir),
      "where the database (policy history, devices, alert spool) lives")(
      "socket", po::value<std::string>()->default_value(defaults.socketPath), "management API socket")(
      "group", po::value<std::string>()->default_value(defaults.adminGroup), "group that may push and roll back")(
      "metrics", po::value<std::string>()->default_value(defaults.metricsAddress),
      "Prometheus /metrics address ('' for none)")(
      "forward", po::value<bool>()->default_value(defaults.forward),
      "open the policy's ports and forward frames (no: API and policy only, for checks and tests)")(
      "forwarding-nice", po::value<int>()->default_value(defaults.forwardingNice),
      "nice value of the thread that forwards frames (-20..19; the other threads keep the process's); lowering it "
      "needs CAP_SYS_NICE or RLIMIT_NICE (the unit's LimitNICE=)")(
      "dot1x-secret-file", po::value<std::string>()->default_value(""),
      "the RADIUS shared secret for 802.1X ports (a root-only file; never taken from a policy)")(
      "dot1x-runtime-dir", po::value<std::string>()->default_value(defaults.dot1x.runtimeDir),
      "hostapd configs, logs and control sockets")("dot1x-nas-ip",
                                                   po::value<std::string>()->default_value(defaults.dot1x.ownIpAddress),
                                                   "NAS-IP-Address: the address RADIUS requests are sent from")(
      "hostapd", po::value<std::string>()->default_value(defaults.dot1x.hostapdBinary), "the hostapd binary")(
      "dot1x-station-ageing",
      po::value<unsigned>()->default_value(static_cast<unsigned>(defaults.dot1x.stationAgeing.count())),
      "seconds without a frame after which an 802.1X station is deauthenticated")(
      "https", po::value<std::string>()->default_value(""),
      "HTTPS management API on ADDRESS:PORT of the management interface, mutual TLS ('' for none)")(
      "https-cert", po::value<std::string>()->default_value(""), "the HTTPS server's certificate chain (PEM)")(
      "https-key", po::value<std::string>()->default_value(""),
      "its private key (PEM, mode 0600, owned by portvaktd's user)")(
      "https-ca", po::value<std::string>()->default_value(""), "the CA whose client certificates are accepted (PEM)")(
      "https-crl", po::value<std::string>()->default_value(""), "revoked client certificates (PEM CRL of that CA)")(
      "version", "print the version and exit");
  po::variables_map vm;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto exit = cli::parseOptions(args, "portvaktd --policy FILE [--socket PATH] [--group NAME]", options,
                                    po::positional_options_description(), vm)) {
    return *exit;
  }
  if (vm.count("version")) {
    std::cout << "portvaktd " << kVersion << "\n";
    return cli::kExitOk;
  }
  control::DaemonOptions daemonOptions;
  if (vm.count("policy")) daemonOptions.policyFile = vm["policy"].as<std::string>();
  if (vm.count("initial-policy")) daemonOptions.initialPolicyFile = vm["initial-policy"].as<std::string>();
  daemonOptions.stateDir = vm["state-dir"].as<std::string>();
  daemonOptions.socketPath = vm["socket"].as<std::string>();
  daemonOptions.adminGroup = vm["group"].as<std::string>();
  daemonOptions.metricsAddress = vm["metrics"].as<std::string>();
  daemonOptions.forward = vm["forward"].as<bool>();
  daemonOptions.forwardingNice = vm["forwarding-nice"].as<int>();
  if (daemonOptions.forwardingNice < control::kMinNice || daemonOptions.forwardingNice > control::kMaxNice) {
    std::cerr << "portvaktd: --forwarding-nice " << daemonOptions.forwardingNice << " is outside " << control::kMinNice
              << ".." << control::kMaxNice << "\n";
    return cli::kExitUsage;
  }
  daemonOptions.dot1x = {vm["dot1x-secret-file"].as<std::string>(), vm["dot1x-runtime-dir"].as<std::string>(),
                         vm["hostapd"].as<std::string>(), vm["dot1x-nas-ip"].as<std::string>(),
                         std::chrono::seconds(vm["dot1x-station-ageing"].as<unsigned>())};
  daemonOptions.https = {vm["https"].as<std::string>(), vm["https-cert"].as<std::string>(),
                         vm["https-key"].as<std::string>(), vm["https-ca"].as<std::string>(),
                         vm["https-crl"].as<std::string>()};
  auto daemon = control::Daemon::open(std::move(daemonOptions));
  if (!daemon) return failed(daemon.error());
  // From here (the socket is bound) a signal stops the daemon cleanly.
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  if (auto error = (*daemon)->start()) return failed(*error);
  (*daemon)->run([] { return gStop != 0; });
  return cli::kExitOk;
}
