#pragma once
// The running policy and its history. A push is compiled in full before
// anything changes; the swap is one atomic pointer store that the dataplane
// reads between frames, so no frame ever sees half a policy. A failed push
// leaves the running policy untouched and says why.
//
// Record first, then swap: with a store, a version runs only after the audit
// trail holds it durably (the append committed, synchronous=FULL). A push or
// rollback the store refuses (disk full, read-only, damaged) is refused with
// the store's reason, and nothing changes: not the running policy, not the
// history, not the version numbers. Before this order, a full state
// directory let a push run unrecorded, and a restart silently went back to
// the version before it.
//
// Policies come as bundles (policy::PolicyBundle: the site file's name and
// every file it reads, with their texts), compiled without reading the disk:
// the daemon runs as root and must never open a file a client names.
//
// Thread-safety: plan/push/rollback/history are called by one thread at a
// time (portvaktd: the control thread or an HTTPS worker, under the daemon's
// apiMutex); current() may be called from any thread.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/control_result.h"
#include "control/daemon/wall_time.h"
#include "control/policy_views/policy_diff.h"
#include "policy/compiler/compiler.h"
#include "policy/compiler/source_file.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::store {
class Store;
}

namespace portvakt::control {

struct PolicyVersion {
  int version = 0;   // 1, 2, ... in push order; a rollback is a new version
  std::string hash;  // of the tables the dataplane runs (CompiledPolicy::contentHash)
  // Of the control plane's settings (ControlSettings::settingsHash); empty for
  // a version recorded before the two were hashed apart.
  std::string settingsHash;
  std::string name;
  std::string source;              // the site file pushed, as the client named it (a label, never opened)
  uid_t uid = 0;                   // who pushed (SO_PEERCRED)
  std::string subject;             // who pushed over HTTPS: the client certificate's subject (uid is 0 then)
  WallTime installedAt{};          // when it was pushed, rolled back to or rebuilt (the store keeps seconds)
  std::string summary;             // "+2 ~1 -0 items" against the version before
  std::string canonical;           // the compiled tables (dumpTables), for audit
  std::string settingsCanonical;   // the control settings' canonical form, for audit
  std::string kind = "push";       // push | rollback | upgrade (rebuilt by a new portvakt at start)
  std::string sourcesJson = "[]";  // every file compiled: [{path, text, sha256}], the bundle as used
  std::shared_ptr<const tables::CompiledPolicy> policy;  // null for versions from before the last start, until needed
};

struct PlanResult {
  bool ok = false;
  std::string diagnostics;  // compiler output when !ok (or warnings)
  std::string planId;       // sha256 of (running hashes, new hashes): a push can insist on it
  std::vector<PolicyChange> changes;
  std::shared_ptr<const tables::CompiledPolicy> compiled;
  std::vector<policy::SourceText> sources;  // the files compiled, as read
};

class PolicyManager {
 public:
  PolicyManager() = default;
  // Every installed version is also appended to `store` (the audit trail);
  // history() then starts with what the store already holds.
  explicit PolicyManager(store::Store* store);
  std::shared_ptr<const tables::CompiledPolicy> current() const { return current_.load(); }
  // When current() last changed (the wall clock): the dataplane measures its
  // reload latency against it.
  std::chrono::system_clock::time_point currentSince() const {
    return std::chrono::system_clock::time_point(std::chrono::nanoseconds(currentSinceNs_.load()));
  }
  const std::vector<PolicyVersion>& history() const { return history_; }

  // Compiles `bundle` (no disk access) and compares it with the running policy.
  PlanResult plan(const policy::PolicyBundle& bundle) const;
  // A check every push and rollback must pass before the swap, beyond
  // compiling: the daemon's is "the policy's ports exist on this host".
  // Ok, or the reason to refuse.
  using Preflight = std::function<Status(const tables::CompiledPolicy&)>;
  void setPreflight(Preflight check) { preflight_ = std::move(check); }
  // Compiles `bundle`, records it and swaps it in. With `expectedPlanId`,
  // refuses unless the plan computed now has that id (nothing changed since
  // the engineer looked). Ok, or why the running policy is unchanged.
  // `subject` names an HTTPS caller by its certificate ("" for the Unix socket).
  Status push(const policy::PolicyBundle& bundle, uid_t uid, const std::string& expectedPlanId, WallTime now,
              const std::string& subject = "");
  // Runs `policy` as the last version of the history (a restart with the same
  // tables): no new history entry.
  void resume(std::shared_ptr<const tables::CompiledPolicy> policy);
  // Runs the last version of the history again, rebuilt from its recorded
  // files (a restart without --policy). When this build compiles them to
  // other tables or settings than recorded (after an upgrade; also every
  // version recorded before the settings had a hash of their own), those run
  // as a new version of kind "upgrade". Ok, or why not.
  Status resumeLatest();
  // Swaps back to a previous version's tables (as a new version). A version
  // from before the last start is rebuilt from the files recorded with it
  // (not from disk, where they may have changed); the new version records
  // the hash of the tables that run. `version` 0 means the version before
  // the running one.
  Status rollback(int version, uid_t uid, WallTime now, const std::string& subject = "");

 private:
  // Appends `v` to the store, then swaps; on a store error returns it and
  // changes nothing.
  Status install(PolicyVersion v);
  Status rebuild(PolicyVersion& v) const;
  void markCurrentChanged() { currentSinceNs_.store(wallClockNs()); }

  std::atomic<std::shared_ptr<const tables::CompiledPolicy>> current_;
  std::atomic<int64_t> currentSinceNs_{0};  // Unix ns: an atomic of a plain count
  std::vector<PolicyVersion> history_;      // versions from earlier runs have no `policy` (not loaded)
  store::Store* store_ = nullptr;
  Status historyRead_;
  Preflight preflight_;

 public:
  // Whether the constructor could read the history from the store (a
  // constructor cannot return it): the daemon logs the error.
  const Status& historyRead() const { return historyRead_; }
};

std::string changeSummary(const std::vector<PolicyChange>& changes);

}  // namespace portvakt::control
