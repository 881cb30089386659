// Gateway: the regline-gateway daemon's engine. A ZeroMQ ROUTER speaking
// the session protocol of schemas/session.capnp, over the durable store.
//
// Threads: Run() owns the ROUTER socket and every session; the store's
// writer thread (GroupCommitter) does all store work. The two meet through
// a queue of completions: the writer posts a closure when a commit or query
// finishes, and Run() executes it (sending CONFIRM, DELIVER, ...). Nothing
// else is shared. RequestStop() may be called from any thread or a signal
// handler.
//
// Guarantees: CONFIRM only after the group commit holding the submission
// returned; DELIVER never beyond the credit a session granted; a session
// that ends or goes silent for heartbeat_liveness intervals has its
// in-flight deliveries re-sent in its next session. A malformed frame gets
// S:ERROR and the gateway goes on serving everyone else.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include "gateway/core/clock.h"
#include "gateway/core/files.h"
#include "gateway/core/group_commit.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/frames.h"
#include "gateway/server/admin_http.h"
#include "gateway/server/audit_overview.h"
#include "gateway/server/config.h"
#include "gateway/server/metrics.h"
#include "gateway/server/verifier.h"

namespace regline::server {

class Gateway {
 public:
  Gateway(GatewayConfig config, const Clock& clock);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Opens the store and binds the listener. Writes the bound endpoint (with
  // the real port when the config says tcp://host:*) to
  // <data_dir>/gateway.endpoint. kIOError / kCorruption / kInvalidArgument
  // with the reason; nothing is left running on failure.
  Status Start();
  const std::string& endpoint() const { return endpoint_; }

  // Serves until RequestStop(); then refuses new frames, commits and
  // confirms what was already submitted, says BYE to every session and
  // returns.
  Status Run();
  void RequestStop();  // async-signal-safe
  // Re-reads the policy file (SIGHUP), on the loop's thread: a file that
  // fails to load is logged (policy_reload_failed, naming file, line and
  // key) and the running policy stays; a good one takes effect for the
  // next submission and is recorded in the audit chain. Async-signal-safe.
  void RequestPolicyReload();

 private:
  struct Session {
    uint64_t id = 0;
    std::string routing_id;
    std::string identity;
    identity::Role role = identity::Role::kPlatform;
    int64_t credit = 0;
    int64_t last_heard_ms = 0;
    int64_t last_sent_ms = 0;
    bool ready = false;          // READY sent
    bool lease_pending = false;  // a Lease is at the writer
    bool maybe_more = true;      // the queue may hold due deliveries
    uint64_t arrivals = 0;       // bumped when a message for this identity commits
  };

  void HandleMessage(std::string routing_id, std::string body, std::string_view authenticated);
  void OnHello(const std::string& rid, schema::Hello::Reader hello, std::string_view authenticated);
  // access.cc: the ZAP handler, registry reloads, signatures.
  Status StartCurve();
  void HandleZap();
  void MaybeReloadRegistry();
  void ApplyRegistry(identity::Registry next);
  // Authorization (authorization.h), and the registered key the envelope's
  // signature must verify with (nullopt: development mode, unsigned).
  Result<std::optional<crypto::PublicKey>> AuthorizeAndResolve(const Session& s, const Submission& sub,
                                                               const std::vector<std::string>& recipients,
                                                               std::string_view payload,
                                                               const identity::SignatureClaim& signature) const;
  // The registered key `claim` must verify with, after every other check
  // of it; nullopt in development mode for an unsigned identity without keys.
  Result<std::optional<crypto::PublicKey>> KeyToCheck(const identity::Identity& signer,
                                                      const identity::SignatureClaim& claim,
                                                      std::string_view what) const;
  // A signature still to be checked (on the verifier threads).
  struct PendingSignature {
    crypto::PublicKey key;
    std::string data;
    std::string signature;
    std::string what;  // names the signed thing in the refusal
  };
  // An ACK's signed acknowledgement, when it carries one (required with
  // CURVE for every stage after received): everything but the signature
  // bytes is checked here; what remains is returned (nullopt: nothing to
  // check).
  Result<std::optional<PendingSignature>> CheckAcknowledgement(const Session& s, schema::Ack::Reader ack,
                                                               const MessageId& id, AckStage stage) const;
  // On the writer thread: an acknowledgement found no delivery. If the
  // message exists but is not addressed to `identity`, that is
  // kPermissionDenied, not kNotFound.
  static Status WhyNotFound(Store& store, const std::string& identity, const MessageId& id, Status not_found);
  bool curve() const { return !config_.security.insecure_plaintext_for_development; }
  void OnSubmit(Session& s, schema::Submit::Reader submit);
  // One ACK as read off the wire and checked on the loop's thread.
  struct CheckedAck {
    uint64_t tag = 0;
    MessageId id;
    uint64_t number = 0;  // deliverySeq; 0: by message id alone
    AckStage stage = AckStage::kReceived;
    schema::AckStage wire_stage = schema::AckStage::UNSPECIFIED;
    std::string reason;
    std::string evidence;                       // the signed Acknowledgement envelope, if any
    std::optional<PendingSignature> signature;  // still to be verified
  };
  void OnAck(Session& s, schema::Ack::Reader ack);
  // C:ACKS: each entry as if it came alone; the recorded ones answered by
  // one ACK-RECEIPTS frame.
  void OnAcks(Session& s, schema::AckBatch::Reader acks);
  // Reads and checks one ACK; answers it with ERROR and returns nullopt
  // when it is refused before anything is stored.
  std::optional<CheckedAck> CheckAck(const Session& s, schema::Ack::Reader ack);
  // Verifies the entries' signatures (off this thread, in order with the
  // submissions) and records the rest in one writer task; answers with one
  // ACK-RECEIPT (`batch` false, one entry) or one ACK-RECEIPTS frame, and
  // an ERROR per entry refused.
  void RecordAcks(const Session& s, std::vector<CheckedAck> acks, bool batch);
  // The writer task RecordAcks hands over: records `acks` in order and
  // answers them once committed.
  GroupCommitter::Task AckRecorder(std::string rid, std::string identity, std::vector<CheckedAck> acks, bool batch);
  // The most entries an ACKS frame may carry (Ready.maxAcksPerFrame). One
  // pass of the connector's link sends at most its ack window.
  static constexpr uint32_t kMaxAcksPerFrame = 1024;
  void OnQuery(Session& s, schema::Query::Reader query);
  void EndSession(const std::string& routing_id, std::string_view why);
  void Pump(Session& s);
  void OnTimer();
  void EscalateOverdue(Store& store);
  void PruneRetained(Store& store, int64_t retention_ms);  // writer thread
  void ReloadPolicy();
  void WarnUnknownGroupMembers() const;
  void Send(const std::string& routing_id, const std::string& frame);
  // The Prometheus text for /metrics (admin HTTP threads): the counters,
  // and the store's gauges asked of the writer thread (5 s at most).
  Result<std::string> MetricsText();
  // The web console's JSON API (console_api.h), on the admin HTTP threads:
  // store work is asked of the writer thread (5 s at most).
  ApiResponse ConsoleApi(const ApiRequest& request);
  // Tells the metrics (and so the console) which platforms are registered.
  void PublishPlatforms();
  // An ERROR frame, counted in the refusals metric by its wire code.
  void SendError(const std::string& routing_id, uint64_t tag, const Status& status, const MessageId& id = {});
  void SendError(const std::string& routing_id, uint64_t tag, schema::ErrorCode code, const std::string& text);
  void Post(std::function<void()> completion);  // from the writer thread
  void EnterDiskFull();
  void CheckDiskRecovered();
  void RunCompletions();
  Session* FindSession(const std::string& routing_id);
  Session* FindSessionFor(const std::string& identity);

  GatewayConfig config_;
  const Clock& clock_;
  // <data_dir>/gateway.lock, flock'ed from Start() until destruction (after
  // the store has closed): one gateway per data directory, and `reglinectl
  // restore` knows when one runs.
  UniqueFd data_dir_lock_;
  std::string endpoint_;
  zmq::context_t context_;
  zmq::socket_t router_;
  zmq::socket_t zap_;  // REP at inproc://zeromq.zap.01 when CURVE is on
  identity::Registry registry_;  // the live registry (reloaded from config_.security.registry_file)
  std::optional<identity::RegistryFile> registry_file_;  // when config_.security.registry_file is set
  uint64_t handshakes_refused_ = 0;  // CURVE keys ZAP turned away
  int wake_fd_ = -1;  // eventfd: completions posted or stop requested
  std::atomic<bool> stop_requested_{false};  // lock-free, so signal-safe
  std::atomic<bool> reload_requested_{false};  // likewise
  policy::Policy policy_;  // the running policy (session thread)
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<OrderedVerifier> verifier_;  // signature checks, in submission order

  std::mutex completions_mu_;  // guards completions_
  std::deque<std::function<void()>> completions_;

  std::unordered_map<std::string, Session> sessions_;         // by routing id
  std::unordered_map<std::string, std::string> by_identity_;  // identity -> routing id
  uint64_t next_session_id_ = 1;
  // The disk filled: submissions are refused without touching the store
  // and the space reserve is released, until space returns.
  bool disk_full_ = false;
  int64_t next_timer_ms_ = 0;
  int64_t next_escalation_ms_ = 0;
  int64_t next_retention_ms_ = 0;
  std::optional<identity::Signer> signer_;  // [security] signing_key_file, as config_.identity
  GatewayMetrics metrics_;                  // counted on the session thread, read by the admin endpoint
  AuditOverview audit_overview_;            // the console overview's audit state (admin endpoint threads)
  std::atomic<bool> ready_{false};          // /readyz: serving, not yet stopping
  std::unique_ptr<AdminHttp> admin_;        // [admin]; stopped before the committer
};

}  // namespace regline::server
