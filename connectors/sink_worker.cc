#include "connectors/sink_worker.h"

#include <pthread.h>

#include <chrono>

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
    Result<std::optional<InboxMessage>> next = inbox_.NextForSink();
    if (!next.ok()) {
      failed(next.status(), "inbox_read_failed", nullptr);
      if (Wait(backoff_ms)) return;
      continue;
    }
    if (!next->has_value()) {
      if (Wait(1000)) return;
      continue;
    }
    const InboxMessage& m = **next;
    Result<SinkOutcome> outcome = sink_.Deliver(m);
    if (!outcome.ok()) {
      failed(outcome.status(), "sink_failed", &m.id);
      if (Wait(backoff_ms)) return;
      continue;
    }
    Status recorded = inbox_.RecordSinkOutcome(m.id, outcome->verdict, outcome->reason);
    if (!recorded.ok()) {
      // Handed over but not recorded: the next pass hands it over again
      // (same JSON, same spool name).
      failed(recorded, "sink_outcome_not_recorded", &m.id);
      if (Wait(backoff_ms)) return;
      continue;
    }
    backoff_ms = 0;
    Log(LogLevel::kDebug, "sink_delivered",
        {{"sink", std::string(sink_.name())},
         {"id", m.id.ToHex()},
         {"delivery_seq", std::to_string(m.delivery_seq)},
         {"outcome", std::string(SinkVerdictName(outcome->verdict))},
         {"reason", outcome->reason}});
    on_outcome_();
  }
}

}  // namespace regline::connector
