#include "connectors/gateway_link.h"

#include <kj/exception.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "connectors/acknowledgement.h"
#include "gateway/core/clock.h"
#include "gateway/core/log.h"

namespace regline::connector {
namespace {

using protocol::Client;
using protocol::DecodedFrame;
using schema::Frame;

constexpr int64_t kIdleReceiveMs = 50;     // longest wait for a frame while nothing else is due
constexpr int64_t kPeriodicPassMs = 1000;  // acks and outbox are retried at least this often
constexpr int64_t kNoDeadline = INT64_MAX;
// At most this many DELIVER frames go into one pass's write; the rest wait
// in the socket for the next pass, a commit later. Bounds how long the sink
// worker, which waits for that write to record its outcomes, and the acks
// due wait behind one write when the credit window is large.
constexpr uint32_t kMaxDeliveriesPerPass = 256;

// A failure that says nothing about the request itself: no answer, no
// session, an untagged ERROR (the gateway could not read it or lost the
// session). The session is over; the request stays due.
bool EndsSession(const Status& s, const std::optional<protocol::Refusal>& refusal) {
  if (refusal.has_value()) {
    return refusal->request_tag == 0 || refusal->code == schema::ErrorCode::UNAVAILABLE ||
           refusal->code == schema::ErrorCode::UNAUTHENTICATED;
  }
  // Failed here: no answer in time, no session, a closed or broken socket.
  return s.code() == StatusCode::kDisconnected || s.code() == StatusCode::kUnavailable ||
         s.code() == StatusCode::kFailedPrecondition;
}

// The gateway is busy or its disk failed: try again on a later pass.
bool TryLater(const Status& s) {
  return s.code() == StatusCode::kOverloaded || s.code() == StatusCode::kIOError || s.code() == StatusCode::kNoSpace;
}

std::string StageName(schema::AckStage s) {
  switch (s) {
    case schema::AckStage::RECEIVED:
      return "received";
    case schema::AckStage::ACCEPTED:
      return "accepted";
    case schema::AckStage::COMPLETED:
      return "completed";
    case schema::AckStage::REJECTED:
      return "rejected";
    default:
      return "unspecified";
  }
}

// An ACK the gateway (or the client library) refused for good: it is not
// sent again.
void LogAckRefused(const MessageId& id, uint64_t delivery_seq, schema::AckStage stage, const Status& s) {
  Log(LogLevel::kWarning, "ack_refused",
      {{"id", id.ToHex()},
       {"delivery_seq", std::to_string(delivery_seq)},
       {"stage", StageName(stage)},
       {"error", s.ToString()}});
}

}  // namespace

GatewayLink::GatewayLink(GatewayLinkOptions options, zmq::context_t& context, Inbox& inbox, Outbox& outbox,
                         std::function<void()> on_stored)
    : options_(std::move(options)),
      context_(context),
      inbox_(inbox),
      outbox_(outbox),
      on_stored_(std::move(on_stored)),
      jitter_(static_cast<uint32_t>(std::random_device{}())) {
  // Without it (no descriptors left) Notify only sets the flag, and a wait
  // for frames ends at its timeout (kIdleReceiveMs) as before.
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

GatewayLink::~GatewayLink() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void GatewayLink::Notify() {
  work_ = true;
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

void GatewayLink::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "gateway-link");
    Loop();
  });
}

void GatewayLink::Stop() {
  {
    std::lock_guard lock(sleep_mu_);
    stopping_ = true;
  }
  sleep_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool GatewayLink::SleepFor(int64_t ms) {
  std::unique_lock lock(sleep_mu_);
  return sleep_cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_.load(); });
}

bool GatewayLink::OutOfTime(int64_t deadline_ms) const {
  // Serving passes have no deadline but end at Stop(); the drain pass after
  // Stop() has one.
  return deadline_ms == kNoDeadline ? stopping() : SteadyMs() >= deadline_ms;
}

