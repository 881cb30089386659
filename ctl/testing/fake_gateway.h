// FakeGateway: a scripted stand-in for regline-gateway, for client and CLI
// tests (test-only; never linked into a program).
//
// It binds a ROUTER socket on a free loopback port and runs one thread
// that answers each frame it receives with what the test's Responder
// returns: READY for HELLO unless told otherwise, and for other requests
// whatever frames the responder gives (none by default). Every received
// frame is recorded so the test can check what the client sent. Start()
// and Stop() (also the destructor) belong to the test's thread; the
// responder runs on the fake's thread; Received() may be called from the
// test's thread at any time (a mutex guards the record).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "gateway/protocol/frames.h"

namespace regline::testing {

class FakeGateway {
 public:
  // Given one frame from the client, returns the frames to send back (each
  // an encoded Frame). Runs on the fake's thread.
  using Responder = std::function<std::vector<std::string>(schema::Frame::Reader)>;

  // Answers HELLO with Ready() and everything else with nothing.
  FakeGateway();
  explicit FakeGateway(Responder responder);
  ~FakeGateway();

  // Binds tcp://127.0.0.1:<free port> and starts answering.
  void Start();
  void Stop();
  std::string endpoint() const { return endpoint_; }

  // Copies of every frame received so far, in order (raw bytes).
  std::vector<std::string> Received() const;
  // Decoded Received()[i].
  protocol::DecodedFrame ReceivedFrame(size_t i) const;
  // How many frames of `which` were received.
  size_t Count(schema::Frame::Which which) const;

  // Sends `frame` to the last peer heard from (from any thread: it is
  // queued to the fake's thread).
  void Push(std::string frame);

  // Frame builders for responders.
  // max_acks_per_frame 0: a gateway that takes no ACKS frames.
  static std::string Ready(uint32_t heartbeat_ms = 5000, uint32_t max_frame_bytes = 1 << 20,
                           uint32_t max_acks_per_frame = 0);
  static std::string Confirm(uint64_t tag, const MessageId& id, uint64_t gateway_seq, bool duplicate,
                             std::vector<std::string> recipients);
  static std::string Error(uint64_t tag, schema::ErrorCode code, std::string text, int64_t retry_after_ms = 0);

 private:
  void Run();

  Responder responder_;
  zmq::context_t context_{1};
  std::string endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;  // guards received_ and outbox_
  std::vector<std::string> received_;
  std::vector<std::string> outbox_;
};

}  // namespace regline::testing
