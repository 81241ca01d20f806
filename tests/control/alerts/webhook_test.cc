// The webhook sink and the spool against a real cpp-httplib server on
// loopback that is stopped and started: every alert arrives exactly once per
// id, across a receiver outage and a restart of the dispatcher (a new store
// connection and a new AlertService, as after a daemon restart).

#include "control/alerts/webhook_sink.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "control/alerts/alert_service.h"
#include "tests/control/alerts/test_support.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::alerts {
namespace {

using portvakt::testing::TempDir;
using portvakt::testing::waitFor;

class Receiver {
 public:
  explicit Receiver(int port) : port_(port) {}
  ~Receiver() { stop(); }

  void start() {
    server_ = std::make_unique<httplib::Server>();
    // stop() waits for open keep-alive connections to time out (5 s by default).
    server_->set_keep_alive_timeout(1);
    server_->Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++requests_;
      std::string key = req.get_header_value("Idempotency-Key");
      auto body = nlohmann::json::parse(req.body, nullptr, false);
      if (body.is_discarded() || body["event"]["id"] != key) ++mismatched_;
      res.status = status_;
      if (status_ >= 200 && status_ < 300) {
        ++received_[key];
        events_[key] = body["event"]["action"];
      }
      res.set_content("{}", "application/json");
    });
    ASSERT_TRUE(server_->bind_to_port("127.0.0.1", port_)) << "port " << port_;
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    ASSERT_TRUE(waitFor([&] { return server_->is_running(); }));
  }
  void stop() {
    if (!server_) return;
    server_->stop();
    thread_.join();
    server_.reset();
  }
  void setStatus(int s) {
    std::lock_guard lock(mu_);
    status_ = s;
  }
  std::map<std::string, int> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::map<std::string, std::string> events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int mismatched() {
    std::lock_guard lock(mu_);
    return mismatched_;
  }

 private:
  int port_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::mutex mu_;
  int status_ = 200;
  int requests_ = 0;
  int mismatched_ = 0;
  std::map<std::string, int> received_;
  std::map<std::string, std::string> events_;
};

tables::CompiledPolicy deskPolicy(int port) {
  tables::CompiledPolicy p;
  p.name = "vc-karlstad";
  tables::Sink desk;
  desk.name = "desk";
  desk.kind = tables::Sink::Kind::kWebhook;
  desk.target = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  p.control.sinks = {desk};
  p.control.alerts = {{tables::EventType::kRogueDhcp, tables::Severity::kCritical, {"desk"}},
                      {tables::EventType::kSinkFailed, tables::Severity::kWarning, {"desk"}}};
  return p;
}

AlertServiceOptions fastOptions() {
  AlertServiceOptions o;
  o.groupWait = std::chrono::milliseconds(0);
  o.dispatcher.retryBase = std::chrono::milliseconds(10);
  o.dispatcher.retryMax = std::chrono::milliseconds(80);
  o.dispatcher.idleWait = std::chrono::milliseconds(50);
  o.sinks.connectTimeoutMs = 500;
  o.sinks.requestTimeoutMs = 2000;
  return o;
}

void raiseRogue(AlertService& svc, int i) {
  char mac[32];
  std::snprintf(mac, sizeof mac, "02:00:00:00:01:%02x", i);
  auto r = svc.raise(
      Event{tables::EventType::kRogueDhcp, "eth3", 30, mac, {{"server_ip", "192.0.2." + std::to_string(i)}}, {}});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->spooled);
}

int64_t pending(store::Store& s) {
  auto st = s.spoolStats();
  return st ? st->pending : -1;
}