int64_t GatewayLink::NextBackoffMs() {
  int64_t base = options_.reconnect_min_ms;
  for (int i = 0; i < failed_connects_ && base < options_.reconnect_max_ms; ++i) base *= 2;
  base = std::min(base, options_.reconnect_max_ms);
  ++failed_connects_;
  std::uniform_int_distribution<int64_t> half(0, base / 2);
  return std::max(base - half(jitter_), reconnect_after_ms_);
}

LinkHealth GatewayLink::Health() const {
  LinkHealth h;
  h.connected = connected_.load();
  std::lock_guard<std::mutex> lock(health_mu_);
  h.inbox_wait = inbox_wait_;
  return h;
}

bool GatewayLink::WaitUntilInboxWritable(const Status& refused) {
  int64_t wait = options_.reconnect_min_ms;
  for (int i = 1; i < store_failures_ && wait < options_.reconnect_max_ms; ++i) wait *= 2;
  wait = std::min(wait, options_.reconnect_max_ms);
  // Room for twice the batch that failed, at least 1 MiB, at most 256 MiB
  // (a batch of large envelopes must not ask for more than a disk has).
  const uint64_t headroom = std::clamp<uint64_t>(2 * failed_batch_bytes_, 1u << 20, 256u << 20);
  constexpr std::string_view kNoSession = "no session with the gateway until the inbox takes writes again";
  auto report = [this, kNoSession](const Status& why) {
    std::lock_guard<std::mutex> lock(health_mu_);
    inbox_wait_ = why.WithContext(kNoSession);  // ok stays ok
  };
  report(refused);
  for (int failures = 0;; ++failures) {
    if (SleepFor(wait)) {
      report(Status::Ok());
      return false;
    }
    Status writable = inbox_.CheckWritable(headroom);
    report(writable);
    if (writable.ok()) {
      if (failures > 0) Log(LogLevel::kInfo, "inbox_writable", {{"after_checks", std::to_string(failures + 1)}});
      return true;
    }
    wait = std::min(wait * 2, options_.reconnect_max_ms);
    // Logged at the first failure, then at each check once the back-off
    // has reached reconnect_max_ms.
    if (failures == 0 || wait >= options_.reconnect_max_ms) {
      Log(failures == 0 ? LogLevel::kError : LogLevel::kWarning, "inbox_unwritable",
          {{"error", writable.ToString()}, {"note", std::string(kNoSession)}, {"retry_in_ms", std::to_string(wait)}});
    }
  }
}

void GatewayLink::Loop() {
  while (!stopping()) {
    protocol::ClientOptions o = options_.client;
    o.role = schema::Role::PLATFORM;
    o.resume_from = inbox_.ResumePoint();
    o.resume_point = [this] { return inbox_.ResumePoint(); };
    // After a failed store, one delivery first (see the header comment).
    o.initial_credit = store_failures_ > 0 ? std::min<uint32_t>(1, options_.credit_window) : options_.credit_window;
    credit_withheld_ = options_.credit_window - o.initial_credit;
    o.wake_fd = wake_fd_;
    Result<std::unique_ptr<Client>> client = Client::Connect(context_, o);
    if (!client.ok()) {
      int64_t wait = NextBackoffMs();
      Log(failed_connects_ <= 1 ? LogLevel::kWarning : LogLevel::kDebug, "gateway_unreachable",
          {{"endpoint", o.endpoint}, {"error", client.status().ToString()}, {"retry_in_ms", std::to_string(wait)}});
      if (SleepFor(wait)) break;
      continue;
    }
    failed_connects_ = 0;
    reconnect_after_ms_ = 0;
    connected_ = true;
    const protocol::ReadyInfo& ready = (*client)->ready();
    Log(LogLevel::kInfo, "session_started",
        {{"endpoint", o.endpoint},
         {"session", std::to_string(ready.session_id)},
         {"resume_from", std::to_string(o.resume_from)},
         {"pending", std::to_string(ready.pending_deliveries)}});
    work_ = true;
    acks_in_flight_.clear();
    ack_ids_in_flight_.clear();
    ack_rechecks_.clear();
    ack_full_scan_ = true;
    ack_pause_until_ms_ = 0;
    Status ended = Serve(**client);
    connected_ = false;
    FlushMarks();  // answers taken before the session ended
    if (stopping()) {
      const int64_t deadline = SteadyMs() + options_.drain_timeout_ms;
      if ((*client)->has_session()) {
        ack_full_scan_ = true;
        Status drained = DrainAcks(**client, deadline);
        if (drained.ok()) drained = SendOutbox(**client, deadline);
        if (!drained.ok()) Log(LogLevel::kWarning, "drain_incomplete", {{"error", drained.ToString()}});
      }
      (*client)->Close("connector stopping");
      break;
    }
    (*client)->Close("connector reconnecting");
    if (std::exchange(store_failed_, false)) {
      Log(LogLevel::kWarning, "session_ended",
          {{"reason", ended.ToString()}, {"reconnect", "once the inbox takes writes"}});
      if (!WaitUntilInboxWritable(ended)) break;
      continue;
    }
    int64_t wait = NextBackoffMs();
    Log(LogLevel::kWarning, "session_ended", {{"reason", ended.ToString()}, {"reconnect_in_ms", std::to_string(wait)}});
    if (SleepFor(wait)) break;
  }
  Log(LogLevel::kInfo, "gateway_link_stopped");
}

