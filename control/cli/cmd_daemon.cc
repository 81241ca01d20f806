// Commands against a running portvaktd: status, policy plan|push|rollback|history
// (devices, alerts and ports have their own files).
// Human output by default, --json for scripts. Exit codes: 0 ok, 1 the daemon
// refused (invalid policy, stale plan, not allowed, not recorded), 2 usage,
// 3 daemon unreachable or a policy file unreadable (read with the caller's rights).
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <variant>

#include "control/api/unix_socket.h"
#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/daemon_client.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {
namespace {

using nlohmann::json;

std::string absolutePath(const std::string& path) { return std::filesystem::absolute(path).lexically_normal().string(); }

// policy.plan and policy.push carry the policy itself, not its path: this
// process reads the site file and every file it names (bases, inventory CSVs)
// with the caller's own rights, and portvaktd (root) never opens a path a
// client names. Returns the request, or an exit code after saying why not.
std::variant<json, int> policyRequest(const std::string& command, const std::string& file) {
  policy::BundleRead read = policy::readPolicyBundle(absolutePath(file));
  if (!read.bundle) {
    std::cerr << read.diagnostics.format();
    return kExitRuntime;
  }
  json files = json::array();
  size_t textBytes = 0;
  for (const policy::SourceText& s : read.bundle->files) {
    files.push_back({{"path", s.path}, {"text", s.text}});
    textBytes += s.text.size();
  }
  json request = {
      {"command", command}, {"api", api::kApiVersion}, {"bundle", {{"site", read.bundle->site}, {"files", files}}}};
  const size_t size = request.dump(-1, ' ', false, json::error_handler_t::replace).size() + 1;  // + newline
  if (size > api::kMaxRequestBytes) {
    std::cerr << "portvakt: the policy bundle (" << files.size() << " files, " << textBytes << " bytes of text, " << size
              << " bytes as a request) is larger than the " << api::kMaxRequestBytes
              << " bytes (1 MiB) portvaktd accepts per request\n";
    return kExitInvalid;
  }
  return request;
}

// What push and rollback print: the version now running.
int reportInstalled(const po::variables_map& vm, const std::variant<json, int>& answer) {
  if (auto* code = std::get_if<int>(&answer)) return *code;
  if (vm.count("json")) return kExitOk;
  const json& v = std::get<json>(answer)["version"];
  std::cout << "running version " << v.value("version", 0) << " " << v.value("hash", "") << " (" << v.value("summary", "")
            << ")\n";
  return kExitOk;
}

}  // namespace

int cmdStatus(const std::vector<std::string>& args) {
  po::options_description options("status options");
  addDaemonOptions(options);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt status [--json] [--socket PATH]", options, {}, vm)) return *exit;
  auto answer = callDaemon(vm, {{"command", "status"}});
  if (auto* code = std::get_if<int>(&answer)) return *code;
  if (vm.count("json")) return kExitOk;
  const json& a = std::get<json>(answer);
  const json& p = a["policy"];
  std::cout << "policy   " << p.value("name", "") << " version " << p.value("version", 0) << " (" << p.value("mode", "")
            << ")\nhash     " << p.value("hash", "") << "\nsettings " << p.value("settings_hash", "") << "\nuptime   "
            << a.value("uptime_s", 0) << " s (portvaktd " << a.value("version", "?") << ")\nports\n";
  for (const json& port : a["ports"]) {
    std::cout << "  " << port.value("interface", "") << "  " << port.value("role", "") << "  default "
              << port.value("default_zone", "") << "  " << port.value("mode", "");
    if (port.contains("rx_frames")) {
      std::cout << "  " << (port.value("up", false) ? "up" : "DOWN") << "  rx " << port.value("rx_frames", uint64_t{0})
                << " (dropped " << port.value("rx_dropped", uint64_t{0}) << ")  tx "
                << port.value("tx_frames", uint64_t{0}) << "  macs " << port.value("learned_macs", 0);
    }
    std::cout << "\n";
  }
  if (a.contains("dataplane")) {
    const json& d = a["dataplane"];
    if (d.value("forwarding", true)) {
      std::cout << "dataplane runs " << d.value("policy_hash", "") << " (" << d.value("reloads", 0) << " reloads";
      if (d.value("settings_only", 0) > 0) std::cout << ", " << d.value("settings_only", 0) << " settings-only pushes";
      if (d.value("last_reload_us", int64_t{-1}) >= 0)
        std::cout << ", the last taken " << d.value("last_reload_us", 0) << " µs after the push";
      std::cout << ")\n";
    } else {
      std::cout << "dataplane NOT FORWARDING: no ports open\n";
    }
    if (!d.value("error", "").empty()) std::cout << "dataplane error: " << d.value("error", "") << "\n";
  } else if (!a.value("forwarding", false)) {
    std::cout << "(not forwarding: portvaktd runs with --forward no)\n";
  }
  return kExitOk;
}

