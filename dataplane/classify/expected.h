#pragma once
// The classify module's result type: a value or an Error, shaped like
// std::expected (which g++ 12 only ships for C++23) so callers can switch to it
// later without changing call sites. Errors are the module's one tier: a message
// and, where it applies, the index of the rule or line at fault.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace portvakt::classify {

struct Error {
  std::string message;
  long index = -1;  // rule index or 1-based line number; -1 when not about one item
};

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit like std::expected
  Expected(Error error) : v_(std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace portvakt::classify
