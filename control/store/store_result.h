#pragma once
// The store module's result type: a value or an Error, shaped like
// std::expected (g++ 12 has no std::expected) so call sites can switch later.
// One error tier for the module: a code the daemon can branch on (refuse to
// start on kNotPortvakt/kTooNew/kCorrupt, retry on kBusy) and a message that
// names the file and what was wrong, written for the operator.

#include <string>
#include <utility>
#include "policy/tables/expected.h"

namespace portvakt::store {

enum class ErrorCode {
  kNotADatabase,  // the file is not SQLite at all (or is encrypted/truncated header)
  kNotPortvakt,   // an SQLite file that belongs to another program
  kTooNew,        // written by a newer portvakt; we will not downgrade it
  kCorrupt,       // SQLite says the file is damaged (integrity/quick check failed)
  kIo,            // cannot open/create/read/write the file (permissions, disk full)
  kBusy,          // another process holds a lock longer than the busy timeout
  kNotFound,      // the requested row does not exist
  kInvalid,       // the caller passed something the store refuses (bad MAC, empty id)
  kInternal,      // any other SQLite error
};
const char* toString(ErrorCode c);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <typename T>
using Result = portvakt::Expected<T, Error>;

using Status = Result<void>;

}  // namespace portvakt::store
