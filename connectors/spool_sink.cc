#include "connectors/spool_sink.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "connectors/message_json.h"

namespace regline::connector {

Result<std::unique_ptr<SpoolSink>> SpoolSink::Open(const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return IOError("cannot create spool directory " + directory + ": " + ec.message());
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 5 && name[0] == '.' && name.ends_with(".tmp")) std::filesystem::remove(entry.path(), ec);
  }
  if (ec) return IOError("cannot list spool directory " + directory + ": " + ec.message());
  UniqueFd dir(open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return ErrnoStatus(errno, "opening spool directory " + directory);
  return std::unique_ptr<SpoolSink>(new SpoolSink(directory, std::move(dir)));
}

std::string SpoolSink::FileName(uint64_t delivery_seq, const MessageId& id) {
  char seq[32];
  std::snprintf(seq, sizeof seq, "%020llu", static_cast<unsigned long long>(delivery_seq));
  return std::string(seq) + "-" + id.ToHex() + ".json";
}

Result<SinkOutcome> SpoolSink::Deliver(const InboxMessage& message) {
  const std::string name = FileName(message.delivery_seq, message.id);
  REGLINE_RETURN_IF_ERROR(
      WriteFileDurably(directory_, dir_.get(), "." + name + ".tmp", name, MessageJsonText(message)));
  return SinkOutcome{SinkVerdict::kAccepted, ""};
}

}  // namespace regline::connector
