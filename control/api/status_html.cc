#include "control/api/status_html.h"

#include <map>
#include <vector>

#include "control/api/html_escape.h"
#include "control/api/https_routes.h"

namespace portvakt::api {

using nlohmann::json;

namespace {

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}"
    "header{background:#143d59;color:#fff;padding:.6em 1em;display:flex;flex-wrap:wrap;gap:1.5em;align-items:baseline}"
    "header h1{font-size:1.2em;margin:0}header a{color:#fff}header a.active{font-weight:bold;text-decoration:none}"
    "header nav{display:flex;gap:1.2em}header .who{margin-left:auto;font-size:.85em}main{padding:0 1em 2em}"
    "h2{font-size:1.1em;margin-top:1.5em}table{border-collapse:collapse;background:#fff}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top;font-size:.9em}"
    "th{background:#eef2f5}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".critical{color:#fff;background:#b00020}.warning{background:#ffd54f}.info{background:#e0e0e0}"
    ".up{color:#1b5e20}.down,.missing{color:#b00020;font-weight:bold}.note{color:#555;font-size:.85em}"
    "code{font-size:.9em}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dd{margin:0}"
    "img.graph{max-width:100%;background:#fff;border:1px solid #ccc}form{margin:0}";

std::string text(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  const json& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

int64_t number(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return j[key].get<int64_t>();
}

std::string e(const std::string& s) { return htmlEscape(s); }

std::string cell(const std::string& escaped, const char* cls = nullptr) {
  return cls ? std::string("<td class=\"") + cls + "\">" + escaped + "</td>" : "<td>" + escaped + "</td>";
}

std::string joined(const json& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const json& item : list) {
    if (!out.empty()) out += ", ";
    out += item.is_string() ? item.get<std::string>() : item.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return out;
}

// "key: value; key: value" of an evidence object, values as text.
std::string evidenceText(const json& evidence) {
  std::string out;
  if (!evidence.is_object()) return out;
  for (const auto& item : evidence.items()) {
    if (!out.empty()) out += "; ";
    out += item.key() + ": " +
           (item.value().is_string()  ? item.value().get<std::string>()
            : item.value().is_array() ? joined(item.value())
                                      : item.value().dump(-1, ' ', false, json::error_handler_t::replace));
  }
  return out;
}

std::string duration(int64_t seconds) {
  const int64_t d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60;
  std::string out;
  if (d) out += std::to_string(d) + " d ";
  if (d || h) out += std::to_string(h) + " h ";
  return out + std::to_string(m) + " min";
}

std::string page(const PageFrame& f, const std::string& heading, const std::string& content) {
  const PageText& t = *f.text;
  std::string nav;
  for (const auto& [id, href, label] :
       {std::tuple{"overview", "/status", t.navOverview}, std::tuple{"devices", "/status/devices", t.navDevices},
        std::tuple{"graph", "/status/graph", t.navGraph}}) {
    nav += std::string("<a href=\"") + href + "\"" + (f.active == id ? " class=\"active\" aria-current=\"page\"" : "") +
           ">" + e(label) + "</a>";
  }
  return std::string("<!DOCTYPE html>\n<html lang=\"") + t.lang +
         "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
         "<link rel=\"icon\" href=\"data:,\"><title>" +
         e(heading) + " \xE2\x80\x93 " + e(f.site) + "</title><style nonce=\"" + e(f.styleNonce) + "\">" + kStyle +
         "</style></head><body><header><h1>portvakt \xC2\xB7 " + e(f.site) + "</h1><nav>" + nav +
         "</nav><span class=\"who\">" + e(t.signedInAs) + " " + e(f.subject) + " (" + e(f.role) +
         ")</span></header><main><h2>" + e(heading) + "</h2>" + content + "</main></body></html>\n";
}

std::string failed(const PageText& t, const json& answer) {
  return "<p class=\"note\">" + e(t.unavailable) + ": " + e(text(answer, "error")) + "</p>";
}

std::string policySection(const PageText& t, const json& status, const json& history) {
  const json& policy = status.is_object() && status.contains("policy") ? status["policy"] : json();
  json last =
      history.is_object() && history.contains("history") && history["history"].is_array() && !history["history"].empty()
          ? history["history"].back()
          : json::object();
  const std::string mode = text(policy, "mode");
  std::string who = text(last, "subject");
  if (who.empty() && last.contains("uid")) who = "uid " + text(last, "uid");
  std::string out = "<dl id=\"policy\">";
  auto row = [&](const char* label, const std::string& escapedValue) {
    out += "<dt>" + e(label) + "</dt><dd>" + escapedValue + "</dd>";
  };
  row(t.name, e(text(policy, "name")));
  row(t.version, e(text(policy, "version")));
  row(t.hash, "<code>" + e(text(policy, "hash")) + "</code>");
  row(t.mode, "<strong>" + e(mode) + "</strong>");
  row(t.installed, e(utcTime(number(last, "time"))) + " " + e(t.by) + " " + e(who) + " (" + e(text(last, "kind")) +
                       (text(last, "source").empty() ? "" : ", " + e(text(last, "source"))) + ")");
  row(t.uptime, e(duration(number(status, "uptime_s"))));
  row(t.forwarding, e(status.is_object() && status.value("forwarding", false) ? t.yes : t.no));
  return out + "</dl>";
}

std::string portsSection(const PageText& t, const json& ports) {
  if (!ports.is_object() || !ports.value("ok", false)) return failed(t, ports);
  std::string out = "<table id=\"ports\"><tr><th>" + e(t.interface) + "</th><th>" + e(t.role) + "</th><th>" + e(t.zones) +
                    "</th><th>" + e(t.mode) + "</th><th>" + e(t.authentication) + "</th><th>" + e(t.link) + "</th><th>" +
                    e(t.framesIn) + "</th><th>" + e(t.framesOut) + "</th><th>" + e(t.dropped) + "</th><th>" +
                    e(t.errors) + "</th><th>" + e(t.macs) + "</th></tr>";
  for (const json& p : ports.value("ports", json::array())) {
    const json sw = p.value("switch", json::object());
    const json link = p.value("link", json::object());
    const json kernel = p.value("kernel", json::object());
    std::string state = t.missing, cls = "missing";
    if (link.value("exists", false)) {
      const bool up = link.value("carrier", false) && link.value("admin_up", false);
      state = up ? t.up : t.down;
      cls = up ? "up" : "down";
    } else if (sw.contains("up")) {
      state = sw.value("up", false) ? t.up : t.down;
      cls = sw.value("up", false) ? "up" : "down";
    }
    const int64_t errors = number(kernel, "rx_errors") + number(kernel, "tx_errors") + number(sw, "tx_errors");
    out += "<tr>" + cell(e(text(p, "interface"))) + cell(e(text(p, "role"))) + cell(e(joined(p.value("zones", json())))) +
           cell(e(text(p, "mode"))) + cell(e(text(p, "authentication"))) + cell(e(state), cls.c_str()) +
           cell(std::to_string(number(sw, "rx_frames")), "n") + cell(std::to_string(number(sw, "tx_frames")), "n") +
           cell(std::to_string(number(sw, "rx_dropped")), "n") + cell(std::to_string(errors), "n") +
           cell(std::to_string(number(sw, "learned_macs")), "n") + "</tr>";
  }
  return out + "</table>";
}

std::string alertsSection(const PageText& t, const json& alerts, int limit, const std::string& ackToken) {
  if (!alerts.is_object() || !alerts.value("ok", false)) return failed(t, alerts);
  const json list = alerts.value("alerts", json::array());
  if (list.empty()) return "<p id=\"alerts\">" + e(t.noAlerts) + "</p>";
  std::string out;
  if (static_cast<int>(list.size()) >= limit) {
    out += "<p class=\"note\">" + e(t.moreAlerts) + " " + std::to_string(limit) +
           " (<code>portvakt alerts --unacked</code>)</p>";
  }
  out += "<table id=\"alerts\"><tr><th>" + e(t.severity) + "</th><th>" + e(t.event) + "</th><th>" + e(t.firstSeen) +
         "</th><th>" + e(t.lastSeen) + "</th><th>" + e(t.port) + "</th><th>" + e(t.device) + "</th><th>" + e(t.count) +
         "</th><th>" + e(t.details) + "</th>" + (ackToken.empty() ? "" : "<th></th>") + "</tr>";
  for (const json& a : list) {
    std::string severity = text(a, "severity");
    const char* cls = severity == "critical" ? "critical" : severity == "warning" ? "warning" : "info";
    const std::string id = text(a, "id");
    out += "<tr data-alert=\"" + e(id) + "\">" + cell(e(severity), cls) + cell(e(text(a, "event"))) +
           cell(e(utcTime(number(a, "time_ms") / 1000))) + cell(e(utcTime(number(a, "last_time_ms") / 1000))) +
           cell(e(text(a, "port"))) + cell(e(text(a, "device"))) + cell(std::to_string(number(a, "count")), "n") +
           cell(e(evidenceText(a.value("evidence", json::object()))));
    if (!ackToken.empty()) {
      out += "<td><form method=\"post\" action=\"/status/alerts/" + e(percentEncode(id)) +
             "/ack\"><input type=\"hidden\" name=\"token\" value=\"" + e(ackToken) + "\"><button type=\"submit\">" +
             e(t.ack) + "</button></form></td>";
    }
    out += "</tr>";
  }
  return out + "</table>";
}

}  // namespace

std::string renderOverview(const PageFrame& frame, const json& status, const json& history, const json& ports,
                           const json& alerts, int openAlertLimit, const std::string& ackToken) {
  const PageText& t = *frame.text;
  return page(frame, t.navOverview,
              policySection(t, status, history) + "<h2>" + e(t.ports) + "</h2>" + portsSection(t, ports) + "<h2>" +
                  e(t.openAlerts) + "</h2>" + alertsSection(t, alerts, openAlertLimit, ackToken));
}

std::string renderDevices(const PageFrame& frame, const json& devices) {
  const PageText& t = *frame.text;
  if (!devices.is_object() || !devices.value("ok", false)) return page(frame, t.devicesByZone, failed(t, devices));
  std::map<std::string, std::vector<const json*>> byZone;
  const json& list = devices.contains("devices") && devices["devices"].is_array() ? devices["devices"] : json::array();
  for (const json& d : list) byZone[text(d, "zone")].push_back(&d);
  if (byZone.empty()) return page(frame, t.devicesByZone, "<p id=\"devices\">" + e(t.noDevices) + "</p>");
  std::string out;
  for (const auto& [zone, members] : byZone) {
    out += "<h3>" + e(zone.empty() ? t.noZone : zone) + " (" + std::to_string(members.size()) +
           ")</h3><table class=\"devices\" data-zone=\"" + e(zone) + "\"><tr><th>" + e(t.mac) + "</th><th>" + e(t.port) +
           "</th><th>" + e(t.deviceClass) + "</th><th>" + e(t.hostName) + "</th><th>" + e(t.identity) + "</th><th>" +
           e(t.evidence) + "</th><th>" + e(t.lastSeen) + "</th></tr>";
    for (const json* d : members) {
      const json evidence = d->value("evidence", json::object());
      std::string hostName = text(evidence, "dhcp.hostname");
      std::string identity = d->contains("dot1x") ? text((*d)["dot1x"], "identity") : "";
      std::vector<std::string> flags;
      if (d->value("pinned", false)) flags.push_back(t.pinned);
      if (d->value("inventoried", false)) flags.push_back(t.inventoried);
      if (!text(*d, "spoof_suspect").empty())
        flags.push_back(t.spoofSuspect + std::string(": ") + text(*d, "spoof_suspect"));
      if (!d->value("live", true)) flags.push_back(t.remembered);
      std::string classText = e(text(*d, "class"));
      const std::string confidence = text(*d, "confidence");
      if (!confidence.empty()) classText += " <span class=\"note\">(" + e(confidence) + ")</span>";
      for (const std::string& flag : flags) classText += "<br><span class=\"note\">" + e(flag) + "</span>";
      out += "<tr>" + cell("<code>" + e(text(*d, "mac")) + "</code>") + cell(e(text(*d, "port"))) + cell(classText) +
             cell(e(hostName)) + cell(e(identity)) + cell(e(evidenceText(evidence))) +
             cell(e(utcTime(number(*d, "last_seen")))) + "</tr>";
    }
    out += "</table>";
  }
  return page(frame, t.devicesByZone, out);
}

std::string renderGraph(const PageFrame& frame, const std::string& graphSvgPath, const std::string& graphError) {
  const PageText& t = *frame.text;
  if (!graphError.empty()) return page(frame, t.graph, "<p>" + e(t.graphMissing) + " " + e(graphError) + "</p>");
  return page(frame, t.graph,
              "<p><img class=\"graph\" src=\"" + e(graphSvgPath) + "\" alt=\"" + e(t.graphAlt) + "\"></p>");
}

std::string renderMessage(const PageFrame& frame, const std::string& heading, const std::string& message) {
  return page(frame, heading,
              "<p id=\"message\">" + e(message) + "</p><p><a href=\"/status\">" + e(frame.text->back) + "</a></p>");
}

}  // namespace portvakt::api
