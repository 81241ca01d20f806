// The profiling-evidence keys of a class (cdp.capabilities, dhcp.fingerprint,
// require groups), the policy's `fingerprints` data, and the
// evidence-needs-address warning (docs/policy.md, "classes").
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "policy/compiler/compiler.h"

namespace portvakt::policy {
namespace {

namespace fs = std::filesystem;

// A directory of its own per test, removed at the end.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("pv-" + name + "-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& file, const std::string& text) const {
    std::ofstream(path_ / file) << text;
    return (path_ / file).string();
  }

 private:
  fs::path path_;
};

constexpr const char* kFingerprints = R"(# two classes, three entries
[class 5]
description=Linux
members=500-599

[class 8]
description=Printers
members=800-899

[os 505]
description=Ubuntu/Debian 5/Knoppix 6
fingerprints=<<EOT
1,28,2,3,15,6,119,12,44,47,26,121,42
EOT

[os 800]
description=HP Printer
fingerprints=<<EOT
1,3,44,6,7,12,15,22,54,58,59,69,18,144
EOT

[os 801]
description=Canon Printer
fingerprints=1,3,6,15,44,47
)";

constexpr const char* kPrinterPolicy = R"(portvakt: 1
name: printers
fingerprints: [fp.conf]
zones:
  printers: {vlan: 40}
  quarantine: {vlan: 999, quarantine: true}
classes:
  printer:
    zone: printers
    match:
      mdns: {services: [_ipp._tcp]}
      dhcp: {fingerprint: [printers]}
      oui: ["00:1e:0b"]
      cdp: {capabilities: [host, phone]}
    evidence: 2
    require: [mdns.services, [dhcp.fingerprint, oui]]
)";

TEST(EvidenceKeys, FingerprintDataCdpCapabilitiesAndRequireGroupsCompile) {
  TempDir dir("evidence-keys");
  dir.write("fp.conf", kFingerprints);
  CompileResult r = compilePolicyFile(dir.write("site.yaml", kPrinterPolicy));
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const tables::CompiledPolicy& p = *r.policy;
  ASSERT_EQ(p.dhcpFingerprints.size(), 3u);
  const tables::DhcpFingerprint* hp =
      p.findDhcpFingerprint(std::vector<uint8_t>{1, 3, 44, 6, 7, 12, 15, 22, 54, 58, 59, 69, 18, 144}.data(), 14);
  ASSERT_NE(hp, nullptr);
  EXPECT_EQ(hp->description, "HP Printer");
  EXPECT_EQ(hp->categories, std::vector<std::string>{"Printers"});
  const std::vector<uint8_t> prefix{1, 3, 44};
  EXPECT_EQ(p.findDhcpFingerprint(prefix.data(), prefix.size()), nullptr);  // exact lists only
  ASSERT_EQ(p.classes.size(), 1u);
  const tables::DeviceClass& c = p.classes[0];
  EXPECT_EQ(c.dhcpFingerprints, std::vector<std::string>{"printers"});
  EXPECT_EQ(c.cdpCapabilities, 0x80u | 0x10u);
  EXPECT_EQ(c.configuredSignals, 4);
  EXPECT_EQ(c.required, std::vector<tables::Signal>{tables::Signal::kMdnsService});
  ASSERT_EQ(c.requiredAnyOf.size(), 1u);
  EXPECT_EQ(c.requiredAnyOf[0], (std::vector<tables::Signal>{tables::Signal::kOui, tables::Signal::kDhcpFingerprint}));
  const std::string dump = p.dumpCanonical();
  EXPECT_NE(dump.find(" require=mdns.services require_one_of=oui,dhcp.fingerprint\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("  match cdp.capabilities host,phone\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("  match dhcp.fingerprint \"printers\"\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("fingerprints \"fp.conf\" lists=3 sha256="), std::string::npos) << dump;
  // The data file travels in the bundle: the daemon compiles it without the disk.
  EXPECT_TRUE(
      std::any_of(r.sources.begin(), r.sources.end(), [](const SourceText& s) { return s.path.ends_with("fp.conf"); }));
}

TEST(EvidenceKeys, TheFingerprintDataIsPartOfTheHash) {
  TempDir dir("evidence-hash");
  dir.write("fp.conf", kFingerprints);
  const std::string site = dir.write("site.yaml", kPrinterPolicy);
  CompileResult a = compilePolicyFile(site);
  dir.write("fp.conf",
            std::string(kFingerprints) + "\n[os 802]\ndescription=Xerox Printer\nfingerprints=1,28,3,15,6,12,44,78,79\n");
  CompileResult b = compilePolicyFile(site);
  ASSERT_TRUE(a.ok() && b.ok()) << b.diagnostics.format();
  EXPECT_NE(a.policy->contentHash, b.policy->contentHash);
}

TEST(EvidenceKeys, ABundleCarriesTheFingerprintFile) {
  TempDir dir("evidence-bundle");
  dir.write("fp.conf", kFingerprints);
  BundleRead read = readPolicyBundle(dir.write("site.yaml", kPrinterPolicy));
  ASSERT_TRUE(read.bundle) << read.diagnostics.format();
  std::vector<SourceText> files = read.bundle->files;
  CompileResult fromBundle = compilePolicySources(read.bundle->site, files);
  ASSERT_TRUE(fromBundle.ok()) << fromBundle.diagnostics.format();
  EXPECT_EQ(fromBundle.policy->dhcpFingerprints.size(), 3u);
  // Without the data file in the bundle: the daemon does not look on its disk.
  std::erase_if(files, [](const SourceText& s) { return s.path.ends_with("fp.conf"); });
  CompileResult missing = compilePolicySources(read.bundle->site, files);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.diagnostics.format().find("error[file-unreadable]: fingerprint file 'fp.conf' is not in the bundle"),
            std::string::npos)
      << missing.diagnostics.format();
}

