#include "connectors/catalog_order.h"

#include "gateway/protocol/frames.h"
#include "schemas/catalog.capnp.h"
#include "schemas/envelope.capnp.h"

namespace regline::connector {
namespace {

template <typename T, typename Read>
Result<CatalogPosition> PositionIn(capnp::Data::Reader payload, const char* what, Read read) {
  std::string_view bytes(reinterpret_cast<const char*>(payload.begin()), payload.size());
  Result<protocol::Decoded<T>> decoded = protocol::Decoded<T>::Parse(bytes, bytes.size());
  if (!decoded.ok()) return InvalidArgument(std::string(what) + " payload: " + decoded.status().message());
  CatalogPosition p;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() { p = read(decoded->get()); });
  KJ_IF_MAYBE (e, failure) {
    return InvalidArgument(std::string(what) + " payload: " + e->getDescription().cStr());
  }
  if (p.version == 0) return InvalidArgument(std::string(what) + " names catalog version 0");
  return p;
}

}  // namespace

Result<std::optional<CatalogPosition>> CatalogPositionOf(int kind, std::string_view envelope, size_t max_bytes) {
  const bool update = kind == static_cast<int>(schema::MessageKind::CATALOG_UPDATE);
  const bool snapshot = kind == static_cast<int>(schema::MessageKind::CATALOG_SNAPSHOT);
  if (!update && !snapshot) return std::optional<CatalogPosition>();
  Result<protocol::DecodedEnvelope> env = protocol::DecodedEnvelope::Parse(envelope, max_bytes);
  if (!env.ok()) return InvalidArgument("catalog message envelope: " + env.status().message());
  capnp::Data::Reader payload;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() { payload = env->get().getPayload(); });
  KJ_IF_MAYBE (e, failure) {
    return InvalidArgument(std::string("catalog message envelope: ") + e->getDescription().cStr());
  }
  Result<CatalogPosition> p =
      update ? PositionIn<schema::CatalogUpdate>(payload, "catalog update",
                                                 [](schema::CatalogUpdate::Reader u) {
                                                   return CatalogPosition{false, u.getVersion(), u.getBaseVersion()};
                                                 })
             : PositionIn<schema::CatalogSnapshot>(payload, "catalog snapshot", [](schema::CatalogSnapshot::Reader s) {
                 return CatalogPosition{true, s.getVersion(), 0};
               });
  if (!p.ok()) return p.status();
  return std::optional<CatalogPosition>(*p);
}

CatalogStep NextCatalogStep(const CatalogPosition& p, uint64_t held) {
  if (p.version <= held) return CatalogStep::kCovered;
  if (p.snapshot || p.base == held) return CatalogStep::kHandOver;
  // base < held < version cannot happen for a well-formed update
  // (version = base + 1); treat it like a gap: a snapshot settles it.
  return CatalogStep::kGap;
}

std::string CoveredReason(const CatalogPosition& p, uint64_t held) {
  return std::string("catalog ") + (p.snapshot ? "snapshot" : "update") + " v" + std::to_string(p.version) +
         " is covered: the platform already holds catalog v" + std::to_string(held);
}

std::string GapReason(const CatalogPosition& p, uint64_t held) {
  return "received catalog update v" + std::to_string(p.version) + " on base v" + std::to_string(p.base) +
         " while holding v" + std::to_string(held);
}

}  // namespace regline::connector
