#include "gateway/crypto/evp.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <climits>

namespace regline::crypto {

std::string TakeOpenSslErrors() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? "no details from OpenSSL" : text;
}

Status OpenSslFailure(std::string_view what) { return Internal(std::string(what) + " failed: " + TakeOpenSslErrors()); }

Bio ReadOnlyBio(std::string_view text) {
  if (text.size() > INT_MAX) return nullptr;
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

Status AdoptSm2KeyType(EvpPkey& key, int selection) {
  if (!EVP_PKEY_is_a(key.get(), "EC")) return Status::Ok();
  char group[64] = {};
  size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len) != 1) {
    TakeOpenSslErrors();
    return Status::Ok();  // an EC key without a named group is not an SM2 key
  }
  if (std::string_view(group, group_len) != "SM2") return Status::Ok();
  OSSL_PARAM* raw_params = nullptr;
  if (EVP_PKEY_todata(key.get(), selection, &raw_params) != 1) return OpenSslFailure("exporting an SM2-curve EC key");
  OsslParams params(raw_params);
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  EVP_PKEY* raw_sm2 = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw_sm2, selection, params.get()) != 1) {
    return OpenSslFailure("importing an SM2-curve EC key as an SM2 key");
  }
  key.reset(raw_sm2);
  return Status::Ok();
}

}  // namespace regline::crypto
