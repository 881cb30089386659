// Outbox: the connector's durable queue of upstream envelopes (complaint
// statistics, attestations, tax-assistance responses) on their way to the
// gateway, in its own Regline store (<data_dir>/outbox.db).
//
// It is a regline::Store behind a GroupCommitter, used with one recipient,
// "gateway": a local SUBMIT is stored as a Submission from the platform's
// identity to "gateway" (durable, idempotent on the envelope id, many per
// fsync); the gateway link leases what is due, in acceptance order, sends
// each with C:SUBMIT and records the outcome: delivered when the gateway
// CONFIRMed it, rejected (with the gateway's reason) when it refused it for
// good. When the gateway is unreachable or asks to wait, Requeue() puts
// everything leased back in its place, so order holds and nothing is lost
// across an outage, a restart or a crash (Open requeues what a crash left
// leased). Every submission has the same priority, so the outbox is FIFO;
// the gateway applies the envelope's own priority.
//
// Threads: any thread may call any method; the store runs on the
// committer's writer thread. Submit's callback runs on that thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/clock.h"
#include "gateway/core/group_commit.h"
#include "gateway/core/store.h"

namespace regline::connector {

// The one recipient of every outbox entry.
inline constexpr const char* kOutboxRecipient = "gateway";

struct OutboxOptions {
  std::string path;
  Durability durability = Durability::kFull;
  int64_t quota = 100'000;  // entries waiting (queued + being sent) before Submit says kOverloaded
};

class Outbox {
 public:
  using SubmitCallback = GroupCommitter::SubmitCallback;

  // Opens or creates the store and requeues entries a crash left leased.
  static Result<std::unique_ptr<Outbox>> Open(const OutboxOptions& options, const Clock& clock);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Stores `envelope` (already checked: from `sender`, with `id`, `kind`,
  // `expires_ms`) for the gateway. `done` runs on the writer thread: ok
  // once durable (a resubmission of the same bytes gets the first receipt,
  // duplicate = true); kOverloaded past the quota; kAlreadyExists for the
  // same id with other bytes; kUnavailable after Stop().
  void Submit(const std::string& sender, const MessageId& id, int kind, int64_t expires_ms, std::string envelope,
              SubmitCallback done);

  // Up to `max` entries due for sending, oldest first, each marked as
  // being sent. (An entry whose expiry passed before it was ever sent is
  // marked expired instead and not returned.)
  Result<std::vector<LeasedDelivery>> Lease(int max);

  // The gateway CONFIRMed entry `seq`.
  Status MarkSent(uint64_t seq);
  // The gateway refused entry `seq` for good (invalid, not permitted, ...).
  Status MarkRefused(uint64_t seq, std::string_view reason);
  // Everything leased goes back to the queue in its place.
  Status Requeue();

  // Entries waiting (queued + being sent).
  int64_t Pending();
  // The fence's status once a sync of the outbox's log failed (its
  // GroupCommitter refuses every change until a restart); ok before.
  Status fence() const { return committer_->fence(); }

  // Retention: one pass of the store's legal-retention pruning
  // (Store::PruneRetained): up to `limit` entries the gateway confirmed or
  // refused more than `retention_ms` ago go, with their audit entries.
  Result<PruneCounts> PruneRetained(int64_t retention_ms, int limit);

  // False only when the last Lease() found nothing and nothing was
  // submitted or requeued since: the link skips the outbox then, without
  // a round trip to the outbox's writer thread.
  bool MaybePending() const { return maybe_pending_.load(); }

  // Stops taking work, commits and answers what is queued. Idempotent.
  void Stop();

 private:
  explicit Outbox(std::unique_ptr<GroupCommitter> committer) : committer_(std::move(committer)) {}

  std::unique_ptr<GroupCommitter> committer_;
  std::atomic<bool> maybe_pending_{true};
};

}  // namespace regline::connector
