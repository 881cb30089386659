// SinkWorker: the thread that hands held messages to the sink, one at a
// time, in delivery order, and records each outcome in the inbox.
//
// Loop: take up to `batch` of the inbox's messages without a sink outcome,
// hand them to the sink one by one, record their verdicts durably in one
// transaction (which makes the matching acknowledgements due; with an
// OutcomeHandoff, the gateway link's next transaction), then tell the
// gateway link (on_outcome) unless it wrote them itself, which it knows.
// One fsync per batch rather than per
// message: under load the batch fills and the cost is shared; when
// messages trickle in, batches are of one and nothing waits for company. A failed
// hand-over (the sink's retryable Status) is retried for the same message
// after a back-off that doubles from retry_min_ms to retry_max_ms; later
// messages wait, so the sink sees messages in order. An inbox failure is
// retried the same way.
//
// With a SignatureVerifier, each message's signature is checked before the
// hand-over: one that fails never reaches the sink; its outcome is
// recorded as rejected with RejectReason cannotVerifyIssuer and the error
// as reason (in the same transaction as the others, so the rejection
// survives a restart and reaches the gateway), and logged as
// delivery_unverified.
//
// The negative catalog goes to the sink in version order (catalog_order.h):
// each catalog message is judged against the version the sink holds
// before any hand-over; one already covered is recorded completed without
// a hand-over, one above a gap is parked in the inbox and on_catalog_gap
// is called (the link then asks the gateway for a snapshot). What the
// sink took moves the version held, recorded with the batch's outcomes.
//
// Threads: Start() runs the loop on its own thread; Notify() (any thread)
// says new messages are held; Stop() (any thread) lets a hand-over in
// progress finish and record its outcome, then joins. The sink is used only
// by the worker's thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "connectors/catalog_order.h"
#include "connectors/inbox.h"
#include "connectors/outcome_handoff.h"
#include "connectors/signature_verifier.h"
#include "connectors/sink.h"

namespace regline::connector {

// What hands the inbox's messages to the platform: SinkWorker (one at a
// time, for the spool, command and discard sinks) or WebhookWorker
// (webhook_worker.h, many requests in flight).
class DeliveryWorker {
 public:
  virtual ~DeliveryWorker() = default;
  virtual void Start() = 0;
  // Says new messages are held (any thread).
  virtual void Notify() = 0;
  // Lets hand-overs in progress finish and record their outcomes, then
  // joins (any thread).
  virtual void Stop() = 0;
};

// What to do with one message before any hand-over, judged against the
// catalog version the sink holds (`held`).
struct PreHandOver {
  // Recorded without a hand-over: a signature that does not verify, a
  // catalog message that cannot be read, or a catalog version covered.
  std::optional<SinkOutcomeRecord> decided;
  bool gap = false;  // a catalog update above a gap: park it
  // A catalog message to hand over: once the sink takes it (not
  // rejected), the sink holds this version.
  std::optional<CatalogPosition> catalog;
};
PreHandOver JudgeBeforeHandOver(const InboxMessage& m, uint64_t held, SignatureVerifier* verifier,
                                size_t max_envelope_bytes, int64_t now_ms);

struct SinkWorkerOptions {
  int64_t retry_min_ms = 1'000;
  int64_t retry_max_ms = 60'000;
  int batch = 256;  // messages handed over per inbox transaction, at most
  // Wall clock for each outcome's time (the inbox's sink_ms); nullptr =
  // the system clock. Must outlive the worker.
  const Clock* clock = nullptr;
  // Checks each message before the hand-over; nullptr: none is checked
  // (development without a registry). Used by the worker's thread only;
  // must outlive the worker.
  SignatureVerifier* verifier = nullptr;
  size_t max_envelope_bytes = 16u << 20;  // for decoding what the verifier checks
  // Called (on the worker's thread) after catalog updates were parked
  // above a gap; may be empty.
  std::function<void()> on_catalog_gap;
  // Records each batch's outcomes through the gateway link's next inbox
  // write (outcome_handoff.h); nullptr: the worker commits them itself.
  // Must outlive the worker.
  OutcomeHandoff* handoff = nullptr;
};

class SinkWorker final : public DeliveryWorker {
 public:
  SinkWorker(Inbox& inbox, Sink& sink, SinkWorkerOptions options, std::function<void()> on_outcome);
  ~SinkWorker() override;
  SinkWorker(const SinkWorker&) = delete;
  SinkWorker& operator=(const SinkWorker&) = delete;

  void Start() override;
  void Notify() override;
  void Stop() override;

 private:
  void Loop();
  // Hands `batch` over in order until it ends, the sink fails or Stop();
  // fills the outcomes reached and the catalog's progress. The sink's
  // failure, if any, with the message it failed on.
  std::optional<std::pair<Status, MessageId>> HandOver(const std::vector<InboxMessage>& batch,
                                                       std::vector<SinkOutcomeRecord>& outcomes,
                                                       CatalogProgress& catalog);
  int64_t NowMs() const;
  // Waits up to `ms` or until notified or stopping; true when stopping.
  bool Wait(int64_t ms);

  Inbox& inbox_;
  Sink& sink_;
  const SinkWorkerOptions options_;
  std::function<void()> on_outcome_;

  std::mutex mu_;  // guards notified_ and stopping_
  std::condition_variable wake_;
  bool notified_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace regline::connector
