// Fingerprint knowledge loaders: Fingerbank's dhcp_fingerprints.conf (from
// ../shared, skipped with a message when absent unless CI=true), portvakt's
// own supplement, the IEEE OUI registry, and bad files with line numbers.
#include "dataplane/fingerprint/fingerprint_db.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/support/ci.h"

namespace portvakt::fingerprint {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFingerbank = "../shared/fingerprints/fingerbank/dhcp_fingerprints.conf";
constexpr const char* kUnidentified = "../shared/fingerprints/fingerbank/unidentified_dhcp_fingerprints.csv";
constexpr const char* kSupplement = "dataplane/fingerprint/data/portvakt_dhcp_fingerprints.conf";

#define REQUIRE_DATA(path, what)                                                                           \
  PORTVAKT_REQUIRE(fs::exists(path), what << " not found at " << (path) << " (run from the project root; " \
                                          << "see docs/fingerprinting.md)")

std::vector<uint8_t> codes(std::string_view text) {
  std::vector<uint8_t> out;
  std::stringstream s{std::string(text)};
  std::string item;
  while (std::getline(s, item, ',')) out.push_back(static_cast<uint8_t>(std::stoi(item)));
  return out;
}

FingerprintDb loadShipped() {
  FingerprintDb db;
  auto supplement = db.addFingerbankFile(kSupplement);
  EXPECT_TRUE(supplement) << supplement.error().toString();
  if (fs::exists(kFingerbank)) {
    auto fb = db.addFingerbankFile(kFingerbank);
    EXPECT_TRUE(fb) << fb.error().toString();
  }
  return db;
}

TEST(FingerprintDb, SupplementKnowsWindows10And11) {
  REQUIRE_DATA(kSupplement, "portvakt's fingerprint supplement");
  FingerprintDb db;
  auto stats = db.addFingerbankFile(kSupplement);
  ASSERT_TRUE(stats) << stats.error().toString();
  const OsFingerprint* os = db.lookup(codes("1,3,6,15,31,33,43,44,46,47,119,121,249,252"));
  ASSERT_NE(os, nullptr);
  EXPECT_EQ(os->description, "Microsoft Windows 10/11");
  EXPECT_TRUE(inCategory(*os, "windows"));
  EXPECT_EQ(os->source, "portvakt_dhcp_fingerprints.conf");
  EXPECT_EQ(db.lookup(codes("3,1,6,15,31,33,43,44,46,47,119,121,249,252")), nullptr) << "order matters";
}

TEST(FingerprintDb, FingerbankExplainsClinicDevices) {
  REQUIRE_DATA(kFingerbank, "Fingerbank dhcp_fingerprints.conf");
  FingerprintDb db = loadShipped();
  FingerprintDb fbOnly;
  auto stats = fbOnly.addFingerbankFile(kFingerbank);
  ASSERT_TRUE(stats) << stats.error().toString();
  EXPECT_EQ(stats->osEntries, 238u);  // grep -c '^\[os' dhcp_fingerprints.conf
  EXPECT_GT(stats->lists, 450u);
  EXPECT_EQ(stats->duplicateLists, 1u);  // one list is listed under os 500 and os 516

  struct Row {
    const char* list;
    const char* description;
    const char* category;
  };
  const Row rows[] = {
      {"1,3,6,15,31,33,43,44,46,47,119,121,249,252", "Microsoft Windows 10/11", "Windows"},  // supplement wins
      {"1,15,3,6,44,46,47,31,33,121,249,43", "Microsoft Windows Vista/7 or Server 2008 (Version 6.0)", "Windows"},
      {"1,28,2,3,15,6,119,12,44,47,26,121,42", "Ubuntu/Debian 5/Knoppix 6", "Linux"},
      {"1,66,6,3,15,150,35", "Cisco IP Phone", "VoIP Phones/Adapters"},
      {"1,2,3,4,6,7,12,15,28,42,66,67,43,120", "XIAMEN YEALINK NETWORK TECHNOLOGY", "VoIP Phones/Adapters"},
      {"1,3,6,15,66,69,43,176", "Avaya IP Phone", "VoIP Phones/Adapters"},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.list);
    const OsFingerprint* os = db.lookup(codes(r.list));
    ASSERT_NE(os, nullptr);
    EXPECT_EQ(os->description, r.description);
    EXPECT_TRUE(inCategory(*os, r.category)) << (os->categories.empty() ? "-" : os->categories.front());
  }
  const OsFingerprint* cisco = db.lookupVendorClass("Cisco Systems, Inc. IP Phone CP-7960G");
  ASSERT_NE(cisco, nullptr);
  EXPECT_EQ(cisco->description, "Cisco IP Phone");
  // An os listed in two classes (102-106 are Windows and "Dead OSes") has both.
  const OsFingerprint* me = db.lookup(codes("1,15,3,6,44,46,47,31,33,43,77"));
  ASSERT_NE(me, nullptr);
  EXPECT_TRUE(inCategory(*me, "Windows"));
  EXPECT_TRUE(inCategory(*me, "Dead OSes"));
}

