// submit (any family from JSON), agreement sign and submit (MCN agencies),
// and the platform side sent directly: ack, report complaints, attest, tax
// answer. (The platform connector will normally send the platform side.)
#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <sys/stat.h>

#include <algorithm>

#include "ctl/commands.h"
#include "ctl/json_input.h"
#include "ctl/parse.h"
#include "gateway/core/files.h"
#include "gateway/crypto/signing.h"
#include "gateway/identity/registry.h"
#include "schemas/agreement.capnp.h"

namespace regline::ctl {
namespace {

using schema::MessageKind;

// Who usually sends a kind, for --role's default.
std::string UsualSenderRole(MessageKind kind) {
  switch (kind) {
    case MessageKind::TAX_ASSISTANCE_RESPONSE:
    case MessageKind::COMPLAINT_STATISTICS:
    case MessageKind::COMPLIANCE_ATTESTATION:
    case MessageKind::ACKNOWLEDGEMENT:
      return "platform";
    case MessageKind::SIGNED_AGREEMENT:
      return "mcn-agency";
    default:
      return "regulator";
  }
}

void AddSubmit(CLI::App& app, Console& console) {
  CLI::App* submit = app.add_subcommand("submit", "Submit any message family from a JSON file");
  auto s = std::make_shared<SendFlags>();
  auto file = std::make_shared<std::string>();
  auto kind = std::make_shared<std::string>();
  submit->add_option("--file", *file, "An Envelope in JSON (with a base64 \"payload\"), or a payload of --kind")
      ->required()
      ->type_name("FILE");
  submit->add_option("--kind", *kind, "The payload's kind: " + JoinChoices(EnumNames<MessageKind>()))
      ->type_name("KIND");
  submit->add_option("--to", s->to, "Recipients, comma-separated (required for a payload; replaces an envelope's)")
      ->delimiter(',')
      ->type_name("NAME[,NAME...]");
  submit->add_option("--expires-in", s->expires_in, "For a payload: expiry from now (e.g. 24h)")->type_name("DURATION");
  submit->add_option("--priority", s->priority, "For a payload: low, normal (default), high or urgent")
      ->type_name("PRIORITY");
  submit->add_option("--correlation", s->correlation, "For a payload: the message this one follows up")
      ->type_name("MESSAGE_ID");
  submit->callback([&console, s, file, kind] {
    console.Then([&console, s, file, kind] {
      if (*kind == "acknowledgement") {
        return console.Fail(InvalidArgument("--kind acknowledgement: acknowledgements go with `reglinectl ack`"));
      }
      Result<SealedEnvelope> sealed = EnvelopeFromFile(*file, *kind, *s, console.options().identity, console.NowMs());
      if (sealed.ok()) console.SetUsualRole(UsualSenderRole(sealed->kind));
      return SubmitAndReport(console, sealed);
    });
  });
}

// A platform report: the payload of `kind` from --file, to --to.
void AddReport(CLI::App* parent, const std::string& name, const std::string& description, MessageKind kind,
               Console& console) {
  CLI::App* command = parent->add_subcommand(name, description);
  auto s = std::make_shared<SendFlags>();
  auto file = std::make_shared<std::string>();
  AddSendFlags(command, *s);
  command->add_option("--file", *file, "The " + EnumName(kind) + " in JSON (Cap'n Proto's JSON mapping)")
      ->required()
      ->type_name("FILE");
  command->callback([&console, s, file, kind] {
    console.Then([&console, s, file, kind] {
      console.SetUsualRole("platform");
      Result<EnvelopeHeader> header = MakeHeader(*s, kind, console.options().identity, console.NowMs());
      if (!header.ok()) return console.Fail(header.status());
      return SubmitAndReport(console, EnvelopeFromPayloadFile(*file, *header));
    });
  });
}

Result<SealedEnvelope> TaxAnswer(const std::string& path, const std::string& request, const EnvelopeHeader& base) {
  Result<MessageId> request_id = ParseMessageId("--request", request);
  if (!request_id.ok()) return request_id.status();
  capnp::MallocMessageBuilder message;
  auto response = message.initRoot<schema::TaxAssistanceResponse>();
  REGLINE_RETURN_IF_ERROR(DecodeJsonFile(path, response));
  MessageId in_file = protocol::FromWire(response.getRequestId());
  if (in_file.IsZero()) protocol::ToWire(*request_id, response.initRequestId());
  if (!in_file.IsZero() && in_file != *request_id) {
    return InvalidArgument(path + ": requestId " + in_file.ToHex() + " is not --request " + request_id->ToHex());
  }
  EnvelopeHeader header = base;
  header.correlation_id = *request_id;
  return Seal(header, protocol::Encode(message));
}

void AddTaxAnswer(CLI::App& app, Console& console) {
  CLI::App* answer =
      Group(app, "tax", "Tax assistance")->add_subcommand("answer", "Answer a tax-assistance request (platforms)");
  auto s = std::make_shared<SendFlags>();
  auto file = std::make_shared<std::string>();
  auto request = std::make_shared<std::string>();
  AddSendFlags(answer, *s);
  answer->add_option("--request", *request, "Id of the request answered")->required()->type_name("MESSAGE_ID");
  answer->add_option("--file", *file, "The TaxAssistanceResponse in JSON")->required()->type_name("FILE");
  answer->callback([&console, s, file, request] {
    console.Then([&console, s, file, request] {
      console.SetUsualRole("platform");
      Result<EnvelopeHeader> header =
          MakeHeader(*s, MessageKind::TAX_ASSISTANCE_RESPONSE, console.options().identity, console.NowMs());
      if (!header.ok()) return console.Fail(header.status());
      return SubmitAndReport(console, TaxAnswer(*file, *request, *header));
    });
  });
}

Result<SealedEnvelope> Agreement(const std::string& path, const SendFlags& flags, std::string_view sender,
                                 int64_t now_ms) {
  capnp::MallocMessageBuilder message;
  auto agreement = message.initRoot<schema::SignedAgreement>();
  REGLINE_RETURN_IF_ERROR(DecodeJsonFile(path, agreement));
  SendFlags with_recipients = flags;
  if (with_recipients.to.empty()) {
    for (auto platform : agreement.getPlatforms()) with_recipients.to.emplace_back(platform.cStr());
  }
  if (with_recipients.to.empty()) return InvalidArgument(path + ": platforms: none (or give --to)");
  Result<EnvelopeHeader> header = MakeHeader(with_recipients, MessageKind::SIGNED_AGREEMENT, sender, now_ms);
  if (!header.ok()) return header.status();
  return Seal(*header, protocol::Encode(message));
}

void AddAgreementSubmit(CLI::App& app, Console& console) {
  CLI::App* submit = Group(app, "agreement", "MCN agencies' signed agreements")
                         ->add_subcommand("submit", "File a signed agreement (MCN agencies)");
  auto s = std::make_shared<SendFlags>();
  auto file = std::make_shared<std::string>();
  submit->add_option("--file", *file, "The SignedAgreement in JSON")->required()->type_name("FILE");
  submit->add_option("--to", s->to, "Recipients (default: the agreement's platforms)")
      ->delimiter(',')
      ->type_name("NAME[,NAME...]");
  submit->callback([&console, s, file] {
    console.Then([&console, s, file] {
      console.SetUsualRole("mcn-agency");
      return SubmitAndReport(console, Agreement(*file, *s, console.options().identity, console.NowMs()));
    });
  });
}

struct AgreementSignFlags {
  std::string file;
  std::string key;
  int party = -1;  // -1: not given
  bool agency = false;
  std::string signer;
  std::string document;
};

kj::ArrayPtr<const kj::byte> BytesOf(const std::string& s) {
  return kj::arrayPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

std::string StringOf(capnp::Data::Reader d) { return std::string(reinterpret_cast<const char*>(d.begin()), d.size()); }

// Who has signed `agreement` so far, e.g. "parties[0], agencySignature";
// empty if nobody has.
std::string SignedSoFar(schema::SignedAgreement::Reader agreement) {
  std::string who;
  auto add = [&who](const std::string& name) { who += (who.empty() ? "" : ", ") + name; };
  for (unsigned i = 0; i < agreement.getParties().size(); ++i) {
    if (agreement.getParties()[i].getSignature().getBytes().size() != 0) add("parties[" + std::to_string(i) + "]");
  }
  if (agreement.getAgencySignature().getBytes().size() != 0) add("agencySignature");
  return who;
}

// Sets document and documentDigest from --document, or checks the digest
// already in the file; leaves documentDigest as what is to be signed.
Status SetDocumentDigest(const AgreementSignFlags& f, schema::SignedAgreement::Builder agreement) {
  auto digest = agreement.getDocumentDigest();
  if (!f.document.empty()) {
    Result<std::string> document = ReadTextFile(f.document);
    if (!document.ok()) return document.status().WithContext("--document");
    const std::string sha256 = crypto::Sha256(*document);
    const std::string before = StringOf(digest.asReader().getBytes());
    const std::string signed_so_far = SignedSoFar(agreement.asReader());
    if (!before.empty() && before != sha256 && !signed_so_far.empty()) {
      return InvalidArgument("--document: " + f.document + " is not the document " + signed_so_far +
                             " signed (its SHA-256 differs from documentDigest); nothing written");
    }
    agreement.setDocument(BytesOf(*document));
    digest = agreement.initDocumentDigest();
    digest.setAlgorithm(schema::DigestAlgorithm::SHA256);
    digest.setBytes(BytesOf(sha256));
    return Status::Ok();
  }
  if (digest.getBytes().size() == 0 && agreement.getDocument().size() != 0 &&
      digest.getAlgorithm() == schema::DigestAlgorithm::UNSPECIFIED) {
    digest.setAlgorithm(schema::DigestAlgorithm::SHA256);
    digest.setBytes(BytesOf(crypto::Sha256(StringOf(agreement.asReader().getDocument()))));
  }
  if (digest.getBytes().size() != 32) {
    return InvalidArgument(f.file + ": documentDigest: no 32-byte digest to sign; give --document FILE");
  }
  // A digest that is not the document's would be signed in vain.
  const std::string document = StringOf(agreement.asReader().getDocument());
  const auto algorithm = digest.getAlgorithm();
  if (!document.empty() &&
      (algorithm == schema::DigestAlgorithm::SHA256 || algorithm == schema::DigestAlgorithm::SM3)) {
    const std::string actual =
        algorithm == schema::DigestAlgorithm::SM3 ? crypto::Sm3(document) : crypto::Sha256(document);
    if (actual != StringOf(digest.asReader().getBytes())) {
      return InvalidArgument(f.file + ": documentDigest is not the digest of document; give --document FILE");
    }
  }
  return Status::Ok();
}

Result<Rendered> SignAgreementFile(const AgreementSignFlags& f, const std::string& identity, int64_t now_ms) {
  if ((f.party >= 0) == f.agency) return InvalidArgument("give exactly one of --party N and --agency");
  Result<crypto::PrivateKey> key = crypto::PrivateKey::ReadPemFile(f.key);
  if (!key.ok()) return InvalidArgument("--key: " + key.status().message());
  capnp::MallocMessageBuilder message;
  auto agreement = message.initRoot<schema::SignedAgreement>();
  REGLINE_RETURN_IF_ERROR(DecodeJsonFile(f.file, agreement));
  REGLINE_RETURN_IF_ERROR(SetDocumentDigest(f, agreement));

  std::string signer = f.signer, field;
  schema::Signature::Builder signature = nullptr;
  if (f.agency) {
    if (signer.empty()) signer = identity;
    if (signer.empty()) return InvalidArgument("--agency: give the agency's identity with --identity (or --signer)");
    field = "agencySignature";
    signature = agreement.initAgencySignature();
  } else {
    auto parties = agreement.getParties();
    if (static_cast<unsigned>(f.party) >= parties.size()) {
      return InvalidArgument("--party " + std::to_string(f.party) + ": " + f.file + " has " +
                             std::to_string(parties.size()) + " parties (0-based)");
    }
    auto party = parties[static_cast<unsigned>(f.party)];
    if (signer.empty()) signer = party.getName().cStr();
    if (signer.empty()) return InvalidArgument("--party " + std::to_string(f.party) + ": no name; give --signer");
    field = "parties[" + std::to_string(f.party) + "]";
    party.setSigningKey(BytesOf(key->public_key().Der()));
    party.setSignedMs(now_ms);
    agreement.setSignedMs(std::max(agreement.getSignedMs(), now_ms));
    signature = party.initSignature();
  }
  const std::string digest = StringOf(agreement.asReader().getDocumentDigest().getBytes());
  Result<identity::SignatureClaim> claim = identity::Signer(signer, *key).Sign(digest);
  if (!claim.ok()) return claim.status();
  protocol::ToWire(*claim, signature);

  capnp::JsonCodec codec;
  codec.handleByAnnotation<schema::SignedAgreement>();
  const std::string text = nlohmann::json::parse(codec.encode(agreement.asReader()).cStr()).dump(2) + "\n";
  struct stat st {};
  const mode_t mode = ::stat(f.file.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  REGLINE_RETURN_IF_ERROR(WriteFileDurably(f.file, text, mode));

  const std::string algorithm(crypto::SignatureAlgorithmName(key->algorithm()));
  Rendered out;
  out.text = "signed " + field + " as " + signer + " (" + algorithm + " key " + claim->key_id + ")\n" +
             "document digest  " + crypto::HexEncode(digest) + "\nwritten          " + f.file + "\n";
  out.json = {{"file", f.file},          {"signed", field},        {"signer", signer},
              {"key_id", claim->key_id}, {"algorithm", algorithm}, {"document_digest", crypto::HexEncode(digest)}};
  return out;
}

void AddAgreementSign(CLI::App& app, Console& console) {
  CLI::App* sign = Group(app, "agreement", "MCN agencies' signed agreements")
                       ->add_subcommand("sign", "Sign an agreement file as one party or as the agency (no gateway)");
  auto f = std::make_shared<AgreementSignFlags>();
  sign->add_option("AGREEMENT", f->file, "The SignedAgreement in JSON; rewritten in place")->required();
  sign->add_option("--key", f->key, "The signer's private key (NAME.sign.key from keygen)")
      ->required()
      ->type_name("SIGN.key");
  CLI::Option* party = sign->add_option("--party", f->party, "Sign as parties[N] (0-based)")->type_name("N");
  CLI::Option* agency = sign->add_flag("--agency", f->agency, "Sign as the agency (signer: --identity)");
  party->excludes(agency);
  agency->excludes(party);
  sign->add_option("--signer", f->signer, "Signer name (default: the party's name, or --identity for --agency)")
      ->type_name("NAME");
  sign->add_option("--document", f->document, "The signed document: sets document and its SHA-256 documentDigest")
      ->type_name("FILE");
  sign->callback([&console, f] {
    console.Then([&console, f] {
      Result<Rendered> signed_file = SignAgreementFile(*f, console.options().identity, console.NowMs());
      if (!signed_file.ok()) return console.Fail(signed_file.status());
      return console.Done(*signed_file);
    });
  });
}

struct AckCommandFlags {
  AckFlags ack;
  int64_t delivery_seq = 0;
};

int RunAck(Console& console, const AckCommandFlags& f) {
  console.SetUsualRole("platform");
  const int64_t now = console.NowMs();
  capnp::MallocMessageBuilder message;
  auto payload = message.initRoot<schema::Acknowledgement>();
  Status built = BuildAcknowledgement(f.ack, now, payload);
  if (!built.ok()) return console.Fail(built);
  if (f.delivery_seq < 0) return console.Fail(InvalidArgument("--delivery-seq: must not be negative"));
  protocol::AckRequest request;
  request.delivery_seq = static_cast<uint64_t>(f.delivery_seq);
  request.message_id = protocol::FromWire(payload.getMessageId());
  request.stage = payload.getStage();
  request.reason_code = payload.getReasonCode();
  request.reason = f.ack.reason;
  request.at_ms = now;
  EnvelopeHeader header;
  header.sender = console.options().identity;
  header.recipients = {f.ack.original_sender};
  header.kind = MessageKind::ACKNOWLEDGEMENT;
  header.created_ms = now;
  header.correlation_id = request.message_id;
  Result<SealedEnvelope> sealed = Seal(header, protocol::Encode(message));
  if (!sealed.ok()) return console.Fail(sealed.status());
  Result<std::string> signed_ack = console.Sign(sealed->bytes);
  if (!signed_ack.ok()) return console.Fail(signed_ack.status());
  request.acknowledgement = *signed_ack;
  Result<protocol::Client*> session = console.Session();
  if (!session.ok()) return console.Fail(session.status());
  Result<protocol::AckReceiptInfo> receipt = (*session)->Ack(request);
  if (!receipt.ok()) return console.Fail(receipt.status());
  return console.Done(RenderAckReceipt(*receipt));
}

void AddAck(CLI::App& app, Console& console) {
  CLI::App* ack = app.add_subcommand("ack", "Acknowledge a delivered message by stage (platforms)");
  auto f = std::make_shared<AckCommandFlags>();
  ack->add_option("MESSAGE_ID", f->ack.message_id, "The acknowledged message (32 hex digits)")->required();
  ack->add_option("--stage", f->ack.stage, "received, accepted, completed or rejected")->required()->type_name("STAGE");
  ack->add_option("--original-sender", f->ack.original_sender, "Identity that sent the message")
      ->required()
      ->type_name("NAME");
  ack->add_option("--original-kind", f->ack.original_kind, "Kind of the message (default: directive)")
      ->type_name("KIND");
  ack->add_option("--delivery-seq", f->delivery_seq, "The DELIVER's deliverySeq (default 0: unknown)")->type_name("N");
  ack->add_option("--reason-code", f->ack.reason_code,
                  "For rejected: " + JoinChoices(EnumNames<schema::RejectReason>()))
      ->type_name("CODE");
  ack->add_option("--reason", f->ack.reason, "Why, in words")->type_name("TEXT");
  ack->add_option("--actions-taken", f->ack.actions_taken, "For completed: what was done")->type_name("TEXT");
  ack->callback([&console, f] { console.Then([&console, f] { return RunAck(console, *f); }); });
}

}  // namespace

void AddUpstreamCommands(CLI::App& app, Console& console) {
  AddSubmit(app, console);
  AddAgreementSign(app, console);
  AddAgreementSubmit(app, console);
  AddAck(app, console);
  AddReport(Group(app, "report", "Platform reports"), "complaints", "Report complaint statistics (platforms)",
            MessageKind::COMPLAINT_STATISTICS, console);
  AddReport(&app, "attest", "Submit a signed compliance attestation (platforms)", MessageKind::COMPLIANCE_ATTESTATION,
            console);
  AddTaxAnswer(app, console);
}

}  // namespace regline::ctl
