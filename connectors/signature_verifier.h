// SignatureVerifier: the connector's check that a delivered message was
// signed by its sender with a key registered to it, before the platform's
// systems see it. The gateway checked the same already; the connector
// checks again against its own copy of the registry, so that the platform
// does not have to trust the gateway's word for who issued a directive.
//
// Holds the registry copy it was given and rereads the file when it
// changes (identity::RegistryFile, looked at no more than once a second); a file
// that does not load is logged (registry_reload_failed) and the copy in
// force stays. Not synchronized: one thread (the sink worker) uses it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/clock.h"
#include "gateway/core/status.h"
#include "gateway/identity/registry.h"

namespace regline::connector {

class SignatureVerifier {
 public:
  // `registry` as loaded from `path` (empty path: never reread).
  SignatureVerifier(identity::Registry registry, std::string path, const Clock& clock);

  // ok when `envelope`'s signature is its sender's, over its payload, with
  // a registered, unrevoked key (identity::VerifySignature).
  // kInvalidSignature naming what failed (absent, unknown signer or key,
  // does not verify...), kInvalidArgument for an unreadable envelope.
  Status Verify(std::string_view envelope, size_t max_bytes);

  const identity::Registry& registry() const { return registry_; }

 private:
  void ReloadIfChanged();

  identity::Registry registry_;
  std::optional<identity::RegistryFile> file_;  // when a path was given
  const Clock& clock_;
  int64_t next_check_ms_ = 0;
};

}  // namespace regline::connector
