#include "connectors/outbox.h"

namespace regline::connector {

namespace {
// Leases are returned explicitly (Requeue) or settled; this only bounds how
// long a lease could linger if that were ever missed.
constexpr int64_t kLeaseMs = 3'600'000;
}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::Open(const OutboxOptions& options, const Clock& clock) {
  StoreOptions so;
  so.path = options.path;
  so.durability = options.durability;
  so.default_quota = options.quota;
  so.max_attempts = 1'000'000'000;  // an outage must never dead-letter anything
  so.audit = false;                 // the gateway keeps the audit chain of what it accepts
  Result<std::unique_ptr<Store>> store = Store::Open(so, clock);
  if (!store.ok()) return store.status().WithContext("opening outbox " + options.path);
  Result<int> requeued = (*store)->RequeueInFlight(kOutboxRecipient);
  if (!requeued.ok()) return requeued.status().WithContext("opening outbox " + options.path);
  GroupCommitOptions committing;
  committing.fenced_subject = "the connector's outbox";
  return std::unique_ptr<Outbox>(new Outbox(std::make_unique<GroupCommitter>(std::move(store).value(), committing)));
}

Outbox::~Outbox() { Stop(); }

void Outbox::Submit(const std::string& sender, const MessageId& id, int kind, int64_t expires_ms, std::string envelope,
                    SubmitCallback done) {
  Submission s;
  s.sender = sender;
  s.id = id;
  s.kind = kind;
  s.priority = 1;  // one priority: the outbox is first in, first out
  s.expires_ms = expires_ms;
  s.recipients = {kOutboxRecipient};
  s.envelope = std::move(envelope);
  // Set once the entry is committed, so that a Lease() after that sees it.
  committer_->Submit(std::move(s), [this, done = std::move(done)](Result<SubmitReceipt> r) {
    if (r.ok()) maybe_pending_ = true;
    done(std::move(r));
  });
}

Result<std::vector<LeasedDelivery>> Outbox::Lease(int max) {
  maybe_pending_ = false;  // before looking: a submission committed after this sets it again
  Result<std::vector<LeasedDelivery>> leased =
      committer_->Run([max](Store& store) { return store.Lease(kOutboxRecipient, max, kLeaseMs); }).get();
  if (!leased.ok() || !leased->empty()) maybe_pending_ = true;
  return leased;
}

Status Outbox::MarkSent(uint64_t seq) {
  return committer_
      ->Run([seq](Store& store) -> Status {
        return store.Acknowledge(seq, kOutboxRecipient, AckStage::kReceived).status();
      })
      .get();
}

Status Outbox::MarkRefused(uint64_t seq, std::string_view reason) {
  return committer_
      ->Run([seq, reason = std::string(reason)](Store& store) -> Status {
        return store.Acknowledge(seq, kOutboxRecipient, AckStage::kRejected, reason).status();
      })
      .get();
}

Status Outbox::Requeue() {
  maybe_pending_ = true;
  return committer_->Run([](Store& store) -> Status { return store.RequeueInFlight(kOutboxRecipient).status(); }).get();
}

int64_t Outbox::Pending() {
  Result<int64_t> n =
      committer_->Run([](Store& store) -> Result<int64_t> { return store.Pending(kOutboxRecipient); }).get();
  return n.ok() ? *n : 0;
}

Result<PruneCounts> Outbox::PruneRetained(int64_t retention_ms, int limit) {
  return committer_
      ->Run([retention_ms, limit](Store& store) -> Result<PruneCounts> {
        return store.PruneRetained(retention_ms, limit);
      })
      .get();
}

void Outbox::Stop() {
  if (committer_) committer_->Stop();
}

}  // namespace regline::connector
