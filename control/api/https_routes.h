#pragma once
// The HTTPS management API's routes: which method and path is which command
// of the management API (control/daemon/api_handler.h). The one table both
// sides use: the server (https_server.cc) to turn a route into the same JSON
// request the Unix socket carries, the CLI (cli/daemon_client.cc) to turn a
// request back into a route, and the test that holds docs/api/openapi.yaml to
// the server.
//
// A route's path may hold parameters, written {name}: their values become the
// request's field `name` (a MAC address, an alert id). GET routes take their
// optional fields from the query string; POST routes from a JSON object body.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "control/api/api_result.h"

namespace portvakt::api {

struct HttpsRoute {
  std::string method;   // "GET", "POST", "DELETE"
  std::string path;     // "/api/v1/devices/{mac}"
  std::string command;  // "devices.show"; "" for /metrics (not a handler command)
  // Query parameters a GET route takes, with their JSON type ("integer", "boolean").
  std::vector<std::pair<std::string, std::string>> query;
  bool body = false;  // takes a JSON object body (POST)
};

inline constexpr const char* kApiPrefix = "/api/v1";
inline constexpr const char* kMetricsPath = "/metrics";

const std::vector<HttpsRoute>& httpsRoutes();

// The route whose method and path match, with the path's parameters; nullptr
// when none does.
const HttpsRoute* matchRoute(const std::string& method, const std::string& path,
                             std::map<std::string, std::string>& params);
// Whether any route has this path (with another method: 405, not 404).
bool pathKnown(const std::string& path);

// The route, path (parameters filled in and percent-encoded), query string
// and body for a management API request {"command": ..., fields...}, or an
// error when the command has no route or a path parameter is missing.
struct HttpsCall {
  std::string method;
  std::string target;  // path and query
  std::string body;    // JSON, empty for GET and DELETE
};
Result<HttpsCall> routeRequest(const nlohmann::json& request);

std::string percentEncode(const std::string& text);

}  // namespace portvakt::api
