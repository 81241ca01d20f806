#pragma once
// The fingerprint module's result type for loading knowledge files: a value
// or a LoadError, shaped like std::expected (g++ 12 has none) so call sites
// can switch later. Loading happens at start-up and on reload, never per
// frame; the per-frame path has no errors to return.

#include <string>
#include <utility>
#include <variant>

namespace portvakt::fingerprint {

struct LoadError {
  std::string path;  // the file (or the name given for in-memory text)
  size_t line = 0;   // 1-based; 0 when the error is about the whole file
  std::string message;
  // "path:line: message", the form editors and CI logs link to.
  std::string toString() const {
    return path + (line ? ":" + std::to_string(line) : std::string()) + ": " + message;
  }
};

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}      // NOLINT: implicit like std::expected
  Expected(LoadError error) : v_(std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const LoadError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, LoadError> v_;
};

}  // namespace portvakt::fingerprint
