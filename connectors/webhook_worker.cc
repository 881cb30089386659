#include "connectors/webhook_worker.h"

#include <pthread.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

#include "connectors/message_json.h"
#include "connectors/webhook_rules.h"
#include "gateway/core/log.h"
#include "schemas/envelope.capnp.h"

namespace regline::connector {

namespace {

constexpr size_t kMaxResponseBytes = 64 * 1024;  // of a response body kept for its reason
constexpr int64_t kStopGraceMs = 2'000;
constexpr size_t kInboxBatch = 256;  // messages read from the inbox at a time
// After a failed outcome commit, the record thread tries again this long
// later (with whatever has arrived meanwhile).
constexpr auto kRecordRetry = std::chrono::milliseconds(100);
// A request libcurl still holds this long after request_timeout_ms is
// taken back and retried (a backstop: libcurl 7.88 was seen leaving
// HTTP/1.1 transfers waiting for a connection without timing them out).
constexpr int64_t kStuckGraceMs = 5'000;

bool IsCatalogKind(int kind) {
  return kind == static_cast<int>(schema::MessageKind::CATALOG_UPDATE) ||
         kind == static_cast<int>(schema::MessageKind::CATALOG_SNAPSHOT);
}

size_t KeepBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t bytes = size * n;
  if (body->size() < kMaxResponseBytes) body->append(data, std::min(bytes, kMaxResponseBytes - body->size()));
  return bytes;
}

// Keeps the Retry-After header's value.
size_t KeepRetryAfter(char* data, size_t size, size_t n, void* user) {
  const size_t bytes = size * n;
  std::string_view line(data, bytes);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
    }
    if (match) {
      line.remove_prefix(kName.size());
      while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
      *static_cast<std::string*>(user) = std::string(line);
    }
  }
  return bytes;
}

}  // namespace

struct WebhookWorker::Item {
  InboxMessage message;
  std::string body;        // the JSON posted, the same on every attempt
  int64_t expires_ms = 0;  // the envelope's; 0: never
  std::optional<CatalogPosition> catalog;
  int attempts = 0;  // finished attempts
  // The request in flight:
  int64_t started_ms = 0;
  curl_slist* headers = nullptr;
  std::string response;
  std::string retry_after;
  char error[CURL_ERROR_SIZE] = {};

  ~Item() { curl_slist_free_all(headers); }
};

// Shared by the request thread (buffer_) and the render thread
// (render_queue_). `state` decides who renders: whoever moves it from kNew
// to kRendering; kDropped when the request thread let the message go
// before anyone did. `body` and `expires_ms` are the renderer's until it
// stores kReady. `message` is only read while both may hold the slot.
struct WebhookWorker::Slot {
  enum : int { kNew, kRendering, kReady, kDropped };
  explicit Slot(InboxMessage m) : message(std::move(m)) {}
  InboxMessage message;
  std::atomic<int> state{kNew};
  std::string body;
  int64_t expires_ms = 0;
};

Result<std::unique_ptr<WebhookWorker>> WebhookWorker::Create(Inbox& inbox, WebhookOptions options,
                                                             SinkWorkerOptions worker,
                                                             std::function<void()> on_outcome) {
  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<WebhookWorker> w(new WebhookWorker(inbox, std::move(options), worker, std::move(on_outcome)));
  w->multi_ = curl_multi_init();
  if (w->multi_ == nullptr) return Internal("curl_multi_init failed");
  curl_multi_setopt(w->multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(w->multi_, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(w->options_.max_in_flight));
  curl_multi_setopt(w->multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(w->options_.max_in_flight));
  return w;
}

WebhookWorker::WebhookWorker(Inbox& inbox, WebhookOptions options, SinkWorkerOptions worker,
                             std::function<void()> on_outcome)
    : inbox_(inbox),
      options_(std::move(options)),
      worker_(std::move(worker)),
      on_outcome_(std::move(on_outcome)),
      random_(std::random_device{}()) {}

WebhookWorker::~WebhookWorker() {
  Stop();
  for (auto& [easy, item] : running_) {
    curl_multi_remove_handle(multi_, easy);
    curl_easy_cleanup(easy);
  }
  for (CURL* easy : idle_) curl_easy_cleanup(easy);
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
}

void WebhookWorker::Start() {
  render_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "webhook-render");
    RenderLoop();
  });
  record_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "webhook-record");
    RecordLoop();
  });
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "webhook");
    Loop();
  });
}

