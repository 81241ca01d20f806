// Policy versions survive a restart exactly: a restarted daemon resumes the
// last version and rolls back to older ones from the files recorded at push
// time, even after those files changed on disk.
#include "control/daemon/policy_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "control/store/store.h"
#include "tests/control/store/temp_dir.h"
#include "tests/control/daemon/status_text.h"

namespace portvakt::control {
namespace {

namespace fs = std::filesystem;

policy::PolicyBundle bundleOf(const std::string& path) {
  policy::BundleRead read = policy::readPolicyBundle(path);
  EXPECT_TRUE(read.bundle) << read.diagnostics.format();
  return read.bundle ? *read.bundle : policy::PolicyBundle{};
}

class PolicyManagerRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    fs::copy("examples", dir_.file("site"), fs::copy_options::recursive);
    store_ = openStore();
  }
  std::unique_ptr<store::Store> openStore() {
    auto opened = store::Store::open(dir_.file("portvakt.db"));
    EXPECT_TRUE(opened) << opened.error().message;
    return opened ? std::move(opened.value()) : nullptr;
  }
  std::string site(const char* name) { return dir_.file("site/") + name; }
  void append(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::app) << text; }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

// Requirements: R9
TEST_F(PolicyManagerRestartTest, RollbackAcrossARestartRebuildsTheRecordedFiles) {
  std::string v1Hash, v2Hash;
  {
    PolicyManager before(store_.get());
    ASSERT_EQ(errorOf(before.push(bundleOf(site("vardcentral-karlstad.yaml")), 0, "", fromUnixSeconds(100))),
              std::nullopt);
    ASSERT_EQ(errorOf(before.push(bundleOf(site("fysioterapi-arvika.yaml")), 0, "", fromUnixSeconds(200))), std::nullopt);
    v1Hash = before.history()[0].hash;
    v2Hash = before.history()[1].hash;
    ASSERT_NE(v1Hash, v2Hash);
  }
  // While the daemon is down, the engineer edits the base both sites extend
  // and the Karlstad inventory.
  append(site("region-base.yaml"), "\n# edited after the push\ndescription: changed on disk\n");
  append(site("vardcentral-karlstad-inventory.csv"), "");
  fs::remove(site("vardcentral-karlstad-inventory.csv"));

  PolicyManager after(store_.get());
  ASSERT_EQ(after.current(), nullptr);
  ASSERT_EQ(errorOf(after.resumeLatest()), std::nullopt);
  EXPECT_EQ(after.current()->contentHash, v2Hash) << "resumed from the recorded files, not the edited base";
  ASSERT_EQ(errorOf(after.rollback(1, 0, fromUnixSeconds(300))), std::nullopt);
  EXPECT_EQ(after.current()->contentHash, v1Hash) << "the inventory file is gone from disk, its recorded text is not";
  EXPECT_EQ(after.history().back().kind, "rollback");
  EXPECT_EQ(after.history().back().version, 3);

  // And once more after another restart: the rollback itself recorded its files.
  PolicyManager again(store_.get());
  ASSERT_EQ(errorOf(again.resumeLatest()), std::nullopt);
  EXPECT_EQ(again.current()->contentHash, v1Hash);
}

TEST_F(PolicyManagerRestartTest, VersionsWithoutRecordedFilesAreRefusedClearly) {
  store::PolicyRecord old{0, "sha256:00", "vc", "push", site("vardcentral-karlstad.yaml"), 0, 100, "", "", ""};
  ASSERT_TRUE(store_->appendPolicy(old));  // as a schema-1 store left it: no sources
  PolicyManager manager(store_.get());
  ASSERT_EQ(errorOf(manager.push(bundleOf(site("fysioterapi-arvika.yaml")), 0, "", fromUnixSeconds(200))), std::nullopt);
  auto error = errorOf(manager.rollback(1, 0, fromUnixSeconds(300)));
  ASSERT_TRUE(error);
  EXPECT_EQ(*error, "version 1 (" + site("vardcentral-karlstad.yaml") +
                        ") was pushed by a portvaktd that did not record its files; push " +
                        site("vardcentral-karlstad.yaml") + " again");
  EXPECT_EQ(manager.history().size(), 2u) << "a refused rollback adds nothing";
}