Status GatewayLink::Serve(Client& client) {
  int64_t last_pass = 0;
  catalog_check_ = true;  // each session starts by asking whether a snapshot is wanted
  // The sink worker's outcomes ride in this session's writes; when it ends,
  // the worker records them itself again.
  struct Serving {
    OutcomeHandoff* h;
    explicit Serving(OutcomeHandoff* handoff) : h(handoff) {
      if (h) h->SetServing(true);
    }
    ~Serving() {
      if (h) h->SetServing(false);
    }
  } serving(options_.handoff);
  while (!stopping()) {
    // Each pass: take the ack answers, read the frames waiting, write all
    // of it in one transaction, then send what is due.
    REGLINE_RETURN_IF_ERROR(TakeAckAnswers(client));
    const bool write_due = !pending_marks_.empty() || (options_.handoff != nullptr && options_.handoff->Waiting());
    int64_t wait = work_ || write_due ? 0 : kIdleReceiveMs;
    if (received_due_steady_ms_ != 0) wait = std::clamp<int64_t>(received_due_steady_ms_ - SteadyMs(), 0, wait);
    Result<std::optional<DecodedFrame>> frame = client.Receive(wait);
    if (!frame.ok()) return frame.status();
    REGLINE_RETURN_IF_ERROR(StorePass(client, std::move(*frame)));
    const int64_t now = SteadyMs();
    if (received_due_steady_ms_ != 0 && now >= received_due_steady_ms_) {
      received_due_steady_ms_ = 0;
      work_ = true;  // delayed "received" acks are due now
    }
    if (work_.exchange(false) || now - last_pass >= kPeriodicPassMs) {
      if (now - last_pass >= kPeriodicPassMs) ack_full_scan_ = true;  // a safety net: reread everything due
      last_pass = now;
      REGLINE_RETURN_IF_ERROR(SendAcks(client, kNoDeadline));
      REGLINE_RETURN_IF_ERROR(SendOutbox(client, kNoDeadline));
      if (catalog_check_.exchange(false)) REGLINE_RETURN_IF_ERROR(AskCatalogSnapshot(client));
    }
  }
  return Status::Ok();
}

void GatewayLink::FlushMarks() {
  if (pending_marks_.empty()) return;
  if (Status marked = inbox_.MarkAcksSent(pending_marks_); !marked.ok()) {
    // They stay due and are sent again (the gateway says duplicate).
    Log(LogLevel::kError, "inbox_write_failed", {{"error", marked.ToString()}});
  }
  pending_marks_.clear();
}