void WebhookWorker::Notify() {
  inbox_has_more_ = true;
  curl_multi_wakeup(multi_);
}

void WebhookWorker::Stop() {
  stopping_ = true;
  if (multi_ != nullptr) curl_multi_wakeup(multi_);
  if (thread_.joinable()) thread_.join();  // it has handed over its last outcomes
  {
    std::lock_guard lock(render_mu_);
    render_stop_ = true;
  }
  render_cv_.notify_all();
  if (render_thread_.joinable()) render_thread_.join();
  {
    std::lock_guard lock(record_mu_);
    record_stop_ = true;
  }
  record_cv_.notify_all();
  if (record_thread_.joinable()) record_thread_.join();
}

int64_t WebhookWorker::NowMs() const {
  return worker_.clock != nullptr ? worker_.clock->NowMs() : SystemClock().NowMs();
}

void WebhookWorker::Rescan() {
  cursor_ = 0;
  for (const std::shared_ptr<Slot>& slot : buffer_) {
    int expected = Slot::kNew;
    slot->state.compare_exchange_strong(expected, Slot::kDropped);
  }
  buffer_.clear();
  catalog_waiting_ = false;
  inbox_has_more_ = true;
}

std::unique_ptr<WebhookWorker::Item> WebhookWorker::NextFromInbox(std::vector<SinkOutcomeRecord>& outcomes,
                                                                  CatalogProgress& catalog) {
  for (;;) {
    if (buffer_.empty()) {
      // The inbox is read again only when told of new messages (Notify,
      // Rescan), after a full batch, or once a second as a safety net: not
      // on every pass of the loop.
      const int64_t now = NowMs();
      if (!inbox_has_more_.exchange(false) && now - last_inbox_read_ms_ < 1'000) return nullptr;
      last_inbox_read_ms_ = now;
      Result<std::vector<InboxMessage>> next = inbox_.NextBatchForSink(kInboxBatch, cursor_);
      if (!next.ok()) {
        Log(LogLevel::kWarning, "inbox_read_failed", {{"sink", "webhook"}, {"error", next.status().ToString()}});
        inbox_has_more_ = true;
        return nullptr;
      }
      if (next->size() == kInboxBatch) inbox_has_more_ = true;
      if (next->empty()) return nullptr;
      {
        std::lock_guard lock(render_mu_);
        for (InboxMessage& m : *next) {
          auto slot = std::make_shared<Slot>(std::move(m));
          buffer_.push_back(slot);
          render_queue_.push_back(std::move(slot));
        }
      }
      render_cv_.notify_one();
    }
    std::shared_ptr<Slot> slot = std::move(buffer_.front());
    buffer_.pop_front();
    const InboxMessage& m = slot->message;
    cursor_ = m.delivery_seq;
    // Not taken (yet): the render thread need not bother.
    auto drop = [&] {
      int expected = Slot::kNew;
      slot->state.compare_exchange_strong(expected, Slot::kDropped);
    };
    if (tracked_.count(m.id) != 0) {
      drop();
      continue;
    }
    const bool is_catalog = IsCatalogKind(m.kind);
    if (is_catalog && catalog_busy_) {  // after the one in flight; read again when it is done
      catalog_waiting_ = true;
      drop();
      continue;
    }
    // The version held counts only for catalog messages. One handed to the
    // record thread and not known written yet is the one held.
    uint64_t held = 0;
    if (is_catalog)
      held = catalog.held != 0 ? catalog.held : catalog_handed_ != 0 ? catalog_handed_ : inbox_.CatalogHeld();
    PreHandOver judged = JudgeBeforeHandOver(m, held, worker_.verifier, worker_.max_envelope_bytes, NowMs());
    if (judged.decided.has_value()) {
      drop();
      tracked_.insert(m.id);  // until recorded: a rescan must not take it again
      outcomes.push_back(std::move(*judged.decided));
      continue;
    }
    if (judged.gap) {
      drop();
      tracked_.insert(m.id);
      catalog.park.push_back(m.id);
      continue;
    }
    auto item = std::make_unique<Item>();
    TakeBody(*slot, *item);  // after this the render thread no longer reads the slot
    item->catalog = judged.catalog;
    item->message = std::move(slot->message);
    if (is_catalog) catalog_busy_ = true;
    return item;
  }
}

void WebhookWorker::TakeBody(Slot& slot, Item& item) {
  int expected = Slot::kNew;
  if (slot.state.compare_exchange_strong(expected, Slot::kRendering, std::memory_order_acq_rel)) {
    item.body = MessageJsonCompact(slot.message, &item.expires_ms);  // got there first
    return;
  }
  while (expected == Slot::kRendering) {
    slot.state.wait(Slot::kRendering, std::memory_order_acquire);
    expected = slot.state.load(std::memory_order_acquire);
  }
  item.body = std::move(slot.body);  // kReady
  item.expires_ms = slot.expires_ms;
}

void WebhookWorker::RenderLoop() {
  for (;;) {
    std::shared_ptr<Slot> slot;
    {
      std::unique_lock lock(render_mu_);
      render_cv_.wait(lock, [this] { return render_stop_ || !render_queue_.empty(); });
      if (render_stop_) return;
      slot = std::move(render_queue_.front());
      render_queue_.pop_front();
    }
    int expected = Slot::kNew;
    if (!slot->state.compare_exchange_strong(expected, Slot::kRendering, std::memory_order_acq_rel)) continue;
    slot->body = MessageJsonCompact(slot->message, &slot->expires_ms);
    slot->state.store(Slot::kReady, std::memory_order_release);
    slot->state.notify_all();
  }
}

void WebhookWorker::Fill(std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog) {
  const int64_t now = NowMs();
  while (running_.size() < static_cast<size_t>(options_.max_in_flight)) {
    std::unique_ptr<Item> item;
    if (!retry_.empty() && retry_.begin()->first <= now) {
      item = std::move(retry_.begin()->second);
      retry_.erase(retry_.begin());
    } else if (tracked_.size() < kMaxTracked) {
      item = NextFromInbox(outcomes, catalog);
    }
    if (item == nullptr) return;
    const MessageId id = item->message.id;
    tracked_.insert(id);
    if (Status s = Launch(std::move(item)); !s.ok()) {
      Log(LogLevel::kError, "webhook_request_failed", {{"id", id.ToHex()}, {"error", s.ToString()}});
      return;
    }
  }
}

Status WebhookWorker::Launch(std::unique_ptr<Item> item) {
  CURL* easy = nullptr;
  if (!idle_.empty()) {
    easy = idle_.back();
    idle_.pop_back();
    curl_easy_reset(easy);  // keeps its connections and TLS sessions
  } else {
    easy = curl_easy_init();
    if (easy == nullptr) return Internal("curl_easy_init failed");
  }
  const int64_t now = NowMs();
  item->started_ms = now;
  const InboxMessage& m = item->message;
  curl_slist_free_all(item->headers);
  item->headers = nullptr;
  auto add = [&](const std::string& header) { item->headers = curl_slist_append(item->headers, header.c_str()); };
  add("Content-Type: application/json");
  add("Expect:");  // no 100-continue round trip
  add("Idempotency-Key: " + m.id.ToHex());
  add("X-Regline-Message-Id: " + m.id.ToHex());
  add("X-Regline-Kind: " + MessageKindName(m.kind));
  add("X-Regline-Delivery-Seq: " + std::to_string(m.delivery_seq));
  add("X-Regline-Attempt: " + std::to_string(item->attempts + 1));
  add("X-Regline-Timestamp: " + std::to_string(now));
  add("X-Regline-Signature: " + WebhookSignature(options_.secret, now, item->body));
  item->response.clear();
  item->retry_after.clear();
  item->error[0] = '\0';

  curl_easy_setopt(easy, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, item->body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(item->body.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, item->headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, KeepBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &item->response);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, KeepRetryAfter);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &item->retry_after);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, item->error);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "regline-connector");
  if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.client_cert_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, options_.client_cert_file.c_str());
    curl_easy_setopt(easy, CURLOPT_SSLKEY, options_.client_key_file.c_str());
  }
  if (options_.insecure_skip_tls_verify) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(easy, CURLOPT_PRIVATE, item.get());
  if (CURLMcode mc = curl_multi_add_handle(multi_, easy); mc != CURLM_OK) {
    idle_.push_back(easy);
    const MessageId id = m.id;
    // Back to the retry queue: tried again after the first back-off.
    retry_.emplace(now + options_.retry_min_ms, std::move(item));
    return Internal(std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc) + " (message " + id.ToHex() + ")");
  }
  running_.emplace(easy, std::move(item));
  return Status::Ok();
}

