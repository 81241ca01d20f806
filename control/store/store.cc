#include "control/store/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "policy/tables/addresses.h"

namespace portvakt::store {

const char* toString(ErrorCode c) {
  switch (c) {
    case ErrorCode::kNotADatabase: return "not_a_database";
    case ErrorCode::kNotPortvakt: return "not_portvakt";
    case ErrorCode::kTooNew: return "too_new";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kBusy: return "busy";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kInvalid: return "invalid";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

const char* toString(DeliveryState s) {
  switch (s) {
    case DeliveryState::kPending: return "pending";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kRejected: return "rejected";
  }
  return "pending";
}

std::optional<std::string> normaliseMac(const std::string& text) {
  auto mac = tables::MacAddress::parse(text);
  if (!mac) return std::nullopt;
  return mac->toString();
}

namespace {

DeliveryState parseState(std::string_view s) {
  if (s == "delivered") return DeliveryState::kDelivered;
  if (s == "rejected") return DeliveryState::kRejected;
  return DeliveryState::kPending;
}

// Maps an SQLite result code to the module's error tier.
Error sqlError(sqlite3* db, int rc, const std::string& what) {
  ErrorCode code = ErrorCode::kInternal;
  switch (rc & 0xff) {
    case SQLITE_NOTADB: code = ErrorCode::kNotADatabase; break;
    case SQLITE_CORRUPT: code = ErrorCode::kCorrupt; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = ErrorCode::kBusy; break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM: code = ErrorCode::kIo; break;
    default: break;
  }
  std::string msg = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  return Error{code, std::move(msg)};
}

// A prepared statement with positional binds; finalised on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK; }
  int rc() const { return rc_; }
  Stmt& bind(const std::string& v) {
    sqlite3_bind_text(stmt_, ++index_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(const char* v) { return bind(std::string(v)); }
  Stmt& bind(int64_t v) {
    sqlite3_bind_int64(stmt_, ++index_, v);
    return *this;
  }
  Stmt& bind(int v) { return bind(static_cast<int64_t>(v)); }
  Stmt& bind(double v) {
    sqlite3_bind_double(stmt_, ++index_, v);
    return *this;
  }
  Stmt& bindNull() {
    sqlite3_bind_null(stmt_, ++index_);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return rc_ = sqlite3_step(stmt_); }
  std::string text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : std::string();
  }
  int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  bool isNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
  int index_ = 0;
};

Status exec(sqlite3* db, const char* sql, const char* what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Error e = sqlError(nullptr, rc, what);
    if (err) e.message = std::string(what) + ": " + err;
    sqlite3_free(err);
    return e;
  }
  return {};
}

Result<int64_t> pragmaInt(sqlite3* db, const char* sql) {
  Stmt s(db, sql);
  if (!s.prepared()) return sqlError(db, s.rc(), sql);
  int rc = s.step();
  if (rc != SQLITE_ROW) return sqlError(db, rc, sql);
  return s.i64(0);
}

// Runs fn inside BEGIN IMMEDIATE ... COMMIT; rolls back if fn fails. IMMEDIATE
// takes the write lock up front so a busy database fails at BEGIN (after the
// busy timeout), never half-way through.
// A failed step leaves the transaction open or SQLite has already rolled it
// back (autocommit again); only an open one is rolled back here, and a failed
// rollback is added to the error the caller gets.
Error rollBack(sqlite3* db, Error failed) {
  if (sqlite3_get_autocommit(db)) return failed;
  if (auto rolledBack = exec(db, "ROLLBACK", "rollback"); !rolledBack) {
    failed.message += "; the rollback failed too: " + rolledBack.error().message;
  }
  return failed;
}

template <typename Fn>
auto transaction(sqlite3* db, Fn&& fn) -> decltype(fn()) {
  if (auto s = exec(db, "BEGIN IMMEDIATE", "begin transaction"); !s) return s.error();
  auto result = fn();
  if (!result) return rollBack(db, result.error());
  if (auto s = exec(db, "COMMIT", "commit"); !s) return rollBack(db, s.error());
  return result;
}

// Schema version 1. Each later version appends one migration step.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE devices (
  mac TEXT PRIMARY KEY,
  port TEXT NOT NULL,
  class TEXT NOT NULL,
  zone TEXT NOT NULL,
  confidence REAL NOT NULL,
  evidence TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  last_time_ms INTEGER NOT NULL,
  event TEXT NOT NULL,
  severity TEXT NOT NULL,
  site TEXT NOT NULL,
  port TEXT NOT NULL,
  vlan INTEGER NOT NULL,
  device TEXT NOT NULL,
  evidence TEXT NOT NULL,
  count INTEGER NOT NULL,
  maintenance_window TEXT NOT NULL,
  suppressed INTEGER NOT NULL,
  acked_by INTEGER,
  acked_at_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_time ON alerts(time_ms);
CREATE TABLE deliveries (
  alert_id TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
  sink TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  done_at_ms INTEGER NOT NULL,
  PRIMARY KEY (alert_id, sink)
) WITHOUT ROWID;
CREATE INDEX deliveries_pending ON deliveries(state, sink, next_attempt_ms);
CREATE TABLE policy_history (
  version INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  uid INTEGER NOT NULL,
  unix_time INTEGER NOT NULL,
  summary TEXT NOT NULL,
  policy_text TEXT NOT NULL,
  canonical TEXT NOT NULL
);
)sql";

// Version 2: every file a pushed policy was compiled from (JSON list of
// {path, text}), so a version can be rebuilt exactly after a restart.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE policy_history ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';
)sql";

// Version 3: the HTTPS API (control/api/https_server.h). Who acted is a
// client certificate's subject there, not a uid; and every remote call,
// reads included, is logged.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE policy_history ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN acked_by_subject TEXT NOT NULL DEFAULT '';
CREATE TABLE api_calls (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  subject TEXT NOT NULL,
  role TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  command TEXT NOT NULL,
  status INTEGER NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX api_calls_time ON api_calls(time_ms);
)sql";

// Version 4: the 802.1X audit trail (control/daemon/dot1x_admission.h): one
// row per authorised session, closed when it ends.
constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE dot1x_sessions (
  id INTEGER PRIMARY KEY,
  port TEXT NOT NULL,
  mac TEXT NOT NULL,
  identity TEXT NOT NULL,
  authorised_ms INTEGER NOT NULL,
  last_authenticated_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL DEFAULT 0,
  end_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dot1x_sessions_mac ON dot1x_sessions(mac, id);
CREATE INDEX dot1x_sessions_open ON dot1x_sessions(ended_ms, port, mac);
)sql";

// Version 5: the control plane's settings (alert sinks and routes,
// maintenance, management roles, retention, tests) are hashed apart from the
// tables the dataplane runs (policy/tables/compiled_policy.h). Rows from
// before keep an empty settings hash: their `hash` covered both.
constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE policy_history ADD COLUMN settings_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE policy_history ADD COLUMN settings_canonical TEXT NOT NULL DEFAULT '';
)sql";

