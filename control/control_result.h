#pragma once
// The result type of the control plane's parts (daemon, metrics,
// policy_views, and api through api_result.h): a value or an Error
// (std::expected shaped; g++ 12 has none). One error tier: a message for the
// operator or the API client that says what failed and where. The modules
// with errors of their own keep them (store::Error with its code,
// link::Error, DaemonError for portvaktd's exit code, policy's Diagnostics
// for file:line:col reports).

#include <string>

#include "policy/tables/expected.h"

namespace portvakt::control {

struct Error {
  std::string message;
};

template <typename T>
using Result = portvakt::Expected<T, Error>;

using Status = Result<void>;

}  // namespace portvakt::control
