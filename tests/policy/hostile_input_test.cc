// Huge or hostile policy files end with one clear error, in bounded time and
// memory, never a crash. The inputs are generated here, in a temporary
// directory, rather than committed (a 100 MB file does not belong in git).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "policy/compiler/compiler.h"

namespace portvakt::policy {
namespace {

namespace fs = std::filesystem;

class HostileInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("portvakt-hostile-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  // The only diagnostic must carry this code.
  static void expectSingleError(const CompileResult& r, const std::string& code) {
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.diagnostics.all().size(), 1u) << r.diagnostics.format();
    EXPECT_EQ(r.diagnostics.all()[0].code, code) << r.diagnostics.format();
  }

  fs::path dir_;
};

TEST_F(HostileInput, HundredMegabyteFileIsRejectedBeforeReading) {
  fs::path p = dir_ / "huge.yaml";
  { std::ofstream(p) << "portvakt: 1\n"; }
  fs::resize_file(p, 100u << 20);  // sparse: costs no disk, still 100 MB to a reader
  CompileResult r = compilePolicyFile(p.string());
  expectSingleError(r, "file-too-large");
  EXPECT_NE(r.diagnostics.format().find("104857600 bytes"), std::string::npos);
}

TEST_F(HostileInput, TenThousandDeepFlowNestingIsRejected) {
  std::string text = "portvakt: 1\nname: deep\nzones: " + std::string(10000, '[') + std::string(10000, ']') + "\n";
  CompileResult r = compilePolicyFile(write("deep.yaml", text));
  expectSingleError(r, "too-deep");
  EXPECT_EQ(r.diagnostics.all()[0].where.line, 3);
}

TEST_F(HostileInput, DeepBlockNestingIsRejected) {
  // 2,500 levels of indentation (10,000 would be 50 MB and hit the size cap first).
  std::string text = "portvakt: 1\nname: deep\n";
  for (int i = 0; i < 2500; ++i) text += std::string(static_cast<size_t>(i), ' ') + "k" + std::to_string(i) + ":\n";
  CompileResult r = compilePolicyFile(write("deep-block.yaml", text));
  expectSingleError(r, "too-deep");
}

TEST_F(HostileInput, DeepSequenceDashesAreRejected) {
  std::string text = "portvakt: 1\nname: deep\nflows:\n  ";
  for (int i = 0; i < 10000; ++i) text += "- ";
  text += "x\n";
  CompileResult r = compilePolicyFile(write("dashes.yaml", text));
  expectSingleError(r, "too-deep");
}

TEST_F(HostileInput, ExponentialAliasesStopAtTheNodeBudget) {
  // Nine levels of ten aliases each: 10^9 nodes if walked naively.
  std::string text = "portvakt: 1\nname: laughs\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += prev + (k < 9 ? ", " : "");
    text += "]\n";
  }
  text += "flows: *a9\n";
  CompileResult r = compilePolicyFile(write("laughs.yaml", text));
  ASSERT_FALSE(r.ok());
  // Unknown keys x0..x9 are reported, and the walk of *a9 under 'flows' ends
  // either at the node budget or at the first type error, never after 10^9 visits.
  EXPECT_LT(r.diagnostics.all().size(), 200u);
}

TEST_F(HostileInput, ExponentialAliasesInAWebhookBodyHitTheBudget) {
  // A webhook body takes any nesting of valid values, so no type error stops
  // the walk early: only the node budget does.
  std::string text =
      "portvakt: 1\nname: laughs\nzones:\n  lan: {vlan: 10}\n  q: {vlan: 999, quarantine: true}\n"
      "sinks:\n  desk:\n    type: webhook\n    url: \"https://d.example/\"\n    body:\n"
      "      l0: &a0 [\"{{event}}\", 1, true, null, x, y, z, w, v, u]\n";
  for (int i = 1; i < 10; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "      l" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += prev + (k < 9 ? ", " : "");
    text += "]\n";
  }
  auto start = std::chrono::steady_clock::now();
  CompileResult r = compilePolicyFile(write("body-laughs.yaml", text));
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  expectSingleError(r, "too-many-nodes");
  EXPECT_LT(seconds, 30.0);
}

TEST_F(HostileInput, ExponentialAliasesInAListOfStringsHitTheBudget) {
  // Lists of strings are walked element by element: a realistic alias bomb.
  std::string text =
      "portvakt: 1\nname: laughs\nzones:\n  lan:\n    vlan: 10\n    prefixes: &p0 [a, b, c, d, e, f, g, h, i, j]\n";
  std::string flows = "flows:\n";
  for (int i = 0; i < 2000; ++i) {
    flows += "  - {name: f" + std::to_string(i) + ", from: lan, to: *p0, except: *p0, proto: *p0, ports: *p0}\n";
  }
  CompileResult r = compilePolicyFile(write("many.yaml", text + flows));
  ASSERT_FALSE(r.ok());  // a..j are not targets; each is reported, bounded by the file's size
}

TEST_F(HostileInput, BinaryJunkIsNotText) {
  std::mt19937 rng(7);
  std::string junk(4096, '\0');
  for (char& c : junk) c = static_cast<char>(rng());
  CompileResult r = compilePolicyFile(write("junk.yaml", junk));
  expectSingleError(r, "not-text");
}

TEST_F(HostileInput, NulByteInsideAPolicyIsNamedByPosition) {
  std::string text = "portvakt: 1\nname: x\nzo";
  text += '\0';
  text += "nes: {}\n";
  CompileResult r = compilePolicyFile(write("nul.yaml", text));
  expectSingleError(r, "not-text");
  EXPECT_EQ(r.diagnostics.all()[0].where.line, 3);
  EXPECT_EQ(r.diagnostics.all()[0].where.column, 3);
}

TEST_F(HostileInput, DirectoryInsteadOfFile) {
  CompileResult r = compilePolicyFile(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics.all()[0].code, "file-unreadable");
}

TEST_F(HostileInput, RandomMutationsOfAnExampleNeverCrash) {
  std::ifstream in("examples/vardcentral-karlstad.yaml");
  std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(original.empty());
  std::mt19937 rng(42);
  const std::string alphabet = " :-[]{}&*!|>'\"#\n\tabc019";
  for (int round = 0; round < 300; ++round) {
    std::string text = original;
    for (int edits = 0; edits < 1 + round % 8; ++edits) {
      size_t pos = rng() % text.size();
      text[pos] = alphabet[rng() % alphabet.size()];
    }
    // Written beside the example so `extends` and the CSV still resolve.
    fs::path p = fs::path("examples") / (".mutated-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(p, std::ios::binary) << text;
    CompileResult r = compilePolicyFile(p.string());
    fs::remove(p);
    if (!r.ok()) {
      EXPECT_GT(r.diagnostics.errorCount(), 0);
      for (const Diagnostic& d : r.diagnostics.all()) EXPECT_FALSE(d.code.empty());
    }
  }
}

}  // namespace
}  // namespace portvakt::policy
