// The message JSON that every sink hands over: header, exact envelope
// bytes, and the payload rendered per kind.
#include "connectors/message_json.h"

#include <gtest/gtest.h>
#include <kj/encoding.h>

#include "connectors/test_envelopes.h"

namespace regline::connector {
namespace {

using schema::MessageKind;

InboxMessage Message(const std::string& envelope, MessageKind kind, uint64_t seq = 7) {
  return InboxMessage{seq, 2, MessageId{0x0123456789abcdef, 0x42}, static_cast<int>(kind), envelope, 1};
}

TEST(SpoolJsonTest, ADirectiveHasItsHeaderAndItsPayloadRendered) {
  const MessageId id{0x0123456789abcdef, 0x42};
  std::string envelope = testing::DirectiveEnvelope(id);
  nlohmann::ordered_json j = MessageJson(Message(envelope, MessageKind::DIRECTIVE));
  EXPECT_EQ(j["id"], "0123456789abcdef0000000000000042");
  EXPECT_EQ(j["sender"], "samr-console");
  EXPECT_EQ(j["kind"], "directive");
  EXPECT_EQ(j["recipients"], nlohmann::ordered_json::array({"douyin"}));
  EXPECT_EQ(j["createdMs"], schema::samples::kIssuedMs);
  EXPECT_EQ(j["expiresMs"], 0);
  EXPECT_EQ(j["priority"], "high");
  EXPECT_TRUE(j["correlationId"].is_null());
  EXPECT_EQ(j["deliverySeq"], 7);
  EXPECT_EQ(j["attempt"], 2);
  EXPECT_FALSE(j.contains("payloadError"));
  const auto& p = j["payload"];
  EXPECT_EQ(p["platformId"], "douyin");
  EXPECT_EQ(p["action"], "suspendBroadcast");
  EXPECT_EQ(p["severity"], "high");
  EXPECT_EQ(p["reference"], "沪市监网监〔2024〕12号");
  EXPECT_EQ(p["subject"]["liveRoom"]["roomId"], "8812");
  // 64-bit integers are strings in Cap'n Proto's JSON mapping.
  // (test_envelopes.h leaves the deadlines to the gateway's policy.)
  EXPECT_EQ(p["ackDeadlineMs"], "0");
  EXPECT_EQ(p["legalBasis"][0]["article"], 18);
}

TEST(SpoolJsonTest, TheEnvelopeBytesComeBackExactlyFromBase64) {
  std::string envelope = testing::DirectiveEnvelope(MessageId{1, 2});
  nlohmann::ordered_json j = MessageJson(Message(envelope, MessageKind::DIRECTIVE));
  std::string base64 = j["envelopeBase64"].get<std::string>();
  kj::Array<kj::byte> decoded = kj::decodeBase64(kj::arrayPtr(base64.data(), base64.size()));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(decoded.begin()), decoded.size()), envelope);
}

TEST(SpoolJsonTest, KeysComeInTheDocumentedOrder) {
  nlohmann::ordered_json j = MessageJson(Message(testing::DirectiveEnvelope(MessageId{1, 2}), MessageKind::DIRECTIVE));
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "sender", "kind", "recipients", "createdMs", "expiresMs", "priority",
                                            "correlationId", "deliverySeq", "attempt", "envelopeBase64", "payload"}));
}

TEST(SpoolJsonTest, EachKnownKindRendersItsOwnFamily) {
  for (MessageKind kind : {MessageKind::CATALOG_UPDATE, MessageKind::TAX_ASSISTANCE_REQUEST,
                           MessageKind::COMPLAINT_STATISTICS, MessageKind::COMPLIANCE_ATTESTATION}) {
    std::string env =
        testing::MakeEnvelope("samr-console", MessageId{1, 3}, {"douyin"}, kind, testing::SamplePayload(kind));
    nlohmann::ordered_json j = MessageJson(Message(env, kind));
    EXPECT_TRUE(j["payload"].is_object()) << MessageKindName(static_cast<int>(kind)) << ": " << j.dump();
  }
  std::string update = testing::MakeEnvelope("samr-console", MessageId{1, 4}, {"douyin"}, MessageKind::CATALOG_UPDATE,
                                             testing::SamplePayload(MessageKind::CATALOG_UPDATE));
  EXPECT_EQ(MessageJson(Message(update, MessageKind::CATALOG_UPDATE))["payload"]["version"], "2");
}

TEST(SpoolJsonTest, AnUnknownKindGivesANullPayloadAndTheReason) {
  std::string env = testing::MakeEnvelope("samr-console", MessageId{1, 5}, {"douyin"}, static_cast<MessageKind>(99),
                                          testing::SamplePayload(MessageKind::DIRECTIVE));
  nlohmann::ordered_json j = MessageJson(Message(env, static_cast<MessageKind>(99)));
  EXPECT_EQ(j["kind"], "kind99");
  EXPECT_TRUE(j["payload"].is_null());
  EXPECT_NE(j["payloadError"].get<std::string>().find("kind99"), std::string::npos);
}