struct Migration {
  int toVersion;
  const char* sql;
};
constexpr Migration kMigrations[] = {{1, kSchemaV1}, {2, kSchemaV2}, {3, kSchemaV3}, {4, kSchemaV4}, {5, kSchemaV5}};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);

std::string hex32(int64_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v & 0xffffffff));
  return buf;
}

constexpr const char* kAlertColumns =
    "a.id, a.time_ms, a.last_time_ms, a.event, a.severity, a.site, a.port, a.vlan, a.device, a.evidence, "
    "a.count, a.maintenance_window, a.suppressed, a.acked_by, a.acked_at_ms, a.acked_by_subject";

AlertRecord readAlert(const Stmt& s, int c = 0) {
  AlertRecord a;
  a.id = s.text(c + 0);
  a.timeMs = s.i64(c + 1);
  a.lastTimeMs = s.i64(c + 2);
  a.event = s.text(c + 3);
  a.severity = s.text(c + 4);
  a.site = s.text(c + 5);
  a.port = s.text(c + 6);
  a.vlan = static_cast<int>(s.i64(c + 7));
  a.device = s.text(c + 8);
  a.evidenceJson = s.text(c + 9);
  a.count = s.i64(c + 10);
  a.maintenanceWindow = s.text(c + 11);
  a.suppressed = s.i64(c + 12) != 0;
  if (!s.isNull(c + 13)) a.ackedBy = static_cast<uid_t>(s.i64(c + 13));
  a.ackedAtMs = s.i64(c + 14);
  a.ackedBySubject = s.text(c + 15);
  return a;
}

constexpr int kAlertColumnCount = 16;

DeliveryRecord readDelivery(const Stmt& s, int c) {
  DeliveryRecord d;
  d.alertId = s.text(c + 0);
  d.sink = s.text(c + 1);
  d.state = parseState(s.text(c + 2));
  d.attempts = static_cast<int>(s.i64(c + 3));
  d.nextAttemptMs = s.i64(c + 4);
  d.lastError = s.text(c + 5);
  d.doneAtMs = s.i64(c + 6);
  return d;
}

constexpr const char* kPolicyColumns =
    "version, hash, name, kind, source, uid, unix_time, summary, policy_text, canonical, sources, subject, "
    "settings_hash, settings_canonical";

PolicyRecord readPolicy(const Stmt& s, bool withText) {
  PolicyRecord p;
  p.version = static_cast<int>(s.i64(0));
  p.hash = s.text(1);
  p.name = s.text(2);
  p.kind = s.text(3);
  p.source = s.text(4);
  p.uid = static_cast<uid_t>(s.i64(5));
  p.unixTime = s.i64(6);
  p.summary = s.text(7);
  p.subject = s.text(11);
  p.settingsHash = s.text(12);
  if (withText) {
    p.policyText = s.text(8);
    p.canonical = s.text(9);
    p.sourcesJson = s.text(10);
    p.settingsCanonical = s.text(13);
  }
  return p;
}

