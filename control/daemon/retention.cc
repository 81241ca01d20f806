#include "control/daemon/retention.h"

namespace portvakt::control {

store::Result<RetentionOutcome> applyRetention(store::Store& store, const tables::Retention& retention,
                                               std::chrono::system_clock::time_point now,
                                               const std::function<void(const tables::MacAddress&)>& forgetInMemory) {
  const auto nowSeconds = std::chrono::floor<std::chrono::seconds>(now);
  RetentionOutcome outcome;
  auto expired = store.expireDevices(nowSeconds - retention.devices);
  if (!expired) return expired.error();
  for (const std::string& text : *expired) {
    // The store holds normalised MACs; one it cannot parse has no record in memory either.
    if (auto mac = tables::MacAddress::parse(text); mac && forgetInMemory) forgetInMemory(*mac);
  }
  outcome.forgottenDevices = std::move(*expired);
  auto pruned = store.prunePolicyHistory(nowSeconds - retention.audit);
  if (!pruned) return pruned.error();
  outcome.auditEntriesRemoved = *pruned;
  // The 802.1X audit trail is audit too: ended sessions go after
  // `retention.audit`, and beyond kMaxDot1xSessionRows the oldest ended ones.
  auto sessions = store.pruneDot1xSessions(nowSeconds - retention.audit, kMaxDot1xSessionRows);
  if (!sessions) return sessions.error();
  outcome.dot1xSessionsRemoved = *sessions;
  return outcome;
}

}  // namespace portvakt::control