void WebhookWorker::Finish(Item& item, SinkOutcomeRecord outcome, CatalogProgress& catalog,
                           std::vector<SinkOutcomeRecord>& outcomes) {
  if (item.catalog.has_value()) {
    if (outcome.verdict == SinkVerdict::kAccepted || outcome.verdict == SinkVerdict::kCompleted) {
      catalog.held = item.catalog->version;
    }
    catalog_busy_ = false;
    if (catalog_waiting_ || outcome.verdict != SinkVerdict::kRejected) Rescan();  // waiting or unparked ones
  }
  outcomes.push_back(std::move(outcome));
  // Stays in tracked_ until recorded.
}

int WebhookWorker::Collect(std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog) {
  int finished = 0;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    const CURLcode code = msg->data.result;
    auto it = running_.find(easy);
    curl_multi_remove_handle(multi_, easy);
    if (it == running_.end()) {
      curl_easy_cleanup(easy);
      continue;
    }
    std::unique_ptr<Item> item = std::move(it->second);
    running_.erase(it);
    ++finished;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    idle_.push_back(easy);
    const int64_t now = NowMs();
    WebhookResult r;
    if (code != CURLE_OK) {
      r.retry = true;
      r.error = curl_easy_strerror(code);
      if (item->error[0] != '\0') r.error += std::string(": ") + item->error;
    } else {
      r = ClassifyWebhookResponse(status, item->response, item->retry_after, now);
    }
    ++item->attempts;
    if (r.retry) {
      Retry(std::move(item), r.error, r.retry_after_ms, now, outcomes, catalog);
      continue;
    }
    const InboxMessage& m = item->message;
    {
      if (LogEnabled(LogLevel::kDebug)) {
        Log(LogLevel::kDebug, "sink_delivered",
            {{"sink", "webhook"},
             {"id", m.id.ToHex()},
             {"delivery_seq", std::to_string(m.delivery_seq)},
             {"status", std::to_string(status)},
             {"outcome", std::string(SinkVerdictName(r.outcome.verdict))},
             {"reason", r.outcome.reason}});
      }
      Finish(*item, {m.id, r.outcome.verdict, std::move(r.outcome.reason), now}, catalog, outcomes);
    }
  }
  return finished;
}

