// JSON input files: every family's sample decodes; mistakes name the file,
// the field path and what is wrong.
#include "ctl/json_input.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "schemas/schema_samples.h"

namespace regline::ctl {
namespace {

using namespace regline::schema;

template <typename T>
std::string ToJson(typename T::Reader value) {
  capnp::JsonCodec codec;
  codec.handleByAnnotation<T>();
  return codec.encode(value).cStr();
}

std::string DirectiveJson() {
  capnp::MallocMessageBuilder m;
  samples::BuildSuspendBroadcastDirective(m.initRoot<Directive>());
  return ToJson<Directive>(m.getRoot<Directive>().asReader());
}

// The message DecodeJson gives for `json` as a Directive from "d.json".
std::string DirectiveError(const std::string& json) {
  capnp::MallocMessageBuilder m;
  Status s = DecodeJson("d.json", json, m.initRoot<Directive>());
  return s.ok() ? "ok" : s.message();
}

TEST(CtlJsonInputTest, DirectiveSampleDecodesToAnEqualMessage) {
  const std::string json = DirectiveJson();
  capnp::MallocMessageBuilder decoded;
  Status s = DecodeJson("directive.json", json, decoded.initRoot<Directive>());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ToJson<Directive>(decoded.getRoot<Directive>().asReader()), json);
  EXPECT_EQ(decoded.getRoot<Directive>().getAction(), DirectiveAction::SUSPEND_BROADCAST);
}

template <typename T>
void ExpectSampleDecodes(void (*build)(typename T::Builder)) {
  capnp::MallocMessageBuilder m;
  build(m.initRoot<T>());
  const std::string json = ToJson<T>(m.getRoot<T>().asReader());
  capnp::MallocMessageBuilder decoded;
  Status s = DecodeJson("sample.json", json, decoded.initRoot<T>());
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << json;
  EXPECT_EQ(ToJson<T>(decoded.getRoot<T>().asReader()), json);
}

TEST(CtlJsonInputTest, EveryFamilySampleDecodes) {
  ExpectSampleDecodes<CatalogUpdate>(&samples::BuildCatalogUpdateV2);
  ExpectSampleDecodes<TaxAssistanceRequest>(&samples::BuildTaxAssistanceRequest);
  ExpectSampleDecodes<TaxAssistanceResponse>(&samples::BuildTaxAssistanceResponse);
  ExpectSampleDecodes<ComplaintStatistics>(&samples::BuildComplaintStatistics);
  ExpectSampleDecodes<ComplianceAttestation>(&samples::BuildComplianceAttestation);
  ExpectSampleDecodes<SignedAgreement>(&samples::BuildSignedAgreement);
  ExpectSampleDecodes<Acknowledgement>(&samples::BuildDirectiveCompleted);
}

struct ErrorCase {
  const char* json;
  const char* message;
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.json; }

class CtlJsonErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(CtlJsonErrorTest, NamesTheFileTheFieldAndTheProblem) {
  EXPECT_EQ(DirectiveError(GetParam().json), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, CtlJsonErrorTest,
    ::testing::Values(
        ErrorCase{R"({"severty":"high"})",
                  "d.json: severty: unknown field; Directive has issuer, reference, legalBasis, platformId, subject, "
                  "action, parameters, severity, effectiveFromMs, ackDeadlineMs, completionDeadlineMs, rationale, "
                  "supersedes, revokes, attachments or caseContact"},
        ErrorCase{R"({"action":"suspend-broadcast"})",
                  R"(d.json: action: "suspend-broadcast" should be written "suspendBroadcast" in JSON)"},
        ErrorCase{R"({"severity":"huge"})",
                  R"(d.json: severity: "huge" is not one of unspecified, low, medium, high or critical)"},
        ErrorCase{R"({"legalBasis":[{"article":18},{"article":70000}]})",
                  "d.json: legalBasis[1].article: 70000 is out of range for UInt16"},
        ErrorCase{R"({"legalBasis":[{"article":"18a"}]})", R"(d.json: legalBasis[0].article: "18a" is not an integer)"},
        ErrorCase{R"({"ackDeadlineMs":"soon"})", R"(d.json: ackDeadlineMs: "soon" is not an integer)"},
        ErrorCase{R"({"ackDeadlineMs":1.5})", "d.json: ackDeadlineMs: expected an integer (Int64), not 1.5"},
        ErrorCase{R"({"issuer":{"regionCode":310000}})", "d.json: issuer.regionCode: expected a string, not 310000"},
        ErrorCase{R"({"subject":{"liveRoom":{"roomId":"1"},"account":{}}})",
                  R"(d.json: subject: sets both "account" and "liveRoom", members of one union; keep one)"},
        ErrorCase{R"({"attachments":[{"digest":{"bytes":"zz"}}]})",
                  R"(d.json: attachments[0].digest.bytes: "zz" is not hex (an even number of 0-9a-f digits))"},
        ErrorCase{R"({"attachments":[{"content":"!!!!"}]})",
                  R"(d.json: attachments[0].content: "!!!!" is not base64 (RFC 4648, with '=' padding))"},
        ErrorCase{R"({"rationale":null})", "d.json: rationale: null is not a value here; leave the field out instead"},
        ErrorCase{R"([1, 2])", "d.json: expected an object, not [1,2]"},
        ErrorCase{"{\"action\": \"closeAccount\",\n \"severity\": high}",
                  "d.json: not valid JSON: parse error at line 2, column 14: syntax error while parsing value - "
                  "invalid literal; last read: '\"severity\": h'"}));

TEST(CtlJsonInputTest, SixtyFourBitIntegersMayBeStringsOrNumbers) {
  EXPECT_EQ(DirectiveError(R"({"ackDeadlineMs":"1714572780000","completionDeadlineMs":1714652000000})"), "ok");
}

TEST(CtlJsonInputTest, ArraysOfEntriesDecodeIntoAListField) {
  capnp::MallocMessageBuilder m;
  auto update = m.initRoot<CatalogUpdate>();
  Status s = DecodeJsonArray("entries.json",
                             R"([{"id":"NC-1","category":"prohibitedOnline","keywords":["a","b"]},
                                 {"id":"NC-2","category":"unsuitableForLiveMarketing"}])",
                             update, "added");
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(update.getAdded().size(), 2u);
  EXPECT_EQ(std::string(update.getAdded()[1].getId().cStr()), "NC-2");
  EXPECT_EQ(update.getAdded()[0].getKeywords().size(), 2u);