// Requirements: R7
TEST(WebhookTest, ExactlyOncePerIdAcrossOutageAndDispatcherRestart) {
  TempDir dir;
  std::string dbPath = dir.file("portvakt.db");
  int port = portvakt::testing::freePort(SOCK_STREAM);
  Receiver receiver(port);
  auto policy = deskPolicy(port);

  // Phase 1: the receiver is down. Alerts are spooled; the sink goes "down".
  {
    auto store = store::Store::open(dbPath);
    ASSERT_TRUE(store) << store.error().message;
    auto svc = AlertService::create(**store, policy, fastOptions());
    ASSERT_TRUE(svc) << svc.error().message;
    (*svc)->start();
    for (int i = 0; i < 10; ++i) raiseRogue(**svc, i);
    ASSERT_TRUE(waitFor([&] { return (*svc)->sinkStatus()[0].down; }));
    EXPECT_FALSE((*svc)->sinkStatus()[0].lastError.empty());
    (*svc)->stop();
    EXPECT_EQ(pending(**store), 11);  // 10 + the sink_failed alert about the desk itself
  }
  // Phase 2: the daemon restarts (new store connection, new service) while
  // the receiver is still down, and more alerts come in.
  auto store = store::Store::open(dbPath);
  ASSERT_TRUE(store) << store.error().message;
  auto svc = AlertService::create(**store, policy, fastOptions());
  ASSERT_TRUE(svc);
  (*svc)->start();
  for (int i = 10; i < 20; ++i) raiseRogue(**svc, i);
  // Phase 3: the receiver comes up; everything drains.
  receiver.start();
  ASSERT_TRUE(waitFor([&] { return pending(**store) == 0; }, 10000)) << pending(**store) << " still pending";
  // Phase 4: down again, more alerts, up again.
  receiver.stop();
  for (int i = 20; i < 25; ++i) raiseRogue(**svc, i);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_GT(pending(**store), 0);
  receiver.start();
  ASSERT_TRUE(waitFor([&] { return pending(**store) == 0; }, 10000)) << pending(**store) << " still pending";
  (*svc)->stop();

  auto received = receiver.received();
  auto events = receiver.events();
  int rogue = 0, sinkFailed = 0;
  for (const auto& [key, n] : received) {
    EXPECT_EQ(n, 1) << "alert " << key << " delivered " << n << " times";
    rogue += events[key] == "rogue_dhcp";
    sinkFailed += events[key] == "sink_failed";
  }
  EXPECT_EQ(rogue, 25);
  EXPECT_GE(sinkFailed, 1);
  EXPECT_EQ(receiver.mismatched(), 0) << "Idempotency-Key must equal event.id";
  // The store agrees: every alert's desk delivery is delivered.
  auto all = (*store)->recentAlerts(1000);
  ASSERT_TRUE(all);
  for (const auto& a : *all) {
    auto d = (*store)->deliveries(a.id);
    ASSERT_TRUE(d && d->size() == 1) << a.id;
    EXPECT_EQ((*d)[0].state, store::DeliveryState::kDelivered) << a.id;
    EXPECT_EQ(received.count(a.id), 1u) << a.id;
  }
  EXPECT_EQ(all->size(), received.size());
}

// Requirements: R7
TEST(WebhookTest, ServerErrorsAreRetriedWithBackoffClientErrorsRejected) {
  TempDir dir;
  int port = portvakt::testing::freePort(SOCK_STREAM);
  Receiver receiver(port);
  receiver.start();
  receiver.setStatus(503);
  auto store = store::Store::open(dir.file("p.db"));
  ASSERT_TRUE(store);
  auto policy = deskPolicy(port);
  policy.control.alerts.pop_back();  // no sink_failed alerts in this test
  auto svc = AlertService::create(**store, policy, fastOptions());
  ASSERT_TRUE(svc);
  (*svc)->start();
  raiseRogue(**svc, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  int attempts = receiver.requests();
  // 10, 20, 40, 80, 80, ... ms apart: about 9 in 600 ms; without backoff it would be hundreds.
  EXPECT_GE(attempts, 3);
  EXPECT_LE(attempts, 15);
  EXPECT_EQ(pending(**store), 1);
  receiver.setStatus(200);
  ASSERT_TRUE(waitFor([&] { return pending(**store) == 0; }));
  EXPECT_EQ(receiver.received().size(), 1u);

  receiver.setStatus(400);
  int before = receiver.requests();
  raiseRogue(**svc, 2);
  ASSERT_TRUE(waitFor([&] { return (*store)->spoolStats()->rejected == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(receiver.requests(), before + 1);  // a 400 is not retried
  (*svc)->stop();
  auto st = (*svc)->sinkStatus();
  EXPECT_EQ(st[0].rejected, 1);
  EXPECT_NE(st[0].lastError.find("HTTP 400"), std::string::npos) << st[0].lastError;
}

TEST(WebhookTest, BadSinkTargetsFailAtCreate) {
  TempDir dir;
  auto store = store::Store::open(dir.file("b.db"));
  ASSERT_TRUE(store);
  auto policy = deskPolicy(1);
  policy.control.sinks[0].target = "ftp://example.org/x";
  auto svc = AlertService::create(**store, policy, fastOptions());
  ASSERT_FALSE(svc);
  EXPECT_NE(svc.error().message.find("desk"), std::string::npos);
}

}  // namespace
}  // namespace portvakt::alerts
