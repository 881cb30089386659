#include "gateway/server/server.h"

#include <capnp/schema.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gateway/core/log.h"
#include "gateway/core/service_notify.h"
#include "gateway/policy/builtin_policy.h"
#include "gateway/policy/schema_names.h"
#include "gateway/server/console_api.h"
#include "gateway/server/escalations.h"
#include "gateway/server/queries.h"
#include "gateway/server/rules.h"
#include "schemas/directive.capnp.h"

namespace regline::server {
namespace {

constexpr int64_t kTimerMs = 250;  // lease expiry, message expiry, heartbeats

// The wire ErrorCode's schema name ("malformedFrame"), for metric labels.
std::string ErrorCodeLabel(schema::ErrorCode code) {
  auto enumerants = capnp::Schema::from<schema::ErrorCode>().getEnumerants();
  const auto i = static_cast<unsigned>(code);
  return i < enumerants.size() ? std::string(enumerants[i].getProto().getName().cStr()) : "code" + std::to_string(i);
}

schema::Role WireRole(identity::Role r) {
  switch (r) {
    case identity::Role::kRegulator: return schema::Role::REGULATOR;
    case identity::Role::kPlatform: return schema::Role::PLATFORM;
    case identity::Role::kMcnAgency: return schema::Role::MCN_AGENCY;
    case identity::Role::kOperator: return schema::Role::GATEWAY_OPERATOR;
  }
  return schema::Role::UNSPECIFIED;
}

Result<AckStage> StoreStage(schema::AckStage s) {
  switch (s) {
    case schema::AckStage::RECEIVED: return AckStage::kReceived;
    case schema::AckStage::ACCEPTED: return AckStage::kAccepted;
    case schema::AckStage::COMPLETED: return AckStage::kCompleted;
    case schema::AckStage::REJECTED: return AckStage::kRejected;
    default: return InvalidArgument("acknowledgement stage must be received, accepted, completed or rejected");
  }
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << '\n';
    if (!out) return IOError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return IOError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

// Holds `bytes` of real disk blocks in `path` (posix_fallocate), so that
// they can be handed back when the disk fills.
Status CreateReserve(const std::string& path, int64_t bytes) {
  if (bytes <= 0) return Status::Ok();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return IOError("cannot create " + path);
  int rc = posix_fallocate(fd, 0, bytes);
  close(fd);
  if (rc != 0) {
    unlink(path.c_str());
    return Status(StatusCode::kNoSpace, "cannot reserve " + std::to_string(bytes) + " bytes in " + path);
  }
  return Status::Ok();
}

}  // namespace

Gateway::Gateway(GatewayConfig config, const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      context_(1),
      router_(context_, zmq::socket_type::router),
      audit_overview_(config_.store.path, clock_) {}

Gateway::~Gateway() {
  audit_overview_.Stop();      // a console view's walk of the audit log ends at once
  if (admin_) admin_->Stop();  // its handlers use the committer
  if (verifier_) verifier_->Stop();
  if (committer_) committer_->Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status Gateway::Start() {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return IOError("cannot create data directory " + config_.data_dir + ": " + ec.message());
  Result<UniqueFd> lock = LockFileExclusively(config_.data_dir + "/gateway.lock");
  if (!lock.ok()) {
    if (lock.status().code() != StatusCode::kFailedPrecondition) return lock.status();
    return FailedPrecondition("another regline-gateway is using " + config_.data_dir + " (" + lock.status().message() +
                              ")");
  }
  data_dir_lock_ = std::move(lock).value();
  config_.store.max_attempts_by_kind = config_.policy.MaxAttemptsByKind();
  config_.store.quota_by_kind = config_.policy.QuotaByKind();
  config_.store.directive_action_name = [](int action) {
    return std::string(policy::EnumerantName(static_cast<schema::DirectiveAction>(action)));
  };
  Result<std::unique_ptr<Store>> store = Store::Open(config_.store, clock_);
  if (!store.ok()) return store.status();
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return IOError("eventfd failed");
  registry_ = config_.registry;
  PublishPlatforms();
  policy_ = config_.policy;
  WarnUnknownGroupMembers();
  if (!config_.security.registry_file.empty()) registry_file_.emplace(config_.security.registry_file);
  if (!config_.security.signing_key_file.empty()) {
    Result<identity::Signer> signer = identity::Signer::FromFile(config_.identity, config_.security.signing_key_file);
    if (!signer.ok()) return signer.status().WithContext("[security] signing_key_file");
    signer_.emplace(std::move(signer).value());
  } else if (curve()) {
    Log(LogLevel::kWarning, "unsigned_gateway_messages",
        {{"warning", "[security] signing_key_file is not set: escalations and redacted agreements go unsigned, "
                     "and connectors that check signatures will refuse them"}});
  }
  if (curve()) {
    REGLINE_RETURN_IF_ERROR(StartCurve());
  } else {
    Log(LogLevel::kWarning, "INSECURE_PLAINTEXT",
        {{"warning", "insecure_plaintext_for_development is on: no CURVE encryption or authentication; any client "
                     "may claim any identity. Never run this way outside development."}});
  }
  try {
    router_.set(zmq::sockopt::router_mandatory, 1);
    router_.set(zmq::sockopt::linger, 2000);
    router_.set(zmq::sockopt::sndhwm, 100'000);
    router_.set(zmq::sockopt::rcvhwm, 100'000);
    router_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(config_.max_frame_bytes) + 1024);
    router_.bind(config_.listen);
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return IOError("cannot listen on " + config_.listen + ": " + e.what());
  }
  REGLINE_RETURN_IF_ERROR(WriteFileAtomically(config_.data_dir + "/gateway.endpoint", endpoint_));
  if (Status r = CreateReserve(config_.data_dir + "/space-reserve", config_.disk_reserve_bytes); !r.ok()) {
    Log(LogLevel::kError, "disk_full", {{"error", r.ToString()}});
    disk_full_ = true;  // start anyway: what is stored can still be delivered
  }
  committer_ = std::make_unique<GroupCommitter>(std::move(store).value());
  verifier_ = std::make_unique<OrderedVerifier>(config_.security.verify_threads);
  if (config_.admin.enabled) {
    AdminHttpOptions ao;
    ao.host = config_.admin.host;
    ao.port = config_.admin.port;
    ao.token = config_.admin.token;
    ao.url_file = config_.data_dir + "/admin.url";
    ao.console_dir = config_.admin.console_dir;
    admin_ = std::make_unique<AdminHttp>(
        ao, [this] { return ready_.load() && committer_->fence().ok(); }, [this] { return MetricsText(); },
        [this](const ApiRequest& request) { return ConsoleApi(request); });
    REGLINE_RETURN_IF_ERROR(admin_->Start());
  }
  Log(LogLevel::kInfo, "gateway_started",
      {{"endpoint", endpoint_},
       {"store", config_.store.path},
       {"identities", std::to_string(registry_.identities().size())},
       {"security", curve() ? "curve" : "INSECURE-PLAINTEXT"},
       {"admin", admin_ ? admin_->url() : "off"}});
  return Status::Ok();
}

Result<std::string> Gateway::MetricsText() {
  const MetricCounts counts = metrics_.Snapshot();
  std::future<Result<StoreGauges>> gauges = committer_->Run([](Store& store) -> Result<StoreGauges> {
    StoreGauges g;
    Result<std::vector<QueueDepth>> depths = store.Depths();
    if (!depths.ok()) return depths.status();
    g.depths = std::move(depths).value();
    Result<std::vector<OverdueItem>> overdue = store.Overdue(1'000'000);
    if (!overdue.ok()) return overdue.status();
    g.overdue = static_cast<int64_t>(overdue->size());
    return g;
  });
  if (gauges.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    return Unavailable("the store did not answer within 5 s");
  }
  Result<StoreGauges> g = gauges.get();
  const GroupCommitStats commits = committer_->stats();
  // Fenced, the store answers nothing, but the fence itself is what the
  // operator must see: the rest, without the queue gauges.
  if (!g.ok() && !commits.fenced) return g.status();
  return RenderMetrics(counts, g.ok() ? *g : StoreGauges{}, commits, metrics_.Platforms(), metrics_.Connections(),
                       clock_.NowMs());
}

ApiResponse Gateway::ConsoleApi(const ApiRequest& request) {
  Result<ApiCall> call = RouteApi(request);
  if (!call.ok()) return RouteError(request, call.status());
  ConsoleContext context;
  context.gateway_identity = config_.identity;
  context.time_zone = config_.admin.time_zone;
  context.platforms = metrics_.Platforms();
  context.connections = metrics_.Connections();
  // The chain is walked on its own read-only connection, here, not on the
  // writer thread: in full at most every ten minutes, else from the head
  // the last walk verified (audit_overview.h).
  if (call->route == ApiCall::Route::kOverview) {
    AuditOverviewReport audit = audit_overview_.Check();
    context.audit = std::move(audit.verdict);
    context.audit_full_walk = audit.full_walk;
    context.audit_full_walk_at_ms = audit.full_walk_at_ms;
  }
  if (call->route == ApiCall::Route::kMessages) {
    Result<std::vector<uint64_t>> recent = NewestMessageSeqs(config_.store.path, call->limit);
    if (!recent.ok()) return ApiError(recent.status());
    context.recent = std::move(recent).value();
  }
  context.now_ms = clock_.NowMs();
  std::future<Result<ApiResponse>> answer =
      committer_->Run([call = *call, context = std::move(context)](Store& store) -> Result<ApiResponse> {
        return AnswerApi(store, call, context);
      });
  if (answer.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    return ApiError(Unavailable("the store did not answer within 5 s"));
  }
  Result<ApiResponse> r = answer.get();
  return r.ok() ? *r : ApiError(r.status());
}

void Gateway::PublishPlatforms() {
  std::vector<std::string> platforms;
  for (const auto& i : registry_.identities()) {
    if (i.role == identity::Role::kPlatform && !i.revoked()) platforms.push_back(i.name);
  }
  metrics_.SetPlatforms(std::move(platforms));
}

void Gateway::RequestStop() {
  stop_requested_ = true;
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

// The policy's [groups] are read without a registry: say which members the
// registry does not know (they are skipped when the group is expanded).
void Gateway::WarnUnknownGroupMembers() const {
  for (const auto& [group, members] : policy_.groups) {
    for (const std::string& member : members) {
      if (registry_.Find(member) != nullptr) continue;
      Log(LogLevel::kWarning, "policy_group_member_unknown",
          {{"group", group}, {"member", member}, {"note", "not in the identity registry; skipped when expanded"}});
    }
  }
}

void Gateway::RequestPolicyReload() {
  reload_requested_ = true;
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

void Gateway::ReloadPolicy() {
  reload_requested_ = false;
  const std::string& file = config_.policy_file;
  Result<policy::Policy> next = LoadGatewayPolicy(file);
  if (next.ok()) {
    if (Status groups = config_.CheckPolicyGroups(*next); !groups.ok()) next = groups;
  }
  if (!next.ok()) {
    Log(LogLevel::kError, "policy_reload_failed",
        {{"error", next.status().message()}, {"policy", policy_.name}, {"note", "the running policy stays in force"}});
    return;
  }
  const std::string source = file.empty() ? policy::kBuiltinPolicyName : file;
  const std::string detail = "name=" + next->name + " previous=" + policy_.name;
  policy_ = std::move(next).value();
  Log(LogLevel::kInfo, "policy_reloaded", {{"file", source}, {"name", policy_.name}});
  WarnUnknownGroupMembers();
  committer_->Execute([source, detail, attempts = policy_.MaxAttemptsByKind(),
                       quotas = policy_.QuotaByKind()](Store& store) mutable -> GroupCommitter::Completion {
    store.SetMaxAttemptsByKind(std::move(attempts));
    store.SetQuotaByKind(std::move(quotas));
    if (Status st = store.AppendAudit("policy_reloaded", source, detail); !st.ok()) {
      Log(LogLevel::kError, "audit_failed", {{"event", "policy_reloaded"}, {"error", st.ToString()}});
    }
    return nullptr;
  });
}

void Gateway::Post(std::function<void()> completion) {
  bool was_empty;
  {
    std::lock_guard lock(completions_mu_);
    was_empty = completions_.empty();
    completions_.push_back(std::move(completion));
  }
  // One wake-up per batch: RunCompletions takes the whole queue, so only
  // the first completion after it needs to wake the loop.
  if (!was_empty) return;
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

void Gateway::RunCompletions() {
  uint64_t drained;
  ssize_t ignored = read(wake_fd_, &drained, sizeof drained);
  (void)ignored;
  std::deque<std::function<void()>> ready;
  {
    std::lock_guard lock(completions_mu_);
    ready.swap(completions_);
  }
  for (auto& c : ready) c();
}

Status Gateway::Run() {
  zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                             {nullptr, wake_fd_, ZMQ_POLLIN, 0},
                             {zap_ ? zap_.handle() : nullptr, 0, ZMQ_POLLIN, 0}};
  const int polled = zap_ ? 3 : 2;
  next_timer_ms_ = clock_.NowMs() + kTimerMs;
  // systemd (Type=notify): ready once the store is open and the listener
  // bound, which Start() did; pings from this loop, so a stuck loop is
  // noticed (systemd/regline-gateway.service).
  const int64_t watchdog_ms = WatchdogPingIntervalMs();
  int64_t next_watchdog_ms = clock_.NowMs();
  auto status = [&] {
    if (!committer_->fence().ok()) {
      return std::string(
          "STATUS=refusing every change: a sync of the store's log failed (see store_fenced in the log)");
    }
    return "STATUS=serving " + endpoint_ + ", " + std::to_string(sessions_.size()) + " session(s)";
  };
  std::string shown = status();
  NotifyServiceManager("READY=1\n" + shown);
  int64_t next_status_check_ms = clock_.NowMs() + kStatusCheckMs;
  ready_ = true;
  while (!stop_requested_) {
    // (The status check needs no wake-up of its own: the timer's is sooner.)
    int64_t wait = std::max<int64_t>(0, next_timer_ms_ - clock_.NowMs());
    if (watchdog_ms > 0) wait = std::min(wait, std::max<int64_t>(0, next_watchdog_ms - clock_.NowMs()));
    try {
      zmq::poll(items, polled, std::chrono::milliseconds(wait));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) return IOError(std::string("polling the listener: ") + e.what());
      continue;  // a signal: the loop condition sees a stop request
    }
    if (items[1].revents & ZMQ_POLLIN) RunCompletions();
    if (reload_requested_) ReloadPolicy();
    if (polled == 3 && (items[2].revents & ZMQ_POLLIN)) HandleZap();
    // Read what is there now, a bounded number per pass so that completions
    // and timers keep their turn under load.
    for (int i = 0; i < 1024 && !stop_requested_; ++i) {
      zmq::message_t rid, body;
      if (!router_.recv(rid, zmq::recv_flags::dontwait)) break;
      if (!rid.more()) continue;  // a routing id alone: nothing to answer
      (void)router_.recv(body, zmq::recv_flags::none);
      if (body.more()) {
        // More than one part after the routing id: malformed. Swallow the
        // rest and answer once.
        zmq::message_t rest;
        while (router_.get(zmq::sockopt::rcvmore)) (void)router_.recv(rest, zmq::recv_flags::none);
        SendError(rid.to_string(), 0, schema::ErrorCode::MALFORMED_FRAME,
                  "malformed frame: one part expected after the routing id");
        continue;
      }
      // With CURVE, the identity the ZAP handler bound to this connection's key.
      const char* user = curve() ? zmq_msg_gets(body.handle(), "User-Id") : nullptr;
      HandleMessage(rid.to_string(), body.to_string(), user != nullptr ? user : "");
    }
    if (clock_.NowMs() >= next_timer_ms_) {
      OnTimer();
      next_timer_ms_ = clock_.NowMs() + kTimerMs;
    }
    if (watchdog_ms > 0 && clock_.NowMs() >= next_watchdog_ms) {
      shown = status();
      NotifyServiceManager("WATCHDOG=1\n" + shown);
      next_watchdog_ms = clock_.NowMs() + watchdog_ms;
    }
    if (clock_.NowMs() >= next_status_check_ms) {
      NotifyStatusChange(shown, status());
      next_status_check_ms = clock_.NowMs() + kStatusCheckMs;
    }
  }
  // Drain: the committer answers everything queued, then we send it.
  ready_ = false;
  NotifyServiceManager("STOPPING=1\nSTATUS=stopping: answering what is queued");
  Log(LogLevel::kInfo, "gateway_stopping", {{"sessions", std::to_string(sessions_.size())}});
  verifier_->Stop();  // what it verified reaches the committer, which then drains
  committer_->Stop();
  RunCompletions();
  for (auto& [rid, s] : sessions_) Send(rid, protocol::ByeFrame("gateway shutting down"));
  sessions_.clear();
  router_.close();
  audit_overview_.Stop();  // a console view's walk of the audit log would hold up the stop
  if (admin_) admin_->Stop();
  Log(LogLevel::kInfo, "gateway_stopped");
  return Status::Ok();
}

void Gateway::SendError(const std::string& routing_id, uint64_t tag, const Status& status, const MessageId& id) {
  metrics_.Refused(ErrorCodeLabel(protocol::ToWireError(status.code())));
  Send(routing_id, protocol::ErrorFrame(tag, status, id));
}

void Gateway::SendError(const std::string& routing_id, uint64_t tag, schema::ErrorCode code, const std::string& text) {
  metrics_.Refused(ErrorCodeLabel(code));
  Send(routing_id, protocol::ErrorFrame(tag, code, text));
}

Gateway::Session* Gateway::FindSession(const std::string& routing_id) {
  auto it = sessions_.find(routing_id);
  return it == sessions_.end() ? nullptr : &it->second;
}

Gateway::Session* Gateway::FindSessionFor(const std::string& identity) {
  auto it = by_identity_.find(identity);
  return it == by_identity_.end() ? nullptr : FindSession(it->second);
}

void Gateway::Send(const std::string& routing_id, const std::string& frame) {
  try {
    if (!router_.send(zmq::buffer(routing_id), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return;
    (void)router_.send(zmq::buffer(frame), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    // EHOSTUNREACH: the peer is gone. Its deliveries are re-sent next time.
    Log(LogLevel::kDebug, "send_failed", {{"error", e.what()}});
    return;
  }
  if (Session* s = FindSession(routing_id)) s->last_sent_ms = clock_.NowMs();
}

void Gateway::HandleMessage(std::string routing_id, std::string body, std::string_view authenticated) {
  Session* s = FindSession(routing_id);
  size_t limit = s != nullptr ? config_.max_frame_bytes : schema::MAX_HELLO_BYTES;
  Result<protocol::DecodedFrame> frame = protocol::DecodedFrame::Parse(body, limit);
  if (!frame.ok()) {
    Log(LogLevel::kWarning, "malformed_frame",
        {{"identity", s ? s->identity : "(no session)"}, {"error", frame.status().message()}});
    SendError(routing_id, 0, schema::ErrorCode::MALFORMED_FRAME, frame.status().ToString());
    return;
  }
  auto f = frame->get();
  if (s != nullptr) s->last_heard_ms = clock_.NowMs();
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    switch (f.which()) {
      case schema::Frame::HELLO:
        OnHello(routing_id, f.getHello(), authenticated);
        return;
      case schema::Frame::HEARTBEAT:
        return;
      case schema::Frame::BYE:
        if (s != nullptr) EndSession(routing_id, "client said bye");
        return;
      default:
        break;
    }
    if (s == nullptr || !s->ready) {
      SendError(routing_id, 0, schema::ErrorCode::UNAUTHENTICATED, "unauthenticated: no session: send HELLO first");
      return;
    }
    switch (f.which()) {
      case schema::Frame::SUBMIT: OnSubmit(*s, f.getSubmit()); return;
      case schema::Frame::ACK: OnAck(*s, f.getAck()); return;
      case schema::Frame::ACKS:
        OnAcks(*s, f.getAcks());
        return;
      case schema::Frame::QUERY: OnQuery(*s, f.getQuery()); return;
      case schema::Frame::CREDIT:
        s->credit += f.getCredit().getGrant();
        Pump(*s);
        return;
      default:
        SendError(routing_id, 0, schema::ErrorCode::PROTOCOL_VIOLATION,
                  "protocol violation: frame kind " + std::to_string(static_cast<int>(f.which())) +
                      " is not one a client sends");
    }
  });
  KJ_IF_MAYBE(e, failure) {
    // A field past the frame's end or the like: the peer's fault, not ours.
    SendError(routing_id, 0, schema::ErrorCode::MALFORMED_FRAME,
              std::string("malformed frame: ") + e->getDescription().cStr());
  }
}

void Gateway::OnHello(const std::string& rid, schema::Hello::Reader hello, std::string_view authenticated) {
  if (hello.getProtocolVersion() != schema::CURRENT_PROTOCOL_VERSION) {
    SendError(rid, 0,
              Status(StatusCode::kUnimplemented, "protocol version " + std::to_string(hello.getProtocolVersion()) +
                                                     " is not supported; this gateway speaks version " +
                                                     std::to_string(schema::CURRENT_PROTOCOL_VERSION)));
    return;
  }
  std::string identity = hello.getIdentity().cStr();
  auto refuse = [&](Status why) {
    Log(LogLevel::kWarning, "hello_refused", {{"identity", identity}, {"reason", why.message()}});
    SendError(rid, 0, why);
  };
  if (curve() && identity != authenticated) {
    refuse(Unauthenticated("the CURVE key of this connection is registered for '" + std::string(authenticated) +
                           "', not for '" + identity + "'"));
    return;
  }
  const identity::Identity* known = registry_.Find(identity);
  if (known == nullptr) {
    refuse(Unauthenticated("unknown identity '" + identity + "'"));
    return;
  }
  if (known->revoked()) {
    refuse(Unauthenticated("identity '" + identity + "' is revoked"));
    return;
  }
  if (hello.getRole() != WireRole(known->role)) {
    refuse(PermissionDenied("identity '" + identity + "' is registered as " +
                            std::string(identity::RoleName(known->role))));
    return;
  }
  if (Session* old = FindSessionFor(identity); old != nullptr && old->routing_id != rid) {
    Send(old->routing_id, protocol::ByeFrame("replaced"));
    sessions_.erase(old->routing_id);
  }
  if (Session* again = FindSession(rid); again != nullptr) {
    // A second HELLO on the same connection restarts the session, possibly
    // as another identity: the old identity must not point here any more.
    if (auto it = by_identity_.find(again->identity); it != by_identity_.end() && it->second == rid) {
      by_identity_.erase(it);
    }
    sessions_.erase(rid);
  }
  Session s;
  s.id = next_session_id_++;
  s.routing_id = rid;
  s.identity = identity;
  s.role = known->role;
  s.credit = hello.getInitialCredit();
  s.last_heard_ms = s.last_sent_ms = clock_.NowMs();
  sessions_[rid] = s;
  by_identity_[identity] = rid;
  const uint64_t resume = hello.getResumeFrom();
  const uint64_t session_id = s.id;
  // Resume and re-send: what this identity had in flight goes back to the
  // queue; what the client says it holds is recorded as received.
  committer_->Execute([this, rid, identity, resume, session_id](Store& store) -> GroupCommitter::Completion {
    Status done;
    if (resume > 0) done = store.ReceivedUpTo(identity, resume).status();
    if (done.ok()) done = store.RequeueInFlight(identity).status();
    uint64_t last = store.LastDeliverySeq(identity);
    int64_t pending = store.Pending(identity);
    return [=, this](const Status& commit) { Post([=, this, st = done.ok() ? commit : done] {
      Session* s = FindSession(rid);
      if (s == nullptr || s->id != session_id) return;
      if (!st.ok()) {
        SendError(rid, 0, st);
        sessions_.erase(rid);
        return;
      }
      capnp::MallocMessageBuilder m;
      auto ready = m.initRoot<schema::Frame>().initReady();
      ready.setSessionId(session_id);
      ready.setGatewayVersion(REGLINE_VERSION);
      ready.setProtocolVersion(schema::CURRENT_PROTOCOL_VERSION);
      ready.setHeartbeatIntervalMs(config_.heartbeat_interval_ms);
      ready.setMaxFrameBytes(config_.max_frame_bytes);
      ready.setServerTimeMs(clock_.NowMs());
      ready.setIdentity(identity);
      ready.setRole(WireRole(s->role));
      ready.setResumedFrom(std::min(resume, last));
      ready.setPendingDeliveries(static_cast<uint64_t>(pending));
      ready.setMaxAcksPerFrame(kMaxAcksPerFrame);
      Send(rid, protocol::Encode(m));
      s->ready = true;
      metrics_.SessionStarted(identity, clock_.NowMs());
      Log(LogLevel::kInfo, "session_started",
          {{"identity", identity}, {"session", std::to_string(session_id)}, {"credit", std::to_string(s->credit)}});
      Pump(*s);
    }); };
  });
}

void Gateway::OnSubmit(Session& s, schema::Submit::Reader submit) {
  const uint64_t tag = submit.getRequestTag();
  auto bytes = submit.getEnvelope();
  std::string_view envelope(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  if (disk_full_) {
    SendError(s.routing_id, tag,
              Status(StatusCode::kNoSpace,
                     "the gateway's disk is full; submissions are refused until "
                     "space is freed (nothing accepted is lost)"));
    return;
  }
  Result<protocol::SignedSubmission> checked = protocol::ToSignedSubmission(envelope, s.identity, config_.max_frame_bytes);
  if (!checked.ok()) {
    SendError(s.routing_id, tag, checked.status());
    return;
  }
  Result<Submission> sub = std::move(checked->submission);
  Result<std::vector<std::string>> recipients = config_.ExpandRecipients(registry_, sub->recipients, policy_.groups);
  // Who may send this to whom, and which key must have signed it; the
  // signature itself is checked off this thread (OrderedVerifier).
  std::optional<crypto::PublicKey> signing_key;
  if (recipients.ok()) {
    Result<std::optional<crypto::PublicKey>> allowed =
        AuthorizeAndResolve(s, *sub, *recipients, checked->payload, checked->signature);
    if (!allowed.ok()) {
      recipients = allowed.status();
    } else {
      signing_key = *allowed;
    }
  }
  if (!recipients.ok()) {
    if (recipients.status().code() != StatusCode::kInvalidArgument) {
      Log(LogLevel::kWarning, "submit_refused",
          {{"identity", s.identity}, {"id", sub->id.ToHex()}, {"error", recipients.status().ToString()}});
    }
    SendError(s.routing_id, tag, recipients.status(), sub->id);
    return;
  }
  // The Measures' rules for the payload (rules.h): directive deadlines and
  // lineage, the catalog chain, attested versions, report periods; an
  // agreement is checked and redacted here, before anything is stored or
  // delivered (its agency's signature is still checked over the original
  // payload below).
  if (Status rules = ApplyPayloadRules(*sub, {policy_, registry_, checked->payload, checked->signature,
                                              config_.identity, signer_.has_value() ? &*signer_ : nullptr,
                                              clock_.NowMs()});
      !rules.ok()) {
    Log(LogLevel::kInfo, "submit_refused",
        {{"identity", s.identity}, {"id", sub->id.ToHex()}, {"error", rules.ToString()}});
    SendError(s.routing_id, tag, rules, sub->id);
    return;
  }
  sub->recipients = *recipients;
  const MessageId id = sub->id;
  const int kind = sub->kind;
  // Recipients online with credit to spare get the message leased in the
  // submission's own transaction (Submission::lease_to); one credit each
  // is set aside now and given back if the store queued it instead.
  struct Reserved {
    std::string identity;
    uint64_t session_id;
  };
  std::vector<Reserved> reserved;
  for (const auto& who : *recipients) {
    Session* target = FindSessionFor(who);
    if (target == nullptr || !target->ready || target->credit <= 0) continue;
    target->credit--;
    reserved.push_back({who, target->id});
    sub->lease_to.push_back(who);
  }
  sub->lease_ms = config_.lease_ms;
  std::string envelope_copy = reserved.empty() ? std::string() : sub->envelope;
  std::function<void(Result<SubmitReceipt>)> stored = [this, rid = s.routing_id, tag, id, kind,
                                                       recipients = *recipients, reserved = std::move(reserved),
                                                       envelope = std::move(envelope_copy)](
                                                          Result<SubmitReceipt> r) mutable {
    Post([this, rid, tag, id, kind, recipients = std::move(recipients), reserved = std::move(reserved),
          envelope = std::move(envelope), r = std::move(r)] {
      auto leased_to = [&](const std::string& who) -> const DirectLease* {
        if (!r.ok()) return nullptr;
        auto it = std::find_if(r->leased.begin(), r->leased.end(),
                               [&](const DirectLease& d) { return d.recipient == who; });
        return it == r->leased.end() ? nullptr : &*it;
      };
      // Deliveries leased with the submission leave first: they hold the
      // next delivery numbers of their recipients.
      for (const Reserved& res : reserved) {
        Session* target = FindSessionFor(res.identity);
        if (target == nullptr || target->id != res.session_id) continue;  // its lease runs out; re-sent later
        const DirectLease* leased = leased_to(res.identity);
        if (leased == nullptr) {
          target->credit++;  // queued (or refused): the credit goes back
          continue;
        }
        Send(target->routing_id, protocol::DeliverFrame(leased->delivery_seq, 1, id, kind, envelope));
        metrics_.Delivered(res.identity, 1);
      }
      if (!r.ok()) {
        if (r.status().code() == StatusCode::kNoSpace) EnterDiskFull();
        if (r.status().code() != StatusCode::kOverloaded) {
          Log(LogLevel::kWarning, "submit_refused", {{"id", id.ToHex()}, {"error", r.status().ToString()}});
        }
        SendError(rid, tag, r.status(), id);
      } else {
        Send(rid, protocol::ConfirmFrame(tag, id, r->seq, r->accepted_ms, r->duplicate, recipients));
      }
      for (const auto& who : recipients) {
        if (Session* target = FindSessionFor(who)) {
          if (leased_to(who) == nullptr) {
            target->maybe_more = true;
            target->arrivals++;
          }
          Pump(*target);
        }
      }
    });
  };
  if (!signing_key.has_value()) {  // development mode, unsigned
    committer_->Submit(std::move(sub).value(), std::move(stored));
    return;
  }
  // A refused signature takes the same way back as a refused store: the
  // reserved credit returns and the sender gets the error.
  verifier_->Submit(
      [key = std::move(*signing_key), payload = std::move(checked->payload),
       signature = std::move(checked->signature.bytes), id]() -> Status {
        Status verified = key.Verify(payload, signature);
        if (verified.ok()) return verified;
        return InvalidSignature("envelope " + id.ToHex() + ": " + verified.message());
      },
      [this, sub = std::move(sub).value(), stored = std::move(stored)](Status verified) mutable {
        if (!verified.ok()) {
          stored(verified);
          return;
        }
        committer_->Submit(std::move(sub), std::move(stored));
      });
}

std::optional<Gateway::CheckedAck> Gateway::CheckAck(const Session& s, schema::Ack::Reader ack) {
  CheckedAck a;
  a.tag = ack.getRequestTag();
  a.id = protocol::FromWire(ack.getMessageId());
  Result<AckStage> stage = StoreStage(ack.getStage());
  if (!stage.ok()) {
    SendError(s.routing_id, a.tag, stage.status(), a.id);
    return std::nullopt;
  }
  Result<std::optional<PendingSignature>> signed_ack = CheckAcknowledgement(s, ack, a.id, *stage);
  if (!signed_ack.ok()) {
    Log(LogLevel::kWarning, "ack_refused",
        {{"identity", s.identity}, {"id", a.id.ToHex()}, {"error", signed_ack.status().ToString()}});
    SendError(s.routing_id, a.tag, signed_ack.status(), a.id);
    return std::nullopt;
  }
  a.stage = *stage;
  a.wire_stage = ack.getStage();
  a.number = ack.getDeliverySeq();
  a.reason = ack.getReason().cStr();
  // The signed Acknowledgement envelope (checked above), kept as evidence.
  auto signed_bytes = ack.getAcknowledgement();
  a.evidence.assign(reinterpret_cast<const char*>(signed_bytes.begin()), signed_bytes.size());
  a.signature = std::move(signed_ack).value();
  return a;
}

void Gateway::OnAck(Session& s, schema::Ack::Reader ack) {
  std::optional<CheckedAck> checked = CheckAck(s, ack);
  if (!checked.has_value()) return;
  std::vector<CheckedAck> one;
  one.push_back(std::move(*checked));
  RecordAcks(s, std::move(one), /*batch=*/false);
}

void Gateway::OnAcks(Session& s, schema::AckBatch::Reader acks) {
  auto list = acks.getAcks();
  if (list.size() > kMaxAcksPerFrame) {
    const std::string why = "protocol violation: an ACKS frame of " + std::to_string(list.size()) +
                            " entries; this session allows " + std::to_string(kMaxAcksPerFrame) +
                            " (Ready.maxAcksPerFrame)";
    for (auto ack : list) SendError(s.routing_id, ack.getRequestTag(), schema::ErrorCode::PROTOCOL_VIOLATION, why);
    return;
  }
  std::vector<CheckedAck> checked;
  checked.reserve(list.size());
  for (auto ack : list) {
    std::optional<CheckedAck> a = CheckAck(s, ack);
    if (a.has_value()) checked.push_back(std::move(*a));
  }
  if (!checked.empty()) RecordAcks(s, std::move(checked), /*batch=*/true);
}

void Gateway::RecordAcks(const Session& s, std::vector<CheckedAck> acks, bool batch) {
  const bool any_signed = std::any_of(acks.begin(), acks.end(), [](const CheckedAck& a) { return a.signature; });
  if (!any_signed) {  // no signed acknowledgement to check
    committer_->Execute(AckRecorder(s.routing_id, s.identity, std::move(acks), batch));
    return;
  }
  // The signatures are checked on the verifier threads, in order with the
  // submissions and the other signed acknowledgements; an entry whose
  // signature fails is answered with ERROR and the rest are recorded.
  auto verdicts = std::make_shared<std::vector<Status>>(acks.size());
  std::vector<std::optional<PendingSignature>> pending;
  pending.reserve(acks.size());
  for (CheckedAck& a : acks) pending.push_back(std::exchange(a.signature, std::nullopt));
  verifier_->Submit(
      [pending = std::move(pending), verdicts]() -> Status {
        for (size_t i = 0; i < pending.size(); ++i) {
          if (!pending[i].has_value()) continue;
          Status verified = pending[i]->key.Verify(pending[i]->data, pending[i]->signature);
          if (!verified.ok()) (*verdicts)[i] = InvalidSignature(pending[i]->what + ": " + verified.message());
        }
        return Status::Ok();
      },
      [this, rid = s.routing_id, identity = s.identity, batch, verdicts, acks = std::move(acks)](Status) mutable {
        std::vector<CheckedAck> good;
        std::vector<std::pair<CheckedAck, Status>> refused;
        for (size_t i = 0; i < acks.size(); ++i) {
          if ((*verdicts)[i].ok()) {
            good.push_back(std::move(acks[i]));
          } else {
            refused.emplace_back(std::move(acks[i]), (*verdicts)[i]);
          }
        }
        if (!refused.empty()) {
          Post([this, rid, identity, refused = std::move(refused)] {
            for (const auto& [a, why] : refused) {
              Log(LogLevel::kWarning, "ack_refused",
                  {{"identity", identity}, {"id", a.id.ToHex()}, {"error", why.ToString()}});
              SendError(rid, a.tag, why, a.id);
            }
          });
        }
        if (!good.empty()) committer_->Execute(AckRecorder(rid, identity, std::move(good), batch));
      });
}

GroupCommitter::Task Gateway::AckRecorder(std::string rid, std::string identity, std::vector<CheckedAck> acks,
                                          bool batch) {
  return [this, rid = std::move(rid), identity = std::move(identity), batch,
          acks = std::move(acks)](Store& store) mutable -> GroupCommitter::Completion {
    std::vector<Result<AckReceipt>> recorded;
    recorded.reserve(acks.size());
    for (const CheckedAck& a : acks) {
      Result<AckReceipt> r = store.AcknowledgeDelivery(identity, a.number, a.id, a.stage, a.reason, a.evidence);
      if (r.status().code() == StatusCode::kNotFound) r = WhyNotFound(store, identity, a.id, r.status());
      recorded.push_back(std::move(r));
    }
    return [this, rid, identity, batch, acks = std::move(acks),
            recorded = std::move(recorded)](const Status& commit) mutable {
      if (!commit.ok()) {
        for (Result<AckReceipt>& r : recorded) r = commit;  // nothing of the batch is recorded
      }
      Post([this, rid, identity, batch, acks = std::move(acks), recorded = std::move(recorded)] {
        capnp::MallocMessageBuilder m;
        const auto receipts = static_cast<size_t>(
            std::count_if(recorded.begin(), recorded.end(), [](const Result<AckReceipt>& r) { return r.ok(); }));
        // One ACK answered alone gets an ACK-RECEIPT; entries of an ACKS
        // frame get one ACK-RECEIPTS.
        capnp::List<schema::AckReceipt>::Builder list;
        if (batch && receipts > 0) list = m.initRoot<schema::Frame>().initAckReceipts().initReceipts(receipts);
        size_t next = 0;
        for (size_t i = 0; i < acks.size(); ++i) {
          const CheckedAck& a = acks[i];
          const Result<AckReceipt>& r = recorded[i];
          if (!r.ok()) {
            SendError(rid, a.tag, r.status(), a.id);
            continue;
          }
          schema::AckReceipt::Builder receipt =
              batch ? list[static_cast<unsigned>(next++)] : m.initRoot<schema::Frame>().initAckReceipt();
          receipt.setRequestTag(a.tag);
          protocol::ToWire(a.id, receipt.initMessageId());
          receipt.setStage(a.wire_stage);
          receipt.setRecordedMs(r->recorded_ms);
          receipt.setDuplicate(r->duplicate);
          receipt.setLateByMs(r->late_ms);
          if (!r->duplicate) metrics_.Acknowledged(identity, std::string(AckStageName(a.stage)));
        }
        if (receipts > 0) Send(rid, protocol::Encode(m));
      });
    };
  };
}

void Gateway::OnQuery(Session& s, schema::Query::Reader query) {
  // The query is read here (on this thread, from the frame's bytes) into a
  // plain request, answered on the writer thread, and sent from here.
  Result<QueryRequest> request = ReadQuery(query);
  if (!request.ok()) {
    SendError(s.routing_id, query.getRequestTag(), request.status());
    return;
  }
  const identity::Identity* viewer = registry_.Find(s.identity);
  Status may = viewer == nullptr ? Unauthenticated("identity '" + s.identity + "' is no longer registered")
                                 : AuthorizeQuery(*request, *viewer);
  if (!may.ok()) {
    Log(LogLevel::kWarning, "query_refused", {{"identity", s.identity}, {"error", may.ToString()}});
    SendError(s.routing_id, request->tag, may);
    return;
  }
  std::vector<std::string> connected;
  for (const auto& [rid, session] : sessions_) connected.push_back(session.identity);
  if (request->kind == QueryRequest::Kind::kReportsDue) request->schedules = policy_.reports;
  if (request->kind == QueryRequest::Kind::kCatalogStatus || request->kind == QueryRequest::Kind::kReportsDue) {
    for (const auto& i : registry_.identities()) {
      if (i.role == identity::Role::kPlatform && !i.revoked()) request->platforms.push_back(i.name);
    }
  }
  if (request->kind == QueryRequest::Kind::kCatalogSnapshot) {
    request->gateway_identity = config_.identity;
    request->signer = signer_.has_value() ? &*signer_ : nullptr;
  }
  committer_->Execute([this, rid = s.routing_id, req = *request, connected,
                       viewer = *viewer](Store& store) -> GroupCommitter::Completion {
    std::string answer = AnswerQuery(store, req, connected, viewer, clock_.NowMs());
    return [=, this](const Status& commit) {
      Post([=, this] {
        if (commit.ok()) {
          Send(rid, answer);
        } else {
          SendError(rid, req.tag, commit);
        }
        // A catalog snapshot may have been queued for the asker: deliver it.
        if (Session* asker = FindSession(rid); asker != nullptr && req.kind == QueryRequest::Kind::kCatalogSnapshot) {
          ++asker->arrivals;
          asker->maybe_more = true;
          Pump(*asker);
        }
      });
    };
  });
}

void Gateway::Pump(Session& s) {
  if (!s.ready || s.lease_pending || !s.maybe_more || s.credit <= 0) return;
  if (!committer_->fence().ok()) return;  // see OnTimer
  s.lease_pending = true;
  int want = static_cast<int>(std::min<int64_t>(s.credit, config_.max_deliveries_per_pass));
  // Set aside now, so that a submission leased directly meanwhile
  // (OnSubmit) cannot take the same credit; what the lease did not use
  // comes back when it answers.
  s.credit -= want;
  const uint64_t arrivals = s.arrivals;
  committer_->Execute([this, rid = s.routing_id, session_id = s.id, identity = s.identity, want, arrivals,
                       lease_ms = config_.lease_ms,
                       max_bytes = static_cast<size_t>(config_.max_delivery_bytes_per_pass)](
                          Store& store) -> GroupCommitter::Completion {
    struct Leased {
      Result<std::vector<LeasedDelivery>> deliveries = std::vector<LeasedDelivery>{};
      bool at_bytes = false;  // stopped at the byte bound: more may be due although fewer than `want` came
    };
    auto result = std::make_shared<Leased>();
    result->deliveries = store.Lease(identity, want, lease_ms, max_bytes, &result->at_bytes);
    return [=, this](const Status& commit) {
      if (!commit.ok()) result->deliveries = commit;
      Post([=, this] {
        const Result<std::vector<LeasedDelivery>>& leased = result->deliveries;
        Session* s = FindSession(rid);
        if (s == nullptr || s->id != session_id) return;  // their leases run out and they are re-sent
        s->lease_pending = false;
        s->credit += want - (leased.ok() ? static_cast<int64_t>(leased->size()) : 0);
        if (!leased.ok()) {
          if (leased.status().code() == StatusCode::kNoSpace) EnterDiskFull();
          Log(LogLevel::kError, "lease_failed", {{"identity", s->identity}, {"error", leased.status().ToString()}});
          return;  // retried on the next timer
        }
        for (const LeasedDelivery& d : *leased) {
          Send(rid, protocol::DeliverFrame(d.delivery_seq, static_cast<uint32_t>(d.attempt), d.id, d.kind, d.envelope));
          metrics_.Delivered(s->identity, static_cast<uint32_t>(d.attempt));
        }
        // More may be due if the lease came back full (by count or by bytes),
        // or if messages for this identity committed while it was at the
        // writer.
        s->maybe_more = static_cast<int>(leased->size()) == want || result->at_bytes || s->arrivals != arrivals;
        Pump(*s);
      });
    };
  });
}

void Gateway::EndSession(const std::string& routing_id, std::string_view why) {
  Session* s = FindSession(routing_id);
  if (s == nullptr) return;
  Log(LogLevel::kInfo, "session_ended", {{"identity", s->identity}, {"reason", std::string(why)}});
  std::string identity = s->identity;
  if (auto it = by_identity_.find(identity); it != by_identity_.end() && it->second == routing_id) {
    by_identity_.erase(it);
    metrics_.SessionEnded(identity, clock_.NowMs());
  }
  sessions_.erase(routing_id);
  committer_->Execute([identity](Store& store) -> GroupCommitter::Completion {
    Status requeued = store.RequeueInFlight(identity).status();
    if (!requeued.ok()) Log(LogLevel::kError, "requeue_failed", {{"identity", identity}, {"error", requeued.ToString()}});
    return nullptr;  // if it did not stick, the leases run out and do the same
  });
}

void Gateway::EnterDiskFull() {
  if (disk_full_) return;
  disk_full_ = true;
  unlink((config_.data_dir + "/space-reserve").c_str());
  Log(LogLevel::kError, "disk_full",
      {{"data_dir", config_.data_dir}, {"action", "refusing submissions; reserve released for deliveries"}});
}

void Gateway::CheckDiskRecovered() {
  struct statvfs fs {};
  if (statvfs(config_.data_dir.c_str(), &fs) != 0) return;
  auto free_bytes = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
  int64_t needed = std::max<int64_t>(2 * config_.disk_reserve_bytes, 1 << 20);
  if (free_bytes < needed) return;
  if (!CreateReserve(config_.data_dir + "/space-reserve", config_.disk_reserve_bytes).ok()) return;
  disk_full_ = false;
  Log(LogLevel::kInfo, "disk_space_recovered", {{"free_bytes", std::to_string(free_bytes)}});
}

void Gateway::OnTimer() {
  const int64_t now = clock_.NowMs();
  metrics_.SetConnectedPeers(static_cast<int64_t>(sessions_.size()));
  if (disk_full_) CheckDiskRecovered();
  const int64_t dead_after = int64_t{config_.heartbeat_interval_ms} * config_.heartbeat_liveness;
  std::vector<std::string> dead;
  for (auto& [rid, s] : sessions_) {
    if (now - s.last_heard_ms > dead_after) {
      dead.push_back(rid);
    } else if (now - s.last_sent_ms >= config_.heartbeat_interval_ms) {
      Send(rid, protocol::HeartbeatFrame(now));
    }
  }
  for (const auto& rid : dead) EndSession(rid, "no heartbeat");
  MaybeReloadRegistry();
  // Fenced (a sync of the log failed), the store takes no changes: no
  // maintenance, no leases (store_fenced said why, once).
  if (!committer_->fence().ok()) return;
  const bool escalate = now >= next_escalation_ms_;
  if (escalate) next_escalation_ms_ = now + config_.escalation_check_ms;
  // The first pass comes one interval after start, not during it.
  if (next_retention_ms_ == 0) next_retention_ms_ = now + config_.retention_check_ms;
  const bool prune = now >= next_retention_ms_;
  if (prune) next_retention_ms_ = now + config_.retention_check_ms;
  const int64_t retention_ms = policy_.retention.period_ms();
  committer_->Execute([this, escalate, prune, retention_ms](Store& store) -> GroupCommitter::Completion {
    if (escalate) EscalateOverdue(store);
    if (prune) PruneRetained(store, retention_ms);
    Result<int> requeued = store.RequeueExpiredLeases();
    Result<int> expired = store.ExpireDue();
    if (!requeued.ok() || !expired.ok()) {
      Log(LogLevel::kError, "maintenance_failed",
          {{"error", (!requeued.ok() ? requeued.status() : expired.status()).ToString()}});
    }
    return [this](const Status&) {
      Post([this] {
        for (auto& [rid, s] : sessions_) {
          s.maybe_more = true;  // back-offs end and leases expire with time
          Pump(s);
        }
      });
    };
  });
}

// On the writer thread: one legal-retention pass (Store::PruneRetained),
// logged when it removed anything. A pass that fails is logged and tried
// again next interval; nothing is lost by a pass that does not happen.
void Gateway::PruneRetained(Store& store, int64_t retention_ms) {
  constexpr int kPerPass = 1000;
  Result<PruneCounts> pruned = store.PruneRetained(retention_ms, kPerPass);
  if (!pruned.ok()) {
    Log(LogLevel::kError, "retention_failed", {{"error", pruned.status().ToString()}});
    return;
  }
  if (pruned->messages == 0 && pruned->audit_entries == 0) return;
  Log(LogLevel::kInfo, "retention_pruned",
      {{"messages", std::to_string(pruned->messages)},
       {"audit_entries", std::to_string(pruned->audit_entries)},
       {"audit_through", std::to_string(pruned->audit_through)},
       {"retention_days", std::to_string(retention_ms / 86'400'000)}});
}

// On the writer thread: every miss (directive, platform, stage) not yet
// escalated gets one escalation to the directive's issuer, stored and
// recorded in one transaction. Sessions are pumped by the caller's
// completion like any other maintenance.
void Gateway::EscalateOverdue(Store& store) {
  constexpr int kPerPass = 100;
  Result<std::vector<OverdueItem>> due = store.Overdue(kPerPass, /*unescalated_only=*/true);
  if (!due.ok()) {
    Log(LogLevel::kError, "escalation_failed", {{"error", due.status().ToString()}});
    return;
  }
  const int64_t now = clock_.NowMs();
  for (const OverdueItem& item : *due) {
    Result<Submission> escalation =
        MakeEscalation(item, 1, now, config_.identity, signer_.has_value() ? &*signer_ : nullptr);
    Result<SubmitReceipt> stored = escalation.ok() ? store.Escalate(item, 1, *escalation)
                                                   : Result<SubmitReceipt>(escalation.status());
    if (!stored.ok()) {
      Log(LogLevel::kError, "escalation_failed",
          {{"directive", item.directive.ToHex()}, {"recipient", item.recipient}, {"error", stored.status().ToString()}});
      continue;
    }
    Log(LogLevel::kWarning, "directive_overdue",
        {{"directive", item.directive.ToHex()},
         {"recipient", item.recipient},
         {"missing", std::string(DeadlineStageName(item.missing))},
         {"overdue_ms", std::to_string(now - item.deadline_ms)},
         {"issuer", item.issuer},
         {"escalation", escalation->id.ToHex()}});
  }
}

}  // namespace regline::server
