#include "connectors/sink.h"

#include "connectors/command_sink.h"
#include "connectors/spool_sink.h"

namespace regline::connector {

Result<std::unique_ptr<Sink>> MakeSink(const SinkConfig& config) {
  switch (config.type) {
    case SinkType::kSpool: {
      Result<std::unique_ptr<SpoolSink>> spool = SpoolSink::Open(config.directory);
      if (!spool.ok()) return spool.status();
      return std::unique_ptr<Sink>(std::move(spool).value());
    }
    case SinkType::kCommand:
      return std::unique_ptr<Sink>(std::make_unique<CommandSink>(config.argv, config.timeout_ms));
      // case SinkType::kWebhook: the HTTPS sink (later issue) is built here.
  }
  return InvalidArgument("unknown sink type");
}

}  // namespace regline::connector
