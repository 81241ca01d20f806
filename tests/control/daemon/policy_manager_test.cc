// Policy versions survive a restart exactly: a restarted daemon resumes the
// last version and rolls back to older ones from the files recorded at push
// time, even after those files changed on disk.
#include "control/daemon/policy_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "control/store/store.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::control {
namespace {

namespace fs = std::filesystem;

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

TEST_F(PolicyManagerRestartTest, RollbackAcrossARestartRebuildsTheRecordedFiles) {
  std::string v1Hash, v2Hash;
  {
    PolicyManager before(store_.get());
    ASSERT_EQ(before.push(site("vardcentral-karlstad.yaml"), 0, "", 100), std::nullopt);
    ASSERT_EQ(before.push(site("fysioterapi-arvika.yaml"), 0, "", 200), std::nullopt);
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
  ASSERT_EQ(after.resumeLatest(), std::nullopt);
  EXPECT_EQ(after.current()->contentHash, v2Hash) << "resumed from the recorded files, not the edited base";
  ASSERT_EQ(after.rollback(1, 0, 300), std::nullopt);
  EXPECT_EQ(after.current()->contentHash, v1Hash) << "the inventory file is gone from disk, its recorded text is not";
  EXPECT_EQ(after.history().back().kind, "rollback");
  EXPECT_EQ(after.history().back().version, 3);

  // And once more after another restart: the rollback itself recorded its files.
  PolicyManager again(store_.get());
  ASSERT_EQ(again.resumeLatest(), std::nullopt);
  EXPECT_EQ(again.current()->contentHash, v1Hash);
}

TEST_F(PolicyManagerRestartTest, VersionsWithoutRecordedFilesAreRefusedClearly) {
  store::PolicyRecord old{0, "sha256:00", "vc", "push", site("vardcentral-karlstad.yaml"), 0, 100, "", "", ""};
  ASSERT_TRUE(store_->appendPolicy(old));  // as a schema-1 store left it: no sources
  PolicyManager manager(store_.get());
  ASSERT_EQ(manager.push(site("fysioterapi-arvika.yaml"), 0, "", 200), std::nullopt);
  auto error = manager.rollback(1, 0, 300);
  ASSERT_TRUE(error);
  EXPECT_EQ(*error, "version 1 (" + site("vardcentral-karlstad.yaml") +
                        ") was pushed by a portvaktd that did not record its files; push " +
                        site("vardcentral-karlstad.yaml") + " again");
  EXPECT_EQ(manager.history().size(), 2u) << "a refused rollback adds nothing";
}

TEST_F(PolicyManagerRestartTest, ARecordedVersionThatRebuildsDifferentlyIsRefused) {
  PolicyManager before(store_.get());
  ASSERT_EQ(before.push(site("vardcentral-karlstad.yaml"), 0, "", 100), std::nullopt);
  // Tamper with the recorded hash: the rebuilt tables no longer match it.
  store::PolicyRecord forged{0, "sha256:forged", "vc", "push", site("vardcentral-karlstad.yaml"), 0, 150, "", "", ""};
  forged.sourcesJson = store_->policyVersion(1)->sourcesJson;
  ASSERT_TRUE(store_->appendPolicy(forged));
  PolicyManager after(store_.get());
  auto error = after.resumeLatest();
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("not the recorded sha256:forged"), std::string::npos) << *error;
  EXPECT_EQ(after.current(), nullptr);
}

}  // namespace
}  // namespace portvakt::control
