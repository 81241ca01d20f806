// `portvakt policy diff` and `policy plan` show what a push changes, per
// section and named item, from the canonical forms of two compiled policies:
// equal policies have no changes, an item is added, removed or changed, and
// the rules of one flow are one item whatever their place in the rule list
// (inserting a flow before them renumbers them; that is not a change of theirs).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "control/policy_views/policy_diff.h"

namespace portvakt::control {
namespace {

using tables::Action;
using tables::CompiledPolicy;
using tables::FlowRule;
using tables::Protocol;

FlowRule rule(std::string name, tables::ZoneId from, tables::ZoneId to, Protocol protocol, uint16_t port) {
  FlowRule r;
  r.name = std::move(name);
  r.from = from;
  r.toZone = to;
  r.protocol = protocol;
  r.ports = {port, port};
  return r;
}

// Two zones, one access port, the flow "web" as two rules (tcp/443, tcp/80).
CompiledPolicy office() {
  CompiledPolicy p;
  p.name = "office";
  tables::Zone lan;
  lan.name = "lan";
  lan.vlan = 10;
  tables::Zone servers;
  servers.name = "servers";
  servers.vlan = 20;
  p.zones = {lan, servers};
  tables::Port jack;
  jack.interface = "eth1";
  jack.group = "jacks";
  jack.zones = {0};
  jack.defaultZone = 0;
  p.ports = {jack};
  p.flows = {rule("web", 0, 1, Protocol::kTcp, 443), rule("web", 0, 1, Protocol::kTcp, 80)};
  p.seal();
  return p;
}

const PolicyChange* find(const std::vector<PolicyChange>& changes, std::string_view section, std::string_view key) {
  auto it = std::find_if(changes.begin(), changes.end(),
                         [&](const PolicyChange& c) { return c.section == section && c.key == key; });
  return it == changes.end() ? nullptr : &*it;
}

std::string describe(const std::vector<PolicyChange>& changes) { return formatChanges(changes); }

TEST(PolicyDiff, EqualPoliciesHaveNoChanges) {
  const auto changes = diffPolicies(office(), office());
  EXPECT_TRUE(changes.empty()) << describe(changes);
  EXPECT_EQ(formatChanges(changes), "no semantic changes\n");
}

TEST(PolicyDiff, NamesTheItemThatWasAddedRemovedOrChanged) {
  CompiledPolicy after = office();
  after.zones[1].vlan = 30;  // servers changed
  tables::Zone guest;
  guest.name = "guest";
  guest.vlan = 40;
  after.zones.push_back(guest);       // guest added
  after.ports[0].interface = "eth2";  // eth1 removed, eth2 added
  after.seal();

  const auto changes = diffPolicies(office(), after);
  const PolicyChange* servers = find(changes, "zone", "servers");
  ASSERT_NE(servers, nullptr) << describe(changes);
  EXPECT_EQ(servers->kind, PolicyChange::Kind::kChanged);
  EXPECT_NE(servers->before.find("20"), std::string::npos) << servers->before;
  EXPECT_NE(servers->after.find("30"), std::string::npos) << servers->after;
  const PolicyChange* added = find(changes, "zone", "guest");
  ASSERT_NE(added, nullptr) << describe(changes);
  EXPECT_EQ(added->kind, PolicyChange::Kind::kAdded);
  EXPECT_TRUE(added->before.empty());
  EXPECT_EQ(find(changes, "zone", "lan"), nullptr) << "an unchanged zone is not listed\n" << describe(changes);
  const PolicyChange* removedPort = find(changes, "port", "eth1");
  const PolicyChange* addedPort = find(changes, "port", "eth2");
  ASSERT_NE(removedPort, nullptr) << describe(changes);
  ASSERT_NE(addedPort, nullptr) << describe(changes);
  EXPECT_EQ(removedPort->kind, PolicyChange::Kind::kRemoved);
  EXPECT_TRUE(removedPort->after.empty());
  EXPECT_EQ(addedPort->kind, PolicyChange::Kind::kAdded);

  // The printed plan: one header per item, its canonical lines marked.
  const std::string text = formatChanges(changes);
  EXPECT_NE(text.find("~ zone servers\n    - "), std::string::npos) << text;
  EXPECT_NE(text.find("+ zone guest\n    + "), std::string::npos) << text;
  EXPECT_NE(text.find("- port eth1\n    - "), std::string::npos) << text;
}

TEST(PolicyDiff, AFlowIsOneItemWhateverItsPlaceInTheRuleList) {
  CompiledPolicy after = office();
  // A new flow ahead of "web": every rule of "web" moves down one index.
  after.flows.insert(after.flows.begin(), rule("dns", 0, 1, Protocol::kUdp, 53));
  after.seal();
  auto changes = diffPolicies(office(), after);
  ASSERT_EQ(changes.size(), 1u) << describe(changes);
  EXPECT_EQ(changes[0].section, "flow");
  EXPECT_EQ(changes[0].key, "dns");
  EXPECT_EQ(changes[0].kind, PolicyChange::Kind::kAdded);

  // One rule of "web" changes: "web" is one changed item holding both rules.
  CompiledPolicy narrower = office();
  narrower.flows[1].ports = {8080, 8080};
  narrower.seal();
  changes = diffPolicies(office(), narrower);
  ASSERT_EQ(changes.size(), 1u) << describe(changes);
  EXPECT_EQ(changes[0].key, "web");
  EXPECT_EQ(changes[0].kind, PolicyChange::Kind::kChanged);
  EXPECT_NE(changes[0].before.find("443"), std::string::npos) << changes[0].before;
  EXPECT_NE(changes[0].after.find("443"), std::string::npos) << "both rules of the flow are in the item";
  EXPECT_NE(changes[0].after.find("8080"), std::string::npos) << changes[0].after;
}

TEST(PolicyDiff, TheSiteModeAndNameArePolicyItems) {
  CompiledPolicy after = office();
  after.mode = tables::Mode::kMonitor;
  after.seal();
  const auto changes = diffPolicies(office(), after);
  const PolicyChange* mode = find(changes, "policy", "mode");
  ASSERT_NE(mode, nullptr) << describe(changes);
  EXPECT_EQ(mode->kind, PolicyChange::Kind::kChanged);
  EXPECT_NE(mode->after.find("monitor"), std::string::npos) << mode->after;
}

}  // namespace
}  // namespace portvakt::control