TEST(EvidenceKeys, AnUnknownCategoryNamesTheKnownOnes) {
  TempDir dir("evidence-category");
  dir.write("fp.conf", kFingerprints);
  std::string policy = kPrinterPolicy;
  policy.replace(policy.find("[printers]"), 10, "[Printer]");
  CompileResult r = compilePolicyFile(dir.write("site.yaml", policy));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.diagnostics.format().find(
                "site.yaml:12:28: error[bad-value]: 'Printer' is not a category of the policy's fingerprint data "
                "(Linux, Printers)"),
            std::string::npos)
      << r.diagnostics.format();
}

// The warning names the class's own place, and only when a quarantine zone
// is where the device waits.
TEST(EvidenceKeys, EvidenceThatNeedsAnAddressIsAWarningOnlyWhereDevicesWaitInQuarantine) {
  TempDir dir("evidence-address");
  const std::string policy = R"(portvakt: 1
name: phones
zones:
  voice: {vlan: 20}
  lobby: {vlan: 30}
  quarantine: {vlan: 999, quarantine: true}
ports:
  - {name: up, interfaces: eth0, role: uplink, zones: [voice]}
  - {name: jacks, interfaces: eth1, role: access, zones: [voice, quarantine], default_zone: quarantine}
classes:
  phone:
    zone: voice
    match:
      lldp_med: {capabilities: [telephone]}
      sip: {user_agent: ["Yealink*"]}
    evidence: all
)";
  CompileResult r = compilePolicyFile(dir.write("site.yaml", policy));
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  EXPECT_EQ(r.diagnostics.warningCount(), 1) << r.diagnostics.format();
  EXPECT_NE(r.diagnostics.format().find(
                "site.yaml:11:3: warning[evidence-needs-address]: class 'phone' is never reached by a device waiting in "
                "quarantine zone 'quarantine': it needs 2 pieces of evidence and only 1 of its match rules "
                "(lldp_med.capabilities) can fire before the device has an address; sip.user_agent needs an IP address, "
                "which a device there never gets\n"),
            std::string::npos)
      << r.diagnostics.format();
  // Where unknown devices wait in a zone that gets addresses, SIP can arrive.
  std::string lobby = policy;
  lobby.replace(lobby.find("zones: [voice, quarantine], default_zone: quarantine"), 52,
                "zones: [voice, lobby, quarantine], default_zone: lobby, mode: monitor");
  CompileResult l = compilePolicyFile(dir.write("lobby.yaml", lobby));
  ASSERT_TRUE(l.ok()) << l.diagnostics.format();
  EXPECT_EQ(l.diagnostics.format().find("evidence-needs-address"), std::string::npos) << l.diagnostics.format();
  // A required kind that needs an address is reported as such.
  std::string required = policy;
  required.replace(required.find("evidence: all"), 13, "evidence: any\n    require: [sip.user_agent]");
  CompileResult q = compilePolicyFile(dir.write("required.yaml", required));
  EXPECT_NE(q.diagnostics.format().find("required.yaml:11:3: warning[evidence-needs-address]: class 'phone' is never "
                                        "reached by a device waiting in quarantine zone 'quarantine': it requires "
                                        "sip.user_agent;"),
            std::string::npos)
      << q.diagnostics.format();
}

}  // namespace
}  // namespace portvakt::policy
