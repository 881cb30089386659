// The webhook sink's rules, without any I/O: how a request is signed, what
// a response means, and how long to wait before a retry. The HTTP itself
// is webhook_worker.h's. Specified for platforms in connectors/README.md,
// "The webhook sink". Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/sink.h"

namespace regline::connector {

// X-Regline-Signature: "v1=" and the lowercase hex HMAC-SHA256, keyed with
// the platform's secret, of the decimal X-Regline-Timestamp, a '.', and
// the exact request body.
std::string WebhookSignature(std::string_view secret, int64_t timestamp_ms, std::string_view body);

// What one HTTP exchange (or its failure) decided.
struct WebhookResult {
  bool retry = false;  // not handed over: try again later
  // With retry: the wait the server asked for (Retry-After), or -1.
  int64_t retry_after_ms = -1;
  // Without retry: the platform's verdict.
  SinkOutcome outcome;
  // With retry: what went wrong, for the log ("HTTP 503: busy").
  std::string error;
};

// The response's meaning:
//   2xx: accepted; a JSON object body {"outcome": "completed"} says
//        completed, {"outcome": "rejected", "reason": "..."} rejected.
//   408, 429, 5xx, and anything else not listed (1xx, 3xx: redirects are
//        not followed): retried, honouring Retry-After.
//   other 4xx: rejected for good, the reason being "HTTP <status>: " and
//        the body's JSON "reason" (else its first line), at most 200 bytes.
// `retry_after` is the Retry-After header's value ("" when absent): delay
// seconds or an HTTP date, read against `now_ms`.
WebhookResult ClassifyWebhookResponse(long status, std::string_view body, std::string_view retry_after, int64_t now_ms);

// Retry-After as milliseconds from `now_ms` (0 for a date in the past);
// -1 when empty or unreadable.
int64_t ParseRetryAfterMs(std::string_view value, int64_t now_ms);

// The wait before attempt `attempt` + 1 after `attempt` failed ones:
// retry_min_ms doubling up to retry_max_ms, each a random 50-100% of that
// (`unit` in [0, 1) picks where), or the server's Retry-After when it asked
// for longer (capped at one day).
int64_t WebhookRetryDelayMs(int attempt, int64_t retry_min_ms, int64_t retry_max_ms, int64_t retry_after_ms,
                            double unit);

}  // namespace regline::connector