Status GatewayLink::StorePass(Client& client, std::optional<DecodedFrame> first) {
  std::vector<Delivery> batch;
  uint32_t consumed = 0;  // DELIVER frames, readable or not: each took a credit
  std::optional<Status> bye;
  std::optional<DecodedFrame> next(std::move(first));
  while (next.has_value()) {
    Frame::Reader f = next->get();
    kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
      switch (f.which()) {
        case Frame::DELIVER: {
          ++consumed;
          auto d = f.getDeliver();
          Delivery out;
          out.delivery_seq = d.getDeliverySeq();
          out.attempt = d.getAttempt();
          out.id = protocol::FromWire(d.getMessageId());
          out.kind = static_cast<int>(d.getKind());
          auto env = d.getEnvelope();
          out.envelope.assign(reinterpret_cast<const char*>(env.begin()), env.size());
          if (out.id.IsZero() || out.delivery_seq == 0) {
            Log(LogLevel::kWarning, "deliver_ignored", {{"reason", "zero message id or delivery number"}});
          } else {
            batch.push_back(std::move(out));
          }
          return;
        }
        case Frame::BYE: {
          auto b = f.getBye();
          reconnect_after_ms_ = std::max<int64_t>(0, b.getReconnectAfterMs());
          bye = Status(StatusCode::kDisconnected, std::string("gateway said bye: ") + b.getReason().cStr());
          return;
        }
        case Frame::ERROR:
          Log(LogLevel::kWarning, "gateway_error",
              {{"code", std::string(protocol::WireErrorName(f.getError().getCode()))},
               {"text", f.getError().getText().cStr()}});
          return;
        default:
          return;
      }
    });
    KJ_IF_MAYBE (e, failure) {
      Log(LogLevel::kWarning, "frame_unreadable", {{"error", e->getDescription().cStr()}});
    }
    next.reset();
    if (bye.has_value() || consumed >= std::min(options_.credit_window, kMaxDeliveriesPerPass)) break;
    Result<std::optional<DecodedFrame>> more = client.Receive(0);
    if (!more.ok()) {
      bye = more.status();
      break;
    }
    if (more->has_value()) next.emplace(std::move(**more));
  }
  OutcomeHandoff::Claim outcomes;
  if (options_.handoff != nullptr) outcomes = options_.handoff->Take();
  if (!batch.empty() || !pending_marks_.empty() || outcomes.taken) {
    Result<std::vector<bool>> stored =
        inbox_.Write(WriteBatch{batch, pending_marks_, outcomes.outcomes, outcomes.catalog});
    // Written, or lost with the failed write: those acks are sent again and
    // the gateway says duplicate.
    pending_marks_.clear();
    // The sink worker hears the write's fate either way (it retries a
    // failure after a back-off, handing the messages over again).
    if (outcomes.taken) options_.handoff->Finish(stored.status());
    if (!stored.ok()) {
      Log(LogLevel::kError, "inbox_write_failed", {{"error", stored.status().ToString()}});
      // Not stored, not acknowledged: the gateway sends them again in the
      // next session, once the inbox takes writes again.
      if (!batch.empty()) {
        store_failed_ = true;
        ++store_failures_;
        failed_batch_bytes_ = 0;
        for (const Delivery& d : batch) failed_batch_bytes_ += d.envelope.size();
        return stored.status().WithContext("storing " + std::to_string(batch.size()) + " deliveries");
      }
    } else if (!batch.empty()) {
      store_failures_ = 0;
      NoteStored(batch, *stored);
    }
    if (outcomes.taken) work_ = true;  // their acknowledgements are due
  }
  // Each credit used comes back, and while some of the window is withheld
  // after a failed store, one more per delivery stored.
  const uint32_t earned = std::min(credit_withheld_, static_cast<uint32_t>(batch.size()));
  credit_withheld_ -= earned;
  const uint32_t grant = consumed + earned;
  if (grant > 0 && client.has_session()) REGLINE_RETURN_IF_ERROR(client.GrantCredit(grant));
  if (bye.has_value()) return *bye;
  return Status::Ok();
}

