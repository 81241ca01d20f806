// portvakt trace: one frame of a capture through the whole dataplane, offline,
// explained stage by stage.
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

std::string layers(const packet::ParsedFrame& f) {
  std::string out;
  for (uint32_t bit = 1; bit != 0 && bit <= (1u << 19); bit <<= 1) {
    if (f.layers & bit) out += (out.empty() ? "" : ",") + std::string(packet::layerName(static_cast<packet::Layer>(bit)));
  }
  return out.empty() ? "none" : out;
}

}  // namespace

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
