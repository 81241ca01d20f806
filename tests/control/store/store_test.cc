// The store against real SQLite files in a temporary directory: every table's
// round trip, the spool's state machine, and the clear errors for files that
// are not ours.

#include "control/store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/control/store/temp_dir.h"

namespace portvakt::store {
namespace {

using portvakt::testing::TempDir;

std::unique_ptr<Store> mustOpen(const std::string& path, OpenOptions options = {}) {
  auto s = Store::open(path, options);
  if (!s) ADD_FAILURE() << s.error().message;
  return s ? std::move(s.value()) : nullptr;
}

std::string sqliteScalar(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  std::string out = "<error>";
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

// A database as an older schema left it: this build records `first`, then
// `downgrade` (SQL) removes what the later schema versions added.
::testing::AssertionResult writeOlderDatabase(const std::string& path, const PolicyRecord& first, const char* downgrade) {
  {
    auto store = mustOpen(path);
    if (!store) return ::testing::AssertionFailure() << "cannot open " << path;
    if (!store->appendPolicy(first)) return ::testing::AssertionFailure() << "cannot record the first version";
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return ::testing::AssertionFailure() << "sqlite3_open " << path;
  const bool done = sqlite3_exec(db, downgrade, nullptr, nullptr, nullptr) == SQLITE_OK;
  const std::string error = sqlite3_errmsg(db);
  sqlite3_close(db);
  if (!done) return ::testing::AssertionFailure() << error;
  return ::testing::AssertionSuccess();
}

AlertRecord sampleAlert(const std::string& id, int64_t t) {
  AlertRecord a;
  a.id = id;
  a.timeMs = t;
  a.lastTimeMs = t;
  a.event = "rogue_dhcp";
  a.severity = "critical";
  a.site = "vc-karlstad";
  a.port = "eth3";
  a.vlan = 30;
  a.device = "02:00:00:00:00:0a";
  a.evidenceJson = R"({"server_ip":"192.0.2.9"})";
  return a;
}

TEST(StoreTest, CreatesWalDatabaseWithVersionStamp) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.file("portvakt.db");
  {
    auto store = mustOpen(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->upsertDevice({"02:00:00:00:00:01", "eth1", "eklient", "region", 1.0, "{}", 10, 10}));
    EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
  }
  EXPECT_EQ(sqliteScalar(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(sqliteScalar(path, "PRAGMA user_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(sqliteScalar(path, "PRAGMA application_id"), std::to_string(kApplicationId));
}

// Steady small writes (the daemon's device flush every 5 s) must not grow the
// state directory for long: the WAL is checkpointed every 16 pages. With
// SQLite's default (1000 pages) this WAL reaches about 4 MiB.
TEST(StoreTest, SteadyWritesKeepTheWalSmall) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.file("portvakt.db");
  auto store = mustOpen(path);
  ASSERT_TRUE(store);
  for (int i = 0; i < 1500; ++i) {
    char mac[18];
    std::snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x", (i / 256) % 256, i % 256);
    ASSERT_TRUE(store->upsertDevice({mac, "eth1", "eklient", "region", 1.0, "{}", i, i}));
  }
  EXPECT_LT(std::filesystem::file_size(path + "-wal"), 1u << 20) << "the WAL keeps growing";
}

TEST(StoreTest, DevicesRoundTripKeepFirstSeenAndNormaliseMac) {
  TempDir dir;
  std::string path = dir.file("d.db");
  {
    auto store = mustOpen(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(
        store->upsertDevice({"02-00-00-00-00-0B", "eth2", "phone", "voice", 0.9, R"({"lldp":"telephone"})", 100, 100}));
    ASSERT_TRUE(store->upsertDevices({{"02:00:00:00:00:0b", "eth4", "phone", "voice", 1.0, "{}", 500, 500},
                                      {"02:00:00:00:00:01", "eth1", "eklient", "region", 1.0, "{}", 200, 300}}));
    auto bad = store->upsertDevice({"not-a-mac", "eth1", "x", "y", 0, "{}", 0, 0});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  }
  auto store = mustOpen(path);  // survives a reopen
  ASSERT_TRUE(store);
  auto d = store->device("02:00:00:00:00:0B");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->mac, "02:00:00:00:00:0b");
  EXPECT_EQ(d->port, "eth4");  // moved port: the latest wins
  EXPECT_EQ(d->firstSeen, 100);
  EXPECT_EQ(d->lastSeen, 500);
  auto all = store->devices();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].mac, "02:00:00:00:00:01");
  ASSERT_TRUE(store->forgetDevice("02:00:00:00:00:01"));
  auto gone = store->device("02:00:00:00:00:01");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store->forgetDevice("02:00:00:00:00:01").error().code, ErrorCode::kNotFound);
}

// Requirements: R7
TEST(StoreTest, SpoolStateMachine) {
  TempDir dir;
  auto store = mustOpen(dir.file("s.db"));
  ASSERT_TRUE(store);
  auto first = store->spoolAlert(sampleAlert("a1", 1000), {"syslog", "desk"}, store::atUnixMs(1000));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(*first);
  ASSERT_TRUE(store->spoolAlert(sampleAlert("a2", 2000), {"desk"}, store::atUnixMs(5000)).ok());
  // Same id again: merged, no new deliveries.
  auto again = store->spoolAlert(sampleAlert("a1", 1500), {"syslog", "desk"}, store::atUnixMs(1500));
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  ASSERT_TRUE(store->addOccurrences("a1", 10, store::atUnixMs(1800)));
  auto a1 = store->alert("a1");
  ASSERT_TRUE(a1);
  EXPECT_EQ(a1->count, 12);
  EXPECT_EQ(a1->lastTimeMs, 1800);
  EXPECT_EQ(a1->vlan, 30);
  EXPECT_EQ(a1->evidenceJson, R"({"server_ip":"192.0.2.9"})");

  auto due = store->dueDeliveries("desk", store::atUnixMs(2000), 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);  // a2 is not due before 5000
  EXPECT_EQ((*due)[0].alert.id, "a1");
  auto next = store->nextDue();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->value_or(store::atUnixMs(-1)), store::atUnixMs(1000));

  ASSERT_TRUE(store->markRetry("a1", "desk", "connection refused", store::atUnixMs(3000)));
  EXPECT_TRUE(store->dueDeliveries("desk", store::atUnixMs(2999), 10)->empty());
  ASSERT_TRUE(store->markDelivered("a1", "desk", store::atUnixMs(3100)));
  // Delivered is final: a second ack of the same row is refused.
  EXPECT_EQ(store->markDelivered("a1", "desk", store::atUnixMs(3200)).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store->markRejected("a2", "desk", "HTTP 400", store::atUnixMs(6000)));
  auto stats = store->spoolStats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->pending, 1);  // a1 -> syslog
  EXPECT_EQ(stats->rejected, 1);
  EXPECT_EQ(stats->oldestPendingMs, 1000);

