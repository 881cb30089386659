// Realistic sample messages of every Regline message family, for tests.
//
// Each Build* function fills a builder that the caller owns with one fixed,
// documented example (the values are listed next to each function, so tests
// can assert on them). The byte helpers serialize with the framing the
// protocol uses: standard unpacked Cap'n Proto serialization.
//
// Test-only code: linked into test executables, never into the gateway.
// Stateless; any thread may call any function.

#ifndef REGLINE_SCHEMAS_SCHEMA_SAMPLES_H_
#define REGLINE_SCHEMAS_SCHEMA_SAMPLES_H_

#include <capnp/message.h>
#include <kj/array.h>

#include <cstdint>

#include "schemas/acknowledgement.capnp.h"
#include "schemas/agreement.capnp.h"
#include "schemas/attestation.capnp.h"
#include "schemas/catalog.capnp.h"
#include "schemas/common.capnp.h"
#include "schemas/complaints.capnp.h"
#include "schemas/directive.capnp.h"
#include "schemas/envelope.capnp.h"
#include "schemas/escalation.capnp.h"
#include "schemas/tax.capnp.h"

namespace regline::schema::samples {

// 2024-05-01T20:13:00+08:00, the instant the sample directive is issued.
inline constexpr int64_t kIssuedMs = 1714565580000;
inline constexpr int64_t kHourMs = 3600 * 1000;
inline constexpr int64_t kDayMs = 24 * kHourMs;

// Sets `id` to {hi, lo}.
void SetId(MessageId::Builder id, uint64_t hi, uint64_t lo);

// Sets `digest` to `algorithm` and the 32 bytes seed, seed+1, ..., seed+31.
void SetDigest(Digest::Builder digest, DigestAlgorithm algorithm, uint8_t seed);

// SAMR Shanghai (310000) orders platform "douyin" to suspend live room
// "8812" (account "acc-77001", nickname "小杨好物") for 7 days: Measures
// Art. 18 clause "第一款第（二）项", severity high, ack deadline +2 h,
// completion deadline +24 h, one attachment "责令整改通知书.pdf" with an SM3
// digest seeded 0x10. Reference "沪市监网监〔2024〕12号".
void BuildSuspendBroadcastDirective(Directive::Builder directive);
// The same directive as a gateway running now accepts it: its effective
// time and both deadlines cleared, so that the gateway tracks its policy's
// defaults from acceptance (the sample's own times lie in 2024, which a
// gateway refuses as past).
void BuildSuspendBroadcastDirectiveNow(Directive::Builder directive);

// Catalog version 2 on base 1 from SAMR (national): adds "NC-0102" (class III
// medical devices, unsuitableForLiveMarketing, keywords "第三类医疗器械",
// "植入", "隐形眼镜"), changes "NC-0042" (prohibitedOnline), withdraws
// "NC-0007".
void BuildCatalogUpdateV2(CatalogUpdate::Builder update);

// The whole catalog at version 2: entries "NC-0042" and "NC-0102".
void BuildCatalogSnapshotV2(CatalogSnapshot::Builder snapshot);

// STA Zhejiang (330000) asks "douyin" about live marketer "张某" (salted
// SM3 digest, account "acc-90210") for 2023-07-01..2024-01-01 (UTC+8):
// income, commission, remunerationAccount, monthly; legal basis the Tax
// Collection Administration Law Art. 57; reference "浙税协〔2024〕7号";
// deadline kIssuedMs + 15 days.
void BuildTaxAssistanceRequest(TaxAssistanceRequest::Builder request);

// "douyin"'s complete answer to the request with id {0x7a, 0x2}: income
// 12,345,678.90 CNY (1234567890 fen, laborRemuneration), commission
// 2,000,000.00 CNY, one ICBC account held by the subject.
void BuildTaxAssistanceResponse(TaxAssistanceResponse::Builder response);

// "douyin" completed directive {0xd1, 0x1} from "samr-310000": room 8812
// suspended; two SHA-256 evidence digests seeded 0x40 and 0x60.
void BuildDirectiveCompleted(Acknowledgement::Builder ack);

// "douyin"'s complaint figures for April 2024 (UTC+8): falseOrMisleading
// 1200/1100/990, refundRefusedOrDelayed 800/790/700, minors 15/15/15;
// 17 cross-platform disputes assisted; median 2 days; in-time limit 7 days.
void BuildComplaintStatistics(ComplaintStatistics::Builder statistics);

// "douyin"'s attestation for 2024 H1: catalogApplied at version 2
// (satisfied), keyRoomInspection (satisfied), taxReportSubmitted (not
// satisfied, detail says why). Signed by "王某", "合规负责人".
void BuildComplianceAttestation(ComplianceAttestation::Builder attestation);

// Agreement "MCN-2024-0031" of agency 91350100M000100Y43 with natural
// person "李某" (liveMarketer, identity number 11010519491231002X as
// submitted, born 1949-12-31) and organization 91110000802100433B
// (liveRoomOperator), for "douyin" and "kuaishou", all three required
// clauses, valid one year from kIssuedMs, document digest SM3 seeded 0x20,
// a small PDF document, Ed25519 party signatures.
void BuildSignedAgreement(SignedAgreement::Builder agreement);

// The gateway's first escalation of directive {0xd1, 0x1} to "douyin":
// completion missed (last stage accepted) by 3 hours.
void BuildEscalation(Escalation::Builder escalation);

// Serializes `message` with standard unpacked framing.
kj::Array<kj::byte> ToBytes(capnp::MessageBuilder& message);

// Copies serialized bytes into a word-aligned buffer, as a receiver must
// before capnp::FlatArrayMessageReader (ZeroMQ buffers need not be aligned).
// REQUIRES: bytes.size() is a multiple of 8, as every serialized message is.
kj::Array<capnp::word> AlignedCopy(kj::ArrayPtr<const kj::byte> bytes);

// Fills `envelope` as sender "samr-310000" would send `payload` of `kind`
// to "douyin" and "all-platforms": id {0xe1, 0x5}, created kIssuedMs,
// expires +30 days, priority high, correlation {0xc0, 0x7}, schemaVersion
// currentSchemaVersion, and an Ed25519 signature (64 bytes seeded 0x80,
// keyId "samr-310000-2024") standing in for one over `payload`.
void BuildEnvelope(Envelope::Builder envelope, MessageKind kind,
                   kj::ArrayPtr<const kj::byte> payload);

}  // namespace regline::schema::samples

#endif  // REGLINE_SCHEMAS_SCHEMA_SAMPLES_H_