TEST_F(PolicyManagerRestartTest, ARecordWhoseHashIsNotThatOfItsTablesIsRefused) {
  PolicyManager before(store_.get());
  ASSERT_EQ(errorOf(before.push(bundleOf(site("vardcentral-karlstad.yaml")), 0, "", fromUnixSeconds(100))), std::nullopt);
  // Tamper with the recorded hash: it is no longer that of the recorded tables.
  store::PolicyRecord forged{0, "sha256:forged", "vc", "push", site("vardcentral-karlstad.yaml"), 0, 150, "", "", ""};
  forged.sourcesJson = store_->policyVersion(1)->sourcesJson;
  ASSERT_TRUE(store_->appendPolicy(forged));
  PolicyManager after(store_.get());
  auto error = errorOf(after.resumeLatest());
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("its record's hashes sha256:forged and "), std::string::npos) << *error;
  EXPECT_NE(error->find("are not those of its recorded canonical text"), std::string::npos) << *error;
  EXPECT_EQ(after.current(), nullptr);
}

// The settings hash is checked like the tables' hash: a record whose settings
// hash is not that of its recorded settings text is refused too.
TEST_F(PolicyManagerRestartTest, ARecordWhoseSettingsHashIsNotThatOfItsSettingsIsRefused) {
  {
    PolicyManager before(store_.get());
    ASSERT_EQ(errorOf(before.push(bundleOf(site("vardcentral-karlstad.yaml")), 0, "", fromUnixSeconds(100))),
              std::nullopt);
  }
  store::PolicyRecord forged = *store_->policyVersion(1);
  forged.version = 0;
  forged.canonical += "older-compiler-field 1\n";  // other tables, so it does not rebuild to itself
  forged.hash = "sha256:" + tables::sha256Hex(forged.canonical);
  forged.settingsHash = "sha256:forged";
  ASSERT_TRUE(store_->appendPolicy(forged));
  PolicyManager after(store_.get());
  auto error = errorOf(after.resumeLatest());
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("and sha256:forged are not those of its recorded canonical text"), std::string::npos) << *error;
  EXPECT_EQ(after.current(), nullptr);
}

// A site file whose sinks, routes or maintenance windows (the control plane's
// settings) change: a new version with the same tables hash, a new settings
// hash; both recorded, and a restart finds both again (no upgrade version).
// Requirements: R9
TEST_F(PolicyManagerRestartTest, ASettingsOnlyChangeKeepsTheTablesHashAndRecordsBoth) {
  policy::PolicyBundle bundle = bundleOf(site("vardcentral-karlstad.yaml"));
  policy::PolicyBundle newWebhook = bundle;
  bool edited = false;
  for (policy::SourceText& f : newWebhook.files) {
    const std::string url = "https://servicedesk.region.example/api/portvakt";
    if (size_t at = f.text.find(url); at != std::string::npos) {
      f.text.replace(at, url.size(), "https://desk2.region.example/hook");
      edited = true;
    }
  }
  ASSERT_TRUE(edited) << "the example's webhook URL moved";
  {
    PolicyManager manager(store_.get());
    ASSERT_EQ(errorOf(manager.push(bundle, 0, "", fromUnixSeconds(100))), std::nullopt);
    const auto first = manager.current();
    PlanResult plan = manager.plan(newWebhook);
    ASSERT_TRUE(plan.ok);
    EXPECT_EQ(plan.compiled->contentHash, first->contentHash) << "a webhook is not part of the dataplane's tables";
    EXPECT_NE(plan.compiled->control.settingsHash, first->control.settingsHash);
    ASSERT_EQ(plan.changes.size(), 1u);
    EXPECT_EQ(plan.changes[0].section, "sink");
    EXPECT_NE(plan.planId, manager.plan(bundle).planId) << "the plan id covers the settings too";
    ASSERT_EQ(errorOf(manager.push(newWebhook, 0, plan.planId, fromUnixSeconds(200))), std::nullopt);
    ASSERT_EQ(manager.history().size(), 2u);
    EXPECT_EQ(manager.history()[1].hash, manager.history()[0].hash);
    EXPECT_NE(manager.history()[1].settingsHash, manager.history()[0].settingsHash);
  }
  auto recorded = store_->policyVersion(2);
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->settingsHash, "sha256:" + tables::sha256Hex(recorded->settingsCanonical));
  EXPECT_EQ(recorded->hash, "sha256:" + tables::sha256Hex(recorded->canonical));
  EXPECT_NE(recorded->settingsCanonical.find("https://desk2.region.example/hook"), std::string::npos);
  EXPECT_EQ(recorded->canonical.find("https://desk2"), std::string::npos) << "the tables' text holds no settings";

  PolicyManager after(store_.get());
  ASSERT_EQ(errorOf(after.resumeLatest()), std::nullopt);
  EXPECT_EQ(after.history().size(), 2u) << "the same tables and settings: no upgrade version";
  EXPECT_EQ(after.current()->control.settingsHash, recorded->settingsHash);
  // Back to the first webhook: a rollback of the settings alone.
  ASSERT_EQ(errorOf(after.rollback(1, 0, fromUnixSeconds(300))), std::nullopt);
  EXPECT_EQ(after.history().back().hash, recorded->hash);
  EXPECT_EQ(after.history().back().settingsHash, store_->policyVersion(1)->settingsHash);
}