  Status bad = DecodeJsonArray("entries.json", R"([{"id":"NC-1"},{"id":"NC-2","category":"banned"}])", update, "added");
  EXPECT_EQ(bad.message(),
            R"(entries.json: [1].category: "banned" is not one of unspecified, prohibitedFromProductionOrSale, )"
            R"(prohibitedOnline, prohibitedFromPromotion or unsuitableForLiveMarketing)");
  EXPECT_EQ(DecodeJsonArray("entries.json", R"({"id":"NC-1"})", update, "added").message(),
            "entries.json: expected a JSON array of objects");
}

TEST(CtlJsonInputTest, FilesThatCannotBeReadAreNamed) {
  capnp::MallocMessageBuilder m;
  Status s = DecodeJsonFile("/nonexistent/directive.json", m.initRoot<Directive>());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "/nonexistent/directive.json: cannot open the file");
}

TEST(CtlJsonInputTest, FilesDecodeByPath) {
  char path[] = "/tmp/ctl_json_input_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << DirectiveJson();
  capnp::MallocMessageBuilder m;
  Status s = DecodeJsonFile(path, m.initRoot<Directive>());
  std::remove(path);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(m.getRoot<Directive>().getSeverity(), Severity::HIGH);
}

TEST(CtlJsonInputTest, MemberDetection) {
  EXPECT_TRUE(JsonHasMember(R"({"payload":"AAAA"})", "payload"));
  EXPECT_FALSE(JsonHasMember(R"({"action":"closeAccount"})", "payload"));
  EXPECT_FALSE(JsonHasMember("not json", "payload"));
}

}  // namespace
}  // namespace regline::ctl
