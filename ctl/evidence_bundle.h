// Evidence bundle: the files `reglinectl evidence export` writes for one
// message, built in memory from what the store holds (MessageEvidence) and
// the signers' public keys in the identity registry. Layout and the openssl
// commands that check it: docs/evidence.md, "Evidence export".
//
//   message/                 envelope.bin payload.bin signature.bin signer.pub
//                            signature.txt payload.json
//   acknowledgements/R-STAGE/  the same, for each signed acknowledgement
//   deliveries.json          each recipient's stages and times
//   audit.txt                the message's audit entries and the chain head
//   VERIFY.sh                the stock openssl command for every signature
//   MANIFEST.txt             SHA-256 of every other file (sha256sum -c)
//
// Pure: no files are touched here. Any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gateway/core/audit_chain.h"
#include "gateway/core/store_evidence.h"
#include "gateway/identity/registry.h"

namespace regline::ctl {

struct BundleFile {
  std::string path;  // relative to the bundle's directory, '/'-separated
  std::string contents;
};

// One signed thing in the bundle and what the exporter found when it
// checked the signature itself (the bundle's VERIFY.sh checks it again
// with openssl, independently of Regline).
struct BundleSignature {
  std::string item;       // "message" or "acknowledgements/douyin-accepted"
  std::string signer;     // as the signature names it; empty: not signed
  std::string key_id;
  std::string algorithm;  // "ed25519" | "sm2-sm3" (the registered key's); empty when unknown
  bool verified = false;  // the signature holds over payload.bin with signer.pub
  std::string problem;    // why not, when not verified
};

struct EvidenceBundle {
  std::vector<BundleFile> files;  // MANIFEST.txt last
  std::vector<BundleSignature> signatures;
};

// Every file of the bundle for `evidence`. Signer keys are looked up in
// `registry` by the signature's signer and key id (revoked keys too: what
// they signed stays evidence). `chain` is audit verify's verdict on the
// whole chain when it could be had, for audit.txt.
EvidenceBundle BuildEvidenceBundle(const MessageEvidence& evidence, const identity::Registry& registry,
                                   const std::optional<AuditVerdict>& chain);

}  // namespace regline::ctl
