// portvakt simulate: the whole dataplane (parse, profile, classify, zone,
// verdict, switch) over a capture, offline: what would happen to every device
// and frame.
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/offline_run.h"
#include "dataplane/engine/offline_pipeline.h"
#include "dataplane/fingerprint/fingerprint_db.h"
#include "dataplane/io/capture_file.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {

using nlohmann::json;

namespace {

std::string flags(const fingerprint::DeviceRecord& d) {
  std::string f;
  if (d.committed.pinned) f += "pinned ";
  if (d.inventoried) f += "inventory ";
  if (d.randomized) f += "randomized-mac ";
  if (d.spoofReasons) f += "SPOOF(" + fingerprint::spoofReasonsToString(d.spoofReasons) + ") ";
  if (!f.empty()) f.pop_back();
  return f.empty() ? "-" : f;
}

}  // namespace

int cmdSimulate(const std::vector<std::string>& args) {
  po::options_description options("simulate options");
  options.add_options()("policy", po::value<std::string>()->required(), "the site policy")(
      "pcap", po::value<std::string>(), "a capture (pcap or pcapng) taken on --port")(
      "port", po::value<std::string>(), "ingress interface the capture stands for (default: the first access port)")(
      "capture", po::value<std::vector<std::string>>(),
      "IFACE=FILE: a capture taken on that port; repeatable, merged by time")(
      "fingerprints", po::value<std::vector<std::string>>(),
      "more DHCP fingerprint data (Fingerbank format), repeatable")("json", "machine-readable output");
  po::variables_map vm;
  if (auto exit =
          parseOptions(args, "portvakt simulate --policy P (--pcap F [--port IFACE] | --capture IFACE=F ...) [--json]",
                       options, {}, vm)) {
    return *exit;
  }
  if (!vm.count("pcap") && !vm.count("capture")) {
    std::cerr << "portvakt: give --pcap F or --capture IFACE=F\n";
    return kExitUsage;
  }
  Setup s;
  if (auto exit = setUp(vm, s)) return *exit;
  MergedCaptures source;
  if (auto exit = openCaptures(vm, s, source)) return *exit;
  io::Frame frame;
  uint64_t frames = 0;
  io::ReadStatus status;
  while ((status = source.next(frame)) == io::ReadStatus::kFrame) {
    s.pipeline->process(frame);
    ++frames;
  }
  if (status == io::ReadStatus::kError) {
    std::cerr << "portvakt: " << source.error() << "\n";
    return kExitRuntime;
  }
  const auto& policy = *s.policy;
  const auto& decider = s.pipeline->decider();
  // Vendor names from the IEEE registry (Debian's ieee-data), when installed.
  fingerprint::OuiRegistry ouis;
  const bool haveOuis = static_cast<bool>(ouis.loadFile(std::string(fingerprint::kDefaultOuiPath)));
  json devices = json::array();
  decider.profiler().forEach([&](const fingerprint::DeviceRecord& d) {
    const std::string vendor = haveOuis ? std::string(ouis.vendor(d.evidence.mac.oui())) : std::string();
    devices.push_back({{"mac", d.evidence.mac.toString()},
                       {"vendor", vendor},
                       {"port", policy.ports[d.port].interface},
                       {"class", std::string(d.committed.className)},
                       {"zone", policy.zoneName(d.zone)},
                       {"confidence", d.committed.confidence},
                       {"decided_by", fingerprint::toString(d.committed.source)},
                       {"evidence", d.evidence.describe()},
                       {"frames", d.frames},
                       {"flags", flags(d)}});
  });
  json verdicts = json::array();
  for (const auto& [key, count] : s.pipeline->tally()) {
    verdicts.push_back({{"zone", key.first}, {"verdict", key.second}, {"frames", count}});
  }
  json events = json::array();
  engine::EngineEvent e;
  while (s.pipeline->decider().popEvent(e)) {
    events.push_back({{"event", tables::toString(e.event)},
                      {"mac", e.mac.toString()},
                      {"port", policy.ports[e.port].interface},
                      {"time_ns", e.timeNs},
                      {"detail", e.detail}});
  }
  json anomalies = json::object();
  for (const packet::AnomalyInfo& info : packet::allAnomalies()) {
    if (uint64_t n = decider.decoder().counters().count(info.id)) anomalies[std::string(info.name)] = n;
  }
  if (vm.count("json")) {
    std::cout
        << json{{"policy", policy.name}, {"hash", policy.contentHash}, {"ingress", policy.ports[s.ingress].interface},
                {"frames", frames},      {"devices", devices},         {"verdicts", verdicts},
                {"alerts", events},      {"anomalies", anomalies}}
               .dump(2, ' ', false, json::error_handler_t::replace)
        << "\n";
    return kExitOk;
  }
  if (vm.count("pcap")) {
    std::cout << frames << " frames from " << vm["pcap"].as<std::string>() << " on " << policy.ports[s.ingress].interface;
  } else {
    std::cout << frames << " frames from " << s.captures.size() << " captures";
  }
  std::cout << " under " << policy.name << "\n\ndevices\n";
  for (const json& d : devices) {
    std::cout << "  " << d["mac"].get<std::string>() << "  " << std::left << std::setw(6) << d["port"].get<std::string>()
              << " class " << std::setw(12)
              << (d["class"].get<std::string>().empty() ? "-" : d["class"].get<std::string>()) << " zone "
              << std::setw(11) << d["zone"].get<std::string>() << " confidence " << std::fixed << std::setprecision(2)
              << d["confidence"].get<double>() << "  " << d["flags"].get<std::string>();
    if (!d["vendor"].get<std::string>().empty()) std::cout << "  (" << d["vendor"].get<std::string>() << ")";
    std::cout << "\n      evidence: " << d["evidence"].get<std::string>() << "\n";
  }
  std::cout << "\nverdicts (source zone, verdict, frames)\n";
  for (const json& v : verdicts) {
    std::cout << "  " << std::setw(12) << v["zone"].get<std::string>() << std::setw(34) << v["verdict"].get<std::string>()
              << v["frames"].get<uint64_t>() << "\n";
  }
  std::cout << "\nalerts that would fire: " << events.size() << "\n";
  for (const json& a : events) {
    std::cout << "  " << a["event"].get<std::string>() << "  " << a["mac"].get<std::string>() << "  "
              << a["detail"].get<std::string>() << "\n";
  }
  if (!anomalies.empty()) {
    std::cout << "\ndecode anomalies (frames)\n";
    for (const auto& [name, n] : anomalies.items()) std::cout << "  " << name << "  " << n.get<uint64_t>() << "\n";
  }
  return kExitOk;
}

}  // namespace portvakt::cli
