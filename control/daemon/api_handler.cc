#include "control/daemon/api_handler.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <set>
#include <vector>

#include "control/daemon/device_json.h"
#include "control/daemon/dot1x_admission.h"
#include "control/daemon/plan_moves.h"
#include "control/link/link_manager.h"
#include "control/store/store.h"
#include "control/version.h"

namespace portvakt::control {

using nlohmann::json;

namespace {

json failure(const std::string& message) { return {{"ok", false}, {"error", message}}; }

const char* kindName(PolicyChange::Kind k) {
  switch (k) {
    case PolicyChange::Kind::kAdded: return "added";
    case PolicyChange::Kind::kRemoved: return "removed";
    case PolicyChange::Kind::kChanged: return "changed";
  }
  return "?";
}

json versionJson(const PolicyVersion& v) {
  // hash: the tables the dataplane runs; settings_hash: the control settings
  // ("" for a version recorded before they were hashed apart).
  return {{"version", v.version},
          {"hash", v.hash},
          {"name", v.name},
          {"source", v.source},
          {"uid", v.uid},
          {"subject", v.subject},
          {"time", unixSeconds(v.installedAt)},
          {"summary", v.summary},
          {"kind", v.kind},
          {"settings_hash", v.settingsHash}};
}

// Who called, for the policy_rejected alert: a uid, or a certificate subject.
std::string callerText(const api::Caller& caller) {
  return caller.remote ? caller.subject + " (" + caller.role + ")" : "uid " + std::to_string(caller.uid);
}

// A client's bundle holds a site, its bases (extends: at most 3 deep) and
// their inventory files: 16 is room to spare, not a real policy's need.
constexpr size_t kMaxBundleFiles = 16;
constexpr size_t kMaxBundleNameBytes = 4096;  // PATH_MAX

// What a JSON value is, for "must be X, not Y" errors.
std::string kindOf(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "true/false";
  if (v.is_number_float()) return "a number with a fraction";
  if (v.is_number_integer()) return "an integer";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "a list";
  return "null";
}

// An optional string field: absent is ""; any other type is an error naming
// the field.
Result<std::string> optionalString(const json& req, const char* key) {
  if (!req.contains(key)) return std::string();
  if (!req[key].is_string()) return Error{"'" + std::string(key) + "' must be a string, not " + kindOf(req[key])};
  return req[key].get<std::string>();
}

Result<std::string> requiredString(const json& req, const char* key, const std::string& command) {
  if (!req.contains(key)) return Error{command + " needs '" + key + "'"};
  return optionalString(req, key);
}

bool hasControlCharacter(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// File names in a bundle are labels that end up in the history and in
// diagnostics: bounded, and without line breaks that could fake lines there.
constexpr const char* kFileLabelRule = "must be a file name of 1 to 4096 bytes without control characters";
bool isFileLabel(const std::string& s) {
  return !s.empty() && s.size() <= kMaxBundleNameBytes && !hasControlCharacter(s);
}

std::string normalName(const std::string& path) { return std::filesystem::path(path).lexically_normal().string(); }

// The bundle of a policy.plan or policy.push request, every field checked.
// The bundle, or what is wrong with it.
Result<policy::PolicyBundle> readBundle(const json& req, const std::string& command) {
  policy::PolicyBundle out;
  if (req.contains("path")) {
    return Error{command +
                 ": 'path' is refused: portvaktd does not open files for its clients; send the policy itself "
                 "as 'bundle' (the portvakt CLI does since this version; upgrade it)"};
  }
  if (!req.contains("bundle")) {
    return Error{command + " needs 'bundle': {\"site\": NAME, \"files\": [{\"path\": NAME, \"text\": TEXT}, ...]}"};
  }
  const json& bundle = req["bundle"];
  if (!bundle.is_object()) return Error{"'bundle' must be an object, not " + kindOf(bundle)};
  if (!bundle.contains("site")) return Error{"'bundle.site' is missing (the site file's name among bundle.files)"};
  if (!bundle["site"].is_string()) return Error{"'bundle.site' must be a string, not " + kindOf(bundle["site"])};
  if (!bundle.contains("files")) return Error{"'bundle.files' is missing"};
  if (!bundle["files"].is_array()) return Error{"'bundle.files' must be a list, not " + kindOf(bundle["files"])};
  const json& files = bundle["files"];
  if (files.empty()) return Error{"'bundle.files' is empty"};
  if (files.size() > kMaxBundleFiles) {
    return Error{"'bundle.files' holds " + std::to_string(files.size()) + " files; a bundle holds at most " +
                 std::to_string(kMaxBundleFiles) + " (a site file, its bases and their inventory files)"};
  }
  size_t totalBytes = 0;
  std::set<std::string> names;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string field = "'bundle.files[" + std::to_string(i) + "]";
    const json& f = files[i];
    if (!f.is_object()) return Error{field + "' must be an object {\"path\", \"text\"}, not " + kindOf(f)};
    for (const char* key : {"path", "text"}) {
      if (!f.contains(key)) return Error{field + "." + key + "' is missing"};
      if (!f[key].is_string()) return Error{field + "." + key + "' must be a string, not " + kindOf(f[key])};
    }
    std::string path = f["path"].get<std::string>();
    if (!isFileLabel(path)) return Error{field + ".path' " + kFileLabelRule};
    if (!names.insert(normalName(path)).second)
      return Error{field + ".path' names " + normalName(path) + " a second time"};
    totalBytes += f["text"].get_ref<const std::string&>().size();
    out.files.push_back({std::move(path), f["text"].get<std::string>()});
  }
  if (totalBytes > api::kMaxRequestBytes) {
    return Error{"the bundle's files hold " + std::to_string(totalBytes) + " bytes; portvaktd accepts at most " +
                 std::to_string(api::kMaxRequestBytes) + " bytes (1 MiB) per request"};
  }
  out.site = bundle["site"].get<std::string>();
  if (!isFileLabel(out.site)) return Error{std::string("'bundle.site' ") + kFileLabelRule};
  if (!names.count(normalName(out.site)))
    return Error{"'bundle.site' names " + out.site + ", which is not among bundle.files"};
  return out;
}

json alertJson(const store::AlertRecord& a, const std::vector<store::DeliveryRecord>& deliveries) {
  json sinks = json::object();
  for (const store::DeliveryRecord& d : deliveries) {
    sinks[d.sink] = {{"state", store::toString(d.state)}, {"attempts", d.attempts}, {"last_error", d.lastError}};
  }
  json evidence = json::parse(a.evidenceJson, nullptr, false);
  return {{"id", a.id},
          {"time_ms", a.timeMs},
          {"last_time_ms", a.lastTimeMs},
          {"event", a.event},
          {"severity", a.severity},
          {"site", a.site},
          {"port", a.port},
          {"vlan", a.vlan},
          {"device", a.device},
          {"evidence", evidence.is_discarded() ? json::object() : evidence},
          {"count", a.count},
          {"maintenance_window", a.maintenanceWindow},
          {"suppressed", a.suppressed},
          {"acked_by", a.ackedBy ? json(*a.ackedBy) : json(nullptr)},
          {"acked_at_ms", a.ackedAtMs},
          {"acked_by_subject", a.ackedBySubject},
          {"deliveries", sinks}};
}

}  // namespace

bool ApiHandler::roleAllows(const std::string& role, const std::string& command) {
  if (role == "engineer") return true;
  if (command == "status") return role == "servicedesk" || role == "monitor";
  if (role != "servicedesk") return false;
  return command == "policy.history" || command == "devices" || command == "devices.show" || command == "alerts" ||
         command == "alerts.ack" || command == "ports";
}

bool ApiHandler::mayChange(const api::Caller& caller) const {
  if (caller.remote) return false;  // roleAllows decides for them, in handle()
  if (caller.uid == 0) return true;
  group* g = ::getgrnam(adminGroup_.c_str());
  passwd* pw = ::getpwuid(caller.uid);
  if (!g || !pw) return false;
  int count = 64;
  std::vector<gid_t> groups(static_cast<size_t>(count));
  if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count) < 0) return false;
  for (int i = 0; i < count; ++i) {
    if (groups[static_cast<size_t>(i)] == g->gr_gid) return true;
  }
  return false;
}

