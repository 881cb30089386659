// The fixture the connector's end-to-end suites share: a temp directory
// with a real gateway (in <tmp>/gateway) and a real connector for "douyin"
// (in <tmp>/connector), and a regulator console ("samr-console") speaking
// to the gateway through protocol::Client.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "connectors/test_envelopes.h"
#include "gateway/core/test_util.h"
#include "gateway/protocol/client.h"
#include "tests/e2e/connector_process.h"

namespace regline::testing {

class ConnectorHarness : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(gateway_dir());
    gateway_ = std::make_unique<GatewayProcess>(REGLINE_GATEWAY_BINARY, gateway_dir());
    ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
  }

  // A sanitizer report in either daemon's log fails the test even when
  // the behaviour looked right (the asan preset builds both).
  void TearDown() override {
    for (const auto& log : {connector_dir() / "connector.log", gateway_dir() / "gateway.log"}) {
      std::string text = ReadFile(log);
      EXPECT_EQ(text.find("Sanitizer"), std::string::npos) << log << ":\n" << text;
      EXPECT_EQ(text.find("runtime error"), std::string::npos) << log << ":\n" << text;
    }
  }

  std::filesystem::path gateway_dir() const { return dir_.path() / "gateway"; }
  std::filesystem::path connector_dir() const { return dir_.path() / "connector"; }

  // A connector for "douyin" on this gateway; `sink_toml` = the [sink]
  // table's body (default: a spool in <connector_dir>/spool).
  std::unique_ptr<ConnectorProcess> MakeConnector(const std::string& sink_toml = "") {
    return std::make_unique<ConnectorProcess>(REGLINE_CONNECTOR_BINARY, connector_dir(), gateway_->endpoint(),
                                              sink_toml);
  }

  std::unique_ptr<protocol::Client> Console(const std::string& identity = "samr-console",
                                            schema::Role role = schema::Role::REGULATOR, uint32_t credit = 0,
                                            const std::string& endpoint = "") {
    auto c = TestClient(ctx_, endpoint.empty() ? gateway_->endpoint() : endpoint, identity, role, credit);
    if (!c) ADD_FAILURE() << "the gateway's log:\n" << gateway_->Log();
    return c;
  }

  // Submits a directive from samr-console to douyin; returns its id.
  MessageId SubmitDirective(protocol::Client& console, uint64_t n) {
    MessageId id{0x0190000000000000 + n, 0xd1000000 + n};
    Result<protocol::ConfirmInfo> confirm = console.Submit(connector::testing::DirectiveEnvelope(id));
    EXPECT_TRUE(confirm.ok()) << confirm.status().ToString();
    return id;
  }

  // douyin's line of the message's status at the gateway; nullopt when the
  // query fails or has no such line.
  std::optional<schema::DeliveryState> StateAtGateway(protocol::Client& console, const MessageId& id,
                                                      std::string* reason = nullptr) {
    Result<protocol::DecodedFrame> r =
        console.Query([&](schema::Query::Builder q) { protocol::ToWire(id, q.initMessageStatus()); });
    if (!r.ok()) return std::nullopt;
    for (auto line : r->get().getQueryResult().getMessageStatus().getRecipients()) {
      if (std::string(line.getRecipient().cStr()) != "douyin") continue;
      if (reason != nullptr) *reason = line.getRejectReason().cStr();
      return line.getState();
    }
    return std::nullopt;
  }

  // Waits until douyin's state for `id` at the gateway is `want`.
  bool WaitForState(protocol::Client& console, const MessageId& id, schema::DeliveryState want, int timeout_ms,
                    std::string* reason = nullptr) {
    return WaitFor([&] { return StateAtGateway(console, id, reason) == want; }, timeout_ms);
  }

  // The message ids in the spool, in file (delivery) order.
  static std::vector<std::string> SpoolIds(const std::filesystem::path& spool) {
    std::vector<std::string> ids;
    for (const auto& name : SpoolFiles(spool)) {
      nlohmann::json j = nlohmann::json::parse(ReadFile(spool / name), nullptr, false);
      ids.push_back(j.is_object() ? j.value("id", std::string("unreadable")) : std::string("unreadable"));
    }
    return ids;
  }

  TempDir dir_;
  zmq::context_t ctx_;
  std::unique_ptr<GatewayProcess> gateway_;
};

}  // namespace regline::testing
