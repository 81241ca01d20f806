#include "control/daemon/api_handler.h"

#include <grp.h>
#include <pwd.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace portvakt::control {

using nlohmann::json;

namespace {

std::string failure(const std::string& message) { return json{{"ok", false}, {"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace); }

const char* kindName(PolicyChange::Kind k) {
  switch (k) {
    case PolicyChange::Kind::kAdded: return "added";
    case PolicyChange::Kind::kRemoved: return "removed";
    case PolicyChange::Kind::kChanged: return "changed";
  }
  return "?";
}

json versionJson(const PolicyVersion& v) {
  return {{"version", v.version}, {"hash", v.hash}, {"name", v.name}, {"source", v.source},
          {"uid", v.uid},         {"time", v.unixTime}, {"summary", v.summary}, {"kind", v.kind}};
}

}  // namespace

bool ApiHandler::mayChange(const api::Caller& caller) const {
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

std::string ApiHandler::handle(const std::string& request, const api::Caller& caller, int64_t now) {
  json req = json::parse(request, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded() || !req.is_object()) return failure("malformed request: not a JSON object");
  if (!req.contains("api") || !req["api"].is_number_integer() || req["api"].get<int>() != api::kApiVersion) {
    return failure("unsupported API version (this portvaktd speaks api " + std::to_string(api::kApiVersion) + ")");
  }
  if (!req.contains("command") || !req["command"].is_string()) return failure("malformed request: no 'command'");
  const std::string command = req["command"].get<std::string>();
  auto text = [&](const char* key) -> std::string {
    return req.contains(key) && req[key].is_string() ? req[key].get<std::string>() : std::string();
  };

  if (command == "status") {
    auto p = policies_.current();
    json ports = json::array();
    std::vector<PortSnapshot> live = dataplane_ ? dataplane_->ports() : std::vector<PortSnapshot>{};
    if (p) {
      for (const auto& port : p->ports) {
        json zones = json::array();
        for (auto z : port.zones) zones.push_back(p->zoneName(z));
        json entry = {{"interface", port.interface}, {"group", port.group}, {"role", tables::toString(port.role)},
                      {"zones", zones}, {"default_zone", p->zoneName(port.defaultZone)},
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
    return json{{"ok", true},
                {"policy", p ? json{{"name", p->name}, {"hash", p->contentHash}, {"mode", tables::toString(p->mode)},
                                    {"version", h.empty() ? 0 : h.back().version}}
                             : json(nullptr)},
                {"uptime_s", now - startedAt_},
                {"forwarding", dataplane_ != nullptr},
                {"ports", ports}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (command == "policy.history") {
    json versions = json::array();
    for (const PolicyVersion& v : policies_.history()) versions.push_back(versionJson(v));
    return json{{"ok", true}, {"history", versions}}.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (command == "policy.plan") {
    std::string path = text("path");
    if (path.empty()) return failure("policy.plan needs 'path'");
    PlanResult plan = policies_.plan(path);
    if (!plan.ok) return json{{"ok", false}, {"error", "policy invalid"}, {"diagnostics", plan.diagnostics}}.dump(-1, ' ', false, json::error_handler_t::replace);
    json changes = json::array();
    for (const PolicyChange& c : plan.changes) {
      changes.push_back({{"kind", kindName(c.kind)}, {"section", c.section}, {"key", c.key}});
    }
    return json{{"ok", true}, {"plan_id", plan.planId}, {"hash", plan.compiled->contentHash},
                {"changes", changes}, {"summary", changeSummary(plan.changes)}, {"diagnostics", plan.diagnostics}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (command == "policy.push" || command == "policy.rollback") {
    if (!mayChange(caller)) {
      return failure("uid " + std::to_string(caller.uid) + " may not change the policy (needs root or group '" +
                     adminGroup_ + "')");
    }
    std::optional<std::string> error;
    if (command == "policy.push") {
      std::string path = text("path");
      if (path.empty()) return failure("policy.push needs 'path'");
      error = policies_.push(path, caller.uid, text("plan_id"), now);
    } else {
      int version = req.contains("version") && req["version"].is_number_integer() ? req["version"].get<int>() : 0;
      error = policies_.rollback(version, caller.uid, now);
    }
    if (error) {
      if (metrics_) metrics_->policyRejected();
      return failure(*error);
    }
    const PolicyVersion& installed = policies_.history().back();
    if (metrics_) metrics_->policyLoaded(installed.version, installed.hash, installed.name);
    return json{{"ok", true}, {"version", versionJson(installed)}}.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return failure("unknown command '" + command + "'");
}

}  // namespace portvakt::control
