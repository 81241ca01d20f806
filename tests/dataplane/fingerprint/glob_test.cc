// Glob matching: * and ?, whole-string, case folding only where asked.
#include "dataplane/fingerprint/glob.h"

#include <gtest/gtest.h>

namespace portvakt::fingerprint {
namespace {

struct GlobCaseRow {
  const char* pattern;
  const char* text;
  GlobCase mode;
  bool match;
};

TEST(Glob, Table) {
  const GlobCaseRow rows[] = {
      {"MSFT 5.0", "MSFT 5.0", GlobCase::kSensitive, true},
      {"MSFT 5.0", "MSFT 5.0 ", GlobCase::kSensitive, false},  // whole string, not a prefix
      {"MSFT 5.0", "msft 5.0", GlobCase::kSensitive, false},
      {"MSFT 5.0", "msft 5.0", GlobCase::kInsensitive, true},
      {"Yealink SIP-*", "Yealink SIP-T54W 96.86.0.100", GlobCase::kSensitive, true},
      {"Yealink SIP-*", "yealink sip-t54w", GlobCase::kInsensitive, true},
      {"Yealink SIP-*", "Yealink", GlobCase::kInsensitive, false},
      {"*", "", GlobCase::kSensitive, true},
      {"", "", GlobCase::kSensitive, true},
      {"", "x", GlobCase::kSensitive, false},
      {"?", "", GlobCase::kSensitive, false},
      {"EK-KSD-????", "EK-KSD-0231", GlobCase::kSensitive, true},
      {"EK-KSD-????", "EK-KSD-02311", GlobCase::kSensitive, false},
      {"*Phone*", "Cisco IP Phone 7960", GlobCase::kSensitive, true},
      {"a*b*c", "aXbYbZc", GlobCase::kSensitive, true},
      {"a*b*c", "aXbYbZ", GlobCase::kSensitive, false},
      {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", GlobCase::kSensitive, false},
      {"**x", "abx", GlobCase::kSensitive, true},
      {"Poly*", "Polycom-SoundPoint", GlobCase::kSensitive, true},
      {"Poly*", "PolyVision", GlobCase::kSensitive, true},
      {"Poly*", "Apoly", GlobCase::kInsensitive, false},
  };
  for (const GlobCaseRow& r : rows) {
    EXPECT_EQ(globMatch(r.pattern, r.text, r.mode), r.match)
        << "pattern '" << r.pattern << "' text '" << r.text << "' insensitive=" << (r.mode == GlobCase::kInsensitive);
  }
}

TEST(Glob, EqualsIgnoreCase) {
  EXPECT_TRUE(equalsIgnoreCase("_IPP._tcp", "_ipp._TCP"));
  EXPECT_FALSE(equalsIgnoreCase("_ipp._tcp", "_ipps._tcp"));
}

}  // namespace
}  // namespace portvakt::fingerprint