// Applies the fresh schema or the missing migrations, then stamps the file.
Status migrate(sqlite3* db, int from) {
  return transaction(db, [&]() -> Status {
    for (const Migration& m : kMigrations) {
      if (m.toVersion <= from) continue;
      if (auto s = exec(db, m.sql, "schema migration"); !s) return s;
    }
    std::string stamp = "PRAGMA application_id = " + std::to_string(kApplicationId) +
                        "; PRAGMA user_version = " + std::to_string(kSchemaVersion) + ";";
    return exec(db, stamp.c_str(), "stamp schema version");
  });
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const OpenOptions& options) {
  sqlite3* raw = nullptr;
  int flags =
      SQLITE_OPEN_NOMUTEX | (options.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // Owned from here so every early return closes it.
  std::unique_ptr<Store> store(new Store(raw, path));
  if (rc != SQLITE_OK) return sqlError(raw, rc, "cannot open database " + path);
  sqlite3* db = raw;
  sqlite3_extended_result_codes(db, 0);
  sqlite3_busy_timeout(db, options.busyTimeoutMs);

  // The first read of the header is where a foreign or garbage file shows.
  auto appId = pragmaInt(db, "PRAGMA application_id");
  if (!appId) {
    Error e = appId.error();
    if (e.code == ErrorCode::kNotADatabase)
      e.message = path + ": not an SQLite database (refusing to touch it; move it aside to start fresh)";
    else e.message = path + ": " + e.message;
    return e;
  }
  auto version = pragmaInt(db, "PRAGMA user_version");
  if (!version) return version.error();
  auto tables = pragmaInt(db, "SELECT count(*) FROM sqlite_schema");
  if (!tables) {
    Error e = tables.error();
    e.message = path + ": " + e.message;
    return e;
  }

  bool fresh = *appId == 0 && *version == 0 && *tables == 0;
  if (!fresh && *appId != kApplicationId) {
    return Error{ErrorCode::kNotPortvakt, path + ": an SQLite database of another program (application_id " +
                                              hex32(*appId) + ", " + std::to_string(*tables) +
                                              " schema objects), not portvakt's; refusing to use it"};
  }
  if (*version > kSchemaVersion) {
    return Error{ErrorCode::kTooNew, path + ": schema version " + std::to_string(*version) +
                                         " was written by a newer portvakt (this build knows " +
                                         std::to_string(kSchemaVersion) + "); refusing to downgrade"};
  }

  if (!options.readOnly) {
    // WAL: readers (the CLI) never block the daemon's writer, and a commit is
    // one append to the log.
    Stmt wal(db, "PRAGMA journal_mode = WAL");
    int wrc = wal.prepared() ? wal.step() : wal.rc();
    if (wrc != SQLITE_ROW) return sqlError(db, wrc, path + ": cannot enable WAL");
    if (wal.text(0) != "wal") return Error{ErrorCode::kIo, path + ": journal mode is " + wal.text(0) + ", not wal"};
    // A small WAL: checkpoint every 16 pages (64 KiB) instead of SQLite's 1000
    // (4 MiB), and cut the file back to 1 MiB after a large transaction (a
    // push with its files), so steady writes (device flushes, alert counts)
    // do not grow the state directory toward 4 MiB before the log is reused
    // (issue 14's soak: about 80 KiB a minute with the default).
    if (auto s = exec(db, "PRAGMA wal_autocheckpoint = 16", "set the WAL checkpoint interval"); !s) return s.error();
    if (auto s = exec(db, "PRAGMA journal_size_limit = 1048576", "limit the WAL file"); !s) return s.error();
  }
  if (auto s = exec(db, options.synchronousFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                    "set synchronous");
      !s)
    return s.error();
  if (auto s = exec(db, "PRAGMA foreign_keys = ON", "enable foreign keys"); !s) return s.error();

  if (options.quickCheck && !fresh) {
    Stmt check(db, "PRAGMA quick_check(5)");
    if (!check.prepared()) return sqlError(db, check.rc(), path + ": quick_check");
    std::string problems;
    int crc;
    while ((crc = check.step()) == SQLITE_ROW) {
      std::string line = check.text(0);
      if (line == "ok") break;
      problems += (problems.empty() ? "" : "; ") + line;
    }
    if (crc != SQLITE_ROW && crc != SQLITE_DONE) {
      Error e = sqlError(db, crc, path + ": quick_check");
      if (e.code == ErrorCode::kInternal) e.code = ErrorCode::kCorrupt;
      return e;
    }
    if (!problems.empty()) return Error{ErrorCode::kCorrupt, path + ": database is damaged: " + problems};
  }

  if (*version < kSchemaVersion) {
    if (options.readOnly)
      return Error{ErrorCode::kInvalid, path + ": schema needs an upgrade; open it read-write once (start the daemon)"};
    if (auto s = migrate(db, static_cast<int>(*version)); !s) {
      Error e = s.error();
      e.message = path + ": " + e.message;
      return e;
    }
  }
  return store;
}

Store::Store(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Store::~Store() { sqlite3_close_v2(db_); }

// --- devices

namespace {

constexpr const char* kUpsertDevice =
    "INSERT INTO devices (mac, port, class, zone, confidence, evidence, first_seen, last_seen) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(mac) DO UPDATE SET port = excluded.port, class = excluded.class, zone = excluded.zone, "
    "confidence = excluded.confidence, evidence = excluded.evidence, "
    "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)";

Status upsertOne(sqlite3* db, const DeviceRecord& d) {
  auto mac = normaliseMac(d.mac);
  if (!mac) return Error{ErrorCode::kInvalid, "not a MAC address: '" + d.mac + "'"};
  Stmt s(db, kUpsertDevice);
  if (!s.prepared()) return sqlError(db, s.rc(), "upsert device");
  s.bind(*mac).bind(d.port).bind(d.deviceClass).bind(d.zone).bind(d.confidence).bind(d.evidenceJson);
  s.bind(d.firstSeen).bind(d.lastSeen);
  if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db, rc, "upsert device " + *mac);
  return {};
}

DeviceRecord readDevice(const Stmt& s) {
  DeviceRecord d;
  d.mac = s.text(0);
  d.port = s.text(1);
  d.deviceClass = s.text(2);
  d.zone = s.text(3);
  d.confidence = s.real(4);
  d.evidenceJson = s.text(5);
  d.firstSeen = s.i64(6);
  d.lastSeen = s.i64(7);
  return d;
}

constexpr const char* kDeviceColumns = "mac, port, class, zone, confidence, evidence, first_seen, last_seen";

}  // namespace

Status Store::upsertDevice(const DeviceRecord& device) {
  std::lock_guard lock(mu_);
  return transaction(db_, [&] { return upsertOne(db_, device); });
}

Status Store::upsertDevices(const std::vector<DeviceRecord>& devices) {
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Status {
    for (const auto& d : devices) {
      if (auto s = upsertOne(db_, d); !s) return s;
    }
    return {};
  });
}

