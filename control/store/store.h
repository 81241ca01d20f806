#pragma once
// The appliance's one database: devices, alert history and the alert spool,
// and the policy history (with the full policy text), in one SQLite file under
// /var/lib/portvakt.
//
// How it stays correct when the daemon is killed at any moment:
//  - WAL journal, and every write is one transaction (BEGIN IMMEDIATE ... COMMIT).
//    A call that returned ok has committed; SQLite's WAL guarantees that a
//    committed transaction survives the process dying (kill -9), and with
//    synchronous=FULL (the default here) also a power cut. A transaction that
//    was in flight is rolled back on the next open. Tested by
//    tests/control/store/crash_test.cc, which kill -9s a writer at random.
//  - The alert spool is rows, not a queue in memory: an alert is written with
//    one delivery row per sink *before* anything is sent, and a row only
//    leaves the pending state when that sink acknowledged it.
//
// Why refuse rather than repair: a file that is not SQLite, belongs to another
// program (PRAGMA application_id), was written by a newer schema (PRAGMA
// user_version) or fails SQLite's quick_check is reported as a clear Error at
// open, and the daemon should stop there. Silently recreating it would lose
// the audit trail (R9) and undelivered alerts (R7).
//
// Thread-safety: a Store is one SQLite connection guarded by a mutex; every
// member function may be called from any thread. Two processes may open the
// same file (SQLite file locks); a writer waits up to busyTimeoutMs and then
// gets ErrorCode::kBusy.
//
// Times are Unix time in milliseconds (alerts, deliveries) or seconds
// (devices, policy history), as the field names say.

#include <chrono>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "control/store/store_result.h"
#include "control/store/store_time.h"

struct sqlite3;

namespace portvakt::store {

// PRAGMA application_id of a portvakt database: "PVKT".
inline constexpr int32_t kApplicationId = 0x50564B54;
// PRAGMA user_version this build writes. Bump it and add a migration step in
// store.cc when the schema changes; an older file is upgraded at open.
inline constexpr int kSchemaVersion = 5;

struct OpenOptions {
  // FULL: a commit survives a power cut (fsync per commit). NORMAL: survives
  // a process crash only, about 10x more commits per second.
  bool synchronousFull = true;
  int busyTimeoutMs = 5000;
  // Run PRAGMA quick_check at open so a damaged file is refused up front
  // instead of failing later in the middle of a delivery.
  bool quickCheck = true;
  bool readOnly = false;  // e.g. the CLI reading history without the daemon
};

struct DeviceRecord {
  std::string mac;  // lower-case aa:bb:cc:dd:ee:ff (other spellings are normalised)
  std::string port;
  std::string deviceClass;
  std::string zone;
  double confidence = 0;            // 0..1
  std::string evidenceJson = "{}";  // JSON object: the signals that decided
  int64_t firstSeen = 0;            // seconds; kept from the first insert
  int64_t lastSeen = 0;             // seconds
};

struct AlertRecord {
  std::string id;          // stable, see control/alerts/alert.h
  int64_t timeMs = 0;      // first occurrence
  int64_t lastTimeMs = 0;  // last occurrence folded into this alert
  std::string event;       // e.g. "rogue_dhcp"
  std::string severity;    // "info" | "warning" | "critical"
  std::string site;
  std::string port;
  int vlan = -1;       // -1: none
  std::string device;  // MAC, may be empty
  std::string evidenceJson = "{}";
  int64_t count = 1;              // identical events folded into this alert
  std::string maintenanceWindow;  // window active at timeMs, empty if none
  bool suppressed = false;        // inside a window that suppresses this event: not delivered
  std::optional<uid_t> ackedBy;
  int64_t ackedAtMs = 0;
  std::string ackedBySubject;  // the client certificate's subject when acked over HTTPS, else empty
};

enum class DeliveryState { kPending, kDelivered, kRejected };
const char* toString(DeliveryState s);

struct DeliveryRecord {
  std::string alertId;
  std::string sink;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  int64_t nextAttemptMs = 0;  // not before this time
  std::string lastError;
  int64_t doneAtMs = 0;  // delivered or rejected
};

struct PendingDelivery {
  AlertRecord alert;
  DeliveryRecord delivery;
};

struct SpoolStats {
  int64_t pending = 0;          // delivery rows not yet acknowledged
  int64_t rejected = 0;         // given up on (permanent receiver error)
  int64_t oldestPendingMs = 0;  // alert time of the oldest pending row, 0 if none
};

// One management API call over HTTPS (R9: every remote call, reads too):
// who by certificate subject and role, what, and how it ended.
struct ApiCallRecord {
  int64_t timeMs = 0;
  std::string subject;  // the client certificate's subject, "CN=...,OU=..."
  std::string role;     // engineer | servicedesk | monitor | "" (none: refused)
  std::string method;   // GET, POST, ...
  std::string path;     // the route called, without the query
  std::string command;  // the API command it maps to, "" when none
  int status = 0;       // the HTTP status answered
  std::string error;    // the error answered, "" on success
};

// One 802.1X session that was authorised (R9: the audit of admissions): from
// the authorisation to its end. endedMs 0: still authorised.
struct Dot1xSessionRecord {
  int64_t id = 0;  // assigned by the store
  std::string port;
  std::string mac;       // lower-case aa:bb:cc:dd:ee:ff
  std::string identity;  // the EAP identity RADIUS accepted (the certificate's CN)
  int64_t authorisedMs = 0;
  int64_t lastAuthenticatedMs = 0;  // the last EAP success (re-authentications move it)
  int64_t endedMs = 0;
  std::string endReason;  // "disconnected", "link down", "MAC aged out", "policy change", "hostapd restarted", ...
};

struct PolicyRecord {
  int version = 0;   // assigned by appendPolicy: 1, 2, ...
  std::string hash;  // "sha256:..." of the tables the dataplane runs (CompiledPolicy::contentHash)
  std::string name;
  std::string kind = "push";       // push | rollback | upgrade
  std::string source;              // file name(s) pushed
  uid_t uid = 0;                   // who (SO_PEERCRED)
  int64_t unixTime = 0;            // when, seconds
  std::string summary;             // diff summary against the version before
  std::string policyText;          // the YAML as pushed (audit)
  std::string canonical;           // the tables' canonical dump (dumpTables; before schema 5 the whole policy's)
  std::string sourcesJson = "[]";  // every file compiled, [{"path","text"}]: rebuilds the version (rollback)
  std::string subject{};           // who, over HTTPS: the client certificate's subject (uid is 0 then); else empty
  // "sha256:..." of the control plane's settings (ControlSettings::settingsHash);
  // empty for a version recorded before schema 5, when one hash covered both.
  std::string settingsHash{};
  std::string settingsCanonical{};  // the settings' canonical dump (audit); empty before schema 5
};

class Store {
 public:
  // Opens or creates `path`. Fails (never crashes) on a file that is not a
  // portvakt database; see the header comment.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const OpenOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }

  // --- devices
  // Inserts or updates by MAC; firstSeen keeps the earliest value ever stored.
  Status upsertDevice(const DeviceRecord& device);
  // The same for many devices in one transaction (one fsync): the daemon's
  // periodic last-seen flush.
  Status upsertDevices(const std::vector<DeviceRecord>& devices);
  Result<DeviceRecord> device(const std::string& mac);  // kNotFound if unknown
  Result<std::vector<DeviceRecord>> devices();          // sorted by MAC
  Status forgetDevice(const std::string& mac);          // kNotFound if unknown
  // Bounds the devices table (issue 14: a MAC flood wrote a row per MAC, for
  // ever): deletes rows without a class last seen before unclassifiedSeenBefore
  // (seconds), then, while more than maxRows remain, the least recently seen.
  // One transaction; returns how many rows went.
  Result<int64_t> pruneDevices(TimeS unclassifiedSeenBefore, int64_t maxRows);
  // Retention (the policy's `retention: devices`, R10): deletes every device
  // last seen before seenBefore (seconds), classified or not, and returns their
  // MACs so the daemon can forget them in memory too. One transaction.
  Result<std::vector<std::string>> expireDevices(TimeS seenBefore);
  Result<int64_t> deviceCount();

  // --- alerts and the spool
  // Writes the alert and one pending delivery row per sink (not before
  // notBeforeMs) in one transaction. If an alert with this id exists, its
  // count and lastTimeMs are merged instead and no new delivery is created
  // (the id is the dedup key): returns false then, true for a new alert.
  Result<bool> spoolAlert(const AlertRecord& alert, const std::vector<std::string>& sinks, TimeMs notBefore);
  // Folds `count` more occurrences into an existing alert.
  Status addOccurrences(const std::string& alertId, int64_t count, TimeMs lastTime);
  // Pending deliveries for `sink` due at nowMs, oldest alert first.
  Result<std::vector<PendingDelivery>> dueDeliveries(const std::string& sink, TimeMs now, int limit);
  // The earliest nextAttemptMs of any pending delivery, if there is one (the
  // dispatcher sleeps until then).
  Result<std::optional<TimeMs>> nextDue();
  Status markDelivered(const std::string& alertId, const std::string& sink, TimeMs now);
  Status markRetry(const std::string& alertId, const std::string& sink, const std::string& error, TimeMs nextAttempt);
  Status markRejected(const std::string& alertId, const std::string& sink, const std::string& error, TimeMs now);
  Result<SpoolStats> spoolStats();