std::string ApiHandler::handle(const std::string& request, const api::Caller& caller, WallTime now) {
  json req = json::parse(request, nullptr, /*allow_exceptions=*/false);
  json answer;
  if (req.is_discarded() || !req.is_object()) {
    answer = failure("malformed request: not a JSON object");
  } else if (!req.contains("api") || !req["api"].is_number_integer() || req["api"].get<int>() != api::kApiVersion) {
    answer = failure("unsupported API version (this portvaktd speaks api " + std::to_string(api::kApiVersion) + ")");
  } else if (!req.contains("command") || !req["command"].is_string()) {
    answer = failure("malformed request: no 'command'");
  } else {
    const std::string command = req["command"].get<std::string>();
    const bool changes = command == "policy.push" || command == "policy.rollback" || command == "devices.forget" ||
                         command == "alerts.ack";
    if (caller.remote && !roleAllows(caller.role, command)) {
      answer = failure(caller.subject + " has the role '" + caller.role + "', which may not use " + command);
    } else if (changes && !caller.remote && !mayChange(caller)) {
      answer = failure("uid " + std::to_string(caller.uid) + " may not use " + command + " (needs root or group '" +
                       adminGroup_ + "')");
    } else if (command == "status") {
      answer = status(now);
    } else if (command == "policy.history") {
      json versions = json::array();
      for (const PolicyVersion& v : policies_.history()) versions.push_back(versionJson(v));
      answer = {{"ok", true}, {"history", versions}};
    } else if (command == "policy.plan") {
      answer = plan(req, command);
    } else if (command == "policy.push" || command == "policy.rollback") {
      answer = changePolicy(command, req, caller, now);
    } else if (command == "devices") {
      if (req.contains("evidence") && !req["evidence"].is_boolean()) {
        answer = failure("'evidence' must be true or false, not " + kindOf(req["evidence"]));
      } else {
        answer = devices(req.value("evidence", false));
      }
    } else if (command == "devices.show" || command == "devices.forget") {
      auto mac = requiredString(req, "mac", command);
      if (!mac) answer = failure(mac.error().message);
      else answer = command == "devices.show" ? showDevice(*mac) : forgetDevice(*mac);
    } else if (command == "alerts") {
      answer = alerts(req);
    } else if (command == "alerts.ack") {
      auto id = requiredString(req, "id", command);
      if (!id) answer = failure(id.error().message);
      else answer = ackAlert(*id, caller, now);
    } else if (command == "ports") {
      answer = ports();
    } else {
      answer = failure("unknown command '" + command + "'");
    }
  }
  return answer.dump(-1, ' ', false, json::error_handler_t::replace);
}