Result<DeviceRecord> Store::device(const std::string& macText) {
  auto mac = normaliseMac(macText);
  if (!mac) return Error{ErrorCode::kInvalid, "not a MAC address: '" + macText + "'"};
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE mac = ?").c_str());
  if (!s.prepared()) return sqlError(db_, s.rc(), "read device");
  s.bind(*mac);
  int rc = s.step();
  if (rc == SQLITE_DONE) return Error{ErrorCode::kNotFound, "no device " + *mac};
  if (rc != SQLITE_ROW) return sqlError(db_, rc, "read device");
  return readDevice(s);
}

Result<std::vector<DeviceRecord>> Store::devices() {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kDeviceColumns + " FROM devices ORDER BY mac").c_str());
  if (!s.prepared()) return sqlError(db_, s.rc(), "list devices");
  std::vector<DeviceRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(readDevice(s));
  if (rc != SQLITE_DONE) return sqlError(db_, rc, "list devices");
  return out;
}

Status Store::forgetDevice(const std::string& macText) {
  auto mac = normaliseMac(macText);
  if (!mac) return Error{ErrorCode::kInvalid, "not a MAC address: '" + macText + "'"};
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Status {
    Stmt s(db_, "DELETE FROM devices WHERE mac = ?");
    if (!s.prepared()) return sqlError(db_, s.rc(), "forget device");
    s.bind(*mac);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "forget device");
    if (sqlite3_changes(db_) == 0) return Error{ErrorCode::kNotFound, "no device " + *mac};
    return {};
  });
}

Result<int64_t> Store::pruneDevices(TimeS unclassifiedSeenBeforeTime, int64_t maxRows) {
  const int64_t unclassifiedSeenBefore =
      unclassifiedSeenBeforeTime.time_since_epoch().count();  // Unix seconds, as stored
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Result<int64_t> {
    int64_t removed = 0;
    {
      Stmt s(db_, "DELETE FROM devices WHERE class = '' AND last_seen < ?");
      if (!s.prepared()) return sqlError(db_, s.rc(), "prune devices");
      s.bind(unclassifiedSeenBefore);
      if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "prune devices");
      removed += sqlite3_changes(db_);
    }
    auto count = pragmaInt(db_, "SELECT count(*) FROM devices");
    if (!count) return count.error();
    if (*count > maxRows) {
      Stmt s(db_,
             "DELETE FROM devices WHERE mac IN "
             "(SELECT mac FROM devices ORDER BY last_seen ASC, mac ASC LIMIT ?)");
      if (!s.prepared()) return sqlError(db_, s.rc(), "prune devices");
      s.bind(*count - std::max<int64_t>(maxRows, 0));
      if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "prune devices");
      removed += sqlite3_changes(db_);
    }
    return removed;
  });
}

Result<std::vector<std::string>> Store::expireDevices(TimeS seenBeforeTime) {
  const int64_t seenBefore = seenBeforeTime.time_since_epoch().count();  // Unix seconds, as stored
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> macs;
    {
      Stmt s(db_, "SELECT mac FROM devices WHERE last_seen < ? ORDER BY mac");
      if (!s.prepared()) return sqlError(db_, s.rc(), "expire devices");
      s.bind(seenBefore);
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) macs.push_back(s.text(0));
      if (rc != SQLITE_DONE) return sqlError(db_, rc, "expire devices");
    }
    Stmt d(db_, "DELETE FROM devices WHERE last_seen < ?");
    if (!d.prepared()) return sqlError(db_, d.rc(), "expire devices");
    d.bind(seenBefore);
    if (int rc = d.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "expire devices");
    return macs;
  });
}

Result<int64_t> Store::deviceCount() {
  std::lock_guard lock(mu_);
  return pragmaInt(db_, "SELECT count(*) FROM devices");
}

// --- alerts and the spool

