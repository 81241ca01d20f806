#pragma once
// An alert: one incident the service desk should know about (R7). It carries
// metadata only — event, severity, site, port, VLAN, the device's MAC and a
// few short key/value evidence items — never frame bytes or payload (R10).
// sanitizeEvidence enforces that shape so a caller cannot leak a payload by
// accident: keys are [a-z0-9_], values are short printable text.
//
// The id is stable: a hash of site, event, port, device and the time bucket
// the event falls in. The same incident seen again in the same bucket (by this
// process, or by the next one after a restart) gets the same id, which is what
// makes it the dedup key, the spool's primary key and the webhook's
// Idempotency-Key all at once.
//
// Formatting (pure functions, any thread): RFC 5424 syslog with structured
// data, and an Elastic Common Schema JSON document (JSON-lines sink and the
// webhook's default body). CEF is in cef.h, a policy-shaped webhook body in
// webhook_body.h.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/store/store.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::alerts {

struct Evidence {
  std::string key;
  std::string value;
};

inline constexpr size_t kMaxEvidenceItems = 16;
inline constexpr size_t kMaxEvidenceValue = 128;

struct Alert {
  std::string id;
  store::TimeMs time{};      // first occurrence
  store::TimeMs lastTime{};  // last occurrence folded in
  std::string event;         // a tables::EventType name (a record: kept as read from the store)
  tables::Severity severity = tables::Severity::kWarning;
  std::string site;
  std::string port;       // interface name, may be empty
  int vlan = -1;          // -1: none
  std::string deviceMac;  // aa:bb:cc:dd:ee:ff, may be empty
  std::vector<Evidence> evidence;
  int64_t count = 1;              // identical events folded into this alert
  std::string maintenanceWindow;  // the window in effect, if any
  bool suppressed = false;        // that window suppresses this event
};

// "pva-" + 24 hex digits of SHA-256(site, event, port, device, time / bucket
// and the bucket, both as numbers of Unix milliseconds: ids stored before stay the same).
std::string makeAlertId(std::string_view site, std::string_view event, std::string_view port, std::string_view device,
                        store::TimeMs time, std::chrono::milliseconds bucket);

// Drops items with bad keys, cuts long values (at a UTF-8 boundary), replaces
// control characters, keeps at most kMaxEvidenceItems.
std::vector<Evidence> sanitizeEvidence(std::vector<Evidence> items);

// One line for people: "rogue_dhcp on eth3 (VLAN 30) from 02:00:00:00:00:0a: server_ip=192.0.2.9".
std::string summaryLine(const Alert& a);

// RFC 5424 message without transport framing:
// <PRI>1 TIMESTAMP HOST APP PROCID MSGID [portvakt@32473 ...][evidence@32473 ...] MSG
struct SyslogFormat {
  std::string hostname = "-";
  std::string appName = "portvakt";
  std::string procId = "-";
  int facility = 16;  // local0
};
std::string toRfc5424(const Alert& a, const SyslogFormat& format);
// Its header up to and including the space after MSGID: "<PRI>1 TIMESTAMP HOST APP PROCID MSGID ".
std::string rfc5424Header(const Alert& a, const SyslogFormat& format);
// RFC 5424 severity for an alert severity: critical 2, warning 4, info 6.
int syslogSeverity(tables::Severity s);

// The ECS document (one line, no trailing newline).
std::string toEcsJson(const Alert& a, std::string_view observerHostname);

// Conversions to and from the store's row.
store::AlertRecord toRecord(const Alert& a);
std::optional<Alert> fromRecord(const store::AlertRecord& r);  // nullopt if the row is malformed

// As 2024-03-31T01:59:59.123Z.
std::string formatUtc(store::TimeMs time);

}  // namespace portvakt::alerts
