// The management API refuses malformed, unknown and unauthorised requests with
// a clear error and changes nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "control/api/unix_socket.h"
#include "control/daemon/api_handler.h"
#include "control/store/store.h"
#include "tests/control/store/with_store.h"
#include "tests/control/daemon/status_text.h"

namespace portvakt::control {
namespace {

using nlohmann::json;

// What the CLI sends for `portvakt policy plan|push FILE`: the files, read here.
policy::PolicyBundle bundleOf(const std::string& path) {
  policy::BundleRead read = policy::readPolicyBundle(path);
  EXPECT_TRUE(read.bundle) << read.diagnostics.format();
  return read.bundle ? *read.bundle : policy::PolicyBundle{};
}

json bundleJson(const policy::PolicyBundle& bundle) {
  json files = json::array();
  for (const policy::SourceText& f : bundle.files) files.push_back({{"path", f.path}, {"text", f.text}});
  return {{"site", bundle.site}, {"files", files}};
}

json bundleJson(const std::string& path) { return bundleJson(bundleOf(path)); }

json request(const std::string& command, const std::string& path) {
  return {{"api", 1}, {"command", command}, {"bundle", bundleJson(path)}};
}

class ApiHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(errorOf(policies_.push(bundleOf("examples/vardcentral-karlstad.yaml"), 0, "", fromUnixSeconds(1000))));
  }
  json call(const std::string& request, uid_t uid = 0) {
    return json::parse(handler_.handle(request, api::Caller{uid, uid, 1, false, {}, {}}, fromUnixSeconds(2000)));
  }
  json call(const char* request, uid_t uid = 0) { return call(std::string(request), uid); }
  json call(const json& request, uid_t uid = 0) { return call(request.dump(), uid); }
  PolicyManager policies_;
  ApiHandler handler_{policies_, "portvakt-test-group-that-does-not-exist", fromUnixSeconds(1000)};
};

TEST_F(ApiHandlerTest, MalformedRequestsGetClearErrors) {
  for (const char* junk : {"", "not json", "[1,2]", "{\"api\":1}", "{\"command\":\"status\"}",
                           "{\"api\":2,\"command\":\"status\"}", "{\"api\":1,\"command\":7}", "\xff\xfe{"}) {
    json answer = call(junk);
    EXPECT_FALSE(answer["ok"].get<bool>()) << junk;
    EXPECT_FALSE(answer["error"].get<std::string>().empty()) << junk;
  }
  EXPECT_EQ(call(R"({"api":1,"command":"reboot"})")["error"], "unknown command 'reboot'");
  EXPECT_EQ(policies_.history().size(), 1u);
}

// Requirements: R9
TEST_F(ApiHandlerTest, StatusAndHistory) {
  json status = call(R"({"api":1,"command":"status"})");
  ASSERT_TRUE(status["ok"].get<bool>());
  EXPECT_EQ(status["policy"]["name"], "vardcentral-karlstad");
  EXPECT_EQ(status["uptime_s"], 1000);
  EXPECT_EQ(status["version"], PORTVAKT_VERSION);  // the build's project(VERSION)
  EXPECT_EQ(status["ports"].size(), 16u);
  json history = call(R"({"api":1,"command":"policy.history"})");
  ASSERT_EQ(history["history"].size(), 1u);
  EXPECT_EQ(history["history"][0]["version"], 1);
}

// Requirements: R9
TEST_F(ApiHandlerTest, UnprivilegedCallersCannotChangeThePolicy) {
  auto before = policies_.current();
  json answer = call(request("policy.push", "examples/fysioterapi-arvika.yaml"), 65534);
  EXPECT_FALSE(answer["ok"].get<bool>());
  EXPECT_NE(answer["error"].get<std::string>().find("may not use policy.push"), std::string::npos);
  EXPECT_EQ(policies_.current(), before);
  json rollback = call(R"({"api":1,"command":"policy.rollback"})", 65534);
  EXPECT_FALSE(rollback["ok"].get<bool>());
}

TEST_F(ApiHandlerTest, InvalidPushLeavesTheRunningPolicy) {
  auto before = policies_.current();
  json answer = call(request("policy.push", "tests/policy/invalid/duplicate-vlan.yaml"));
  EXPECT_FALSE(answer["ok"].get<bool>());
  EXPECT_NE(answer["error"].get<std::string>().find("error[duplicate-vlan]"), std::string::npos) << answer.dump();
  EXPECT_EQ(policies_.current(), before);
  EXPECT_EQ(policies_.history().size(), 1u);
}

