// CatalogLedger: the negative catalog's version chain as the gateway's
// store keeps it, and which version each platform last attested it has
// applied. Tables `catalog_versions` and `catalog_applied` (schema version
// 5, docs/store.md). The entries themselves are in the stored CatalogUpdate
// envelopes (messages.envelope), which the ledger points to; replaying them
// gives the catalog at any version (gateway/server/catalog.h).
//
// The chain: version 1 is on base 0, and each later version is on the
// current (newest) version, as current + 1. Anything else is refused before
// it is stored, so two regulators publishing on the same base cannot both
// succeed: the second is told to publish on the first's version.
//
// Owned by the Store, called inside its transactions on its writer thread.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/message_id.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"

namespace regline {

struct CatalogVersionTerms {
  uint64_t version = 0;  // CatalogUpdate.version
  uint64_t base = 0;     // CatalogUpdate.baseVersion
};

struct CatalogVersionRow {
  uint64_t version = 0;
  uint64_t base = 0;
  uint64_t message_seq = 0;  // the CatalogUpdate message
  int64_t accepted_ms = 0;
  MessageId message_id;      // its envelope id
};

// A platform's latest catalog-applied attestation.
struct CatalogApplied {
  std::string platform;
  uint64_t version = 0;      // the version it attested
  int64_t attested_ms = 0;   // when the gateway accepted the attestation
  uint64_t message_seq = 0;  // the attestation message
  bool stale = false;        // older than the current version when accepted
};

class CatalogLedger {
 public:
  static Result<std::unique_ptr<CatalogLedger>> Open(Database& db);
  ~CatalogLedger();
  CatalogLedger(const CatalogLedger&) = delete;
  CatalogLedger& operator=(const CatalogLedger&) = delete;

  // The newest version; 0 before the first.
  Result<uint64_t> Current();
  // kFailedPrecondition unless terms.base is the current version and
  // terms.version is base + 1, naming the current version.
  Status CheckNext(const CatalogVersionTerms& terms);
  // Records version terms.version as message `seq` (CheckNext first).
  Status Record(const CatalogVersionTerms& terms, uint64_t seq, int64_t now);
  // Records `platform`'s attestation of `version` (message `seq`), replacing
  // its earlier one; returns whether it is stale (older than the current
  // version).
  Result<bool> RecordApplied(const std::string& platform, uint64_t version, uint64_t seq, int64_t now);
  // Every version, oldest first.
  Result<std::vector<CatalogVersionRow>> Versions();
  // Every platform's latest attestation, by platform.
  Result<std::vector<CatalogApplied>> Applied();

 private:
  struct Statements;
  explicit CatalogLedger(std::unique_ptr<Statements> s);
  std::unique_ptr<Statements> stmts_;
};

}  // namespace regline
