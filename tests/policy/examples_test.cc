// The shipped examples compile cleanly, deterministically, and carry the
// region's invariants R1-R3 that no site can switch off.
#include <gtest/gtest.h>

#include <algorithm>

#include "policy/compiler/compiler.h"

namespace portvakt::policy {
namespace {

using tables::Invariant;

const char* kSites[] = {"examples/vardcentral-karlstad.yaml", "examples/fysioterapi-arvika.yaml"};

// Requirements: R12
TEST(Examples, SitesCompileWithoutErrorsOrWarnings) {
  for (const char* site : kSites) {
    CompileResult r = compilePolicyFile(site);
    EXPECT_TRUE(r.ok()) << site << "\n" << r.diagnostics.format();
    EXPECT_EQ(r.diagnostics.warningCount(), 0) << r.diagnostics.format();
  }
}

TEST(Examples, CompilationIsByteIdenticalAndHashed) {
  for (const char* site : kSites) {
    CompileResult a = compilePolicyFile(site);
    CompileResult b = compilePolicyFile(site);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a.policy->dumpCanonical(), b.policy->dumpCanonical());
    EXPECT_EQ(a.policy->contentHash, b.policy->contentHash);
    EXPECT_EQ(a.policy->control.settingsHash, b.policy->control.settingsHash);
    EXPECT_EQ(a.policy->contentHash, "sha256:" + tables::sha256Hex(a.policy->dumpTables()));
    EXPECT_EQ(a.policy->control.settingsHash,
              "sha256:" + tables::sha256Hex(a.policy->control.dumpCanonical(a.policy->zones)));
    EXPECT_EQ(a.policy->dumpCanonical(), a.policy->dumpTables() + a.policy->control.dumpCanonical(a.policy->zones));
    EXPECT_EQ(a.policy->formatVersion, tables::kCompiledFormatVersion);
  }
}

// Requirements: R12
TEST(Examples, DifferentSitesHashDifferently) {
  CompileResult a = compilePolicyFile(kSites[0]);
  CompileResult b = compilePolicyFile(kSites[1]);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a.policy->contentHash, b.policy->contentHash);
}

bool hasNever(const tables::CompiledPolicy& p, const std::string& from, const std::string& to) {
  return std::any_of(p.invariants.begin(), p.invariants.end(), [&](const Invariant& inv) {
    return inv.kind == Invariant::Kind::kNeverReaches && p.zoneName(inv.from) == from && p.zoneName(inv.toZone) == to;
  });
}

// Requirements: R1, R2, R3
TEST(Examples, RegionInvariantsR1ToR3HoldInEverySite) {
  for (const char* site : kSites) {
    CompileResult r = compilePolicyFile(site);
    ASSERT_TRUE(r.ok());
    const auto& p = *r.policy;
    auto only = std::find_if(p.invariants.begin(), p.invariants.end(),
                             [](const Invariant& inv) { return inv.kind == Invariant::Kind::kOnlyClasses; });
    ASSERT_NE(only, p.invariants.end());
    EXPECT_EQ(p.zoneName(only->zone), "region");  // R1
    EXPECT_EQ(only->classes, (std::vector<std::string>{"eklient", "eklient-dot1x"}));
    EXPECT_TRUE(hasNever(p, "voice", "region"));  // R2
    EXPECT_TRUE(hasNever(p, "region", "voice"));
    EXPECT_TRUE(hasNever(p, "conference", "region"));  // R3
    // Invariants are compiled into enforce-mode deny rules ahead of every flow.
    ASSERT_FALSE(p.flows.empty());
    EXPECT_EQ(p.flows.front().action, tables::Action::kDeny);
    EXPECT_EQ(p.flows.front().mode, tables::Mode::kEnforce);
    EXPECT_EQ(p.flows.front().name.rfind("invariant:", 0), 0u);
  }
}

// Requirements: R11, R12
TEST(Examples, FysioterapiSwitchesEklientOffAndKeepsTheBaseInvariants) {
  CompileResult r = compilePolicyFile(kSites[1]);
  ASSERT_TRUE(r.ok());
  for (const auto& c : r.policy->classes) EXPECT_NE(c.name, "eklient");
  EXPECT_EQ(r.policy->sources, (std::vector<std::string>{"region-base.yaml", "fysioterapi-arvika.yaml"}));
}

// Requirements: R11
TEST(Examples, InventoryComesFromTheCsvWithItsColumns) {
  CompileResult r = compilePolicyFile(kSites[0]);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.policy->inventory.size(), 5u);
  EXPECT_EQ(r.policy->inventory[0].mac.toString(), "3c:52:82:1a:2b:3c");
  EXPECT_EQ(r.policy->inventory[0].assetId, "RV-100231");
  EXPECT_EQ(r.policy->inventory[0].hostname, "EK-KSD-0231");
}

// Requirements: R4
TEST(Examples, PortRangesExpandToInterfaces) {
  CompileResult r = compilePolicyFile(kSites[0]);
  ASSERT_TRUE(r.ok());
  int wallJacks = 0;
  for (const auto& port : r.policy->ports) wallJacks += port.group == "wall-jacks";
  EXPECT_EQ(wallJacks, 12);  // eth[3-14]
}

}  // namespace
}  // namespace portvakt::policy
