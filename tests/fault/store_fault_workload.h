// The messages of the store kill test: what regline_store_submitter submits
// and what store_kill_test expects to find after each SIGKILL.
//
// Both sides derive everything from the id's low half (`lo`), so the test
// can check stored bytes without being told them: the id is
// {kFaultIdHi, lo}, the envelope is 1 KiB made from lo, and every message
// goes to the same two recipients. A resubmission of the same lo is
// therefore byte-identical, which the store must answer with a duplicate
// receipt. Header-only; plain functions of their arguments, safe anywhere.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gateway/core/message_id.h"
#include "gateway/core/store.h"

namespace regline::fault {

// The id's high half, the same for every message of the test ("RGLNFALT").
inline constexpr uint64_t kFaultIdHi = 0x52474c4e46414c54ULL;
inline constexpr size_t kFaultEnvelopeBytes = 1024;

inline std::vector<std::string> FaultRecipients() { return {"douyin", "kuaishou"}; }

inline MessageId FaultMessageId(uint64_t lo) { return MessageId{kFaultIdHi, lo}; }

// 1 KiB that only message `lo` has: a readable header, then a splitmix64
// stream seeded by lo.
inline std::string FaultEnvelope(uint64_t lo) {
  std::string envelope = "regline-fault-envelope lo=" + std::to_string(lo) + "\n";
  uint64_t state = lo ^ 0x9e3779b97f4a7c15ULL;
  while (envelope.size() < kFaultEnvelopeBytes) {
    state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    char bytes[sizeof z];
    std::memcpy(bytes, &z, sizeof z);
    envelope.append(bytes, sizeof bytes);
  }
  envelope.resize(kFaultEnvelopeBytes);
  return envelope;
}

inline Submission FaultSubmission(const std::string& sender, uint64_t lo) {
  Submission s;
  s.sender = sender;
  s.id = FaultMessageId(lo);
  s.kind = 1;
  s.priority = 1;
  s.created_ms = 1'700'000'000'000 + static_cast<int64_t>(lo % 1'000'000'000);
  s.recipients = FaultRecipients();
  s.envelope = FaultEnvelope(lo);
  return s;
}

}  // namespace regline::fault
