// reglinectl agreement sign in process: keys made by keygen sign the
// sample agreement as each party and as the agency, and the file then
// passes the gateway's CheckAgreement.
#include <capnp/compat/json.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "ctl/app.h"
#include "ctl/json_input.h"
#include "ctl/testing/run_ctl.h"
#include "gateway/core/test_util.h"
#include "gateway/crypto/signing.h"
#include "gateway/identity/registry.h"
#include "gateway/measures/agreement_rules.h"
#include "schemas/schema_samples.h"

namespace regline::ctl {
namespace {

using cli_test::CtlRun;
using cli_test::FileContents;
using cli_test::RunCtl;

constexpr int64_t kNow = cli_test::kCtlTestNow;  // 2026-01-01T00:00:00Z

constexpr char kAgency[] = "mcn-91350100M000100Y43";
constexpr char kPdf[] = "%PDF-1.7\n%the agreement as signed\n";

class CtlAgreementSignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<std::pair<std::string, std::string>> keys = {
        {"agency", "ed25519"}, {"li", "sm2-sm3"}, {"bj", "ed25519"}};
    for (const auto& [name, algorithm] : keys) {
      CtlRun made =
          RunCtl({"keygen", "--name", name, "--dir", dir_.path().string(), "--signing-only", "--algorithm", algorithm});
      ASSERT_EQ(made.exit_code, kExitOk) << made.err;
    }
    // The sample agreement as an agency would write it, before anyone signed.
    capnp::MallocMessageBuilder message;
    auto agreement = message.initRoot<schema::SignedAgreement>();
    schema::samples::BuildSignedAgreement(agreement);
    agreement.disownDocument();
    agreement.disownDocumentDigest();
    agreement.disownAgencySignature();
    for (auto party : agreement.getParties()) party.disownSignature();
    capnp::JsonCodec codec;
    codec.handleByAnnotation<schema::SignedAgreement>();
    std::ofstream(File("agreement.json")) << codec.encode(agreement.asReader()).cStr();
    std::ofstream(File("agreement.pdf"), std::ios::binary) << kPdf;
  }

  std::string File(const std::string& name) const { return dir_.File(name); }

  CtlRun Sign(std::vector<std::string> extra) {
    std::vector<std::string> args = {"agreement", "sign", File("agreement.json")};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCtl(args);
  }

  // The registry the gateway would hold: the agency's key only.
  identity::Registry AgencyRegistry() {
    identity::Registry registry;
    identity::Identity agency;
    agency.name = kAgency;
    agency.role = identity::Role::kMcnAgency;
    agency.signing_keys.emplace_back(*crypto::PublicKey::ReadPemFile(File("agency.sign.pub")));
    EXPECT_TRUE(registry.Add(agency).ok());
    return registry;
  }

  Status CheckFile(const identity::Registry& registry) {
    capnp::MallocMessageBuilder message;
    auto agreement = message.initRoot<schema::SignedAgreement>();
    REGLINE_RETURN_IF_ERROR(DecodeJsonFile(File("agreement.json"), agreement));
    return measures::CheckAgreement(agreement.asReader(), kAgency, registry, measures::AgreementRules());
  }

  testing::TempDir dir_;
};

TEST_F(CtlAgreementSignTest, EachPartyAndTheAgencySignAndTheFilePassesTheGatewaysCheck) {
  CtlRun li = Sign({"--key", File("li.sign.key"), "--party", "0", "--document", File("agreement.pdf")});
  ASSERT_EQ(li.exit_code, kExitOk) << li.err;
  EXPECT_NE(li.out.find("signed parties[0] as 李某 (sm2-sm3 key "), std::string::npos) << li.out;
  CtlRun bj = Sign({"--key", File("bj.sign.key"), "--party", "1"});
  ASSERT_EQ(bj.exit_code, kExitOk) << bj.err;
  EXPECT_EQ(CheckFile(AgencyRegistry()).code(), StatusCode::kInvalidSignature) << "the agency has not signed yet";
  CtlRun agency = RunCtl({"--identity", kAgency, "agreement", "sign", File("agreement.json"), "--key",
                          File("agency.sign.key"), "--agency"});
  ASSERT_EQ(agency.exit_code, kExitOk) << agency.err;
  EXPECT_NE(agency.out.find("signed agencySignature as mcn-91350100M000100Y43"), std::string::npos) << agency.out;
  Status checked = CheckFile(AgencyRegistry());
  EXPECT_TRUE(checked.ok()) << checked.ToString();
}

TEST_F(CtlAgreementSignTest, WritesTheDocumentItsSha256AndThePartysKey) {
  ASSERT_EQ(Sign({"--key", File("li.sign.key"), "--party", "0", "--document", File("agreement.pdf")}).exit_code,
            kExitOk);
  capnp::MallocMessageBuilder message;
  auto agreement = message.initRoot<schema::SignedAgreement>();
  ASSERT_TRUE(DecodeJsonFile(File("agreement.json"), agreement).ok());
  auto document = agreement.getDocument();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(document.begin()), document.size()), kPdf);
  EXPECT_EQ(agreement.getDocumentDigest().getAlgorithm(), schema::DigestAlgorithm::SHA256);
  auto digest = agreement.getDocumentDigest().getBytes();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(digest.begin()), digest.size()), crypto::Sha256(kPdf));
  EXPECT_EQ(std::string(agreement.getDocumentMediaType().cStr()), "application/pdf") << "left as it was";
  crypto::PublicKey li = *crypto::PublicKey::ReadPemFile(File("li.sign.pub"));
  auto party = agreement.getParties()[0];
  auto key = party.getSigningKey();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(key.begin()), key.size()), li.Der());
  EXPECT_EQ(std::string(party.getSignature().getKeyId().cStr()), identity::KeyIdOf(li));
  EXPECT_EQ(party.getSignature().getAlgorithm(), schema::SignatureAlgorithm::SM2_SM3);
  EXPECT_EQ(party.getSignedMs(), kNow);
  EXPECT_FALSE(agreement.getParties()[1].hasSignature());
}