// A version recorded before the settings had a hash of their own (schema 4
// and before: one hash over one canonical text of tables and settings, no
// settings hash) is consistent but is not what this build runs: it runs
// rebuilt, as a new version of kind "upgrade" that records both hashes.
// Requirements: R9
TEST_F(PolicyManagerRestartTest, ARecordFromBeforeTheSettingsHashRunsAsAnUpgrade) {
  {
    PolicyManager before(store_.get());
    ASSERT_EQ(errorOf(before.push(bundleOf(site("vardcentral-karlstad.yaml")), 0, "", fromUnixSeconds(100))),
              std::nullopt);
  }
  store::PolicyRecord older = *store_->policyVersion(1);
  older.version = 0;
  older.unixTime = 150;
  older.canonical = older.canonical + older.settingsCanonical;  // the one text of then
  older.hash = "sha256:" + tables::sha256Hex(older.canonical);
  older.settingsHash.clear();
  older.settingsCanonical.clear();
  ASSERT_TRUE(store_->appendPolicy(older));

  PolicyManager after(store_.get());
  ASSERT_EQ(errorOf(after.resumeLatest()), std::nullopt);
  ASSERT_NE(after.current(), nullptr);
  ASSERT_EQ(after.history().size(), 3u);
  const PolicyVersion& upgrade = after.history().back();
  EXPECT_EQ(upgrade.kind, "upgrade");
  EXPECT_EQ(upgrade.hash, after.current()->contentHash);
  EXPECT_EQ(upgrade.settingsHash, after.current()->control.settingsHash);
  EXPECT_FALSE(upgrade.settingsHash.empty());
  EXPECT_NE(upgrade.summary.find("whose tables were " + older.hash + " (settings not hashed apart then)"),
            std::string::npos)
      << upgrade.summary;
  auto recorded = store_->policyVersion(3);
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->settingsHash, upgrade.settingsHash);

  PolicyManager again(store_.get());
  ASSERT_EQ(errorOf(again.resumeLatest()), std::nullopt);
  EXPECT_EQ(again.history().size(), 3u) << "the next start finds both hashes: no further version";
}

// An upgrade whose compiler makes other tables of the same files (a new
// field, another canonical form) must not leave the clinic without a policy:
// the last version's files run, rebuilt, as a new version of kind "upgrade"
// that names the tables it replaces. (Before: the daemon refused to start.)
// Requirements: R9
TEST_F(PolicyManagerRestartTest, AfterAnUpgradeTheLastPolicyRunsRebuiltAsANewVersion) {
  std::string hash;
  {
    PolicyManager before(store_.get());
    ASSERT_EQ(errorOf(before.push(bundleOf(site("vardcentral-karlstad.yaml")), 0, "", fromUnixSeconds(100))),
              std::nullopt);
    hash = before.history().back().hash;
  }
  // As an older portvakt recorded it: the same files, its own tables (a
  // consistent record: the hash is that of its canonical dump).
  store::PolicyRecord older = *store_->policyVersion(1);
  older.version = 0;
  older.unixTime = 150;
  older.canonical += "older-compiler-field 1\n";
  older.hash = "sha256:" + tables::sha256Hex(older.canonical);
  ASSERT_TRUE(store_->appendPolicy(older));

  PolicyManager after(store_.get());
  ASSERT_EQ(errorOf(after.resumeLatest()), std::nullopt);
  ASSERT_NE(after.current(), nullptr);
  EXPECT_EQ(after.current()->contentHash, hash) << "this build's tables of the recorded files run";
  ASSERT_EQ(after.history().size(), 3u);
  const PolicyVersion& upgrade = after.history().back();
  EXPECT_EQ(upgrade.kind, "upgrade");
  EXPECT_EQ(upgrade.version, 3);
  EXPECT_EQ(upgrade.hash, hash);
  EXPECT_NE(upgrade.summary.find("from the files of version 2, whose tables were " + older.hash), std::string::npos)
      << upgrade.summary;
  auto recorded = store_->policyVersion(3);
  ASSERT_TRUE(recorded) << "the upgrade is in the audit trail";
  EXPECT_EQ(recorded->kind, "upgrade");
  EXPECT_EQ(recorded->sourcesJson, older.sourcesJson);

  // The next start finds its own tables: no further version.
  PolicyManager again(store_.get());
  ASSERT_EQ(errorOf(again.resumeLatest()), std::nullopt);
  EXPECT_EQ(again.history().size(), 3u);
  // A rollback to the older record records the hash of what runs.
  ASSERT_EQ(errorOf(again.rollback(2, 0, fromUnixSeconds(300))), std::nullopt);
  EXPECT_EQ(again.history().back().hash, hash);
  EXPECT_NE(again.history().back().summary.find("rebuilt by portvakt"), std::string::npos)
      << again.history().back().summary;
}

