#pragma once
// The link module's result type: a value or an Error (std::expected shaped;
// g++ 12 has none). The code lets the daemon branch (a missing interface is
// a configuration problem; kPermission means it was not started with
// CAP_NET_ADMIN); the message names the interface and is written for the
// operator.

#include <string>
#include <utility>
#include <variant>

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
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}     // NOLINT: implicit like std::expected
  Result(Error error) : state_(std::move(error)) {}  // NOLINT
  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace portvakt::link