Result<bool> Store::spoolAlert(const AlertRecord& a, const std::vector<std::string>& sinks, TimeMs notBefore) {
  const int64_t notBeforeMs = notBefore.time_since_epoch().count();
  if (a.id.empty()) return Error{ErrorCode::kInvalid, "alert without an id"};
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Result<bool> {
    Stmt ins(db_,
             "INSERT INTO alerts (id, time_ms, last_time_ms, event, severity, site, port, vlan, device, evidence, "
             "count, maintenance_window, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT(id) DO NOTHING");
    if (!ins.prepared()) return sqlError(db_, ins.rc(), "spool alert");
    ins.bind(a.id).bind(a.timeMs).bind(std::max(a.timeMs, a.lastTimeMs)).bind(a.event).bind(a.severity);
    ins.bind(a.site).bind(a.port).bind(a.vlan).bind(a.device).bind(a.evidenceJson).bind(a.count);
    ins.bind(a.maintenanceWindow).bind(a.suppressed ? 1 : 0);
    if (int rc = ins.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "spool alert " + a.id);
    if (sqlite3_changes(db_) == 0) {
      // Known id: the same incident again (e.g. after a restart lost the
      // in-memory dedup state). Count it; the sinks already have it.
      Stmt up(db_, "UPDATE alerts SET count = count + ?, last_time_ms = max(last_time_ms, ?) WHERE id = ?");
      if (!up.prepared()) return sqlError(db_, up.rc(), "merge alert");
      up.bind(a.count).bind(std::max(a.timeMs, a.lastTimeMs)).bind(a.id);
      if (int rc = up.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "merge alert " + a.id);
      return false;
    }
    for (const auto& sink : sinks) {
      Stmt d(db_,
             "INSERT OR IGNORE INTO deliveries (alert_id, sink, state, attempts, next_attempt_ms, last_error, "
             "done_at_ms) VALUES (?, ?, 'pending', 0, ?, '', 0)");
      if (!d.prepared()) return sqlError(db_, d.rc(), "spool delivery");
      d.bind(a.id).bind(sink).bind(notBeforeMs);
      if (int rc = d.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "spool delivery " + a.id + " -> " + sink);
    }
    return true;
  });
}

Status Store::addOccurrences(const std::string& alertId, int64_t count, TimeMs lastTime) {
  const int64_t lastTimeMs = lastTime.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Status {
    Stmt up(db_, "UPDATE alerts SET count = count + ?, last_time_ms = max(last_time_ms, ?) WHERE id = ?");
    if (!up.prepared()) return sqlError(db_, up.rc(), "add occurrences");
    up.bind(count).bind(lastTimeMs).bind(alertId);
    if (int rc = up.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "add occurrences " + alertId);
    if (sqlite3_changes(db_) == 0) return Error{ErrorCode::kNotFound, "no alert " + alertId};
    return {};
  });
}

Result<std::vector<PendingDelivery>> Store::dueDeliveries(const std::string& sink, TimeMs now, int limit) {
  const int64_t nowMs = now.time_since_epoch().count();
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kAlertColumns +
                    ", d.alert_id, d.sink, d.state, d.attempts, d.next_attempt_ms, d.last_error, d.done_at_ms "
                    "FROM deliveries d JOIN alerts a ON a.id = d.alert_id "
                    "WHERE d.state = 'pending' AND d.sink = ? AND d.next_attempt_ms <= ? "
                    "ORDER BY a.time_ms, a.id LIMIT ?";
  Stmt s(db_, sql.c_str());
  if (!s.prepared()) return sqlError(db_, s.rc(), "due deliveries");
  s.bind(sink).bind(nowMs).bind(limit);
  std::vector<PendingDelivery> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    out.push_back(PendingDelivery{readAlert(s), readDelivery(s, kAlertColumnCount)});
  }
  if (rc != SQLITE_DONE) return sqlError(db_, rc, "due deliveries");
  return out;
}

Result<std::optional<TimeMs>> Store::nextDue() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT min(next_attempt_ms) FROM deliveries WHERE state = 'pending'");
  if (!s.prepared()) return sqlError(db_, s.rc(), "next due");
  int rc = s.step();
  if (rc != SQLITE_ROW) return sqlError(db_, rc, "next due");
  if (s.isNull(0)) return std::optional<TimeMs>();
  return std::optional<TimeMs>(atUnixMs(s.i64(0)));
}

namespace {

Status updateDelivery(sqlite3* db, const char* sql, const std::string& what, const std::string& id,
                      const std::string& sink, auto&&... binds) {
  return transaction(db, [&]() -> Status {
    Stmt s(db, sql);
    if (!s.prepared()) return sqlError(db, s.rc(), what);
    (s.bind(binds), ...);
    s.bind(id).bind(sink);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db, rc, what + " " + id + " -> " + sink);
    if (sqlite3_changes(db) == 0)
      return Error{ErrorCode::kNotFound, what + ": no pending delivery of " + id + " to " + sink};
    return {};
  });
}

}  // namespace

Status Store::markDelivered(const std::string& alertId, const std::string& sink, TimeMs now) {
  const int64_t nowMs = now.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return updateDelivery(db_,
                        "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, done_at_ms = ?, "
                        "last_error = '' WHERE alert_id = ? AND sink = ? AND state = 'pending'",
                        "mark delivered", alertId, sink, nowMs);
}