void WebhookWorker::Retry(std::unique_ptr<Item> item, const std::string& error, int64_t retry_after_ms, int64_t now,
                          std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog) {
  const InboxMessage& m = item->message;
  const bool expired = item->expires_ms != 0 && now >= item->expires_ms;
  if (item->attempts >= options_.max_attempts || expired) {
    std::string why = (expired ? "expired" : "gave up") + std::string(" after ") + std::to_string(item->attempts) +
                      " attempt(s); last: " + error;
    Log(LogLevel::kError, "webhook_undeliverable",
        {{"id", m.id.ToHex()}, {"delivery_seq", std::to_string(m.delivery_seq)}, {"reason", why}});
    Finish(*item, {m.id, SinkVerdict::kUndeliverable, std::move(why), now}, catalog, outcomes);
    return;
  }
  const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  int64_t delay =
      WebhookRetryDelayMs(item->attempts, options_.retry_min_ms, options_.retry_max_ms, retry_after_ms, unit);
  if (item->expires_ms != 0) delay = std::min(delay, std::max<int64_t>(0, item->expires_ms - now));
  Log(LogLevel::kWarning, "webhook_retry",
      {{"id", m.id.ToHex()},
       {"attempt", std::to_string(item->attempts)},
       {"error", error},
       {"retry_in_ms", std::to_string(delay)}});
  retry_.emplace(now + delay, std::move(item));
}