// Requirements: R9
TEST_F(ApiHandlerTest, PushAndRollbackSwapTheWholePolicy) {
  json plan = call(request("policy.plan", "examples/fysioterapi-arvika.yaml"));
  ASSERT_TRUE(plan["ok"].get<bool>());
  json pushRequest = request("policy.push", "examples/fysioterapi-arvika.yaml");
  pushRequest["plan_id"] = plan["plan_id"];
  json push = call(pushRequest);
  ASSERT_TRUE(push["ok"].get<bool>()) << push.dump();
  EXPECT_EQ(policies_.current()->name, "fysioterapi-arvika");
  EXPECT_EQ(push["version"]["hash"], plan["hash"]);
  json back = call(R"({"api":1,"command":"policy.rollback","version":1})");
  ASSERT_TRUE(back["ok"].get<bool>());
  EXPECT_EQ(policies_.current()->name, "vardcentral-karlstad");
  EXPECT_EQ(policies_.history().back().version, 3);
  EXPECT_FALSE(call(R"({"api":1,"command":"policy.rollback","version":42})")["ok"].get<bool>());
  // The history names the site file as the client did: a label, not a path portvaktd opened.
  json history = call(R"({"api":1,"command":"policy.history"})");
  EXPECT_EQ(history["history"][1]["source"], "examples/fysioterapi-arvika.yaml");
}

// Old clients sent a path that the daemon (root) opened: /etc/shadow came back
// in the diagnostics. A path is refused now, without opening it.
TEST_F(ApiHandlerTest, APathIsRefusedNotOpened) {
  for (const char* command : {"policy.plan", "policy.push"}) {
    json answer = call(json{{"api", 1}, {"command", command}, {"path", "/etc/shadow"}});
    EXPECT_FALSE(answer["ok"].get<bool>());
    EXPECT_EQ(answer["error"], std::string(command) +
                                   ": 'path' is refused: portvaktd does not open files for its clients; send the "
                                   "policy itself as 'bundle' (the portvakt CLI does since this version; upgrade it)");
    EXPECT_FALSE(answer.contains("diagnostics"));
    // Also next to a bundle: the daemon never decides to open it.
    json both = request(command, "examples/fysioterapi-arvika.yaml");
    both["path"] = "/etc/shadow";
    EXPECT_FALSE(call(both)["ok"].get<bool>());
  }
  EXPECT_EQ(policies_.history().size(), 1u);
}

// A shadow-like file sent as the site file (what a client could have made the
// old daemon read): the answer quotes none of its lines.
TEST_F(ApiHandlerTest, DiagnosticsQuoteAtMostOneLineOfAFile) {
  std::string secret;
  for (int i = 0; i < 40; ++i) {
    secret += "user" + std::to_string(i) + ":$y$j9T$Secret" + std::to_string(i * 7919) + "$Hash0123:19700:0:99999:7:::\n";
  }
  auto countQuoted = [&](const std::string& answer) {
    int found = 0;
    for (int i = 0; i < 40; ++i)
      found += answer.find("user" + std::to_string(i) + ":$y$j9T$Secret" + std::to_string(i * 7919)) != std::string::npos;
    return found;
  };
  const std::vector<json> bundles = {
      {{"site", "/etc/shadow"}, {"files", {{{"path", "/etc/shadow"}, {"text", secret}}}}},
      {{"site", "s.yaml"},
       {"files",
        {{{"path", "s.yaml"}, {"text", "portvakt: 1\nname: s\nextends: shadow\n"}},
         {{"path", "shadow"}, {"text", secret}}}}},
      {{"site", "s.yaml"},
       {"files",
        {{{"path", "s.yaml"}, {"text", "portvakt: 1\nname: s\ninventory:\n  csv: shadow\n"}},
         {{"path", "shadow"}, {"text", secret}}}}},
      {{"site", "s.yaml"}, {"files", {{{"path", "s.yaml"}, {"text", "portvakt: 1\nname: s\nmode: " + secret}}}}}};
  for (const json& bundle : bundles) {
    for (const char* command : {"policy.plan", "policy.push"}) {
      const std::string answer = handler_.handle(json{{"api", 1}, {"command", command}, {"bundle", bundle}}.dump(),
                                                 api::Caller{0, 0, 1, false, {}, {}}, fromUnixSeconds(2000));
      EXPECT_FALSE(json::parse(answer)["ok"].get<bool>()) << answer;
      EXPECT_LE(countQuoted(answer), 1) << answer;
    }
  }
  EXPECT_EQ(policies_.history().size(), 1u);
}

