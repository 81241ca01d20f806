#include "control/cli/daemon_client.h"

#include <httplib.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "control/api/https_routes.h"
#include "control/api/unix_socket.h"
#include "control/cli/cli_options.h"
#include "control/cli/commands.h"

namespace portvakt::cli {

using nlohmann::json;

namespace {

std::string defaultSocket() {
  const char* env = std::getenv("PORTVAKT_SOCKET");
  return env && *env ? env : "/run/portvakt/portvakt.sock";
}

std::string defaultProfiles() {
  if (const char* env = std::getenv("PORTVAKT_PROFILES"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return std::string(xdg) + "/portvakt/profiles.ini";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "") + "/.config/portvakt/profiles.ini";
}

struct Remote {
  std::string server, cert, key, ca;
};

// The HTTPS settings from --profile and the command line (which wins), or
// nullopt for the Unix socket; an error when they are incomplete.
api::Result<std::optional<Remote>> remoteSettings(const po::variables_map& vm) {
  Remote r;
  if (vm.count("profile")) {
    const std::string name = vm["profile"].as<std::string>();
    const std::string file = vm["profiles"].as<std::string>();
    std::ifstream in(file);
    if (!in) {
      return api::Error{"cannot read the profiles file " + file + " (for --profile " + name + ")"};
    }
    po::options_description none;
    po::parsed_options parsed = po::parse_config_file(in, none, /*allow_unregistered=*/true);
    bool found = false;
    for (const po::option& o : parsed.options) {
      if (o.string_key.rfind(name + ".", 0) != 0 || o.value.empty()) continue;
      found = true;
      const std::string key = o.string_key.substr(name.size() + 1);
      if (key == "server") r.server = o.value[0];
      else if (key == "cert") r.cert = o.value[0];
      else if (key == "key") r.key = o.value[0];
      else if (key == "ca") r.ca = o.value[0];
      else {
        return api::Error{file + ": [" + name + "] has an unknown setting '" + key + "' (server, cert, key, ca)"};
      }
    }
    if (!found) {
      return api::Error{file + " has no profile [" + name + "]"};
    }
  }
  if (vm.count("server")) r.server = vm["server"].as<std::string>();
  if (vm.count("cert")) r.cert = vm["cert"].as<std::string>();
  if (vm.count("key")) r.key = vm["key"].as<std::string>();
  if (vm.count("ca")) r.ca = vm["ca"].as<std::string>();
  if (r.server.empty()) {
    if (!r.cert.empty() || !r.key.empty() || !r.ca.empty()) {
      return api::Error{"--cert, --key and --ca need --server https://HOST:PORT"};
    }
    return std::optional<Remote>();
  }
  if (r.cert.empty() || r.key.empty() || r.ca.empty()) {
    return api::Error{"--server " + r.server + " needs --cert, --key and --ca (or a --profile that names them)"};
  }
  return std::optional<Remote>(std::move(r));
}

// One HTTPS round trip; the answer's body, or why there is none.
api::Result<std::string> callRemote(const Remote& r, const json& request) {
  const std::string prefix = "https://";
  if (r.server.rfind(prefix, 0) != 0) {
    return api::Error{"--server " + r.server + " is not an https:// URL (like https://192.0.2.10:8443)"};
  }
  std::string hostPort = r.server.substr(prefix.size());
  if (!hostPort.empty() && hostPort.back() == '/') hostPort.pop_back();
  std::string host = hostPort;
  int port = 443;
  const size_t close = hostPort.find(']');
  const size_t colon = hostPort.rfind(':');
  if (colon != std::string::npos && (close == std::string::npos || colon > close)) {
    host = hostPort.substr(0, colon);
    try {
      port = std::stoi(hostPort.substr(colon + 1));
    } catch (const std::exception&) {
      port = -1;
    }
  }
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty() || host.find('/') != std::string::npos || port <= 0 || port > 65535) {
    return api::Error{"--server " + r.server + " is not https://HOST[:PORT]"};
  }
  auto routed = api::routeRequest(request);
  if (!routed) return routed.error();
  const api::HttpsCall& call = routed.value();
  // An appliance that refuses the handshake closes the socket while the
  // client may still be writing: that must be an error message, not SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  httplib::SSLClient client(host, port, r.cert, r.key);
  if (!client.is_valid()) {
    return api::Error{"cannot use the client certificate " + r.cert + " with the key " + r.key};
  }
  client.set_ca_cert_path(r.ca.c_str());
  client.enable_server_certificate_verification(true);
  // Without it the request waits for the appliance's delayed ACK of the
  // handshake's last record (Nagle): ~40 ms a call (bench/https_fleet_bench.sh).
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(120, 0);  // a push compiles and swaps before it answers
  httplib::Result res = call.method == "GET"      ? client.Get(call.target.c_str())
                        : call.method == "DELETE" ? client.Delete(call.target.c_str())
                                                  : client.Post(call.target.c_str(), call.body, "application/json");
  if (!res) {
    api::Error error{"cannot reach portvaktd at " + r.server + ": " + httplib::to_string(res.error())};
    if (res.error() == httplib::Error::SSLServerVerification) {
      error.message += " (its certificate is not signed by " + r.ca + " or does not name " + host + ")";
    } else if (res.error() == httplib::Error::SSLConnection || res.error() == httplib::Error::Read) {
      error.message +=
          " (the appliance refused the TLS handshake: is " + r.cert + " signed by the region's CA and not revoked?)";
    }
    return error;
  }
  json body = json::parse(res->body, nullptr, false);
  if (body.is_discarded()) {
    return api::Error{"portvaktd at " + r.server + " answered HTTP " + std::to_string(res->status) + " without JSON"};
  }
  return res->body;
}

}  // namespace

void addDaemonOptions(po::options_description& options) {
  options.add_options()("socket", po::value<std::string>()->default_value(defaultSocket()),
                        "portvaktd's API socket (env PORTVAKT_SOCKET)")("json", "print the daemon's JSON answer")(
      "server", po::value<std::string>(), "a remote portvaktd's HTTPS API, https://HOST:PORT (mutual TLS)")(
      "cert", po::value<std::string>(), "your client certificate for --server (PEM)")(
      "key", po::value<std::string>(), "its private key (PEM)")("ca", po::value<std::string>(),
                                                                "the CA that signed the appliance's certificate (PEM)")(
      "profile", po::value<std::string>(), "a named --server/--cert/--key/--ca set from the profiles file")(
      "profiles", po::value<std::string>()->default_value(defaultProfiles()),
      "the profiles file (env PORTVAKT_PROFILES)");
}

std::variant<json, int> callDaemon(const po::variables_map& vm, json request) {
  request["api"] = api::kApiVersion;
  auto remote = remoteSettings(vm);
  if (!remote) {
    std::cerr << "portvakt: " << remote.error().message << "\n";
    return kExitUsage;
  }
  // replace: a file name that is not UTF-8 must not abort the CLI.
  auto answer = *remote ? callRemote(**remote, request)
                        : api::callDaemon(vm["socket"].as<std::string>(),
                                          request.dump(-1, ' ', false, json::error_handler_t::replace));
  if (!answer) {
    std::cerr << "portvakt: " << answer.error().message << "\n";
    return kExitRuntime;
  }
  json parsed = json::parse(*answer, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    std::cerr << "portvakt: portvaktd sent a malformed answer\n";
    return kExitRuntime;
  }
  if (vm.count("json")) std::cout << parsed.dump(2) << "\n";
  if (!parsed.value("ok", false)) {
    if (!vm.count("json")) {
      std::cerr << "portvakt: " << parsed.value("error", std::string("request failed")) << "\n";
      if (parsed.contains("diagnostics") && parsed["diagnostics"].is_string()) {
        std::cerr << parsed["diagnostics"].get<std::string>();
      }
    }
    return kExitInvalid;
  }
  return parsed;
}

std::variant<json, int> queryDaemon(const std::vector<std::string>& args, const std::string& title,
                                    const std::string& usage, const std::string& command) {
  po::options_description options(title);
  addDaemonOptions(options);
  po::variables_map vm;
  if (auto exit = parseOptions(args, usage, options, {}, vm)) return *exit;
  auto answer = callDaemon(vm, {{"command", command}});
  if (std::holds_alternative<json>(answer) && vm.count("json")) return kExitOk;
  return answer;
}

std::string timeText(int64_t t) {
  if (t == 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&tt));
  return buf;
}

void printTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

}  // namespace portvakt::cli
