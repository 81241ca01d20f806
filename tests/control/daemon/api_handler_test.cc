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
#include "tests/control/store/temp_dir.h"

namespace portvakt::control {
namespace {

using nlohmann::json;

class ApiHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(policies_.push("examples/vardcentral-karlstad.yaml", 0, "", 1000)); }
  json call(const std::string& request, uid_t uid = 0) {
    return json::parse(handler_.handle(request, api::Caller{uid, uid, 1}, 2000));
  }
  PolicyManager policies_;
  ApiHandler handler_{policies_, "portvakt-test-group-that-does-not-exist", 1000};
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

TEST_F(ApiHandlerTest, UnprivilegedCallersCannotChangeThePolicy) {
  auto before = policies_.current();
  json answer = call(R"({"api":1,"command":"policy.push","path":"examples/fysioterapi-arvika.yaml"})", 65534);
  EXPECT_FALSE(answer["ok"].get<bool>());
  EXPECT_NE(answer["error"].get<std::string>().find("may not use policy.push"), std::string::npos);
  EXPECT_EQ(policies_.current(), before);
  json rollback = call(R"({"api":1,"command":"policy.rollback"})", 65534);
  EXPECT_FALSE(rollback["ok"].get<bool>());
}

TEST_F(ApiHandlerTest, InvalidPushLeavesTheRunningPolicy) {
  auto before = policies_.current();
  json answer = call(R"({"api":1,"command":"policy.push","path":"tests/policy/invalid/duplicate-vlan.yaml"})");
  EXPECT_FALSE(answer["ok"].get<bool>());
  EXPECT_EQ(policies_.current(), before);
  EXPECT_EQ(policies_.history().size(), 1u);
}

TEST_F(ApiHandlerTest, PushAndRollbackSwapTheWholePolicy) {
  json plan = call(R"({"api":1,"command":"policy.plan","path":"examples/fysioterapi-arvika.yaml"})");
  ASSERT_TRUE(plan["ok"].get<bool>());
  json push = call(json{{"api", 1}, {"command", "policy.push"}, {"path", "examples/fysioterapi-arvika.yaml"},
                        {"plan_id", plan["plan_id"]}}.dump());
  ASSERT_TRUE(push["ok"].get<bool>()) << push.dump();
  EXPECT_EQ(policies_.current()->name, "fysioterapi-arvika");
  EXPECT_EQ(push["version"]["hash"], plan["hash"]);
  json back = call(R"({"api":1,"command":"policy.rollback","version":1})");
  ASSERT_TRUE(back["ok"].get<bool>());
  EXPECT_EQ(policies_.current()->name, "vardcentral-karlstad");
  EXPECT_EQ(policies_.history().back().version, 3);
  EXPECT_FALSE(call(R"({"api":1,"command":"policy.rollback","version":42})")["ok"].get<bool>());
}

TEST(UnixSocket, OversizedRequestIsRefusedAndTheServerLivesOn) {
  std::string path = (std::filesystem::temp_directory_path() / ("pv-api-" + std::to_string(::getpid()) + ".sock")).string();
  api::UnixSocketServer server;
  ASSERT_FALSE(api::UnixSocketServer::listen(path, "no-such-group", server));
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    while (!stop) server.serveOnce([](const std::string& r, const api::Caller& c) {
      return json{{"ok", true}, {"len", r.size()}, {"uid", c.uid}}.dump();
    }, 50);
  });
  std::string error;
  auto big = api::callDaemon(path, std::string(2u << 20, 'x'), error);
  auto small = api::callDaemon(path, "hello", error);
  stop = true;
  loop.join();
  ASSERT_TRUE(big) << error;
  EXPECT_NE(big->find("larger than 1 MiB"), std::string::npos);
  ASSERT_TRUE(small) << error;
  EXPECT_EQ(json::parse(*small)["uid"], ::getuid());  // SO_PEERCRED, not anything the client said
}

// devices, alerts and ports against a real SQLite store (no dataplane: what the
// store remembers).
class ApiHandlerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto opened = store::Store::open(dir_.file("portvakt.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(opened.value());
    ASSERT_FALSE(policies_.push("examples/vardcentral-karlstad.yaml", 0, "", 1000));
    handler_ = std::make_unique<ApiHandler>(policies_, "portvakt-test-group-that-does-not-exist", 1000, nullptr, nullptr,
                                            store_.get());
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
    ASSERT_TRUE(store_->spoolAlert(alert, {"servicedesk"}, 0));
  }
  json call(const json& request, uid_t uid = 0) {
    json r = request;
    r["api"] = 1;
    return json::parse(handler_->handle(r.dump(), api::Caller{uid, uid, 1}, 2000));
  }
  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
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