TEST_F(ApiHandlerTest, BundlesAreCheckedFieldByField) {
  const json good = bundleJson("examples/fysioterapi-arvika.yaml");
  auto withBundle = [](json bundle) { return json{{"api", 1}, {"command", "policy.plan"}, {"bundle", bundle}}; };
  auto errorOf = [&](const json& req) {
    json answer = call(req);
    EXPECT_FALSE(answer["ok"].get<bool>()) << req.dump().substr(0, 200);
    return answer.value("error", std::string());
  };
  EXPECT_NE(errorOf({{"api", 1}, {"command", "policy.plan"}}).find("policy.plan needs 'bundle'"), std::string::npos);
  EXPECT_EQ(errorOf(withBundle("examples/fysioterapi-arvika.yaml")), "'bundle' must be an object, not a string");
  json b = good;
  b.erase("site");
  EXPECT_EQ(errorOf(withBundle(b)), "'bundle.site' is missing (the site file's name among bundle.files)");
  b = good;
  b["site"] = 7;
  EXPECT_EQ(errorOf(withBundle(b)), "'bundle.site' must be a string, not an integer");
  b = good;
  b["site"] = "elsewhere.yaml";
  EXPECT_EQ(errorOf(withBundle(b)), "'bundle.site' names elsewhere.yaml, which is not among bundle.files");
  b = good;
  b["files"] = json::object();
  EXPECT_EQ(errorOf(withBundle(b)), "'bundle.files' must be a list, not an object");
  b["files"] = json::array();
  EXPECT_EQ(errorOf(withBundle(b)), "'bundle.files' is empty");
  b = good;
  b["files"][0] = "text";
  EXPECT_EQ(errorOf(withBundle(b)), "'bundle.files[0]' must be an object {\"path\", \"text\"}, not a string");
  b = good;
  b["files"][1]["text"] = 1.5;
  EXPECT_EQ(errorOf(withBundle(b)), "'bundle.files[1].text' must be a string, not a number with a fraction");
  b = good;
  b["files"][1].erase("path");
  EXPECT_EQ(errorOf(withBundle(b)), "'bundle.files[1].path' is missing");
  b = good;
  b["files"][1]["path"] = "evil\nversion 9";
  EXPECT_EQ(errorOf(withBundle(b)),
            "'bundle.files[1].path' must be a file name of 1 to 4096 bytes without control characters");
  b = good;
  b["site"] = std::string(5000, 'a');
  EXPECT_EQ(errorOf(withBundle(b)), "'bundle.site' must be a file name of 1 to 4096 bytes without control characters");
  b = good;
  b["files"].push_back(b["files"][0]);
  EXPECT_NE(errorOf(withBundle(b)).find("a second time"), std::string::npos);
  b = good;
  for (int i = 0; i < 20; ++i) b["files"].push_back({{"path", "extra" + std::to_string(i)}, {"text", ""}});
  EXPECT_NE(errorOf(withBundle(b)).find(" files; a bundle holds at most 16"), std::string::npos)
      << errorOf(withBundle(b));
  b = good;
  b["files"].push_back({{"path", "big.csv"}, {"text", std::string(api::kMaxRequestBytes, 'x')}});
  EXPECT_NE(errorOf(withBundle(b)).find("portvaktd accepts at most 1048576 bytes (1 MiB) per request"),
            std::string::npos);
  json push = request("policy.push", "examples/fysioterapi-arvika.yaml");
  push["plan_id"] = 1234;
  EXPECT_EQ(errorOf(push), "'plan_id' must be a string, not an integer");
  EXPECT_EQ(policies_.history().size(), 1u);
  // The same bundle, well-formed, is fine.
  EXPECT_TRUE(call(withBundle(good))["ok"].get<bool>());
}

TEST_F(ApiHandlerTest, RollbackVersionMustBeAPositiveInteger) {
  ASSERT_TRUE(call(request("policy.push", "examples/fysioterapi-arvika.yaml"))["ok"].get<bool>());
  auto before = policies_.current();
  for (const char* version : {R"("1")", "1.0", "-1", "0", "true", "{}", "[1]", "null", "4294967297", "1e3"}) {
    json answer = call(std::string(R"({"api":1,"command":"policy.rollback","version":)") + version + "}");
    EXPECT_FALSE(answer["ok"].get<bool>()) << version;
    EXPECT_EQ(answer.value("error", std::string()).rfind("'version' must be a positive integer (like 3), not ", 0), 0u)
        << version << ": " << answer.dump();
  }
  EXPECT_EQ(policies_.current(), before);
  EXPECT_EQ(policies_.history().size(), 2u);
  json back = call(R"({"api":1,"command":"policy.rollback","version":1})");
  ASSERT_TRUE(back["ok"].get<bool>()) << back.dump();
  EXPECT_EQ(policies_.current()->name, "vardcentral-karlstad");
}