void WebhookWorker::TakeBackStuck(std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog) {
  const int64_t now = NowMs();
  for (auto it = running_.begin(); it != running_.end();) {
    if (now - it->second->started_ms <= options_.timeout_ms + kStuckGraceMs) {
      ++it;
      continue;
    }
    CURL* easy = it->first;
    std::unique_ptr<Item> item = std::move(it->second);
    it = running_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    curl_easy_cleanup(easy);  // not reused: libcurl lost track of it
    ++item->attempts;
    Retry(std::move(item), "no answer within request_timeout_ms and libcurl did not time the request out", -1, now,
          outcomes, catalog);
  }
}

void WebhookWorker::Hand(std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog) {
  if (outcomes.empty() && catalog.empty()) return;
  if (catalog.held != 0) catalog_handed_ = catalog.held;
  {
    std::lock_guard lock(record_mu_);
    for (SinkOutcomeRecord& o : outcomes) to_record_.push_back(std::move(o));
    if (catalog.held != 0) catalog_to_record_.held = catalog.held;
    for (const MessageId& id : catalog.park) catalog_to_record_.park.push_back(id);
  }
  record_cv_.notify_one();
  outcomes.clear();
  catalog = CatalogProgress{};
}

void WebhookWorker::TakeRecorded() {
  std::vector<MessageId> recorded;
  uint64_t catalog_recorded = 0;
  bool rescan = false;
  {
    std::lock_guard lock(record_mu_);
    recorded.swap(recorded_);
    catalog_recorded = catalog_recorded_;
    rescan = std::exchange(rescan_, false);
  }
  if (recorded.empty() && !rescan) return;
  // A message read from the inbox before its outcome was written (after a
  // rescan) must not be taken again once it is no longer tracked.
  if (!buffer_.empty() && !recorded.empty()) {
    const std::set<MessageId> done(recorded.begin(), recorded.end());
    std::erase_if(buffer_, [&](const std::shared_ptr<Slot>& slot) {
      if (done.count(slot->message.id) == 0) return false;
      int expected = Slot::kNew;
      slot->state.compare_exchange_strong(expected, Slot::kDropped);
      return true;
    });
  }
  for (const MessageId& id : recorded) tracked_.erase(id);
  if (catalog_handed_ != 0 && catalog_recorded == catalog_handed_) catalog_handed_ = 0;
  if (rescan) Rescan();  // the updates parked below it are back in the sink queue
}