void GatewayLink::NoteStored(const std::vector<Delivery>& batch, const std::vector<bool>& duplicate) {
  size_t duplicates = 0;
  for (size_t i = 0; i < duplicate.size(); ++i) {
    if (!duplicate[i]) continue;
    ++duplicates;
    // A receipt for an ack sent before this redelivery must not settle it.
    if (auto it = ack_ids_in_flight_.find(batch[i].id); it != ack_ids_in_flight_.end()) {
      acks_in_flight_[it->second].redelivered = true;
    }
  }
  if (LogEnabled(LogLevel::kDebug))
    Log(LogLevel::kDebug, "deliveries_stored",
        {{"count", std::to_string(batch.size())},
         {"duplicates", std::to_string(duplicates)},
         {"first_seq", std::to_string(batch.front().delivery_seq)},
         {"last_seq", std::to_string(batch.back().delivery_seq)}});
  if (duplicates < batch.size()) on_stored_();
  work_ = true;  // stage received is due for each (SendAcks sets the timer for those it holds back)
}

Status GatewayLink::SendAcks(Client& client, int64_t deadline_ms) {
  if (SteadyMs() < ack_pause_until_ms_) return Status::Ok();
  const size_t window = static_cast<size_t>(std::max(options_.ack_window, 1));
  // While serving, a bare "received" waits for the sink a moment; the drain
  // after Stop() sends everything.
  const int64_t received_before = deadline_ms == kNoDeadline ? WallMs() - options_.received_delay_ms : INT64_MAX;
  // A bare "received" reached too recently waits; the link comes back for
  // it when it is old enough.
  auto too_young = [&](const PendingAck& a) {
    if (a.stage != schema::AckStage::RECEIVED || a.at_ms <= received_before) return false;
    const int64_t due = SteadyMs() + (a.at_ms - received_before) + 1;
    if (received_due_steady_ms_ == 0 || due < received_due_steady_ms_) received_due_steady_ms_ = due;
    return true;
  };
  std::vector<SentAck> refused;
  Status session_over;
  bool send_blocked = false;
  // Acks wait in `batch` until a frame's worth is there or the pass ends,
  // then leave in one ACKS frame (one ACK frame for a gateway that takes
  // no ACKS). Their ids are in ack_ids_in_flight_ with tag 0 meanwhile, so
  // a message gets at most one ack per pass.
  const size_t per_frame = std::clamp<size_t>(client.ready().max_acks_per_frame, 1, kAcksPerFrame);
  std::vector<PendingAck> batch;
  std::vector<protocol::AckRequest> requests;
  auto request_for = [&](const PendingAck& a) {
    protocol::AckRequest req;
    req.delivery_seq = a.delivery_seq;
    req.message_id = a.id;
    req.stage = a.stage;
    req.reason_code = a.reason_code;
    req.reason = a.reason;
    req.at_ms = a.at_ms;
    req.acknowledgement = SignedAcknowledgement(a);
    return req;
  };
  auto in_flight = [&](const PendingAck& a, uint64_t tag) {
    acks_in_flight_[tag] = AckInFlight{a.id, a.stage, a.delivery_seq, SteadyMs(), false};
    ack_ids_in_flight_[a.id] = tag;
  };
  // A failed send: false when nothing more may be sent in this pass.
  auto failed = [&](const PendingAck& a, const Status& s) -> bool {
    if (s.code() == StatusCode::kOverloaded) {
      send_blocked = true;  // the socket's queue is full: the rest waits for answers
      return false;
    }
    if (EndsSession(s, client.last_refusal())) {
      session_over = s;
      return false;
    }
    // Refused locally (e.g. a frame over the session's limit): for good.
    LogAckRefused(a.id, a.delivery_seq, a.stage, s);
    refused.push_back({a.id, a.stage, s.ToString()});
    return true;
  };
  // Sends what `batch` holds. False when nothing more may be sent in this
  // pass; what was not sent stays due and is read again from the start.
  auto flush = [&]() -> bool {
    if (batch.empty()) return true;
    requests.clear();
    for (const PendingAck& a : batch) requests.push_back(request_for(a));
    for (const PendingAck& a : batch) ack_ids_in_flight_.erase(a.id);
    std::vector<PendingAck> sending;
    sending.swap(batch);
    Result<std::vector<uint64_t>> tags = client.SendAcks(requests);
    if (tags.ok()) {
      for (size_t i = 0; i < sending.size(); ++i) in_flight(sending[i], (*tags)[i]);
      return true;
    }
    const Status& s = tags.status();
    if (sending.size() == 1 || s.code() == StatusCode::kOverloaded || EndsSession(s, client.last_refusal())) {
      ack_full_scan_ = true;
      return failed(sending.front(), s);
    }
    // Refused locally (an entry the client would not send, a frame over
    // the limit): one by one, so that only what cannot go is refused for
    // good.
    for (size_t i = 0; i < sending.size(); ++i) {
      Result<uint64_t> tag = client.SendAck(requests[i]);
      if (tag.ok()) {
        in_flight(sending[i], *tag);
      } else if (!failed(sending[i], tag.status())) {
        ack_full_scan_ = true;
        return false;
      }
    }
    return true;
  };
  // Adds `a` unless its message has an ACK on the way (its answer decides
  // what is due next: MarkAcksSent notes a stage raised meanwhile). False
  // when nothing more may be sent in this pass.
  auto send = [&](const PendingAck& a) -> bool {
    if (!ack_ids_in_flight_.emplace(a.id, 0).second) return true;
    batch.push_back(a);
    return batch.size() < per_frame || flush();
  };
  auto finish = [&]() -> Status {
    flush();
    if (Status marked = inbox_.MarkAcksSent(refused); !marked.ok()) {
      Log(LogLevel::kError, "inbox_write_failed", {{"error", marked.ToString()}});
    }
    return session_over;
  };
  auto room = [&] {
    return !send_blocked && acks_in_flight_.size() + batch.size() < window && !OutOfTime(deadline_ms);
  };

  // 1. Rows that fell due again behind the read position.
  std::vector<MessageId> ids = inbox_.TakeAckRechecks();
  ids.insert(ids.end(), ack_rechecks_.begin(), ack_rechecks_.end());
  ack_rechecks_.clear();
  if (!ids.empty()) {
    Result<std::vector<PendingAck>> due = inbox_.PendingAcksFor(ids);
    if (!due.ok()) {
      Log(LogLevel::kError, "inbox_read_failed", {{"error", due.status().ToString()}});
      ack_full_scan_ = true;  // the periodic full read finds them
    } else {
      for (const PendingAck& a : *due) {
        if (!room() || too_young(a) || !session_over.ok()) {
          ack_rechecks_.push_back(a.id);  // next pass
          continue;
        }
        if (!send(a)) ack_rechecks_.push_back(a.id);
      }
    }
  }
  // 2. Rows in ack-number order from where the last pass stopped (from the
  // start after a new session, a failed answer, and once a second).
  if (ack_full_scan_) {
    ack_full_scan_ = false;
    ack_cursor_ = 0;
  }
  while (session_over.ok() && room()) {
    Result<std::vector<PendingAck>> due = inbox_.PendingAcks(options_.ack_batch, ack_cursor_);
    if (!due.ok()) {
      Log(LogLevel::kError, "inbox_read_failed", {{"error", due.status().ToString()}});
      break;  // tried again on the next pass
    }
    for (const PendingAck& a : *due) {
      // Later rows arrived later still: they wait too (the received-due
      // timer brings the link back).
      if (!room() || too_young(a)) return finish();
      if (!send(a)) return finish();
      ack_cursor_ = a.delivery_seq;
    }
    if (due->size() < static_cast<size_t>(options_.ack_batch)) break;
  }
  return finish();
}

