// The VLAN switch's own cost per frame, from memory I/O to a sink that only
// counts (no syscalls): frames/s and ns/frame for the paths a clinic's
// traffic takes. Live forwarding over veths is bounded by the kernel's veth
// path (about 0.9 M frames/s here), far above what this measures against.
//
//   build-dir/bench/portvakt_forward_bench     (from the project root)
//
// Counters: frames_per_s (rate), ns_per_frame (inverted rate).
#include <benchmark/benchmark.h>

#include <vector>

#include "dataplane/forward/vlan_switch.h"
#include "dataplane/io/frame_io.h"

namespace fw = portvakt::forward;
namespace io = portvakt::io;
using portvakt::tables::MacAddress;

namespace {

class CountingSink final : public io::FrameSink {
 public:
  bool send(const io::Frame& f) override {
    ++frames;
    bytes += f.bytes.size();
    return true;
  }
  std::string_view error() const override { return {}; }
  uint64_t frames = 0, bytes = 0;
};

constexpr fw::ZoneId kQuarantine = 0, kRegion = 1, kVoice = 2;
constexpr int kAccessPorts = 24;
constexpr fw::PortIndex kTrunk = kAccessPorts, kUplinkRegion = kAccessPorts + 1, kUplinkVoice = kAccessPorts + 2;

MacAddress hostMac(int n) {
  return MacAddress{{0x02, 0x00, 0x00, 0x01, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)}};
}
const MacAddress kServer{{0x02, 0x00, 0x00, 0x02, 0x00, 0x01}};

std::vector<uint8_t> frame(const MacAddress& dst, const MacAddress& src, int vid, size_t size) {
  std::vector<uint8_t> b(dst.bytes.begin(), dst.bytes.end());
  b.insert(b.end(), src.bytes.begin(), src.bytes.end());
  if (vid >= 0) {
    b.insert(b.end(), {0x81, 0x00, static_cast<uint8_t>(vid >> 8), static_cast<uint8_t>(vid)});
  }
  b.insert(b.end(), {0x08, 0x00});
  b.resize(size < b.size() ? b.size() : size, 0x45);
  return b;
}

struct Bench {
  fw::StaticMacDecider decider;
  std::unique_ptr<fw::VlanSwitch> sw;
  CountingSink sink;
  std::vector<std::vector<uint8_t>> frames;
  std::vector<fw::PortIndex> ports;

  Bench() {
    fw::SwitchConfig c;
    c.zoneVlans = {99, 10, 20};
    for (int i = 0; i < kAccessPorts; ++i)
      c.ports.push_back({"acc" + std::to_string(i),
                         fw::PortRole::kAccess,
                         {kQuarantine, kRegion, kVoice},
                         kQuarantine,
                         8,
                         portvakt::tables::Mode::kEnforce});
    c.ports.push_back(
        {"trunk", fw::PortRole::kTrunk, {kRegion, kVoice}, fw::kNoZone, 0, portvakt::tables::Mode::kEnforce});
    c.ports.push_back({"up-region", fw::PortRole::kUplink, {kRegion}, kRegion, 0, portvakt::tables::Mode::kEnforce});
    c.ports.push_back({"up-voice", fw::PortRole::kUplink, {kVoice}, kVoice, 0, portvakt::tables::Mode::kEnforce});
    // Two devices per access port: a PC (region) and a phone (voice).
    for (int i = 0; i < 2 * kAccessPorts; ++i) decider.assign(hostMac(i), i % 2 == 0 ? kRegion : kVoice);
    sw = std::make_unique<fw::VlanSwitch>(c, decider);
    for (fw::PortIndex p = 0; p < c.ports.size(); ++p) sw->attach(p, &sink);
    // Learn everyone once.
    push(kUplinkRegion, frame(MacAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kServer, -1, 64));
    for (int i = 0; i < 2 * kAccessPorts; ++i)
      push(static_cast<fw::PortIndex>(i / 2),
           frame(MacAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, hostMac(i), -1, 64));
    frames.clear();
    ports.clear();
  }
  void push(fw::PortIndex port, std::vector<uint8_t> bytes) {
    io::Frame f;
    f.bytes = bytes;
    f.wireLength = static_cast<uint32_t>(bytes.size());
    f.port = port;
    f.timestampNs = 1'000'000'000;
    (void)sw->process(f);
  }
  void run(benchmark::State& state) {
    size_t i = 0;
    io::Frame f;
    f.timestampNs = 1'000'000'000;
    for (auto _ : state) {
      const auto& b = frames[i];
      f.bytes = b;
      f.wireLength = static_cast<uint32_t>(b.size());
      f.port = ports[i];
      benchmark::DoNotOptimize(sw->process(f));
      if (++i == frames.size()) i = 0;
    }
    state.counters["frames_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["ns_per_frame"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    if (sw->drops().total() != 0) state.SkipWithError("frames were dropped");
  }
};

// PC on an access port -> region server on the uplink: known unicast, no rewrite.
void BM_AccessToUplinkUnicast(benchmark::State& state) {
  Bench b;
  for (int i = 0; i < 2 * kAccessPorts; i += 2) {
    b.frames.push_back(frame(kServer, hostMac(i), -1, static_cast<size_t>(state.range(0))));
    b.ports.push_back(static_cast<fw::PortIndex>(i / 2));
  }
  b.run(state);
}
BENCHMARK(BM_AccessToUplinkUnicast)->Arg(64)->Arg(512)->Arg(1514);

// Region server -> PCs: known unicast to many access ports.
void BM_UplinkToAccessUnicast(benchmark::State& state) {
  Bench b;
  for (int i = 0; i < 2 * kAccessPorts; i += 2) {
    b.frames.push_back(frame(hostMac(i), kServer, -1, static_cast<size_t>(state.range(0))));
    b.ports.push_back(kUplinkRegion);
  }
  b.run(state);
}
BENCHMARK(BM_UplinkToAccessUnicast)->Arg(64)->Arg(512)->Arg(1514);

// Trunk (tagged 20) -> phones: known unicast with a tag pop (one copy).
void BM_TrunkToAccessTagPop(benchmark::State& state) {
  Bench b;
  for (int i = 1; i < 2 * kAccessPorts; i += 2) {
    b.frames.push_back(frame(hostMac(i), kServer, 20, static_cast<size_t>(state.range(0))));
    b.ports.push_back(kTrunk);
  }
  b.run(state);
}
BENCHMARK(BM_TrunkToAccessTagPop)->Arg(64)->Arg(512)->Arg(1514);

// A PC's broadcast: flooded to the region uplink (untagged), the trunk
// (tag push) and the 23 other access ports that have a region PC.
void BM_AccessBroadcastFlood(benchmark::State& state) {
  Bench b;
  for (int i = 0; i < 2 * kAccessPorts; i += 2) {
    b.frames.push_back(
        frame(MacAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, hostMac(i), -1, static_cast<size_t>(state.range(0))));
    b.ports.push_back(static_cast<fw::PortIndex>(i / 2));
  }
  b.run(state);
}
BENCHMARK(BM_AccessBroadcastFlood)->Arg(64)->Arg(512);

}  // namespace

BENCHMARK_MAIN();
