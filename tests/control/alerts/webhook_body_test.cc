// A webhook body the policy shapes, end to end: YAML policy -> compiler ->
// AlertService -> spool -> WebhookSink -> a real cpp-httplib server on
// loopback, which records the exact bytes it received.

#include "control/alerts/webhook_body.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "control/alerts/alert_service.h"
#include "policy/compiler/compiler.h"
#include "tests/control/alerts/test_support.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::alerts {
namespace {

using portvakt::testing::TempDir;
using portvakt::testing::waitFor;

struct Request {
  std::string body, contentType, idempotencyKey;
};

class TicketApi {
 public:
  explicit TicketApi(int port) {
    server_.set_keep_alive_timeout(1);
    server_.Post("/api/tickets", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      requests_.push_back({req.body, req.get_header_value("Content-Type"), req.get_header_value("Idempotency-Key")});
      res.status = 201;
      res.set_content("{\"ticket\":\"INC0001\"}", "application/json");
    });
    bound_ = server_.bind_to_port("127.0.0.1", port);
    if (bound_) thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TicketApi() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  bool ready() {
    return bound_ && waitFor([&] { return server_.is_running(); });
  }
  std::vector<Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  bool bound_ = false;
  std::mutex mu_;
  std::vector<Request> requests_;
};

tables::CompiledPolicy compileDeskPolicy(const TempDir& dir, int port) {
  std::string path = dir.file("desk.yaml");
  std::ofstream(path) << R"(portvakt: 1
name: vc-karlstad
zones:
  lan: {vlan: 10}
  quarantine: {vlan: 999, quarantine: true}
sinks:
  desk:
    type: webhook
    url: "http://127.0.0.1:)"
                      << port << R"(/api/tickets"
    body:
      title: "portvakt: {{event}} at {{site}}, port {{port}}"
      priority: {by_severity: {critical: P1, warning: P3, info: P4}}
      urgency: {by_severity: {critical: 1, warning: 3, info: 4}}
      description: "{{summary}}"
      fields:
        alert_id: "{{id}}"
        device: "{{device}}"
        vlan: "{{vlan}}"
        count: "{{count}}"
        first_seen: "{{time}}"
        server: "{{evidence.server_ip}}"
        missing: "{{evidence.nope}}"
        evidence: "{{evidence}}"
        evidence_text: "ev: {{evidence}} / {{count}}"
      tags: [portvakt, "{{severity}}", "{{hostname}}", 3, "3"]
      notify: true
      assignee: null
alerts:
  - {event: rogue_dhcp, severity: critical, sinks: [desk]}
  - {event: link_down, severity: warning, sinks: [desk]}
)";
  auto r = policy::compilePolicyFile(path);
  EXPECT_TRUE(r.ok()) << r.diagnostics.format();
  return r.ok() ? *r.policy : tables::CompiledPolicy{};
}

// Requirements: R7
TEST(WebhookBodyTest, TheTicketApiReceivesExactlyTheShapedBody) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  int port = portvakt::testing::freePort(SOCK_STREAM);
  TicketApi api(port);
  ASSERT_TRUE(api.ready()) << "port " << port;
  tables::CompiledPolicy policy = compileDeskPolicy(dir, port);
  ASSERT_EQ(policy.control.sinks.size(), 1u);
  ASSERT_TRUE(policy.control.sinks[0].body);

  auto store = store::Store::open(dir.file("portvakt.db"));
  ASSERT_TRUE(store) << store.error().message;
  AlertServiceOptions options;
  options.groupWait = std::chrono::milliseconds(0);
  options.sinks.hostname = "clinic-switch-1";
  auto svc = AlertService::create(**store, policy, options);
  ASSERT_TRUE(svc) << svc.error().message;

  // Evidence with everything JSON must escape: quotes, a backslash, a slash,
  // non-ASCII text (and a control character, which the feed turns into '?').
  auto rogue = (*svc)->raise(Event{tables::EventType::kRogueDhcp,
                                   "eth3",
                                   30,
                                   "02-00-00-00-00-0A",
                                   {{"server_ip", "192.0.2.9"}, {"note", "say \"hi\" \\ </x> åäö\x01"}},
                                   store::atUnixMs(1700000000123)});
  ASSERT_TRUE(rogue && rogue->spooled);
  auto link = (*svc)->raise(Event{tables::EventType::kLinkDown, "eth0", -1, "", {}, store::atUnixMs(1700000060000)});
  ASSERT_TRUE(link && link->spooled);
  EXPECT_EQ((*svc)->deliverNow(), 2);

  auto requests = api.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].contentType, "application/json");
  EXPECT_EQ(requests[0].idempotencyKey, rogue->alertId);
  EXPECT_EQ(requests[1].idempotencyKey, link->alertId);

  // Written out by hand: the test does not reuse the renderer to build its expectation.
  EXPECT_EQ(
      requests[0].body,
      R"({"title":"portvakt: rogue_dhcp at vc-karlstad, port eth3","priority":"P1","urgency":1,)"
      R"("description":"rogue_dhcp on eth3 (VLAN 30) from 02:00:00:00:00:0a: server_ip=192.0.2.9 note=say \"hi\" \\ </x> åäö?",)"
      R"("fields":{"alert_id":")" +
          rogue->alertId +
          R"(","device":"02:00:00:00:00:0a","vlan":30,"count":1,)"
          R"("first_seen":"2023-11-14T22:13:20.123Z","server":"192.0.2.9","missing":"",)"
          R"("evidence":{"server_ip":"192.0.2.9","note":"say \"hi\" \\ </x> åäö?"},)"
          R"("evidence_text":"ev: server_ip=192.0.2.9 note=say \"hi\" \\ </x> åäö? / 1"},)"
          R"("tags":["portvakt","critical","clinic-switch-1",3,"3"],"notify":true,"assignee":null})");
  EXPECT_EQ(requests[1].body,
            R"({"title":"portvakt: link_down at vc-karlstad, port eth0","priority":"P3","urgency":3,)"
            R"("description":"link_down on eth0",)"
            R"("fields":{"alert_id":")" +
                link->alertId +
                R"(","device":"","vlan":null,"count":1,)"
                R"("first_seen":"2023-11-14T22:14:20.000Z","server":"","missing":"","evidence":{},)"
                R"("evidence_text":"ev:  / 1"},)"
                R"("tags":["portvakt","warning","clinic-switch-1",3,"3"],"notify":true,"assignee":null})");
  // And it is JSON a receiver can read back.
  auto doc = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(doc["fields"]["evidence"]["note"], "say \"hi\" \\ </x> åäö?");
}

