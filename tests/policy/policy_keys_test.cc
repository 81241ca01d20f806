// randomized_macs and lldp_med.applications reach the compiled tables.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "policy/compiler/compiler.h"

namespace portvakt::policy {
namespace {

TEST(PolicyKeys, CompileIntoTheTables) {
  auto path = std::filesystem::temp_directory_path() / ("pv-keys-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << R"(portvakt: 1
name: keys
randomized_macs: quarantine
zones:
  conference: {vlan: 30}
  quarantine: {vlan: 999, quarantine: true}
classes:
  video:
    zone: conference
    match:
      lldp_med: {applications: [video-signaling, video-conferencing]}
)";
  CompileResult r = compilePolicyFile(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.policy->randomizedMacs, tables::RandomizedMacs::kQuarantine);
  ASSERT_EQ(r.policy->classes.size(), 1u);
  EXPECT_EQ(r.policy->classes[0].lldpMedApplications, (std::vector<uint8_t>{6, 8}));
  EXPECT_EQ(r.policy->classes[0].configuredSignals, 1);
  const std::string dump = r.policy->dumpCanonical();
  EXPECT_NE(dump.find("randomized_macs quarantine\n"), std::string::npos);
  EXPECT_NE(dump.find("  match lldp_med.applications 6,8\n"), std::string::npos);
}

}  // namespace
}  // namespace portvakt::policy
