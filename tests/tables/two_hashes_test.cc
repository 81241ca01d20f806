// The compiled policy's two hashes (issue 17): contentHash covers what the
// dataplane runs, control.settingsHash what only the control plane uses. A
// change of one part must move its own hash and never the other's, or a new
// webhook URL would make the dataplane decide every device again.
#include <gtest/gtest.h>

#include "policy/tables/compiled_policy.h"

namespace portvakt::tables {
namespace {

CompiledPolicy twoZoneSite() {
  CompiledPolicy p;
  p.name = "site";
  Zone lab, quarantine;
  lab.name = "lab";
  lab.vlan = 10;
  quarantine.name = "quarantine";
  quarantine.vlan = 999;
  quarantine.quarantine = true;
  p.zones = {lab, quarantine};
  Port jack;
  jack.interface = "eth1";
  jack.group = "jack";
  jack.zones = {0, 1};
  jack.defaultZone = 1;
  p.ports = {jack};
  Sink desk;
  desk.name = "desk";
  desk.kind = Sink::Kind::kWebhook;
  desk.target = "https://desk.example/a";
  p.control.sinks = {desk};
  p.control.alerts = {{EventType::kDeviceNew, Severity::kInfo, {"desk"}}};
  ExpectedOutcome t;
  t.name = "lab to the web";
  t.kind = ExpectedOutcome::Kind::kFlow;
  t.from = 0;
  t.expectAction = Action::kDeny;
  p.control.tests = {t};
  p.seal();
  return p;
}

// `before` changed by `edit`, sealed again (both hashes computed anew).
template <typename Edit>
CompiledPolicy resealed(const CompiledPolicy& before, Edit edit) {
  CompiledPolicy p = before;
  edit(p);
  p.seal();
  return p;
}

TEST(TwoHashes, ASettingsChangeMovesOnlyTheSettingsHash) {
  const CompiledPolicy before = twoZoneSite();
  auto changed = [&](auto edit) {
    const CompiledPolicy p = resealed(before, edit);
    EXPECT_EQ(p.contentHash, before.contentHash) << p.dumpCanonical();
    EXPECT_NE(p.control.settingsHash, before.control.settingsHash) << p.dumpCanonical();
  };
  changed([](CompiledPolicy& p) { p.control.sinks[0].target = "https://desk.example/b"; });
  changed([](CompiledPolicy& p) { p.control.alerts[0].severity = Severity::kCritical; });
  changed([](CompiledPolicy& p) { p.control.maintenance.push_back({"night", 0x1f, 120, 240, "Europe/Stockholm", {}}); });
  changed([](CompiledPolicy& p) { p.control.managementRoles.push_back({"CN", "eva", "engineer"}); });
  changed([](CompiledPolicy& p) { p.control.retention.devices = std::chrono::days{30}; });
  changed([](CompiledPolicy& p) { p.control.tests[0].expectAction = Action::kAllow; });
}

TEST(TwoHashes, ATablesChangeMovesOnlyTheContentHash) {
  const CompiledPolicy before = twoZoneSite();
  auto changed = [&](auto edit) {
    const CompiledPolicy p = resealed(before, edit);
    EXPECT_NE(p.contentHash, before.contentHash) << p.dumpCanonical();
    EXPECT_EQ(p.control.settingsHash, before.control.settingsHash) << p.dumpCanonical();
  };
  changed([](CompiledPolicy& p) {
    FlowRule web;
    web.name = "web";
    web.from = 0;
    web.protocol = Protocol::kTcp;
    web.ports = {443, 443};
    p.flows.push_back(web);
  });
  changed([](CompiledPolicy& p) { p.ports[0].defaultZone = 0; });
  changed([](CompiledPolicy& p) { p.pins.push_back({MacAddress{}, "", 0, "the lab PC"}); });
  changed([](CompiledPolicy& p) { p.mode = Mode::kMonitor; });
}

TEST(TwoHashes, EachHashIsThatOfItsOwnCanonicalTextAndTheDumpHoldsBoth) {
  const CompiledPolicy p = twoZoneSite();
  EXPECT_EQ(p.contentHash, "sha256:" + sha256Hex(p.dumpTables()));
  EXPECT_EQ(p.control.settingsHash, "sha256:" + sha256Hex(p.control.dumpCanonical(p.zones)));
  EXPECT_EQ(p.dumpTables().find("sink "), std::string::npos) << "the tables' text holds no settings";
  EXPECT_EQ(p.control.dumpCanonical(p.zones).find("port "), std::string::npos) << "nor the settings' the tables";
  EXPECT_NE(p.control.dumpCanonical(p.zones).find("test \"lab to the web\" flow from=lab"), std::string::npos)
      << "the tests name their zones";
  EXPECT_EQ(p.dumpCanonical(), p.dumpTables() + p.control.dumpCanonical(p.zones));
}

}  // namespace
}  // namespace portvakt::tables
