#pragma once
// The classify module's result type: a value or an Error, shaped like
// std::expected (which g++ 12 only ships for C++23) so callers can switch to it
// later without changing call sites. Errors are the module's one tier: a message
// and, where it applies, the index of the rule or line at fault.

#include <optional>
#include <string>
#include <utility>
#include "policy/tables/expected.h"

namespace portvakt::classify {

struct Error {
  std::string message;
  long index = -1;  // rule index or 1-based line number; -1 when not about one item
};

template <class T>
using Expected = portvakt::Expected<T, Error>;

}  // namespace portvakt::classify
