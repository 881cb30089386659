// The Gateway's access control: the ZAP handler that admits CURVE keys, the
// registry reloads that make revocations take effect, and the checks every
// submission and acknowledgement passes (authorization and signatures).
// Everything here runs on Run()'s thread, like the rest of the sessions.
#include <zmq.h>

#include "gateway/core/log.h"
#include "gateway/server/authorization.h"
#include "gateway/server/server.h"
#include "schemas/acknowledgement.capnp.h"

namespace regline::server {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";  // fixed by ZeroMQ (RFC 27)
constexpr const char* kZapDomain = "regline";

std::string Z85(const uint8_t* key32) {
  char text[41] = {};
  zmq_z85_encode(text, key32, 32);
  return text;
}

}  // namespace

Status Gateway::StartCurve() {
  if (!zmq_has("curve")) {
    return Status(StatusCode::kUnimplemented,
                  "this libzmq was built without CURVE; install a libzmq with libsodium (Debian's has it)");
  }
  try {
    // The handler must be bound before the first client can connect.
    zap_ = zmq::socket_t(context_, zmq::socket_type::rep);
    zap_.set(zmq::sockopt::linger, 0);
    zap_.bind(kZapEndpoint);
    router_.set(zmq::sockopt::curve_server, 1);
    router_.set(zmq::sockopt::curve_secretkey, config_.security.curve_secret);
    router_.set(zmq::sockopt::zap_domain, kZapDomain);
  } catch (const zmq::error_t& e) {
    return IOError(std::string("cannot set up CURVE: ") + e.what());
  }
  Log(LogLevel::kInfo, "curve_enabled", {{"server_key", config_.security.curve_public}});
  return Status::Ok();
}