json ApiHandler::status(WallTime now) const {
  auto p = policies_.current();
  json ports = json::array();
  std::vector<PortSnapshot> live = dataplane_ ? dataplane_->ports() : std::vector<PortSnapshot>{};
  if (p) {
    for (const auto& port : p->ports) {
      json zones = json::array();
      for (auto z : port.zones) zones.push_back(p->zoneName(z));
      json entry = {{"interface", port.interface},
                    {"group", port.group},
                    {"role", tables::toString(port.role)},
                    {"zones", zones},
                    {"default_zone", p->zoneName(port.defaultZone)},
                    {"mode", tables::toString(port.mode)}};
      for (const PortSnapshot& s : live) {
        if (s.interface != port.interface) continue;
        entry["up"] = s.up;
        entry["rx_frames"] = s.rxFrames;
        entry["rx_dropped"] = s.rxDropped;
        entry["tx_frames"] = s.txFrames;
        entry["learned_macs"] = s.learnedMacs;
      }
      ports.push_back(entry);
    }
  }
  const auto& h = policies_.history();
  json answer = {{"ok", true},
                 {"version", std::string(kVersion)},
                 {"policy", p ? json{{"name", p->name},
                                     {"hash", p->contentHash},
                                     {"settings_hash", p->control.settingsHash},
                                     {"mode", tables::toString(p->mode)},
                                     {"version", h.empty() ? 0 : h.back().version}}
                              : json(nullptr)},
                 {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(now - startedAt_).count()},
                 {"forwarding", dataplane_ != nullptr && dataplane_->status().forwarding},
                 {"ports", ports}};
  if (dataplane_) {
    const DataplaneStatus s = dataplane_->status();
    answer["dataplane"] = {{"forwarding", s.forwarding},      {"policy_hash", s.policyHash},
                           {"refused_hash", s.refusedHash},   {"reloads", s.reloads},
                           {"port_reopens", s.portReopens},   {"last_reload_us", s.lastReloadUs},
                           {"settings_only", s.settingsOnly}, {"error", dataplane_->lastError()}};
  }
  return answer;
}

