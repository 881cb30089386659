#include "gateway/core/message_id.h"

#include <sys/random.h>

#include <cstring>

namespace regline {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void FillRandom(void* out, size_t n) {
  auto* p = static_cast<uint8_t*>(out);
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got <= 0) continue;  // EINTR; getrandom does not fail otherwise
    p += got;
    n -= static_cast<size_t>(got);
  }
}

}  // namespace

std::string MessageId::ToHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(32, '0');
  uint64_t halves[2] = {hi, lo};
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 16; ++i) {
      s[h * 16 + i] = kDigits[(halves[h] >> (60 - 4 * i)) & 0xf];
    }
  }
  return s;
}

std::array<uint8_t, 16> MessageId::ToBytes() const {
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  return b;
}

Result<MessageId> MessageId::FromHex(std::string_view hex) {
  if (hex.size() != 32) {
    return InvalidArgument("message id must be 32 hex digits, got " +
                           std::to_string(hex.size()) + " characters");
  }
  MessageId id;
  for (size_t i = 0; i < 32; ++i) {
    int v = HexValue(hex[i]);
    if (v < 0) return InvalidArgument("message id has a non-hex character at position " + std::to_string(i + 1));
    uint64_t& half = i < 16 ? id.hi : id.lo;
    half = (half << 4) | static_cast<uint64_t>(v);
  }
  return id;
}

Result<MessageId> MessageId::FromBytes(const void* data, size_t size) {
  if (size != 16) return Corruption("stored message id has " + std::to_string(size) + " bytes, not 16");
  const auto* b = static_cast<const uint8_t*>(data);
  MessageId id;
  for (int i = 0; i < 8; ++i) {
    id.hi = (id.hi << 8) | b[i];
    id.lo = (id.lo << 8) | b[8 + i];
  }
  return id;
}

MessageId MessageId::Generate(int64_t now_ms) {
  uint8_t random[10];
  FillRandom(random, sizeof random);
  MessageId id;
  id.hi = static_cast<uint64_t>(now_ms) << 16 | uint64_t{random[0]} << 8 | random[1];
  for (int i = 2; i < 10; ++i) id.lo = (id.lo << 8) | random[i];
  return id;
}

}  // namespace regline
