#pragma once
// The store module's result type: a value or an Error, shaped like
// std::expected (g++ 12 has no std::expected) so call sites can switch later.
// One error tier for the module: a code the daemon can branch on (refuse to
// start on kNotPortvakt/kTooNew/kCorrupt, retry on kBusy) and a message that
// names the file and what was wrong, written for the operator.

#include <string>
#include <utility>
#include <variant>

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
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit like std::expected
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

// For calls that return nothing but can fail.
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

}  // namespace portvakt::store
