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

// A zone's link_local and ethertypes: absent means the default set and no
// non-IP EtherTypes, and then the canonical dump (and the hash) is what it was
// before the keys existed.
TEST(PolicyKeys, LinkLocalAndEtherTypesCompileIntoTheZones) {
  auto path = std::filesystem::temp_directory_path() / ("pv-zone-frames-" + std::to_string(::getpid()) + ".yaml");
  const std::string policy = R"(portvakt: 1
name: zone-frames
zones:
  office: {vlan: 10}
  lab: {vlan: 20, link_local: [nd, arp, dhcp], ethertypes: [0x88B5, pppoe, llc]}
  silent: {vlan: 30, link_local: [], ethertypes: [wol, 35509]}
  quarantine: {vlan: 999, quarantine: true}
)";
  std::ofstream(path) << policy;
  CompileResult r = compilePolicyFile(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  using tables::LinkLocalService;
  using tables::linkLocalBit;
  const auto& zones = r.policy->zones;
  EXPECT_EQ(zones[r.policy->findZone("office")].linkLocal, tables::kDefaultLinkLocal);
  EXPECT_TRUE(zones[r.policy->findZone("office")].etherTypes.empty());
  const tables::Zone& lab = zones[r.policy->findZone("lab")];
  EXPECT_EQ(lab.linkLocal, linkLocalBit(LinkLocalService::kArp) | linkLocalBit(LinkLocalService::kDhcp) |
                               linkLocalBit(LinkLocalService::kNd));
  EXPECT_EQ(lab.etherTypes, (std::vector<uint16_t>{0x8863, 0x8864, 0x88b5}));
  EXPECT_TRUE(lab.llcFrames);
  EXPECT_TRUE(lab.allowsEtherType(0x8864));
  EXPECT_FALSE(lab.allowsEtherType(0x8137));
  const tables::Zone& silent = zones[r.policy->findZone("silent")];
  EXPECT_EQ(silent.linkLocal, 0);
  EXPECT_EQ(silent.etherTypes, (std::vector<uint16_t>{0x0842, 0x8ab5}));
  const std::string dump = r.policy->dumpCanonical();
  EXPECT_NE(dump.find("zone office vlan=10 quarantine=no isolated=no prefixes=- purpose=\"\"\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find(" link_local=arp,dhcp,nd ethertypes=0x8863,0x8864,0x88b5,llc\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find(" link_local=none ethertypes=0x0842,0x8ab5\n"), std::string::npos) << dump;
}

}  // namespace
}  // namespace portvakt::policy
