// portvakt simulate | trace: the whole dataplane (parse, profile, classify,
// zone, verdict, switch) over a capture, offline. simulate prints what would
// happen to every device and frame; trace explains one frame step by step.
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "dataplane/engine/offline_pipeline.h"
#include "dataplane/fingerprint/fingerprint_db.h"
#include "dataplane/io/capture_file.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {
namespace {

using nlohmann::json;

struct Setup {
  std::shared_ptr<const tables::CompiledPolicy> policy;
  std::unique_ptr<engine::OfflinePipeline> pipeline;
  uint16_t ingress = 0;
  // --capture IFACE=FILE: captures taken on other ports, merged by time.
  std::vector<std::pair<uint16_t, std::string>> captures;
};

// Frames of several captures, each taken on one port, in time order (ties:
// the order given), so `simulate` and `trace` see a device move between
// jacks as the live switch would. A frame stays valid until the next call.
class MergedCaptures {
 public:
  bool add(const std::string& path, uint16_t port) {
    auto source = io::CaptureFileSource::open(path);
    if (!source) {
      error_ = source.error().message;
      return false;
    }
    inputs_.push_back({std::move(source.value()), port, path, {}, false});
    return true;
  }
  io::ReadStatus next(io::Frame& out) {
    if (!primed_) {
      primed_ = true;
      for (size_t i = 0; i < inputs_.size(); ++i) {
        if (!advance(i)) return io::ReadStatus::kError;
      }
    } else if (taken_ < inputs_.size() && !advance(taken_)) {
      return io::ReadStatus::kError;
    }
    size_t best = inputs_.size();
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (inputs_[i].has &&
          (best == inputs_.size() || inputs_[i].pending.timestampNs < inputs_[best].pending.timestampNs))
        best = i;
    }
    taken_ = best;
    if (best == inputs_.size()) return io::ReadStatus::kEnd;
    out = inputs_[best].pending;
    out.port = inputs_[best].port;
    return io::ReadStatus::kFrame;
  }
  const std::string& error() const { return error_; }

 private:
  struct Input {
    std::unique_ptr<io::CaptureFileSource> source;
    uint16_t port;
    std::string path;
    io::Frame pending;
    bool has;
  };
  bool advance(size_t i) {
    Input& in = inputs_[i];
    const io::ReadStatus st = in.source->next(in.pending);
    in.has = st == io::ReadStatus::kFrame;
    if (st == io::ReadStatus::kError) error_ = "reading " + in.path + ": " + std::string(in.source->error());
    return st != io::ReadStatus::kError;
  }
  std::vector<Input> inputs_;
  size_t taken_ = SIZE_MAX;
  bool primed_ = false;
  std::string error_;
};

// Compiles the policy, builds the pipeline and picks the ingress port: the
// one named, or the first access port (a capture is what one wall jack saw).
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

// --pcap on the ingress port, then every --capture.
std::optional<int> openCaptures(const po::variables_map& vm, const Setup& s, MergedCaptures& out) {
  bool ok = !vm.count("pcap") || out.add(vm["pcap"].as<std::string>(), s.ingress);
  for (const auto& [port, path] : s.captures) ok = ok && out.add(path, port);
  if (ok) return std::nullopt;
  std::cerr << "portvakt: " << out.error() << "\n";
  return kExitRuntime;
}

