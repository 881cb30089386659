// OpenSSL handles for regline_crypto: one move-only owner per C type that
// the library holds (EVP_PKEY, EVP_PKEY_CTX, EVP_MD_CTX, BIO, OSSL_PARAM
// arrays, ECDSA_SIG), and the helpers that turn OpenSSL's error queue and
// its SM2 key-type quirk into values.
//
// Internal to gateway/crypto: other modules use signing.h, which hides
// OpenSSL. Owners are plain std::unique_ptr with the matching *_free; they
// are as thread-safe as the object they own (an EVP_PKEY may be used by
// many threads at once for signing and verifying, the others not at all).
// OpenSSL's error queue is per thread, so TakeOpenSslErrors() may be called
// from any thread and reads only that thread's errors.
#pragma once

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>
#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace regline::crypto {

namespace internal {
template <auto free_fn>
struct Free {
  template <typename T>
  void operator()(T* p) const {
    free_fn(p);
  }
};
}  // namespace internal

using EvpPkey = std::unique_ptr<EVP_PKEY, internal::Free<EVP_PKEY_free>>;
using EvpPkeyCtx = std::unique_ptr<EVP_PKEY_CTX, internal::Free<EVP_PKEY_CTX_free>>;
using EvpMdCtx = std::unique_ptr<EVP_MD_CTX, internal::Free<EVP_MD_CTX_free>>;
using Bio = std::unique_ptr<BIO, internal::Free<BIO_free_all>>;
using OsslParams = std::unique_ptr<OSSL_PARAM, internal::Free<OSSL_PARAM_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, internal::Free<ECDSA_SIG_free>>;

// Empties this thread's OpenSSL error queue and returns its entries as
// "reason; reason" ("no details from OpenSSL" when it was empty).
std::string TakeOpenSslErrors();

// kInternal (OpenSSL failed where it should not have) naming `what` and the
// drained error queue.
Status OpenSslFailure(std::string_view what);

// A memory BIO reading `text` (not copied: `text` must outlive the BIO).
Bio ReadOnlyBio(std::string_view text);

// Everything written to a memory BIO so far.
std::string BioContents(BIO* bio);

// OpenSSL 3 has two key types for a key on the SM2 curve: "SM2", which
// signs and verifies SM2 (with a distinguishing id), and "EC", which
// silently signs ECDSA instead and refuses a distinguishing id. Decoders of
// some 3.0 releases, and EVP_PKEY_Q_keygen(..., "EC", "SM2"), give the
// latter. If `key` is an "EC" key on the SM2 curve, replaces it with an
// "SM2" key holding the same key material (`selection` is
// EVP_PKEY_PUBLIC_KEY or EVP_PKEY_KEYPAIR: what to carry over); any other
// key is left as it is. kInternal if OpenSSL cannot convert it.
Status AdoptSm2KeyType(EvpPkey& key, int selection);

}  // namespace regline::crypto