// One ZAP request (RFC 27): version, request id, domain, address, routing
// id, mechanism, then for CURVE the client's 32-byte public key. The reply
// names the identity as User-Id; frames from that connection carry it.
void Gateway::HandleZap() {
  std::vector<zmq::message_t> parts;
  for (;;) {
    zmq::message_t part;
    if (!zap_.recv(part, zmq::recv_flags::dontwait)) break;
    bool more = part.more();
    parts.push_back(std::move(part));
    if (!more) break;
  }
  if (parts.size() < 2) return;  // nothing sensible to answer; libzmq never sends this
  const std::string request_id = parts[1].to_string();
  std::string status = "400", text, user;
  const std::string address = parts.size() > 3 ? parts[3].to_string() : "";
  const std::string mechanism = parts.size() > 5 ? parts[5].to_string() : "";
  std::string key;
  if (parts.size() < 7 || parts[0].to_string() != "1.0") {
    text = "malformed ZAP request";
  } else if (mechanism != "CURVE" || parts[6].size() != 32) {
    text = "only CURVE is accepted";
  } else {
    key = Z85(static_cast<const uint8_t*>(parts[6].data()));
    const identity::Identity* who = registry_.FindByCurveKey(key);
    if (who == nullptr) {
      text = "unknown key";
    } else if (who->revoked()) {
      text = "identity '" + who->name + "' is revoked";
    } else {
      status = "200";
      text = "OK";
      user = who->name;
    }
  }
  if (status != "200") {
    handshakes_refused_++;
    Log(LogLevel::kWarning, "handshake_refused",
        {{"address", address}, {"key", key}, {"reason", text}, {"refused_total", std::to_string(handshakes_refused_)}});
  }
  try {
    zap_.send(zmq::buffer(std::string("1.0")), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(status), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(text), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(user), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(std::string()), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    Log(LogLevel::kError, "zap_reply_failed", {{"error", e.what()}});
  }
}

void Gateway::MaybeReloadRegistry() {
  if (!registry_file_.has_value()) return;
  std::optional<Result<identity::Registry>> next = registry_file_->Poll();
  if (!next.has_value()) return;
  if (!next->ok()) {
    Log(LogLevel::kError, "registry_reload_failed",
        {{"registry", registry_file_->path()}, {"error", next->status().ToString()},
         {"action", "keeping the registry in force"}});
    return;
  }
  ApplyRegistry(std::move(*next).value());
}

void Gateway::ApplyRegistry(identity::Registry next) {
  if (Status refs = config_.CheckReferences(next); !refs.ok()) {
    Log(LogLevel::kError, "registry_reload_failed",
        {{"registry", config_.security.registry_file}, {"error", refs.ToString()},
         {"action", "keeping the registry in force"}});
    return;
  }
  std::vector<std::string> ended;  // identities whose sessions must end
  struct Change {
    std::string event, identity, detail;
  };
  std::vector<Change> changes;
  auto note = [&](const char* event, const std::string& name, std::string detail = {}) {
    Log(LogLevel::kInfo, event, {{"identity", name}, {"detail", detail}});
    changes.push_back({event, name, std::move(detail)});
  };
  for (const identity::Identity& now : next.identities()) {
    const identity::Identity* before = registry_.Find(now.name);
    if (before == nullptr) {
      note("identity_added", now.name, std::string(identity::RoleName(now.role)));
      continue;
    }
    if (now.revoked() && !before->revoked()) {
      note("identity_revoked", now.name);
      ended.push_back(now.name);
    } else if (now.curve_key != before->curve_key || now.role != before->role) {
      note("identity_changed", now.name, "CURVE key or role changed");
      ended.push_back(now.name);
    }
    for (const identity::SigningKey& k : now.signing_keys) {
      const identity::SigningKey* had = before->FindSigningKey(k.key_id);
      if (had == nullptr) note("signing_key_added", now.name, k.key_id);
      else if (k.revoked() && !had->revoked()) note("signing_key_revoked", now.name, k.key_id);
    }
  }
  for (const identity::Identity& before : registry_.identities()) {
    if (next.Find(before.name) == nullptr) {
      note("identity_removed", before.name);
      ended.push_back(before.name);
    }
  }
  registry_ = std::move(next);
  PublishPlatforms();
  Log(LogLevel::kInfo, "registry_reloaded",
      {{"registry", config_.security.registry_file}, {"identities", std::to_string(registry_.identities().size())},
       {"changes", std::to_string(changes.size())}});
  // Into the audit chain: each change, then the reload itself.
  changes.push_back({"registry_reloaded", config_.security.registry_file,
                     "identities=" + std::to_string(registry_.identities().size())});
  committer_->Execute([changes = std::move(changes)](Store& store) -> GroupCommitter::Completion {
    for (const Change& c : changes) {
      Status s = store.AppendAudit(c.event, c.identity, c.detail);
      if (!s.ok()) Log(LogLevel::kError, "audit_failed", {{"event", c.event}, {"error", s.ToString()}});
    }
    return nullptr;
  });
  for (const std::string& name : ended) {
    if (Session* s = FindSessionFor(name)) {
      std::string rid = s->routing_id;
      Send(rid, protocol::ByeFrame("identity revoked or changed in the registry"));
      EndSession(rid, "identity revoked or changed");
    }
  }
}

Result<std::optional<crypto::PublicKey>> Gateway::AuthorizeAndResolve(const Session& s, const Submission& sub,
                                                                       const std::vector<std::string>& recipients,
                                                                       std::string_view payload,
                                                                       const identity::SignatureClaim& signature) const {
  const identity::Identity* sender = registry_.Find(s.identity);
  if (sender == nullptr || sender->revoked()) {
    return Unauthenticated("identity '" + s.identity + "' is no longer registered");
  }
  std::vector<const identity::Identity*> to;
  to.reserve(recipients.size());
  for (const std::string& r : recipients) to.push_back(registry_.Find(r));  // ExpandRecipients found each
  REGLINE_RETURN_IF_ERROR(AuthorizeSubmit(*sender, sub.kind, to, payload));
  return KeyToCheck(*sender, signature, "envelope " + sub.id.ToHex());
}

Result<std::optional<crypto::PublicKey>> Gateway::KeyToCheck(const identity::Identity& signer,
                                                             const identity::SignatureClaim& claim,
                                                             std::string_view what) const {
  if (!claim.present() && !curve() && signer.signing_keys.empty()) {
    return std::optional<crypto::PublicKey>();  // development mode, and this identity has no key to sign with
  }
  Result<crypto::PublicKey> key = identity::ResolveSigningKey(registry_, signer.name, claim, what);
  if (!key.ok()) return key.status();
  return std::optional<crypto::PublicKey>(std::move(key).value());
}

Result<std::optional<Gateway::PendingSignature>> Gateway::CheckAcknowledgement(const Session& s,
                                                                              schema::Ack::Reader ack,
                                                                              const MessageId& id,
                                                                              AckStage stage) const {
  const identity::Identity* who = registry_.Find(s.identity);
  if (who == nullptr || who->revoked()) return Unauthenticated("identity '" + s.identity + "' is no longer registered");
  auto bytes = ack.getAcknowledgement();
  if (bytes.size() == 0) {
    if (curve() && stage != AckStage::kReceived) {
      return InvalidSignature("the " + std::string(AckStageName(stage)) + " acknowledgement of " + id.ToHex() +
                              " must carry the recipient's signed Acknowledgement envelope");
    }
    return std::optional<PendingSignature>();
  }
  std::string_view envelope(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  Result<protocol::SignedSubmission> signed_ack =
      protocol::ToSignedSubmission(envelope, s.identity, config_.max_frame_bytes);
  if (!signed_ack.ok()) return signed_ack.status().WithContext("acknowledgement");
  const Submission& env = signed_ack->submission;
  if (env.kind != static_cast<int>(schema::MessageKind::ACKNOWLEDGEMENT)) {
    return InvalidArgument("the acknowledgement envelope of " + id.ToHex() + " is not of kind acknowledgement");
  }
  if (!(env.correlation_id == id)) {
    return InvalidArgument("the acknowledgement envelope answers " + env.correlation_id.ToHex() + ", not " +
                           id.ToHex());
  }
  const std::string& payload = signed_ack->payload;
  Result<protocol::Decoded<schema::Acknowledgement>> decoded =
      protocol::Decoded<schema::Acknowledgement>::Parse(payload, payload.size());
  if (!decoded.ok()) return InvalidArgument("the acknowledgement payload: " + decoded.status().message());
  Status agrees;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    auto a = decoded->get();
    if (!(protocol::FromWire(a.getMessageId()) == id)) {
      agrees = InvalidArgument("the signed acknowledgement names message " +
                               protocol::FromWire(a.getMessageId()).ToHex() + ", not " + id.ToHex());
    } else if (static_cast<int>(a.getStage()) != static_cast<int>(ack.getStage())) {
      agrees = InvalidArgument("the signed acknowledgement of " + id.ToHex() + " states another stage than the ACK");
    }
  });
  KJ_IF_MAYBE(e, failure) {
    return InvalidArgument(std::string("the acknowledgement payload: ") + e->getDescription().cStr());
  }
  REGLINE_RETURN_IF_ERROR(agrees);
  const identity::SignatureClaim& claim = signed_ack->signature;
  const std::string what = "acknowledgement of " + id.ToHex();
  Result<std::optional<crypto::PublicKey>> key = KeyToCheck(*who, claim, what);
  if (!key.ok()) return key.status();
  if (!key->has_value()) return std::optional<PendingSignature>();
  return std::optional<PendingSignature>(PendingSignature{std::move(**key), payload, claim.bytes, what});
}

Status Gateway::WhyNotFound(Store& store, const std::string& identity, const MessageId& id, Status not_found) {
  Result<uint64_t> seq = store.FindSeqById(id);
  if (!seq.ok()) return not_found;
  Result<std::vector<DeliveryStatus>> deliveries = store.Deliveries(*seq);
  if (!deliveries.ok()) return not_found;
  for (const DeliveryStatus& d : *deliveries)
    if (d.recipient == identity) return not_found;
  return PermissionDenied("message " + id.ToHex() + " is not addressed to '" + identity +
                          "'; only its recipients may acknowledge it");
}

}  // namespace regline::server
