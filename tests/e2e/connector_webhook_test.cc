// The webhook sink end to end: a real gateway, a real connector posting
// to a real HTTPS server on 127.0.0.1 (certificates made by the openssl
// command line), and the outcomes as the gateway records them.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "tests/e2e/connector_harness.h"
#include "tests/e2e/https_test_server.h"

namespace regline {
namespace {

using schema::DeliveryState;
using namespace std::chrono_literals;

constexpr const char* kSecret = "0123456789abcdef-webhook-test-secret";

class ConnectorWebhookTest : public testing::ConnectorHarness {
 protected:
  void SetUp() override {
    ConnectorHarness::SetUp();
    pki_.dir = dir_.path() / "pki";
    std::string error;
    ASSERT_TRUE(pki_.Make(error)) << error;
    std::filesystem::create_directories(connector_dir());
    secret_file_ = connector_dir() / "webhook.secret";
    std::ofstream(secret_file_) << kSecret << "\n";
    std::filesystem::permissions(secret_file_,
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  // The [sink] body for a webhook to `url`, trusting `ca` (the test CA by
  // default), retrying quickly.
  std::string WebhookSink(const std::string& url, const std::string& extra = "", std::string ca = "") {
    if (ca.empty()) ca = pki_.ca().string();
    return "type = \"webhook\"\nurl = \"" + url + "\"\nsecret_file = \"" + secret_file_.string() + "\"\nca_file = \"" +
           ca + "\"\nretry_min_ms = 100\nretry_max_ms = 400\n" + extra;
  }

  // A server for this test; it lives until after the connector, so that
  // the connector's kept-alive connections close before it stops.
  testing::WebhookTestServer& NewServer() {
    server_ = std::make_unique<testing::WebhookTestServer>(pki_, kSecret);
    return *server_;
  }

  // Starts server_, a connector posting to it (`extra`: more [sink] keys;
  // `ca`: the CA it trusts) and the regulator console.
  void StartAll(const std::string& extra = "", const std::string& ca = "") {
    ASSERT_TRUE(server_->Start());
    connector_ = MakeConnector(WebhookSink(server_->url(), extra, ca));
    ASSERT_TRUE(connector_->Start()) << connector_->Log();
    samr_ = Console();
    ASSERT_TRUE(samr_);
  }

  testing::TestPki pki_;
  std::filesystem::path secret_file_;
  std::unique_ptr<testing::WebhookTestServer> server_;
  std::unique_ptr<testing::ConnectorProcess> connector_;
  std::unique_ptr<protocol::Client> samr_;
};

TEST_F(ConnectorWebhookTest, SignedPostsAreDeliveredAndTheirOutcomesReachTheGateway) {
  testing::WebhookTestServer& server = NewServer();
  int answered = 0;
  server.Respond([&](const testing::ReceivedPost&, int, httplib::Response& res) {
    // The first says completed in its body; the second is a bare 202.
    if (answered++ == 0) {
      res.set_content(R"({"outcome": "completed"})", "application/json");
    } else {
      res.status = 202;
    }
  });
  ASSERT_NO_FATAL_FAILURE(StartAll());
  MessageId first = SubmitDirective(*samr_, 1);
  ASSERT_TRUE(WaitForState(*samr_, first, DeliveryState::COMPLETED, 20'000)) << connector_->Log();
  MessageId second = SubmitDirective(*samr_, 2);
  ASSERT_TRUE(WaitForState(*samr_, second, DeliveryState::ACCEPTED, 20'000)) << connector_->Log();

  std::vector<testing::ReceivedPost> posts = server.Posts();
  ASSERT_EQ(posts.size(), 2u);
  for (const auto& [post, id] : {std::pair{posts[0], first}, std::pair{posts[1], second}}) {
    EXPECT_TRUE(post.signature_ok) << "HMAC over timestamp.body does not verify";
    EXPECT_EQ(post.idempotency_key, id.ToHex());
    EXPECT_EQ(post.kind, "directive");
    EXPECT_EQ(post.attempt, 1);
    nlohmann::json body = nlohmann::json::parse(post.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << post.body;
    EXPECT_EQ(body.value("id", ""), id.ToHex());
    EXPECT_EQ(body.value("kind", ""), "directive");
    EXPECT_FALSE(body.value("envelopeBase64", "").empty()) << "the envelope (and its signature) travels too";
  }
}

TEST_F(ConnectorWebhookTest, AServerTheCaDoesNotVouchForIsRefusedAndNothingIsMarkedDelivered) {
  testing::WebhookTestServer& server = NewServer();
  ASSERT_NO_FATAL_FAILURE(StartAll("", pki_.other_ca().string()));
  MessageId id = SubmitDirective(*samr_, 1);
  ASSERT_TRUE(testing::WaitFor([&] { return connector_->LogCount("webhook_retry") >= 2; }, 20'000))
      << connector_->Log();
  EXPECT_NE(connector_->Log().find("SSL certificate problem"), std::string::npos) << connector_->Log();
  EXPECT_TRUE(server.Posts().empty());
  // Received by the connector, never handed over: the gateway hears no more.
  EXPECT_EQ(StateAtGateway(*samr_, id), DeliveryState::DELIVERED);
}

TEST_F(ConnectorWebhookTest, MutualTlsIsRefusedWithoutTheClientCertificateAndWorksWithIt) {
  testing::WebhookTestServer server(pki_, kSecret, /*require_client_cert=*/true);
  ASSERT_TRUE(server.Start());
  auto samr = Console();
  ASSERT_TRUE(samr);
  {
    auto connector = MakeConnector(WebhookSink(server.url()));
    ASSERT_TRUE(connector->Start()) << connector->Log();
    MessageId id = SubmitDirective(*samr, 1);
    ASSERT_TRUE(testing::WaitFor([&] { return connector->LogCount("webhook_retry") >= 1; }, 20'000))
        << connector->Log();
    EXPECT_TRUE(server.Posts().empty());
    EXPECT_EQ(StateAtGateway(*samr, id), DeliveryState::DELIVERED);
    connector->Kill(SIGTERM);
  }
  auto connector =
      MakeConnector(WebhookSink(server.url(), "client_cert = \"" + pki_.client_cert().string() + "\"\nclient_key = \"" +
                                                  pki_.client_key().string() + "\"\n"));
  ASSERT_TRUE(connector->Start()) << connector->Log();
  MessageId id{0x0190000000000001, 0xd1000001};  // SubmitDirective's first id
  EXPECT_TRUE(WaitForState(*samr, id, DeliveryState::ACCEPTED, 20'000)) << connector->Log();
  EXPECT_EQ(server.Accepted(id.ToHex()), 1);
}

TEST_F(ConnectorWebhookTest, A500IsRetriedWithoutHoldingBackOthersAndDeliveredOnce) {
  testing::WebhookTestServer& server = NewServer();
  const MessageId first{0x0190000000000001, 0xd1000001};
  server.Respond([&](const testing::ReceivedPost& post, int nth, httplib::Response& res) {
    if (post.idempotency_key == first.ToHex() && nth <= 3) {
      res.status = 500;
      res.set_content("database unavailable", "text/plain");
    }
  });
  ASSERT_NO_FATAL_FAILURE(StartAll());
  ASSERT_EQ(SubmitDirective(*samr_, 1), first);
  MessageId second = SubmitDirective(*samr_, 2);
  ASSERT_TRUE(WaitForState(*samr_, first, DeliveryState::ACCEPTED, 20'000)) << connector_->Log();
  ASSERT_TRUE(WaitForState(*samr_, second, DeliveryState::ACCEPTED, 20'000)) << connector_->Log();
  EXPECT_EQ(server.Accepted(first.ToHex()), 1);
  EXPECT_EQ(server.Accepted(second.ToHex()), 1);
  std::vector<int> attempts;
  std::chrono::steady_clock::time_point second_done{}, first_done{};
  for (const auto& p : server.Posts()) {
    if (p.idempotency_key == first.ToHex()) {
      attempts.push_back(p.attempt);
      if (p.status == 200) first_done = p.at;
    } else if (p.status == 200) {
      second_done = p.at;
    }
  }
  EXPECT_EQ(attempts, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_LT(second_done, first_done) << "the later message waited for the retried one";
  EXPECT_GE(connector_->LogCount("webhook_retry"), 3);
}

TEST_F(ConnectorWebhookTest, AfterMaxAttemptsAMessageIsUndeliverableAndTheOthersGoOn) {
  testing::WebhookTestServer& server = NewServer();
  const MessageId doomed{0x0190000000000001, 0xd1000001};
  server.Respond([&](const testing::ReceivedPost& post, int, httplib::Response& res) {
    if (post.idempotency_key == doomed.ToHex()) res.status = 503;
  });
  ASSERT_NO_FATAL_FAILURE(StartAll("max_attempts = 3\n"));
  ASSERT_EQ(SubmitDirective(*samr_, 1), doomed);
  MessageId fine = SubmitDirective(*samr_, 2);
  ASSERT_TRUE(WaitForState(*samr_, fine, DeliveryState::ACCEPTED, 20'000)) << connector_->Log();
  ASSERT_TRUE(testing::WaitFor([&] { return connector_->LogCount("webhook_undeliverable") == 1; }, 20'000))
      << connector_->Log();
  EXPECT_NE(connector_->Log().find("gave up after 3 attempt(s); last: HTTP 503"), std::string::npos)
      << connector_->Log();
  std::this_thread::sleep_for(500ms);
  int attempts = 0;
  for (const auto& p : server.Posts()) attempts += p.idempotency_key == doomed.ToHex();
  EXPECT_EQ(attempts, 3);  // and no more
  // The platform never had it: the gateway hears "received" only, so its
  // deadlines keep running.
  EXPECT_EQ(StateAtGateway(*samr_, doomed), DeliveryState::DELIVERED);
}

TEST_F(ConnectorWebhookTest, A429WaitsAsLongAsRetryAfterSays) {
  testing::WebhookTestServer& server = NewServer();
  server.Respond([&](const testing::ReceivedPost&, int nth, httplib::Response& res) {
    if (nth == 1) {
      res.status = 429;
      res.set_header("Retry-After", "2");
    }
  });
  ASSERT_NO_FATAL_FAILURE(StartAll());
  MessageId id = SubmitDirective(*samr_, 1);
  ASSERT_TRUE(WaitForState(*samr_, id, DeliveryState::ACCEPTED, 20'000)) << connector_->Log();
  std::vector<testing::ReceivedPost> posts = server.Posts();
  ASSERT_EQ(posts.size(), 2u);
  // retry_min_ms is 100: only the server's Retry-After explains the wait.
  EXPECT_GE(posts[1].at - posts[0].at, 1900ms);
}

TEST_F(ConnectorWebhookTest, A400BecomesARejectedAcknowledgementWithTheServersReason) {
  testing::WebhookTestServer& server = NewServer();
  server.Respond([&](const testing::ReceivedPost&, int, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"reason": "live room 8812 does not exist"})", "application/json");
  });
  ASSERT_NO_FATAL_FAILURE(StartAll());
  MessageId id = SubmitDirective(*samr_, 1);
  std::string reason;
  ASSERT_TRUE(WaitForState(*samr_, id, DeliveryState::REJECTED, 20'000, &reason)) << connector_->Log();
  EXPECT_EQ(reason, "HTTP 400: live room 8812 does not exist");
  EXPECT_EQ(server.Posts().size(), 1u);  // a permanent refusal is not retried
}

TEST_F(ConnectorWebhookTest, AServerThatHangsTimesOutAndIsRetried) {
  testing::WebhookTestServer& server = NewServer();
  server.Respond([&](const testing::ReceivedPost& post, int, httplib::Response&) {
    if (post.attempt == 1) std::this_thread::sleep_for(2s);
  });
  ASSERT_NO_FATAL_FAILURE(StartAll("request_timeout_ms = 500\n"));
  MessageId id = SubmitDirective(*samr_, 1);
  ASSERT_TRUE(WaitForState(*samr_, id, DeliveryState::ACCEPTED, 20'000)) << connector_->Log();
  EXPECT_NE(connector_->Log().find("Timeout was reached"), std::string::npos) << connector_->Log();
  ASSERT_TRUE(testing::WaitFor([&] { return server.Posts().size() == 2; }, 5'000));  // the hung one ends too
  std::vector<testing::ReceivedPost> posts = server.Posts();
  EXPECT_EQ(posts[0].attempt, 2);  // answered first
  EXPECT_EQ(posts[1].attempt, 1);  // answered after its 2 s, long after the connector gave up on it
}

// The negative catalog through the webhook: one version at a time, in
// order, a failed post holding back the later versions (not other
// messages); an update above a gap is parked until the snapshot the
// connector asks for has been posted.
TEST_F(ConnectorWebhookTest, CatalogVersionsArePostedOneAtATimeInOrderAndAGapWaitsForTheSnapshot) {
  testing::WebhookTestServer& server = NewServer();
  std::atomic<bool> fail_v3{true};
  server.Respond([&](const testing::ReceivedPost& post, int, httplib::Response& res) {
    nlohmann::json j = nlohmann::json::parse(post.body, nullptr, false);
    if (fail_v3 && j.is_object() && j["kind"] == "catalogUpdate" && j["payload"].value("version", "") == "3") {
      res.status = 503;
      fail_v3 = false;
    }
  });
  ASSERT_NO_FATAL_FAILURE(StartAll());
  ASSERT_TRUE(testing::WaitFor([&] { return connector_->LogCount("catalog_snapshot_requested") == 1; }, 20'000))
      << connector_->Log();
  auto publish = [&](uint64_t version, uint64_t base, std::vector<std::string> to) {
    MessageId id = MessageId::Generate(SystemClock().NowMs());
    Result<protocol::ConfirmInfo> confirm = samr_->Submit(connector::testing::MakeEnvelope(
        "samr-console", id, std::move(to), schema::MessageKind::CATALOG_UPDATE,
        connector::testing::CatalogUpdatePayload(version, base, "NC-000" + std::to_string(version))));
    EXPECT_TRUE(confirm.ok()) << confirm.status().ToString();
    return id;
  };
  // v1 goes to kuaishou alone: v2 reaches douyin above a gap.
  publish(1, 0, {"kuaishou"});
  MessageId v2 = publish(2, 1, {"douyin", "kuaishou"});
  ASSERT_TRUE(WaitForState(*samr_, v2, DeliveryState::COMPLETED, 20'000)) << connector_->Log();
  EXPECT_EQ(connector_->LogCount("catalog_gap"), 1) << connector_->Log();
  EXPECT_EQ(connector_->LogCount("catalog_covered"), 1) << connector_->Log();
  // Then v3 (answered 503 once), v4 and v5 at once, and a directive.
  publish(3, 2, {"douyin"});
  publish(4, 3, {"douyin"});
  MessageId v5 = publish(5, 4, {"douyin"});
  MessageId directive = SubmitDirective(*samr_, 1);
  ASSERT_TRUE(WaitForState(*samr_, v5, DeliveryState::ACCEPTED, 20'000)) << connector_->Log();
  ASSERT_TRUE(WaitForState(*samr_, directive, DeliveryState::ACCEPTED, 20'000)) << connector_->Log();
  std::vector<std::string> catalog;
  for (const testing::ReceivedPost& post : server.Posts()) {
    nlohmann::json j = nlohmann::json::parse(post.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << post.body;
    const std::string kind = j.value("kind", "");
    if (kind == "catalogUpdate" || kind == "catalogSnapshot") {
      catalog.push_back(kind + " v" + j["payload"].value("version", "?") + " " + std::to_string(post.status));
    }
  }
  EXPECT_EQ(catalog, (std::vector<std::string>{"catalogSnapshot v2 200", "catalogUpdate v3 503", "catalogUpdate v3 200",
                                               "catalogUpdate v4 200", "catalogUpdate v5 200"}));
  EXPECT_NE(connector_->Log().find("event=catalog_applied sink=webhook version=5"), std::string::npos)
      << connector_->Log();
}

TEST_F(ConnectorWebhookTest, EverythingArrivesOnceWhenTheServerComesBackUp) {
  int port = 0;
  {
    testing::WebhookTestServer probe(pki_, kSecret);
    ASSERT_TRUE(probe.Start());
    port = probe.port();
  }
  auto connector = MakeConnector(WebhookSink("https://127.0.0.1:" + std::to_string(port) + "/regline"));
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto samr = Console();
  ASSERT_TRUE(samr);
  std::vector<MessageId> ids;
  for (uint64_t n = 1; n <= 20; ++n) ids.push_back(SubmitDirective(*samr, n));
  ASSERT_TRUE(testing::WaitFor([&] { return connector->LogCount("webhook_retry") >= 20; }, 20'000)) << connector->Log();
  testing::WebhookTestServer server(pki_, kSecret);
  ASSERT_TRUE(server.Start(port)) << "port " << port << " was taken meanwhile";
  for (const MessageId& id : ids) {
    ASSERT_TRUE(WaitForState(*samr, id, DeliveryState::ACCEPTED, 20'000)) << id.ToHex() << "\n" << connector->Log();
    EXPECT_EQ(server.Accepted(id.ToHex()), 1) << id.ToHex();
  }
  EXPECT_EQ(server.Posts().size(), ids.size());
  connector->Kill(SIGTERM);  // before the server stops: its keep-alive connections close at once
}

}  // namespace
}  // namespace regline
