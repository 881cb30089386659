// Tables, times and the text/JSON renderings of results.
#include "ctl/output.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>

namespace regline::ctl {
namespace {

using nlohmann::json;

constexpr int64_t kMay1 = 1714565580000;  // 2024-05-01T20:13:00+08:00

// Formats in China Standard Time, whatever the machine's zone.
class CtlOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_ = tz ? std::optional<std::string>(tz) : std::nullopt;
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
  }
  void TearDown() override {
    if (saved_) {
      setenv("TZ", saved_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::optional<std::string> saved_;
};

TEST_F(CtlOutputTest, TimesAreIso8601InTheLocalZone) {
  EXPECT_EQ(FormatTime(kMay1), "2024-05-01T20:13:00+08:00");
  EXPECT_EQ(FormatTime(0), "-");
  EXPECT_EQ(TimeJson(kMay1 + 123), json("2024-05-01T20:13:00.123+08:00"));
  EXPECT_TRUE(TimeJson(0).is_null());
}

TEST(CtlFormatTest, DurationsForPeople) {
  EXPECT_EQ(FormatDuration(250), "250ms");
  EXPECT_EQ(FormatDuration(1500), "1s");
  EXPECT_EQ(FormatDuration(5 * 60'000 + 3'000), "5m 3s");
  EXPECT_EQ(FormatDuration(26 * 3'600'000 + 5'000), "1d 2h");
  EXPECT_EQ(FormatDuration(3'600'000), "1h");
}

TEST(CtlTableTest, ColumnsAlignAndWideCharactersCountTwice) {
  Table t({"RECIPIENT", "STATE", "REASON"});
  t.AddRow({"douyin", "rejected", "主体不存在"});
  t.AddRow({"kuaishou", "in-flight"});
  EXPECT_EQ(t.Render(),
            "RECIPIENT  STATE      REASON\n"
            "douyin     rejected   主体不存在\n"
            "kuaishou   in-flight\n");
  EXPECT_EQ(DisplayWidth("主体"), 4u);
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("\xff"), 1u);  // invalid UTF-8 still counts
}

TEST_F(CtlOutputTest, MessageStatusAsTableAndJson) {
  capnp::MallocMessageBuilder m;
  auto s = m.initRoot<schema::MessageStatus>();
  s.initMessageId().setHi(0x0190a1b2c3d4e5f6ull);
  s.getMessageId().setLo(0x1122334455667788ull);
  s.setSender("samr-310000");
  s.setKind(schema::MessageKind::DIRECTIVE);
  s.setGatewaySeq(42);
  s.setAcceptedMs(kMay1);
  auto lines = s.initRecipients(2);
  lines[0].setRecipient("douyin");
  lines[0].setState(schema::DeliveryState::ACCEPTED);
  lines[0].setAttempts(1);
  lines[0].setDeliverySeq(17);
  lines[0].setReceivedMs(kMay1 + 1000);
  lines[0].setAcceptedMs(kMay1 + 60'000);
  lines[1].setRecipient("kuaishou");
  lines[1].setState(schema::DeliveryState::REJECTED);
  lines[1].setAttempts(2);
  lines[1].setDeliverySeq(3);
  lines[1].setRejectedMs(kMay1 + 120'000);
  lines[1].setRejectReason("subject not found");

  Rendered r = RenderMessageStatus(s.asReader());
  EXPECT_EQ(r.text,
            "message 0190a1b2c3d4e5f61122334455667788  directive from samr-310000, gateway seq 42, accepted "
            "2024-05-01T20:13:00+08:00, expires never\n\n"
            "RECIPIENT  STATE     ATTEMPTS  SEQ  RECEIVED                   ACCEPTED                   COMPLETED  "
            "REJECTED                   REASON\n"
            "douyin     accepted  1         17   2024-05-01T20:13:01+08:00  2024-05-01T20:14:00+08:00  -          "
            "-                          -\n"
            "kuaishou   rejected  2         3    -                          -                          -          "
            "2024-05-01T20:15:00+08:00  subject not found\n");
  EXPECT_EQ(r.json["message_id"], "0190a1b2c3d4e5f61122334455667788");
  EXPECT_EQ(r.json["kind"], "directive");
  EXPECT_EQ(r.json["gateway_seq"], 42);
  EXPECT_EQ(r.json["recipients"][1]["state"], "rejected");
  EXPECT_EQ(r.json["recipients"][1]["reject_reason"], "subject not found");
  EXPECT_TRUE(r.json["recipients"][0]["completed"].is_null());
  EXPECT_EQ(r.json["recipients"][0]["accepted"], "2024-05-01T20:14:00.000+08:00");
}

TEST_F(CtlOutputTest, QueueDepths) {
  capnp::MallocMessageBuilder m;
  auto list = m.initRoot<schema::QueryResult>().initQueueDepths(1);
  list[0].setRecipient("douyin");
  list[0].setQueued(12);
  list[0].setInFlight(3);
  list[0].setOldestQueuedMs(kMay1);
  list[0].setConnected(true);
  Rendered r = RenderQueueDepths(list.asReader());
  EXPECT_EQ(r.text,
            "RECIPIENT  QUEUED  IN-FLIGHT  DEAD-LETTERED  OLDEST QUEUED              CONNECTED\n"
            "douyin     12      3          0              2024-05-01T20:13:00+08:00  yes\n");
  EXPECT_EQ(r.json["queues"][0]["in_flight"], 3);
  EXPECT_EQ(r.json["queues"][0]["connected"], true);
}

TEST_F(CtlOutputTest, ReportsDueSayHowLateAndWhatIsMissing) {
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  constexpr int64_t kApr1 = 1711900800000;  // 2024-04-01T00:00+08:00
  constexpr int64_t kMay1Midnight = kApr1 + 30 * kDay;
  capnp::MallocMessageBuilder m;
  auto list = m.initRoot<schema::QueryResult>().initReportsDue(2);
  list[0].setPlatform("douyin");
  list[0].setKind(schema::MessageKind::COMPLAINT_STATISTICS);
  list[0].setPeriodStartMs(kApr1);
  list[0].setPeriodEndMs(kMay1Midnight);
  list[0].setDueMs(kMay1Midnight + 15 * kDay);
  list[0].setState(schema::ReportState::LATE);
  list[0].setLateByMs(2 * kDay);
  list[0].initMessageId().setHi(1);
  list[0].setReceivedMs(kMay1Midnight + 17 * kDay);
  list[1].setPlatform("kuaishou");
  list[1].setKind(schema::MessageKind::COMPLAINT_STATISTICS);
  list[1].setPeriodStartMs(kApr1);
  list[1].setPeriodEndMs(kMay1Midnight);
  list[1].setDueMs(kMay1Midnight + 15 * kDay);
  list[1].setState(schema::ReportState::MISSING);
  list[1].setLateByMs(3 * kDay);
  Rendered r = RenderReportsDue(list.asReader(), false);
  EXPECT_NE(r.text.find("LATE by 2d"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("MISSING, 3d past due"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("2024-04-01T00:00:00+08:00"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("2 periods; late 1, missing 1"), std::string::npos) << r.text;
  EXPECT_EQ(r.json["reports"][0]["state"], "late");
  EXPECT_EQ(r.json["reports"][0]["late_by_ms"], 2 * kDay);
  EXPECT_EQ(r.json["reports"][1]["kind"], "complaint-statistics");
  EXPECT_TRUE(r.json["reports"][1]["message_id"].is_null());
  EXPECT_TRUE(r.json["reports"][1]["received"].is_null());

  capnp::MallocMessageBuilder empty;
  auto none = empty.initRoot<schema::QueryResult>().initReportsDue(0);
  EXPECT_EQ(RenderReportsDue(none.asReader(), false).text, "no report is late or missing\n");
  EXPECT_EQ(RenderReportsDue(none.asReader(), true).text, "no report is owed yet\n");
}

TEST_F(CtlOutputTest, LegalHoldsSayWhatChangedAndListWhatIsInForce) {
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::QueryResult>().initLegalHold();
  result.setChanged(true);
  auto holds = result.initHolds(1);
  holds[0].setSubject("douyin");
  holds[0].setReason("case 2026-17");
  holds[0].setSetBy("samr-console");
  holds[0].setSetMs(kMay1);
  Rendered added = RenderLegalHolds(result.asReader(), schema::LegalHoldAction::ADD, "douyin");
  EXPECT_EQ(added.text.rfind("hold set on douyin\n", 0), 0u) << added.text;
  EXPECT_NE(added.text.find("2024-05-01T20:13:00+08:00"), std::string::npos) << added.text;
  EXPECT_NE(added.text.find("case 2026-17"), std::string::npos) << added.text;
  EXPECT_EQ(added.json["changed"], true);
  EXPECT_EQ(added.json["holds"][0]["set_by"], "samr-console");

  result.setChanged(false);
  EXPECT_EQ(RenderLegalHolds(result.asReader(), schema::LegalHoldAction::ADD, "douyin").text.rfind(
                "douyin was held already", 0),
            0u);
  EXPECT_EQ(RenderLegalHolds(result.asReader(), schema::LegalHoldAction::REMOVE, "kuaishou").text.rfind(
                "no hold on kuaishou\n", 0),
            0u);

  capnp::MallocMessageBuilder empty;
  auto none = empty.initRoot<schema::QueryResult>().initLegalHold();
  none.setChanged(true);
  none.initHolds(0);
  EXPECT_EQ(RenderLegalHolds(none.asReader(), schema::LegalHoldAction::REMOVE, "douyin").text,
            "hold on douyin lifted\nno legal hold is in force\n");
}

TEST_F(CtlOutputTest, DeadLettersShowTheNextCursor) {
  capnp::MallocMessageBuilder m;
  auto page = m.initRoot<schema::DeadLetterPage>();
  auto letters = page.initLetters(1);
  letters[0].setRecipient("douyin");
  letters[0].setSender("samr-310000");
  letters[0].setKind(schema::MessageKind::DIRECTIVE);
  letters[0].setAttempts(10);
  letters[0].setLastError("no ack within 30 s");
  page.initNextCursor(3)[0] = 0xff;
  Rendered r = RenderDeadLetters(page.asReader());
  EXPECT_NE(r.text.find("no ack within 30 s"), std::string::npos);
  EXPECT_NE(r.text.find("more: add --cursor /wAA\n"), std::string::npos);
  EXPECT_EQ(r.json["next_cursor"], "/wAA");
  EXPECT_EQ(r.json["dead_letters"][0]["attempts"], 10);
}

TEST_F(CtlOutputTest, ConfirmationAsTextAndJson) {
  protocol::ConfirmInfo c;
  c.id = MessageId{1, 2};
  c.gateway_seq = 42;
  c.accepted_ms = kMay1;
  c.duplicate = true;
  c.recipients = {"douyin", "kuaishou"};
  Rendered r = RenderConfirm(c, schema::MessageKind::CATALOG_UPDATE);
  EXPECT_EQ(r.text,
            "message     00000000000000010000000000000002\n"
            "kind        catalog-update\n"
            "gateway seq 42\n"
            "accepted    2024-05-01T20:13:00+08:00\n"
            "duplicate   yes (already accepted; nothing new stored)\n"
            "recipients  douyin, kuaishou\n");
  EXPECT_EQ(DumpJson(r.json), R"({"accepted":"2024-05-01T20:13:00.000+08:00","duplicate":true,"gateway_seq":42,)"
                              R"("kind":"catalog-update","message_id":"00000000000000010000000000000002",)"
                              R"("recipients":["douyin","kuaishou"]})");
}

TEST(CtlFormatTest, JsonNeverThrowsOnInvalidUtf8) {
  EXPECT_EQ(DumpJson(json{{"reason", std::string("bad \xff byte")}}), "{\"reason\":\"bad \xEF\xBF\xBD byte\"}");
}

// Two catalog versions: NC-1 in both unchanged, NC-2 changed, NC-3 withdrawn,
// NC-4 added.
TEST_F(CtlOutputTest, ACatalogDiffListsAddedChangedAndWithdrawnEntries) {
  capnp::MallocMessageBuilder a, b;
  auto from = a.initRoot<schema::CatalogSnapshot>();
  from.setVersion(1);
  auto before = from.initEntries(3);
  auto to = b.initRoot<schema::CatalogSnapshot>();
  to.setVersion(2);
  auto after = to.initEntries(3);
  const char* before_ids[] = {"NC-1", "NC-2", "NC-3"};
  const char* after_ids[] = {"NC-1", "NC-2", "NC-4"};
  for (unsigned i = 0; i < 3; ++i) {
    before[i].setId(before_ids[i]);
    before[i].setCategory(schema::CatalogCategory::PROHIBITED_ONLINE);
    before[i].setTitle("title");
    after[i].setId(after_ids[i]);
    after[i].setCategory(schema::CatalogCategory::PROHIBITED_ONLINE);
    after[i].setTitle("title");
  }
  after[1].setCategory(schema::CatalogCategory::UNSUITABLE_FOR_LIVE_MARKETING);
  Rendered r = RenderCatalogDiff(from.asReader(), to.asReader());
  EXPECT_EQ(r.json["added"].size(), 1u);
  EXPECT_EQ(r.json["added"][0]["id"], "NC-4");
  EXPECT_EQ(r.json["changed"].size(), 1u);
  EXPECT_EQ(r.json["changed"][0]["id"], "NC-2");
  EXPECT_EQ(r.json["withdrawn"], json::array({"NC-3"}));
  EXPECT_NE(r.text.find("1 added, 1 changed, 1 withdrawn"), std::string::npos) << r.text;
}

TEST_F(CtlOutputTest, OverdueItemsAreCountedByPlatformAndDepartment) {
  capnp::MallocMessageBuilder m;
  auto items = m.initRoot<schema::QueryResult>().initOverdue(3);
  const char* platforms[] = {"douyin", "douyin", "kuaishou"};
  const char* departments[] = {"SAMR", "CAC", "SAMR"};
  for (unsigned i = 0; i < 3; ++i) {
    items[i].setPlatform(platforms[i]);
    items[i].setDepartment(departments[i]);
    items[i].setMissingStage(schema::AckStage::ACCEPTED);
    items[i].setOverdueByMs(3'600'000);
  }
  Rendered r = RenderOverdue(items.asReader());
  EXPECT_NE(r.text.find("3 overdue; by platform: douyin 2, kuaishou 1; by department: CAC 1, SAMR 2"),
            std::string::npos)
      << r.text;
  EXPECT_EQ(r.json["overdue"].size(), 3u);
  capnp::MallocMessageBuilder none;
  EXPECT_EQ(RenderOverdue(none.initRoot<schema::QueryResult>().initOverdue(0).asReader()).text, "nothing is overdue\n");
}

}  // namespace
}  // namespace regline::ctl
