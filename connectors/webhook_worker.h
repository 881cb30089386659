// WebhookWorker: delivers the inbox's messages to the platform's HTTPS
// endpoint, many at a time, with libcurl's multi interface (its requests on
// one thread; bodies rendered and outcomes recorded on two more, below).
//
// Each message is one POST of its JSON (message_json.h, compact) to
// `url`, with the headers and signature webhook_rules.h and
// connectors/README.md ("The webhook sink") specify. Up to max_in_flight
// requests run at once over reused connections (HTTP/2 multiplexed when
// the server offers it through ALPN, else HTTP/1.1 keep-alive, a
// connection per request in flight).
//
// Three threads share the work. The request thread ("webhook") reads the
// inbox, judges each message (JudgeBeforeHandOver), starts and reads the
// requests and keeps every rule below. A render thread ("webhook-render")
// builds the bodies (MessageJsonCompact) of the messages the request thread
// has read but not taken yet; the request thread renders one itself when
// it gets there first. A record thread ("webhook-record") writes the
// outcomes (ClassifyWebhookResponse) to the inbox: all that arrived while
// it was committing the previous ones go in one transaction, so the
// request thread never waits for an fsync; then it tells the link
// (on_outcome). A
// message to retry waits out its back-off (with jitter; the server's
// Retry-After when longer) apart from the others, which keep flowing;
// after max_attempts, or once its envelope's expiry has passed, it is
// recorded undeliverable (SinkVerdict::kUndeliverable) and logged as
// webhook_undeliverable. At most kMaxTracked messages are in flight or
// waiting for a retry; beyond that, new messages wait their turn.
//
// The negative catalog keeps its order (catalog_order.h): one catalog
// message at a time is in flight or waiting for a retry; later catalog
// messages wait for it, other messages do not.
//
// Nothing is recorded before the server answers: after a crash (or a Stop
// that had to abandon requests still running), a message is posted again
// with the same Idempotency-Key and body.
//
// Threads: Start() starts the three; Notify() and Stop() from any thread
// wake the request thread (curl_multi_wakeup). Stop() gives requests in
// flight up to two seconds, records what they decided, abandons the rest
// (posted again at the next start), and joins all three.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connectors/inbox.h"
#include "connectors/sink_worker.h"

namespace regline::connector {

class WebhookWorker final : public DeliveryWorker {
 public:
  // Messages in flight or waiting for a retry, at most.
  static constexpr size_t kMaxTracked = 4096;

  // `worker` supplies the clock, the signature verifier, the envelope size
  // limit and on_catalog_gap, as for SinkWorker (its retry and batch
  // fields are not used). `options` as LoadConnectorConfig checked them
  // (an https URL, client certificate and key together, ...). kInternal
  // when libcurl cannot be set up.
  static Result<std::unique_ptr<WebhookWorker>> Create(Inbox& inbox, WebhookOptions options, SinkWorkerOptions worker,
                                                       std::function<void()> on_outcome);
  ~WebhookWorker() override;
  WebhookWorker(const WebhookWorker&) = delete;
  WebhookWorker& operator=(const WebhookWorker&) = delete;

  void Start() override;
  void Notify() override;
  void Stop() override;

 private:
  struct Item;
  struct Slot;  // a message read from the inbox and its body, rendered ahead

  WebhookWorker(Inbox& inbox, WebhookOptions options, SinkWorkerOptions worker, std::function<void()> on_outcome);
  void Loop();
  // Starts requests (due retries first, then the inbox's next messages)
  // while there is room; decisions reached without a request go to
  // `outcomes` / `catalog`.
  void Fill(std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog);
  // Takes the next message from the inbox that is not tracked yet and may
  // go now; nullptr when there is none.
  std::unique_ptr<Item> NextFromInbox(std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog);
  Status Launch(std::unique_ptr<Item> item);
  // Reads finished requests: outcomes, or retries scheduled. Returns how
  // many finished.
  int Collect(std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog);
  void Finish(Item& item, SinkOutcomeRecord outcome, CatalogProgress& catalog,
              std::vector<SinkOutcomeRecord>& outcomes);
  // A failed attempt (counted already): scheduled again after the back-off,
  // or recorded undeliverable after max_attempts or past its expiry.
  void Retry(std::unique_ptr<Item> item, const std::string& error, int64_t retry_after_ms, int64_t now,
             std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog);
  // Requests libcurl still holds well past request_timeout_ms: taken back
  // and retried.
  void TakeBackStuck(std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog);
  // Hands the outcomes to the record thread (and empties them).
  void Hand(std::vector<SinkOutcomeRecord>& outcomes, CatalogProgress& catalog);
  // Takes what the record thread has written: those messages are no
  // longer tracked.
  void TakeRecorded();
  // Reads the inbox from the start again (parked or waiting catalog
  // messages may have become due).
  void Rescan();
  int64_t NowMs() const;
  void RenderLoop();
  void RecordLoop();
  // The body of `slot`'s message, rendered by whichever thread got there
  // first.
  void TakeBody(Slot& slot, Item& item);

  Inbox& inbox_;
  const WebhookOptions options_;
  const SinkWorkerOptions worker_;
  std::function<void()> on_outcome_;

  CURLM* multi_ = nullptr;
  std::vector<CURL*> idle_;                              // easy handles to reuse
  std::map<CURL*, std::unique_ptr<Item>> running_;       // requests in flight
  std::multimap<int64_t, std::unique_ptr<Item>> retry_;  // by when they are due
  std::set<MessageId> tracked_;                          // in running_ or retry_
  std::deque<std::shared_ptr<Slot>> buffer_;             // read from the inbox, not taken yet
  uint64_t cursor_ = 0;                                  // the inbox is read on after this delivery number
  bool catalog_busy_ = false;                            // a catalog message is in running_ or retry_
  bool catalog_waiting_ = false;                         // one was skipped because of that
  uint64_t catalog_handed_ = 0;  // a catalog version handed to the record thread, not known written yet
  std::atomic<bool> inbox_has_more_{true};               // set by Notify and Rescan: read the inbox again
  int64_t last_inbox_read_ms_ = 0;
  std::mt19937_64 random_;

  // The render thread's queue (render_mu_).
  std::mutex render_mu_;
  std::condition_variable render_cv_;
  std::deque<std::shared_ptr<Slot>> render_queue_;
  bool render_stop_ = false;

  // The record thread's queue, and what it reports back (record_mu_).
  std::mutex record_mu_;
  std::condition_variable record_cv_;
  std::vector<SinkOutcomeRecord> to_record_;
  CatalogProgress catalog_to_record_;
  bool record_stop_ = false;
  std::vector<MessageId> recorded_;  // written: no longer tracked
  uint64_t catalog_recorded_ = 0;    // the last catalog version written
  bool rescan_ = false;              // a catalog version was written: parked messages are back

  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::thread render_thread_;
  std::thread record_thread_;
};

}  // namespace regline::connector