int cmdPolicyPlan(const std::vector<std::string>& args) {
  po::options_description options("policy plan options");
  options.add_options()("file", po::value<std::string>()->required(), "the site policy to plan");
  addDaemonOptions(options);
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy plan FILE [--json]", options, positional, vm)) return *exit;
  auto request = policyRequest("policy.plan", vm["file"].as<std::string>());
  if (auto* code = std::get_if<int>(&request)) return *code;
  auto answer = callDaemon(vm, std::get<json>(request));
  if (auto* code = std::get_if<int>(&answer)) return *code;
  if (vm.count("json")) return kExitOk;
  const json& a = std::get<json>(answer);
  std::cerr << a.value("diagnostics", "");
  for (const json& c : a["changes"]) {
    std::string kind = c.value("kind", "");
    std::cout << (kind == "added"     ? "+ "
                  : kind == "removed" ? "- "
                                      : "~ ")
              << c.value("section", "") << " " << c.value("key", "") << "\n";
  }
  for (const json& m : a.value("moves", json::array())) {
    auto placed = [&](const std::string& cls, const std::string& zone) {
      return (cls.empty() ? std::string("-") : cls) + "/" + zone;
    };
    std::cout << "> device " << m.value("mac", "") << " on " << m.value("port", "") << ": "
              << placed(m.value("from_class", ""), m.value("from_zone", "")) << " -> "
              << placed(m.value("to_class", ""), m.value("to_zone", "")) << "\n";
  }
  std::cout << "plan " << a.value("plan_id", "") << ": " << a.value("summary", "") << " (push with --plan "
            << a.value("plan_id", "") << ")\n";
  return kExitOk;
}

int cmdPolicyPush(const std::vector<std::string>& args) {
  po::options_description options("policy push options");
  options.add_options()("file", po::value<std::string>()->required(), "the site policy to run")(
      "plan", po::value<std::string>()->default_value(""), "refuse unless the plan is still this one");
  addDaemonOptions(options);
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy push FILE [--plan ID] [--json]", options, positional, vm))
    return *exit;
  auto request = policyRequest("policy.push", vm["file"].as<std::string>());
  if (auto* code = std::get_if<int>(&request)) return *code;
  json& push = std::get<json>(request);
  if (!vm["plan"].as<std::string>().empty()) push["plan_id"] = vm["plan"].as<std::string>();
  return reportInstalled(vm, callDaemon(vm, push));
}

int cmdPolicyRollback(const std::vector<std::string>& args) {
  po::options_description options("policy rollback options");
  options.add_options()("version", po::value<int>(), "version to return to (default: the one before)");
  addDaemonOptions(options);
  po::positional_options_description positional;
  positional.add("version", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy rollback [VERSION] [--json]", options, positional, vm))
    return *exit;
  json request = {{"command", "policy.rollback"}};
  if (vm.count("version")) request["version"] = vm["version"].as<int>();
  auto answer = callDaemon(vm, request);
  return reportInstalled(vm, answer);
}

int cmdPolicyHistory(const std::vector<std::string>& args) {
  po::options_description options("policy history options");
  addDaemonOptions(options);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy history [--json]", options, {}, vm)) return *exit;
  auto answer = callDaemon(vm, {{"command", "policy.history"}});
  if (auto* code = std::get_if<int>(&answer)) return *code;
  if (vm.count("json")) return kExitOk;
  for (const json& v : std::get<json>(answer)["history"]) {
    const std::string who =
        v.value("subject", "").empty() ? "uid " + std::to_string(v.value("uid", 0)) : v.value("subject", "");
    std::cout << v.value("version", 0) << "  " << timeText(v.value("time", int64_t{0})) << "  " << who << "  "
              << v.value("kind", "push") << "  " << v.value("hash", "").substr(0, 19) << "  "
              << (v.value("settings_hash", "").empty() ? std::string("-") : v.value("settings_hash", "").substr(0, 19))
              << "  " << v.value("name", "") << "  " << v.value("summary", "") << "  " << v.value("source", "") << "\n";
  }
  return kExitOk;
}

}  // namespace portvakt::cli
