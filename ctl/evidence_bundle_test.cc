// The evidence bundle's files, built in memory: what each signed item holds,
// the openssl command chosen per key algorithm, and what VERIFY.sh says of
// items it cannot check. (tests/e2e/evidence_test.cc runs a real bundle
// through openssl.)
#include "ctl/evidence_bundle.h"

#include <gtest/gtest.h>

#include <map>

#include "gateway/protocol/frames.h"
#include "schemas/schema_samples.h"

namespace regline::ctl {
namespace {

using crypto::SignatureAlgorithm;

std::string DirectivePayload() {
  capnp::MallocMessageBuilder m;
  schema::samples::BuildSuspendBroadcastDirective(m.initRoot<schema::Directive>());
  return protocol::Encode(m);
}

class CtlEvidenceBundleTest : public ::testing::Test {
 protected:
  identity::Signer AddIdentity(const std::string& name, identity::Role role, SignatureAlgorithm a) {
    Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(a);
    EXPECT_TRUE(key.ok());
    identity::Identity id;
    id.name = name;
    id.role = role;
    if (role == identity::Role::kRegulator) id.department = "SAMR";
    id.signing_keys.emplace_back(key->public_key());
    EXPECT_TRUE(registry_.Add(id).ok());
    return identity::Signer(name, *key);
  }

  // A directive envelope from samr-console, signed by `signer` unless null.
  static std::string Envelope(const identity::Signer* signer) {
    const std::string payload = DirectivePayload();
    capnp::MallocMessageBuilder m;
    auto e = m.initRoot<schema::Envelope>();
    protocol::ToWire(MessageId{7, 7}, e.initId());
    e.setSender("samr-console");
    e.initRecipients(1).set(0, "douyin");
    e.setKind(schema::MessageKind::DIRECTIVE);
    e.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
    if (signer != nullptr) {
      Result<identity::SignatureClaim> sig = signer->Sign(payload);
      EXPECT_TRUE(sig.ok());
      protocol::ToWire(*sig, e.initSignature());
    }
    return protocol::Encode(m);
  }

  static MessageEvidence Evidence(std::string envelope) {
    MessageEvidence e;
    e.seq = 1;
    e.id = MessageId{7, 7};
    e.sender = "samr-console";
    e.kind = static_cast<int>(schema::MessageKind::DIRECTIVE);
    e.envelope = std::move(envelope);
    return e;
  }

  static std::map<std::string, std::string> Files(const EvidenceBundle& b) {
    std::map<std::string, std::string> files;
    for (const BundleFile& f : b.files) files[f.path] = f.contents;
    return files;
  }