// unidentified_dhcp_fingerprints.csv holds real option-55 lists that were
// unclassified when it was exported; the .conf later classified some of them.
// Oracle: a list is known exactly when it appears as a line of the .conf
// (read here as plain text), and the rest form an "unknown device" set.
TEST(FingerprintDb, UnidentifiedListsAgreeWithTheConfText) {
  REQUIRE_DATA(kFingerbank, "Fingerbank dhcp_fingerprints.conf");
  REQUIRE_DATA(kUnidentified, "Fingerbank unidentified_dhcp_fingerprints.csv");
  FingerprintDb db = loadShipped();
  std::set<std::string> confLines;
  {
    std::ifstream conf(kFingerbank);
    std::string line;
    while (std::getline(conf, line)) {
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
      if (!line.empty() && line.find_first_not_of("0123456789,") == std::string::npos) confLines.insert(line);
    }
  }
  std::ifstream in(kUnidentified);
  std::string line;
  std::getline(in, line);  // header
  size_t checked = 0, unknown = 0;
  while (std::getline(in, line)) {
    std::string field = line.substr(0, line.find('\t'));
    if (field.size() >= 2 && field.front() == '"') field = field.substr(1, field.size() - 2);
    if (field.empty()) continue;
    ++checked;
    const bool known = db.lookup(codes(field)) != nullptr;
    EXPECT_EQ(known, confLines.count(field) == 1) << field;
    if (!known) ++unknown;
  }
  EXPECT_GT(checked, 25u);
  EXPECT_GE(unknown, 20u);
}

struct BadFile {
  const char* description;
  const char* text;
  size_t line;
  const char* message;
};

TEST(FingerprintDb, BadFilesNameTheLine) {
  const BadFile rows[] = {
      {"text outside a section", "description=x\n", 1, "outside a [class N] or [os N] section"},
      {"unknown section", "# c\n[device 3]\n", 2, "unknown section 'device'"},
      {"section without id", "[os]\n", 1, "must be [class N] or [os N]"},
      {"bad option code", "[os 1]\ndescription=x\nfingerprints=<<EOT\n1,3,6\n1,300,6\nEOT\n", 5, "option codes 0-255"},
      {"empty code", "[os 1]\nfingerprints=1,,3\n", 2, "option codes 0-255"},
      {"here-document not closed", "[os 1]\nfingerprints=<<EOT\n1,3,6\n", 2, "not closed by EOT"},
      {"duplicate os", "[os 1]\ndescription=a\n[os 1]\ndescription=b\n", 3, "defined twice (first at line 1)"},
      {"unknown key", "[os 1]\ncolour=blue\n", 2, "unknown key 'colour'"},
      {"bad members", "[class 1]\nmembers=100-x\n", 2, "members must be ids or ranges"},
      {"reversed range", "[class 1]\nmembers=199-100\n", 2, "members must be ids or ranges"},
      {"not key=value", "[os 1]\njust words\n", 2, "expected key=value"},
  };
  for (const BadFile& r : rows) {
    SCOPED_TRACE(r.description);
    FingerprintDb db;
    auto result = db.addFingerbankText(r.text, "bad.conf");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().path, "bad.conf");
    EXPECT_EQ(result.error().line, r.line) << result.error().toString();
    EXPECT_NE(result.error().message.find(r.message), std::string::npos) << result.error().toString();
    EXPECT_TRUE(db.empty()) << "a rejected file adds nothing";
  }
}

