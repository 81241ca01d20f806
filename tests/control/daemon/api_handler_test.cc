// The management API refuses malformed, unknown and unauthorised requests with
// a clear error and changes nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "control/api/unix_socket.h"
#include "control/daemon/api_handler.h"

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
  EXPECT_EQ(status["ports"].size(), 16u);
  json history = call(R"({"api":1,"command":"policy.history"})");
  ASSERT_EQ(history["history"].size(), 1u);
  EXPECT_EQ(history["history"][0]["version"], 1);
}

TEST_F(ApiHandlerTest, UnprivilegedCallersCannotChangeThePolicy) {
  auto before = policies_.current();
  json answer = call(R"({"api":1,"command":"policy.push","path":"examples/fysioterapi-arvika.yaml"})", 65534);
  EXPECT_FALSE(answer["ok"].get<bool>());
  EXPECT_NE(answer["error"].get<std::string>().find("may not change the policy"), std::string::npos);
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

}  // namespace
}  // namespace portvakt::control
