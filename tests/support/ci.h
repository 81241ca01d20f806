#pragma once
// Skip or fail: a test that cannot run here (no root, a tool or shared data
// missing) is skipped with its reason outside CI, and fails under CI=true,
// where everything it needs is installed (./run deps) and it runs as root.
// The shell tests do the same through tests/support/lab.bash (exit 77).

#include <cstdlib>
#include <string_view>

#include <gtest/gtest.h>

namespace portvakt::testing {

inline bool inCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

}  // namespace portvakt::testing

// PORTVAKT_REQUIRE(condition, reason): the reason is streamed (`"x at " << path`).
// Outside CI an unmet condition skips the test; under CI=true it fails it.
#define PORTVAKT_REQUIRE(cond, why)                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      if (::portvakt::testing::inCi()) FAIL() << why << " (CI=true: a failure)"; \
      GTEST_SKIP() << why;                                                       \
    }                                                                            \
  } while (0)