TEST_F(ApiHandlerTest, StringFieldsMustBeStrings) {
  EXPECT_EQ(call(R"({"api":1,"command":"devices.show","mac":7})")["error"], "'mac' must be a string, not an integer");
  EXPECT_EQ(call(R"({"api":1,"command":"devices.show"})")["error"], "devices.show needs 'mac'");
  EXPECT_EQ(call(R"({"api":1,"command":"devices.forget","mac":["a"]})")["error"], "'mac' must be a string, not a list");
  EXPECT_EQ(call(R"({"api":1,"command":"alerts.ack","id":1})")["error"], "'id' must be a string, not an integer");
}

TEST(UnixSocket, OversizedRequestIsRefusedAndTheServerLivesOn) {
  std::string path =
      (std::filesystem::temp_directory_path() / ("pv-api-" + std::to_string(::getpid()) + ".sock")).string();
  api::UnixSocketServer server;
  ASSERT_TRUE(api::UnixSocketServer::listen(path, "no-such-group", server));
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    while (!stop)
      server.serveOnce(
          [](const std::string& r, const api::Caller& c) {
            return json{{"ok", true}, {"len", r.size()}, {"uid", c.uid}}.dump();
          },
          std::chrono::milliseconds(50));
  });
  auto big = api::callDaemon(path, std::string(2u << 20, 'x'));
  auto small = api::callDaemon(path, "hello");
  stop = true;
  loop.join();
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_NE(big->find("larger than 1 MiB"), std::string::npos);
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ(json::parse(*small)["uid"], ::getuid());  // SO_PEERCRED, not anything the client said
}

// devices, alerts and ports against a real SQLite store (no dataplane: what the
// store remembers).
class ApiHandlerStoreTest : public testing::WithStore {
 protected:
  void SetUp() override {
    WithStore::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_FALSE(errorOf(policies_.push(bundleOf("examples/vardcentral-karlstad.yaml"), 0, "", fromUnixSeconds(1000))));
    handler_ = std::make_unique<ApiHandler>(policies_, "portvakt-test-group-that-does-not-exist", fromUnixSeconds(1000),
                                            nullptr, nullptr, store_.get());
    store::DeviceRecord eklient;
    eklient.mac = "3c:52:82:1a:2b:3c";
    eklient.port = "eth3";
    eklient.deviceClass = "eklient";
    eklient.zone = "region";
    eklient.confidence = 1;
    eklient.evidenceJson = R"({"dhcp.vendor_class":"MSFT 5.0"})";
    eklient.firstSeen = 100;
    eklient.lastSeen = 200;
    ASSERT_TRUE(store_->upsertDevice(eklient));
    store::AlertRecord alert;
    alert.id = "a-1";
    alert.timeMs = alert.lastTimeMs = 150000;
    alert.event = "rogue_dhcp";
    alert.severity = "critical";
    alert.port = "eth5";
    alert.device = "02:00:00:00:00:01";
    ASSERT_TRUE(store_->spoolAlert(alert, {"servicedesk"}, store::atUnixMs(0)));
  }
  json call(const json& request, uid_t uid = 0) {
    json r = request;
    r["api"] = 1;
    return json::parse(handler_->handle(r.dump(), api::Caller{uid, uid, 1, false, {}, {}}, fromUnixSeconds(2000)));
  }
  PolicyManager policies_;
  std::unique_ptr<ApiHandler> handler_;
};

