#pragma once
// ClassBench rule sets and traces (format: ../shared/classbench/README.md), and
// the replay behind `portvakt classbench RULES TRACE`.
//
// Rules: `@SRC/LEN DST/LEN SLO : SHI DLO : DHI PROTO/MASK FLAGS/MASK`, one a line,
// highest priority first; rule i is line i (0-based) of the file, which is also
// its index in the classifier. Protocol masks other than 0x00 (any) and 0xFF
// (exact) are rejected; the TCP-flags column is ignored, as the README says.
// Host bits beyond a prefix's length are cleared rather than rejected (the
// generator writes a few such prefixes; they mean the same set of addresses).
// Trace: `SRC DST SPORT DPORT PROTO FIRST_RULE`, decimal; FIRST_RULE is the
// 0-based index of the first rule that matches (-1 or absent rule: no match).
// ClassBench has no zone, so keys use zone 0 and rules leave zone unset.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "dataplane/classify/expected.h"
#include "dataplane/classify/rule.h"

namespace portvakt::classify {

struct ClassbenchHeader {
  FlowKey key;
  int32_t firstRule = kNoMatch;
};

// Parse errors name the 1-based line (Error::index).
Expected<std::vector<Rule>> parseClassbenchRules(std::istream& in);
Expected<std::vector<ClassbenchHeader>> parseClassbenchTrace(std::istream& in);
// As above from a file; an unreadable file is an Error whose message says so.
Expected<std::vector<Rule>> loadClassbenchRules(const std::string& path);
Expected<std::vector<ClassbenchHeader>> loadClassbenchTrace(const std::string& path);

struct ClassbenchOptions {
  int replays = 3;          // whole-trace replays timed; the median is reported
  bool linear = false;      // replay through the linear reference instead
  int showMismatches = 10;  // mismatching headers printed before the summary
  bool describe = false;    // print the classifier's shape
};

struct ClassbenchResult {
  size_t lookups = 0;  // one replay's lookups (the trace length)
  size_t mismatches = 0;
  double mlookupsPerS = 0;
  double buildMs = 0;
  double bytesPerRule = 0;
};

// Exit codes of runClassbench, as the CLI uses them.
inline constexpr int kClassbenchOk = 0;
inline constexpr int kClassbenchMismatch = 1;
inline constexpr int kClassbenchUnreadable = 3;

// Loads both files, compiles the rules with Classifier::build (the compiler the
// policy uses), replays the trace, checks every answer, and prints to `out`
// ending with exactly one summary line:
//   lookups=N mismatches=M mlookups_per_s=X build_ms=Y bytes_per_rule=Z
// Problems (unreadable or malformed file) go to `err`. Returns kClassbenchOk,
// kClassbenchMismatch or kClassbenchUnreadable; *result gets the figures.
int runClassbench(const std::string& rulesPath, const std::string& tracePath, std::ostream& out, std::ostream& err,
                  const ClassbenchOptions& options = {}, ClassbenchResult* result = nullptr);

}  // namespace portvakt::classify
