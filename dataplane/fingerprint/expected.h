#pragma once
// The fingerprint module's result type for loading knowledge files: a value
// or a LoadError, shaped like std::expected (g++ 12 has none) so call sites
// can switch later. Loading happens at start-up and on reload, never per
// frame; the per-frame path has no errors to return.

#include <string>
#include <utility>
#include "policy/tables/expected.h"

namespace portvakt::fingerprint {

struct LoadError {
  std::string path;  // the file (or the name given for in-memory text)
  size_t line = 0;   // 1-based; 0 when the error is about the whole file
  std::string message;
  // "path:line: message", the form editors and CI logs link to.
  std::string toString() const { return path + (line ? ":" + std::to_string(line) : std::string()) + ": " + message; }
};

template <class T>
using Expected = portvakt::Expected<T, LoadError>;

}  // namespace portvakt::fingerprint
