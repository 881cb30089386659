#include "ctl/evidence_bundle.h"

#include <capnp/compat/json.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ctl/envelopes.h"
#include "ctl/output.h"
#include "ctl/parse.h"
#include "gateway/crypto/signing.h"
#include "gateway/protocol/frames.h"

namespace regline::ctl {
namespace {

using nlohmann::json;

constexpr size_t kMaxEnvelopeBytes = size_t{256} << 20;  // the gateway's largest max_frame_bytes

// What one stored envelope holds, as far as it could be read.
struct Opened {
  bool readable = false;
  std::string problem;  // when not readable
  schema::MessageKind kind = schema::MessageKind::UNSPECIFIED;
  std::string payload;
  identity::SignatureClaim signature;
};

Opened Open(const std::string& envelope) {
  Opened o;
  Result<protocol::DecodedEnvelope> e = protocol::DecodedEnvelope::Parse(envelope, kMaxEnvelopeBytes);
  if (!e.ok()) {
    o.problem = e.status().message();
    return o;
  }
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    auto env = e->get();
    o.kind = env.getKind();
    auto payload = env.getPayload();
    o.payload.assign(reinterpret_cast<const char*>(payload.begin()), payload.size());
    if (env.hasSignature()) o.signature = protocol::FromWire(env.getSignature());
  });
  KJ_IF_MAYBE(ex, failure) {
    o.problem = ex->getDescription().cStr();
    return o;
  }
  o.readable = true;
  return o;
}

// The payload decoded to JSON for people (schemas' JSON mapping, as
// reglinectl reads it); empty when it does not decode.
std::string PayloadJson(schema::MessageKind kind, const std::string& payload) {
  Result<capnp::StructSchema> schema = PayloadSchema(kind);
  if (!schema.ok() || payload.empty() || payload.size() % sizeof(capnp::word) != 0) return "";
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.data(), payload.size());
  std::string text;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    capnp::FlatArrayMessageReader reader(words.asPtr());
    capnp::JsonCodec codec;
    codec.handleByAnnotation(*schema);
    kj::String encoded = codec.encode(reader.getRoot<capnp::DynamicStruct>(*schema));
    text = json::parse(encoded.cStr()).dump(2) + "\n";
  });
  return failure == nullptr ? text : "";
}

// The stock openssl command that checks `dir`'s signature (docs/evidence.md).
std::string OpensslVerify(crypto::SignatureAlgorithm algorithm, const std::string& dir) {
  std::string cmd = "openssl pkeyutl -verify -pubin -inkey " + dir + "/signer.pub -rawin";
  if (algorithm == crypto::SignatureAlgorithm::kSm2Sm3) {
    cmd += " -digest sm3 -pkeyopt distid:" + std::string(crypto::kSm2DistinguishingId);
  }
  return cmd + " -in " + dir + "/payload.bin -sigfile " + dir + "/signature.bin";
}

// `text` as one single-quoted shell word.
std::string ShellQuoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "'";
}

// A recipient name fit to be part of a directory name; registry names are
// [A-Za-z0-9._-], but the store may hold anything.
std::string DirName(const std::string& recipient, AckStage stage, size_t index) {
  bool plain = !recipient.empty() && recipient.size() <= 64 && recipient[0] != '.' &&
               std::all_of(recipient.begin(), recipient.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
               });
  return (plain ? recipient : "recipient" + std::to_string(index)) + "-" + std::string(AckStageName(stage));
}

class Builder {
 public:
  Builder(const identity::Registry& registry, EvidenceBundle& out) : registry_(registry), out_(out) {}

  // Writes the files of one signed envelope into `dir` and its check into
  // VERIFY.sh; `what` describes it there.
  void Item(const std::string& dir, const std::string& envelope, const std::string& what) {
    Add(dir + "/envelope.bin", envelope);
    BundleSignature sig;
    sig.item = dir;
    Opened o = Open(envelope);
    if (!o.readable) {
      Fail(sig, what, "the stored envelope does not decode: " + o.problem);
      return;
    }
    Add(dir + "/payload.bin", o.payload);
    if (std::string j = PayloadJson(o.kind, o.payload); !j.empty()) Add(dir + "/payload.json", j);
    if (!o.signature.present()) {
      Fail(sig, what, "not signed");
      return;
    }
    sig.signer = o.signature.signer;
    sig.key_id = o.signature.key_id;
    Add(dir + "/signature.bin", o.signature.bytes);
    const identity::Identity* who = registry_.Find(sig.signer);
    const identity::SigningKey* key = who == nullptr ? nullptr : who->FindSigningKey(sig.key_id);
    std::string described = "signer " + sig.signer + "\nkey_id " + sig.key_id + "\n";
    if (key == nullptr) {
      Add(dir + "/signature.txt", described);
      Fail(sig, what, "key " + sig.key_id + " of '" + sig.signer + "' is not in the registry");
      return;
    }
    sig.algorithm = crypto::SignatureAlgorithmName(key->key.algorithm());
    Add(dir + "/signer.pub", key->key.Pem());
    Add(dir + "/signature.txt", described + "algorithm " + sig.algorithm + "\nfingerprint " +
                                    key->key.Fingerprint() + "\n" +
                                    (key->revoked() ? "revoked_ms " + std::to_string(key->revoked_ms) + "\n" : ""));
    Status holds = key->key.Verify(o.payload, o.signature.bytes);
    sig.verified = holds.ok();
    if (!holds.ok()) sig.problem = holds.message();
    script_ += "echo " + ShellQuoted(what + ": signed by " + sig.signer + ", " + sig.algorithm + " key " + sig.key_id) +
               "\n";
    script_ += OpensslVerify(key->key.algorithm(), dir) + " || failed=1\n";
    out_.signatures.push_back(std::move(sig));
  }

