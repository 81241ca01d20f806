// The HTTPS API's pieces that need no network: the route table against
// docs/api/openapi.yaml, a request turned into a route and back, the roles
// a certificate gets, the policy's management.roles, and the key file check.
// The server itself, with real certificates and clients, is
// tests/control/https_api.sh.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "control/api/https_routes.h"
#include "control/api/https_server.h"
#include "control/api/status_page.h"
#include "control/daemon/api_handler.h"
#include "policy/compiler/compiler.h"

namespace portvakt::api {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Requirements: R9
TEST(OpenApiDocument, ListsExactlyTheServersRoutes) {
  YAML::Node doc = YAML::LoadFile(std::string(PORTVAKT_SOURCE_DIR) + "/docs/api/openapi.yaml");
  ASSERT_EQ(doc["openapi"].as<std::string>().substr(0, 2), "3.");
  std::set<std::string> documented;
  for (auto path : doc["paths"]) {
    for (auto op : path.second) {
      const std::string method = op.first.as<std::string>();
      if (method == "parameters") continue;
      documented.insert(method + " " + path.first.as<std::string>());
      // The operation id is the command: the document says which command each route is.
      const std::string id = op.second["operationId"].as<std::string>();
      bool page = false;
      for (const PageRoute& r : StatusPage::routes()) {
        if (lower(r.method) == method && r.path == path.first.as<std::string>()) {
          EXPECT_EQ(id, r.operationId);
          page = true;
        }
      }
      if (page) continue;
      std::map<std::string, std::string> params;
      const HttpsRoute* route = nullptr;
      for (const HttpsRoute& r : httpsRoutes()) {
        if (lower(r.method) == method && r.path == path.first.as<std::string>()) route = &r;
      }
      ASSERT_NE(route, nullptr) << method << " " << path.first.as<std::string>() << " is documented but not a route";
      EXPECT_EQ(route->command.empty() ? "metrics" : route->command, id);
    }
  }
  std::set<std::string> served;
  for (const HttpsRoute& r : httpsRoutes()) served.insert(lower(r.method) + " " + r.path);
  for (const PageRoute& r : StatusPage::routes()) served.insert(lower(r.method) + " " + r.path);
  EXPECT_EQ(served, documented);
}

TEST(HttpsRoutes, RequestToRouteAndBack) {
  auto routed = routeRequest({{"api", 1}, {"command", "devices.show"}, {"mac", "a4:83:e7:00:20:01"}});
  ASSERT_TRUE(routed) << routed.error().message;
  HttpsCall call = *routed;
  EXPECT_EQ(call.method, "GET");
  EXPECT_EQ(call.target, "/api/v1/devices/a4:83:e7:00:20:01");
  std::map<std::string, std::string> params;
  const HttpsRoute* r = matchRoute("GET", call.target, params);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->command, "devices.show");
  EXPECT_EQ(params["mac"], "a4:83:e7:00:20:01");

  ASSERT_TRUE(routed = routeRequest({{"command", "alerts"}, {"limit", 5}, {"unacked", true}}));
  call = *routed;
  EXPECT_EQ(call.target, "/api/v1/alerts?limit=5&unacked=true");
  ASSERT_TRUE(routed = routeRequest({{"command", "alerts.ack"}, {"id", "a/b c"}}));
  call = *routed;
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.target, "/api/v1/alerts/a%2Fb%20c/ack");
  EXPECT_EQ(call.body, "{}");
  ASSERT_TRUE(routed = routeRequest({{"command", "policy.push"}, {"bundle", {{"site", "s"}}}, {"plan_id", "x"}}));
  call = *routed;
  EXPECT_EQ(json::parse(call.body), (json{{"bundle", {{"site", "s"}}}, {"plan_id", "x"}}));
  EXPECT_FALSE(routeRequest({{"command", "no.such"}}));
  auto noMac = routeRequest({{"command", "devices.show"}});
  ASSERT_FALSE(noMac);
  EXPECT_EQ(noMac.error().message, "devices.show needs 'mac'");

  EXPECT_EQ(matchRoute("GET", "/api/v1/devices/", params), nullptr);
  EXPECT_EQ(matchRoute("POST", "/api/v1/status", params), nullptr);
  EXPECT_TRUE(pathKnown("/api/v1/status"));
  EXPECT_FALSE(pathKnown("/api/v1/nothing"));
}

TEST(HttpsRoles, CnBeforeOuAndTheLeastPrivilegedAmongEqualMatches) {
  std::vector<tables::ManagementRole> roles = {{"CN", "eva", "engineer"},
                                               {"OU", "Network Engineering", "engineer"},
                                               {"OU", "Servicedesk", "servicedesk"},
                                               {"OU", "Monitoring", "monitor"}};
  EXPECT_EQ(HttpsServer::roleFor(roles, {"eva"}, {"Servicedesk"}), "engineer");
  EXPECT_EQ(HttpsServer::roleFor(roles, {"adam"}, {"Network Engineering"}), "engineer");
  EXPECT_EQ(HttpsServer::roleFor(roles, {"adam"}, {"Network Engineering", "Monitoring"}), "monitor");
  EXPECT_EQ(HttpsServer::roleFor(roles, {"guest"}, {"Visitors"}), "");
  EXPECT_EQ(HttpsServer::roleFor(roles, {}, {}), "");
}

