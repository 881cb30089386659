#include "connectors/local_endpoint.h"

#include <kj/exception.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "gateway/core/log.h"
#include "gateway/protocol/frames.h"

namespace regline::connector {
namespace {

using schema::Frame;
using schema::MessageKind;

constexpr int64_t kStopAnswerMs = 10'000;  // longest wait for the outbox to answer at Stop

bool Forwardable(int kind) {
  auto k = static_cast<MessageKind>(kind);
  return k == MessageKind::COMPLAINT_STATISTICS || k == MessageKind::COMPLIANCE_ATTESTATION ||
         k == MessageKind::TAX_ASSISTANCE_RESPONSE;
}

}  // namespace

LocalEndpoint::LocalEndpoint(LocalEndpointOptions options, zmq::context_t& context, Inbox& inbox, Outbox& outbox,
                             std::function<void()> on_upstream, const Clock& clock)
    : options_(std::move(options)),
      inbox_(inbox),
      outbox_(outbox),
      on_upstream_(std::move(on_upstream)),
      clock_(clock),
      router_(context, zmq::socket_type::router) {}

LocalEndpoint::~LocalEndpoint() { Stop(); }

Status LocalEndpoint::Start() {
  wake_ = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_.valid()) return ErrnoStatus(errno, "eventfd");
  try {
    router_.set(zmq::sockopt::router_mandatory, 1);
    router_.set(zmq::sockopt::linger, 1000);
    router_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options_.max_frame_bytes) + 1024);
    router_.bind(options_.bind);
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return IOError("cannot bind the local endpoint " + options_.bind + ": " + e.what());
  }
  REGLINE_RETURN_IF_ERROR(WriteFileDurably(options_.endpoint_file, endpoint_ + "\n"));
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "local-endpoint");
    Loop();
  });
  Log(LogLevel::kInfo, "local_endpoint_started", {{"endpoint", endpoint_}, {"file", options_.endpoint_file}});
  return Status::Ok();
}

void LocalEndpoint::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  uint64_t one = 1;
  ssize_t ignored = write(wake_.get(), &one, sizeof one);
  (void)ignored;
  thread_.join();
}

void LocalEndpoint::Post(std::function<void()> completion) {
  {
    std::lock_guard lock(completions_mu_);
    completions_.push_back(std::move(completion));
  }
  uint64_t one = 1;
  ssize_t ignored = write(wake_.get(), &one, sizeof one);
  (void)ignored;
}

void LocalEndpoint::RunCompletions() {
  uint64_t drained;
  ssize_t ignored = read(wake_.get(), &drained, sizeof drained);
  (void)ignored;
  std::deque<std::function<void()>> ready;
  {
    std::lock_guard lock(completions_mu_);
    ready.swap(completions_);
  }
  for (auto& c : ready) c();
}

void LocalEndpoint::Loop() {
  zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wake_.get(), ZMQ_POLLIN, 0}};
  while (!stopping_) {
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(1000));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      Log(LogLevel::kError, "local_endpoint_failed", {{"error", e.what()}});
      break;
    }
    if (items[1].revents & ZMQ_POLLIN) RunCompletions();
    for (int i = 0; i < 1024 && !stopping_; ++i) {
      zmq::message_t rid, body;
      if (!router_.recv(rid, zmq::recv_flags::dontwait)) break;
      if (!rid.more()) continue;
      (void)router_.recv(body, zmq::recv_flags::none);
      if (body.more()) {
        zmq::message_t rest;
        while (router_.get(zmq::sockopt::rcvmore)) (void)router_.recv(rest, zmq::recv_flags::none);
        Send(rid.to_string(), protocol::ErrorFrame(0, schema::ErrorCode::MALFORMED_FRAME,
                                                   "malformed frame: one part expected after the routing id"));
        continue;
      }
      Handle(rid.to_string(), body.to_string());
    }
  }
  // Answer every submission already handed to the outbox.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStopAnswerMs);
  while (outstanding_ > 0 && std::chrono::steady_clock::now() < give_up) {
    zmq::pollitem_t wake[] = {{nullptr, wake_.get(), ZMQ_POLLIN, 0}};
    try {
      zmq::poll(wake, 1, std::chrono::milliseconds(100));
    } catch (const zmq::error_t&) {
    }
    RunCompletions();
  }
  router_.close();
  Log(LogLevel::kInfo, "local_endpoint_stopped");
}