// The store of the first package (schema 2, written by portvakt 0.1.0's own
// portvaktd: tests/images/fixtures/store-schema2.sql) is migrated at open and
// its last push runs, rebuilt from its recorded files; its one hash covered
// tables and settings, so it runs as an upgrade that records both hashes.
// Requirements: R9
TEST_F(PolicyManagerRestartTest, TheFirstPackagesStoreIsMigratedAndItsLastPushRunsAsAnUpgrade) {
  store_.reset();
  fs::remove(dir_.file("portvakt.db"));
  std::ifstream in("tests/images/fixtures/store-schema2.sql");
  ASSERT_TRUE(in) << "run from the source tree";
  const std::string sql((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.file("portvakt.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  store_ = openStore();
  ASSERT_TRUE(store_);
  auto recorded = store_->policyVersion(2);
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->settingsHash, "");

  PolicyManager after(store_.get());
  ASSERT_EQ(errorOf(after.resumeLatest()), std::nullopt);
  ASSERT_NE(after.current(), nullptr);
  EXPECT_EQ(after.current()->name, "fysioterapi-arvika");
  ASSERT_EQ(after.history().size(), 3u);
  EXPECT_EQ(after.history().back().kind, "upgrade");
  EXPECT_NE(after.history().back().summary.find("whose tables were " + recorded->hash), std::string::npos)
      << after.history().back().summary;
  EXPECT_EQ(store_->policyVersion(3)->settingsHash, after.current()->control.settingsHash);
  EXPECT_EQ(store_->policyVersion(3)->hash, after.current()->contentHash);
}

// A bundle is compiled from its texts only: the names it gives its files are
// labels (here of files that exist nowhere), recorded as given.
TEST_F(PolicyManagerRestartTest, ABundleIsCompiledAndRecordedWithoutTheDisk) {
  policy::PolicyBundle bundle = bundleOf(site("vardcentral-karlstad.yaml"));
  const std::string dir = dir_.file("site/");
  for (policy::SourceText& f : bundle.files) f.path = "/clinic/laptop/" + f.path.substr(dir.size());
  bundle.site = "/clinic/laptop/vardcentral-karlstad.yaml";
  {
    PolicyManager manager(store_.get());
    ASSERT_EQ(errorOf(manager.push(bundle, 1000, "", fromUnixSeconds(100))), std::nullopt);
    EXPECT_EQ(manager.history().back().source, "/clinic/laptop/vardcentral-karlstad.yaml");
  }
  auto recorded = store_->policyVersion(1);
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->source, "/clinic/laptop/vardcentral-karlstad.yaml");
  auto files = nlohmann::json::parse(recorded->sourcesJson);
  ASSERT_EQ(files.size(), bundle.files.size());
  EXPECT_EQ(files[0]["path"], bundle.files[0].path);
  EXPECT_EQ(files[0]["text"], bundle.files[0].text);
  EXPECT_EQ(files[0]["sha256"], tables::sha256Hex(bundle.files[0].text)) << "an auditor can check a copy with sha256sum";
  EXPECT_EQ(recorded->policyText, bundle.files[0].text);
  // And it is rebuilt from those texts after a restart.
  PolicyManager after(store_.get());
  ASSERT_EQ(errorOf(after.resumeLatest()), std::nullopt);
  EXPECT_EQ(after.current()->contentHash, recorded->hash);
}

TEST_F(PolicyManagerRestartTest, AMissingIncludeIsNamed) {
  policy::PolicyBundle bundle = bundleOf(site("vardcentral-karlstad.yaml"));
  bundle.files.resize(1);  // the site file only
  PolicyManager manager(store_.get());
  auto error = errorOf(manager.push(bundle, 0, "", fromUnixSeconds(100)));
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("base policy 'region-base.yaml' is not in the bundle (it holds no file " +
                        site("region-base.yaml") + ")"),
            std::string::npos)
      << *error;
  EXPECT_EQ(manager.current(), nullptr);
  EXPECT_TRUE(manager.history().empty());
}