  Result<AlertRecord> alert(const std::string& id);
  // Newest first.
  Result<std::vector<AlertRecord>> recentAlerts(int limit, bool unackedOnly = false);
  Result<std::vector<DeliveryRecord>> deliveries(const std::string& alertId);
  // `subject` is the client certificate's subject of an ack over HTTPS ("" for the Unix socket).
  Status ackAlert(const std::string& id, uid_t uid, TimeMs now, const std::string& subject = "");
  // Deletes alerts older than olderThanMs whose deliveries are all finished.
  // Returns how many went.
  Result<int64_t> pruneAlerts(TimeMs olderThan);
  // Keeps at most maxRows alerts: deletes the oldest (by last occurrence)
  // beyond that whose deliveries are all finished; pending ones are never
  // deleted (R7). Returns how many went.
  Result<int64_t> capAlerts(int64_t maxRows);

  // --- the HTTPS API's call log (R9)
  Status appendApiCall(const ApiCallRecord& call);
  // Newest first.
  Result<std::vector<ApiCallRecord>> recentApiCalls(int limit);
  // Deletes calls older than olderThanMs, then the oldest beyond maxRows.
  Result<int64_t> pruneApiCalls(TimeMs olderThan, int64_t maxRows);

  // --- the 802.1X audit trail (R9): authorisations and their ends
  // A new authorisation of (port, mac): one row. A row of (port, mac) still
  // open is closed first with the reason "superseded".
  Status openDot1xSession(const Dot1xSessionRecord& session);
  // A re-authentication of the open row of (port, mac); kNotFound if none is open.
  Status touchDot1xSession(const std::string& port, const std::string& mac, TimeMs lastAuthenticated);
  // Ends the open row of (port, mac); kNotFound if none is open.
  Status endDot1xSession(const std::string& port, const std::string& mac, TimeMs ended, const std::string& reason);
  // Ends every open row (at start: a previous portvaktd's hostapds died with
  // it). Returns how many.
  Result<int64_t> endOpenDot1xSessions(TimeMs ended, const std::string& reason);
  // Newest first; `mac` empty: every MAC.
  Result<std::vector<Dot1xSessionRecord>> dot1xSessions(const std::string& mac, int limit);
  // Deletes ended rows that ended before endedBeforeMs, then the oldest ended
  // ones beyond maxRows. Open rows stay. Returns how many went.
  Result<int64_t> pruneDot1xSessions(TimeMs endedBefore, int64_t maxRows);

  // --- policy history (R9)
  // Assigns the next version number and returns it.
  Result<int> appendPolicy(const PolicyRecord& record);
  // Oldest first. Without text, policyText, canonical and sourcesJson are left empty.
  Result<std::vector<PolicyRecord>> policyHistory(bool withText = false);
  Result<PolicyRecord> policyVersion(int version);
  // The last appended version (what the daemon restarts with), or nullopt.
  Result<std::optional<PolicyRecord>> latestPolicy();
  // Retention (the policy's `retention: audit`): deletes history entries
  // recorded before recordedBefore (unix seconds), never the last one (the
  // running policy, which a restart resumes). Version numbers are not reused.
  // Returns how many went.
  Result<int64_t> prunePolicyHistory(TimeS recordedBefore);

  // --- maintenance
  // PRAGMA integrity_check (full, slow on big files): ok or kCorrupt.
  Status integrityCheck();

 private:
  Store(sqlite3* db, std::string path);

  std::mutex mu_;
  sqlite3* db_;
  std::string path_;
};

// "AA-BB-CC-DD-EE-FF" -> "aa:bb:cc:dd:ee:ff"; nullopt if not a MAC.
std::optional<std::string> normaliseMac(const std::string& text);

}  // namespace portvakt::store