TEST(HttpsRoles, WhatEachRoleMayDo) {
  using control::ApiHandler;
  for (const char* c : {"status", "policy.history", "policy.plan", "policy.push", "policy.rollback", "devices",
                        "devices.show", "devices.forget", "alerts", "alerts.ack", "ports"}) {
    EXPECT_TRUE(ApiHandler::roleAllows("engineer", c)) << c;
  }
  for (const char* c : {"status", "policy.history", "devices", "devices.show", "alerts", "alerts.ack", "ports"}) {
    EXPECT_TRUE(ApiHandler::roleAllows("servicedesk", c)) << c;
  }
  for (const char* c : {"policy.plan", "policy.push", "policy.rollback", "devices.forget"}) {
    EXPECT_FALSE(ApiHandler::roleAllows("servicedesk", c)) << c;
  }
  EXPECT_TRUE(ApiHandler::roleAllows("monitor", "status"));
  EXPECT_FALSE(ApiHandler::roleAllows("monitor", "devices"));
  EXPECT_FALSE(ApiHandler::roleAllows("monitor", "alerts.ack"));
  EXPECT_FALSE(ApiHandler::roleAllows("", "status"));
  EXPECT_FALSE(ApiHandler::roleAllows("root", "status"));
}

// A remote caller is never treated as uid 0 (root over the socket may do
// everything): its role decides.
TEST(HttpsRoles, ARemoteCallerIsNotRoot) {
  control::PolicyManager policies;
  control::ApiHandler handler(policies, "portvakt", control::fromUnixSeconds(0));
  Caller caller;
  caller.remote = true;
  caller.subject = "CN=sd,OU=Servicedesk";
  caller.role = "servicedesk";
  json answer =
      json::parse(handler.handle(R"({"api":1,"command":"policy.rollback"})", caller, control::fromUnixSeconds(1)));
  EXPECT_FALSE(answer["ok"].get<bool>());
  EXPECT_NE(answer["error"].get<std::string>().find("may not use policy.rollback"), std::string::npos) << answer;
}

policy::CompileResult compileWith(const std::string& management) {
  const std::string site =
      "portvakt: 1\nname: m\nzones:\n  quarantine: {vlan: 999, quarantine: true}\nports:\n"
      "  - {name: p, interfaces: eth0, role: access, zones: [quarantine], default_zone: quarantine}\n" +
      management;
  return policy::compilePolicySources("site.yaml", {{"site.yaml", site}});
}

TEST(PolicyManagementRoles, CompiledSortedAndInTheHash) {
  auto plain = compileWith("");
  ASSERT_TRUE(plain.ok()) << plain.diagnostics.format();
  auto with = compileWith(
      "management:\n  roles:\n    servicedesk: [\"OU=Servicedesk\"]\n    engineer: [\"OU=Network Engineering\", "
      "\"CN=eva\"]\n");
  ASSERT_TRUE(with.ok()) << with.diagnostics.format();
  ASSERT_EQ(with.policy->control.managementRoles.size(), 3u);
  EXPECT_EQ(with.policy->control.managementRoles[0].attribute, "CN");
  EXPECT_EQ(with.policy->control.managementRoles[0].role, "engineer");
  EXPECT_NE(plain.policy->control.settingsHash, with.policy->control.settingsHash);
  EXPECT_EQ(plain.policy->contentHash, with.policy->contentHash);
  EXPECT_NE(with.policy->dumpCanonical().find("management_role OU=\"Servicedesk\" role=servicedesk"), std::string::npos)
      << with.policy->dumpCanonical();
}

TEST(PolicyManagementRoles, MistakesAreNamedWithTheirPlace) {
  auto r = compileWith("management:\n  roles:\n    admin: [\"CN=x\"]\n");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.diagnostics.format().find("management role 'admin' is not defined"), std::string::npos)
      << r.diagnostics.format();
  r = compileWith("management:\n  roles:\n    engineer: [\"O=Region\"]\n");
  EXPECT_NE(r.diagnostics.format().find("site.yaml:9:16: error[bad-subject]"), std::string::npos)
      << r.diagnostics.format();
  r = compileWith("management:\n  roles:\n    engineer: [\"CN=eva\"]\n    monitor: [\"CN=eva\"]\n");
  EXPECT_NE(r.diagnostics.format().find("error[duplicate-subject]: 'CN=eva' already names a management role"),
            std::string::npos)
      << r.diagnostics.format();
  r = compileWith("management:\n  users: []\n");
  EXPECT_FALSE(r.ok());
}

TEST(HttpsKeyFile, OnlyTheDaemonsUserMayReadIt) {
  char path[] = "/tmp/portvakt-key-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ::chmod(path, 0600);
  EXPECT_TRUE(checkPrivateKeyFile(path));
  ::chmod(path, 0400);
  EXPECT_TRUE(checkPrivateKeyFile(path));
  ::chmod(path, 0640);
  auto bad = checkPrivateKeyFile(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("has mode 0640: the group or others may read it"), std::string::npos)
      << bad.error().message;
  ::chmod(path, 0604);
  EXPECT_FALSE(checkPrivateKeyFile(path));
  ::unlink(path);
  auto missing = checkPrivateKeyFile(path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot read the HTTPS key"), std::string::npos);
}

}  // namespace
}  // namespace portvakt::api