TEST(SpoolJsonTest, APayloadThatDoesNotDecodeGivesANullPayloadAndTheReason) {
  std::string env =
      testing::MakeEnvelope("samr-console", MessageId{1, 6}, {"douyin"}, MessageKind::DIRECTIVE, "twelve bytes");
  nlohmann::ordered_json j = MessageJson(Message(env, MessageKind::DIRECTIVE));
  EXPECT_EQ(j["sender"], "samr-console");
  EXPECT_TRUE(j["payload"].is_null());
  EXPECT_FALSE(j["payloadError"].get<std::string>().empty());
}

TEST(SpoolJsonTest, AnEnvelopeThatDoesNotDecodeStillGivesWhatTheDeliverySaid) {
  nlohmann::ordered_json j = MessageJson(Message("garbage!", MessageKind::DIRECTIVE, 9));
  EXPECT_EQ(j["id"], "0123456789abcdef0000000000000042");
  EXPECT_EQ(j["kind"], "directive");
  EXPECT_EQ(j["deliverySeq"], 9);
  EXPECT_TRUE(j["payload"].is_null());
  EXPECT_NE(j["payloadError"].get<std::string>().find("envelope"), std::string::npos);
}

TEST(SpoolJsonTest, TextIsIndentedAndEndsWithANewline) {
  std::string text = MessageJsonText(Message(testing::DirectiveEnvelope(MessageId{1, 2}), MessageKind::DIRECTIVE));
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.rfind("{\n  \"id\": ", 0), 0u);
  EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded());
}

// The webhook's body, built without the JSON object, must say exactly
// what the object says, on the normal path and on every fallback.
TEST(CompactJsonTest, ParsesToExactlyWhatMessageJsonSays) {
  auto same = [](const InboxMessage& m, const std::string& what) {
    int64_t expires = -1;
    const std::string compact = MessageJsonCompact(m, &expires);
    EXPECT_EQ(compact.find('\n'), std::string::npos) << what;
    nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(compact, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << what << ": " << compact;
    const std::string expected_text =
        MessageJson(m).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    EXPECT_EQ(parsed, nlohmann::ordered_json::parse(expected_text)) << what;
    const nlohmann::ordered_json& e = parsed["expiresMs"];
    EXPECT_EQ(expires, e.is_number_integer() ? e.get<int64_t>() : 0) << what;
  };
  for (MessageKind kind : {MessageKind::DIRECTIVE, MessageKind::CATALOG_UPDATE, MessageKind::TAX_ASSISTANCE_REQUEST,
                           MessageKind::COMPLAINT_STATISTICS, MessageKind::COMPLIANCE_ATTESTATION}) {
    same(Message(testing::MakeEnvelope("samr-console", MessageId{1, 3}, {"douyin", "kuaishou"}, kind,
                                       testing::SamplePayload(kind)),
                 kind),
         MessageKindName(static_cast<int>(kind)));
  }
  // Expiry, correlation and a sender whose bytes are not UTF-8.
  {
    capnp::MallocMessageBuilder m;
    auto e = m.initRoot<schema::Envelope>();
    protocol::ToWire(MessageId{1, 9}, e.initId());
    protocol::ToWire(MessageId{7, 8}, e.initCorrelationId());
    e.setSender("samr\xff-\"console\"");
    e.initRecipients(1).set(0, "抖音");
    e.setKind(MessageKind::DIRECTIVE);
    e.setCreatedMs(1'700'000'000'000);
    e.setExpiresMs(1'800'000'000'000);
    const std::string payload = testing::SamplePayload(MessageKind::DIRECTIVE);
    e.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
    same(Message(protocol::Encode(m), MessageKind::DIRECTIVE), "header fields");
  }
  // A payload whose text is not UTF-8: the object's payloadError.
  {
    capnp::MallocMessageBuilder m;
    schema::samples::BuildSuspendBroadcastDirective(m.initRoot<schema::Directive>());
    m.getRoot<schema::Directive>().setReference("\xc3\x28 not UTF-8");
    const InboxMessage bad = Message(testing::MakeEnvelope("samr-console", MessageId{1, 10}, {"douyin"},
                                                           MessageKind::DIRECTIVE, protocol::Encode(m)),
                                     MessageKind::DIRECTIVE);
    same(bad, "payload not UTF-8");
    EXPECT_TRUE(nlohmann::json::parse(MessageJsonCompact(bad)).contains("payloadError"));
  }
  same(Message(
           testing::MakeEnvelope("samr-console", MessageId{1, 6}, {"douyin"}, MessageKind::DIRECTIVE, "twelve bytes"),
           MessageKind::DIRECTIVE),
       "payload does not decode");
  same(Message("garbage!", MessageKind::DIRECTIVE, 9), "envelope does not decode");
  same(Message(testing::MakeEnvelope("samr-console", MessageId{1, 5}, {"douyin"}, static_cast<MessageKind>(99),
                                     testing::SamplePayload(MessageKind::DIRECTIVE)),
               static_cast<MessageKind>(99)),
       "unknown kind");
}

}  // namespace
}  // namespace regline::connector
