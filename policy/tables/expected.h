#pragma once
// One result type for the whole project: a value or a module's own error,
// shaped like std::expected (g++ 12 ships that only for C++23) so call sites
// can move to it unchanged. Each module keeps its one error tier and names the
// result after it, e.g. `template <class T> using Result = Expected<T, Error>;`.
// It lives beside the compiled tables because every module depends on them.

#include <utility>
#include <variant>

namespace portvakt {

template <class T, class E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit like std::expected
  Expected(E error) : v_(std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

// Success without a value, or an error (a "status").
template <class E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  Expected(E error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool has_value() const { return !failed_; }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const E& error() const { return error_; }

 private:
  E error_{};
  bool failed_ = false;
};

}  // namespace portvakt