Status GatewayLink::TakeAckAnswers(Client& client) {
  std::vector<protocol::AckAnswer> answers = client.TakeAckAnswers();
  std::vector<SentAck> answered;
  Status session_over;
  for (protocol::AckAnswer& answer : answers) {
    auto it = acks_in_flight_.find(answer.request_tag);
    if (it == acks_in_flight_.end()) continue;
    const AckInFlight a = it->second;
    acks_in_flight_.erase(it);
    ack_ids_in_flight_.erase(a.id);
    const Status& s = answer.status;
    if (s.ok()) {
      if (!a.redelivered) {
        answered.push_back({a.id, a.stage, ""});
      } else {
        ack_rechecks_.push_back(a.id);  // delivered again meanwhile: say it again
      }
      continue;
    }
    ack_full_scan_ = true;  // it stays due behind the read position
    if (EndsSession(s, answer.refusal)) {
      if (session_over.ok()) session_over = s;
      continue;  // stays due
    }
    if (TryLater(s)) {
      // Stays due; no new acks until the next pass, about a second later.
      const int64_t after = answer.refusal ? answer.refusal->retry_after_ms : 0;
      ack_pause_until_ms_ = std::max(ack_pause_until_ms_, SteadyMs() + std::max<int64_t>(after, kPeriodicPassMs));
      continue;
    }
    LogAckRefused(a.id, a.delivery_seq, a.stage, s);
    answered.push_back({a.id, a.stage, s.ToString()});
  }
  if (!answers.empty()) work_ = true;  // the window has room again, or a later stage may be due
  // Marked sent by the pass's write (StorePass), before anything is read
  // as due again.
  pending_marks_.insert(pending_marks_.end(), std::make_move_iterator(answered.begin()),
                        std::make_move_iterator(answered.end()));
  if (!session_over.ok()) return session_over;
  if (!acks_in_flight_.empty()) {
    const int64_t oldest = acks_in_flight_.begin()->second.sent_steady_ms;
    if (SteadyMs() - oldest > options_.client.timeout_ms) {
      return Unavailable("gateway at " + options_.client.endpoint + " did not answer ACK within " +
                         std::to_string(options_.client.timeout_ms) + " ms");
    }
  }
  return Status::Ok();
}

