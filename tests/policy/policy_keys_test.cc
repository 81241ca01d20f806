// randomized_macs and lldp_med.applications reach the compiled tables.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
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
  using tables::linkLocalBit;
  using tables::LinkLocalService;
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
  EXPECT_NE(dump.find("zone office vlan=10 quarantine=no isolated=no prefixes=- purpose=\"\"\n"), std::string::npos)
      << dump;
  EXPECT_NE(dump.find(" link_local=arp,dhcp,nd ethertypes=0x8863,0x8864,0x88b5,llc\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find(" link_local=none ethertypes=0x0842,0x8ab5\n"), std::string::npos) << dump;
}

}  // namespace
}  // namespace portvakt::policy

namespace portvakt::policy {
namespace {

// IPv6 first-hop security (issue 13): IPv6 gateways, a port's `trust`, and
// the DHCPv6 matchers reach the tables and the canonical dump; a policy
// without them dumps as before (no trust= on its ports).
// Requirements: R6a
TEST(PolicyKeys, Ipv6GatewaysTrustAndDhcpv6MatchersCompile) {
  auto path = std::filesystem::temp_directory_path() / ("pv-fhs-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << R"(portvakt: 1
name: fhs
zones:
  office: {vlan: 10, gateways: [10.10.0.1, "fe80::1", "2001:db8:10::fffe"]}
  quarantine: {vlan: 999, quarantine: true}
ports:
  - {name: up, interfaces: eth0, role: uplink, zones: [office]}
  - {name: jacks, interfaces: "eth[1-2]", role: access, zones: [office, quarantine], default_zone: quarantine}
  - {name: router-jack, interfaces: eth3, role: access, zones: [office, quarantine], default_zone: quarantine, trust: [dhcp, ra]}
classes:
  windows:
    zone: office
    match:
      dhcpv6:
        vendor_class: ["311:MSFT 5.0", "311:MSFT*"]
        option_request: [[24, 23, 17, 39], [24, 23, 17]]
    evidence: all
    require: [dhcpv6.vendor_class]
)";
  CompileResult r = compilePolicyFile(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const tables::Zone& office = r.policy->zones[r.policy->findZone("office")];
  ASSERT_EQ(office.gateways.size(), 3u);
  EXPECT_TRUE(office.gateways[1].v6);
  ASSERT_EQ(r.policy->ports.size(), 4u);
  EXPECT_EQ(r.policy->ports[1].trust, 0);
  EXPECT_EQ(r.policy->ports[3].trust,
            tables::trustBit(tables::TrustedRole::kRa) | tables::trustBit(tables::TrustedRole::kDhcp));
  ASSERT_EQ(r.policy->classes.size(), 1u);
  const tables::DeviceClass& c = r.policy->classes[0];
  ASSERT_EQ(c.dhcpv6VendorClass.size(), 2u);
  EXPECT_EQ(c.dhcpv6VendorClass[0].enterprise, 311u);
  EXPECT_EQ(c.dhcpv6VendorClass[1].pattern, "MSFT*");
  EXPECT_EQ(c.dhcpv6OptionRequests, (std::vector<std::vector<uint16_t>>{{24, 23, 17, 39}, {24, 23, 17}}));
  EXPECT_EQ(c.configuredSignals, 2);
  EXPECT_EQ(c.required, std::vector<tables::Signal>{tables::Signal::kDhcpv6VendorClass});
  const std::string dump = r.policy->dumpCanonical();
  EXPECT_NE(dump.find(" gateways=10.10.0.1/32,fe80::1/128,2001:db8:10::fffe/128"), std::string::npos) << dump;
  EXPECT_NE(dump.find("port eth3 group=router-jack role=access zones=office,quarantine default=quarantine mode=enforce "
                      "trust=ra,dhcp\n"),
            std::string::npos)
      << dump;
  EXPECT_NE(dump.find("port eth1 group=jacks role=access zones=office,quarantine default=quarantine mode=enforce\n"),
            std::string::npos);
  EXPECT_NE(dump.find("  match dhcpv6.vendor_class 311 \"MSFT 5.0\"\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("  match dhcpv6.option_request 24,23,17\n"), std::string::npos) << dump;
}

// retention: absent means the defaults (90 days of devices, 730 days of audit)
// and the canonical dump, so the settings hash, is what it was before the key existed.
TEST(PolicyKeys, RetentionCompilesAndItsDefaultKeepsTheHash) {
  const std::string head = "portvakt: 1\nname: r\nzones:\n  quarantine: {vlan: 999, quarantine: true}\n";
  CompileResult none = compilePolicySources("site.yaml", {{"site.yaml", head}});
  ASSERT_TRUE(none.ok()) << none.diagnostics.format();
  EXPECT_EQ(none.policy->control.retention.devices, std::chrono::days{90});
  EXPECT_EQ(none.policy->control.retention.audit, std::chrono::days{730});
  EXPECT_EQ(none.policy->dumpCanonical().find("retention"), std::string::npos);

  CompileResult set =
      compilePolicySources("site.yaml", {{"site.yaml", head + "retention: {devices: 30d, audit: 3650d}\n"}});
  ASSERT_TRUE(set.ok()) << set.diagnostics.format();
  EXPECT_EQ(set.policy->control.retention.devices, std::chrono::days{30});
  EXPECT_EQ(set.policy->control.retention.audit, std::chrono::days{3650});
  EXPECT_NE(set.policy->dumpCanonical().find("retention devices=2592000s audit=315360000s\n"), std::string::npos);
  // The control plane keeps devices and history for it; the dataplane never reads it.
  EXPECT_NE(set.policy->control.settingsHash, none.policy->control.settingsHash);
  EXPECT_EQ(set.policy->contentHash, none.policy->contentHash);

  CompileResult hours = compilePolicySources("site.yaml", {{"site.yaml", head + "retention:\n  devices: 36h\n"}});
  ASSERT_TRUE(hours.ok()) << hours.diagnostics.format();
  EXPECT_EQ(hours.policy->control.retention.devices, std::chrono::hours{36});
}

// Bad periods are named where they stand; a site may keep devices for less
// time than its base and the audit trail for longer, never the other way.
TEST(PolicyKeys, RetentionBadPeriodsAndLooseningTheBaseAreErrorsWithTheirPlace) {
  const std::string zones = "zones:\n  quarantine: {vlan: 999, quarantine: true}\n";
  CompileResult bad = compilePolicySources(
      "site.yaml", {{"site.yaml", "portvakt: 1\nname: r\n" + zones + "retention:\n  devices: 90 days\n  audit: 0d\n"}});
  ASSERT_FALSE(bad.ok());
  const std::string badText = bad.diagnostics.format();
  EXPECT_NE(badText.find("site.yaml:6:12: error[bad-value]: retention devices must be a period like '90d' or '12h' "
                         "between 1h and 36500d, not '90 days'"),
            std::string::npos)
      << badText;
  EXPECT_NE(badText.find("site.yaml:7:10: error[bad-value]: retention audit must be a period"), std::string::npos)
      << badText;
  // (10000000d and 10^11 s do not fit in int64_t nanoseconds: refused, not wrapped.)
  for (const char* period : {"5m", "d", "-3d", "40000d", "1.5d", "10000000d", "99999999999s"}) {
    CompileResult r = compilePolicySources(
        "site.yaml", {{"site.yaml", "portvakt: 1\nname: r\n" + zones + "retention: {devices: '" + period + "'}\n"}});
    EXPECT_FALSE(r.ok()) << period;
  }

  const std::string base = "portvakt: 1\nname: base\n" + zones + "retention: {devices: 30d, audit: 730d}\n";
  auto site = [&](const std::string& retention) {
    return compilePolicySources(
        "site.yaml", {{"base.yaml", base}, {"site.yaml", "portvakt: 1\nname: s\nextends: base.yaml\n" + retention}});
  };
  CompileResult stricter = site("retention: {devices: 7d, audit: 3650d}\n");
  ASSERT_TRUE(stricter.ok()) << stricter.diagnostics.format();
  EXPECT_EQ(stricter.policy->control.retention.devices, std::chrono::days{7});
  EXPECT_EQ(stricter.policy->control.retention.audit, std::chrono::days{3650});
  CompileResult inherited = site("");
  ASSERT_TRUE(inherited.ok()) << inherited.diagnostics.format();
  EXPECT_EQ(inherited.policy->control.retention.devices, std::chrono::days{30});

  CompileResult longer = site("retention: {devices: 60d}\n");
  ASSERT_FALSE(longer.ok());
  EXPECT_NE(
      longer.diagnostics.format().find("site.yaml:4:22: error[base-override]: the base keeps devices for at most 30d; "
                                       "a site may not keep them longer (60d)"),
      std::string::npos)
      << longer.diagnostics.format();
  CompileResult shorterAudit = site("retention: {audit: 365d}\n");
  ASSERT_FALSE(shorterAudit.ok());
  EXPECT_NE(
      shorterAudit.diagnostics.format().find("error[base-override]: the base keeps the audit trail for 730d; a site "
                                             "may not keep it for less (365d)"),
      std::string::npos)
      << shorterAudit.diagnostics.format();
}

// mac_mobility (issue 13): durations with units reach the tables in ns; a
// policy that states the defaults (or says nothing) dumps and hashes as before
// the key existed; a site may tighten a base's values.
// Requirements: R6b
TEST(PolicyKeys, MacMobilityCompilesIntoTheTables) {
  const auto dir = std::filesystem::temp_directory_path() / ("pv-mobility-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string zones = "zones:\n  lan: {vlan: 10}\n  quarantine: {vlan: 999, quarantine: true}\n";
  auto compile = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return compilePolicyFile((dir / name).string());
  };
  CompileResult none = compile("none.yaml", "portvakt: 1\nname: m\n" + zones);
  CompileResult defaults =
      compile("defaults.yaml", "portvakt: 1\nname: m\nmac_mobility: {window: 300s, moves: 4, hold: 30m}\n" + zones);
  CompileResult base =
      compile("base.yaml", "portvakt: 1\nname: base\nmac_mobility: {window: 2m, moves: 3, hold: 1h}\n" + zones);
  CompileResult site =
      compile("site.yaml", "portvakt: 1\nname: site\nextends: base.yaml\nmac_mobility: {window: 1h, moves: 2}\n");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(none.ok()) << none.diagnostics.format();
  ASSERT_TRUE(defaults.ok()) << defaults.diagnostics.format();
  ASSERT_TRUE(base.ok()) << base.diagnostics.format();
  ASSERT_TRUE(site.ok()) << site.diagnostics.format();
  EXPECT_EQ(none.policy->macMobility, tables::MacMobility{});
  EXPECT_EQ(none.policy->contentHash, defaults.policy->contentHash);
  EXPECT_EQ(none.policy->dumpCanonical().find("mac_mobility"), std::string::npos);
  constexpr int64_t kSec = 1'000'000'000;
  EXPECT_EQ(base.policy->macMobility, (tables::MacMobility{120 * kSec, 3, 3600 * kSec}));
  EXPECT_NE(base.policy->dumpCanonical().find("mac_mobility window_ns=120000000000 moves=3 hold_ns=3600000000000\n"),
            std::string::npos);
  EXPECT_EQ(site.policy->macMobility, (tables::MacMobility{3600 * kSec, 2, 3600 * kSec})) << "the hold stays the base's";
}

// 802.1X: the ports' modes and re-authentication periods, the RADIUS servers
// (primary first, default port 1812), the fallback zone and the dot1x matcher
// reach the tables, and the canonical dump shows them.
// Requirements: R1a
TEST(PolicyKeys, Dot1xCompilesIntoPortsClassesAndSettings) {
  auto path = std::filesystem::temp_directory_path() / ("pv-dot1x-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << R"(portvakt: 1
name: dot1x
zones:
  region: {vlan: 10}
  guest: {vlan: 50}
  quarantine: {vlan: 999, quarantine: true}
classes:
  eklient:
    zone: region
    match: {inventory: true, dot1x: true}
    require: [inventory, dot1x]
ports:
  - name: jacks
    interfaces: lan[1-2]
    role: access
    zones: [region, guest, quarantine]
    default_zone: quarantine
    authentication: dot1x
  - name: reception
    interfaces: lan3
    role: access
    zones: [guest, quarantine]
    default_zone: quarantine
    authentication: dot1x-or-profile
    reauth_period: 600
  - name: printer
    interfaces: lan4
    role: access
    zones: [quarantine]
    default_zone: quarantine
dot1x:
  radius_servers: ["10.20.0.5", "[2001:db8::5]:1645"]
  reauth_period: 1800
  radius_unreachable_zone: guest
  fingerprint_mismatch: quarantine
inventory:
  devices:
    - {mac: "3c:52:82:00:00:01", asset: EK-0001, hostname: ek1}
)";
  CompileResult r = compilePolicyFile(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const tables::CompiledPolicy& p = *r.policy;
  ASSERT_EQ(p.ports.size(), 4u);
  EXPECT_EQ(p.ports[0].authentication, tables::Authentication::kDot1x);
  EXPECT_EQ(p.ports[0].reauthPeriodSeconds, 1800u);
  EXPECT_EQ(p.ports[2].authentication, tables::Authentication::kDot1xOrProfile);
  EXPECT_EQ(p.ports[2].reauthPeriodSeconds, 600u);
  EXPECT_EQ(p.ports[3].authentication, tables::Authentication::kNone);
  ASSERT_EQ(p.dot1x.radiusServers.size(), 2u);
  EXPECT_EQ(p.dot1x.radiusServers[0].address, "10.20.0.5");
  EXPECT_EQ(p.dot1x.radiusServers[0].port, 1812);
  EXPECT_EQ(p.dot1x.radiusServers[1].address, "2001:db8::5");
  EXPECT_EQ(p.dot1x.radiusServers[1].port, 1645);
  EXPECT_EQ(p.dot1x.unreachableZone, p.findZone("guest"));
  EXPECT_TRUE(p.dot1x.quarantineFingerprintMismatch);
  ASSERT_EQ(p.classes.size(), 1u);
  EXPECT_TRUE(p.classes[0].dot1x);
  EXPECT_EQ(p.classes[0].required, (std::vector<tables::Signal>{tables::Signal::kInventory, tables::Signal::kDot1x}));
  const std::string dump = p.dumpCanonical();
  EXPECT_NE(dump.find("port lan3 group=reception role=access zones=guest,quarantine default=quarantine mode=enforce "
                      "authentication=dot1x-or-profile reauth=600\n"),
            std::string::npos)
      << dump;
  EXPECT_NE(dump.find("  match dot1x\n"), std::string::npos);
  EXPECT_NE(dump.find("dot1x radius=10.20.0.5:1812,[2001:db8::5]:1645 nas_identifier=\"portvakt\" unreachable_zone=guest "
                      "fingerprint_mismatch=quarantine\n"),
            std::string::npos)
      << dump;
}

}  // namespace
}  // namespace portvakt::policy
