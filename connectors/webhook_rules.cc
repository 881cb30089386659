#include "connectors/webhook_rules.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

namespace regline::connector {

namespace {

constexpr size_t kMaxReasonBytes = 200;
constexpr int64_t kMaxRetryAfterMs = 86'400'000;

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// At most kMaxReasonBytes, not cutting a UTF-8 sequence in two.
std::string Shorten(std::string_view s) {
  if (s.size() <= kMaxReasonBytes) return std::string(s);
  size_t n = kMaxReasonBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "...";
}

// The body's JSON object, or a discarded value when it is none.
nlohmann::json JsonObject(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json(nlohmann::json::value_t::discarded);
}

std::string StringField(const nlohmann::json& j, const char* key) {
  if (j.is_discarded()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string ReasonOf(long status, std::string_view body) {
  std::string reason = StringField(JsonObject(body), "reason");
  if (reason.empty()) {
    std::string_view text = Trim(body);
    reason = std::string(Trim(text.substr(0, text.find('\n'))));
  }
  std::string head = "HTTP " + std::to_string(status);
  return reason.empty() ? head : head + ": " + Shorten(reason);
}

}  // namespace

std::string WebhookSignature(std::string_view secret, int64_t timestamp_ms, std::string_view body) {
  std::string signed_text = std::to_string(timestamp_ms);
  signed_text += '.';
  signed_text.append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  return "v1=" + Hex(mac, len);
}

int64_t ParseRetryAfterMs(std::string_view value, int64_t now_ms) {
  value = Trim(value);
  if (value.empty()) return -1;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    return seconds < 0 ? -1 : std::min(seconds, kMaxRetryAfterMs / 1000) * 1000;
  }
  const time_t at = curl_getdate(std::string(value).c_str(), nullptr);
  if (at < 0) return -1;
  return std::clamp<int64_t>(static_cast<int64_t>(at) * 1000 - now_ms, 0, kMaxRetryAfterMs);
}

WebhookResult ClassifyWebhookResponse(long status, std::string_view body, std::string_view retry_after,
                                      int64_t now_ms) {
  WebhookResult r;
  if (status >= 200 && status < 300) {
    nlohmann::json j = JsonObject(body);
    const std::string outcome = StringField(j, "outcome");
    if (outcome == "completed") {
      r.outcome.verdict = SinkVerdict::kCompleted;
    } else if (outcome == "rejected") {
      r.outcome.verdict = SinkVerdict::kRejected;
      std::string reason = StringField(j, "reason");
      r.outcome.reason = reason.empty() ? "rejected by the platform" : Shorten(reason);
    }
    return r;
  }
  if (status >= 400 && status < 500 && status != 408 && status != 429) {
    r.outcome.verdict = SinkVerdict::kRejected;
    r.outcome.reason = ReasonOf(status, body);
    return r;
  }
  r.retry = true;
  r.retry_after_ms = ParseRetryAfterMs(retry_after, now_ms);
  r.error = ReasonOf(status, body);
  if (status >= 300 && status < 400) r.error += " (redirects are not followed: check sink.url)";
  return r;
}

int64_t WebhookRetryDelayMs(int attempt, int64_t retry_min_ms, int64_t retry_max_ms, int64_t retry_after_ms,
                            double unit) {
  int64_t base = retry_min_ms;
  for (int i = 1; i < attempt && base < retry_max_ms; ++i) base *= 2;
  base = std::min(base, retry_max_ms);
  const auto jittered = static_cast<int64_t>(static_cast<double>(base) * (0.5 + 0.5 * std::clamp(unit, 0.0, 1.0)));
  return std::max(jittered, std::min(retry_after_ms, kMaxRetryAfterMs));
}

}  // namespace regline::connector
