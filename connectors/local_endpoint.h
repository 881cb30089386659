// LocalEndpoint: the connector's ZeroMQ ROUTER for the platform's own
// tools, speaking the session protocol's Frame format (one frame per
// message after the routing id).
//
//   C:SUBMIT{envelope} -> S:CONFIRM / S:ERROR
//     The envelope's sender must be the connector's identity and its kind
//     complaintStatistics, complianceAttestation or taxAssistanceResponse
//     (acknowledgements go as ACK frames; anything else is refused with
//     permissionDenied; one already expired, invalidArgument). CONFIRM
//     comes once the envelope is durable in the outbox, not yet at the
//     gateway: gatewaySeq is the outbox's sequence number, recipients are
//     the envelope's as given. Idempotent on the envelope id, like the
//     gateway. An unsigned envelope is signed with the platform's signing
//     key (when configured) before it is stored; a signed one is kept as
//     it came (the gateway verifies it).
//   C:ACK{deliverySeq, messageId, stage, reasonCode, reason, atMs}
//        -> S:ACK-RECEIPT / S:ERROR
//     A stage set by the platform's people (accepted, completed, rejected)
//     for a message in the inbox, recorded durably, then forwarded to the
//     gateway by the link. recordedMs is when the connector recorded it;
//     lateByMs is 0 (the gateway judges lateness).
//   C:HELLO -> S:READY, so that protocol::Client (and reglinectl) can be
//     pointed at the connector; not required. The identity must be the
//     connector's. HEARTBEAT, CREDIT and BYE are accepted and ignored;
//     QUERY and frames only a gateway sends are refused.
//
// Security: there is no authentication on this socket. It binds to
// loopback by default (tcp://127.0.0.1:*); bind it elsewhere only behind
// the platform's own access control (an ipc:// path with file permissions
// is a good choice).
//
// Threads: Start() binds, writes the bound endpoint to the endpoint file
// and runs the loop on its own thread, which owns the socket. Outbox
// commits come back through a queue and an eventfd. Stop() refuses nothing
// already received: it answers every submission still being committed,
// then closes the socket and joins.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "gateway/core/files.h"
#include "connectors/inbox.h"
#include "connectors/outbox.h"
#include "gateway/core/clock.h"
#include "gateway/identity/signature_check.h"
#include "schemas/session.capnp.h"

namespace regline::connector {

// Checks an envelope a platform tool hands in for the gateway (sent by
// `identity`, of a forwardable kind, not expired at `now_ms`) and, when it
// came unsigned and `signer` is set, signs it: `out` is then ready for
// Outbox::Submit. out.id is set once the envelope decoded (for errors).
// kInvalidArgument, kPermissionDenied (a kind the connector does not
// forward), or the signer's failure. Used by the local endpoint and the
// local HTTP API.
Status PrepareUpstream(std::string_view envelope, const std::string& identity, size_t max_bytes,
                       const identity::Signer* signer, int64_t now_ms, Submission& out);

struct LocalEndpointOptions {
  std::string bind = "tcp://127.0.0.1:*";
  std::string identity;  // the platform's identity: the only sender allowed
  uint32_t max_frame_bytes = 16u << 20;
  std::string endpoint_file;      // where the bound endpoint is written
  std::string version = "0.0.0";  // for READY.gatewayVersion
  // Signs submitted envelopes that arrive unsigned (one already signed is
  // forwarded as it is); nullptr: forwarded as they come (development
  // mode). Must outlive the endpoint.
  const identity::Signer* signer = nullptr;
};

class LocalEndpoint {
 public:
  LocalEndpoint(LocalEndpointOptions options, zmq::context_t& context, Inbox& inbox, Outbox& outbox,
                std::function<void()> on_upstream, const Clock& clock);
  ~LocalEndpoint();
  LocalEndpoint(const LocalEndpoint&) = delete;
  LocalEndpoint& operator=(const LocalEndpoint&) = delete;

  // Binds and starts; kIOError when the endpoint cannot be bound or the
  // endpoint file written.
  Status Start();
  // The bound endpoint (with the real port).
  const std::string& endpoint() const { return endpoint_; }
  void Stop();

 private:
  void Loop();
  void Handle(const std::string& rid, const std::string& body);
  void OnHello(const std::string& rid, schema::Hello::Reader hello);
  void OnSubmit(const std::string& rid, schema::Submit::Reader submit);
  void OnAck(const std::string& rid, schema::Ack::Reader ack);
  void Send(const std::string& rid, const std::string& frame);
  void Post(std::function<void()> completion);  // any thread
  void RunCompletions();

  const LocalEndpointOptions options_;
  Inbox& inbox_;
  Outbox& outbox_;
  std::function<void()> on_upstream_;
  const Clock& clock_;
  zmq::socket_t router_;
  std::string endpoint_;
  UniqueFd wake_;  // eventfd: completions posted or stop requested
  std::atomic<bool> stopping_{false};

  std::mutex completions_mu_;  // guards completions_
  std::deque<std::function<void()>> completions_;

  int outstanding_ = 0;  // submissions at the outbox; loop thread only
  uint64_t next_session_ = 1;
  std::thread thread_;
};

}  // namespace regline::connector