Status GatewayLink::DrainAcks(Client& client, int64_t deadline_ms) {
  for (;;) {
    Status answered = TakeAckAnswers(client);
    FlushMarks();
    REGLINE_RETURN_IF_ERROR(answered);
    REGLINE_RETURN_IF_ERROR(SendAcks(client, deadline_ms));
    if (acks_in_flight_.empty()) return Status::Ok();
    const int64_t left = deadline_ms - SteadyMs();
    if (left <= 0)
      return Unavailable(std::to_string(acks_in_flight_.size()) + " acks unanswered at the drain deadline");
    // Deliveries read here are not stored: the gateway sends them again.
    Result<std::optional<DecodedFrame>> frame = client.Receive(std::min<int64_t>(left, 20));
    if (!frame.ok()) return frame.status();
  }
}

int64_t GatewayLink::WallMs() const {
  return options_.client.clock != nullptr ? options_.client.clock->NowMs() : SystemClock().NowMs();
}

std::string GatewayLink::SignedAcknowledgement(const PendingAck& a) {
  if (options_.signer == nullptr || a.stage == schema::AckStage::RECEIVED) return "";
  Result<std::string> built = [&]() -> Result<std::string> {
    Result<std::string> envelope = inbox_.StoredEnvelope(a.id);
    if (!envelope.ok()) return envelope.status();
    Result<OriginalMessage> original = ReadOriginal(*envelope, options_.max_envelope_bytes);
    if (!original.ok()) return original.status();
    return BuildSignedAcknowledgement(*options_.signer, *original,
                                      {a.id, a.stage, a.at_ms, a.reason_code, a.reason}, WallMs());
  }();
  if (!built.ok()) {
    Log(LogLevel::kWarning, "acknowledgement_unsigned",
        {{"id", a.id.ToHex()}, {"stage", StageName(a.stage)}, {"error", built.status().ToString()}});
    return "";
  }
  return std::move(built).value();
}

