#pragma once
// The status page's HTML, rendered from the management API's own answers
// (status, policy.history, ports, devices, alerts: the JSON the Unix socket
// and the HTTPS API give), so the page shows exactly what the API says.
// Plain HTML and one stylesheet, no script: reading needs no JavaScript, and
// acknowledging an alert is an HTML form. Every value that comes from the
// answers is escaped (html_escape.h): device host names, vendor strings and
// alert evidence are chosen by whatever is plugged into a wall jack.
// Pure functions: no I/O, any thread.

#include <string>

#include <nlohmann/json.hpp>

#include "control/api/page_text.h"

namespace portvakt::api {

// What every page shows around its content.
struct PageFrame {
  const PageText* text = nullptr;
  std::string site;        // the running policy's name
  std::string subject;     // the client certificate's subject
  std::string role;        // its role
  std::string styleNonce;  // the nonce the Content-Security-Policy allows the <style> with
  std::string active;      // which navigation entry is this page: "overview", "devices", "graph"
};

// The overview: the running policy (version, mode, when and by whom it was
// installed), the ports with link state and counters, and the open alerts.
// `ackToken` non-empty: each alert gets an acknowledge button (a form POST
// carrying the token, status_page.h says why).
std::string renderOverview(const PageFrame& frame, const nlohmann::json& status, const nlohmann::json& history,
                           const nlohmann::json& ports, const nlohmann::json& alerts, int openAlertLimit,
                           const std::string& ackToken);

// The devices, grouped by zone, with class, evidence and 802.1X identity.
std::string renderDevices(const PageFrame& frame, const nlohmann::json& devices);

// The segmentation graph (an <img> of graphSvgPath), or why it is missing.
std::string renderGraph(const PageFrame& frame, const std::string& graphSvgPath, const std::string& graphError);

// A short page with a heading, a message and a link back (errors, refusals).
std::string renderMessage(const PageFrame& frame, const std::string& heading, const std::string& message);

}  // namespace portvakt::api
