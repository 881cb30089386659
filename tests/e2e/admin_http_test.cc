// The gateway's admin HTTP endpoint end to end: /healthz and /readyz
// without a token, /metrics behind the [admin] token, and a scrape after
// known traffic, every line of which must parse as the Prometheus text
// format.
#include <gtest/gtest.h>
#include <httplib.h>

#include <limits>
#include <map>
#include <regex>
#include <set>

#include "connectors/test_envelopes.h"
#include "gateway/core/test_util.h"
#include "gateway/protocol/client.h"
#include "tests/e2e/connector_process.h"

namespace regline {
namespace {

constexpr const char* kToken = "admin-token-0123456789abcdef0123";

// Samples by "name{labels}" (labels as printed), after checking every
// line: "# HELP name text", "# TYPE name counter|gauge|histogram", or a
// sample of a declared metric with a numeric value.
std::map<std::string, double> ParseExposition(const std::string& text, std::string& error) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? (-?[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|\+Inf|-Inf))");
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  size_t start = 0;
  int line_no = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    ++line_no;
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) continue;
    if (std::regex_match(line, m, kType)) {
      types[m[1]] = m[2];
      continue;
    }
    if (!std::regex_match(line, m, kSample)) {
      error = "line " + std::to_string(line_no) + " does not parse: " + line;
      return {};
    }
    std::string family = m[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (family.size() > s.size() && family.ends_with(s) && types.count(family.substr(0, family.size() - s.size())) &&
          types[family.substr(0, family.size() - s.size())] == "histogram") {
        family = family.substr(0, family.size() - s.size());
      }
    }
    if (types.count(family) == 0) {
      error = "line " + std::to_string(line_no) + ": no # TYPE before " + line;
      return {};
    }
    samples[std::string(m[1]) + std::string(m[2])] = std::stod(m[3]);
  }
  return samples;
}

// The sample `key` of a scrape; a missing one fails the test (and gives
// NaN, which no comparison accepts) instead of reading as 0.
double At(const std::map<std::string, double>& samples, const std::string& key) {
  auto it = samples.find(key);
  if (it == samples.end()) {
    ADD_FAILURE() << "no sample " << key;
    return std::numeric_limits<double>::quiet_NaN();
  }
  return it->second;
}

class AdminHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto token = dir_.path() / "admin.token";
    std::ofstream(token) << kToken << "\n";
    std::filesystem::permissions(token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    gateway_ = std::make_unique<testing::GatewayProcess>(
        REGLINE_GATEWAY_BINARY, dir_.path(), "",
        "\n[admin]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"" + token.string() + "\"\n");
    ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
    // Written once the admin endpoint listens, just after the endpoint file
    // Start() waits for.
    ASSERT_TRUE(
        testing::WaitFor([&] { return !testing::ReadFile(gateway_->data_dir() / "admin.url").empty(); }, 10'000));
    std::string url = testing::ReadFile(gateway_->data_dir() / "admin.url");
    while (!url.empty() && url.back() == '\n') url.pop_back();
    ASSERT_FALSE(url.empty()) << gateway_->Log();
    http_ = std::make_unique<httplib::Client>(url);
    http_->set_read_timeout(10, 0);
  }

  std::map<std::string, double> Scrape() {
    httplib::Headers auth{{"Authorization", std::string("Bearer ") + kToken}};
    auto r = http_->Get("/metrics", auth);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
    std::string error;
    std::map<std::string, double> samples = ParseExposition(r->body, error);
    EXPECT_EQ(error, "") << r->body;
    return samples;
  }

  testing::TempDir dir_;
  zmq::context_t ctx_;
  std::unique_ptr<testing::GatewayProcess> gateway_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(AdminHttpTest, HealthAndReadinessNeedNoTokenButMetricsDo) {
  auto health = http_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = http_->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  auto anonymous = http_->Get("/metrics");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto stranger = http_->Get("/metrics", httplib::Headers{{"Authorization", "Bearer not-the-admin-token-000000"}});
  ASSERT_TRUE(stranger);
  EXPECT_EQ(stranger->status, 403);
}

TEST_F(AdminHttpTest, AScrapeParsesLineByLineAndShowsTheTrafficThatHappened) {
  auto samr = gateway_->Connect(ctx_, "samr-console", schema::Role::REGULATOR);
  ASSERT_TRUE(samr);
  const MessageId first{0x0190000000000001, 1}, second{0x0190000000000001, 2};
  ASSERT_TRUE(samr->Submit(connector::testing::DirectiveEnvelope(first)).ok());
  ASSERT_TRUE(samr->Submit(connector::testing::DirectiveEnvelope(second)).ok());
  // To an identity nobody registered: refused.
  EXPECT_FALSE(samr->Submit(connector::testing::MakeEnvelope(
                                "samr-console", MessageId{9, 9}, {"nobody"}, schema::MessageKind::DIRECTIVE,
                                connector::testing::SamplePayload(schema::MessageKind::DIRECTIVE)))
                   .ok());
  std::map<std::string, double> before = Scrape();
  EXPECT_EQ(At(before, R"(regline_queue_depth{recipient="douyin",state="queued"})"), 2);
  EXPECT_GE(At(before, R"(regline_oldest_queued_age_seconds{recipient="douyin"})"), 0.0);
  EXPECT_GE(At(before, R"(regline_refusals_total{reason="invalidArgument"})"), 1);
  EXPECT_GE(At(before, "regline_commit_batch_items_count"), 1);
  EXPECT_EQ(At(before, R"(regline_commit_batch_items_bucket{le="+Inf"})"),
            At(before, "regline_commit_batch_items_count"));
  EXPECT_GE(At(before, "regline_commit_duration_seconds_count"), 1);
  // The gateway runs at durability "full": its commits are synced by the sync thread.
  EXPECT_GE(At(before, "regline_log_syncs_total"), 1);
  EXPECT_EQ(At(before, "regline_store_fenced"), 0);

  auto douyin = gateway_->Connect(ctx_, "douyin", schema::Role::PLATFORM, 16);
  ASSERT_TRUE(douyin);
  int acked = 0;
  testing::WaitFor(
      [&] {
        Result<std::optional<protocol::DecodedFrame>> f = douyin->Receive(100);
        if (f.ok() && f->has_value() && (*f)->get().which() == schema::Frame::DELIVER && acked == 0) {
          auto d = (*f)->get().getDeliver();
          protocol::AckRequest a;
          a.delivery_seq = d.getDeliverySeq();
          a.message_id = protocol::FromWire(d.getMessageId());
          a.stage = schema::AckStage::RECEIVED;
          if (douyin->Ack(a).ok()) ++acked;
        }
        return acked == 1;
      },
      10'000);
  ASSERT_EQ(acked, 1);
  std::map<std::string, double> after;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        after = Scrape();
        return At(after, "regline_connected_peers") >= 2;  // counted on the gateway's 250 ms timer
      },
      5'000));
  EXPECT_EQ(At(after, R"(regline_deliveries_total{recipient="douyin"})"), 2);
  EXPECT_EQ(At(before, R"(regline_peer_connected{identity="douyin"})"), 0);  // registered, not connected yet
  EXPECT_EQ(At(after, R"(regline_peer_connected{identity="douyin"})"), 1);
  EXPECT_EQ(At(after, R"(regline_peer_connected{identity="samr-console"})"), 1);
  EXPECT_GT(At(after, R"(regline_peer_state_since_seconds{identity="douyin"})"), 1.7e9);
  EXPECT_EQ(At(after, R"(regline_acknowledgements_total{recipient="douyin",stage="received"})"), 1);
  EXPECT_EQ(At(after, R"(regline_queue_depth{recipient="douyin",state="queued"})"), 0);
  EXPECT_EQ(At(after, R"(regline_queue_depth{recipient="douyin",state="in_flight"})"), 1);
  // Nothing queued, but one delivered and not acknowledged since before
  // the connect.
  EXPECT_EQ(At(after, R"(regline_oldest_queued_age_seconds{recipient="douyin"})"), 0);
  EXPECT_GT(At(after, R"(regline_oldest_unacknowledged_age_seconds{recipient="douyin"})"), 0);
  EXPECT_EQ(At(after, "regline_dead_letters"), 0);
}

}  // namespace
}  // namespace regline
