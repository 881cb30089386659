#include "gateway/protocol/client.h"

#include <kj/exception.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

namespace regline::protocol {
namespace {

using schema::Frame;

Status Disconnected(std::string message) { return Status(StatusCode::kDisconnected, std::move(message)); }

// Runs `body`, turning a Cap'n Proto exception (a malformed field in a frame
// that passed Parse, e.g. unterminated text) into kInvalidArgument.
template <typename F>
Status Guard(std::string_view what, F&& body) {
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions(std::forward<F>(body));
  KJ_IF_MAYBE(e, failure) {
    return InvalidArgument(std::string(what) + ": " + e->getDescription().cStr());
  }
  return Status::Ok();
}

capnp::Text::Reader AsText(std::string_view s) { return capnp::Text::Reader(s.data(), s.size()); }

// The requestTag of an answer frame; nullopt for frames that answer nothing.
std::optional<uint64_t> AnswerTag(Frame::Reader frame) {
  switch (frame.which()) {
    case Frame::CONFIRM: return frame.getConfirm().getRequestTag();
    case Frame::ACK_RECEIPT: return frame.getAckReceipt().getRequestTag();
    case Frame::QUERY_RESULT: return frame.getQueryResult().getRequestTag();
    case Frame::ERROR: return frame.getError().getRequestTag();
    default: return std::nullopt;
  }
}

bool ValidZ85Key(const std::string& key) { return key.size() == 40; }

Status ReadRefusal(schema::Error::Reader error, Refusal& r) {
  return Guard("ERROR frame from the gateway", [&]() {
    r.code = error.getCode();
    r.text = error.getText().cStr();
    r.message_id = FromWire(error.getMessageId());
    r.retry_after_ms = error.getRetryAfterMs();
    r.request_tag = error.getRequestTag();
  });
}

Status RefusalStatus(const Refusal& r) {
  return Status(FromWireError(r.code), r.text.empty() ? std::string(WireErrorName(r.code)) : r.text);
}

void ReadReceiptFields(schema::AckReceipt::Reader r, AckReceiptInfo& info) {
  info.message_id = FromWire(r.getMessageId());
  info.stage = r.getStage();
  info.recorded_ms = r.getRecordedMs();
  info.duplicate = r.getDuplicate();
  info.late_by_ms = r.getLateByMs();
}

Status ReadReceipt(Frame::Reader f, AckReceiptInfo& info) {
  return Guard("ACK-RECEIPT frame from the gateway", [&]() { ReadReceiptFields(f.getAckReceipt(), info); });
}

}  // namespace

std::string_view WireErrorName(schema::ErrorCode code) {
  using E = schema::ErrorCode;
  switch (code) {
    case E::INVALID_ARGUMENT: return "invalid_argument";
    case E::NOT_FOUND: return "not_found";
    case E::ALREADY_EXISTS: return "already_exists";
    case E::PERMISSION_DENIED: return "permission_denied";
    case E::UNAUTHENTICATED: return "unauthenticated";
    case E::OVERLOADED: return "overloaded";
    case E::INVALID_SIGNATURE: return "invalid_signature";
    case E::UNSUPPORTED_VERSION: return "unsupported_version";
    case E::MALFORMED_FRAME: return "malformed_frame";
    case E::PROTOCOL_VIOLATION: return "protocol_violation";
    case E::EXPIRED: return "expired";
    case E::IO_ERROR: return "io_error";
    case E::INTERNAL: return "internal";
    case E::UNAVAILABLE: return "unavailable";
  }
  return "error_unknown";
}

Client::Client(zmq::socket_t socket, const ClientOptions& options)
    : socket_(std::move(socket)), options_(options) {}

Client::~Client() { Close(); }

Result<std::unique_ptr<Client>> Client::Open(zmq::context_t& context, const ClientOptions& options) {
  if (options.endpoint.empty()) return InvalidArgument("no gateway endpoint given");
  if (options.identity.empty()) return InvalidArgument("no identity given");
  if (options.timeout_ms <= 0) return InvalidArgument("timeout must be positive, not " + std::to_string(options.timeout_ms));
  const CurveKeys& k = options.curve;
  if (!k.empty() && !(ValidZ85Key(k.server_public) && ValidZ85Key(k.client_public) && ValidZ85Key(k.client_secret))) {
    return InvalidArgument("CURVE needs the server public key and the client's public and secret keys, each 40 Z85 characters");
  }
  try {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    // Room for a window of pipelined ACKs and CREDITs besides requests
    // (the default of 1000 frames is less than a connector's ack window).
    socket.set(zmq::sockopt::sndhwm, 100'000);
    socket.set(zmq::sockopt::rcvhwm, 100'000);
    if (!k.empty()) {
      socket.set(zmq::sockopt::curve_serverkey, k.server_public);
      socket.set(zmq::sockopt::curve_publickey, k.client_public);
      socket.set(zmq::sockopt::curve_secretkey, k.client_secret);
    }
    socket.connect(options.endpoint);
    return std::unique_ptr<Client>(new Client(std::move(socket), options));
  } catch (const zmq::error_t& e) {
    return InvalidArgument("cannot connect to gateway endpoint '" + options.endpoint + "': " + e.what());
  }
}

Result<std::unique_ptr<Client>> Client::Connect(zmq::context_t& context, const ClientOptions& options) {
  Result<std::unique_ptr<Client>> client = Open(context, options);
  if (!client.ok()) return client;
  REGLINE_RETURN_IF_ERROR((*client)->Hello());
  return client;
}

int64_t Client::WallNowMs() const { return (options_.clock ? options_.clock : &system_clock_)->NowMs(); }

size_t Client::FrameLimit() const {
  if (!has_session_) return schema::DEFAULT_MAX_FRAME_BYTES;
  return ready_.max_frame_bytes;
}

Status Client::Send(std::string_view frame) {
  if (!socket_) return FailedPrecondition("the client is closed");
  try {
    zmq::send_result_t sent = socket_.send(zmq::const_buffer(frame.data(), frame.size()), zmq::send_flags::dontwait);
    send_queue_full_ = !sent;
    if (!sent) return Unavailable("gateway at " + options_.endpoint + " is not taking frames (send queue full)");
  } catch (const zmq::error_t& e) {
    return Unavailable("sending to gateway at " + options_.endpoint + ": " + e.what());
  }
  last_sent_steady_ms_ = SteadyMs();
  return Status::Ok();
}

Result<std::optional<DecodedFrame>> Client::ReadOne(int64_t wait_ms) {
  if (!socket_) return FailedPrecondition("the client is closed");
  zmq::message_t message;
  try {
    zmq::pollitem_t items[2] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, options_.wake_fd, ZMQ_POLLIN, 0}};
    const bool wakeable = options_.wake_fd >= 0;
    int ready = 0;
    try {
      ready = zmq::poll(items, wakeable ? 2 : 1, std::chrono::milliseconds(std::max<int64_t>(wait_ms, 0)));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
    if (wakeable && (items[1].revents & ZMQ_POLLIN)) {
      uint64_t count = 0;
      (void)!::read(options_.wake_fd, &count, sizeof count);
      woken_ = true;
    }
    if (ready == 0 || !(items[0].revents & ZMQ_POLLIN)) return std::optional<DecodedFrame>();
    if (!socket_.recv(message, zmq::recv_flags::dontwait)) return std::optional<DecodedFrame>();
    if (message.more()) {
      // The protocol allows exactly one part; drop the whole message.
      while (message.more() && socket_.recv(message, zmq::recv_flags::dontwait)) {
      }
      ++dropped_frames_;
      return std::optional<DecodedFrame>();
    }
  } catch (const zmq::error_t& e) {
    return Unavailable("receiving from gateway at " + options_.endpoint + ": " + e.what());
  }
  last_heard_steady_ms_ = SteadyMs();
  Result<DecodedFrame> frame =
      DecodedFrame::Parse(std::string_view(static_cast<const char*>(message.data()), message.size()), FrameLimit());
  if (!frame.ok()) {
    ++dropped_frames_;
    return std::optional<DecodedFrame>();
  }
  return std::optional<DecodedFrame>(std::move(frame).value());
}

Status Client::HeartbeatIfDue() {
  if (!has_session_) return Status::Ok();
  if (SteadyMs() - last_sent_steady_ms_ < ready_.heartbeat_interval_ms) return Status::Ok();
  return Send(HeartbeatFrame(WallNowMs()));
}

Status Client::Refused(schema::Error::Reader error) {
  Refusal r;
  Status read = ReadRefusal(error, r);
  if (!read.ok()) return read;
  Status status = RefusalStatus(r);
  last_refusal_ = std::move(r);
  return status;
}

Status Client::Hello() {
  last_refusal_.reset();
  if (!socket_) return FailedPrecondition("the client is closed");
  has_session_ = false;
  capnp::MallocMessageBuilder message;
  auto hello = message.initRoot<Frame>().initHello();
  hello.setProtocolVersion(schema::CURRENT_PROTOCOL_VERSION);
  hello.setIdentity(AsText(options_.identity));
  hello.setRole(options_.role);
  hello.setResumeFrom(options_.resume_point ? options_.resume_point() : options_.resume_from);
  hello.setInitialCredit(options_.initial_credit);
  hello.setClientName(AsText(options_.client_name));
  hello.setClientVersion(AsText(options_.client_version));
  hello.setHeartbeatIntervalMs(options_.heartbeat_interval_ms);
  std::string frame = Encode(message);
  if (frame.size() > schema::MAX_HELLO_BYTES) {
    return InvalidArgument("HELLO of " + std::to_string(frame.size()) + " bytes exceeds the limit of " +
                           std::to_string(schema::MAX_HELLO_BYTES));
  }
  REGLINE_RETURN_IF_ERROR(Send(frame));
  // Acks of the session this HELLO replaces will not be answered.
  for (uint64_t tag : acks_in_flight_) {
    AckAnswer lost;
    lost.request_tag = tag;
    lost.status = Disconnected("a new session started before gateway at " + options_.endpoint + " answered the ACK");
    ack_answers_.push_back(std::move(lost));
  }
  acks_in_flight_.clear();

  const int64_t deadline = SteadyMs() + options_.timeout_ms;
  for (int64_t left = options_.timeout_ms; left > 0; left = deadline - SteadyMs()) {
    Result<std::optional<DecodedFrame>> read = ReadOne(left);
    if (!read.ok()) return read.status();
    if (!read->has_value()) continue;
    Frame::Reader f = (*read)->get();
    // Before READY only READY and an untagged ERROR matter; anything else
    // belongs to an earlier session (a DELIVER will be re-sent, a BYE
    // "replaced" ends the session this HELLO replaces).
    if (f.which() == Frame::ERROR && f.getError().getRequestTag() == 0) return Refused(f.getError());
    if (f.which() != Frame::READY) continue;
    ReadyInfo info;
    Status read_ready = Guard("READY frame from the gateway", [&]() {
      auto r = f.getReady();
      info.session_id = r.getSessionId();
      info.gateway_version = r.getGatewayVersion().cStr();
      info.protocol_version = r.getProtocolVersion();
      info.heartbeat_interval_ms = r.getHeartbeatIntervalMs();
      info.max_frame_bytes = r.getMaxFrameBytes();
      info.server_time_ms = r.getServerTimeMs();
      info.identity = r.getIdentity().cStr();
      info.role = r.getRole();
      info.resumed_from = r.getResumedFrom();
      info.pending_deliveries = r.getPendingDeliveries();
      info.max_acks_per_frame = r.getMaxAcksPerFrame();
    });
    if (!read_ready.ok()) return read_ready;
    if (info.heartbeat_interval_ms == 0) info.heartbeat_interval_ms = schema::DEFAULT_HEARTBEAT_INTERVAL_MS;
    if (info.max_frame_bytes == 0) info.max_frame_bytes = schema::DEFAULT_MAX_FRAME_BYTES;
    ready_ = std::move(info);
    has_session_ = true;
    return Status::Ok();
  }
  return Unavailable("gateway at " + options_.endpoint + " did not answer HELLO within " +
                     std::to_string(options_.timeout_ms) + " ms");
}

void Client::FileUnsolicited(DecodedFrame frame) {
  switch (frame.get().which()) {
    case Frame::HEARTBEAT:
      return;  // liveness only; ReadOne noted the time
    case Frame::BYE:
      has_session_ = false;
      inbox_.push_back(std::move(frame));
      return;
    case Frame::DELIVER:
    case Frame::ERROR:
      inbox_.push_back(std::move(frame));
      return;
    default:
      ++dropped_frames_;  // e.g. a second READY: out of turn, nothing to do with it
      return;
  }
}

Result<DecodedFrame> Client::AwaitAnswer(std::string_view what, uint64_t tag) {
  const int64_t deadline = SteadyMs() + options_.timeout_ms;
  for (int64_t left = options_.timeout_ms; left > 0; left = deadline - SteadyMs()) {
    if (has_session_) {
      REGLINE_RETURN_IF_ERROR(HeartbeatIfDue());
      left = std::min<int64_t>(left, ready_.heartbeat_interval_ms);
    }
    Result<std::optional<DecodedFrame>> read = ReadOne(left);
    if (!read.ok()) return read.status();
    if (!read->has_value()) continue;
    DecodedFrame frame = std::move(**read);
    Frame::Reader f = frame.get();
    std::optional<uint64_t> answer_tag = AnswerTag(f);
    if (answer_tag == tag) return frame;
    // An untagged ERROR while a request is out: the gateway could not read
    // it or has no session for us; either way it is this request's answer.
    if (answer_tag == 0u && f.which() == Frame::ERROR) return frame;
    if (FileAckAnswer(frame, answer_tag)) continue;
    if (answer_tag.has_value()) continue;  // a late answer to a request that timed out
    bool bye = f.which() == Frame::BYE;
    FileUnsolicited(std::move(frame));
    if (bye) return Disconnected("gateway at " + options_.endpoint + " ended the session during " + std::string(what));
  }
  return Unavailable("gateway at " + options_.endpoint + " did not answer " + std::string(what) + " within " +
                     std::to_string(options_.timeout_ms) + " ms");
}

Result<DecodedFrame> Client::Call(std::string_view what, uint64_t tag, const std::string& frame) {
  if (!has_session_) return Disconnected("no session with gateway at " + options_.endpoint + "; send HELLO first");
  if (frame.size() > ready_.max_frame_bytes) {
    return InvalidArgument(std::string(what) + " frame of " + std::to_string(frame.size()) +
                           " bytes exceeds the session's limit of " + std::to_string(ready_.max_frame_bytes));
  }
  for (int attempt = 0;; ++attempt) {
    REGLINE_RETURN_IF_ERROR(Send(frame));
    Result<DecodedFrame> answer = AwaitAnswer(what, tag);
    if (!answer.ok()) return answer;
    Frame::Reader f = answer->get();
    if (f.which() != Frame::ERROR) return answer;
    if (f.getError().getCode() == schema::ErrorCode::UNAUTHENTICATED && attempt == 0) {
      has_session_ = false;
      REGLINE_RETURN_IF_ERROR(Hello());
      continue;
    }
    if (f.getError().getCode() == schema::ErrorCode::UNAUTHENTICATED) has_session_ = false;
    return Refused(f.getError());
  }
}

Result<ConfirmInfo> Client::Submit(std::string_view envelope) {
  last_refusal_.reset();
  const uint64_t tag = NextTag();
  capnp::MallocMessageBuilder message;
  auto submit = message.initRoot<Frame>().initSubmit();
  submit.setRequestTag(tag);
  submit.setEnvelope(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(envelope.data()), envelope.size()));
  Result<DecodedFrame> answer = Call("SUBMIT", tag, Encode(message));
  if (!answer.ok()) return answer.status();
  Frame::Reader f = answer->get();
  if (f.which() != Frame::CONFIRM) return Internal("gateway answered SUBMIT with an unexpected frame");
  ConfirmInfo info;
  REGLINE_RETURN_IF_ERROR(Guard("CONFIRM frame from the gateway", [&]() {
    auto c = f.getConfirm();
    info.id = FromWire(c.getMessageId());
    info.gateway_seq = c.getGatewaySeq();
    info.accepted_ms = c.getAcceptedMs();
    info.duplicate = c.getDuplicate();
    for (auto r : c.getRecipients()) info.recipients.emplace_back(r.cStr());
  }));
  return info;
}

Result<DecodedFrame> Client::Query(const std::function<void(schema::Query::Builder)>& fill) {
  last_refusal_.reset();
  const uint64_t tag = NextTag();
  capnp::MallocMessageBuilder message;
  auto query = message.initRoot<Frame>().initQuery();
  REGLINE_RETURN_IF_ERROR(Guard("building the query", [&]() { fill(query); }));
  query.setRequestTag(tag);
  // Query and QueryResult number their union members alike.
  const auto asked = static_cast<uint16_t>(query.which());
  Result<DecodedFrame> answer = Call("QUERY", tag, Encode(message));
  if (!answer.ok()) return answer;
  Frame::Reader f = answer->get();
  if (f.which() != Frame::QUERY_RESULT) return Internal("gateway answered QUERY with an unexpected frame");
  if (static_cast<uint16_t>(f.getQueryResult().which()) != asked) {
    return Internal("gateway answered a QUERY with the result of another kind of query");
  }
  return answer;
}

Status Client::FillAck(const AckRequest& ack, uint64_t tag, schema::Ack::Builder a) {
  if (ack.stage == schema::AckStage::UNSPECIFIED) return InvalidArgument("ACK needs a stage");
  if (ack.message_id.IsZero()) return InvalidArgument("ACK needs the acknowledged message's id");
  a.setRequestTag(tag);
  a.setDeliverySeq(ack.delivery_seq);
  ToWire(ack.message_id, a.initMessageId());
  a.setStage(ack.stage);
  a.setReasonCode(ack.reason_code);
  a.setReason(AsText(ack.reason));
  a.setAtMs(ack.at_ms != 0 ? ack.at_ms : WallNowMs());
  if (!ack.acknowledgement.empty()) {
    a.setAcknowledgement(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(ack.acknowledgement.data()),
                                             ack.acknowledgement.size()));
  }
  return Status::Ok();
}

