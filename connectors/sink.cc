#include "connectors/sink.h"

#include "connectors/command_sink.h"
#include "connectors/spool_sink.h"

namespace regline::connector {

namespace {

// Accepts at once and keeps nothing: for benchmarks, and for trying the
// connector before the platform's systems are ready. The inbox still holds
// each message and its acknowledgements.
class DiscardSink final : public Sink {
 public:
  Result<SinkOutcome> Deliver(const InboxMessage&) override { return SinkOutcome{}; }
  std::string_view name() const override { return "discard"; }
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeSink(const SinkConfig& config) {
  switch (config.type) {
    case SinkType::kSpool: {
      Result<std::unique_ptr<SpoolSink>> spool = SpoolSink::Open(config.directory);
      if (!spool.ok()) return spool.status();
      return std::unique_ptr<Sink>(std::move(spool).value());
    }
    case SinkType::kCommand:
      return std::unique_ptr<Sink>(std::make_unique<CommandSink>(config.argv, config.timeout_ms));
    case SinkType::kDiscard:
      return std::unique_ptr<Sink>(std::make_unique<DiscardSink>());
    case SinkType::kWebhook:
      return InvalidArgument("the webhook sink is a WebhookWorker (webhook_worker.h), not a Sink");
  }
  return InvalidArgument("unknown sink type");
}

}  // namespace regline::connector
