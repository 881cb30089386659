#include "ctl/testing/fake_gateway.h"

#include <stdexcept>

namespace regline::testing {

FakeGateway::FakeGateway() : FakeGateway([](schema::Frame::Reader) { return std::vector<std::string>(); }) {}

FakeGateway::FakeGateway(Responder responder) : responder_(std::move(responder)) {}

FakeGateway::~FakeGateway() { Stop(); }

void FakeGateway::Start() {
  zmq::socket_t router(context_, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.bind("tcp://127.0.0.1:*");
  endpoint_ = router.get(zmq::sockopt::last_endpoint);
  thread_ = std::thread([this, socket = std::move(router)]() mutable {
    zmq::socket_t s = std::move(socket);
    std::string peer;
    while (!stop_.load()) {
      zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(10));
      std::vector<std::string> pending;
      {
        std::lock_guard<std::mutex> lock(mu_);
        pending.swap(outbox_);
      }
      if (item.revents & ZMQ_POLLIN) {
        zmq::message_t id, body;
        (void)s.recv(id);
        (void)s.recv(body);
        peer = id.to_string();
        std::string bytes = body.to_string();
        {
          std::lock_guard<std::mutex> lock(mu_);
          received_.push_back(bytes);
        }
        Result<protocol::DecodedFrame> frame = protocol::DecodedFrame::Parse(bytes, 1 << 24);
        if (frame.ok()) {
          std::vector<std::string> answers;
          if (frame->get().which() == schema::Frame::HELLO) answers.push_back(Ready());
          std::vector<std::string> scripted = responder_(frame->get());
          if (!scripted.empty()) answers = std::move(scripted);
          for (auto& a : answers) pending.push_back(std::move(a));
        }
      }
      for (const std::string& frame : pending) {
        if (peer.empty()) continue;
        s.send(zmq::buffer(peer), zmq::send_flags::sndmore);
        s.send(zmq::buffer(frame), zmq::send_flags::none);
      }
    }
  });
}

void FakeGateway::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> FakeGateway::Received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

protocol::DecodedFrame FakeGateway::ReceivedFrame(size_t i) const {
  std::string bytes = Received().at(i);
  Result<protocol::DecodedFrame> frame = protocol::DecodedFrame::Parse(bytes, 1 << 24);
  if (!frame.ok()) throw std::runtime_error(frame.status().ToString());
  return std::move(frame).value();
}

size_t FakeGateway::Count(schema::Frame::Which which) const {
  size_t n = 0;
  for (const std::string& bytes : Received()) {
    Result<protocol::DecodedFrame> frame = protocol::DecodedFrame::Parse(bytes, 1 << 24);
    if (frame.ok() && frame->get().which() == which) ++n;
  }
  return n;
}

void FakeGateway::Push(std::string frame) {
  std::lock_guard<std::mutex> lock(mu_);
  outbox_.push_back(std::move(frame));
}

std::string FakeGateway::Ready(uint32_t heartbeat_ms, uint32_t max_frame_bytes, uint32_t max_acks_per_frame) {
  capnp::MallocMessageBuilder m;
  auto r = m.initRoot<schema::Frame>().initReady();
  r.setSessionId(7);
  r.setGatewayVersion("fake-1");
  r.setProtocolVersion(1);
  r.setHeartbeatIntervalMs(heartbeat_ms);
  r.setMaxFrameBytes(max_frame_bytes);
  r.setServerTimeMs(1'700'000'000'000);
  r.setIdentity("samr-console");
  r.setRole(schema::Role::REGULATOR);
  r.setPendingDeliveries(3);
  r.setMaxAcksPerFrame(max_acks_per_frame);
  return protocol::Encode(m);
}

std::string FakeGateway::Confirm(uint64_t tag, const MessageId& id, uint64_t gateway_seq, bool duplicate,
                                 std::vector<std::string> recipients) {
  return protocol::ConfirmFrame(tag, id, gateway_seq, 1'700'000'000'000, duplicate, recipients);
}

std::string FakeGateway::Error(uint64_t tag, schema::ErrorCode code, std::string text, int64_t retry_after_ms) {
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Frame>().initError();
  e.setRequestTag(tag);
  e.setCode(code);
  e.setText(text);
  e.setRetryAfterMs(retry_after_ms);
  return protocol::Encode(m);
}

}  // namespace regline::testing