Status Store::markRetry(const std::string& alertId, const std::string& sink, const std::string& error,
                        TimeMs nextAttempt) {
  const int64_t nextAttemptMs = nextAttempt.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return updateDelivery(db_,
                        "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_ms = ? "
                        "WHERE alert_id = ? AND sink = ? AND state = 'pending'",
                        "mark retry", alertId, sink, error, nextAttemptMs);
}

Status Store::markRejected(const std::string& alertId, const std::string& sink, const std::string& error, TimeMs now) {
  const int64_t nowMs = now.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return updateDelivery(db_,
                        "UPDATE deliveries SET state = 'rejected', attempts = attempts + 1, last_error = ?, "
                        "done_at_ms = ? WHERE alert_id = ? AND sink = ? AND state = 'pending'",
                        "mark rejected", alertId, sink, error, nowMs);
}

Result<SpoolStats> Store::spoolStats() {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT sum(d.state = 'pending'), sum(d.state = 'rejected'), "
         "min(CASE WHEN d.state = 'pending' THEN a.time_ms END) "
         "FROM deliveries d JOIN alerts a ON a.id = d.alert_id");
  if (!s.prepared()) return sqlError(db_, s.rc(), "spool stats");
  int rc = s.step();
  if (rc != SQLITE_ROW) return sqlError(db_, rc, "spool stats");
  return SpoolStats{s.i64(0), s.i64(1), s.i64(2)};
}

Result<AlertRecord> Store::alert(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kAlertColumns + " FROM alerts a WHERE a.id = ?").c_str());
  if (!s.prepared()) return sqlError(db_, s.rc(), "read alert");
  s.bind(id);
  int rc = s.step();
  if (rc == SQLITE_DONE) return Error{ErrorCode::kNotFound, "no alert " + id};
  if (rc != SQLITE_ROW) return sqlError(db_, rc, "read alert");
  return readAlert(s);
}

Result<std::vector<AlertRecord>> Store::recentAlerts(int limit, bool unackedOnly) {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kAlertColumns + " FROM alerts a" +
                    (unackedOnly ? " WHERE a.acked_by IS NULL" : "") + " ORDER BY a.time_ms DESC, a.id LIMIT ?";
  Stmt s(db_, sql.c_str());
  if (!s.prepared()) return sqlError(db_, s.rc(), "list alerts");
  s.bind(limit);
  std::vector<AlertRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(readAlert(s));
  if (rc != SQLITE_DONE) return sqlError(db_, rc, "list alerts");
  return out;
}

Result<std::vector<DeliveryRecord>> Store::deliveries(const std::string& alertId) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT alert_id, sink, state, attempts, next_attempt_ms, last_error, done_at_ms FROM deliveries "
         "WHERE alert_id = ? ORDER BY sink");
  if (!s.prepared()) return sqlError(db_, s.rc(), "list deliveries");
  s.bind(alertId);
  std::vector<DeliveryRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(readDelivery(s, 0));
  if (rc != SQLITE_DONE) return sqlError(db_, rc, "list deliveries");
  return out;
}

Status Store::ackAlert(const std::string& id, uid_t uid, TimeMs now, const std::string& subject) {
  const int64_t nowMs = now.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Status {
    Stmt s(db_,
           "UPDATE alerts SET acked_by = ?, acked_at_ms = ?, acked_by_subject = ? WHERE id = ? AND acked_by IS NULL");
    if (!s.prepared()) return sqlError(db_, s.rc(), "ack alert");
    s.bind(static_cast<int64_t>(uid)).bind(nowMs).bind(subject).bind(id);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "ack alert " + id);
    if (sqlite3_changes(db_) == 0) return Error{ErrorCode::kNotFound, "no unacknowledged alert " + id};
    return {};
  });
}

Result<int64_t> Store::pruneAlerts(TimeMs olderThan) {
  const int64_t olderThanMs = olderThan.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Result<int64_t> {
    Stmt s(db_,
           "DELETE FROM alerts WHERE last_time_ms < ? AND NOT EXISTS "
           "(SELECT 1 FROM deliveries d WHERE d.alert_id = alerts.id AND d.state = 'pending')");
    if (!s.prepared()) return sqlError(db_, s.rc(), "prune alerts");
    s.bind(olderThanMs);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "prune alerts");
    return static_cast<int64_t>(sqlite3_changes(db_));
  });
}

Result<int64_t> Store::capAlerts(int64_t maxRows) {
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Result<int64_t> {
    auto count = pragmaInt(db_, "SELECT count(*) FROM alerts");
    if (!count) return count.error();
    if (*count <= maxRows) return int64_t{0};
    Stmt s(db_,
           "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE NOT EXISTS "
           "(SELECT 1 FROM deliveries d WHERE d.alert_id = alerts.id AND d.state = 'pending') "
           "ORDER BY last_time_ms ASC, id ASC LIMIT ?)");
    if (!s.prepared()) return sqlError(db_, s.rc(), "cap alerts");
    s.bind(*count - std::max<int64_t>(maxRows, 0));
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "cap alerts");
    return static_cast<int64_t>(sqlite3_changes(db_));
  });
}

// --- the HTTPS API's call log