  auto d = store->deliveries("a1");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].sink, "desk");
  EXPECT_EQ((*d)[0].state, DeliveryState::kDelivered);
  EXPECT_EQ((*d)[0].attempts, 2);

  ASSERT_TRUE(store->ackAlert("a2", 1001, store::atUnixMs(7000)));
  EXPECT_FALSE(store->ackAlert("a2", 1001, store::atUnixMs(7000)));
  auto unacked = store->recentAlerts(10, true);
  ASSERT_TRUE(unacked);
  ASSERT_EQ(unacked->size(), 1u);
  EXPECT_EQ((*unacked)[0].id, "a1");
  auto acked = store->alert("a2");
  EXPECT_EQ(acked->ackedBy.value_or(0), 1001u);

  // a1 still has a pending delivery, so only a2 is pruned.
  auto pruned = store->pruneAlerts(store::atUnixMs(100000));
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1);
  EXPECT_TRUE(store->alert("a1"));
  EXPECT_EQ(store->deliveries("a2")->size(), 0u);  // cascade
}

// Requirements: R9
TEST(StoreTest, PolicyHistory) {
  TempDir dir;
  std::string path = dir.file("p.db");
  {
    auto store = mustOpen(path);
    ASSERT_TRUE(store);
    auto none = store->latestPolicy();
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value());
    PolicyRecord p{0, "sha256:aa", "vc", "push", "site.yaml", 1000, 1700000000, "+3 ~0 -0", "zones: {}\n", "canon1"};
    EXPECT_EQ(store->appendPolicy(p).value(), 1);
    p.hash = "sha256:bb";
    p.canonical = "canon2";
    EXPECT_EQ(store->appendPolicy(p).value(), 2);
    p.kind = "rollback";
    p.hash = "sha256:aa";
    EXPECT_EQ(store->appendPolicy(p).value(), 3);
  }
  auto store = mustOpen(path);
  ASSERT_TRUE(store);
  auto latest = store->latestPolicy();
  ASSERT_TRUE(latest && latest->has_value());
  EXPECT_EQ((*latest)->version, 3);
  EXPECT_EQ((*latest)->kind, "rollback");
  EXPECT_EQ((*latest)->policyText, "zones: {}\n");
  auto h = store->policyHistory();
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[1].hash, "sha256:bb");
  EXPECT_TRUE((*h)[1].canonical.empty());  // without text
  EXPECT_EQ(store->policyVersion(2)->canonical, "canon2");
  EXPECT_EQ(store->policyVersion(9).error().code, ErrorCode::kNotFound);
}

