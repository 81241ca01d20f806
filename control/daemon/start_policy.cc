#include "control/daemon/start_policy.h"

#include <unistd.h>

#include "control/daemon/daemon_log.h"
#include "control/daemon/policy_manager.h"
#include "control/daemon/wall_time.h"
#include "policy/compiler/compiler.h"

namespace portvakt::control {

std::optional<DaemonError> installStartPolicy(PolicyManager& policies, const DaemonOptions& options) {
  using Kind = DaemonError::Kind;
  const bool firstStart = policies.history().empty();
  if (options.policyFile || (firstStart && options.initialPolicyFile)) {
    const std::string& startPolicy = options.policyFile ? *options.policyFile : *options.initialPolicyFile;
    policy::BundleRead read = policy::readPolicyBundle(startPolicy);
    if (!read.bundle) return DaemonError{Kind::kInvalidPolicy, read.diagnostics.format()};
    auto plan = policies.plan(*read.bundle);
    if (plan.ok && !policies.history().empty() && plan.compiled->contentHash == policies.history().back().hash &&
        plan.compiled->control.settingsHash == policies.history().back().settingsHash) {
      policies.resume(plan.compiled);  // the same tables and settings as before the restart: no new history entry
    } else if (auto pushed = policies.push(*read.bundle, ::getuid(), "", wallNow()); !pushed) {
      // Also when the state directory cannot record it: never run unrecorded.
      return DaemonError{Kind::kInvalidPolicy, pushed.error().message};
    }
    return std::nullopt;
  }
  if (policies.history().empty()) {
    return DaemonError{Kind::kUsage,
                       "no --policy or --initial-policy given and no earlier policy in " + options.stateDir};
  }
  if (auto resumed = policies.resumeLatest(); !resumed) {
    return DaemonError{Kind::kRuntime, "cannot restart with the last policy: " + resumed.error().message};
  }
  const PolicyVersion& last = policies.history().back();
  DaemonLog::line("restarting with the last pushed policy, version " + std::to_string(last.version) + " " + last.hash +
                  " (" + last.source + ")");
  return std::nullopt;
}

}  // namespace portvakt::control