Status Store::appendApiCall(const ApiCallRecord& c) {
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Status {
    Stmt s(db_,
           "INSERT INTO api_calls (time_ms, subject, role, method, path, command, status, error) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s.prepared()) return sqlError(db_, s.rc(), "log api call");
    s.bind(c.timeMs).bind(c.subject).bind(c.role).bind(c.method).bind(c.path).bind(c.command).bind(c.status);
    s.bind(c.error);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "log api call");
    return {};
  });
}

Result<std::vector<ApiCallRecord>> Store::recentApiCalls(int limit) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT time_ms, subject, role, method, path, command, status, error FROM api_calls "
         "ORDER BY id DESC LIMIT ?");
  if (!s.prepared()) return sqlError(db_, s.rc(), "list api calls");
  s.bind(limit);
  std::vector<ApiCallRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    out.push_back(
        {s.i64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), static_cast<int>(s.i64(6)), s.text(7)});
  }
  if (rc != SQLITE_DONE) return sqlError(db_, rc, "list api calls");
  return out;
}

Result<int64_t> Store::pruneApiCalls(TimeMs olderThan, int64_t maxRows) {
  const int64_t olderThanMs = olderThan.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Result<int64_t> {
    Stmt aged(db_, "DELETE FROM api_calls WHERE time_ms < ?");
    if (!aged.prepared()) return sqlError(db_, aged.rc(), "prune api calls");
    aged.bind(olderThanMs);
    if (int rc = aged.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "prune api calls");
    int64_t gone = sqlite3_changes(db_);
    Stmt capped(db_, "DELETE FROM api_calls WHERE id <= (SELECT id FROM api_calls ORDER BY id DESC LIMIT 1 OFFSET ?)");
    if (!capped.prepared()) return sqlError(db_, capped.rc(), "cap api calls");
    capped.bind(std::max<int64_t>(maxRows, 0));
    if (int rc = capped.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "cap api calls");
    return gone + sqlite3_changes(db_);
  });
}

// --- the 802.1X audit trail

namespace {
constexpr const char* kEndOpenDot1x =
    "UPDATE dot1x_sessions SET ended_ms = ?, end_reason = ? WHERE ended_ms = 0 AND port = ? AND mac = ?";
}

Status Store::openDot1xSession(const Dot1xSessionRecord& r) {
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Status {
    Stmt close(db_, kEndOpenDot1x);
    if (!close.prepared()) return sqlError(db_, close.rc(), "record 802.1X session");
    close.bind(r.authorisedMs).bind(std::string("superseded")).bind(r.port).bind(r.mac);
    if (int rc = close.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "record 802.1X session");
    Stmt s(db_,
           "INSERT INTO dot1x_sessions (port, mac, identity, authorised_ms, last_authenticated_ms) "
           "VALUES (?, ?, ?, ?, ?)");
    if (!s.prepared()) return sqlError(db_, s.rc(), "record 802.1X session");
    s.bind(r.port).bind(r.mac).bind(r.identity).bind(r.authorisedMs).bind(r.lastAuthenticatedMs);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "record 802.1X session");
    return {};
  });
}

Status Store::touchDot1xSession(const std::string& port, const std::string& mac, TimeMs lastAuthenticated) {
  const int64_t lastAuthenticatedMs = lastAuthenticated.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Status {
    Stmt s(db_, "UPDATE dot1x_sessions SET last_authenticated_ms = ? WHERE ended_ms = 0 AND port = ? AND mac = ?");
    if (!s.prepared()) return sqlError(db_, s.rc(), "record 802.1X re-authentication");
    s.bind(lastAuthenticatedMs).bind(port).bind(mac);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "record 802.1X re-authentication");
    if (sqlite3_changes(db_) == 0) return Error{ErrorCode::kNotFound, "no open 802.1X session of " + mac + " on " + port};
    return {};
  });
}

Status Store::endDot1xSession(const std::string& port, const std::string& mac, TimeMs ended, const std::string& reason) {
  const int64_t endedMs = ended.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Status {
    Stmt s(db_, kEndOpenDot1x);
    if (!s.prepared()) return sqlError(db_, s.rc(), "record the end of an 802.1X session");
    s.bind(endedMs).bind(reason).bind(port).bind(mac);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "record the end of an 802.1X session");
    if (sqlite3_changes(db_) == 0) return Error{ErrorCode::kNotFound, "no open 802.1X session of " + mac + " on " + port};
    return {};
  });
}

Result<int64_t> Store::endOpenDot1xSessions(TimeMs ended, const std::string& reason) {
  const int64_t endedMs = ended.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Result<int64_t> {
    Stmt s(db_, "UPDATE dot1x_sessions SET ended_ms = ?, end_reason = ? WHERE ended_ms = 0");
    if (!s.prepared()) return sqlError(db_, s.rc(), "end open 802.1X sessions");
    s.bind(endedMs).bind(reason);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "end open 802.1X sessions");
    return static_cast<int64_t>(sqlite3_changes(db_));
  });
}

Result<std::vector<Dot1xSessionRecord>> Store::dot1xSessions(const std::string& mac, int limit) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT id, port, mac, identity, authorised_ms, last_authenticated_ms, ended_ms, end_reason FROM dot1x_sessions "
         "WHERE ? = '' OR mac = ? ORDER BY id DESC LIMIT ?");
  if (!s.prepared()) return sqlError(db_, s.rc(), "list 802.1X sessions");
  s.bind(mac).bind(mac).bind(limit);
  std::vector<Dot1xSessionRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    out.push_back({s.i64(0), s.text(1), s.text(2), s.text(3), s.i64(4), s.i64(5), s.i64(6), s.text(7)});
  }
  if (rc != SQLITE_DONE) return sqlError(db_, rc, "list 802.1X sessions");
  return out;
}

