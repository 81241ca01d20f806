// karlstad_policy.h builds the compiled Vårdcentral Karlstad policy in code,
// because this binary must not link the YAML compiler. This test keeps it
// honest: the device-related sections of its canonical dump must equal what
// the real compiler makes of examples/vardcentral-karlstad.yaml, run as the
// `portvakt` binary (PORTVAKT_BIN). Skipped when the binary is not built,
// unless CI=true.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tests/dataplane/fingerprint/karlstad_policy.h"
#include "tests/support/ci.h"

namespace portvakt::fingerprint {
namespace {

// The lines that matter to device classification.
std::string deviceSections(const std::string& dump) {
  std::istringstream in(dump);
  std::string line, out;
  bool inClass = false;
  while (std::getline(in, line)) {
    const bool classLine = line.rfind("class ", 0) == 0;
    if (classLine) inClass = true;
    else if (line.rfind("  ", 0) != 0) inClass = false;
    const bool deviceTest = line.rfind("test ", 0) == 0 && line.find("\" device ") != std::string::npos;
    if (classLine || (inClass && line.rfind("  match ", 0) == 0) || line.rfind("zone ", 0) == 0 ||
        line.rfind("port ", 0) == 0 || line.rfind("inventory ", 0) == 0 || line.rfind("pin ", 0) == 0 || deviceTest)
      out += line + "\n";
  }
  return out;
}

TEST(CompiledExample, HandBuiltKarlstadPolicyMatchesTheCompiler) {
  const char* env = std::getenv("PORTVAKT_BIN");
  const std::string bin = env ? env : std::string(PORTVAKT_BINARY_DIR) + "/control/portvakt";
  PORTVAKT_REQUIRE(std::filesystem::exists(bin),
                   "portvakt binary not found at " << bin << " (build the 'portvakt' target to run this check)");
  const std::string command = bin + " policy compile examples/vardcentral-karlstad.yaml --dump 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string compiled;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) compiled.append(buffer.data(), n);
  ASSERT_EQ(pclose(pipe), 0) << compiled;
  const std::string expected = deviceSections(compiled);
  ASSERT_NE(expected.find("class eklient"), std::string::npos) << compiled;
  EXPECT_EQ(deviceSections(testing::karlstadPolicy().dumpCanonical()), expected);
}

}  // namespace
}  // namespace portvakt::fingerprint
