#include "gateway/core/status.h"

namespace regline {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kAlreadyExists: return "already_exists";
    case StatusCode::kPermissionDenied: return "permission_denied";
    case StatusCode::kUnauthenticated: return "unauthenticated";
    case StatusCode::kInvalidSignature: return "invalid_signature";
    case StatusCode::kFailedPrecondition: return "failed_precondition";
    case StatusCode::kOverloaded: return "overloaded";
    case StatusCode::kNoSpace: return "no_space";
    case StatusCode::kIOError: return "io_error";
    case StatusCode::kCorruption: return "corruption";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kDisconnected: return "disconnected";
    case StatusCode::kUnimplemented: return "unimplemented";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

bool IsRetryable(StatusCode code) {
  switch (code) {
    case StatusCode::kOverloaded:
    case StatusCode::kNoSpace:
    case StatusCode::kIOError:
    case StatusCode::kUnavailable:
    case StatusCode::kDisconnected:
      return true;
    default:
      return false;
  }
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(StatusCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

}  // namespace regline