// A database written by schema version 1 (before policy sources were kept)
// is upgraded at open: its history stays, new versions keep their sources.
TEST(StoreTest, VersionOneDatabaseIsUpgraded) {
  TempDir dir;
  std::string path = dir.file("v1.db");
  // What a version-1 build left behind: no sources column (nor the HTTPS
  // API's subject columns and call log of version 3, the 802.1X audit of
  // version 4, the settings hash of version 5), user_version 1.
  ASSERT_TRUE(writeOlderDatabase(
      path, {0, "sha256:aa", "vc", "push", "site.yaml", 1000, 1700000000, "+3 ~0 -0", "zones: {}\n", "canon1"},
      "ALTER TABLE policy_history DROP COLUMN sources; ALTER TABLE policy_history DROP COLUMN subject; "
      "ALTER TABLE alerts DROP COLUMN acked_by_subject; DROP TABLE api_calls; DROP TABLE dot1x_sessions; "
      "ALTER TABLE policy_history DROP COLUMN settings_hash; "
      "ALTER TABLE policy_history DROP COLUMN settings_canonical; PRAGMA user_version = 1"));
  ASSERT_EQ(sqliteScalar(path, "SELECT count(*) FROM pragma_table_info('policy_history') WHERE name = 'sources'"), "0");

  auto store = mustOpen(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(sqliteScalar(path, "PRAGMA user_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(store->policyVersion(1)->sourcesJson, "[]") << "old rows read as having no recorded sources";
  EXPECT_EQ(store->policyVersion(1)->subject, "") << "old rows were pushed over the socket";
  ApiCallRecord call{1, "CN=eva", "engineer", "GET", "/api/v1/status", "status", 200, ""};
  ASSERT_TRUE(store->appendApiCall(call)) << "the call log exists after the upgrade";
  PolicyRecord q{0, "sha256:bb", "vc", "push", "site.yaml", 1000, 1700000001, "", "zones: {}\n", "canon2"};
  q.sourcesJson = R"([{"path":"site.yaml","text":"zones: {}\n"}])";
  ASSERT_EQ(store->appendPolicy(q).value(), 2);
  EXPECT_EQ(store->policyVersion(2)->sourcesJson, q.sourcesJson);
}

// A version-3 database (before the 802.1X audit) is upgraded at open: its
// history stays and the 802.1X table exists afterwards.
TEST(StoreTest, VersionThreeDatabaseGainsThe8021XAudit) {
  TempDir dir;
  std::string path = dir.file("v3.db");
  ASSERT_TRUE(
      writeOlderDatabase(path, {0, "sha256:aa", "vc", "push", "site.yaml", 1000, 1700000000, "", "zones: {}\n", "canon1"},
                         "DROP TABLE dot1x_sessions; ALTER TABLE policy_history DROP COLUMN settings_hash; "
                         "ALTER TABLE policy_history DROP COLUMN settings_canonical; PRAGMA user_version = 3"));
  auto store = mustOpen(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(sqliteScalar(path, "PRAGMA user_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(store->policyVersion(1)->hash, "sha256:aa");
  ASSERT_TRUE(store->openDot1xSession({0, "eth3", "02:00:00:d1:00:01", "EK-0001", 1000, 1000, 0, ""}));
  EXPECT_EQ(store->dot1xSessions("", 10)->size(), 1u);
}

// A version-4 database (one hash per policy version, over the tables and the
// control settings together) is upgraded at open: its rows keep their hash
// and canonical text and read with an empty settings hash; new rows record
// both hashes and both canonical texts.
// Requirements: R9
TEST(StoreTest, VersionFourDatabaseGainsTheSettingsHash) {
  TempDir dir;
  std::string path = dir.file("v4.db");
  ASSERT_TRUE(
      writeOlderDatabase(path, {0, "sha256:aa", "vc", "push", "site.yaml", 1000, 1700000000, "", "zones: {}\n", "canon1"},
                         "ALTER TABLE policy_history DROP COLUMN settings_hash; "
                         "ALTER TABLE policy_history DROP COLUMN settings_canonical; PRAGMA user_version = 4"));
  ASSERT_EQ(sqliteScalar(path, "SELECT count(*) FROM pragma_table_info('policy_history') WHERE name = 'settings_hash'"),
            "0");

  auto store = mustOpen(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(sqliteScalar(path, "PRAGMA user_version"), std::to_string(kSchemaVersion));
  auto old = store->policyVersion(1);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->hash, "sha256:aa");
  EXPECT_EQ(old->canonical, "canon1");
  EXPECT_EQ(old->settingsHash, "") << "recorded before the settings had a hash of their own";
  EXPECT_EQ(old->settingsCanonical, "");
  PolicyRecord q{0, "sha256:bb", "vc", "push", "site.yaml", 1000, 1700000001, "", "zones: {}\n", "tables2"};
  q.settingsHash = "sha256:cc";
  q.settingsCanonical = "sink desk kind=webhook\n";
  ASSERT_EQ(store->appendPolicy(q).value(), 2);
  auto history = store->policyHistory(false);
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[1].settingsHash, "sha256:cc") << "the history view shows both hashes";
  EXPECT_EQ((*history)[1].settingsCanonical, "") << "without text";
  EXPECT_EQ(store->policyVersion(2)->settingsCanonical, "sink desk kind=webhook\n");
  EXPECT_EQ(store->policyVersion(2)->canonical, "tables2");
}

// The audit of admissions: an authorisation is a row, a re-authentication
// moves its time, its end closes it with the reason; a second authorisation
// of the same station closes a row left open; a restart closes all open rows.
// Requirements: R9, R1a
TEST(StoreTest, Dot1xSessionsRecordAuthorisationsAndTheirEnds) {
  TempDir dir;
  auto store = mustOpen(dir.file("portvakt.db"));
  ASSERT_TRUE(store);
  const std::string pc = "02:00:00:d1:00:01", phone = "02:00:00:d1:00:02";
  ASSERT_TRUE(store->openDot1xSession({0, "eth3", pc, "EK-0001", 1000, 1000, 0, ""}));
  ASSERT_TRUE(store->openDot1xSession({0, "eth3", phone, "EK-0002", 1100, 1100, 0, ""}));
  ASSERT_TRUE(store->touchDot1xSession("eth3", pc, store::atUnixMs(5000)));
  ASSERT_TRUE(store->endDot1xSession("eth3", pc, store::atUnixMs(6000), "link down"));
  EXPECT_EQ(store->endDot1xSession("eth3", pc, store::atUnixMs(6001), "again").error().code, ErrorCode::kNotFound)
      << "an ended session is not ended twice";
  EXPECT_EQ(store->touchDot1xSession("eth4", pc, store::atUnixMs(1)).error().code, ErrorCode::kNotFound);
  auto pcRows = store->dot1xSessions(pc, 10);
  ASSERT_TRUE(pcRows);
  ASSERT_EQ(pcRows->size(), 1u);
  EXPECT_EQ((*pcRows)[0].identity, "EK-0001");
  EXPECT_EQ((*pcRows)[0].authorisedMs, 1000);
  EXPECT_EQ((*pcRows)[0].lastAuthenticatedMs, 5000);
  EXPECT_EQ((*pcRows)[0].endedMs, 6000);
  EXPECT_EQ((*pcRows)[0].endReason, "link down");
  // Authorised again while a row was still open (a lost end): that row closes.
  ASSERT_TRUE(store->openDot1xSession({0, "eth3", phone, "EK-0002", 7000, 7000, 0, ""}));
  auto phoneRows = store->dot1xSessions(phone, 10);
  ASSERT_EQ(phoneRows->size(), 2u);
  EXPECT_EQ((*phoneRows)[0].endedMs, 0) << "newest first, open";
  EXPECT_EQ((*phoneRows)[1].endReason, "superseded");
  EXPECT_EQ(store->endOpenDot1xSessions(store::atUnixMs(9000), "portvaktd restarted").value(), 1);
  EXPECT_EQ(store->dot1xSessions(phone, 1)->at(0).endReason, "portvaktd restarted");
  EXPECT_EQ(store->dot1xSessions("", 10)->size(), 3u);
  // Pruning: ended before 6500 goes (the pc's row), then at most 1 row.
  EXPECT_EQ(store->pruneDot1xSessions(store::atUnixMs(6500), 100).value(), 1);
  EXPECT_EQ(store->pruneDot1xSessions(store::atUnixMs(0), 1).value(), 1);
  EXPECT_EQ(store->dot1xSessions("", 10)->size(), 1u);
}

TEST(StoreTest, GarbageFileIsAClearError) {
  TempDir dir;
  std::string path = dir.file("garbage.db");
  {
    std::ofstream f(path, std::ios::binary);
    std::mt19937 rng(7);
    for (int i = 0; i < 8192; ++i) f.put(static_cast<char>(rng()));
  }
  auto s = Store::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kNotADatabase) << s.error().message;
  EXPECT_NE(s.error().message.find(path), std::string::npos);
  EXPECT_NE(s.error().message.find("not an SQLite database"), std::string::npos);
  EXPECT_EQ(std::filesystem::file_size(path), 8192u);  // untouched
}

TEST(StoreTest, ForeignSqliteDatabaseIsRefused) {
  TempDir dir;
  std::string path = dir.file("firefox.sqlite");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE moz_places(id INTEGER); INSERT INTO moz_places VALUES (1);", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = Store::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kNotPortvakt) << s.error().message;
  EXPECT_NE(s.error().message.find("another program"), std::string::npos);
}

TEST(StoreTest, NewerSchemaIsRefused) {
  TempDir dir;
  std::string path = dir.file("new.db");
  { ASSERT_TRUE(mustOpen(path)); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = Store::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kTooNew) << s.error().message;
  EXPECT_NE(s.error().message.find("99"), std::string::npos);
}

TEST(StoreTest, DamagedPagesAreACorruptError) {
  TempDir dir;
  std::string path = dir.file("damaged.db");
  {
    auto store = mustOpen(path);
    ASSERT_TRUE(store);
    std::vector<DeviceRecord> many;
    for (int i = 0; i < 2000; ++i) {
      char mac[32];
      std::snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
      many.push_back({mac, "eth1", "eklient", "region", 1.0, std::string(100, 'x'), i, i});
    }
    ASSERT_TRUE(store->upsertDevices(many));
  }
  ASSERT_FALSE(std::filesystem::exists(path + "-wal"));  // checkpointed at close
  auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 16u * 4096);
  {
    // Scribble over pages 3.. (the header page stays valid, so SQLite opens it).
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937 rng(11);
    f.seekp(2 * 4096);
    for (size_t i = 0; i < 8 * 4096; ++i) f.put(static_cast<char>(rng()));
  }
  auto s = Store::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kCorrupt) << s.error().message;
}

TEST(StoreTest, EmptyFileBecomesADatabase) {
  TempDir dir;
  std::string path = dir.file("empty.db");
  { std::ofstream f(path); }
  auto store = mustOpen(path);
  EXPECT_TRUE(store);
}

TEST(StoreTest, UncreatableFileIsAnIoError) {
  // A parent that is a regular file: fails for root too (unlike permissions).
  TempDir dir;
  std::string notADir = dir.file("plain");
  { std::ofstream f(notADir); }
  auto s = Store::open(notADir + "/portvakt.db");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kIo) << s.error().message;
  EXPECT_NE(s.error().message.find("cannot open database"), std::string::npos);
}

TEST(StoreTest, ReadOnlyOpenSeesTheDaemonsWrites) {
  TempDir dir;
  std::string path = dir.file("ro.db");
  auto writer = mustOpen(path);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->upsertDevice({"02:00:00:00:00:01", "eth1", "eklient", "region", 1.0, "{}", 1, 1}));
  OpenOptions ro;
  ro.readOnly = true;
  auto reader = mustOpen(path, ro);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->devices()->size(), 1u);
  EXPECT_FALSE(reader->upsertDevice({"02:00:00:00:00:02", "eth1", "x", "y", 1.0, "{}", 1, 1}));
}

