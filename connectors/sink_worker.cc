#include "connectors/sink_worker.h"

#include <pthread.h>

#include <chrono>
#include <optional>
#include <vector>

#include "connectors/catalog_order.h"
#include "gateway/core/log.h"

namespace regline::connector {

SinkWorker::SinkWorker(Inbox& inbox, Sink& sink, SinkWorkerOptions options, std::function<void()> on_outcome)
    : inbox_(inbox), sink_(sink), options_(options), on_outcome_(std::move(on_outcome)) {}

SinkWorker::~SinkWorker() { Stop(); }

void SinkWorker::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sink-worker");
    Loop();
  });
}

void SinkWorker::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  wake_.notify_one();
}

void SinkWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool SinkWorker::Wait(int64_t ms) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return notified_ || stopping_; });
  notified_ = false;
  return stopping_;
}

int64_t SinkWorker::NowMs() const {
  return options_.clock != nullptr ? options_.clock->NowMs() : SystemClock().NowMs();
}

PreHandOver JudgeBeforeHandOver(const InboxMessage& m, uint64_t held, SignatureVerifier* verifier,
                                size_t max_envelope_bytes, int64_t now_ms) {
  PreHandOver j;
  if (verifier != nullptr) {
    Status verified = verifier->Verify(m.envelope, max_envelope_bytes);
    if (!verified.ok()) {
      Log(LogLevel::kWarning, "delivery_unverified",
          {{"id", m.id.ToHex()}, {"delivery_seq", std::to_string(m.delivery_seq)}, {"error", verified.ToString()}});
      j.decided = SinkOutcomeRecord{m.id, SinkVerdict::kRejected, "cannot verify the issuer: " + verified.message(),
                                    now_ms, schema::RejectReason::CANNOT_VERIFY_ISSUER};
      return j;
    }
  }
  Result<std::optional<CatalogPosition>> position = CatalogPositionOf(m.kind, m.envelope, max_envelope_bytes);
  if (!position.ok()) {
    Log(LogLevel::kWarning, "catalog_message_unreadable",
        {{"id", m.id.ToHex()}, {"error", position.status().ToString()}});
    j.decided = SinkOutcomeRecord{m.id, SinkVerdict::kRejected, position.status().message(), now_ms,
                                  schema::RejectReason::OTHER};
    return j;
  }
  if (!position->has_value()) return j;
  const CatalogPosition& p = **position;
  switch (NextCatalogStep(p, held)) {
    case CatalogStep::kCovered:
      Log(LogLevel::kInfo, "catalog_covered", {{"id", m.id.ToHex()}, {"reason", CoveredReason(p, held)}});
      j.decided = SinkOutcomeRecord{m.id, SinkVerdict::kCompleted, CoveredReason(p, held), now_ms};
      break;
    case CatalogStep::kGap:
      Log(LogLevel::kWarning, "catalog_gap", {{"id", m.id.ToHex()}, {"reason", GapReason(p, held)}});
      j.gap = true;
      break;
    case CatalogStep::kHandOver:
      j.catalog = p;
      break;
  }
  return j;
}