void WebhookWorker::RecordLoop() {
  std::vector<SinkOutcomeRecord> outcomes;
  CatalogProgress catalog;
  bool failed = false;
  for (;;) {
    bool stop = false;
    {
      std::unique_lock lock(record_mu_);
      auto work = [this] { return record_stop_ || !to_record_.empty() || !catalog_to_record_.empty(); };
      if (failed) {
        record_cv_.wait_for(lock, kRecordRetry, work);
      } else {
        record_cv_.wait(lock, work);
      }
      // Everything that arrived while the last commit ran goes in this one.
      for (SinkOutcomeRecord& o : to_record_) outcomes.push_back(std::move(o));
      to_record_.clear();
      if (catalog_to_record_.held != 0) catalog.held = catalog_to_record_.held;
      for (const MessageId& id : catalog_to_record_.park) catalog.park.push_back(id);
      catalog_to_record_ = CatalogProgress{};
      stop = record_stop_;
    }
    if (outcomes.empty() && catalog.empty()) {
      if (stop) return;
      continue;
    }
    Status recorded = inbox_.RecordSinkOutcomes(outcomes, catalog);
    if (!recorded.ok()) {
      // Decided but not recorded: kept, and tried again with what comes next.
      Log(LogLevel::kWarning, "sink_outcome_not_recorded", {{"sink", "webhook"}, {"error", recorded.ToString()}});
      failed = true;
      if (stop) {
        Log(LogLevel::kWarning, "webhook_outcomes_abandoned",
            {{"count", std::to_string(outcomes.size())}, {"note", "posted again at the next start"}});
        return;
      }
      continue;
    }
    failed = false;
    if (catalog.held != 0) {
      Log(LogLevel::kInfo, "catalog_applied", {{"sink", "webhook"}, {"version", std::to_string(catalog.held)}});
    }
    {
      std::lock_guard lock(record_mu_);
      for (const SinkOutcomeRecord& o : outcomes) recorded_.push_back(o.id);
      for (const MessageId& id : catalog.park) recorded_.push_back(id);
      if (catalog.held != 0) {
        catalog_recorded_ = catalog.held;
        rescan_ = true;
      }
    }
    curl_multi_wakeup(multi_);
    const bool parked = !catalog.park.empty();
    const bool any = !outcomes.empty();
    outcomes.clear();
    catalog = CatalogProgress{};
    if (any) on_outcome_();
    if (parked && worker_.on_catalog_gap) worker_.on_catalog_gap();
  }
}

void WebhookWorker::Loop() {
  std::vector<SinkOutcomeRecord> outcomes;
  CatalogProgress catalog;
  int64_t stop_by = 0;
  for (;;) {
    const bool stopping = stopping_.load();
    if (stopping && stop_by == 0) stop_by = NowMs() + kStopGraceMs;
    TakeRecorded();
    if (!stopping) Fill(outcomes, catalog);
    int running = 0;
    curl_multi_perform(multi_, &running);
    const int finished = Collect(outcomes, catalog);
    TakeBackStuck(outcomes, catalog);
    Hand(outcomes, catalog);  // the record thread batches them
    if (stopping && (running_.empty() || NowMs() >= stop_by)) {
      if (!running_.empty()) {
        Log(LogLevel::kWarning, "webhook_requests_abandoned",
            {{"count", std::to_string(running_.size())}, {"note", "posted again at the next start"}});
      }
      return;
    }
    // Requests finished: their places are filled at once, not after the
    // next wake-up (which, with nothing else in flight, would be the
    // record thread's).
    if (finished > 0 && !stopping) continue;
    // Sleep until a socket is ready, a retry falls due, an outcome is
    // recorded, Notify or Stop.
    int64_t wait_ms = 1'000;
    if (!retry_.empty()) wait_ms = std::clamp<int64_t>(retry_.begin()->first - NowMs(), 0, wait_ms);
    if (stopping) wait_ms = std::min<int64_t>(wait_ms, 50);
    curl_multi_poll(multi_, nullptr, 0, static_cast<int>(wait_ms), nullptr);
  }
}

}  // namespace regline::connector
