// SpoolSink: one JSON file per message in a spool directory, for platform
// systems that pick up files.
//
// File name: <deliverySeq, 20 digits, zero-padded>-<message id, 32 hex>.json,
// so that names sort in delivery order and a message handed over again
// (after a crash) lands on the same name. Each file appears atomically and
// durably: written as .<name>.tmp, fsynced, renamed, then the directory is
// fsynced. A reader sees only whole files; it should ignore names that
// start with a dot. Contents: the message JSON (message_json.h,
// connectors/README.md). Every message is "accepted" once its file is
// durable; the platform's people set accepted/completed/rejected later via
// the local endpoint if they need to.
//
// Failures (disk full, permissions) are kNoSpace / kIOError: the sink
// worker retries. Used by one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "gateway/core/files.h"
#include "connectors/sink.h"

namespace regline::connector {

class SpoolSink final : public Sink {
 public:
  // Creates `directory` when absent and removes temp files (".*.tmp") left
  // by a crash. kIOError when it cannot.
  static Result<std::unique_ptr<SpoolSink>> Open(const std::string& directory);

  Result<SinkOutcome> Deliver(const InboxMessage& message) override;
  std::string_view name() const override { return "spool"; }

  // The file name a message gets.
  static std::string FileName(uint64_t delivery_seq, const MessageId& id);

 private:
  SpoolSink(std::string directory, UniqueFd dir) : directory_(std::move(directory)), dir_(std::move(dir)) {}

  std::string directory_;
  UniqueFd dir_;  // the directory, for fsync after each rename
};

}  // namespace regline::connector