  identity::Registry registry_;
};

TEST_F(CtlEvidenceBundleTest, ASignedMessageGetsItsBytesKeyAndTheSm2Command) {
  identity::Signer samr = AddIdentity("samr-console", identity::Role::kRegulator, SignatureAlgorithm::kSm2Sm3);
  EvidenceBundle b = BuildEvidenceBundle(Evidence(Envelope(&samr)), registry_, std::nullopt);
  auto files = Files(b);
  EXPECT_EQ(files["message/payload.bin"], DirectivePayload());
  EXPECT_EQ(files["message/signer.pub"], registry_.Find("samr-console")->signing_keys[0].key.Pem());
  EXPECT_NE(files["message/payload.json"].find("\"suspendBroadcast\""), std::string::npos);
  EXPECT_NE(files["VERIFY.sh"].find("openssl pkeyutl -verify -pubin -inkey message/signer.pub -rawin -digest sm3 "
                                    "-pkeyopt distid:1234567812345678 -in message/payload.bin "
                                    "-sigfile message/signature.bin || failed=1"),
            std::string::npos)
      << files["VERIFY.sh"];
  ASSERT_EQ(b.signatures.size(), 1u);
  EXPECT_TRUE(b.signatures[0].verified) << b.signatures[0].problem;
  EXPECT_EQ(b.signatures[0].algorithm, "sm2-sm3");
  EXPECT_EQ(b.files.back().path, "MANIFEST.txt");
  EXPECT_NE(files["MANIFEST.txt"].find("  message/payload.bin\n"), std::string::npos);
  EXPECT_EQ(files["MANIFEST.txt"].find("MANIFEST.txt"), std::string::npos);
}

TEST_F(CtlEvidenceBundleTest, AcknowledgementsGetADirectoryEachAndTheEd25519Command) {
  identity::Signer samr = AddIdentity("samr-console", identity::Role::kRegulator, SignatureAlgorithm::kSm2Sm3);
  identity::Signer douyin = AddIdentity("douyin", identity::Role::kPlatform, SignatureAlgorithm::kEd25519);
  MessageEvidence e = Evidence(Envelope(&samr));
  // Any signed envelope will do for the bundle; douyin's own signature over a payload.
  capnp::MallocMessageBuilder m;
  auto env = m.initRoot<schema::Envelope>();
  env.setSender("douyin");
  env.setKind(schema::MessageKind::ACKNOWLEDGEMENT);
  const std::string payload = "not a real acknowledgement, but signed";
  env.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
  protocol::ToWire(*douyin.Sign(payload), env.initSignature());
  e.acknowledgements.push_back({"douyin", AckStage::kAccepted, 5, protocol::Encode(m)});
  EvidenceBundle b = BuildEvidenceBundle(e, registry_, std::nullopt);
  auto files = Files(b);
  EXPECT_EQ(files["acknowledgements/douyin-accepted/payload.bin"], payload);
  EXPECT_NE(files["VERIFY.sh"].find("openssl pkeyutl -verify -pubin -inkey acknowledgements/douyin-accepted/signer.pub "
                                    "-rawin -in acknowledgements/douyin-accepted/payload.bin"),
            std::string::npos)
      << files["VERIFY.sh"];
  ASSERT_EQ(b.signatures.size(), 2u);
  EXPECT_TRUE(b.signatures[1].verified) << b.signatures[1].problem;
  EXPECT_EQ(b.signatures[1].algorithm, "ed25519");
}

TEST_F(CtlEvidenceBundleTest, WhatCannotBeCheckedMakesVerifyFail) {
  identity::Signer stranger("samr-console", *crypto::PrivateKey::Generate(SignatureAlgorithm::kEd25519));
  AddIdentity("samr-console", identity::Role::kRegulator, SignatureAlgorithm::kSm2Sm3);
  struct Case {
    std::string name;
    std::string envelope;
    std::string problem;
  };
  const Case cases[] = {
      {"unsigned", Envelope(nullptr), "not signed"},
      {"key not in the registry", Envelope(&stranger), "is not in the registry"},
      {"not an envelope", "garbage", "does not decode"},
  };
  for (const Case& c : cases) {
    EvidenceBundle b = BuildEvidenceBundle(Evidence(c.envelope), registry_, std::nullopt);
    ASSERT_EQ(b.signatures.size(), 1u) << c.name;
    EXPECT_FALSE(b.signatures[0].verified) << c.name;
    EXPECT_NE(b.signatures[0].problem.find(c.problem), std::string::npos) << c.name << ": " << b.signatures[0].problem;
    const std::string script = Files(b)["VERIFY.sh"];
    EXPECT_NE(script.find("cannot be checked"), std::string::npos) << c.name;
    EXPECT_NE(script.find("\nfailed=1\n"), std::string::npos) << c.name;
    EXPECT_EQ(script.find("openssl pkeyutl"), std::string::npos) << c.name;
  }
}

TEST_F(CtlEvidenceBundleTest, AStrangeRecipientNameIsNotUsedAsADirectoryAndQuotesAreEscaped) {
  MessageEvidence e = Evidence(Envelope(nullptr));
  e.acknowledgements.push_back({"../it's", AckStage::kCompleted, 5, "garbage"});
  EvidenceBundle b = BuildEvidenceBundle(e, registry_, std::nullopt);
  auto files = Files(b);
  EXPECT_TRUE(files.count("acknowledgements/recipient0-completed/envelope.bin"));
  for (const auto& [path, contents] : files) EXPECT_EQ(path.find(".."), std::string::npos) << path;
  EXPECT_NE(files["VERIFY.sh"].find("by ../it'\\''s"), std::string::npos) << files["VERIFY.sh"];
}

}  // namespace
}  // namespace regline::ctl
