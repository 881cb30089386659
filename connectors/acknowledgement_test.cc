// The platform's signed acknowledgements, and the signature check the
// connector runs on what it receives.
#include "connectors/acknowledgement.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "connectors/signature_verifier.h"
#include "connectors/test_envelopes.h"
#include "connectors/test_keys.h"
#include "gateway/core/clock.h"
#include "gateway/core/test_util.h"
#include "gateway/protocol/frames.h"

namespace regline::connector {
namespace {

using schema::AckStage;
using schema::MessageKind;

constexpr size_t kMax = 1 << 20;

class AcknowledgementTest : public ::testing::Test {
 protected:
  AcknowledgementTest() : files_(testing::WriteSecurityFiles(dir_.path())) {}

  identity::Signer Douyin() const { return identity::Signer("douyin", files_.douyin.signing); }
  identity::Signer Samr() const { return identity::Signer("samr-console", files_.samr.signing); }

  regline::testing::TempDir dir_;
  testing::SecurityFiles files_;
  FakeClock clock_{1'714'565'580'000};
};

TEST_F(AcknowledgementTest, ARejectionIsAnAcknowledgementEnvelopeAnsweringTheMessageSignedByThePlatform) {
  const MessageId directive{0x0190, 0xd1};
  Result<OriginalMessage> original = ReadOriginal(testing::DirectiveEnvelope(directive), kMax);
  ASSERT_TRUE(original.ok()) << original.status().ToString();
  EXPECT_EQ(original->sender, "samr-console");
  EXPECT_EQ(original->kind, MessageKind::DIRECTIVE);

  Result<std::string> ack = BuildSignedAcknowledgement(
      Douyin(), *original,
      {directive, AckStage::REJECTED, 1'714'565'600'000, schema::RejectReason::SUBJECT_NOT_FOUND, "no such room"},
      1'714'565'601'000);
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();

  // What the gateway checks (Gateway::CheckAcknowledgement).
  Result<protocol::SignedSubmission> env = protocol::ToSignedSubmission(*ack, "douyin", kMax);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->submission.kind, static_cast<int>(MessageKind::ACKNOWLEDGEMENT));
  EXPECT_EQ(env->submission.correlation_id, directive);
  EXPECT_EQ(env->submission.recipients, std::vector<std::string>{"samr-console"});
  EXPECT_EQ(env->submission.created_ms, 1'714'565'601'000);
  EXPECT_FALSE(env->submission.id.IsZero());
  EXPECT_TRUE(identity::VerifySignature(files_.registry, "douyin", env->signature, env->payload, "ack").ok());

  Result<protocol::DecodedEnvelope> decoded = protocol::DecodedEnvelope::Parse(*ack, kMax);
  ASSERT_TRUE(decoded.ok());
  auto payload = decoded->get().getPayload();
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.begin(), payload.size());
  capnp::FlatArrayMessageReader reader(words.asPtr());
  auto a = reader.getRoot<schema::Acknowledgement>();
  EXPECT_EQ(protocol::FromWire(a.getMessageId()), directive);
  EXPECT_EQ(std::string(a.getOriginalSender().cStr()), "samr-console");
  EXPECT_EQ(a.getOriginalKind(), MessageKind::DIRECTIVE);
  EXPECT_EQ(a.getStage(), AckStage::REJECTED);
  EXPECT_EQ(a.getAtMs(), 1'714'565'600'000);
  EXPECT_EQ(a.getReasonCode(), schema::RejectReason::SUBJECT_NOT_FOUND);
  EXPECT_EQ(std::string(a.getReason().cStr()), "no such room");
}

TEST_F(AcknowledgementTest, EachBuildHasAFreshId) {
  OriginalMessage original{"samr-console", MessageKind::DIRECTIVE};
  AcknowledgementFacts facts{MessageId{1, 2}, AckStage::COMPLETED, 5, schema::RejectReason::UNSPECIFIED, ""};
  Result<std::string> first = BuildSignedAcknowledgement(Douyin(), original, facts, 10);
  Result<std::string> second = BuildSignedAcknowledgement(Douyin(), original, facts, 10);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(protocol::ToSubmission(*first, "douyin", kMax)->id, protocol::ToSubmission(*second, "douyin", kMax)->id);
}

TEST_F(AcknowledgementTest, TheVerifierAcceptsTheSendersOwnSignatureOnly) {
  SignatureVerifier verifier(files_.registry, "", clock_);
  const std::string unsigned_directive = testing::DirectiveEnvelope(MessageId{3, 1});
  Result<std::string> by_samr = protocol::SignEnvelope(unsigned_directive, Samr(), kMax);
  ASSERT_TRUE(by_samr.ok()) << by_samr.status().ToString();
  EXPECT_TRUE(verifier.Verify(*by_samr, kMax).ok()) << verifier.Verify(*by_samr, kMax).ToString();

  EXPECT_EQ(verifier.Verify(unsigned_directive, kMax).code(), StatusCode::kInvalidSignature);
  // samr-console's envelope signed with a key the registry does not hold for it.
  identity::Signer impostor("samr-console", testing::NewPartyKeys(crypto::SignatureAlgorithm::kSm2Sm3).signing);
  Result<std::string> forged = protocol::SignEnvelope(unsigned_directive, impostor, kMax);
  ASSERT_TRUE(forged.ok());
  Status refused = verifier.Verify(*forged, kMax);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidSignature) << refused.ToString();
  EXPECT_EQ(verifier.Verify("not an envelope", kMax).code(), StatusCode::kInvalidArgument);
}

TEST_F(AcknowledgementTest, TheVerifierRereadsTheRegistryWhenTheFileChanges) {
  const std::string path = dir_.File("identities.toml");
  Result<identity::Registry> loaded = identity::Registry::Load(path);
  ASSERT_TRUE(loaded.ok());
  SignatureVerifier verifier(*loaded, path, clock_);
  const crypto::PrivateKey key = testing::NewPartyKeys(crypto::SignatureAlgorithm::kSm2Sm3).signing;
  const crypto::PublicKey new_key_pem_public = key.public_key();
  identity::Signer new_key("samr-console", key);
  Result<std::string> signed_directive =
      protocol::SignEnvelope(testing::DirectiveEnvelope(MessageId{4, 1}), new_key, kMax);
  ASSERT_TRUE(signed_directive.ok());
  EXPECT_FALSE(verifier.Verify(*signed_directive, kMax).ok());

  identity::Registry updated = *loaded;
  ASSERT_TRUE(updated.AddSigningKey("samr-console", new_key_pem_public, clock_.NowMs()).ok());
  ASSERT_TRUE(updated.Save(path).ok());
  // A later modification time than the copy in force, whatever the file system's resolution.
  std::filesystem::last_write_time(path, std::filesystem::last_write_time(path) + std::chrono::seconds(2));
  clock_.Advance(1000);
  EXPECT_TRUE(verifier.Verify(*signed_directive, kMax).ok());
}

}  // namespace
}  // namespace regline::connector