void LocalEndpoint::Send(const std::string& rid, const std::string& frame) {
  try {
    if (!router_.send(zmq::buffer(rid), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return;
    (void)router_.send(zmq::buffer(frame), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    Log(LogLevel::kDebug, "local_send_failed", {{"error", e.what()}});  // the tool went away
  }
}

void LocalEndpoint::Handle(const std::string& rid, const std::string& body) {
  Result<protocol::DecodedFrame> frame = protocol::DecodedFrame::Parse(body, options_.max_frame_bytes);
  if (!frame.ok()) {
    Send(rid, protocol::ErrorFrame(0, schema::ErrorCode::MALFORMED_FRAME, frame.status().ToString()));
    return;
  }
  Frame::Reader f = frame->get();
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    switch (f.which()) {
      case Frame::HELLO:
        OnHello(rid, f.getHello());
        return;
      case Frame::SUBMIT:
        OnSubmit(rid, f.getSubmit());
        return;
      case Frame::ACK:
        OnAck(rid, f.getAck());
        return;
      case Frame::HEARTBEAT:
      case Frame::CREDIT:
      case Frame::BYE:
        return;
      case Frame::QUERY:
        Send(rid, protocol::ErrorFrame(f.getQuery().getRequestTag(),
                                       InvalidArgument("the connector's local endpoint answers SUBMIT and ACK only; "
                                                       "ask the gateway")));
        return;
      default:
        Send(rid, protocol::ErrorFrame(0, schema::ErrorCode::PROTOCOL_VIOLATION,
                                       "protocol violation: frame kind " + std::to_string(static_cast<int>(f.which())) +
                                           " is not one a client sends"));
    }
  });
  KJ_IF_MAYBE (e, failure) {
    Send(rid, protocol::ErrorFrame(0, schema::ErrorCode::MALFORMED_FRAME,
                                   std::string("invalid_argument: malformed frame: ") + e->getDescription().cStr()));
  }
}

void LocalEndpoint::OnHello(const std::string& rid, schema::Hello::Reader hello) {
  std::string identity = hello.getIdentity().cStr();
  if (identity != options_.identity) {
    Send(rid, protocol::ErrorFrame(
                  0, PermissionDenied("this connector serves '" + options_.identity + "', not '" + identity + "'")));
    return;
  }
  capnp::MallocMessageBuilder m;
  auto ready = m.initRoot<Frame>().initReady();
  ready.setSessionId(next_session_++);
  ready.setGatewayVersion("regline-connector " + options_.version);
  ready.setProtocolVersion(schema::CURRENT_PROTOCOL_VERSION);
  uint32_t heartbeat = hello.getHeartbeatIntervalMs();
  ready.setHeartbeatIntervalMs(heartbeat != 0 ? heartbeat : schema::DEFAULT_HEARTBEAT_INTERVAL_MS);
  ready.setMaxFrameBytes(options_.max_frame_bytes);
  ready.setServerTimeMs(clock_.NowMs());
  ready.setIdentity(options_.identity);
  ready.setRole(schema::Role::PLATFORM);
  Send(rid, protocol::Encode(m));
}

Status PrepareUpstream(std::string_view envelope, const std::string& identity, size_t max_bytes,
                       const identity::Signer* signer, int64_t now_ms, Submission& out) {
  Result<protocol::SignedSubmission> checked = protocol::ToSignedSubmission(envelope, identity, max_bytes);
  if (!checked.ok()) return checked.status();
  out = std::move(checked->submission);
  if (out.kind == static_cast<int>(MessageKind::ACKNOWLEDGEMENT)) {
    return InvalidArgument("acknowledgements go as ACK frames (or the HTTP API's /v1/acknowledgements), not SUBMIT");
  }
  if (!Forwardable(out.kind)) {
    return PermissionDenied(
        "the connector forwards complaintStatistics, complianceAttestation and taxAssistanceResponse only");
  }
  if (out.expires_ms != 0 && out.expires_ms <= now_ms) {
    // The gateway would refuse it; better now than after a CONFIRM.
    return InvalidArgument("envelope " + out.id.ToHex() + " expired before it was submitted");
  }
  if (signer != nullptr && !checked->signature.present()) {
    Result<std::string> signed_envelope = protocol::SignEnvelope(envelope, *signer, max_bytes);
    if (!signed_envelope.ok()) {
      Log(LogLevel::kError, "upstream_not_signed",
          {{"id", out.id.ToHex()}, {"error", signed_envelope.status().ToString()}});
      return signed_envelope.status();
    }
    out.envelope = std::move(signed_envelope).value();
  }
  return Status::Ok();
}

void LocalEndpoint::OnSubmit(const std::string& rid, schema::Submit::Reader submit) {
  const uint64_t tag = submit.getRequestTag();
  auto bytes = submit.getEnvelope();
  std::string_view envelope(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  Submission prepared;
  Status checked =
      PrepareUpstream(envelope, options_.identity, options_.max_frame_bytes, options_.signer, clock_.NowMs(), prepared);
  if (!checked.ok()) {
    Send(rid,
         prepared.id.IsZero() ? protocol::ErrorFrame(tag, checked) : protocol::ErrorFrame(tag, checked, prepared.id));
    return;
  }
  const MessageId id = prepared.id;
  std::vector<std::string> recipients = prepared.recipients;
  ++outstanding_;
  outbox_.Submit(
      options_.identity, id, prepared.kind, prepared.expires_ms, std::move(prepared.envelope),
      [this, rid, tag, id, recipients](Result<SubmitReceipt> r) {
        Post([this, rid, tag, id, recipients, r] {
          --outstanding_;
          if (!r.ok()) {
            Log(LogLevel::kWarning, "upstream_not_stored", {{"id", id.ToHex()}, {"error", r.status().ToString()}});
            Send(rid, protocol::ErrorFrame(tag, r.status(), id));
            return;
          }
          Send(rid, protocol::ConfirmFrame(tag, id, r->seq, r->accepted_ms, r->duplicate, recipients));
          if (!r->duplicate) {
            Log(LogLevel::kInfo, "upstream_queued", {{"id", id.ToHex()}, {"outbox_seq", std::to_string(r->seq)}});
          }
          on_upstream_();
        });
      });
}

void LocalEndpoint::OnAck(const std::string& rid, schema::Ack::Reader ack) {
  const uint64_t tag = ack.getRequestTag();
  const MessageId id = protocol::FromWire(ack.getMessageId());
  Result<StageReceipt> r = inbox_.RecordStage(id, ack.getDeliverySeq(), ack.getStage(), ack.getReasonCode(),
                                              ack.getReason().cStr(), ack.getAtMs());
  if (!r.ok()) {
    Send(rid, protocol::ErrorFrame(tag, r.status(), id));
    return;
  }
  capnp::MallocMessageBuilder m;
  auto receipt = m.initRoot<Frame>().initAckReceipt();
  receipt.setRequestTag(tag);
  protocol::ToWire(id, receipt.initMessageId());
  receipt.setStage(ack.getStage());
  receipt.setRecordedMs(r->recorded_ms);
  receipt.setDuplicate(r->duplicate);
  Send(rid, protocol::Encode(m));
  if (!r->duplicate) {
    Log(LogLevel::kInfo, "stage_recorded",
        {{"id", id.ToHex()}, {"stage", std::to_string(static_cast<int>(ack.getStage()))}});
    on_upstream_();
  }
}

}  // namespace regline::connector