// Issue 14: the devices table grew by a row per MAC of a flood, for ever.
// pruneDevices drops rows without a class not seen lately, then the least
// recently seen beyond the row limit; classified rows only go to the limit.
TEST(StoreTest, PruneDevicesBoundsTheTableOldestFirst) {
  TempDir dir;
  std::string path = dir.file("prune.db");
  auto store = mustOpen(path);
  ASSERT_TRUE(store);
  std::vector<DeviceRecord> rows;
  for (int i = 0; i < 300; ++i) {
    char mac[18];
    std::snprintf(mac, sizeof mac, "06:00:00:00:%02x:%02x", i >> 8, i & 0xff);
    rows.push_back({mac, "eth3", "", "quarantine", 0, "{}", 1000 + i, 1000 + i});  // a flood, one second apart
  }
  rows.push_back({"02:00:00:00:00:01", "eth1", "eklient", "region", 1.0, "{}", 10, 10});  // classified, long idle
  rows.push_back({"02:00:00:00:00:02", "eth2", "ip-phone", "voice", 1.0, "{}", 1200, 1200});
  ASSERT_TRUE(store->upsertDevices(rows));
  ASSERT_EQ(*store->deviceCount(), 302);
  // Unclassified rows last seen before 1250 go (250 of them); 52 stay, under the limit.
  auto pruned = store->pruneDevices(store::TimeS(std::chrono::seconds(1250)), 100);
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(*pruned, 250);
  EXPECT_EQ(*store->deviceCount(), 52);
  EXPECT_TRUE(store->device("02:00:00:00:00:01")) << "a classified device is not pruned by age";
  // The row limit: the least recently seen go first, whatever their class.
  pruned = store->pruneDevices(store::TimeS(std::chrono::seconds(0)), 10);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 42);
  auto left = store->devices();
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 10u);
  EXPECT_FALSE(store->device("02:00:00:00:00:01")) << "the oldest row went first";
  EXPECT_FALSE(store->device("02:00:00:00:00:02"));
  for (const DeviceRecord& d : *left) EXPECT_GE(d.lastSeen, 1290) << d.mac;
  // The file itself: what SQLite reads without this code.
  store.reset();
  EXPECT_EQ(sqliteScalar(path, "SELECT count(*) FROM devices"), "10");
}