TEST(FingerprintDb, LimitsAreEnforced) {
  KnowledgeLimits small;
  small.maxLineLength = 32;
  FingerprintDb db;
  auto longLine = db.addFingerbankText("[os 1]\nfingerprints=" + std::string(64, '1') + "\n", "long.conf", small);
  ASSERT_FALSE(longLine);
  EXPECT_EQ(longLine.error().line, 2u);

  small = {};
  small.maxEntries = 2;
  auto many = db.addFingerbankText("[os 1]\n[os 2]\n[os 3]\n", "many.conf", small);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().line, 3u);

  std::string huge = "[os 1]\nfingerprints=";
  for (int i = 0; i < 256; ++i) huge += (i ? ",1" : "1");
  auto tooManyCodes = db.addFingerbankText(huge + "\n", "codes.conf");
  ASSERT_FALSE(tooManyCodes);
  EXPECT_NE(tooManyCodes.error().message.find("more than 255"), std::string::npos);

  small = {};
  small.maxFileBytes = 10;
  auto big = db.addFingerbankFile(kSupplement, small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().line, 0u);
  EXPECT_NE(big.error().message.find("more than the limit"), std::string::npos) << big.error().toString();

  auto missing = db.addFingerbankFile("/nonexistent/dhcp_fingerprints.conf");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().toString().find("/nonexistent/dhcp_fingerprints.conf: cannot read"), std::string::npos);
}

TEST(FingerprintDb, EarlierFileKeepsAList) {
  FingerprintDb db;
  ASSERT_TRUE(db.addFingerbankText(
      "[class 1]\ndescription=Phones\nmembers=1-9\n[os 1]\ndescription=First\nfingerprints=1,2,3\n", "a"));
  auto second =
      db.addFingerbankText("[os 1]\ndescription=Second\nfingerprints=<<EOT\n# comment inside\n1,2,3\n4,5\nEOT\n", "b");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->duplicateLists, 1u);
  EXPECT_EQ(db.lookup(codes("1,2,3"))->description, "First");
  EXPECT_TRUE(inCategory(*db.lookup(codes("1,2,3")), "phones"));
  EXPECT_EQ(db.lookup(codes("4,5"))->description, "Second");
  EXPECT_TRUE(db.lookup(codes("4,5"))->categories.empty()) << "class ids are scoped to their file";
}

TEST(OuiRegistry, IeeeDataVendors) {
  REQUIRE_DATA(std::string(kDefaultOuiPath), "IEEE OUI registry (Debian package ieee-data)");
  OuiRegistry oui;
  auto n = oui.loadFile(std::string(kDefaultOuiPath));
  ASSERT_TRUE(n) << n.error().toString();
  EXPECT_GT(*n, 30000u);
  EXPECT_EQ(oui.vendor(0x0004f2), "Polycom");
  EXPECT_NE(oui.vendor(0x805ec0).find("YEALINK"), std::string_view::npos);
  EXPECT_EQ(oui.vendor(0x305075), "GN Audio A/S");  // Jabra
  EXPECT_EQ(oui.vendor(0x3c5282), "Hewlett Packard");
  EXPECT_EQ(oui.vendor(0x020000), "");  // locally administered: not assigned
}

TEST(OuiRegistry, BadLinesAndEmptyFiles) {
  OuiRegistry oui;
  auto ok = oui.loadText("00-04-F2   (hex)\t\tPolycom\r\n0004F2     (base 16)\t\tPolycom\r\n\t\t\t\tSomewhere\r\n", "t");
  ASSERT_TRUE(ok) << ok.error().toString();
  EXPECT_EQ(*ok, 1u);
  EXPECT_EQ(oui.vendor(0x0004f2), "Polycom");
  auto bad = oui.loadText("00-04-F2   (hex)\t\tPolycom\n00-04-G2   (hex)\t\tNobody\n", "oui.txt");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().toString().substr(0, 10), "oui.txt:2:");
  EXPECT_EQ(oui.vendor(0x0004f2), "Polycom") << "a rejected file keeps the loaded registry";
  auto empty = oui.loadText("nothing here\n", "empty.txt");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("no OUI entries"), std::string::npos);
}

}  // namespace
}  // namespace portvakt::fingerprint
