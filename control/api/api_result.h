#pragma once
// The api module's result type: a value or an Error (std::expected shaped;
// g++ 12 has none). One error tier: a message for the operator that names
// the file, address or request field and what is wrong.

#include <string>

#include "policy/tables/expected.h"

namespace portvakt::api {

struct Error {
  std::string message;
};

template <typename T>
using Result = portvakt::Expected<T, Error>;

using Status = Result<void>;

}  // namespace portvakt::api
