#pragma once
// The dataplane's result type for what is checked or opened before frames
// flow (switch configs, classifier rules, ClassBench files, live ports and
// capture files): a value or an Error, shaped like std::expected (g++ 12 has
// none) so call sites can switch to it later. One definition for the modules
// that share it (classify, forward, engine, io);
// fingerprint keeps its LoadError, which names a file and line. The per-frame
// path has no errors to return: a bad frame is a counted drop, not an Error.

#include <string>

#include "policy/tables/expected.h"

namespace portvakt::dataplane {

struct Error {
  std::string message;
  long index = -1;  // rule index, 1-based line number or port index; -1 when not about one item
};

template <class T>
using Expected = portvakt::Expected<T, Error>;

using Status = Expected<void>;

}  // namespace portvakt::dataplane