// Record first, then swap: a store that cannot take the new version (here
// another connection holds the write lock, or the file is read-only) refuses
// the push and the rollback, and nothing changes; once it can write again
// the next version gets the next number, never one twice.
// Requirements: R9
TEST_F(PolicyManagerRestartTest, APushTheStoreCannotRecordIsRefusedAndChangesNothing) {
  store::OpenOptions impatient;
  impatient.busyTimeoutMs = 50;
  auto opened = store::Store::open(dir_.file("portvakt.db"), impatient);
  ASSERT_TRUE(opened) << opened.error().message;
  std::unique_ptr<store::Store> store = std::move(opened.value());
  PolicyManager manager(store.get());
  ASSERT_EQ(errorOf(manager.push(bundleOf(site("vardcentral-karlstad.yaml")), 0, "", fromUnixSeconds(100))),
            std::nullopt);
  ASSERT_EQ(errorOf(manager.push(bundleOf(site("fysioterapi-arvika.yaml")), 0, "", fromUnixSeconds(200))), std::nullopt);
  auto running = manager.current();

  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.file("portvakt.db").c_str(), &blocker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto refused = errorOf(manager.push(bundleOf(site("vardcentral-karlstad.yaml")), 0, "", fromUnixSeconds(300)));
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("cannot record push of sha256:"), std::string::npos) << *refused;
  EXPECT_NE(refused->find("; the running policy is unchanged"), std::string::npos) << *refused;
  auto rollback = errorOf(manager.rollback(1, 0, fromUnixSeconds(300)));
  ASSERT_TRUE(rollback);
  EXPECT_NE(rollback->find("cannot record rollback of"), std::string::npos) << *rollback;
  EXPECT_EQ(manager.current(), running);
  EXPECT_EQ(manager.history().size(), 2u);
  sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(blocker);

  ASSERT_EQ(errorOf(manager.rollback(1, 0, fromUnixSeconds(400))), std::nullopt);
  EXPECT_EQ(manager.history().back().version, 3) << "no number was used by the refused attempts";
  auto stored = store->policyHistory();
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 3u);
  for (size_t i = 0; i < stored->size(); ++i) {
    EXPECT_EQ((*stored)[i].version, manager.history()[i].version);
    EXPECT_EQ((*stored)[i].hash, manager.history()[i].hash);
  }
}

TEST_F(PolicyManagerRestartTest, AReadOnlyStoreRefusesThePushClearly) {
  {
    PolicyManager first(store_.get());
    ASSERT_EQ(errorOf(first.push(bundleOf(site("vardcentral-karlstad.yaml")), 0, "", fromUnixSeconds(100))),
              std::nullopt);
  }
  store::OpenOptions readOnly;
  readOnly.readOnly = true;
  auto opened = store::Store::open(dir_.file("portvakt.db"), readOnly);
  ASSERT_TRUE(opened) << opened.error().message;
  PolicyManager manager(opened.value().get());
  ASSERT_EQ(errorOf(manager.resumeLatest()), std::nullopt);
  auto running = manager.current();
  auto error = errorOf(manager.push(bundleOf(site("fysioterapi-arvika.yaml")), 0, "", fromUnixSeconds(200)));
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("readonly"), std::string::npos) << *error;
  EXPECT_NE(error->find("the running policy is unchanged"), std::string::npos) << *error;
  EXPECT_EQ(manager.current(), running);
  EXPECT_EQ(manager.history().size(), 1u);
}

}  // namespace
}  // namespace portvakt::control
