// Building what reglinectl sends: family payloads (Directive, CatalogUpdate,
// TaxAssistanceRequest, Acknowledgement, or any family from a JSON file)
// and the Envelope around them.
//
// The *Flags structs hold the command line's raw values (strings as typed,
// so that every conversion error can name its flag); the Build* functions
// check them, convert them and fill a Cap'n Proto builder the caller owns.
// Relative times ("--ack-within 10m") count from the `now_ms` the caller
// passes. Failures are kInvalidArgument naming the flag or the file and
// field; they are usage errors. Pure functions apart from reading the files
// named in flags; any thread.
//
// Envelopes are not signed yet: Envelope.signature stays unset until the
// console has signing keys (Ed25519 / SM2).
#pragma once

#include <capnp/schema.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/message_id.h"
#include "gateway/core/status.h"
#include "schemas/acknowledgement.capnp.h"
#include "schemas/catalog.capnp.h"
#include "schemas/directive.capnp.h"
#include "schemas/envelope.capnp.h"
#include "schemas/tax.capnp.h"

namespace regline::ctl {

// The instrument a directive rests on unless --instrument says otherwise.
inline constexpr std::string_view kMeasures = "网络直播营销管理办法（试行）";
// The instrument a tax-assistance request rests on unless --instrument says otherwise.
inline constexpr std::string_view kTaxLaw = "中华人民共和国税收征收管理法";

// The envelope flags every send command shares.
struct SendFlags {
  std::vector<std::string> to;  // recipient identities or groups (already split at commas)
  std::string expires_in;       // --expires-in: duration; empty = never expires
  std::string priority;         // --priority: low|normal|high|urgent; empty = normal
  std::string correlation;      // --correlation: message id; empty = none
};

struct EnvelopeHeader {
  MessageId id;  // zero = generate a time-ordered one at Seal
  std::string sender;
  std::vector<std::string> recipients;
  schema::MessageKind kind = schema::MessageKind::UNSPECIFIED;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  schema::Priority priority = schema::Priority::NORMAL;
  MessageId correlation_id;
};

// A serialized Envelope, ready for Client::Submit.
struct SealedEnvelope {
  MessageId id;
  schema::MessageKind kind = schema::MessageKind::UNSPECIFIED;
  std::string bytes;
};

// The header of a new message of `kind` from `sender`, created at now_ms.
// Needs at least one recipient in flags.to.
Result<EnvelopeHeader> MakeHeader(const SendFlags& flags, schema::MessageKind kind, std::string_view sender,
                                  int64_t now_ms);

// Puts `payload` (a serialized family struct) into an Envelope.
Result<SealedEnvelope> Seal(const EnvelopeHeader& header, std::string_view payload);

// The struct a payload of `kind` holds (Directive for directive, ...);
// kInvalidArgument for unspecified and unknown kinds.
Result<capnp::StructSchema> PayloadSchema(schema::MessageKind kind);

struct DirectiveFlags {
  std::vector<std::string> to;                  // the envelope's recipients; one platform also sets platformId
  std::string action;                           // kebab DirectiveAction, required
  std::string subject_kind = "whole-platform";  // whole-platform|live-room|account|marketer|product|mcn-agency
  std::string subject_id;                       // room, account, product id; agency USCC; marketer's account id
  std::string subject_name;                     // room title, nickname, marketer's or agency's name, product title
  std::string marketer_role = "live-marketer";  // for --subject-kind marketer
  std::string department;                       // kebab Department (any case: SAMR), required
  std::string region;                           // issuer region code, six digits; empty = national
  std::string office_name;
  std::string reference;
  std::string instrument = std::string(kMeasures);
  int64_t article = -1;  // required; 0 = the instrument as a whole
  std::string clause;
  std::string severity;         // kebab Severity, required
  std::string effective_in;     // duration; empty = on receipt
  std::string ack_within;       // duration; empty = policy default
  std::string complete_within;  // duration; empty = policy default
  std::string rationale;        // required
  std::string case_contact;
  std::string supersedes;  // message id
  std::string revokes;     // message id
  // ActionParameters; each is refused for actions that do not use it.
  std::string duration;
  int64_t retention_days = -1;
  std::vector<std::string> functions;
  int64_t traffic_reduction = -1;
  std::string user_text;
  std::string information;
  std::string requirements;
  std::string inspection_scope;
};

Status BuildDirective(const DirectiveFlags& flags, int64_t now_ms, schema::Directive::Builder out);

struct CatalogFlags {
  int64_t version = -1;     // required, >= 1
  int64_t base = -1;        // -1 = version - 1
  std::string add_file;     // JSON array of CatalogEntry
  std::string change_file;  // JSON array of CatalogEntry
  std::vector<std::string> withdraw;
  std::string notes;
  std::string department = "samr";
  std::string region;
  std::string office_name;
};

Status BuildCatalogUpdate(const CatalogFlags& flags, int64_t now_ms, schema::CatalogUpdate::Builder out);

struct TaxRequestFlags {
  std::string platform;  // the one platform asked (--to)
  std::string department = "sta";
  std::string region;
  std::string office_name;
  std::string reference;
  std::string subject_name;  // required
  std::string subject_role = "live-marketer";
  std::string subject_uscc;
  std::vector<std::string> accounts;
  std::string period;               // required, FIRST..LAST
  std::vector<std::string> fields;  // required, kebab TaxField
  bool monthly = false;
  std::string instrument = std::string(kTaxLaw);
  int64_t article = -1;  // -1 = no legal basis given
  std::string clause;
  std::string respond_within = "15d";
  std::string notes;
};

Status BuildTaxRequest(const TaxRequestFlags& flags, int64_t now_ms, schema::TaxAssistanceRequest::Builder out);

struct AckFlags {
  std::string message_id;       // the acknowledged message, required
  std::string stage;            // kebab AckStage, required
  std::string original_sender;  // required: the acknowledgement goes back to it
  std::string original_kind = "directive";
  std::string reason_code;  // kebab RejectReason; for rejected
  std::string reason;
  std::string actions_taken;  // for completed
};

// The Acknowledgement payload for `flags`, reached at now_ms.
Status BuildAcknowledgement(const AckFlags& flags, int64_t now_ms, schema::Acknowledgement::Builder out);

// Reads the family struct of `kind` from the JSON file `path` and seals it
// with `header` (whose kind must be `kind`).
Result<SealedEnvelope> EnvelopeFromPayloadFile(const std::string& path, const EnvelopeHeader& header);

// `submit --file`: the file holds either a whole Envelope in JSON (it has a
// "payload" member, base64) or the payload of `kind` in JSON. For an
// Envelope, a zero id, empty sender, zero createdMs and schemaVersion are
// filled in, flags.to replaces the recipients when given, and `kind` (if
// given) must match; the payload must decode as its kind. For a payload,
// `kind` and flags.to are required.
Result<SealedEnvelope> EnvelopeFromFile(const std::string& path, std::string_view kind, const SendFlags& flags,
                                        std::string_view sender, int64_t now_ms);

}  // namespace regline::ctl