Result<int64_t> Store::pruneDot1xSessions(TimeMs endedBefore, int64_t maxRows) {
  const int64_t endedBeforeMs = endedBefore.time_since_epoch().count();
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Result<int64_t> {
    Stmt aged(db_, "DELETE FROM dot1x_sessions WHERE ended_ms != 0 AND ended_ms < ?");
    if (!aged.prepared()) return sqlError(db_, aged.rc(), "prune 802.1X sessions");
    aged.bind(endedBeforeMs);
    if (int rc = aged.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "prune 802.1X sessions");
    int64_t gone = sqlite3_changes(db_);
    Stmt capped(db_,
                "DELETE FROM dot1x_sessions WHERE ended_ms != 0 AND id <= "
                "(SELECT id FROM dot1x_sessions ORDER BY id DESC LIMIT 1 OFFSET ?)");
    if (!capped.prepared()) return sqlError(db_, capped.rc(), "cap 802.1X sessions");
    capped.bind(std::max<int64_t>(maxRows, 0));
    if (int rc = capped.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "cap 802.1X sessions");
    return gone + sqlite3_changes(db_);
  });
}

// --- policy history

Result<int> Store::appendPolicy(const PolicyRecord& p) {
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Result<int> {
    auto last = pragmaInt(db_, "SELECT coalesce(max(version), 0) FROM policy_history");
    if (!last) return last.error();
    int version = static_cast<int>(*last) + 1;
    Stmt s(db_,
           "INSERT INTO policy_history (version, hash, name, kind, source, uid, unix_time, summary, policy_text, "
           "canonical, sources, subject, settings_hash, settings_canonical) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s.prepared()) return sqlError(db_, s.rc(), "append policy");
    s.bind(version).bind(p.hash).bind(p.name).bind(p.kind).bind(p.source).bind(static_cast<int64_t>(p.uid));
    s.bind(p.unixTime).bind(p.summary).bind(p.policyText).bind(p.canonical).bind(p.sourcesJson).bind(p.subject);
    s.bind(p.settingsHash).bind(p.settingsCanonical);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "append policy");
    return version;
  });
}

Result<std::vector<PolicyRecord>> Store::policyHistory(bool withText) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kPolicyColumns + " FROM policy_history ORDER BY version").c_str());
  if (!s.prepared()) return sqlError(db_, s.rc(), "policy history");
  std::vector<PolicyRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(readPolicy(s, withText));
  if (rc != SQLITE_DONE) return sqlError(db_, rc, "policy history");
  return out;
}

Result<PolicyRecord> Store::policyVersion(int version) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kPolicyColumns + " FROM policy_history WHERE version = ?").c_str());
  if (!s.prepared()) return sqlError(db_, s.rc(), "policy version");
  s.bind(version);
  int rc = s.step();
  if (rc == SQLITE_DONE) return Error{ErrorCode::kNotFound, "no policy version " + std::to_string(version)};
  if (rc != SQLITE_ROW) return sqlError(db_, rc, "policy version");
  return readPolicy(s, true);
}

Result<std::optional<PolicyRecord>> Store::latestPolicy() {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kPolicyColumns + " FROM policy_history ORDER BY version DESC LIMIT 1").c_str());
  if (!s.prepared()) return sqlError(db_, s.rc(), "latest policy");
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<PolicyRecord>();
  if (rc != SQLITE_ROW) return sqlError(db_, rc, "latest policy");
  return std::optional<PolicyRecord>(readPolicy(s, true));
}

Result<int64_t> Store::prunePolicyHistory(TimeS recordedBeforeTime) {
  const int64_t recordedBefore = recordedBeforeTime.time_since_epoch().count();  // Unix seconds, as stored
  std::lock_guard lock(mu_);
  return transaction(db_, [&]() -> Result<int64_t> {
    Stmt s(db_,
           "DELETE FROM policy_history WHERE unix_time < ? "
           "AND version < (SELECT max(version) FROM policy_history)");
    if (!s.prepared()) return sqlError(db_, s.rc(), "prune policy history");
    s.bind(recordedBefore);
    if (int rc = s.step(); rc != SQLITE_DONE) return sqlError(db_, rc, "prune policy history");
    return static_cast<int64_t>(sqlite3_changes(db_));
  });
}

Status Store::integrityCheck() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "PRAGMA integrity_check(20)");
  if (!s.prepared()) return sqlError(db_, s.rc(), "integrity_check");
  std::string problems;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    std::string line = s.text(0);
    if (line == "ok") return {};
    problems += (problems.empty() ? "" : "; ") + line;
  }
  if (rc != SQLITE_DONE) {
    Error e = sqlError(db_, rc, path_ + ": integrity_check");
    e.code = ErrorCode::kCorrupt;
    return e;
  }
  return Error{ErrorCode::kCorrupt, path_ + ": " + problems};
}

}  // namespace portvakt::store
