// MessageId: the 128-bit id a sender gives each message.
//
// On the wire it is two UInt64 halves (schema MessageId{hi, lo}); in text it
// is 32 lower-case hex digits; in the store it is 16 big-endian bytes, so
// that byte order is numeric order. Generate() makes time-ordered ids (48
// bits of Unix milliseconds, then 80 random bits, like UUIDv7), which keeps
// index inserts local. A plain value type.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace regline {

struct MessageId {
  uint64_t hi = 0;
  uint64_t lo = 0;

  bool IsZero() const { return hi == 0 && lo == 0; }
  std::string ToHex() const;
  std::array<uint8_t, 16> ToBytes() const;

  // Parses 32 hex digits (either case); anything else is kInvalidArgument.
  static Result<MessageId> FromHex(std::string_view hex);
  // Reads 16 big-endian bytes; another length is kCorruption.
  static Result<MessageId> FromBytes(const void* data, size_t size);
  // A new time-ordered id with 80 random bits from the OS.
  static MessageId Generate(int64_t now_ms);

  friend bool operator==(const MessageId&, const MessageId&) = default;
  friend auto operator<=>(const MessageId&, const MessageId&) = default;
};

}  // namespace regline
