// The `retention` section: how long the control plane keeps devices and the
// audit trail. A base sets the region's limits; a site may keep devices for
// less time (less personal data, R10) and the audit trail for longer (more
// traceability, R9), never the other way round.
#include <optional>
#include <string>

#include "policy/compiler/duration.h"
#include "policy/compiler/policy_builder.h"

namespace portvakt::policy {
namespace {

using std::chrono::seconds;

constexpr seconds kMinimum = std::chrono::hours{1};
constexpr seconds kMaximum = std::chrono::days{36500};

std::string describe(seconds s) {
  if (s.count() % 86400 == 0) return std::to_string(s.count() / 86400) + "d";
  if (s.count() % 3600 == 0) return std::to_string(s.count() / 3600) + "h";
  return std::to_string(s.count()) + "s";
}

}  // namespace

void PolicyBuilder::buildRetention() {
  bool devicesFromBase = false, auditFromBase = false;
  for (size_t i = 0; i < chain_.size(); ++i) {
    const PolicyFile& f = chain_[i];
    if (!f.retention) continue;
    // One key at a time; `fromBase` is whether an earlier file (a base) set it.
    auto apply = [&](const std::optional<Text>& given, std::string_view key, seconds& value, bool& fromBase,
                     bool siteMayOnlyShorten) {
      if (!given) return;
      const std::optional<int64_t> ns = parseDurationNs(given->value);
      const std::optional<seconds> period =
          ns ? std::optional<seconds>(std::chrono::duration_cast<seconds>(std::chrono::nanoseconds{*ns})) : std::nullopt;
      if (!period || *period < kMinimum || *period > kMaximum) {
        diags_.error(given->at, "bad-value",
                     "retention " + std::string(key) +
                         " must be a period like '90d' or '12h' between 1h and 36500d, not '" + given->value + "'");
        return;
      }
      if (fromBase && siteMayOnlyShorten && *period > value) {
        diags_.error(given->at, "base-override",
                     "the base keeps devices for at most " + describe(value) + "; a site may not keep them longer (" +
                         given->value + ")");
        return;
      }
      if (fromBase && !siteMayOnlyShorten && *period < value) {
        diags_.error(given->at, "base-override",
                     "the base keeps the audit trail for " + describe(value) + "; a site may not keep it for less (" +
                         given->value + ")");
        return;
      }
      value = *period;
      if (i + 1 < chain_.size()) fromBase = true;
    };
    apply(f.retention->devices, "devices", out_.control.retention.devices, devicesFromBase, true);
    apply(f.retention->audit, "audit", out_.control.retention.audit, auditFromBase, false);
  }
}

}  // namespace portvakt::policy