TEST_F(ApiHandlerStoreTest, DevicesListShowAndForget) {
  json list = call({{"command", "devices"}});
  ASSERT_TRUE(list["ok"].get<bool>()) << list.dump();
  ASSERT_EQ(list["devices"].size(), 1u);
  EXPECT_EQ(list["devices"][0]["mac"], "3c:52:82:1a:2b:3c");
  EXPECT_EQ(list["devices"][0]["zone"], "region");
  EXPECT_EQ(list["devices"][0]["live"], false);
  json shown = call({{"command", "devices.show"}, {"mac", "3C-52-82-1A-2B-3C"}});
  ASSERT_TRUE(shown["ok"].get<bool>()) << shown.dump();
  EXPECT_EQ(shown["device"]["evidence"]["dhcp.vendor_class"], "MSFT 5.0");
  EXPECT_EQ(call({{"command", "devices.show"}, {"mac", "nonsense"}})["error"],
            "'nonsense' is not a MAC address (aa:bb:cc:dd:ee:ff)");
  EXPECT_EQ(call({{"command", "devices.show"}, {"mac", "00:11:22:33:44:55"}})["error"],
            "no device 00:11:22:33:44:55 is known");

  json refused = call({{"command", "devices.forget"}, {"mac", "3c:52:82:1a:2b:3c"}}, 65534);
  EXPECT_FALSE(refused["ok"].get<bool>());
  EXPECT_NE(refused["error"].get<std::string>().find("may not use devices.forget"), std::string::npos);
  EXPECT_TRUE(store_->device("3c:52:82:1a:2b:3c")) << "a refused request changes nothing";
  json forgot = call({{"command", "devices.forget"}, {"mac", "3c:52:82:1a:2b:3c"}});
  ASSERT_TRUE(forgot["ok"].get<bool>()) << forgot.dump();
  EXPECT_FALSE(store_->device("3c:52:82:1a:2b:3c"));
  EXPECT_FALSE(call({{"command", "devices.forget"}, {"mac", "3c:52:82:1a:2b:3c"}})["ok"].get<bool>());
  EXPECT_TRUE(call({{"command", "devices"}})["devices"].empty());
}

TEST_F(ApiHandlerStoreTest, DevicesWithEvidenceOnlyWhenAsked) {
  // The list's shape stays as it was unless evidence is asked for (the status page does).
  EXPECT_FALSE(call({{"command", "devices"}})["devices"][0].contains("evidence"));
  json list = call({{"command", "devices"}, {"evidence", true}});
  ASSERT_TRUE(list["ok"].get<bool>()) << list.dump();
  EXPECT_EQ(list["devices"][0]["evidence"]["dhcp.vendor_class"], "MSFT 5.0");
  EXPECT_EQ(call({{"command", "devices"}, {"evidence", "yes"}})["error"],
            "'evidence' must be true or false, not a string");
}

TEST_F(ApiHandlerStoreTest, AlertsListAndAck) {
  json list = call({{"command", "alerts"}});
  ASSERT_TRUE(list["ok"].get<bool>()) << list.dump();
  ASSERT_EQ(list["alerts"].size(), 1u);
  EXPECT_EQ(list["alerts"][0]["event"], "rogue_dhcp");
  EXPECT_EQ(list["alerts"][0]["deliveries"]["servicedesk"]["state"], "pending");
  EXPECT_TRUE(list["alerts"][0]["acked_by"].is_null());
  EXPECT_EQ(list["spool"]["pending"], 1);
  EXPECT_FALSE(call({{"command", "alerts"}, {"limit", 0}})["ok"].get<bool>());
  EXPECT_FALSE(call({{"command", "alerts"}, {"limit", "ten"}})["ok"].get<bool>());

  EXPECT_FALSE(call({{"command", "alerts.ack"}, {"id", "a-1"}}, 65534)["ok"].get<bool>());
  EXPECT_EQ(call({{"command", "alerts.ack"}, {"id", "no-such"}})["error"], "no alert no-such");
  EXPECT_EQ(call({{"command", "alerts.ack"}})["error"], "alerts.ack needs 'id'");
  ASSERT_TRUE(call({{"command", "alerts.ack"}, {"id", "a-1"}})["ok"].get<bool>());
  json acked = call({{"command", "alerts"}});
  EXPECT_EQ(acked["alerts"][0]["acked_by"], 0);
  EXPECT_EQ(acked["alerts"][0]["acked_at_ms"], 2000000);
  EXPECT_TRUE(call({{"command", "alerts"}, {"unacked", true}})["alerts"].empty());
  EXPECT_EQ(call({{"command", "alerts"}, {"unacked", "yes"}})["error"], "'unacked' must be true or false, not a string");
}

TEST_F(ApiHandlerStoreTest, PortsListsEveryPolicyPort) {
  json ports = call({{"command", "ports"}});
  ASSERT_TRUE(ports["ok"].get<bool>()) << ports.dump();
  ASSERT_EQ(ports["ports"].size(), 16u);
  EXPECT_EQ(ports["ports"][0]["interface"], "eth0");
  EXPECT_FALSE(ports["ports"][0].contains("switch")) << "no dataplane: no switch counters";
}

TEST_F(ApiHandlerTest, WithoutAStoreAlertsSaySo) {
  EXPECT_EQ(call(R"({"api":1,"command":"alerts"})")["error"], "this portvaktd keeps no alert history");
}

}  // namespace
}  // namespace portvakt::control