// "2026-12-06T13:05:01.200Z" for capture times (ns since the epoch).
std::string utcTime(int64_t ns) {
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  (void)gmtime_r(&secs, &tm);  // cannot fail for a time_t from an int64 of ns (years < 2^31)
  char b[96];                  // room for any int the format could print (-Wformat-truncation)
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((ns % 1'000'000'000) / 1'000'000));
  return b;
}

// What `trace` knows about the frame's source device: the evidence values,
// what each trait counted for, the spoof reasons with their details, and
// the MAC's moves between ports.
void explainDevice(const fingerprint::DeviceRecord& d, const tables::CompiledPolicy& policy) {
  auto portName = [&](uint16_t p) { return p < policy.ports.size() ? policy.ports[p].interface : std::string("?"); };
  std::cout << "  device   " << d.evidence.mac.toString() << " on " << portName(d.port) << ", " << d.frames
            << " frames, first seen " << utcTime(d.firstSeenNs) << (d.inventoried ? ", inventoried" : "")
            << (d.randomized ? ", locally administered MAC" : "") << "\n";
  std::cout << "  evidence " << d.evidence.describe() << "\n";
  for (const std::string& note : fingerprint::explainTraits(policy, d.evidence))
    std::cout << "  evidence " << note << "\n";
  if (d.spoofReasons) {
    std::cout << "  spoof    " << fingerprint::spoofReasonsToString(d.spoofReasons) << ": " << d.spoofDetail.view()
              << (d.quarantinedAsSuspect ? " (quarantined as a suspect)" : " (pinned: not quarantined)") << "\n";
  } else {
    std::cout << "  spoof    no reason to suspect this MAC\n";
  }
  if (d.moveCount == 0) {
    std::cout << "  mobility never moved between access ports (policy: " << policy.macMobility.moves << " moves within "
              << policy.macMobility.windowNs / 1'000'000'000 << " s is flapping)\n";
    return;
  }
  std::cout << "  mobility " << d.moveCount << (d.moveCount == 1 ? " move" : " moves")
            << (d.moveCount > tables::kMaxMobilityMoves ? ", the last " + std::to_string(tables::kMaxMobilityMoves) + ":"
                                                        : ":");
  d.forEachMove([&](const fingerprint::PortMove& m) {
    std::cout << " " << portName(m.from) << "->" << portName(m.to) << " at " << utcTime(m.timeNs) << ";";
  });
  if (d.flapping) {
    std::cout << " flapping since " << utcTime(d.flappingSinceNs) << ", held in quarantine until "
              << utcTime(d.flappingUntilNs) << " or until forgotten (portvakt devices forget)";
  } else {
    std::cout << " not flapping (policy: " << policy.macMobility.moves << " moves within "
              << policy.macMobility.windowNs / 1'000'000'000 << " s)";
  }
  std::cout << "\n";
}

std::string flags(const fingerprint::DeviceRecord& d) {
  std::string f;
  if (d.committed.pinned) f += "pinned ";
  if (d.inventoried) f += "inventory ";
  if (d.randomized) f += "randomized-mac ";
  if (d.spoofReasons) f += "SPOOF(" + fingerprint::spoofReasonsToString(d.spoofReasons) + ") ";
  if (!f.empty()) f.pop_back();
  return f.empty() ? "-" : f;
}

std::string layers(const packet::ParsedFrame& f) {
  std::string out;
  for (uint32_t bit = 1; bit != 0 && bit <= (1u << 19); bit <<= 1) {
    if (f.layers & bit) out += (out.empty() ? "" : ",") + std::string(packet::layerName(static_cast<packet::Layer>(bit)));
  }
  return out.empty() ? "none" : out;
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

int cmdTrace(const std::vector<std::string>& args) {
  po::options_description options("trace options");
  options.add_options()("policy", po::value<std::string>()->required(), "the site policy")(
      "pcap", po::value<std::string>(), "a capture (pcap or pcapng) taken on --port")(
      "capture", po::value<std::vector<std::string>>(),
      "IFACE=FILE: a capture taken on that port; repeatable, merged by time")(
      "frame", po::value<uint64_t>(),
      "frame number to explain (1 = first, over the merged captures); earlier frames build device state")(
      "hex", po::value<std::string>(), "explain this one frame instead, given as hex bytes (spaces and colons allowed)")(
      "port", po::value<std::string>(), "ingress interface (default: the first access port)")(
      "fingerprints", po::value<std::vector<std::string>>(),
      "more DHCP fingerprint data (Fingerbank format), repeatable");
  po::variables_map vm;
  if (auto exit = parseOptions(
          args, "portvakt trace --policy P ((--pcap F | --capture IFACE=F ...) --frame N | --hex BYTES) [--port IFACE]",
          options, {}, vm)) {
    return *exit;
  }
  const bool fromHex = vm.count("hex") > 0;
  const bool anyCapture = vm.count("pcap") > 0 || vm.count("capture") > 0;
  const bool fromCapture = anyCapture && vm.count("frame") > 0;
  if (fromHex == fromCapture || (fromHex && (anyCapture || vm.count("frame") > 0))) {
    std::cerr << "portvakt: give either --pcap F (or --capture IFACE=F) --frame N, or --hex BYTES\n";
    return kExitUsage;
  }
  std::vector<uint8_t> hexBytes;
  if (fromHex) {
    int nibble = -1;
    for (char c : vm["hex"].as<std::string>()) {
      int v = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (v < 0) {
        if (c == ' ' || c == ':' || c == '\n') continue;
        std::cerr << "portvakt: --hex: '" << c << "' is not a hex digit\n";
        return kExitUsage;
      }
      if (nibble < 0) nibble = v;
      else {
        hexBytes.push_back(static_cast<uint8_t>(nibble << 4 | v));
        nibble = -1;
      }
    }
    if (nibble >= 0 || hexBytes.empty()) {
      std::cerr << "portvakt: --hex needs an even, non-zero number of hex digits\n";
      return kExitUsage;
    }
  }
  const uint64_t wanted = fromHex ? 1 : vm["frame"].as<uint64_t>();
  if (wanted == 0) {
    std::cerr << "portvakt: frames are numbered from 1\n";
    return kExitUsage;
  }
  Setup s;
  if (auto exit = setUp(vm, s)) return *exit;
  MergedCaptures capture;
  if (!fromHex) {
    if (auto exit = openCaptures(vm, s, capture)) return *exit;
  }
  io::Frame frame;
  for (uint64_t n = 1;; ++n) {
    if (fromHex) {
      frame.bytes = hexBytes;
      frame.wireLength = static_cast<uint32_t>(hexBytes.size());
      frame.port = s.ingress;
    } else if (const io::ReadStatus st = capture.next(frame); st != io::ReadStatus::kFrame) {
      if (st == io::ReadStatus::kError) {
        std::cerr << "portvakt: " << capture.error() << "\n";
        return kExitRuntime;
      }
      std::cerr << "portvakt: the capture has " << n - 1 << " frames, no frame " << wanted << "\n";
      return kExitUsage;
    }
    if (n < wanted) {
      s.pipeline->process(frame);
      continue;
    }
    engine::Explanation why;
    engine::PipelineResult r = s.pipeline->process(frame, &why);
    const packet::ParsedFrame& f = s.pipeline->decider().lastFrame();
    const auto& policy = *s.policy;
    std::cout << "frame " << wanted << ": " << frame.bytes.size() << " bytes on "
              << policy.ports[frame.port].interface << " (" << tables::toString(policy.ports[frame.port].role) << ")"
              << (frame.timestampNs ? " at " + utcTime(frame.timestampNs) : std::string()) << "\n";
    std::cout << "  decode   " << f.eth.src.toString() << " -> " << f.eth.dst.toString() << ", layers " << layers(f);
    std::string anomalyText;
    f.anomalies.forEach([&](packet::Anomaly a) { anomalyText += " " + std::string(packet::anomalyName(a)); });
    std::cout << ", anomalies" << (anomalyText.empty() ? " none" : anomalyText) << "\n";
    if (why.steps.empty()) std::cout << "  switch   decided before the policy was asked (frame shape or VLAN tags)\n";
    for (const std::string& step : why.steps) std::cout << "  policy   " << step << "\n";
    if (const fingerprint::DeviceRecord* d = s.pipeline->decider().profiler().find(f.eth.src)) explainDevice(*d, policy);
    const tables::ZoneId zone = r.forward.zone != tables::kNoZone ? r.forward.zone : s.pipeline->decider().lastZone();
    std::cout << "  verdict  " << r.verdict << " in zone " << policy.zoneName(zone);
    if (r.forward.forwarded())
      std::cout << " to " << r.forward.egressPorts << " port(s)" << (r.forward.flooded ? " (flooded)" : "");
    std::cout << "\n";
    return kExitOk;
  }
}

}  // namespace portvakt::cli
