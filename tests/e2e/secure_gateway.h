// Test helper: a real regline-gateway with CURVE and an identity registry
// file, and the parties that talk to it, each with a CURVE key pair and a
// signing key. Used by the end-to-end suites that need the secure gateway
// (gateway_security_test, evidence_test); never by the daemons.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/crypto/curve_keys.h"
#include "gateway/crypto/key_files.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/client.h"
#include "schemas/schema_samples.h"
#include "tests/e2e/gateway_process.h"

namespace regline::testing {

struct SecureParty {
  std::string name;
  schema::Role role = schema::Role::UNSPECIFIED;
  crypto::CurveKeyPair curve;
  std::optional<identity::Signer> signer;
};

class SecureGateway {
 public:
  // Writes nothing yet; Add the parties, then Start().
  SecureGateway(std::string binary, std::filesystem::path dir) : binary_(std::move(binary)), dir_(std::move(dir)) {
    Result<crypto::CurveKeyPair> server = crypto::GenerateCurveKeyPair();
    EXPECT_TRUE(server.ok());
    if (server.ok()) server_ = *server;
  }

  // Registers `name` with a fresh CURVE pair and a fresh signing key of
  // algorithm `a`.
  void Add(const std::string& name, identity::Role role, const std::string& department,
           crypto::SignatureAlgorithm a) {
    Result<crypto::CurveKeyPair> curve = crypto::GenerateCurveKeyPair();
    Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(a);
    ASSERT_TRUE(curve.ok() && key.ok());
    identity::Identity id;
    id.name = name;
    id.role = role;
    id.department = department;
    id.curve_key = curve->public_z85;
    id.signing_keys.emplace_back(key->public_key());
    ASSERT_TRUE(registry_.Add(id).ok());
    static const std::map<identity::Role, schema::Role> kWire = {
        {identity::Role::kRegulator, schema::Role::REGULATOR},
        {identity::Role::kPlatform, schema::Role::PLATFORM},
        {identity::Role::kMcnAgency, schema::Role::MCN_AGENCY},
        {identity::Role::kOperator, schema::Role::GATEWAY_OPERATOR}};
    parties_[name] = SecureParty{name, kWire.at(role), *curve, identity::Signer(name, *key)};
  }

  // Gives the gateway a signing key of its own, registered as operator
  // "regline-gateway" and written to <dir>/gateway.sign.key (0600); the
  // gateway then signs what it makes (escalations, redacted agreements).
  void AddGatewaySigner() {
    Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kEd25519);
    Result<crypto::CurveKeyPair> curve = crypto::GenerateCurveKeyPair();
    ASSERT_TRUE(key.ok() && curve.ok());
    ASSERT_TRUE(crypto::WriteNewFile((dir_ / "gateway.sign.key").string(), key->Pem(), 0600).ok());
    identity::Identity id;
    id.name = "regline-gateway";
    id.role = identity::Role::kOperator;
    id.curve_key = curve->public_z85;
    id.signing_keys.emplace_back(key->public_key());
    ASSERT_TRUE(registry_.Add(id).ok());
    gateway_key_ = key->public_key();
    security_extra_ += "signing_key_file = \"gateway.sign.key\"\n";
  }
  // The gateway's public signing key (after AddGatewaySigner).
  const std::optional<crypto::PublicKey>& gateway_key() const { return gateway_key_; }

  // Writes the gateway's key file and the registry, and starts the gateway.
  bool Start() {
    std::ofstream(dir_ / "gateway.curve.key")
        << "public_key = \"" << server_.public_z85 << "\"\nsecret_key = \"" << server_.secret_z85 << "\"\n";
    if (!SaveRegistry()) return false;
    gateway_ = std::make_unique<GatewayProcess>(
        binary_, dir_, "", "",
        "server_key_file = \"gateway.curve.key\"\nregistry = \"identities.toml\"\n" + security_extra_, "");
    return gateway_->Start();
  }

  // Rewrites the registry file (the gateway picks it up within a second).
  bool SaveRegistry() { return registry_.Save(registry_path()).ok(); }

  protocol::ClientOptions Options(const SecureParty& p, uint32_t credit = 0) const {
    protocol::ClientOptions o;
    o.endpoint = gateway_->endpoint();
    o.identity = p.name;
    o.role = p.role;
    o.initial_credit = credit;
    o.timeout_ms = 5000;
    o.curve = {server_.public_z85, p.curve.public_z85, p.curve.secret_z85};
    return o;
  }

  // A session as `name`; null (and a test failure) when it is refused.
  std::unique_ptr<protocol::Client> Connect(zmq::context_t& ctx, const std::string& name, uint32_t credit = 0) {
    Result<std::unique_ptr<protocol::Client>> c = protocol::Client::Connect(ctx, Options(party(name), credit));
    EXPECT_TRUE(c.ok()) << name << ": " << c.status().ToString() << "\n" << gateway_->Log();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // `from`'s signature over `data`.
  identity::SignatureClaim Sign(const std::string& from, const std::string& data) const {
    Result<identity::SignatureClaim> sig = party(from).signer->Sign(data);
    EXPECT_TRUE(sig.ok());
    return sig.ok() ? *sig : identity::SignatureClaim();
  }

  enum class Signing { kSigned, kUnsigned };
  // An envelope of `kind` from `from` to `to` carrying `payload`, signed by
  // `from` over it, or carrying `signature` as given, or unsigned.
  std::string Envelope(const std::string& from, MessageId id, const std::vector<std::string>& to,
                       schema::MessageKind kind, const std::string& payload, MessageId correlation = {},
                       Signing signing = Signing::kSigned,
                       std::optional<identity::SignatureClaim> signature = std::nullopt) const {
    capnp::MallocMessageBuilder m;
    auto e = m.initRoot<schema::Envelope>();
    protocol::ToWire(id, e.initId());
    e.setSender(from);
    auto r = e.initRecipients(static_cast<unsigned>(to.size()));
    for (unsigned i = 0; i < to.size(); ++i) r.set(i, to[i]);
    e.setKind(kind);
    e.setCreatedMs(schema::samples::kIssuedMs);
    protocol::ToWire(correlation, e.initCorrelationId());
    e.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
    if (signature.has_value()) {
      protocol::ToWire(*signature, e.initSignature());
    } else if (signing == Signing::kSigned) {
      protocol::ToWire(Sign(from, payload), e.initSignature());
    }
    return protocol::Encode(m);
  }

  const SecureParty& party(const std::string& name) const { return parties_.at(name); }
  identity::Registry& registry() { return registry_; }
  std::string registry_path() const { return (dir_ / "identities.toml").string(); }
  GatewayProcess& process() { return *gateway_; }

 private:
  std::string binary_;
  std::filesystem::path dir_;
  crypto::CurveKeyPair server_;
  identity::Registry registry_;
  std::map<std::string, SecureParty> parties_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::string security_extra_;  // more [security] lines
  std::optional<crypto::PublicKey> gateway_key_;
};

}  // namespace regline::testing
