#include "control/daemon/policy_manager.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "control/store/store.h"
#include "control/version.h"
#include "policy/compiler/compiler.h"
#include "policy/tables/wall_clock.h"

namespace portvakt::control {

namespace {

store::PolicyRecord toRecord(const PolicyVersion& v) {
  store::PolicyRecord r;
  r.version = v.version;
  r.hash = v.hash;
  r.settingsHash = v.settingsHash;
  r.name = v.name;
  r.kind = v.kind;
  r.source = v.source;
  r.uid = v.uid;
  r.subject = v.subject;
  r.unixTime = unixSeconds(v.installedAt);
  r.summary = v.summary;
  r.canonical = v.canonical;
  r.settingsCanonical = v.settingsCanonical;
  r.sourcesJson = v.sourcesJson;
  return r;
}

PolicyVersion fromRecord(const store::PolicyRecord& r) {
  PolicyVersion v;
  v.version = r.version;
  v.hash = r.hash;
  v.settingsHash = r.settingsHash;
  v.name = r.name;
  v.source = r.source;
  v.uid = r.uid;
  v.subject = r.subject;
  v.installedAt = fromUnixSeconds(r.unixTime);
  v.summary = r.summary;
  v.kind = r.kind;
  return v;
}

// The sha256 of each file lets an auditor check a copy on disk against what
// was pushed (`sha256sum FILE`).
std::string sourcesToJson(const std::vector<policy::SourceText>& sources) {
  nlohmann::json list = nlohmann::json::array();
  for (const policy::SourceText& s : sources) {
    list.push_back({{"path", s.path}, {"text", s.text}, {"sha256", tables::sha256Hex(s.text)}});
  }
  return list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::vector<policy::SourceText>> sourcesFromJson(const std::string& text) {
  nlohmann::json list = nlohmann::json::parse(text, nullptr, false);
  if (list.is_discarded() || !list.is_array()) return std::nullopt;
  std::vector<policy::SourceText> out;
  for (const auto& item : list) {
    if (!item.is_object() || !item.contains("path") || !item["path"].is_string() || !item.contains("text") ||
        !item["text"].is_string()) {
      return std::nullopt;
    }
    out.push_back({item["path"].get<std::string>(), item["text"].get<std::string>()});
  }
  return out;
}

void setCanonical(PolicyVersion& v, const tables::CompiledPolicy& policy) {
  v.canonical = policy.dumpTables();
  v.settingsCanonical = policy.control.dumpCanonical(policy.zones);
}

// Whether `policy` is what `v` recorded: the same tables and the same
// settings. A version recorded before the settings had a hash never is.
bool sameHashes(const tables::CompiledPolicy& policy, const PolicyVersion& v) {
  return policy.contentHash == v.hash && policy.control.settingsHash == v.settingsHash;
}

}  // namespace

std::string changeSummary(const std::vector<PolicyChange>& changes) {
  int added = 0, changed = 0, removed = 0;
  for (const PolicyChange& c : changes) {
    if (c.kind == PolicyChange::Kind::kAdded) ++added;
    else if (c.kind == PolicyChange::Kind::kChanged) ++changed;
    else ++removed;
  }
  return "+" + std::to_string(added) + " ~" + std::to_string(changed) + " -" + std::to_string(removed) + " items";
}

PolicyManager::PolicyManager(store::Store* store) : store_(store) {
  if (!store_) return;
  auto records = store_->policyHistory(false);
  if (!records) {
    historyRead_ = Error{"cannot read the policy history: " + records.error().message};
    return;
  }
  for (const store::PolicyRecord& r : *records) history_.push_back(fromRecord(r));
}

PlanResult PolicyManager::plan(const policy::PolicyBundle& bundle) const {
  PlanResult result;
  policy::CompileResult compiled = policy::compilePolicySources(bundle.site, bundle.files);
  if (!compiled.ok() || compiled.diagnostics.warningCount() > 0) result.diagnostics = compiled.diagnostics.format();
  if (!compiled.ok()) return result;
  result.ok = true;
  result.compiled = compiled.policy;
  result.sources = std::move(compiled.sources);
  auto running = current();
  tables::CompiledPolicy empty;
  empty.seal();
  result.changes = diffPolicies(running ? *running : empty, *compiled.policy);
  const std::string before = running ? running->contentHash + "+" + running->control.settingsHash : "none";
  result.planId =
      tables::sha256Hex(before + ">" + compiled.policy->contentHash + "+" + compiled.policy->control.settingsHash)
          .substr(0, 16);
  return result;
}

Status PolicyManager::install(PolicyVersion v) {
  v.version = history_.empty() ? 1 : history_.back().version + 1;
  if (store_) {
    store::PolicyRecord r = toRecord(v);
    if (v.kind == "push" || v.kind == "upgrade") {
      // The site file as compiled (read first; its bases follow in sourcesJson).
      auto sources = sourcesFromJson(v.sourcesJson);
      if (sources && !sources->empty()) r.policyText = sources->front().text;
    }
    // Committed (and with synchronous=FULL on disk) before anything runs: a
    // version the audit trail lacks must never run, or a restart would
    // silently go back to the one before it.
    auto stored = store_->appendPolicy(r);
    if (!stored) {
      return Error{"cannot record " + v.kind + " of " + v.hash + " in the audit trail: " + stored.error().message +
                   "; the running policy is unchanged"};
    }
    v.version = *stored;
  }
  markCurrentChanged();
  current_.store(v.policy);  // the one step the dataplane sees
  history_.push_back(std::move(v));
  return {};
}

Status PolicyManager::push(const policy::PolicyBundle& bundle, uid_t uid, const std::string& expectedPlanId, WallTime now,
                           const std::string& subject) {
  PlanResult p = plan(bundle);
  if (!p.ok) return Error{"policy rejected, the running policy is unchanged:\n" + p.diagnostics};
  if (!expectedPlanId.empty() && expectedPlanId != p.planId) {
    return Error{"plan " + expectedPlanId + " is stale: the plan is now " + p.planId +
                 " (the running policy or the files changed); run policy plan again"};
  }
  if (preflight_) {
    if (auto checked = preflight_(*p.compiled); !checked) {
      return Error{"policy rejected, the running policy is unchanged: " + checked.error().message};
    }
  }
  PolicyVersion v;
  v.hash = p.compiled->contentHash;
  v.settingsHash = p.compiled->control.settingsHash;
  v.name = p.compiled->name;
  v.source = bundle.site;
  v.uid = uid;
  v.subject = subject;
  v.installedAt = now;
  v.summary = changeSummary(p.changes);
  setCanonical(v, *p.compiled);
  v.sourcesJson = sourcesToJson(p.sources);
  v.policy = p.compiled;
  return install(std::move(v));
}

void PolicyManager::resume(std::shared_ptr<const tables::CompiledPolicy> policy) {
  if (!history_.empty()) {
    history_.back().policy = policy;
    setCanonical(history_.back(), *policy);
  }
  markCurrentChanged();
  current_.store(std::move(policy));
}

Status PolicyManager::resumeLatest() {
  if (history_.empty()) return Error{"there is no earlier policy in the store"};
  PolicyVersion& last = history_.back();
  if (auto rebuilt = rebuild(last); !rebuilt) return rebuilt;
  if (!sameHashes(*last.policy, last)) {
    // A new portvakt compiles the engineer's files to other tables (an
    // upgrade changed the compiler or the tables' format), or the version was
    // recorded before the settings had a hash of their own. Refusing would
    // leave the clinic without forwarding after every upgrade; running them
    // unrecorded would break the audit trail. They run as a new version.
    PolicyVersion v = last;
    v.kind = "upgrade";
    v.hash = last.policy->contentHash;
    v.settingsHash = last.policy->control.settingsHash;
    v.uid = ::getuid();
    v.subject.clear();
    v.installedAt = wallNow();
    v.summary = "rebuilt by portvakt " + std::string(kVersion) + " from the files of version " +
                std::to_string(last.version) + ", whose tables were " + last.hash +
                (last.settingsHash.empty() ? " (settings not hashed apart then)" : " and settings " + last.settingsHash);
    last.policy = nullptr;  // version N keeps its recorded hash; a rollback rebuilds it
    return install(std::move(v));
  }
  markCurrentChanged();
  current_.store(last.policy);
  return {};
}

Status PolicyManager::rebuild(PolicyVersion& v) const {
  const std::string what = "version " + std::to_string(v.version) + " (" + v.source + ")";
  if (!store_) return Error{what + " ran before portvaktd last started and there is no store to rebuild it from"};
  auto record = store_->policyVersion(v.version);
  if (!record) return Error{"cannot read " + what + " from the store: " + record.error().message};
  auto sources = sourcesFromJson(record->sourcesJson);
  if (!sources) return Error{what + ": its recorded files are not readable JSON"};
  if (sources->empty()) {
    return Error{what + " was pushed by a portvaktd that did not record its files; push " + v.source + " again"};
  }
  policy::CompileResult compiled = policy::compilePolicySources(v.source, *sources);
  if (!compiled.ok())
    return Error{what + " no longer compiles from its recorded files:\n" + compiled.diagnostics.format()};
  // A record from before schema 5 has no settings hash: its hash covered the
  // tables and the settings, in one canonical text.
  const bool consistent =
      "sha256:" + tables::sha256Hex(record->canonical) == v.hash &&
      (v.settingsHash.empty() || "sha256:" + tables::sha256Hex(record->settingsCanonical) == v.settingsHash);
  if (!sameHashes(*compiled.policy, v) && !consistent) {
    // The record contradicts itself (a hash is not that of its own canonical
    // text): the store was altered or damaged, so its files are not trusted
    // either. A consistent record that rebuilds to other tables or settings
    // is an upgrade: the caller runs them as a new version.
    return Error{what + " rebuilds to tables " + compiled.policy->contentHash + " and settings " +
                 compiled.policy->control.settingsHash + ", and its record's hashes " + v.hash + " and " +
                 (v.settingsHash.empty() ? "(none)" : v.settingsHash) +
                 " are not those of its recorded canonical text; push " + v.source + " again"};
  }
  v.policy = compiled.policy;
  setCanonical(v, *compiled.policy);
  v.sourcesJson = record->sourcesJson;
  return {};
}

Status PolicyManager::rollback(int version, uid_t uid, WallTime now, const std::string& subject) {
  if (history_.size() < 2 && version == 0) return Error{"there is no earlier version to roll back to"};
  PolicyVersion* target = nullptr;
  if (version == 0) {
    target = &history_[history_.size() - 2];
  } else {
    for (PolicyVersion& v : history_) {
      if (v.version == version) target = &v;
    }
  }
  if (!target) return Error{"no policy version " + std::to_string(version) + " in the history"};
  if (!target->policy) {
    if (auto rebuilt = rebuild(*target); !rebuilt) return rebuilt;
  }
  if (preflight_) {
    if (auto checked = preflight_(*target->policy); !checked) {
      return Error{"rollback refused, the running policy is unchanged: " + checked.error().message};
    }
  }
  auto running = current();
  PolicyVersion v = *target;
  const bool rebuiltDifferently = !sameHashes(*target->policy, *target);
  v.hash = target->policy->contentHash;  // what runs (this build's tables of that version's files)
  v.settingsHash = target->policy->control.settingsHash;
  setCanonical(v, *target->policy);
  v.uid = uid;
  v.subject = subject;
  v.installedAt = now;
  v.kind = "rollback";  // source stays the file that version was pushed from
  v.summary = "rollback to version " + std::to_string(target->version) +
              (rebuiltDifferently ? " (rebuilt by portvakt " + std::string(kVersion) +
                                        " to other tables or settings than its " + target->hash + ")"
                                  : "") +
              (running ? ": " + changeSummary(diffPolicies(*running, *target->policy)) : "");
  return install(std::move(v));
}

}  // namespace portvakt::control
