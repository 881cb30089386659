// Sink: where the connector hands each delivered message to the platform's
// systems, and what they answered.
//
// The sink worker (sink_worker.h) calls Deliver() for one message at a
// time, in delivery order, each message once; only after a crash between
// the hand-over and recording its outcome is a message handed over again,
// with the same JSON (so a spool file is rewritten under the same name).
//
// Deliver() returns the platform's verdict (accepted, completed, or
// rejected with a reason), which the connector records and acknowledges to
// the gateway; or a failed Status, meaning "not handed over, try again
// later" (a full disk, a timed-out command, an unreachable webhook): the
// worker retries the same message with back-off, and later messages wait
// so that order holds.
//
// Implementations: SpoolSink (spool_sink.h), CommandSink
// (command_sink.h), and a discard sink. The HTTPS webhook is not a Sink: it
// has many requests in flight and retries each apart, so it replaces the
// SinkWorker (webhook_worker.h).
//
// Threads: a Sink is used by one thread at a time (the sink worker).
#pragma once

#include <memory>
#include <string>

#include "connectors/config.h"
#include "connectors/inbox.h"
#include "gateway/core/status.h"

namespace regline::connector {

struct SinkOutcome {
  SinkVerdict verdict = SinkVerdict::kAccepted;
  std::string reason;  // for kRejected: why, in words (sent as Ack.reason)
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Hands `message` over; see the top of this file.
  virtual Result<SinkOutcome> Deliver(const InboxMessage& message) = 0;
  // For logs: "spool", "command".
  virtual std::string_view name() const = 0;
};

// Builds the sink `config` describes (creating a spool directory when
// needed). kInvalidArgument / kIOError with the reason.
Result<std::unique_ptr<Sink>> MakeSink(const SinkConfig& config);

}  // namespace regline::connector