json ApiHandler::plan(const json& req, const std::string& command) const {
  auto bundle = readBundle(req, command);
  if (!bundle) return failure(bundle.error().message);
  PlanResult plan = policies_.plan(*bundle);
  if (!plan.ok) return {{"ok", false}, {"error", "policy invalid"}, {"diagnostics", plan.diagnostics}};
  json changes = json::array();
  for (const PolicyChange& c : plan.changes) {
    changes.push_back({{"kind", kindName(c.kind)}, {"section", c.section}, {"key", c.key}});
  }
  json moves = dataplane_ ? plannedMoves(*plan.compiled, dataplane_->devices()) : json::array();
  return {{"ok", true},
          {"plan_id", plan.planId},
          {"hash", plan.compiled->contentHash},
          {"settings_hash", plan.compiled->control.settingsHash},
          {"changes", changes},
          {"moves", moves},
          {"summary", changeSummary(plan.changes)},
          {"diagnostics", plan.diagnostics}};
}

json ApiHandler::changePolicy(const std::string& command, const json& req, const api::Caller& caller, WallTime now) {
  Status changed;
  if (command == "policy.push") {
    auto bundle = readBundle(req, command);
    auto planId = optionalString(req, "plan_id");
    if (!bundle) changed = bundle.error();
    else if (!planId) changed = planId.error();
    else changed = policies_.push(*bundle, caller.uid, *planId, now, caller.subject);
  } else {
    int version = 0;  // the version before the running one
    if (req.contains("version")) {
      const json& v = req["version"];
      // Only a JSON integer: "1", 1.0 and true are a client's mistake, not a version.
      if (!v.is_number_integer()) {
        changed = Error{"'version' must be a positive integer (like 3), not " + kindOf(v)};
      } else if (v.is_number_unsigned() ? v.get<uint64_t>() < 1 || v.get<uint64_t>() > uint64_t{INT_MAX}
                                        : v.get<int64_t>() < 1 || v.get<int64_t>() > INT_MAX) {
        changed = Error{"'version' must be a positive integer (like 3), not " + v.dump() +
                        "; leave it out to return to the version before the running one"};
      } else {
        version = v.get<int>();
      }
    }
    if (changed) changed = policies_.rollback(version, caller.uid, now, caller.subject);
  }
  if (!changed) {
    if (metrics_) metrics_->policyRejected();
    std::string why = changed.error().message.substr(0, 400);
    std::replace(why.begin(), why.end(), '\n', ' ');
    rejections_.push_back(command + " by " + callerText(caller) + ": " + why);
    return failure(changed.error().message);
  }
  const PolicyVersion& installed = policies_.history().back();
  if (metrics_) metrics_->policyLoaded(installed.version, installed.hash, installed.name, installed.settingsHash);
  return {{"ok", true}, {"version", versionJson(installed)}};
}

