// The web console end to end: a real gateway with known traffic (a
// directive acknowledged to "accepted", one dead-lettered, complaint
// statistics for two months), its JSON API read over HTTP (suite
// ConsoleApi*), and the page itself in headless Chromium driven through
// chromedriver (suite ConsoleBrowser*): the matrix shows the right stages,
// the chart draws, a dead letter is replayed through the page, the
// language switches, and a screenshot is saved as a test artifact.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "connectors/test_envelopes.h"
#include "gateway/core/test_util.h"
#include "gateway/policy/report_schedule.h"
#include "gateway/protocol/client.h"
#include "schemas/complaints.capnp.h"
#include "schemas/directive.capnp.h"
#include "schemas/schema_samples.h"
#include "tests/e2e/connector_process.h"
#include "tests/e2e/webdriver.h"

namespace regline {
namespace {

using nlohmann::json;

constexpr const char* kToken = "console-token-0123456789abcdef01";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The sample complaint statistics of douyin for [start_ms, end_ms), with
// `received` complaints of false or misleading information added.
std::string ComplaintStatistics(const MessageId& id, int64_t start_ms, int64_t end_ms, uint32_t received) {
  capnp::MallocMessageBuilder m;
  auto statistics = m.initRoot<schema::ComplaintStatistics>();
  schema::samples::BuildComplaintStatistics(statistics);
  statistics.getPeriod().setStartMs(start_ms);
  statistics.getPeriod().setEndMs(end_ms);
  statistics.getCounts()[0].setReceived(received);
  return connector::testing::MakeEnvelope("douyin", id, {"samr-console"}, schema::MessageKind::COMPLAINT_STATISTICS,
                                          protocol::Encode(m));
}

// A directive from samr-console to douyin (the sample: suspend a live
// room's broadcast) due to be accepted by `ack_deadline_ms` and completed
// by `completion_deadline_ms`.
std::string Directive(const MessageId& id, int64_t ack_deadline_ms, int64_t completion_deadline_ms) {
  capnp::MallocMessageBuilder m;
  auto directive = m.initRoot<schema::Directive>();
  schema::samples::BuildSuspendBroadcastDirective(directive);
  directive.setEffectiveFromMs(0);
  directive.setAckDeadlineMs(ack_deadline_ms);
  directive.setCompletionDeadlineMs(completion_deadline_ms);
  return connector::testing::MakeEnvelope("samr-console", id, {"douyin"}, schema::MessageKind::DIRECTIVE,
                                          protocol::Encode(m), schema::Priority::HIGH);
}

class ConsoleTest : public ::testing::Test {
 protected:
  // The directive douyin acknowledges to "accepted", and the one it leaves
  // unacknowledged when it goes (with max_attempts = 1: dead-lettered).
  const MessageId accepted_{0x0190000000000c01, 1};
  const MessageId dead_{0x0190000000000c01, 2};