TEST(WebhookBodyTest, WithoutABodyTheEcsDocumentIsSent) {
  tables::CompiledPolicy policy;
  policy.name = "vc-karlstad";
  TempDir dir;
  int port = portvakt::testing::freePort(SOCK_STREAM);
  TicketApi api(port);
  ASSERT_TRUE(api.ready());
  tables::Sink desk;
  desk.name = "desk";
  desk.kind = tables::Sink::Kind::kWebhook;
  desk.target = "http://127.0.0.1:" + std::to_string(port) + "/api/tickets";
  policy.control.sinks = {desk};
  policy.control.alerts = {{tables::EventType::kRogueDhcp, tables::Severity::kCritical, {"desk"}}};
  auto store = store::Store::open(dir.file("p.db"));
  ASSERT_TRUE(store);
  AlertServiceOptions options;
  options.groupWait = std::chrono::milliseconds(0);
  auto svc = AlertService::create(**store, policy, options);
  ASSERT_TRUE(svc);
  ASSERT_TRUE((*svc)->raise(
      Event{tables::EventType::kRogueDhcp, "eth3", 30, "02:00:00:00:00:0a", {}, store::atUnixMs(1700000000000)}));
  EXPECT_EQ((*svc)->deliverNow(), 1);
  auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1u);
  auto doc = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(doc["event"]["kind"], "alert");
  EXPECT_EQ(doc["event"]["action"], "rogue_dhcp");
  EXPECT_EQ(doc["event"]["id"], requests[0].idempotencyKey);
}

// The renderer alone, for what an end-to-end run cannot easily reach.
TEST(WebhookBodyTest, RendererEdgeCases) {
  using tables::AlertField;
  using tables::BodyValue;
  Alert a;
  a.id = "pva-1";
  a.event = "device_unknown";
  a.severity = tables::Severity::kInfo;
  a.site = "s";
  a.time = store::atUnixMs(0);
  a.lastTime = store::atUnixMs(5000);
  a.maintenanceWindow = "w";
  a.evidence = {{"k", std::string("\xff\xfe bad utf-8")}};  // replaced, not an exception
  BodyValue text;
  text.kind = BodyValue::Kind::kText;
  text.text = {{AlertField::kEnd, ""},
               {AlertField::kLiteral, " "},
               {AlertField::kMaintenanceWindow, ""},
               {AlertField::kLiteral, " "},
               {AlertField::kEvidenceItem, "k"}};
  BodyValue choose;
  choose.kind = BodyValue::Kind::kBySeverity;
  choose.items.resize(3);
  choose.items[0].kind = BodyValue::Kind::kBool;
  choose.items[0].boolean = true;
  BodyValue list;
  list.kind = BodyValue::Kind::kArray;
  list.items = {text, choose};
  std::string out = renderWebhookBody(list, a, "h");
  EXPECT_EQ(out, "[\"1970-01-01T00:00:05.000Z w \xEF\xBF\xBD\xEF\xBF\xBD bad utf-8\",true]");
  a.severity = tables::Severity::kCritical;
  EXPECT_EQ(renderWebhookBody(list, a, "h").substr(out.size() - 5), "null]");
}

}  // namespace
}  // namespace portvakt::alerts