TEST_F(CtlAgreementSignTest, SignerFlagNamesARegisteredIdentity) {
  ASSERT_EQ(Sign({"--key", File("li.sign.key"), "--party", "0", "--document", File("agreement.pdf")}).exit_code,
            kExitOk);
  ASSERT_EQ(Sign({"--key", File("bj.sign.key"), "--party", "1", "--signer", "bj-ecommerce"}).exit_code, kExitOk);
  ASSERT_EQ(RunCtl({"--identity", kAgency, "agreement", "sign", File("agreement.json"), "--key",
                    File("agency.sign.key"), "--agency"})
                .exit_code,
            kExitOk);
  identity::Registry registry = AgencyRegistry();
  identity::Identity bj;
  bj.name = "bj-ecommerce";
  bj.role = identity::Role::kMcnAgency;
  bj.signing_keys.emplace_back(*crypto::PublicKey::ReadPemFile(File("bj.sign.pub")));
  ASSERT_TRUE(registry.Add(bj).ok());
  Status checked = CheckFile(registry);
  EXPECT_TRUE(checked.ok()) << checked.ToString();
}

TEST_F(CtlAgreementSignTest, ADifferentDocumentAfterSomeoneSignedIsRefused) {
  ASSERT_EQ(Sign({"--key", File("li.sign.key"), "--party", "0", "--document", File("agreement.pdf")}).exit_code,
            kExitOk);
  const std::string before = FileContents(File("agreement.json"));
  std::ofstream(File("other.pdf")) << "%PDF-1.7\n%a later draft\n";
  CtlRun run = Sign({"--key", File("bj.sign.key"), "--party", "1", "--document", File("other.pdf")});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_NE(run.err.find("is not the document parties[0] signed"), std::string::npos) << run.err;
  EXPECT_EQ(FileContents(File("agreement.json")), before);
}

TEST_F(CtlAgreementSignTest, ADigestThatIsNotTheDocumentsIsNotSigned) {
  ASSERT_EQ(Sign({"--key", File("li.sign.key"), "--party", "0", "--document", File("agreement.pdf")}).exit_code,
            kExitOk);
  capnp::MallocMessageBuilder message;
  auto agreement = message.initRoot<schema::SignedAgreement>();
  ASSERT_TRUE(DecodeJsonFile(File("agreement.json"), agreement).ok());
  agreement.getDocument()[0] ^= 1;
  capnp::JsonCodec codec;
  codec.handleByAnnotation<schema::SignedAgreement>();
  std::ofstream(File("agreement.json"), std::ios::trunc) << codec.encode(agreement.asReader()).cStr();
  CtlRun run = Sign({"--key", File("bj.sign.key"), "--party", "1"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_NE(run.err.find("documentDigest is not the digest of document"), std::string::npos) << run.err;
}

TEST_F(CtlAgreementSignTest, BadInvocationsExitOneAndLeaveTheFile) {
  const std::string before = FileContents(File("agreement.json"));
  const std::vector<std::vector<std::string>> bad = {
      {"--key", File("li.sign.key"), "--party", "2", "--document", File("agreement.pdf")},
      {"--key", File("li.sign.key"), "--party", "0", "--agency", "--document", File("agreement.pdf")},
      {"--key", File("li.sign.key"), "--document", File("agreement.pdf")},
      {"--key", File("li.sign.key"), "--agency", "--document", File("agreement.pdf")},  // no --identity
      {"--key", File("li.sign.key"), "--party", "0"},                                   // nothing to sign
      {"--key", File("missing.sign.key"), "--party", "0", "--document", File("agreement.pdf")},
      {"--key", File("li.sign.pub"), "--party", "0", "--document", File("agreement.pdf")},
      {"--key", File("li.sign.key"), "--party", "0", "--document", File("missing.pdf")},
  };
  for (const std::vector<std::string>& args : bad) {
    CtlRun run = Sign(args);
    EXPECT_EQ(run.exit_code, kExitUsage) << args[1] << " " << args[2] << ": " << run.err;
  }
  EXPECT_EQ(FileContents(File("agreement.json")), before);
}

TEST_F(CtlAgreementSignTest, KeepsTheFilesModeAndPrintsJson) {
  ASSERT_EQ(::chmod(File("agreement.json").c_str(), 0600), 0);
  CtlRun run = RunCtl({"--json", "agreement", "sign", File("agreement.json"), "--key", File("li.sign.key"), "--party",
                       "0", "--document", File("agreement.pdf")});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  nlohmann::json out = nlohmann::json::parse(run.out);
  EXPECT_EQ(out["signed"], "parties[0]");
  EXPECT_EQ(out["signer"], "李某");
  EXPECT_EQ(out["algorithm"], "sm2-sm3");
  EXPECT_EQ(out["document_digest"], crypto::HexEncode(crypto::Sha256(kPdf)));
  struct stat st {};
  ASSERT_EQ(::stat(File("agreement.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

}  // namespace
}  // namespace regline::ctl