TEST(StoreTest, CapAlertsKeepsPendingDeliveries) {
  TempDir dir;
  auto store = mustOpen(dir.file("cap.db"));
  ASSERT_TRUE(store);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store->spoolAlert(sampleAlert("a" + std::to_string(100 + i), 1000 + i), {"desk"}, store::atUnixMs(0)));
    if (i >= 2) {
      ASSERT_TRUE(store->markDelivered("a" + std::to_string(100 + i), "desk", store::atUnixMs(5000)));
    }
  }
  // 20 alerts, the two oldest still pending: the limit of 5 takes the 15 oldest finished ones.
  auto capped = store->capAlerts(5);
  ASSERT_TRUE(capped) << capped.error().message;
  EXPECT_EQ(*capped, 15);
  EXPECT_TRUE(store->alert("a100")) << "pending: never deleted";
  EXPECT_TRUE(store->alert("a101"));
  EXPECT_FALSE(store->alert("a102"));
  EXPECT_TRUE(store->alert("a119"));
  EXPECT_EQ(*store->capAlerts(5), 0);
}

// The store's own SQLite connection, caught as SQLite opens it: an automatic
// extension runs for every connection this process opens while registered.
sqlite3* gOpenedConnection = nullptr;
int catchConnection(sqlite3* db, const char**, const sqlite3_api_routines*) {
  gOpenedConnection = db;
  return SQLITE_OK;
}