Status GatewayLink::SendOutbox(Client& client, int64_t deadline_ms) {
  if (SteadyMs() < outbox_pause_until_ms_ || !outbox_.MaybePending()) return Status::Ok();
  for (;;) {
    Result<std::vector<LeasedDelivery>> leased = outbox_.Lease(options_.outbox_batch);
    if (!leased.ok()) {
      // Tried again a second later; the same failure again (a fenced
      // outbox fails the same way until a restart) is logged at debug
      // level only.
      outbox_pause_until_ms_ = SteadyMs() + 1000;
      std::string error = leased.status().ToString();
      Log(error == last_outbox_error_ ? LogLevel::kDebug : LogLevel::kError, "outbox_read_failed", {{"error", error}});
      last_outbox_error_ = std::move(error);
      return Status::Ok();
    }
    last_outbox_error_.clear();
    if (leased->empty()) return Status::Ok();
    for (const LeasedDelivery& d : *leased) {
      Status stop_pass;
      if (OutOfTime(deadline_ms)) stop_pass = Unavailable("stopping, or the drain time is up");
      Result<protocol::ConfirmInfo> confirm =
          stop_pass.ok() ? client.Submit(d.envelope) : Result<protocol::ConfirmInfo>(stop_pass);
      if (confirm.ok()) {
        Status marked = outbox_.MarkSent(d.seq);
        Log(LogLevel::kInfo, "upstream_sent",
            {{"id", d.id.ToHex()},
             {"gateway_seq", std::to_string(confirm->gateway_seq)},
             {"duplicate", confirm->duplicate ? "true" : "false"}});
        if (!marked.ok()) Log(LogLevel::kError, "outbox_write_failed", {{"error", marked.ToString()}});
        continue;
      }
      const Status& s = confirm.status();
      const bool ends = stop_pass.ok() && EndsSession(s, client.last_refusal());
      if (!stop_pass.ok() || ends || TryLater(s)) {
        // Everything leased goes back in its place; order holds.
        if (Status r = outbox_.Requeue(); !r.ok())
          Log(LogLevel::kError, "outbox_write_failed", {{"error", r.ToString()}});
        if (TryLater(s)) {
          int64_t after = client.last_refusal() ? client.last_refusal()->retry_after_ms : 0;
          outbox_pause_until_ms_ = SteadyMs() + std::max<int64_t>(after, kPeriodicPassMs);
          Log(LogLevel::kWarning, "upstream_deferred", {{"id", d.id.ToHex()}, {"error", s.ToString()}});
        }
        return ends ? s : Status::Ok();
      }
      Log(LogLevel::kError, "upstream_refused", {{"id", d.id.ToHex()}, {"error", s.ToString()}});
      if (Status r = outbox_.MarkRefused(d.seq, s.ToString()); !r.ok()) {
        Log(LogLevel::kError, "outbox_write_failed", {{"error", r.ToString()}});
      }
    }
    if (leased->size() < static_cast<size_t>(options_.outbox_batch)) return Status::Ok();
  }
}

Status GatewayLink::AskCatalogSnapshot(Client& client) {
  const uint64_t held = inbox_.CatalogHeld();
  Result<int64_t> parked = inbox_.CatalogParked();
  if (!parked.ok()) {
    Log(LogLevel::kError, "inbox_read_failed", {{"error", parked.status().ToString()}});
    catalog_check_ = true;  // next pass
    return Status::Ok();
  }
  if (held != 0 && *parked == 0) return Status::Ok();
  const std::string reason = *parked > 0 ? std::to_string(*parked) + " catalog update(s) parked above a gap"
                                         : std::string("no catalog version held yet");
  Result<protocol::DecodedFrame> answer = client.Query([&](schema::Query::Builder q) {
    auto r = q.initCatalogSnapshot();
    r.setHaveVersion(held);
    r.setReason(reason);
  });
  if (!answer.ok()) {
    const Status& s = answer.status();
    const bool ends = EndsSession(s, client.last_refusal());
    if (ends || TryLater(s)) catalog_check_ = true;  // asked again next pass or next session
    Log(LogLevel::kWarning, "catalog_snapshot_not_requested",
        {{"have_version", std::to_string(held)}, {"error", s.ToString()}});
    return ends ? s : Status::Ok();
  }
  auto r = answer->get().getQueryResult().getCatalogSnapshot();
  Log(LogLevel::kInfo, "catalog_snapshot_requested",
      {{"have_version", std::to_string(held)},
       {"reason", reason},
       {"snapshot_version", std::to_string(r.getSnapshotVersion())},
       {"last_version", std::to_string(r.getLastVersion())},
       {"messages_queued", std::to_string(r.getMessagesQueued())}});
  return Status::Ok();
}

}  // namespace regline::connector
