#include "control/cli/daemon_client.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "control/api/unix_socket.h"
#include "control/cli/commands.h"

namespace portvakt::cli {

using nlohmann::json;

namespace {

std::string defaultSocket() {
  const char* env = std::getenv("PORTVAKT_SOCKET");
  return env && *env ? env : "/run/portvakt/portvakt.sock";
}

}  // namespace

void addDaemonOptions(po::options_description& options) {
  options.add_options()("socket", po::value<std::string>()->default_value(defaultSocket()),
                        "portvaktd's API socket (env PORTVAKT_SOCKET)")("json", "print the daemon's JSON answer");
}

std::variant<json, int> callDaemon(const po::variables_map& vm, json request) {
  request["api"] = api::kApiVersion;
  std::string error;
  // replace: a file name that is not UTF-8 must not abort the CLI.
  auto answer = api::callDaemon(vm["socket"].as<std::string>(), request.dump(-1, ' ', false, json::error_handler_t::replace),
                                error);
  if (!answer) {
    std::cerr << "portvakt: " << error << "\n";
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
