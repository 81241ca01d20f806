// The daemon as portvaktd runs it, without forwarding (no ports, no root):
// it starts from a policy file, answers on its Unix socket, stops when asked,
// and restarts from the state directory with the policy last pushed.
#include "control/daemon/daemon.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "control/api/unix_socket.h"
#include "control/store/store.h"
#include "tests/control/daemon/daemon_test_policy.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::control {
namespace {

using nlohmann::json;

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    policy_.sinkPath = dir_.file("alerts.jsonl");
    std::ofstream(dir_.file("site.yaml")) << policy_.text();
    options_.policyFile = dir_.file("site.yaml");
    options_.stateDir = dir_.file("state");
    options_.socketPath = dir_.file("api.sock");
    // The test's own group may push (root may anyway).
    const group* own = ::getgrgid(::getgid());
    options_.adminGroup = own ? own->gr_name : "root";
    options_.metricsAddress = "";
    options_.forward = false;
  }

  // Runs `daemon` on a thread until `stop` is set; the future is ready when run() returned.
  std::future<void> runInBackground(Daemon& daemon) {
    return std::async(std::launch::async, [&daemon, this] { daemon.run([this] { return stop_.load(); }); });
  }

  // A daemon that does not stop would hang the test binary: end it with a message instead.
  static void awaitStop(std::future<void>& running) {
    if (running.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      std::cerr << "the daemon did not stop within 30 s of its stop flag\n";
      std::abort();
    }
    running.get();
  }

  json call(const std::string& request) {
    auto answer = api::callDaemon(options_.socketPath, request, std::chrono::seconds(10));
    EXPECT_TRUE(answer) << answer.error().message;
    return answer ? json::parse(*answer) : json::object();
  }

  testing::TempDir dir_;
  testing::DaemonTestPolicy policy_;
  DaemonOptions options_;
  std::atomic<bool> stop_{false};
};

TEST_F(DaemonTest, StartsAnswersStatusOnItsSocketAndStopsWhenAsked) {
  auto daemon = Daemon::open(options_);
  ASSERT_TRUE(daemon) << daemon.error().message;
  auto failed = (*daemon)->start();
  ASSERT_FALSE(failed) << failed->message;
  std::future<void> running = runInBackground(**daemon);

  json status = call(R"({"api":1,"command":"status"})");
  EXPECT_EQ(status["ok"], true) << status.dump();
  EXPECT_EQ(status["policy"]["name"], "daemon-test");
  EXPECT_EQ(status["policy"]["hash"], policy_.compile()->contentHash);

  stop_ = true;
  awaitStop(running);
  daemon.value().reset();  // the store closes: the history is there for the next start

  auto store = store::Store::open(options_.stateDir + "/portvakt.db");
  ASSERT_TRUE(store) << store.error().message;
  auto history = (*store)->policyHistory();
  ASSERT_TRUE(history) << history.error().message;
  ASSERT_EQ(history->size(), 1u);
}

TEST_F(DaemonTest, RestartsWithTheLastPushedPolicy) {
  {
    auto first = Daemon::open(options_);
    ASSERT_TRUE(first) << first.error().message;
  }
  options_.policyFile.reset();
  auto daemon = Daemon::open(options_);
  ASSERT_TRUE(daemon) << daemon.error().message;
  ASSERT_FALSE((*daemon)->start());
  std::future<void> running = runInBackground(**daemon);
  json status = call(R"({"api":1,"command":"status"})");
  EXPECT_EQ(status["policy"]["name"], "daemon-test");
  stop_ = true;
  awaitStop(running);
}

// The control loop announces a push: the policy_reload alert, within a few turns.
TEST_F(DaemonTest, AnnouncesAPushWithAnAlert) {
  auto daemon = Daemon::open(options_);
  ASSERT_TRUE(daemon) << daemon.error().message;
  ASSERT_FALSE((*daemon)->start());
  std::future<void> running = runInBackground(**daemon);

  testing::DaemonTestPolicy changed = policy_;
  changed.flowProto = "tcp";
  json bundle = {{"site", "daemon-test.yaml"},
                 {"files", json::array({{{"path", "daemon-test.yaml"}, {"text", changed.text()}}})}};
  json push = call(json{{"api", 1}, {"command", "policy.push"}, {"bundle", bundle}}.dump());
  EXPECT_EQ(push["ok"], true) << push.dump();
  bool announced = false;
  for (int turn = 0; turn < 100 && !announced; ++turn) {
    json alerts = call(R"({"api":1,"command":"alerts","limit":10})");
    for (const json& a : alerts["alerts"]) announced = announced || a["event"] == "policy_reload";
    if (!announced) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(announced) << "no policy_reload alert within 10 s of the push";
  stop_ = true;
  awaitStop(running);
}

TEST_F(DaemonTest, RefusesToStartWithNothingToRun) {
  options_.policyFile.reset();
  auto daemon = Daemon::open(options_);
  ASSERT_FALSE(daemon);
  EXPECT_EQ(daemon.error().kind, DaemonError::Kind::kUsage);
  EXPECT_NE(daemon.error().message.find("no --policy or --initial-policy given"), std::string::npos);
}

TEST_F(DaemonTest, RefusesAPolicyThatDoesNotCompile) {
  std::ofstream(dir_.file("site.yaml")) << "portvakt: 1\nname: broken\nzones: 7\n";
  auto daemon = Daemon::open(options_);
  ASSERT_FALSE(daemon);
  EXPECT_EQ(daemon.error().kind, DaemonError::Kind::kInvalidPolicy);
}

}  // namespace
}  // namespace portvakt::control
