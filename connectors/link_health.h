// What the gateway link says of itself (GatewayLink::Health()), apart from
// the link, so that the local HTTP API, which reports it, does not depend
// on the link's ZeroMQ session.
#pragma once

#include "gateway/core/status.h"

namespace regline::connector {

// What the link says of itself to the local HTTP API's GET /v1/health
// (any thread).
struct LinkHealth {
  bool connected = false;  // a session with the gateway is up
  // Why no session is opened while the inbox refuses writes (a full disk),
  // worded "no session with the gateway until the inbox takes writes again:
  // <the last Inbox::CheckWritable() failure, or the failed store before the
  // first check>". Ok when the link is not waiting for the inbox.
  Status inbox_wait;
};

}  // namespace regline::connector
