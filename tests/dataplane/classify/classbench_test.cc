// Exactness on the shared ClassBench rule sets: every header of every trace must
// get the rule the trace names, from the fast classifier and from the linear
// reference; plus the loader's error handling and the classbench replay.
#include "dataplane/classify/classbench.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dataplane/classify/classifier.h"
#include "dataplane/classify/linear_classifier.h"

namespace portvakt::classify {
namespace {

namespace fs = std::filesystem;

const char* const kSets[] = {"acl1_1K", "fw1_1K", "ipc1_1K", "acl1_10K", "fw1_10K", "ipc1_10K"};

fs::path dataDir() { return fs::path(PORTVAKT_SOURCE_DIR) / ".." / "shared" / "classbench"; }

class ClassbenchSet : public ::testing::TestWithParam<const char*> {};

TEST_P(ClassbenchSet, EveryTraceHeaderGetsTheNamedRule) {
  fs::path rulesPath = dataDir() / (std::string(GetParam()) + ".rules");
  fs::path tracePath = dataDir() / (std::string(GetParam()) + ".trace");
  if (!fs::exists(rulesPath) || !fs::exists(tracePath))
    GTEST_SKIP() << "ClassBench data not found at " << dataDir() << " (../shared/classbench)";
  auto rules = loadClassbenchRules(rulesPath.string());
  ASSERT_TRUE(rules) << rules.error().message;
  auto trace = loadClassbenchTrace(tracePath.string());
  ASSERT_TRUE(trace) << trace.error().message;
  ASSERT_GT(rules->size(), 100u);
  ASSERT_GT(trace->size(), 1000u);

  auto fast = Classifier::build(*rules);
  ASSERT_TRUE(fast) << fast.error().message;
  auto linear = LinearClassifier::build(*rules);
  ASSERT_TRUE(linear) << linear.error().message;
  size_t fastWrong = 0, linearWrong = 0, matched = 0;
  for (size_t i = 0; i < trace->size(); ++i) {
    const ClassbenchHeader& h = (*trace)[i];
    int32_t got = (*fast)->lookup(h.key);
    if (got != h.firstRule && ++fastWrong <= 5)
      ADD_FAILURE() << GetParam() << " trace line " << i + 1 << ": classifier says " << got << ", trace names "
                    << h.firstRule;
    if (got != kNoMatch) ++matched;
    int32_t ref = (*linear)->lookup(h.key);
    if (ref != h.firstRule && ++linearWrong <= 5)
      ADD_FAILURE() << GetParam() << " trace line " << i + 1 << ": linear reference says " << ref << ", trace names "
                    << h.firstRule;
  }
  EXPECT_EQ(fastWrong, 0u);
  EXPECT_EQ(linearWrong, 0u);
  EXPECT_GT(matched, trace->size() / 2) << "the trace should mostly hit rules";
  RecordProperty("shape", (*fast)->describe());
}

INSTANTIATE_TEST_SUITE_P(Shared, ClassbenchSet, ::testing::ValuesIn(kSets));

TEST(ClassbenchRun, ReplayPrintsSummaryLastAndExitsZero) {
  fs::path rulesPath = dataDir() / "acl1_1K.rules";
  fs::path tracePath = dataDir() / "acl1_1K.trace";
  if (!fs::exists(rulesPath)) GTEST_SKIP() << "ClassBench data not found at " << dataDir();
  std::ostringstream out, err;
  ClassbenchResult res;
  ClassbenchOptions opt;
  opt.replays = 1;
  int rc = runClassbench(rulesPath.string(), tracePath.string(), out, err, opt, &res);
  EXPECT_EQ(rc, kClassbenchOk) << out.str() << err.str();
  EXPECT_EQ(res.mismatches, 0u);
  EXPECT_GT(res.lookups, 1000u);
  std::string text = out.str();
  ASSERT_FALSE(text.empty());
  std::string last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  EXPECT_EQ(last.rfind("lookups=" + std::to_string(res.lookups) + " mismatches=0 mlookups_per_s=", 0), 0u) << last;
  EXPECT_NE(last.find(" build_ms="), std::string::npos);
  EXPECT_NE(last.find(" bytes_per_rule="), std::string::npos);
}

TEST(ClassbenchRun, WrongTraceAnswersAreMismatchesAndExitOne) {
  fs::path tmp = fs::temp_directory_path() / "portvakt_classbench_test";
  fs::create_directories(tmp);
  {
    std::ofstream r(tmp / "r.rules");
    r << "@10.0.0.0/8\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t\n"
         "@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\t\n";
    std::ofstream t(tmp / "t.trace");
    // 10.1.2.3 -> 1.2.3.4 tcp/80 is rule 0; the second line claims rule 0 for udp (wrong).
    t << "167838211\t16909060\t1234\t80\t6\t0\n167838211\t16909060\t1234\t80\t17\t0\n";
  }
  std::ostringstream out, err;
  ClassbenchResult res;
  int rc = runClassbench((tmp / "r.rules").string(), (tmp / "t.trace").string(), out, err, {}, &res);
  EXPECT_EQ(rc, kClassbenchMismatch);
  EXPECT_EQ(res.lookups, 2u);
  EXPECT_EQ(res.mismatches, 1u);
  EXPECT_NE(out.str().find("trace line 2"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("got rule 1"), std::string::npos) << out.str();

  std::ostringstream out2, err2;
  EXPECT_EQ(runClassbench((tmp / "missing.rules").string(), (tmp / "t.trace").string(), out2, err2),
            kClassbenchUnreadable);
  EXPECT_NE(err2.str().find("cannot open"), std::string::npos);
  fs::remove_all(tmp);
}

TEST(ClassbenchParse, RulesAndErrors) {
  std::istringstream ok("@192.168.1.7/24\t10.0.0.0/8\t1024 : 65535\t443 : 443\t0x11/0xFF\t0x0000/0x0000\t\n\n");
  auto rules = parseClassbenchRules(ok);
  ASSERT_TRUE(rules) << rules.error().message;
  ASSERT_EQ(rules->size(), 1u);
  const Rule& r = (*rules)[0];
  EXPECT_EQ(r.src->toString(), "192.168.1.0/24");  // host bits cleared
  EXPECT_EQ(r.dst->toString(), "10.0.0.0/8");
  EXPECT_EQ(r.srcPorts.low, 1024);
  EXPECT_EQ(r.dstPorts.high, 443);
  EXPECT_EQ(r.protocol, std::optional<uint8_t>(17));

  std::istringstream badMask("@1.2.3.4/32\t1.2.3.4/32\t0 : 1\t0 : 1\t0x06/0x0F\t0x0/0x0\n");
  auto e1 = parseClassbenchRules(badMask);
  ASSERT_FALSE(e1);
  EXPECT_EQ(e1.error().index, 1);
  std::istringstream badLen("\n@1.2.3.4/33\t1.2.3.4/32\t0 : 1\t0 : 1\t0x06/0xFF\t0x0/0x0\n");
  auto e2 = parseClassbenchRules(badLen);
  ASSERT_FALSE(e2);
  EXPECT_EQ(e2.error().index, 2);
  std::istringstream badPorts("@1.2.3.4/32\t1.2.3.4/32\t9 : 1\t0 : 1\t0x06/0xFF\t0x0/0x0\n");
  EXPECT_FALSE(parseClassbenchRules(badPorts));
  std::istringstream badTrace("1 2 3 4 6 0\n1 2 3 70000 6 0\n");
  auto e3 = parseClassbenchTrace(badTrace);
  ASSERT_FALSE(e3);
  EXPECT_EQ(e3.error().index, 2);
}

}  // namespace
}  // namespace portvakt::classify
