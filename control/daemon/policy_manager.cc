#include "control/daemon/policy_manager.h"

#include <fstream>
#include <sstream>

#include "control/store/store.h"
#include "policy/compiler/compiler.h"

namespace portvakt::control {

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
    lastError_ = "cannot read the policy history: " + records.error().message;
    return;
  }
  for (const store::PolicyRecord& r : *records) {
    PolicyVersion v;
    v.version = r.version;
    v.hash = r.hash;
    v.name = r.name;
    v.source = r.source;
    v.uid = r.uid;
    v.unixTime = r.unixTime;
    v.summary = r.summary;
    v.kind = r.kind;
    history_.push_back(std::move(v));
  }
}

PlanResult PolicyManager::plan(const std::string& path) const {
  PlanResult result;
  policy::CompileResult compiled = policy::compilePolicyFile(path);
  if (!compiled.ok() || compiled.diagnostics.warningCount() > 0) result.diagnostics = compiled.diagnostics.format();
  if (!compiled.ok()) return result;
  result.ok = true;
  result.compiled = compiled.policy;
  auto running = current();
  tables::CompiledPolicy empty;
  empty.seal();
  result.changes = diffPolicies(running ? *running : empty, *compiled.policy);
  result.planId = tables::sha256Hex((running ? running->contentHash : std::string("none")) + ">" +
                                    compiled.policy->contentHash)
                      .substr(0, 16);
  return result;
}

void PolicyManager::install(PolicyVersion v) {
  v.version = history_.empty() ? 1 : history_.back().version + 1;
  if (store_) {
    store::PolicyRecord r;
    r.hash = v.hash;
    r.name = v.name;
    r.kind = v.kind;
    r.source = v.source;
    r.uid = v.uid;
    r.unixTime = v.unixTime;
    r.summary = v.summary;
    r.canonical = v.canonical;
    if (v.kind == "push") {
      std::ifstream in(v.source);
      std::stringstream text;
      text << in.rdbuf();
      r.policyText = text.str();  // the site file as pushed; its base is named by `extends`
    }
    if (auto stored = store_->appendPolicy(r)) {
      v.version = *stored;
      lastError_.clear();
    } else {
      lastError_ = "the policy runs, but the audit trail could not record it: " + stored.error().message;
    }
  }
  current_.store(v.policy);  // the one step the dataplane sees
  history_.push_back(std::move(v));
}

std::optional<std::string> PolicyManager::push(const std::string& path, uid_t uid, const std::string& expectedPlanId,
                                               int64_t now) {
  PlanResult p = plan(path);
  if (!p.ok) return "policy rejected, the running policy is unchanged:\n" + p.diagnostics;
  if (!expectedPlanId.empty() && expectedPlanId != p.planId) {
    return "plan " + expectedPlanId + " is stale: the plan is now " + p.planId +
           " (the running policy or the files changed); run policy plan again";
  }
  PolicyVersion v;
  v.hash = p.compiled->contentHash;
  v.name = p.compiled->name;
  v.source = path;
  v.uid = uid;
  v.unixTime = now;
  v.summary = changeSummary(p.changes);
  v.canonical = p.compiled->dumpCanonical();
  v.policy = p.compiled;
  install(std::move(v));
  return std::nullopt;
}

void PolicyManager::resume(std::shared_ptr<const tables::CompiledPolicy> policy) {
  if (!history_.empty()) {
    history_.back().policy = policy;
    history_.back().canonical = policy->dumpCanonical();
  }
  current_.store(std::move(policy));
}

std::optional<std::string> PolicyManager::rollback(int version, uid_t uid, int64_t now) {
  if (history_.size() < 2 && version == 0) return "there is no earlier version to roll back to";
  const PolicyVersion* target = nullptr;
  if (version == 0) {
    target = &history_[history_.size() - 2];
  } else {
    for (const PolicyVersion& v : history_) {
      if (v.version == version) target = &v;
    }
  }
  if (!target) return "no policy version " + std::to_string(version) + " in the history";
  if (!target->policy) {
    return "version " + std::to_string(target->version) + " ran before portvaktd last started and its tables are not loaded; push " +
           target->source + " again";
  }
  auto running = current();
  PolicyVersion v = *target;
  v.uid = uid;
  v.unixTime = now;
  v.kind = "rollback";  // source stays the file that version was pushed from
  v.summary = "rollback to version " + std::to_string(target->version) +
              (running ? ": " + changeSummary(diffPolicies(*running, *target->policy)) : "");
  install(std::move(v));
  return std::nullopt;
}

}  // namespace portvakt::control
