// The connector's local HTTP API end to end: a real gateway and connector,
// requests over HTTP (cpp-httplib's client) on 127.0.0.1.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "connectors/message_json.h"
#include "tests/e2e/connector_harness.h"
#include "tests/e2e/full_disk.h"

namespace regline {
namespace {

using nlohmann::json;
using schema::DeliveryState;
using schema::Frame;

constexpr const char* kToken = "local-api-token-0123456789abcdef";

class ConnectorHttpApiTest : public testing::ConnectorHarness {
 protected:
  // A connector (spool sink) with the HTTP API on a port the OS picks.
  std::unique_ptr<testing::ConnectorProcess> MakeApiConnector() {
    std::filesystem::create_directories(connector_dir());
    const auto token = connector_dir() / "api.token";
    std::ofstream(token) << kToken << "\n";
    std::filesystem::permissions(token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return MakeConnector(testing::SpoolSinkToml(connector_dir() / "spool") +
                         "\n[http_api]\nlisten = \"127.0.0.1:0\"\nmax_body_bytes = 4096\ntoken_file = \"" +
                         token.string() + "\"\n");
  }

  // Waits until GET /v1/health answers `status` with "gateway": `gateway`.
  static bool WaitForHealth(httplib::Client& api, int status, const std::string& gateway, int timeout_ms = 10'000) {
    return testing::WaitFor(
        [&] {
          auto r = api.Get("/v1/health");
          if (!r || r->status != status) return false;
          json j = json::parse(r->body, nullptr, false);
          return j.is_object() && j.value("gateway", std::string()) == gateway;
        },
        timeout_ms);
  }

  // A client of the API of `connector` (after Start), with the token.
  std::unique_ptr<httplib::Client> Api(const testing::ConnectorProcess& connector, const std::string& token = kToken) {
    // Written once the API listens, just after the endpoint file Start()
    // waits for.
    const auto file = connector.data_dir() / "http_api.url";
    EXPECT_TRUE(testing::WaitFor([&] { return !testing::ReadFile(file).empty(); }, 10'000));
    std::string url = testing::ReadFile(file);
    while (!url.empty() && url.back() == '\n') url.pop_back();
    auto client = std::make_unique<httplib::Client>(url);
    if (!token.empty()) client->set_bearer_token_auth(token);
    client->set_read_timeout(10, 0);
    return client;
  }

  // A complaint-statistics submission body: the sample report's payload in
  // the schema's JSON mapping (as the connector renders payloads).
  static json ReportBody(const MessageId& id) {
    connector::InboxMessage m;
    m.id = id;
    m.kind = static_cast<int>(schema::MessageKind::COMPLAINT_STATISTICS);
    m.envelope = connector::testing::ComplaintStatisticsEnvelope(id);
    json payload = json::parse(connector::MessageJson(m)["payload"].dump());
    return {{"kind", "complaintStatistics"},
            {"id", id.ToHex()},
            {"recipients", {"samr-console"}},
            {"priority", "low"},
            {"payload", payload}};
  }

  static httplib::Result Post(httplib::Client& api, const std::string& path, const std::string& body) {
    return api.Post(path.c_str(), body, "application/json");
  }

  // The ids samr-console is delivered within `timeout_ms`.
  std::vector<MessageId> Delivered(protocol::Client& samr, size_t want, int timeout_ms) {
    std::vector<MessageId> ids;
    testing::WaitFor(
        [&] {
          Result<std::optional<protocol::DecodedFrame>> f = samr.Receive(100);
          if (f.ok() && f->has_value() && (*f)->get().which() == Frame::DELIVER) {
            ids.push_back(protocol::FromWire((*f)->get().getDeliver().getMessageId()));
          }
          return ids.size() >= want;
        },
        timeout_ms);
    return ids;
  }
};

TEST_F(ConnectorHttpApiTest, ASubmissionIsAnswered202OnceDurableAndReachesTheGateway) {
  auto connector = MakeApiConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto api = Api(*connector);
  const MessageId id{0x0190c0ffee000000, 1};
  auto r = Post(*api, "/v1/submissions", ReportBody(id).dump());
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  ASSERT_EQ(r->status, 202) << r->body;
  json answer = json::parse(r->body);
  EXPECT_EQ(answer["id"], id.ToHex());
  EXPECT_EQ(answer["duplicate"], false);

  auto again = Post(*api, "/v1/submissions", ReportBody(id).dump());
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 202) << again->body;
  EXPECT_EQ(json::parse(again->body)["duplicate"], true);

  auto samr = Console("samr-console", schema::Role::REGULATOR, 10);
  ASSERT_TRUE(samr);
  EXPECT_EQ(Delivered(*samr, 1, 20'000), std::vector<MessageId>{id}) << connector->Log();
}

// GET /v1/health: 200 while both stores take changes; after a failed sync
// of the outbox's log (the LD_PRELOADed injector of fail_sync_shim.c), 503
// naming the outbox.
TEST_F(ConnectorHttpApiTest, HealthNamesTheStoreAFailedSyncFenced) {
  auto connector = MakeApiConnector();
  const std::filesystem::path trigger = connector_dir() / "fail-sync";
  connector->SetEnv(testing::FailSyncEnv(REGLINE_FAIL_SYNC_SHIM, trigger));
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto api = Api(*connector);
  ASSERT_TRUE(WaitForHealth(*api, 200, "connected")) << connector->Log();
  auto healthy = api->Get("/v1/health");
  ASSERT_TRUE(healthy) << httplib::to_string(healthy.error());
  EXPECT_EQ(json::parse(healthy->body),
            (json{{"status", "ok"}, {"inbox", "ok"}, {"outbox", "ok"}, {"gateway", "connected"}}));

  std::ofstream(trigger) << "fail\n";
  auto refused = Post(*api, "/v1/submissions", ReportBody(MessageId{0x0190c0ffee000000, 7}).dump());
  ASSERT_TRUE(refused) << httplib::to_string(refused.error());
  EXPECT_NE(refused->status, 202) << "confirmed although its sync failed: " << refused->body;
  std::filesystem::remove(trigger);

  auto failing = api->Get("/v1/health");
  ASSERT_TRUE(failing) << httplib::to_string(failing.error());
  EXPECT_EQ(failing->status, 503) << failing->body;
  json j = json::parse(failing->body);
  EXPECT_EQ(j["status"], "failing");
  EXPECT_EQ(j["inbox"], "ok");
  EXPECT_NE(j["outbox"].get<std::string>().find("the connector's outbox takes no more changes until it is restarted"),
            std::string::npos)
      << failing->body;
}

// A full disk under the inbox (its data directory on a tmpfs the test
// fills): while the link waits for room it holds no session, and
// GET /v1/health says so with 503 and why; once there is room, 200 again.
TEST_F(ConnectorHttpApiTest, HealthSaysTheInboxHasNoRoomWhileTheLinkWaits) {
  testing::TmpfsMount tmpfs(connector_dir() / "data", "8m");  // unmounted after the connector is killed
  ASSERT_TRUE(tmpfs.mounted()) << tmpfs.error();
  auto connector = MakeApiConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto api = Api(*connector);
  ASSERT_TRUE(WaitForHealth(*api, 200, "connected")) << connector->Log();

  auto samr = Console();
  ASSERT_TRUE(samr);
  const std::filesystem::path filler = testing::FillFileSystem(connector->data_dir());
  const MessageId id{0x0190000000000000 + 1, 0xd1000000 + 1};
  Result<protocol::ConfirmInfo> confirm = samr->Submit(connector::testing::LargeDirectiveEnvelope(id, 256 * 1024));
  ASSERT_TRUE(confirm.ok()) << confirm.status().ToString();
  ASSERT_TRUE(testing::WaitFor([&] { return connector->LogCount("inbox_unwritable") >= 1; }, 20'000))
      << connector->Log();

  auto waiting = api->Get("/v1/health");
  ASSERT_TRUE(waiting) << httplib::to_string(waiting.error());
  EXPECT_EQ(waiting->status, 503) << waiting->body;
  json j = json::parse(waiting->body);
  EXPECT_EQ(j["status"], "failing");
  EXPECT_EQ(j["gateway"], "not connected");
  EXPECT_EQ(j["outbox"], "ok");
  const std::string inbox = j["inbox"].get<std::string>();
  EXPECT_NE(inbox.find("no session with the gateway until the inbox takes writes again"), std::string::npos)
      << waiting->body;
  EXPECT_NE(inbox.find("no_space"), std::string::npos) << waiting->body;

  std::filesystem::remove(filler);
  EXPECT_TRUE(WaitForHealth(*api, 200, "connected", 30'000)) << connector->Log();
  EXPECT_TRUE(WaitForState(*samr, id, DeliveryState::ACCEPTED, 20'000)) << connector->Log();
}

// A full disk under the outbox (the data directory on a tmpfs the test
// fills): a report is refused with 503 no_space and Retry-After, nothing
// is half-taken, and once there is room the same report is taken as new
// and reaches the gateway once, after the one taken before the disk filled.
TEST_F(ConnectorHttpApiTest, AFullDiskRefusesAReportUntilThereIsRoom) {
  testing::TmpfsMount tmpfs(connector_dir() / "data", "8m");  // unmounted after the connector is killed
  ASSERT_TRUE(tmpfs.mounted()) << tmpfs.error();
  auto connector = MakeApiConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto api = Api(*connector);
  auto samr = Console("samr-console", schema::Role::REGULATOR, 10);
  ASSERT_TRUE(samr);
  const MessageId before{0x0190c0ffee000000, 21};
  auto first = Post(*api, "/v1/submissions", ReportBody(before).dump());
  ASSERT_TRUE(first) << httplib::to_string(first.error());
  ASSERT_EQ(first->status, 202) << first->body;
  EXPECT_EQ(Delivered(*samr, 1, 20'000), std::vector<MessageId>{before}) << connector->Log();

  const std::filesystem::path filler = testing::FillFileSystem(connector->data_dir());
  const MessageId during{0x0190c0ffee000000, 22};
  auto refused = Post(*api, "/v1/submissions", ReportBody(during).dump());
  ASSERT_TRUE(refused) << httplib::to_string(refused.error());
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  EXPECT_EQ(json::parse(refused->body)["error"], "no_space") << refused->body;
  EXPECT_TRUE(Delivered(*samr, 1, 1'000).empty()) << "a refused report reached the gateway";
  EXPECT_TRUE(connector->Running()) << connector->Log();

  std::filesystem::remove(filler);
  auto taken = Post(*api, "/v1/submissions", ReportBody(during).dump());
  ASSERT_TRUE(taken) << httplib::to_string(taken.error());
  ASSERT_EQ(taken->status, 202) << taken->body;
  EXPECT_EQ(json::parse(taken->body)["duplicate"], false) << taken->body;
  EXPECT_EQ(Delivered(*samr, 1, 20'000), std::vector<MessageId>{during}) << connector->Log();
  EXPECT_TRUE(Delivered(*samr, 1, 1'000).empty()) << "a report arrived twice";
}

TEST_F(ConnectorHttpApiTest, BadRequestsGetTheStatusAndFieldThatSayWhy) {
  auto connector = MakeApiConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto api = Api(*connector);
  const MessageId id{0x0190c0ffee000000, 2};
  struct Case {
    const char* name;
    std::string body;
    int status;
    std::string field;
  };
  json unknown_top = ReportBody(id);
  unknown_top["urgency"] = "high";
  json unknown_inner = ReportBody(id);
  unknown_inner["payload"]["shoeSize"] = 42;
  json directive = ReportBody(id);
  directive["kind"] = "directive";
  json no_recipients = ReportBody(id);
  no_recipients.erase("recipients");
  json bad_id = ReportBody(id);
  bad_id["id"] = "xyz";
  const Case cases[] = {
      {"NotJson", "{\"kind\": ", 400, ""},
      {"NotAnObject", "[1, 2]", 400, ""},
      {"UnknownField", unknown_top.dump(), 400, "urgency"},
      {"UnknownPayloadField", unknown_inner.dump(), 400, "payload.shoeSize"},
      {"KindNotForwarded", directive.dump(), 400, "kind"},
      {"NoRecipients", no_recipients.dump(), 400, "recipients"},
      {"BadId", bad_id.dump(), 400, "id"},
      {"Oversized", std::string(8192, ' ') + ReportBody(id).dump(), 413, ""},
  };
  for (const Case& c : cases) {
    auto r = Post(*api, "/v1/submissions", c.body);
    ASSERT_TRUE(r) << c.name;
    EXPECT_EQ(r->status, c.status) << c.name << ": " << r->body;
    json answer = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(answer.is_object()) << c.name << ": " << r->body;
    EXPECT_FALSE(answer.value("message", "").empty()) << c.name;
    if (!c.field.empty()) {
      EXPECT_EQ(answer.value("field", ""), c.field) << c.name << ": " << r->body;
    }
  }
  auto anonymous = Api(*connector, "");
  auto r = Post(*anonymous, "/v1/submissions", ReportBody(id).dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u);
  auto stranger = Api(*connector, "not-the-token-0123456789abcdef00");
  r = stranger->Get("/v1/messages");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  // Nothing of it was stored.
  EXPECT_EQ(connector->LogCount("upstream_queued"), 0);
}

TEST_F(ConnectorHttpApiTest, ReceivedMessagesAreListedAndTheirStagesSet) {
  auto connector = MakeApiConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto samr = Console();
  ASSERT_TRUE(samr);
  MessageId id = SubmitDirective(*samr, 1);
  ASSERT_TRUE(WaitForState(*samr, id, DeliveryState::ACCEPTED, 20'000)) << connector->Log();
  auto api = Api(*connector);
  auto list = api->Get("/v1/messages?after=0&limit=10");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  json page = json::parse(list->body);
  ASSERT_EQ(page["messages"].size(), 1u) << list->body;
  EXPECT_EQ(page["messages"][0]["id"], id.ToHex());
  EXPECT_EQ(page["messages"][0]["kind"], "directive");
  EXPECT_EQ(page["messages"][0]["sinkState"], "accepted");
  EXPECT_EQ(page["next"], page["messages"][0]["deliverySeq"]);
  auto later = api->Get(("/v1/messages?after=" + page["next"].dump()).c_str());
  ASSERT_TRUE(later);
  EXPECT_EQ(json::parse(later->body)["messages"].size(), 0u);

  auto done = Post(*api, "/v1/acknowledgements",
                   json{{"messageId", id.ToHex()}, {"stage", "completed"}, {"reason", "room 8812 suspended"}}.dump());
  ASSERT_TRUE(done);
  ASSERT_EQ(done->status, 202) << done->body;
  EXPECT_EQ(json::parse(done->body)["stage"], "completed");
  EXPECT_TRUE(WaitForState(*samr, id, DeliveryState::COMPLETED, 20'000)) << connector->Log();

  auto unknown =
      Post(*api, "/v1/acknowledgements", json{{"messageId", MessageId{1, 2}.ToHex()}, {"stage", "accepted"}}.dump());
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << unknown->body;
  auto conflict = Post(*api, "/v1/acknowledgements",
                       json{{"messageId", id.ToHex()}, {"stage", "rejected"}, {"reason", "changed our mind"}}.dump());
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->status, 409) << conflict->body;  // completed cannot become rejected
}

TEST_F(ConnectorHttpApiTest, AConnectorKilledRightAfterA202StillSendsTheMessageAfterRestart) {
  auto connector = MakeApiConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  const std::string gateway_endpoint = gateway_->endpoint();
  gateway_->Kill(SIGTERM);
  testing::PinGatewayEndpoint(gateway_dir(), gateway_endpoint);

  const MessageId id{0x0190c0ffee000000, 3};
  {
    auto api = Api(*connector);
    auto r = Post(*api, "/v1/submissions", ReportBody(id).dump());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202) << r->body;
  }
  connector->Kill(SIGKILL);
  std::filesystem::remove(connector->data_dir() / "http_api.url");

  ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto samr = Console("samr-console", schema::Role::REGULATOR, 10);
  ASSERT_TRUE(samr);
  EXPECT_EQ(Delivered(*samr, 1, 20'000), std::vector<MessageId>{id}) << connector->Log();
}

}  // namespace
}  // namespace regline