  void Add(std::string path, std::string contents) { out_.files.push_back({std::move(path), std::move(contents)}); }

  std::string Script() const {
    return "#!/bin/sh\n"
           "# Checks every signature in this evidence bundle with the stock openssl command\n"
           "# line (OpenSSL 3.0 or later), without any Regline software: each check prints\n"
           "# \"Signature Verified Successfully\" or \"Signature Verification Failure\".\n"
           "# Exits 0 only when every signature holds. Regline's docs/evidence.md explains\n"
           "# the commands; MANIFEST.txt has the SHA-256 of every file (sha256sum -c MANIFEST.txt).\n"
           "cd \"$(dirname \"$0\")\" || exit 2\n"
           "failed=0\n" +
           script_ +
           "if [ \"$failed\" -ne 0 ]; then\n  echo 'EVIDENCE NOT VERIFIED: a signature above failed or could not be "
           "checked'\n  exit 1\nfi\n"
           "echo 'all signatures verified'\n";
  }

 private:
  void Fail(BundleSignature& sig, const std::string& what, const std::string& problem) {
    sig.problem = problem;
    script_ += "echo " + ShellQuoted(what + ": cannot be checked: " + problem) + "\nfailed=1\n";
    out_.signatures.push_back(std::move(sig));
  }

  const identity::Registry& registry_;
  EvidenceBundle& out_;
  std::string script_;
};

json Ms(int64_t ms) { return ms == 0 ? json(nullptr) : json(ms); }

std::string DeliveriesJson(const MessageEvidence& e) {
  json deliveries = json::array();
  for (const DeliveryStatus& d : e.deliveries) {
    std::string state(DeliveryStateName(d.state));
    std::replace(state.begin(), state.end(), '_', '-');
    deliveries.push_back({{"recipient", d.recipient},
                          {"state", state},
                          {"attempts", d.attempts},
                          {"delivery_seq", d.delivery_seq},
                          {"queued_ms", Ms(d.queued_ms)},
                          {"received_ms", Ms(d.received_ms)},
                          {"accepted_ms", Ms(d.accepted_ms)},
                          {"completed_ms", Ms(d.completed_ms)},
                          {"rejected_ms", Ms(d.rejected_ms)},
                          {"expired_ms", Ms(d.expired_ms)},
                          {"dead_lettered_ms", Ms(d.dead_lettered_ms)},
                          {"reason", d.reason}});
  }
  json doc = {{"message_id", e.id.ToHex()},
              {"gateway_seq", e.seq},
              {"sender", e.sender},
              {"kind", EnumName(static_cast<schema::MessageKind>(e.kind))},
              {"created_ms", Ms(e.created_ms)},
              {"accepted_ms", Ms(e.accepted_ms)},
              {"times", "Unix milliseconds, the gateway's clock (created_ms: the sender's)"},
              {"deliveries", deliveries}};
  return doc.dump(2) + "\n";
}

std::string AuditText(const MessageEvidence& e, const std::optional<AuditVerdict>& chain) {
  std::string text = "# Audit entries about message " + e.id.ToHex() +
                     " (docs/store.md, \"Audit chain\").\n# seq at_ms event detail hash\n";
  for (const AuditRecord& r : e.audit) {
    text += std::to_string(r.seq) + " " + std::to_string(r.at_ms) + " " + r.event + " " + r.detail + " " +
            AuditHashHex(r.hash) + "\n";
  }
  text += "# chain head when exported: " +
          (e.audit_head.seq > 0 ? std::to_string(e.audit_head.seq) + ":" + AuditHashHex(e.audit_head.hash)
                                : std::string("none")) +
          "\n";
  if (chain) {
    text += chain->intact ? "# chain checked when exported: intact, " + std::to_string(chain->checked) + " entries\n"
                          : "# chain checked when exported: BROKEN: " + chain->problem + "\n";
  }
  return text;
}

std::string Manifest(const std::vector<BundleFile>& files) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (const BundleFile& f : files) lines.emplace_back(f.path, crypto::HexEncode(crypto::Sha256(f.contents)));
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const auto& [path, hash] : lines) text += hash + "  " + path + "\n";
  return text;
}

}  // namespace

EvidenceBundle BuildEvidenceBundle(const MessageEvidence& evidence, const identity::Registry& registry,
                                   const std::optional<AuditVerdict>& chain) {
  EvidenceBundle bundle;
  Builder b(registry, bundle);
  b.Item("message", evidence.envelope,
         "message " + evidence.id.ToHex() + " (" + EnumName(static_cast<schema::MessageKind>(evidence.kind)) + ")");
  for (size_t i = 0; i < evidence.acknowledgements.size(); ++i) {
    const StoredAcknowledgement& a = evidence.acknowledgements[i];
    b.Item("acknowledgements/" + DirName(a.recipient, a.stage, i), a.envelope,
           "acknowledgement " + std::string(AckStageName(a.stage)) + " by " + a.recipient);
  }
  b.Add("deliveries.json", DeliveriesJson(evidence));
  b.Add("audit.txt", AuditText(evidence, chain));
  b.Add("VERIFY.sh", b.Script());
  b.Add("MANIFEST.txt", Manifest(bundle.files));
  return bundle;
}

}  // namespace regline::ctl
