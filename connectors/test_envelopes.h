// Test-only helpers: envelopes around the schema samples, built as a
// regulator console or a platform would send them. Header-only; used by the
// connector's unit tests and its end-to-end suites, never by the daemon.
#pragma once

#include <capnp/message.h>

#include <string>
#include <vector>

#include "gateway/core/message_id.h"
#include "gateway/protocol/frames.h"
#include "schemas/schema_samples.h"

namespace regline::connector::testing {

// The sample payload of `kind` (schema_samples.h), serialized.
inline std::string SamplePayload(schema::MessageKind kind) {
  namespace samples = schema::samples;
  capnp::MallocMessageBuilder m;
  switch (kind) {
    case schema::MessageKind::DIRECTIVE:
      samples::BuildSuspendBroadcastDirectiveNow(m.initRoot<schema::Directive>());
      break;
    case schema::MessageKind::CATALOG_UPDATE:
      samples::BuildCatalogUpdateV2(m.initRoot<schema::CatalogUpdate>());
      break;
    case schema::MessageKind::TAX_ASSISTANCE_REQUEST:
      samples::BuildTaxAssistanceRequest(m.initRoot<schema::TaxAssistanceRequest>());
      break;
    case schema::MessageKind::COMPLAINT_STATISTICS:
      samples::BuildComplaintStatistics(m.initRoot<schema::ComplaintStatistics>());
      break;
    case schema::MessageKind::COMPLIANCE_ATTESTATION:
      samples::BuildComplianceAttestation(m.initRoot<schema::ComplianceAttestation>());
      break;
    default:
      return "not a sample";
  }
  return protocol::Encode(m);
}

// Catalog version `version` on `base` (the sample update's issuer) adding
// entry `add`, and withdrawing `withdraw` when given.
inline std::string CatalogUpdatePayload(uint64_t version, uint64_t base, const std::string& add,
                                        const std::string& withdraw = "") {
  capnp::MallocMessageBuilder m;
  auto u = m.initRoot<schema::CatalogUpdate>();
  schema::samples::BuildCatalogUpdateV2(u);
  u.setVersion(version);
  u.setBaseVersion(base);
  u.disownChanged();
  if (withdraw.empty()) {
    u.disownWithdrawn();
  } else {
    u.initWithdrawn(1).set(0, withdraw);
  }
  u.getAdded()[0].setId(add);
  return protocol::Encode(m);
}

// A serialized envelope from `sender` to `recipients` with `payload`.
inline std::string MakeEnvelope(const std::string& sender, const MessageId& id, std::vector<std::string> recipients,
                                schema::MessageKind kind, const std::string& payload,
                                schema::Priority priority = schema::Priority::NORMAL) {
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Envelope>();
  protocol::ToWire(id, e.initId());
  e.setSender(sender);
  auto r = e.initRecipients(static_cast<unsigned>(recipients.size()));
  for (unsigned i = 0; i < recipients.size(); ++i) r.set(i, recipients[i]);
  e.setKind(kind);
  e.setCreatedMs(schema::samples::kIssuedMs);
  e.setPriority(priority);
  e.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
  e.setSchemaVersion(schema::CURRENT_SCHEMA_VERSION);
  return protocol::Encode(m);
}

// A directive from "samr-console" to "douyin" with the sample payload.
inline std::string DirectiveEnvelope(const MessageId& id) {
  return MakeEnvelope("samr-console", id, {"douyin"}, schema::MessageKind::DIRECTIVE,
                      SamplePayload(schema::MessageKind::DIRECTIVE), schema::Priority::HIGH);
}

// DirectiveEnvelope with a rationale that makes it about `bytes` long (for
// tests that fill a disk).
inline std::string LargeDirectiveEnvelope(const MessageId& id, size_t bytes) {
  capnp::MallocMessageBuilder m;
  auto d = m.initRoot<schema::Directive>();
  schema::samples::BuildSuspendBroadcastDirectiveNow(d);
  d.setRationale(std::string(bytes, 'r'));
  return MakeEnvelope("samr-console", id, {"douyin"}, schema::MessageKind::DIRECTIVE, protocol::Encode(m),
                      schema::Priority::HIGH);
}

// "douyin"'s sample complaint statistics for "samr-console".
inline std::string ComplaintStatisticsEnvelope(const MessageId& id) {
  return MakeEnvelope("douyin", id, {"samr-console"}, schema::MessageKind::COMPLAINT_STATISTICS,
                      SamplePayload(schema::MessageKind::COMPLAINT_STATISTICS), schema::Priority::LOW);
}

}  // namespace regline::connector::testing
