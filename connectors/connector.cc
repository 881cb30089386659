#include "connectors/connector.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <filesystem>

#include "connectors/http_api.h"
#include "connectors/webhook_worker.h"
#include "gateway/core/log.h"
#include "gateway/core/service_notify.h"

namespace regline::connector {

Connector::Connector(ConnectorConfig config, const Clock& clock, std::string version)
    : config_(std::move(config)), clock_(clock), version_(std::move(version)), context_(1) {
  stop_fd_ = UniqueFd(eventfd(0, EFD_CLOEXEC));
}

Connector::~Connector() { Stop(); }

Status Connector::Start() {
  if (!stop_fd_.valid()) return ErrnoStatus(errno, "eventfd");
  const ConnectorSecurity& security = config_.security;
  if (!security.secure()) {
    Log(LogLevel::kWarning, "INSECURE_PLAINTEXT",
        {{"detail", "insecure_plaintext_for_development = true: no CURVE, the gateway believes any peer's HELLO; "
                    "development only"},
         {"signing", security.signer ? "on" : "off (acknowledgements and reports go unsigned)"},
         {"verification", security.registry ? "on" : "off (nothing received is verified)"}});
  }
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return IOError("cannot create data directory " + config_.data_dir + ": " + ec.message());
  const std::string lock_path = config_.data_dir + "/connector.lock";
  lock_fd_ = UniqueFd(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
  if (!lock_fd_.valid()) return ErrnoStatus(errno, "opening " + lock_path);
  if (flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    return FailedPrecondition("another regline-connector is using " + config_.data_dir + " (" + lock_path +
                              " is locked)");
  }

  Result<std::unique_ptr<Inbox>> inbox = Inbox::Open({config_.inbox_path(), config_.durability}, clock_);
  if (!inbox.ok()) return inbox.status();
  inbox_ = std::move(inbox).value();
  Result<std::unique_ptr<Outbox>> outbox =
      Outbox::Open({config_.outbox_path(), config_.durability, config_.outbox_quota}, clock_);
  if (!outbox.ok()) return outbox.status();
  outbox_ = std::move(outbox).value();
  if (config_.sink.type != SinkType::kWebhook) {
    Result<std::unique_ptr<Sink>> sink = MakeSink(config_.sink);
    if (!sink.ok()) return sink.status();
    sink_ = std::move(sink).value();
  }

  // The link is built before the worker so that the worker's callback can
  // name it; it starts after the worker.
  GatewayLinkOptions lo;
  lo.client.endpoint = config_.gateway_endpoint;
  lo.client.identity = config_.identity;
  lo.client.timeout_ms = config_.request_timeout_ms;
  lo.client.heartbeat_interval_ms = config_.heartbeat_interval_ms;
  lo.client.client_name = "regline-connector";
  lo.client.client_version = version_;
  lo.client.curve = config_.security.curve;
  lo.client.clock = &clock_;
  lo.credit_window = config_.credit_window;
  lo.reconnect_min_ms = config_.reconnect_min_ms;
  lo.reconnect_max_ms = config_.reconnect_max_ms;
  const identity::Signer* signer = config_.security.signer ? &*config_.security.signer : nullptr;
  lo.signer = signer;
  if (sink_ != nullptr) {
    // The sink worker's outcomes go into the link's inbox writes (one
    // writer, one commit per pass). The webhook worker records its own:
    // its outcomes come from many requests at their own pace.
    handoff_ = std::make_unique<OutcomeHandoff>(*inbox_, [this] { link_->Notify(); });
    lo.handoff = handoff_.get();
  }
  link_ = std::make_unique<GatewayLink>(lo, context_, *inbox_, *outbox_, [this] { worker_->Notify(); });
  if (config_.security.registry) {
    verifier_ = std::make_unique<SignatureVerifier>(*config_.security.registry, config_.security.registry_file, clock_);
  }
  SinkWorkerOptions wo;
  wo.retry_min_ms = config_.sink.retry_min_ms;
  wo.retry_max_ms = config_.sink.retry_max_ms;
  wo.clock = &clock_;
  wo.verifier = verifier_.get();
  wo.on_catalog_gap = [this] { link_->RequestCatalogSnapshot(); };
  wo.handoff = handoff_.get();
  if (sink_ != nullptr) {
    worker_ = std::make_unique<SinkWorker>(*inbox_, *sink_, wo, [this] { link_->Notify(); });
  } else {
    const WebhookOptions& w = config_.sink.webhook;
    if (w.insecure_skip_tls_verify) {
      Log(LogLevel::kWarning, "WEBHOOK_TLS_UNVERIFIED",
          {{"url", w.url},
           {"note",
            "insecure_skip_tls_verify_for_development: the platform's server is not authenticated; never in "
            "production"}});
    }
    Result<std::unique_ptr<WebhookWorker>> webhook = WebhookWorker::Create(*inbox_, w, wo, [this] { link_->Notify(); });
    if (!webhook.ok()) return webhook.status();
    worker_ = std::move(webhook).value();
  }
  worker_->Start();
  link_->Start();

  LocalEndpointOptions eo;
  eo.bind = config_.local_endpoint;
  eo.identity = config_.identity;
  eo.max_frame_bytes = config_.local_max_frame_bytes;
  eo.endpoint_file = config_.endpoint_file();
  eo.version = version_;
  eo.signer = signer;
  local_ = std::make_unique<LocalEndpoint>(
      eo, context_, *inbox_, *outbox_, [this] { link_->Notify(); }, clock_);
  REGLINE_RETURN_IF_ERROR(local_->Start());
  if (config_.http_api.enabled) {
    HttpApiOptions ho;
    ho.host = config_.http_api.host;
    ho.port = config_.http_api.port;
    ho.token = config_.http_api.token;
    ho.identity = config_.identity;
    ho.max_body_bytes = static_cast<size_t>(config_.http_api.max_body_bytes);
    ho.url_file = config_.http_api_url_file();
    ho.signer = signer;
    ho.link_health = [this] { return link_->Health(); };
    http_api_ = std::make_unique<HttpApi>(
        ho, *inbox_, *outbox_, [this] { link_->Notify(); }, clock_);
    REGLINE_RETURN_IF_ERROR(http_api_->Start());
  }

  Result<InboxCounts> counts = inbox_->Counts();
  Log(LogLevel::kInfo, "connector_started",
      {{"identity", config_.identity},
       {"gateway", config_.gateway_endpoint},
       {"local_endpoint", local_->endpoint()},
       {"http_api", http_api_ ? http_api_->url() : "off"},
       {"sink", std::string(SinkTypeName(config_.sink.type))},
       {"security", security.secure() ? "curve" : "INSECURE_PLAINTEXT"},
       {"signing_key_id", security.signer ? security.signer->key_id() : "none"},
       {"resume_from", std::to_string(inbox_->ResumePoint())},
       {"inbox_messages", counts.ok() ? std::to_string(counts->messages) : "?"},
       {"awaiting_sink", counts.ok() ? std::to_string(counts->awaiting_sink) : "?"},
       {"acks_due", counts.ok() ? std::to_string(counts->pending_acks) : "?"},
       {"catalog_version", std::to_string(inbox_->CatalogHeld())},
       {"catalog_parked", counts.ok() ? std::to_string(counts->parked) : "?"},
       {"undeliverable", counts.ok() ? std::to_string(counts->undeliverable) : "?"},
       {"outbox_pending", std::to_string(outbox_->Pending())}});
  return Status::Ok();
}

void Connector::Run() {
  // systemd (Type=notify): ready once Start() has everything running;
  // watchdog pings, status lines and retention passes while this thread waits for the
  // stop request.
  const int64_t watchdog_ms = WatchdogPingIntervalMs();
  const std::string serving = "STATUS=" + config_.identity + ": gateway " + config_.gateway_endpoint + ", sink " +
                              std::string(SinkTypeName(config_.sink.type));
  // A store fenced after a failed sync (connectors/README.md, "A failing
  // disk") and the wait for room on a full disk show within a second
  // (kStatusCheckMs), with or without a watchdog.
  auto status = [&] {
    const bool inbox = !inbox_->fence().ok();
    if (!inbox && outbox_->fence().ok()) {
      // A full disk: the link holds no session until the inbox has room.
      const Status wait = link_->Health().inbox_wait;
      if (wait.ok()) return serving;
      return "STATUS=" + config_.identity + ": " + wait.ToString() + " (see inbox_unwritable in the log)";
    }
    return "STATUS=" + config_.identity + ": refusing every change: a sync of its " + (inbox ? "inbox" : "outbox") +
           " failed (see " + (inbox ? "inbox_fenced" : "store_fenced") + " in the log; check the disk, then restart)";
  };
  std::string shown = status();
  NotifyServiceManager("READY=1\n" + shown);
  int64_t next_ping = watchdog_ms > 0 ? SteadyMs() + watchdog_ms : INT64_MAX;
  int64_t next_prune = SteadyMs();  // the first pass right after the start
  int64_t next_check = SteadyMs() + kStatusCheckMs;
  pollfd p{stop_fd_.get(), POLLIN, 0};
  for (;;) {
    int64_t now = SteadyMs();
    if (now >= next_prune) {
      PruneRetained();
      now = SteadyMs();
      next_prune = now + config_.retention_check_ms;
    }
    if (now >= next_ping) {
      shown = status();
      NotifyServiceManager("WATCHDOG=1\n" + shown);
      next_ping = now + watchdog_ms;
    }
    if (now >= next_check) {
      NotifyStatusChange(shown, status());
      next_check = now + kStatusCheckMs;
    }
    const int64_t wait = std::clamp<int64_t>(std::min({next_prune, next_ping, next_check}) - now, 0, INT32_MAX);
    const int n = poll(&p, 1, static_cast<int>(wait));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    uint64_t value = 0;
    ssize_t ignored = read(stop_fd_.get(), &value, sizeof value);
    (void)ignored;
    break;
  }
  NotifyServiceManager("STOPPING=1\nSTATUS=stopping");
}

// One retention pass over the inbox (in batches, at most kBatches of them
// so that the watchdog keeps being pinged) and the outbox. A failed pass is
// logged and tried again next time; nothing waiting is ever deleted.
void Connector::PruneRetained() {
  constexpr int kPerBatch = 1000;
  constexpr int kBatches = 10;
  const int64_t retention_ms = config_.retention_days * 86'400'000;
  const int64_t before = clock_.NowMs() - retention_ms;
  int64_t inbox_deleted = 0;
  for (int i = 0; i < kBatches; ++i) {
    Result<int> n = inbox_->Prune(before, kPerBatch);
    if (!n.ok()) {
      Log(LogLevel::kError, "retention_failed", {{"store", "inbox"}, {"error", n.status().ToString()}});
      break;
    }
    inbox_deleted += *n;
    if (*n < kPerBatch) break;
  }
  int64_t outbox_deleted = 0;
  Result<PruneCounts> out = outbox_->PruneRetained(retention_ms, kPerBatch);
  if (out.ok()) {
    outbox_deleted = out->messages;
  } else {
    Log(LogLevel::kError, "retention_failed", {{"store", "outbox"}, {"error", out.status().ToString()}});
  }
  if (inbox_deleted == 0 && outbox_deleted == 0) return;
  Log(LogLevel::kInfo, "retention_pruned",
      {{"inbox_messages", std::to_string(inbox_deleted)},
       {"outbox_messages", std::to_string(outbox_deleted)},
       {"retention_days", std::to_string(config_.retention_days)}});
}

void Connector::RequestStop() {
  uint64_t one = 1;
  ssize_t ignored = write(stop_fd_.get(), &one, sizeof one);
  (void)ignored;
}

void Connector::Stop() {
  if (stopped_) return;
  stopped_ = true;
  const bool started = local_ != nullptr;
  if (started) Log(LogLevel::kInfo, "connector_stopping");
  if (local_) local_->Stop();
  if (http_api_) http_api_->Stop();  // answers what it accepted: the outbox is still running
  if (worker_) worker_->Stop();
  if (link_) link_->Stop();
  if (outbox_) outbox_->Stop();  // answers any submission the endpoint gave up waiting for
  if (!started) return;
  if (handoff_) {
    // How the sink's outcomes were written: in the link's writes while a
    // session was up, by the worker itself otherwise (or when the link did
    // not take them within the claim timeout: many of those mean the link
    // was stalled).
    Log(LogLevel::kInfo, "connector_stopped",
        {{"outcome_batches_by_link", std::to_string(handoff_->written_by_link())},
         {"outcome_batches_by_worker", std::to_string(handoff_->written_by_recorder())}});
  } else {
    Log(LogLevel::kInfo, "connector_stopped");
  }
}

std::string Connector::local_endpoint() const { return local_ ? local_->endpoint() : std::string(); }

}  // namespace regline::connector
