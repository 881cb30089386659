// The HTTP status a Status answers with, shared by the two JSON APIs (the
// gateway's console API, gateway/server/console_api.h, and the connector's
// local HTTP API, connectors/http_api.h) so that they agree.
#pragma once

#include "gateway/core/status.h"

namespace regline {

// 400 bad input (a bad signature included), 403, 404, 405 (kUnimplemented:
// the path exists, the method does not), 409 (exists already, or the state
// does not allow it), 503 (overloaded, disk full, unavailable: try again
// later), 500 for anything else.
inline int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidSignature:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnimplemented:
      return 405;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kOverloaded:
    case StatusCode::kNoSpace:
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace regline