// What the store's connection may not do in the test below: insert an alert
// (a step inside a transaction fails) and roll back (the ROLLBACK after it
// fails too). SQLite's authorizer refuses them at prepare time, on the real
// file; everything else is allowed.
int refuseAlertInsertAndRollback(void*, int action, const char* arg1, const char*, const char*, const char*) {
  if (action == SQLITE_INSERT && arg1 && std::string(arg1) == "alerts") return SQLITE_DENY;
  if (action == SQLITE_TRANSACTION && arg1 && std::string(arg1) == "ROLLBACK") return SQLITE_DENY;
  return SQLITE_OK;
}

// A transaction whose step fails is rolled back; when the rollback fails as
// well, the caller's error says so (the failed ROLLBACK was discarded before:
// the caller saw only the first error, not that the transaction stayed open).
TEST(StoreTest, AFailedRollbackIsInTheCallersError) {
  TempDir dir;
  ASSERT_EQ(sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(&catchConnection)), SQLITE_OK);
  gOpenedConnection = nullptr;
  auto store = mustOpen(dir.file("rollback.db"));
  sqlite3_cancel_auto_extension(reinterpret_cast<void (*)(void)>(&catchConnection));
  ASSERT_TRUE(store);
  ASSERT_NE(gOpenedConnection, nullptr) << "the store's connection was not seen opening";
  ASSERT_TRUE(store->spoolAlert(sampleAlert("before", 1000), {"desk"}, store::atUnixMs(0)));

  ASSERT_EQ(sqlite3_set_authorizer(gOpenedConnection, &refuseAlertInsertAndRollback, nullptr), SQLITE_OK);
  auto spooled = store->spoolAlert(sampleAlert("refused", 2000), {"desk"}, store::atUnixMs(0));
  ASSERT_FALSE(spooled) << "the insert was not refused";
  EXPECT_NE(spooled.error().message.find("spool alert"), std::string::npos) << spooled.error().message;
  EXPECT_NE(spooled.error().message.find("the rollback failed too"), std::string::npos) << spooled.error().message;
  EXPECT_NE(spooled.error().message.find("rollback: not authorized"), std::string::npos) << spooled.error().message;

  // Allowed again: the ROLLBACK goes through and nothing of the failed spool was kept.
  ASSERT_EQ(sqlite3_set_authorizer(gOpenedConnection, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(gOpenedConnection, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(gOpenedConnection);
  EXPECT_TRUE(store->alert("before"));
  EXPECT_FALSE(store->alert("refused"));
}

}  // namespace
}  // namespace portvakt::store