Result<std::string> Client::AckFrame(const AckRequest& ack, uint64_t tag) {
  capnp::MallocMessageBuilder message;
  REGLINE_RETURN_IF_ERROR(FillAck(ack, tag, message.initRoot<Frame>().initAck()));
  return Encode(message);
}

Result<AckReceiptInfo> Client::Ack(const AckRequest& ack) {
  last_refusal_.reset();
  const uint64_t tag = NextTag();
  Result<std::string> frame = AckFrame(ack, tag);
  if (!frame.ok()) return frame.status();
  Result<DecodedFrame> answer = Call("ACK", tag, *frame);
  if (!answer.ok()) return answer.status();
  Frame::Reader f = answer->get();
  if (f.which() != Frame::ACK_RECEIPT) return Internal("gateway answered ACK with an unexpected frame");
  AckReceiptInfo info;
  REGLINE_RETURN_IF_ERROR(ReadReceipt(f, info));
  return info;
}

Result<uint64_t> Client::SendAck(const AckRequest& ack) {
  Result<std::vector<uint64_t>> tags = SendAcks(std::span<const AckRequest>(&ack, 1));
  if (!tags.ok()) return tags.status();
  return tags->front();
}

Result<std::vector<uint64_t>> Client::SendAcks(std::span<const AckRequest> acks) {
  last_refusal_.reset();
  if (!has_session_) return Disconnected("no session with gateway at " + options_.endpoint + "; send HELLO first");
  if (acks.empty()) return std::vector<uint64_t>();
  const size_t allowed = std::max<size_t>(ready_.max_acks_per_frame, 1);
  if (acks.size() > allowed) {
    return InvalidArgument(std::to_string(acks.size()) + " ACKs in one frame; gateway at " + options_.endpoint +
                           " takes at most " + std::to_string(allowed));
  }
  std::vector<uint64_t> tags;
  tags.reserve(acks.size());
  std::string frame;
  if (acks.size() == 1) {
    tags.push_back(NextTag());
    Result<std::string> one = AckFrame(acks.front(), tags.front());
    if (!one.ok()) return one.status();
    frame = std::move(one).value();
  } else {
    capnp::MallocMessageBuilder message;
    auto list = message.initRoot<Frame>().initAcks().initAcks(static_cast<unsigned>(acks.size()));
    for (size_t i = 0; i < acks.size(); ++i) {
      tags.push_back(NextTag());
      Status filled = FillAck(acks[i], tags.back(), list[static_cast<unsigned>(i)]);
      if (!filled.ok()) return filled.WithContext("entry " + std::to_string(i) + " of an ACKS frame");
    }
    frame = Encode(message);
  }
  REGLINE_RETURN_IF_ERROR(SendAckFrame(frame, tags));
  return tags;
}

