#include "connectors/signature_verifier.h"

#include <kj/exception.h>

#include "gateway/core/log.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/frames.h"

namespace regline::connector {
namespace {

constexpr int64_t kRecheckMs = 1000;

}  // namespace

SignatureVerifier::SignatureVerifier(identity::Registry registry, std::string path, const Clock& clock)
    : registry_(std::move(registry)), clock_(clock) {
  if (!path.empty()) file_.emplace(std::move(path));
}

void SignatureVerifier::ReloadIfChanged() {
  if (!file_.has_value()) return;
  const int64_t now = clock_.NowMs();
  if (now < next_check_ms_) return;
  next_check_ms_ = now + kRecheckMs;
  std::optional<Result<identity::Registry>> loaded = file_->Poll();
  if (!loaded.has_value()) return;
  if (!loaded->ok()) {
    Log(LogLevel::kWarning, "registry_reload_failed",
        {{"path", file_->path()}, {"error", loaded->status().ToString()}});
    return;
  }
  registry_ = std::move(*loaded).value();
  Log(LogLevel::kInfo, "registry_reloaded",
      {{"path", file_->path()}, {"identities", std::to_string(registry_.identities().size())}});
}

Status SignatureVerifier::Verify(std::string_view envelope, size_t max_bytes) {
  ReloadIfChanged();
  Result<protocol::DecodedEnvelope> decoded = protocol::DecodedEnvelope::Parse(envelope, max_bytes);
  if (!decoded.ok()) return decoded.status();
  std::string sender, payload, what;
  identity::SignatureClaim claim;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    schema::Envelope::Reader e = decoded->get();
    sender = e.getSender().cStr();
    auto p = e.getPayload();
    payload.assign(reinterpret_cast<const char*>(p.begin()), p.size());
    if (e.hasSignature()) claim = protocol::FromWire(e.getSignature());
    what = "envelope " + protocol::FromWire(e.getId()).ToHex() + " from '" + sender + "'";
  });
  KJ_IF_MAYBE (e, failure) {
    return InvalidArgument(std::string("unreadable envelope: ") + e->getDescription().cStr());
  }
  return identity::VerifySignature(registry_, sender, claim, payload, what);
}

}  // namespace regline::connector
