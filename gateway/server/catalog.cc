#include "gateway/server/catalog.h"

#include <set>

#include "gateway/protocol/frames.h"
#include "gateway/server/gateway_message.h"
#include "schemas/attestation.capnp.h"
#include "schemas/envelope.capnp.h"

namespace regline::server {
namespace {

std::string_view View(capnp::Data::Reader d) { return {reinterpret_cast<const char*>(d.begin()), d.size()}; }

Status CheckEntries(capnp::List<schema::CatalogEntry>::Reader entries, const char* list, std::set<std::string>& seen) {
  for (unsigned i = 0; i < entries.size(); ++i) {
    auto e = entries[i];
    const std::string where = std::string("catalog rule entries: ") + list + "[" + std::to_string(i) + "]";
    if (e.getId().size() == 0) return InvalidArgument(where + " has no id");
    if (e.getCategory() == schema::CatalogCategory::UNSPECIFIED) {
      return InvalidArgument(where + " (" + e.getId().cStr() + ") has no category");
    }
    if (!seen.insert(e.getId().cStr()).second) {
      return InvalidArgument(where + ": id " + e.getId().cStr() + " appears twice in this version");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::optional<CatalogVersionTerms>> CatalogTermsOf(int kind, std::string_view payload) {
  if (kind != static_cast<int>(schema::MessageKind::CATALOG_UPDATE)) return std::optional<CatalogVersionTerms>();
  Result<protocol::Decoded<schema::CatalogUpdate>> update =
      protocol::Decoded<schema::CatalogUpdate>::Parse(payload, payload.size());
  if (!update.ok()) return InvalidArgument("catalog update payload: " + update.status().message());
  Status checked = Status::Ok();
  CatalogVersionTerms terms;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    auto u = update->get();
    terms.version = u.getVersion();
    terms.base = u.getBaseVersion();
    std::set<std::string> seen;
    checked = CheckEntries(u.getAdded(), "added", seen);
    if (checked.ok()) checked = CheckEntries(u.getChanged(), "changed", seen);
    for (auto id : u.getWithdrawn()) {
      if (!checked.ok()) break;
      if (!seen.insert(id.cStr()).second) {
        checked =
            InvalidArgument(std::string("catalog rule entries: id ") + id.cStr() + " appears twice in this version");
      }
    }
    if (checked.ok() && seen.empty()) checked = InvalidArgument("catalog rule entries: the version changes nothing");
  });
  KJ_IF_MAYBE (e, failure) {
    return InvalidArgument(std::string("catalog update payload: ") + e->getDescription().cStr());
  }
  if (!checked.ok()) return checked;
  return std::optional<CatalogVersionTerms>(terms);
}

Result<std::optional<uint64_t>> AttestedCatalogVersionOf(int kind, std::string_view payload) {
  if (kind != static_cast<int>(schema::MessageKind::COMPLIANCE_ATTESTATION)) return std::optional<uint64_t>();
  Result<protocol::Decoded<schema::ComplianceAttestation>> attestation =
      protocol::Decoded<schema::ComplianceAttestation>::Parse(payload, payload.size());
  if (!attestation.ok()) return InvalidArgument("attestation payload: " + attestation.status().message());
  std::optional<uint64_t> version;
  Status checked = Status::Ok();
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    for (auto item : attestation->get().getItems()) {
      if (item.getKind() != schema::AttestationKind::CATALOG_APPLIED) continue;
      if (item.getCatalogVersion() == 0) {
        checked = InvalidArgument("attestation rule catalogApplied: the item must name the catalog version applied");
        return;
      }
      version = std::max<uint64_t>(version.value_or(0), item.getCatalogVersion());
    }
  });
  KJ_IF_MAYBE (e, failure) {
    return InvalidArgument(std::string("attestation payload: ") + e->getDescription().cStr());
  }
  if (!checked.ok()) return checked;
  return version;
}

void CatalogState::Apply(schema::CatalogUpdate::Reader update) {
  for (auto list : {update.getAdded(), update.getChanged()}) {
    for (auto e : list) {
      auto copy = std::make_unique<capnp::MallocMessageBuilder>();
      copy->setRoot(e);
      entries_[e.getId().cStr()] = std::move(copy);
    }
  }
  for (auto id : update.getWithdrawn()) entries_.erase(id.cStr());
}

void CatalogState::Fill(schema::CatalogSnapshot::Builder out) const {
  auto list = out.initEntries(static_cast<unsigned>(entries_.size()));
  unsigned i = 0;
  for (const auto& [id, entry] : entries_) list.setWithCaveats(i++, entry->getRoot<schema::CatalogEntry>().asReader());
}

Result<protocol::Decoded<schema::CatalogUpdate>> StoredCatalogUpdate(Store& store, uint64_t seq) {
  Result<std::string> envelope = store.EnvelopeOf(seq);
  if (!envelope.ok()) return envelope.status();
  Result<protocol::DecodedEnvelope> env = protocol::DecodedEnvelope::Parse(*envelope, envelope->size());
  if (!env.ok()) return Corruption("catalog message #" + std::to_string(seq) + ": " + env.status().message());
  const std::string_view payload = View(env->get().getPayload());
  Result<protocol::Decoded<schema::CatalogUpdate>> update =
      protocol::Decoded<schema::CatalogUpdate>::Parse(payload, payload.size());
  if (!update.ok()) return Corruption("catalog message #" + std::to_string(seq) + ": " + update.status().message());
  return update;
}

Result<CatalogAtVersion> CatalogAt(Store& store, uint64_t version) {
  Result<std::vector<CatalogVersionRow>> versions = store.CatalogVersions();
  if (!versions.ok()) return versions.status();
  const uint64_t current = versions->empty() ? 0 : versions->back().version;
  if (version == 0) version = current;
  if (version > current) {
    return NotFound("catalog version " + std::to_string(version) +
                    " was never published (current: " + std::to_string(current) + ")");
  }
  CatalogAtVersion out;
  out.version = version;
  for (const CatalogVersionRow& row : *versions) {
    if (row.version > version) break;
    Result<protocol::Decoded<schema::CatalogUpdate>> update = StoredCatalogUpdate(store, row.message_seq);
    if (!update.ok()) return update.status();
    out.state.Apply(update->get());
    out.issuer = std::make_unique<capnp::MallocMessageBuilder>();
    out.issuer->setRoot(update->get().getIssuer());
  }
  return out;
}

Result<Submission> MakeCatalogSnapshotMessage(const CatalogAtVersion& at, const std::string& platform, int64_t now_ms,
                                              const std::string& gateway_identity, const identity::Signer* signer) {
  capnp::MallocMessageBuilder payload;
  auto snapshot = payload.initRoot<schema::CatalogSnapshot>();
  snapshot.setVersion(at.version);
  snapshot.setTakenMs(now_ms);
  if (at.issuer) snapshot.setIssuer(at.issuer->getRoot<schema::IssuingOffice>().asReader());
  at.state.Fill(snapshot);
  GatewayMessage m;
  m.kind = schema::MessageKind::CATALOG_SNAPSHOT;
  m.payload = protocol::Encode(payload);
  m.recipient = platform;
  m.now_ms = now_ms;
  m.gateway_identity = &gateway_identity;
  m.signer = signer;
  return MakeGatewayMessage(m, "a catalog snapshot");
}

}  // namespace regline::server
