#pragma once
// The whole dataplane on frames from a capture or memory, without live ports:
// the VLAN switch with the PolicyDecider plugged in, egress frames counted and
// discarded. `portvakt simulate`, `portvakt trace` and the pipeline benchmark
// run on it, so what they report is what the live switch would do.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/engine/policy_decider.h"
#include "dataplane/engine/switch_drop_events.h"
#include "dataplane/forward/vlan_switch.h"
#include "dataplane/io/frame_io.h"
#include "policy/tables/expected.h"

namespace portvakt::engine {

// Egress frames are counted per port and dropped: a simulation has no wire.
class CountingSink final : public io::FrameSink {
 public:
  bool send(const io::Frame& frame) override {
    if (frame.port >= perPort_.size()) perPort_.resize(size_t{frame.port} + 1);
    ++perPort_[frame.port];
    return true;
  }
  std::string_view error() const override { return {}; }
  uint64_t sentOn(uint16_t port) const { return port < perPort_.size() ? perPort_[port] : 0; }

 private:
  std::vector<uint64_t> perPort_;
};

struct PipelineResult {
  forward::ForwardResult forward;
  std::string verdict;  // "forwarded", "dropped:<reason>", "monitor:<reason>" (forwarded, would drop)
};

class OfflinePipeline {
 public:
  // Fails when the policy's ports do not make a valid switch (the Error's
  // message says what is wrong with which port).
  static dataplane::Expected<std::unique_ptr<OfflinePipeline>> create(
      tables::CompiledPolicyPtr policy, fingerprint::ProfilerConfig config = {},
      std::shared_ptr<const fingerprint::FingerprintDb> fingerprints = nullptr);

  PipelineResult process(const io::Frame& frame, Explanation* why = nullptr);

  const PolicyDecider& decider() const { return decider_; }
  PolicyDecider& decider() { return decider_; }
  const forward::VlanSwitch& vlanSwitch() const { return *switch_; }
  // The switch itself, for callers that need no verdict text (the benchmark).
  forward::VlanSwitch& vlanSwitch() { return *switch_; }
  // Verdict counts by (source zone, verdict), over every frame processed.
  const std::map<std::pair<std::string, std::string>, uint64_t>& tally() const { return tally_; }

 private:
  OfflinePipeline(tables::CompiledPolicyPtr policy, fingerprint::ProfilerConfig config,
                  std::shared_ptr<const fingerprint::FingerprintDb> fingerprints)
      : decider_(std::move(policy), std::move(config), std::move(fingerprints)) {}

  PolicyDecider decider_;
  std::unique_ptr<forward::VlanSwitch> switch_;
  std::unique_ptr<SwitchDropEvents> drops_;
  CountingSink sink_;
  std::map<std::pair<std::string, std::string>, uint64_t> tally_;
};

}  // namespace portvakt::engine
