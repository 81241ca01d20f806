// The dataplane's per-frame work, from memory, for an instruction count
// (bench/callgrind_per_frame.sh runs it under `valgrind --tool=callgrind`).
//
//   portvakt_frame_cost FRAMES
//
// What the daemon does for one frame of the veth bench's flow (bench/
// veth-bench.yaml: the sender's 64-byte UDP to 10.77.0.2:9000, from the
// pinned MAC on access port eth0 toward the uplink eth1): the VLAN switch with
// the policy decider behind it (profiler pin lookup, the compiled flow
// classifier) and the switch's drop events, as control/daemon wires them,
// into a sink that copies each egress frame into a preallocated buffer as
// io::PacketSocketSink does (no system calls: those are the kernel's
// instructions, which callgrind does not see). Startup (compiling the policy)
// is the same whatever FRAMES is, so the difference between two runs divided
// by the difference of their FRAMES is the cost of one frame.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dataplane/engine/policy_decider.h"
#include "dataplane/engine/switch_drop_events.h"
#include "dataplane/forward/forward_loop.h"
#include "dataplane/forward/vlan_switch.h"
#include "policy/compiler/compiler.h"

namespace {

using namespace portvakt;

// Copies what it is given, as the live sink does.
class CopySink final : public io::FrameSink {
 public:
  bool send(const io::Frame& frame) override {
    const size_t n = std::min(frame.bytes.size(), buffer_.size());
    std::memcpy(buffer_.data(), frame.bytes.data(), n);
    ++sent_;
    return true;
  }
  std::string_view error() const override { return {}; }
  uint64_t sent() const { return sent_; }

 private:
  std::array<uint8_t, 2048> buffer_{};
  uint64_t sent_ = 0;
};

std::vector<uint8_t> udpFrame(const uint8_t* dstMac, const uint8_t* srcMac, const uint8_t* srcIp, const uint8_t* dstIp,
                              uint16_t srcPort, uint16_t dstPort, uint8_t tos) {
  std::vector<uint8_t> f(60, 0);
  std::memcpy(&f[0], dstMac, 6);
  std::memcpy(&f[6], srcMac, 6);
  f[12] = 0x08;
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  ip[1] = tos;
  ip[3] = 46;
  ip[6] = 0x40;
  ip[8] = 64;
  ip[9] = 17;
  std::memcpy(&ip[12], srcIp, 4);
  std::memcpy(&ip[16], dstIp, 4);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += static_cast<uint32_t>(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = static_cast<uint8_t>(~sum >> 8);
  ip[11] = static_cast<uint8_t>(~sum);
  uint8_t* udp = ip + 20;
  udp[0] = static_cast<uint8_t>(srcPort >> 8);
  udp[1] = static_cast<uint8_t>(srcPort);
  udp[2] = static_cast<uint8_t>(dstPort >> 8);
  udp[3] = static_cast<uint8_t>(dstPort);
  udp[5] = 26;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const long frames = argc > 1 ? std::atol(argv[1]) : 100000;
  auto compiled = policy::compilePolicyFile(PORTVAKT_SOURCE_DIR "/bench/veth-bench.yaml");
  if (!compiled.ok()) {
    std::fprintf(stderr, "frame_cost: bench/veth-bench.yaml does not compile\n");
    return 1;
  }
  forward::SwitchConfig config = forward::switchConfigFromPolicy(*compiled.policy);
  engine::PolicyDecider decider(compiled.policy);
  forward::VlanSwitch sw(config, decider);
  engine::SwitchDropEvents drops(decider, sw.config(), /*liveClock=*/false);
  sw.setEvents(&drops);
  CopySink sink;
  for (size_t p = 0; p < sw.portCount(); ++p) sw.attach(static_cast<forward::PortIndex>(p), &sink);

  const uint8_t sender[6] = {0x02, 0, 0, 0x77, 0, 0x01}, receiver[6] = {0x02, 0, 0, 0x77, 0, 0x02};
  const uint8_t src[4] = {10, 77, 0, 1}, dst[4] = {10, 77, 0, 2};
  const std::vector<uint8_t> flow = udpFrame(receiver, sender, src, dst, 40000, 9000, 0);
  const std::vector<uint8_t> learn = udpFrame(sender, receiver, dst, src, 9000, 40000, 0);
  auto frameOf = [](const std::vector<uint8_t>& b, uint16_t port, int64_t now) {
    io::Frame f;
    f.bytes = b;
    f.wireLength = static_cast<uint32_t>(b.size());
    f.port = port;
    f.timestampNs = now;
    return f;
  };
  int64_t now = 1'000'000'000;
  // The receiver is learned on the uplink and the sender profiled before the
  // counted frames, as in the bench (learnReceiver, waitUntilForwarding).
  (void)sw.process(frameOf(learn, 1, now));
  for (int i = 0; i < 10; ++i) (void)sw.process(frameOf(flow, 0, now += 1000));
  engine::EngineEvent e;
  while (decider.popEvent(e)) {
  }
  // Through the forward loop's per-frame path (ForwardLoop::handle: the
  // queue-age check, then the switch), a burst of 64 at a time as a busy
  // port delivers them; the frames are fresh (the loop keeps up).
  forward::ForwardLoop loop(sw);
  const uint64_t before = sink.sent();
  for (long i = 0; i < frames; ++i) {
    now += 1000;
    loop.handle(frameOf(flow, 0, now), now);
    if (i % 64 == 63) loop.finishBurst();
  }
  loop.finishBurst();
  const uint64_t forwarded = sink.sent() - before;
  std::printf("frames %ld forwarded %llu\n", frames, static_cast<unsigned long long>(forwarded));
  return forwarded == static_cast<uint64_t>(frames) ? 0 : 1;
}
