#include "control/cli/offline_run.h"

#include <filesystem>
#include <iostream>

#include "control/cli/commands.h"
#include "dataplane/fingerprint/fingerprint_db.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {

std::optional<int> setUp(const po::variables_map& vm, Setup& s) {
  policy::CompileResult compiled = policy::compilePolicyFile(vm["policy"].as<std::string>());
  if (!compiled.ok()) {
    std::cerr << compiled.diagnostics.format();
    return kExitInvalid;
  }
  s.policy = compiled.policy;
  // Fingerprint knowledge as data: the project's own Windows 10/11 entries,
  // then each --fingerprints file (Fingerbank format), in that order.
  auto db = std::make_shared<fingerprint::FingerprintDb>();
  std::error_code ec;
  std::vector<std::string> files = {std::filesystem::exists(PORTVAKT_INSTALLED_FINGERPRINT_DATA, ec)
                                        ? std::string(PORTVAKT_INSTALLED_FINGERPRINT_DATA)
                                        : std::string(PORTVAKT_FINGERPRINT_DATA)};
  if (vm.count("fingerprints")) {
    for (const auto& f : vm["fingerprints"].as<std::vector<std::string>>()) files.push_back(f);
  }
  for (const std::string& f : files) {
    if (auto loaded = db->addFingerbankFile(f); !loaded) {
      std::cerr << "portvakt: fingerprints: " << loaded.error().message << "\n";
      return kExitRuntime;
    }
  }
  // A capture may span hours with long quiet gaps: an offline run keeps every
  // device it saw (the table's bound still holds) instead of forgetting the
  // never-classified ones after the daemon's idle time, which would drop
  // evidence an analyst wants to see.
  fingerprint::ProfilerConfig profiler;
  profiler.unclassifiedIdleNs = 0;
  auto pipeline = engine::OfflinePipeline::create(s.policy, profiler, db);
  if (!pipeline) {
    std::cerr << "portvakt: cannot build the switch for this policy: " << pipeline.error().message << "\n";
    return kExitInvalid;
  }
  s.pipeline = std::move(pipeline.value());
  const auto& ports = s.policy->ports;
  if (vm.count("capture")) {
    for (const std::string& spec : vm["capture"].as<std::vector<std::string>>()) {
      const size_t eq = spec.find('=');
      const std::string iface = spec.substr(0, eq == std::string::npos ? 0 : eq);
      size_t port = 0;
      while (port < ports.size() && ports[port].interface != iface) ++port;
      if (eq == std::string::npos || eq + 1 == spec.size() || port == ports.size()) {
        std::cerr << "portvakt: --capture " << spec
                  << (eq == std::string::npos || eq + 1 == spec.size() ? ": give IFACE=FILE"
                                                                       : ": no port " + iface + " in the policy")
                  << "\n";
        return kExitUsage;
      }
      s.captures.push_back({static_cast<uint16_t>(port), spec.substr(eq + 1)});
    }
  }
  std::string wanted = vm.count("port") ? vm["port"].as<std::string>() : "";
  for (size_t i = 0; i < ports.size(); ++i) {
    if (wanted.empty() ? ports[i].role == tables::PortRole::kAccess : ports[i].interface == wanted) {
      s.ingress = static_cast<uint16_t>(i);
      return std::nullopt;
    }
  }
  std::cerr << "portvakt: " << (wanted.empty() ? "the policy has no access port" : "no port " + wanted + " in the policy")
            << "\n";
  return kExitUsage;
}

std::optional<int> openCaptures(const po::variables_map& vm, const Setup& s, MergedCaptures& out) {
  bool ok = !vm.count("pcap") || out.add(vm["pcap"].as<std::string>(), s.ingress);
  for (const auto& [port, path] : s.captures) ok = ok && out.add(path, port);
  if (ok) return std::nullopt;
  std::cerr << "portvakt: " << out.error() << "\n";
  return kExitRuntime;
}

}  // namespace portvakt::cli
