// Result<T>: a value or an error (a message for people, a code for callers). Recoverable
// failures are return values, not exceptions, so callers on hot paths (alert parsing, rule
// evaluation) can branch cheaply. Callers branch on code(), never on the message's text.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace riposte {

// The kinds of failure that some caller handles differently from "it failed". Anything else
// is kUnspecified; add a code when a caller needs to tell a failure apart, not before.
enum class ErrorCode : uint8_t {
  kUnspecified = 0,
  kKeyExists,         // a create found the key holding a value (KV), or the object exists
  kWrongRevision,     // a compare-and-set lost: someone else wrote first
  kTimeout,           // no answer in time: the request may or may not have taken effect
  kNotFound,          // what was asked for does not exist
  kPermissionDenied,  // refused for lack of rights
  kUnavailable,       // not connected / no server: nothing was sent
};

struct Error {
  std::string message;
  ErrorCode code = ErrorCode::kUnspecified;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error err) : v_(std::move(err)) {}   // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<1>(v_).message; }
  ErrorCode code() const { return ok() ? ErrorCode::kUnspecified : std::get<1>(v_).code; }
  // The error itself, to pass on with its code: `if (!r) return r.err();`.
  const Error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status: Result without a value.
class Status {
 public:
  Status() = default;
  Status(Error err) : err_(std::move(err)), ok_(false) {}  // NOLINT
  static Status Ok() { return {}; }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& error() const { return err_.message; }
  ErrorCode code() const { return err_.code; }
  const Error& err() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

}  // namespace riposte
