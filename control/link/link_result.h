#pragma once
// The link module's result type: a value or an Error (std::expected shaped;
// g++ 12 has none). The code lets the daemon branch (a missing interface is
// a configuration problem; kPermission means it was not started with
// CAP_NET_ADMIN); the message names the interface and is written for the
// operator.

#include <string>
#include <utility>
#include "policy/tables/expected.h"

namespace portvakt::link {

enum class ErrorCode {
  kNotFound,    // no interface with that name (in this network namespace)
  kPermission,  // the kernel refused: needs CAP_NET_ADMIN
  kNetlink,     // any other netlink/libnl failure
};

struct Error {
  ErrorCode code = ErrorCode::kNetlink;
  std::string message;
};

template <typename T>
using Result = portvakt::Expected<T, Error>;

using Status = Result<void>;

}  // namespace portvakt::link