std::optional<std::pair<Status, MessageId>> SinkWorker::HandOver(const std::vector<InboxMessage>& batch,
                                                                 std::vector<SinkOutcomeRecord>& outcomes,
                                                                 CatalogProgress& catalog) {
  uint64_t held = inbox_.CatalogHeld();
  // Gaps found, with the version held when each was judged: one judged
  // before a later message of this batch moved the version is judged
  // again next pass rather than parked.
  std::vector<std::pair<MessageId, uint64_t>> gaps;
  std::optional<std::pair<Status, MessageId>> failure;
  for (const InboxMessage& m : batch) {
    PreHandOver judged = JudgeBeforeHandOver(m, held, options_.verifier, options_.max_envelope_bytes, NowMs());
    if (judged.decided.has_value()) {
      outcomes.push_back(std::move(*judged.decided));
      continue;
    }
    if (judged.gap) {
      gaps.emplace_back(m.id, held);
      continue;
    }
    Result<SinkOutcome> outcome = sink_.Deliver(m);
    if (!outcome.ok()) {
      failure.emplace(outcome.status(), m.id);
      break;
    }
    if (LogEnabled(LogLevel::kDebug))
      Log(LogLevel::kDebug, "sink_delivered",
          {{"sink", std::string(sink_.name())},
           {"id", m.id.ToHex()},
           {"delivery_seq", std::to_string(m.delivery_seq)},
           {"outcome", std::string(SinkVerdictName(outcome->verdict))},
           {"reason", outcome->reason}});
    if (judged.catalog.has_value() && outcome->verdict != SinkVerdict::kRejected) {
      held = judged.catalog->version;
      catalog.held = held;
    }
    outcomes.push_back({m.id, outcome->verdict, std::move(outcome->reason), NowMs()});
    std::lock_guard lock(mu_);
    if (stopping_) break;  // record what was handed over, then stop
  }
  for (const auto& [id, judged_at] : gaps) {
    if (judged_at == held) catalog.park.push_back(id);
  }
  return failure;
}

void SinkWorker::Loop() {
  int64_t backoff_ms = 0;  // 0: the last step succeeded
  auto failed = [&](const Status& s, std::string_view event, const MessageId* id) {
    backoff_ms = backoff_ms == 0 ? options_.retry_min_ms : std::min(backoff_ms * 2, options_.retry_max_ms);
    Log(LogLevel::kWarning, event,
        {{"sink", std::string(sink_.name())},
         {"id", id ? id->ToHex() : ""},
         {"error", s.ToString()},
         {"retry_in_ms", std::to_string(backoff_ms)}});
  };
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    Result<std::vector<InboxMessage>> next = inbox_.NextBatchForSink(options_.batch);
    if (!next.ok()) {
      failed(next.status(), "inbox_read_failed", nullptr);
      if (Wait(backoff_ms)) return;
      continue;
    }
    if (next->empty()) {
      if (Wait(1000)) return;
      continue;
    }
    // Hand over in order until the batch ends or the sink fails; then record
    // every outcome reached in one transaction.
    std::vector<SinkOutcomeRecord> outcomes;
    outcomes.reserve(next->size());
    CatalogProgress catalog;
    std::optional<std::pair<Status, MessageId>> sink_failure = HandOver(*next, outcomes, catalog);
    if (!outcomes.empty() || !catalog.empty()) {
      const int64_t by_link_before = options_.handoff != nullptr ? options_.handoff->written_by_link() : 0;
      Status recorded = options_.handoff != nullptr ? options_.handoff->Record(outcomes, catalog)
                                                    : inbox_.RecordSinkOutcomes(outcomes, catalog);
      if (!recorded.ok()) {
        // Handed over but not recorded: the next pass hands them over again
        // (same JSON, same spool names).
        failed(recorded, "sink_outcome_not_recorded", outcomes.empty() ? nullptr : &outcomes.front().id);
        if (Wait(backoff_ms)) return;
        continue;
      }
      if (catalog.held != 0) {
        Log(LogLevel::kInfo, "catalog_applied", {{"sink", std::string(sink_.name())}, {"version", std::to_string(catalog.held)}});
      }
      // The link knows of outcomes it wrote itself (their ACKs are sent in
      // the same pass): telling it again would cost it a pass for nothing.
      const bool link_wrote = options_.handoff != nullptr && options_.handoff->written_by_link() > by_link_before;
      if (!outcomes.empty() && !link_wrote) on_outcome_();
      if (!catalog.park.empty() && options_.on_catalog_gap) options_.on_catalog_gap();
    }
    if (sink_failure.has_value()) {
      failed(sink_failure->first, "sink_failed", &sink_failure->second);
      if (Wait(backoff_ms)) return;
      continue;
    }
    backoff_ms = 0;
  }
}

}  // namespace regline::connector
