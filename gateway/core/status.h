// Status and Result<T>: expected failures as values.
//
// Every fallible call in Regline returns a Status (no value) or a Result<T>
// (a value or a Status). The code decides what a caller may do next: retry
// after back-off (kOverloaded, kUnavailable, kNoSpace, kIOError), give up
// and report (kInvalidArgument, kPermissionDenied, kAlreadyExists, ...), or
// treat the data as damaged (kCorruption). Library exceptions are caught at
// a module's edge and turned into a Status there; they never cross it.
//
// Values are cheap to copy when ok (no allocation) and safe to share
// between threads like any other value type.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace regline {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller's input is wrong; retrying will not help
  kNotFound,           // the named thing does not exist
  kAlreadyExists,      // an id was reused for different content
  kPermissionDenied,   // the caller may not do this
  kUnauthenticated,    // the caller's identity is unknown, revoked or not proven
  kInvalidSignature,   // a signature is missing, malformed or does not verify
  kFailedPrecondition, // not allowed in the current state (e.g. ack after reject)
  kOverloaded,         // a quota or queue is full; retry later, nothing was stored
  kNoSpace,            // the disk is full; retry once space is freed
  kIOError,            // the OS or SQLite failed to read or write
  kCorruption,         // stored data is damaged or of an unknown format
  kUnavailable,        // the component is stopping or not started
  kDisconnected,       // the peer went away
  kUnimplemented,      // not supported by this build or protocol version
  kInternal,           // a bug in Regline: please report it
};

// The stable lower-case name of a code, e.g. "overloaded".
std::string_view StatusCodeName(StatusCode code);

// True for codes after which the same request may succeed later unchanged.
bool IsRetryable(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "ok" or "<code name>: <message>".
  std::string ToString() const;

  // Prefixes the message with context: "opening store: <message>".
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
inline Status InvalidSignature(std::string m) { return {StatusCode::kInvalidSignature, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status Overloaded(std::string m) { return {StatusCode::kOverloaded, std::move(m)}; }
inline Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
inline Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value of type T, or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                // NOLINT: implicit on purpose
  Result(Status status) : v_(std::move(status)) {          // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result from an ok Status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // The failure; Status::Ok() when there is a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  // Callers must check ok() first; asking a failed Result for its value is a
  // bug in the caller.
  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace regline

// Returns early from the enclosing function when `expr` (a Status) fails.
#define REGLINE_RETURN_IF_ERROR(expr)        \
  do {                                       \
    ::regline::Status regline_s_ = (expr);   \
    if (!regline_s_.ok()) return regline_s_; \
  } while (0)
