#pragma once
// The status page for the service desk, served by the HTTPS server
// (https_server.h) next to the API: who may read it, which page each path is,
// where its data comes from, and the acknowledge form.
//
//   GET  /                              303 to /status
//   GET  /status                        the running policy, ports, open alerts
//   GET  /status/devices                devices by zone
//   GET  /status/graph                  the segmentation graph (an <img> of:)
//   GET  /status/graph.svg              `portvakt policy graph` of the running policy
//   POST /status/alerts/{id}/ack        the acknowledge button (a form, token=...)
//
// Reading needs a role that may read devices and alerts (servicedesk,
// engineer); the button is shown to roles that may use alerts.ack. The data
// are the API handler's own answers (status, policy.history, ports, devices,
// alerts), asked with the caller's certificate subject and role, so the page
// can show nothing the API would not. The acknowledge form is guarded
// against cross-site forgery (form_guard.h). Pages carry a
// Content-Security-Policy that allows no script at all and only the page's
// own stylesheet (by nonce): even a value that escaped escaping could not run.
// The SVG is rendered by Graphviz `dot` once per policy hash and kept.
//
// Thread-safe: serve() is called from the HTTPS workers at once.

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/api/form_guard.h"
#include "control/api/status_html.h"
#include "control/api/unix_socket.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::api {

struct PageRequest {
  std::string method, path;
  std::string acceptLanguage, host, origin, referer, fetchSite, contentType, body;
  std::string subject, role;    // from the client certificate and the policy
  std::string certFingerprint;  // SHA-256 of the client certificate (raw bytes)
};

struct PageResponse {
  int status = 200;
  std::string contentType = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string command;  // what the audit trail records: "status.page", "alerts.ack"
};

struct PageRoute {
  const char* method;
  const char* path;
  const char* operationId;  // as in docs/api/openapi.yaml
};

// Open alerts the overview lists at most (the newest).
inline constexpr int kStatusPageAlertLimit = 200;

class StatusPage {
 public:
  using Handle = std::function<std::string(const std::string& request, const Caller& caller)>;
  using Policy = std::function<tables::CompiledPolicyPtr()>;
  StatusPage(Handle handle, Policy policy) : handle_(std::move(handle)), policy_(std::move(policy)) {}

  // Whether the path is the page's ("/" or under "/status").
  static bool owns(const std::string& path);
  static const std::vector<PageRoute>& routes();

  PageResponse serve(const PageRequest& request);

 private:
  nlohmann::json call(nlohmann::json request, const PageRequest& from) const;
  PageResponse acknowledge(const PageRequest& request, const std::string& id, const PageFrame& frame);
  // The running policy's graph as SVG, or why there is none.
  Result<std::string> graphSvg();

  Handle handle_;
  Policy policy_;
  FormGuard guard_;
  std::mutex graphMutex_;
  std::string graphHash_, graphSvg_, graphError_;
};

}  // namespace portvakt::api
