#include "dataplane/engine/offline_pipeline.h"

namespace portvakt::engine {

dataplane::Expected<std::unique_ptr<OfflinePipeline>> OfflinePipeline::create(
    tables::CompiledPolicyPtr policy, fingerprint::ProfilerConfig config,
    std::shared_ptr<const fingerprint::FingerprintDb> fingerprints) {
  forward::SwitchConfig sc = forward::switchConfigFromPolicy(*policy);
  if (auto valid = forward::validate(sc); !valid) return valid.error();
  if (sc.ports.empty()) return dataplane::Error{"the policy has no ports"};
  std::unique_ptr<OfflinePipeline> p(new OfflinePipeline(std::move(policy), std::move(config), std::move(fingerprints)));
  p->switch_ = std::make_unique<forward::VlanSwitch>(std::move(sc), p->decider_);
  for (size_t i = 0; i < p->switch_->portCount(); ++i) p->switch_->attach(static_cast<forward::PortIndex>(i), &p->sink_);
  p->drops_ = std::make_unique<SwitchDropEvents>(p->decider_, p->switch_->config(), /*liveClock=*/false);
  p->switch_->setEvents(p->drops_.get());
  return p;
}

PipelineResult OfflinePipeline::process(const io::Frame& frame, Explanation* why) {
  drops_->setNow(frame.timestampNs);
  decider_.explainNext(why);
  PipelineResult r;
  r.forward = switch_->process(frame);
  decider_.stopExplaining();  // the switch may have dropped the frame before asking
  const std::string zone =
      decider_.policy().zoneName(r.forward.zone != tables::kNoZone ? r.forward.zone : decider_.lastZone());
  if (r.forward.forwarded()) {
    r.verdict = r.forward.wouldDrop == forward::DropReason::kNone
                    ? "forwarded"
                    : "monitor:" + std::string(forward::dropReasonName(r.forward.wouldDrop));
  } else {
    r.verdict = "dropped:" + std::string(forward::dropReasonName(r.forward.drop));
  }
  ++tally_[{zone, r.verdict}];
  return r;
}

}  // namespace portvakt::engine