Status Client::SendAckFrame(const std::string& frame, std::span<const uint64_t> tags) {
  const char* what = tags.size() == 1 ? "ACK" : "ACKS";
  if (frame.size() > ready_.max_frame_bytes) {
    return InvalidArgument(std::string(what) + " frame of " + std::to_string(frame.size()) +
                           " bytes exceeds the session's limit of " + std::to_string(ready_.max_frame_bytes));
  }
  if (Status sent = Send(frame); !sent.ok()) {
    if (send_queue_full_) return Overloaded(sent.message() + "; send again once answers arrive");
    return sent;
  }
  acks_in_flight_.insert(tags.begin(), tags.end());
  return Status::Ok();
}

std::vector<AckAnswer> Client::TakeAckAnswers() {
  std::vector<AckAnswer> out;
  out.swap(ack_answers_);
  return out;
}

bool Client::FileAckAnswer(DecodedFrame& frame, std::optional<uint64_t> tag) {
  if (frame.get().which() == Frame::ACK_RECEIPTS) {
    // Receipts for tags not in flight answer acks of an earlier session.
    Status read = Guard("ACK-RECEIPTS frame from the gateway", [&]() {
      for (auto r : frame.get().getAckReceipts().getReceipts()) {
        auto it = acks_in_flight_.find(r.getRequestTag());
        if (it == acks_in_flight_.end()) continue;
        AckAnswer answer;
        answer.request_tag = *it;
        acks_in_flight_.erase(it);
        ReadReceiptFields(r, answer.receipt);
        ack_answers_.push_back(std::move(answer));
      }
    });
    if (!read.ok()) ++dropped_frames_;  // the acks it would have answered stay in flight
    return true;
  }
  if (!tag.has_value() || *tag == 0) return false;
  auto it = acks_in_flight_.find(*tag);
  if (it == acks_in_flight_.end()) return false;
  acks_in_flight_.erase(it);
  Frame::Reader f = frame.get();
  AckAnswer answer;
  answer.request_tag = *tag;
  if (f.which() == Frame::ACK_RECEIPT) {
    answer.status = ReadReceipt(f, answer.receipt);
  } else if (f.which() == Frame::ERROR) {
    Refusal r;
    answer.status = ReadRefusal(f.getError(), r);
    if (answer.status.ok()) {
      answer.status = RefusalStatus(r);
      answer.refusal = std::move(r);
    }
  } else {
    answer.status = Internal("gateway answered ACK with an unexpected frame");
  }
  ack_answers_.push_back(std::move(answer));
  return true;
}

