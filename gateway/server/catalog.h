// The negative catalog on the gateway's side: what a CatalogUpdate or a
// ComplianceAttestation tells the store (the version terms, the attested
// version), and the catalog's content at any version, replayed from the
// stored updates (the ZeroMQ Guide's Clone pattern, kept durably: the
// history is the list of updates, the state is their replay).
//
// The terms functions and MakeCatalogSnapshotMessage are pure (any
// thread); CatalogAt reads the store and runs on its writer thread.
#pragma once

#include <capnp/message.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/catalog_ledger.h"
#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/frames.h"
#include "schemas/catalog.capnp.h"

namespace regline::server {

// For a catalog update: its version and base, after checking the update
// itself (kInvalidArgument naming the rule: entries with an id and a
// category, no id twice in one version, something to change). nullopt for
// other kinds.
Result<std::optional<CatalogVersionTerms>> CatalogTermsOf(int kind, std::string_view payload);

// For a compliance attestation with a catalogApplied item: the version it
// names (kInvalidArgument when the item names none). nullopt for other
// kinds and for attestations without such an item.
Result<std::optional<uint64_t>> AttestedCatalogVersionOf(int kind, std::string_view payload);

// The catalog at one version: entries by id.
class CatalogState {
 public:
  // Applies one update on top (added and changed replace, withdrawn go).
  void Apply(schema::CatalogUpdate::Reader update);
  size_t size() const { return entries_.size(); }
  // Fills `out` with every entry, sorted by id.
  void Fill(schema::CatalogSnapshot::Builder out) const;

 private:
  std::map<std::string, std::unique_ptr<capnp::MallocMessageBuilder>> entries_;
};

// The CatalogUpdate stored as message `seq` (a catalog_versions row's),
// decoded; kCorruption when the stored bytes do not read as one.
Result<protocol::Decoded<schema::CatalogUpdate>> StoredCatalogUpdate(Store& store, uint64_t seq);

// The catalog at `version` (0: the current one), replayed from the store,
// with the issuing office of that version. kNotFound for a version never
// published.
struct CatalogAtVersion {
  uint64_t version = 0;
  CatalogState state;
  std::unique_ptr<capnp::MallocMessageBuilder> issuer;  // an IssuingOffice root; null before version 1
};
Result<CatalogAtVersion> CatalogAt(Store& store, uint64_t version);

// The catch-up a platform asked for (Query.catalogSnapshot): the catalog at
// `at`, as a CatalogSnapshot from the gateway's own identity to `platform`
// (gateway_message.h), for Store::Submit. Pure; any thread.
Result<Submission> MakeCatalogSnapshotMessage(const CatalogAtVersion& at, const std::string& platform, int64_t now_ms,
                                              const std::string& gateway_identity, const identity::Signer* signer);

}  // namespace regline::server