// Live devices first (what the dataplane sees now), then those only the
// store remembers (seen before, not since this start or forgotten by the
// profiler's bound).
json ApiHandler::devices(bool withEvidence) const {
  json list = json::array();
  std::set<std::string> live;
  if (dataplane_) {
    for (const DeviceSnapshot& d : dataplane_->devices()) {
      live.insert(d.evidence.mac.toString());
      list.push_back(deviceToJson(d, withEvidence));
    }
  }
  if (store_) {
    auto stored = store_->devices();
    if (!stored) return failure("cannot read the device table: " + stored.error().message);
    for (const store::DeviceRecord& r : *stored) {
      if (!live.count(r.mac)) list.push_back(deviceToJson(r, withEvidence));
    }
  }
  return {{"ok", true}, {"devices", list}};
}

json ApiHandler::showDevice(const std::string& text) const {
  auto mac = tables::MacAddress::parse(text);
  if (!mac) return failure("'" + text + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
  json device;
  if (dataplane_) {
    for (const DeviceSnapshot& d : dataplane_->devices()) {
      if (d.evidence.mac == *mac) device = deviceToJson(d, true);
    }
  }
  if (device.is_null() && store_) {
    if (auto r = store_->device(mac->toString())) device = deviceToJson(*r, true);
  }
  if (device.is_null()) return failure("no device " + mac->toString() + " is known");
  addDot1x(*mac, device);
  return {{"ok", true}, {"device", device}};
}

// A device's 802.1X sessions as hostapd reports them now (per port), and
// its last authorisations from the audit trail.
void ApiHandler::addDot1x(const tables::MacAddress& mac, json& device) const {
  auto ms = [](dot1x::WallTime t) {
    return t.time_since_epoch().count() == 0
               ? int64_t{0}
               : std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  if (dot1x_) {
    json sessions = json::array();
    for (const dot1x::Session& s : dot1x_->sessions()) {
      if (s.mac != mac) continue;
      sessions.push_back({{"port", s.port},
                          {"state", dot1x::toString(s.state)},
                          {"identity", s.identity},
                          {"since_ms", ms(s.since)},
                          {"last_authenticated_ms", ms(s.lastAuthenticated)},
                          {"failures", s.failures},
                          {"end_reason", s.endReason}});
    }
    if (!sessions.empty()) device["dot1x_sessions"] = sessions;
  }
  if (store_) {
    if (auto rows = store_->dot1xSessions(mac.toString(), 10); rows && !rows->empty()) {
      json audit = json::array();
      for (const store::Dot1xSessionRecord& r : *rows) {
        audit.push_back({{"port", r.port},
                         {"identity", r.identity},
                         {"authorised_ms", r.authorisedMs},
                         {"last_authenticated_ms", r.lastAuthenticatedMs},
                         {"ended_ms", r.endedMs},
                         {"end_reason", r.endReason}});
      }
      device["dot1x_audit"] = audit;
    }
  }
}

json ApiHandler::forgetDevice(const std::string& text) {
  auto mac = tables::MacAddress::parse(text);
  if (!mac) return failure("'" + text + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
  bool known = false;
  if (dataplane_) {
    for (const DeviceSnapshot& d : dataplane_->devices()) known = known || d.evidence.mac == *mac;
  }
  if (store_) {
    auto gone = store_->forgetDevice(mac->toString());
    if (gone) known = true;
    else if (gone.error().code != store::ErrorCode::kNotFound) return failure("cannot forget: " + gone.error().message);
  }
  if (!known) return failure("no device " + mac->toString() + " is known");
  if (dataplane_) dataplane_->forget(*mac);
  return {{"ok", true}, {"forgotten", mac->toString()}};
}

json ApiHandler::alerts(const json& req) const {
  if (!store_) return failure("this portvaktd keeps no alert history");
  int limit = 50;
  if (req.contains("limit")) {
    if (!req["limit"].is_number_integer() || req["limit"].get<int64_t>() < 1 || req["limit"].get<int64_t>() > 10000) {
      return failure("'limit' must be a number from 1 to 10000");
    }
    limit = req["limit"].get<int>();
  }
  if (req.contains("unacked") && !req["unacked"].is_boolean()) {
    return failure("'unacked' must be true or false, not " + kindOf(req["unacked"]));
  }
  const bool unacked = req.contains("unacked") && req["unacked"].get<bool>();
  auto recent = store_->recentAlerts(limit, unacked);
  if (!recent) return failure("cannot read the alerts: " + recent.error().message);
  json list = json::array();
  for (const store::AlertRecord& a : *recent) {
    auto deliveries = store_->deliveries(a.id);
    list.push_back(alertJson(a, deliveries ? *deliveries : std::vector<store::DeliveryRecord>{}));
  }
  json answer = {{"ok", true}, {"alerts", list}};
  if (auto spool = store_->spoolStats()) {
    answer["spool"] = {
        {"pending", spool->pending}, {"rejected", spool->rejected}, {"oldest_pending_ms", spool->oldestPendingMs}};
  }
  return answer;
}

json ApiHandler::ackAlert(const std::string& id, const api::Caller& caller, WallTime now) {
  if (!store_) return failure("this portvaktd keeps no alert history");
  if (id.empty()) return failure("alerts.ack needs 'id'");
  if (auto acked = store_->ackAlert(id, caller.uid, now, caller.subject); !acked) {
    return failure(acked.error().code == store::ErrorCode::kNotFound ? "no alert " + id : acked.error().message);
  }
  return {{"ok", true}, {"acked", id}, {"uid", caller.uid}, {"subject", caller.subject}};
}

// The policy's ports with the switch's counters and the kernel's (libnl).
json ApiHandler::ports() const {
  auto p = policies_.current();
  if (!p) return failure("no policy is running");
  std::vector<PortSnapshot> live = dataplane_ ? dataplane_->ports() : std::vector<PortSnapshot>{};
  auto links = link::LinkManager::open();
  json list = json::array();
  for (const tables::Port& port : p->ports) {
    json zones = json::array();
    for (auto z : port.zones) zones.push_back(p->zoneName(z));
    json entry = {{"interface", port.interface},
                  {"role", tables::toString(port.role)},
                  {"zones", zones},
                  {"default_zone", p->zoneName(port.defaultZone)},
                  {"mode", tables::toString(port.mode)},
                  {"authentication", tables::toString(port.authentication)}};
    for (const PortSnapshot& s : live) {
      if (s.interface != port.interface) continue;
      entry["switch"] = {{"up", s.up},
                         {"rx_frames", s.rxFrames},
                         {"rx_dropped", s.rxDropped},
                         {"ring_dropped", s.ringDropped},
                         {"tx_frames", s.txFrames},
                         {"tx_errors", s.txErrors},
                         {"learned_macs", s.learnedMacs},
                         {"moderated", s.moderated},
                         {"rx_bytes", s.rxBytes},
                         {"tx_bytes", s.txBytes}};
    }
    if (links) {
      if (auto info = links.value()->find(port.interface)) {
        entry["link"] = {{"exists", true},           {"admin_up", info->adminUp},
                         {"carrier", info->lowerUp}, {"promiscuous", info->promiscuous},
                         {"mtu", info->mtu},         {"kind", info->kind}};
      } else {
        entry["link"] = {{"exists", false}, {"error", info.error().message}};
      }
      if (auto c = links.value()->counters(port.interface)) {
        entry["kernel"] = {{"rx_packets", c->rxPackets}, {"tx_packets", c->txPackets}, {"rx_bytes", c->rxBytes},
                           {"tx_bytes", c->txBytes},     {"rx_errors", c->rxErrors},   {"tx_errors", c->txErrors},
                           {"rx_dropped", c->rxDropped}, {"tx_dropped", c->txDropped}};
      }
    }
    list.push_back(entry);
  }
  return {{"ok", true}, {"ports", list}};
}

}  // namespace portvakt::control