  void SetUp() override {
    const auto token = dir_.path() / "admin.token";
    std::ofstream(token) << kToken << "\n";
    std::filesystem::permissions(token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    gateway_ = std::make_unique<testing::GatewayProcess>(
        REGLINE_GATEWAY_BINARY, dir_.path(),
        "\n[admin]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"" + token.string() + "\"\n", "max_attempts = 1\n");
    ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
    ASSERT_TRUE(
        testing::WaitFor([&] { return !testing::ReadFile(gateway_->data_dir() / "admin.url").empty(); }, 10'000));
    url_ = testing::ReadFile(gateway_->data_dir() / "admin.url");
    while (!url_.empty() && url_.back() == '\n') url_.pop_back();
    http_ = std::make_unique<httplib::Client>(url_);
    http_->set_read_timeout(10, 0);
    SendTraffic();
  }

  void SendTraffic() {
    samr_ = gateway_->Connect(ctx_, "samr-console", schema::Role::REGULATOR);
    ASSERT_TRUE(samr_);
    // Deadlines that pass during the test: douyin accepts the first one
    // late and completes neither.
    const int64_t ack_deadline = NowMs() + 1500, completion_deadline = NowMs() + 2500;
    ASSERT_TRUE(samr_->Submit(Directive(accepted_, ack_deadline, completion_deadline)).ok());
    ASSERT_TRUE(samr_->Submit(Directive(dead_, ack_deadline, completion_deadline)).ok());
    auto douyin = gateway_->Connect(ctx_, "douyin", schema::Role::PLATFORM, 16);
    ASSERT_TRUE(douyin);
    bool delivered_dead = false, acked = false;
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          Result<std::optional<protocol::DecodedFrame>> f = douyin->Receive(100);
          if (!f.ok() || !f->has_value() || (*f)->get().which() != schema::Frame::DELIVER)
            return acked && delivered_dead;
          auto d = (*f)->get().getDeliver();
          const MessageId id = protocol::FromWire(d.getMessageId());
          if (id == dead_) delivered_dead = true;
          if (id == accepted_) {
            std::this_thread::sleep_for(
                std::chrono::milliseconds(std::max<int64_t>(0, completion_deadline - NowMs() + 100)));
            for (auto stage : {schema::AckStage::RECEIVED, schema::AckStage::ACCEPTED}) {
              protocol::AckRequest a;
              a.delivery_seq = d.getDeliverySeq();
              a.message_id = id;
              a.stage = stage;
              EXPECT_TRUE(douyin->Ack(a).ok());
            }
            acked = true;
          }
          return acked && delivered_dead;
        },
        10'000));
    // Complaint statistics for two months of the shipped schedule.
    for (int month : {1, 2}) {
      ASSERT_TRUE(douyin
                      ->Submit(ComplaintStatistics(MessageId::Generate(NowMs()), policy::MonthStartMs(2026, month),
                                                   policy::MonthStartMs(2026, month + 1), 100 * month))
                      .ok());
    }
    douyin->Close("going offline");  // the unacknowledged directive had its one attempt
    ASSERT_TRUE(testing::WaitFor([&] { return Get("/api/v1/dead-letters")["dead_letters"].size() == 1; }, 10'000))
        << gateway_->Log();
  }

  json Get(const std::string& path) {
    auto r = http_->Get(path, httplib::Headers{{"Authorization", std::string("Bearer ") + kToken}});
    if (!r || r->status != 200) {
      ADD_FAILURE() << path << ": " << (r ? std::to_string(r->status) + " " + r->body : "no answer");
      return json::object();
    }
    return json::parse(r->body);
  }

  // The row of message `id` in /api/v1/messages, and in it the recipient's.
  json DeliveryOf(const MessageId& id, const std::string& recipient) {
    const json answer = Get("/api/v1/messages");
    for (const json& m : answer["messages"]) {
      if (m["message_id"] != id.ToHex()) continue;
      for (const json& r : m["recipients"]) {
        if (r["recipient"] == recipient) return r;
      }
    }
    return json::object();
  }

  testing::TempDir dir_;
  zmq::context_t ctx_;
  std::unique_ptr<testing::GatewayProcess> gateway_;
  std::unique_ptr<protocol::Client> samr_;
  std::string url_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(ConsoleTest, TheApiNeedsTheTokenButThePageDoesNot) {
  auto anonymous = http_->Get("/api/v1/overview");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto stranger = http_->Get("/api/v1/overview", httplib::Headers{{"Authorization", "Bearer not-the-token-00000000"}});
  ASSERT_TRUE(stranger);
  EXPECT_EQ(stranger->status, 403);
  auto page = http_->Get("/console/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("console.js"), std::string::npos);
  auto script = http_->Get("/console/console.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_NE(script->body.find("负面目录"), std::string::npos);
  auto outside = http_->Get("/console/..%2Fgateway.toml");
  ASSERT_TRUE(outside);
  EXPECT_EQ(outside->status, 404);
}

TEST_F(ConsoleTest, TheApiDescribesPlatformsMessagesOverdueReportsAndTheAuditChain) {
  json overview = Get("/api/v1/overview");
  EXPECT_EQ(overview["time_zone"], "Asia/Shanghai");
  EXPECT_EQ(overview["audit"]["verified"], true);
  EXPECT_EQ(overview["audit"]["intact"], true);
  EXPECT_GT(overview["audit"]["head_seq"].get<int64_t>(), 0);
  json douyin;
  for (const json& p : overview["platforms"]) {
    if (p["platform"] == "douyin") douyin = p;
  }
  ASSERT_FALSE(douyin.is_null()) << overview.dump(2);
  EXPECT_EQ(douyin["connected"], false);
  EXPECT_GT(douyin["since_ms"].get<int64_t>(), 0);
  EXPECT_EQ(douyin["dead_lettered"], 1);

  json accepted = DeliveryOf(accepted_, "douyin");
  EXPECT_EQ(accepted["state"], "accepted") << accepted.dump();
  EXPECT_GT(accepted["received_ms"].get<int64_t>(), 0);
  EXPECT_GT(accepted["accepted_ms"].get<int64_t>(), 0);
  EXPECT_EQ(DeliveryOf(dead_, "douyin")["state"], "dead_lettered");

  // Accepted late, and neither completed by its deadline.
  EXPECT_GT(accepted["ack_late_ms"].get<int64_t>(), 0);
  EXPECT_EQ(accepted["completion_pending"], true);
  EXPECT_GT(accepted["completion_late_ms"].get<int64_t>(), 0);
  const json overdue = Get("/api/v1/overdue")["overdue"];
  ASSERT_EQ(overdue.size(), 3u) << overdue.dump(1);  // the first's completion, the second's acceptance and completion
  EXPECT_EQ(overdue[0]["platform"], "douyin");

  json reports = Get("/api/v1/reports?platform=douyin")["reports"];
  ASSERT_EQ(reports.size(), 2u) << reports.dump(2);
  EXPECT_EQ(reports[0]["period_start_ms"], policy::MonthStartMs(2026, 1));
  EXPECT_EQ(reports[1]["received"].get<int64_t>() - reports[0]["received"].get<int64_t>(), 100);

  auto unknown =
      http_->Get("/api/v1/nothing-here", httplib::Headers{{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(json::parse(unknown->body)["error"]["code"], "not_found");

  auto wrong_method = http_->Post(
      "/api/v1/messages", httplib::Headers{{"Authorization", std::string("Bearer ") + kToken}}, "", "text/plain");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->get_header_value("Allow"), "GET");
  EXPECT_EQ(json::parse(wrong_method->body)["error"]["code"], "unimplemented");
}

TEST_F(ConsoleTest, ReplayingWhatIsNotDeadLetteredIsAConflict) {
  const uint64_t seq = Get("/api/v1/dead-letters")["dead_letters"][0]["seq"];
  auto auth = httplib::Headers{{"Authorization", std::string("Bearer ") + kToken}};
  auto wrong = http_->Post("/api/v1/dead-letters/" + std::to_string(seq) + "/kuaishou/replay", auth, "", "text/plain");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 409) << wrong->body;
  auto right = http_->Post("/api/v1/dead-letters/" + std::to_string(seq) + "/douyin/replay", auth, "", "text/plain");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200) << right->body;
  EXPECT_EQ(json::parse(right->body)["requeued"], json::array({"douyin"}));
  EXPECT_TRUE(
      testing::WaitFor([&] { return gateway_->Log().find("dead_letter_replayed") != std::string::npos; }, 5000));
}

class ConsoleBrowserTest : public ConsoleTest {
 protected:
  // Polls the page until the element `css` exists and `check` holds for it.
  bool WaitForElement(const std::string& css, const std::function<bool(const std::string&)>& check,
                      int timeout_ms = 15'000) {
    return testing::WebDriver::WaitUntil(
        [&] {
          Result<std::string> e = browser_.Find(css);
          return e.ok() && check(*e);
        },
        timeout_ms);
  }
  size_t Count(const std::string& css) {
    Result<size_t> n = browser_.Count(css);
    return n.ok() ? *n : 0;
  }
  bool TextContains(const std::string& element, const std::string& what) {
    Result<std::string> text = browser_.Text(element);
    return text.ok() && text->find(what) != std::string::npos;
  }
  std::string Stage(const std::string& element) {
    Result<std::string> stage = browser_.Attribute(element, "data-stage");
    return stage.ok() ? *stage : std::string();
  }
  std::string Cell(const MessageId& id) {
    return "td.cell[data-message=\"" + id.ToHex() + "\"][data-recipient=\"douyin\"]";
  }

  testing::TempDir profile_;
  testing::WebDriver browser_;
};

TEST_F(ConsoleBrowserTest, ShowsTheMatrixAndChartReplaysADeadLetterAndSpeaksBothLanguages) {
  Status started = browser_.Start("/usr/bin/chromedriver", "/usr/bin/chromium", profile_.path().string(),
                                  (dir_.path() / "chromedriver.log").string());
  ASSERT_TRUE(started.ok()) << started.ToString() << "\n" << testing::ReadFile(dir_.path() / "chromedriver.log");
  ASSERT_TRUE(browser_.Navigate(url_ + "/").ok());

  // The page asks for the token first.
  ASSERT_TRUE(WaitForElement("#token-form:not([hidden]) #token", [](const std::string&) { return true; }));
  Result<std::string> input = browser_.Find("#token");
  ASSERT_TRUE(input.ok());
  ASSERT_TRUE(browser_.Type(*input, kToken).ok());
  Result<std::string> sign_in = browser_.Find("#token-submit");
  ASSERT_TRUE(sign_in.ok());
  ASSERT_TRUE(browser_.Click(*sign_in).ok());

  // Signed in: the question goes away.
  EXPECT_TRUE(testing::WebDriver::WaitUntil(
      [&] {
        Result<json> shown = browser_.Script("return getComputedStyle(document.getElementById('token-form')).display;");
        return shown.ok() && *shown == "none";
      },
      10'000));

  // The matrix, in Chinese (the default): the stages the platform reached.
  const std::string accepted = Cell(accepted_), dead = Cell(dead_);
  ASSERT_TRUE(WaitForElement(accepted, [&](const std::string& e) {
    return Stage(e) == "accepted" && TextContains(e, "已受理");
  })) << gateway_->Log();
  EXPECT_TRUE(WaitForElement(
      dead, [&](const std::string& e) { return Stage(e) == "dead_lettered" && TextContains(e, "死信"); }));
  // Its deadlines passed: the cell says how late.
  EXPECT_TRUE(WaitForElement(accepted + " .lateness", [](const std::string&) { return true; }));
  EXPECT_TRUE(WaitForElement("#audit-verdict.good", [](const std::string&) { return true; }));

  // The complaints chart drew one bar per reported month.
  EXPECT_TRUE(testing::WebDriver::WaitUntil(
      [&] { return Count("#complaints-chart rect.bar[data-platform=\"douyin\"]") == 2; }, 10'000));

  // Replay the dead letter from the page: the gateway queues it again.
  ASSERT_TRUE(WaitForElement("#dead-letters tr[data-message=\"" + dead_.ToHex() + "\"] button.replay",
                             [&](const std::string& e) { return browser_.Click(e).ok(); }));
  EXPECT_TRUE(testing::WaitFor([&] { return DeliveryOf(dead_, "douyin")["state"] == "queued"; }, 10'000))
      << DeliveryOf(dead_, "douyin").dump();
  EXPECT_TRUE(Get("/api/v1/dead-letters")["dead_letters"].empty());
  EXPECT_TRUE(WaitForElement(dead, [&](const std::string& e) { return Stage(e) == "queued"; }));
  EXPECT_TRUE(testing::WaitFor([&] { return gateway_->Log().find("via=admin_http") != std::string::npos; }, 5000))
      << gateway_->Log();

  // English, then back to Chinese with the domain's terms.
  Result<std::string> lang = browser_.Find("#lang");
  ASSERT_TRUE(lang.ok());
  ASSERT_TRUE(browser_.Click(*lang).ok());
  EXPECT_TRUE(WaitForElement(accepted, [&](const std::string& e) { return TextContains(e, "accepted"); }));
  EXPECT_TRUE(WaitForElement("#platforms", [&](const std::string& e) { return TextContains(e, "Negative catalog"); }));
  ASSERT_TRUE(browser_.Click(*lang).ok());
  EXPECT_TRUE(WaitForElement("#platforms", [&](const std::string& e) { return TextContains(e, "负面目录"); }));
  EXPECT_TRUE(WaitForElement(accepted, [&](const std::string& e) { return TextContains(e, "已受理"); }));
  EXPECT_TRUE(WaitForElement("#matrix", [&](const std::string& e) { return TextContains(e, "指令"); }));

  Result<std::string> png = browser_.Screenshot();
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  ASSERT_GT(png->size(), 8u);
  EXPECT_EQ(png->substr(1, 3), "PNG");
  const std::filesystem::path artifact = std::filesystem::path(REGLINE_ARTIFACTS_DIR) / "console.png";
  std::filesystem::create_directories(artifact.parent_path());
  std::ofstream(artifact, std::ios::binary) << *png;
  std::cout << "console screenshot: " << artifact.string() << std::endl;
}

}  // namespace
}  // namespace regline