Status Client::GrantCredit(uint32_t grant) {
  last_refusal_.reset();
  if (!has_session_) return Disconnected("no session with gateway at " + options_.endpoint + "; send HELLO first");
  capnp::MallocMessageBuilder message;
  message.initRoot<Frame>().initCredit().setGrant(grant);
  return Send(Encode(message));
}

Result<std::optional<DecodedFrame>> Client::Receive(int64_t timeout_ms) {
  last_refusal_.reset();
  const int64_t deadline = SteadyMs() + std::max<int64_t>(timeout_ms, 0);
  for (;;) {
    if (!inbox_.empty()) {
      DecodedFrame next = std::move(inbox_.front());
      inbox_.pop_front();
      Frame::Reader f = next.get();
      if (f.which() == Frame::ERROR && f.getError().getCode() == schema::ErrorCode::UNAUTHENTICATED) {
        has_session_ = false;
        Status refused = Refused(f.getError());
        return Disconnected("gateway at " + options_.endpoint + " no longer knows this session (" + refused.message() +
                            "); send HELLO");
      }
      return std::optional<DecodedFrame>(std::move(next));
    }
    const int64_t now = SteadyMs();
    if (has_session_) {
      const int64_t silent_limit = int64_t{schema::HEARTBEAT_LIVENESS} * ready_.heartbeat_interval_ms;
      if (now - last_heard_steady_ms_ > silent_limit) {
        has_session_ = false;
        return Disconnected("gateway at " + options_.endpoint + " was silent for more than " +
                            std::to_string(silent_limit) + " ms");
      }
      REGLINE_RETURN_IF_ERROR(HeartbeatIfDue());
    }
    int64_t left = deadline - now;
    if (left < 0) return std::optional<DecodedFrame>();
    if (!ack_answers_.empty()) left = 0;  // the caller has answers to take: do not wait
    if (has_session_) left = std::min<int64_t>(left, ready_.heartbeat_interval_ms);
    Result<std::optional<DecodedFrame>> read = ReadOne(left);
    if (!read.ok()) return read;
    if (read->has_value()) {
      DecodedFrame frame = std::move(**read);
      std::optional<uint64_t> tag = AnswerTag(frame.get());
      // Other tagged answers here are late answers to requests that timed out.
      if (FileAckAnswer(frame, tag)) continue;
      if (!tag.has_value() || *tag == 0) FileUnsolicited(std::move(frame));
    } else if (left == 0 || woken_) {
      woken_ = false;
      return std::optional<DecodedFrame>();
    }
  }
}

void Client::Close(std::string_view reason) {
  if (!socket_) return;
  try {
    if (has_session_) {
      socket_.set(zmq::sockopt::linger, static_cast<int>(std::max<int64_t>(options_.bye_linger_ms, 0)));
      (void)Send(ByeFrame(reason));
    }
    socket_.close();
  } catch (const zmq::error_t&) {
    // Closing cannot fail in a way the caller could act on.
  }
  has_session_ = false;
}

}  // namespace regline::protocol
