// Connector: the regline-connector daemon's engine, wiring its parts.
//
// Start() brings them up in dependency order; Stop() takes them down in
// reverse:
//   1. the data directory and its lock (one daemon per data directory)
//   2. the inbox (<data_dir>/inbox.db) and the outbox (<data_dir>/outbox.db)
//   3. the sink (spool directory or command), and the signature verifier
//      over the registry copy ([security] registry)
//   4. the sink worker thread
//   5. the gateway link thread (session, deliveries, acks, outbox)
//   6. the local endpoint thread (platform tools' SUBMIT and ACK), which
//      writes <data_dir>/connector.endpoint
// Stop(): the local endpoint answers what it took and closes; the sink
// worker finishes the hand-over in progress; the link sends what is due
// (for at most a few seconds) and says BYE; the outbox commits what is
// queued. Everything not sent stays durable for the next start.
//
// Threads: Start, Run and Stop from main(); RequestStop() from anywhere,
// including a signal handler.
#pragma once

#include <atomic>
#include <memory>
#include <zmq.hpp>

#include "connectors/config.h"
#include "connectors/gateway_link.h"
#include "connectors/http_api.h"
#include "connectors/inbox.h"
#include "connectors/local_endpoint.h"
#include "connectors/outbox.h"
#include "connectors/outcome_handoff.h"
#include "connectors/signature_verifier.h"
#include "connectors/sink.h"
#include "connectors/sink_worker.h"
#include "gateway/core/clock.h"
#include "gateway/core/files.h"

namespace regline::connector {

class Connector {
 public:
  Connector(ConnectorConfig config, const Clock& clock, std::string version);
  ~Connector();
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // kIOError, kCorruption, kFailedPrecondition (another connector holds the
  // data directory), kInvalidArgument with the reason; what was started is
  // stopped again on failure.
  Status Start();
  // Blocks until RequestStop().
  void Run();
  // Async-signal-safe.
  void RequestStop();
  // Idempotent.
  void Stop();

  // The local endpoint's bound address; empty before Start().
  std::string local_endpoint() const;

 private:
  void PruneRetained();  // one retention pass (Run's thread)

  ConnectorConfig config_;
  const Clock& clock_;
  std::string version_;
  UniqueFd stop_fd_;  // eventfd written by RequestStop
  UniqueFd lock_fd_;  // <data_dir>/connector.lock, flock'ed while running
  zmq::context_t context_;
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<SignatureVerifier> verifier_;  // used by the sink worker's thread; null: no check
  std::unique_ptr<OutcomeHandoff> handoff_;      // the sink worker's outcomes into the link's writes
  std::unique_ptr<DeliveryWorker> worker_;       // a SinkWorker over sink_, or a WebhookWorker (no sink_)
  std::unique_ptr<GatewayLink> link_;
  std::unique_ptr<LocalEndpoint> local_;
  std::unique_ptr<HttpApi> http_api_;  // when [http_api] is configured
  bool stopped_ = false;
};

}  // namespace regline::connector
