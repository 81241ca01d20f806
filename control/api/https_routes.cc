#include "control/api/https_routes.h"

#include <cctype>
#include <cstdio>

namespace portvakt::api {

namespace {

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool matchPath(const std::string& pattern, const std::string& path, std::map<std::string, std::string>* params) {
  if (path.empty() || path[0] != '/') return false;
  auto want = segments(pattern);
  auto have = segments(path);
  if (want.size() != have.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    const std::string& w = want[i];
    if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
      if (have[i].empty()) return false;
      if (params) (*params)[w.substr(1, w.size() - 2)] = have[i];
    } else if (w != have[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

const std::vector<HttpsRoute>& httpsRoutes() {
  static const std::vector<HttpsRoute> kRoutes = {
      {"GET", "/api/v1/status", "status", {}, false},
      {"GET", "/api/v1/policy/history", "policy.history", {}, false},
      {"POST", "/api/v1/policy/plan", "policy.plan", {}, true},
      {"POST", "/api/v1/policy/push", "policy.push", {}, true},
      {"POST", "/api/v1/policy/rollback", "policy.rollback", {}, true},
      {"GET", "/api/v1/devices", "devices", {{"evidence", "boolean"}}, false},
      {"GET", "/api/v1/devices/{mac}", "devices.show", {}, false},
      {"DELETE", "/api/v1/devices/{mac}", "devices.forget", {}, false},
      {"GET", "/api/v1/alerts", "alerts", {{"limit", "integer"}, {"unacked", "boolean"}}, false},
      {"POST", "/api/v1/alerts/{id}/ack", "alerts.ack", {}, true},
      {"GET", "/api/v1/ports", "ports", {}, false},
      {"GET", "/metrics", "", {}, false},
  };
  return kRoutes;
}

const HttpsRoute* matchRoute(const std::string& method, const std::string& path,
                             std::map<std::string, std::string>& params) {
  for (const HttpsRoute& r : httpsRoutes()) {
    params.clear();
    if (r.method == method && matchPath(r.path, path, &params)) return &r;
  }
  params.clear();
  return nullptr;
}

bool pathKnown(const std::string& path) {
  for (const HttpsRoute& r : httpsRoutes()) {
    if (matchPath(r.path, path, nullptr)) return true;
  }
  return false;
}

std::string percentEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

Result<HttpsCall> routeRequest(const nlohmann::json& request) {
  HttpsCall out;
  if (!request.is_object() || !request.contains("command") || !request["command"].is_string()) {
    return Error{"the request has no command"};
  }
  const std::string command = request["command"].get<std::string>();
  const HttpsRoute* route = nullptr;
  for (const HttpsRoute& r : httpsRoutes()) {
    if (r.command == command) route = &r;
  }
  if (!route) return Error{"the HTTPS API has no route for '" + command + "'"};
  nlohmann::json fields = request;
  fields.erase("command");
  fields.erase("api");
  std::string target;
  for (const std::string& seg : segments(route->path)) {
    target += "/";
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      const std::string name = seg.substr(1, seg.size() - 2);
      if (!fields.contains(name) || !fields[name].is_string()) return Error{command + " needs '" + name + "'"};
      target += percentEncode(fields[name].get<std::string>());
      fields.erase(name);
    } else {
      target += seg;
    }
  }
  out.method = route->method;
  out.body.clear();
  if (route->body) {
    out.body = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    std::string query;
    for (const auto& [name, type] : route->query) {
      if (!fields.contains(name)) continue;
      query += (query.empty() ? "?" : "&") + name + "=" + percentEncode(fields[name].dump());
      fields.erase(name);
    }
    target += query;
    if (!fields.empty()) return Error{command + " over HTTPS takes no field '" + fields.begin().key() + "'"};
  }
  out.target = target;
  return out;
}

}  // namespace portvakt::api
