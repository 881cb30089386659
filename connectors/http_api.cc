#include "connectors/http_api.h"

#include <httplib.h>

#include <charconv>
#include <future>
#include <nlohmann/json.hpp>

#include "connectors/local_endpoint.h"
#include "connectors/message_json.h"
#include "ctl/envelopes.h"
#include "ctl/json_input.h"
#include "ctl/parse.h"
#include "gateway/core/http_serving.h"
#include "gateway/core/http_status.h"
#include "gateway/core/log.h"
#include "gateway/protocol/frames.h"

namespace regline::connector {

namespace {

using nlohmann::json;

constexpr int kMaxListLimit = 1000;

void Answer(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

// {"error": code, "message": ..., "field": ...}; `field` may be empty.
void Fail(httplib::Response& res, const Status& s, const std::string& field = "") {
  json body{{"error", std::string(StatusCodeName(s.code()))}, {"message", s.message()}};
  if (!field.empty()) body["field"] = field;
  const int status = HttpStatusFor(s.code());
  if (status == 503) res.set_header("Retry-After", "1");
  Answer(res, status, body);
}

// The JSON body as an object; answers 400 and returns false when it is not.
bool ParseBody(const httplib::Request& req, httplib::Response& res, json& out) {
  out = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    Fail(res, InvalidArgument("the body is not valid JSON"));
    return false;
  }
  if (!out.is_object()) {
    Fail(res, InvalidArgument("the body must be a JSON object"));
    return false;
  }
  return true;
}

// Refuses (400, naming it) a member of `body` that is not in `known`.
bool OnlyKnown(const json& body, std::initializer_list<const char*> known, httplib::Response& res) {
  for (const auto& [key, value] : body.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) {
      Fail(res, InvalidArgument("unknown field '" + key + "'"), key);
      return false;
    }
  }
  return true;
}

// The field path a json_input error names ("payload: reporting.total: ..."
// gives "payload.reporting.total").
std::string FieldOf(const std::string& message) {
  constexpr std::string_view kPrefix = "payload: ";
  if (message.rfind(kPrefix, 0) != 0) return "payload";
  const size_t end = message.find(": ", kPrefix.size());
  if (end == std::string::npos) return "payload";
  std::string path = message.substr(kPrefix.size(), end - kPrefix.size());
  if (path.find(' ') != std::string::npos) return "payload";
  return path.empty() ? "payload" : "payload" + std::string(path[0] == '[' ? "" : ".") + path;
}

std::string SinkStateName(int state) {
  switch (state) {
    case 0:
      return "waiting";
    case 1:
      return "accepted";
    case 2:
      return "completed";
    case 3:
      return "rejected";
    case 4:
      return "parked";
    case 5:
      return "undeliverable";
    default:
      return "state" + std::to_string(state);
  }
}

}  // namespace

HttpApi::HttpApi(HttpApiOptions options, Inbox& inbox, Outbox& outbox, std::function<void()> on_upstream,
                 const Clock& clock)
    : options_(std::move(options)),
      inbox_(inbox),
      outbox_(outbox),
      on_upstream_(std::move(on_upstream)),
      clock_(clock),
      server_(std::make_unique<httplib::Server>()) {}

HttpApi::~HttpApi() { Stop(); }

Status HttpApi::Start() {
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return Authorized(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                : httplib::Server::HandlerResponse::Handled;
  });
  server_->Post("/v1/submissions", [this](const httplib::Request& req, httplib::Response& res) { Submit(req, res); });
  server_->Post("/v1/acknowledgements",
                [this](const httplib::Request& req, httplib::Response& res) { Acknowledge(req, res); });
  server_->Get("/v1/messages", [this](const httplib::Request& req, httplib::Response& res) { ListMessages(req, res); });
  server_->Get("/v1/health", [this](const httplib::Request&, httplib::Response& res) { Health(res); });
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler's own answer
    const std::string what = res.status == 413   ? "the body is larger than http_api.max_body_bytes"
                             : res.status == 404 ? "no such resource (see connectors/README.md, \"The local HTTP API\")"
                                                 : "request refused";
    res.set_content(json{{"error", "http_" + std::to_string(res.status)}, {"message", what}}.dump() + "\n",
                    "application/json");
  });
  Result<std::string> url = BindAndPublish(*server_, options_.host, options_.port, options_.url_file, "http_api");
  if (!url.ok()) return url.status();
  url_ = std::move(url).value();
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void HttpApi::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

bool HttpApi::Authorized(const httplib::Request& req, httplib::Response& res) const {
  const BearerCheck check = CheckBearer(req, options_.token);
  if (check == BearerCheck::kMissing) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"regline-connector\"");
    Answer(res, 401, {{"error", "unauthenticated"}, {"message", "an Authorization: Bearer token is required"}});
    return false;
  }
  if (check == BearerCheck::kWrong) {
    Answer(res, 403, {{"error", "permission_denied"}, {"message", "the bearer token is not this connector's"}});
    return false;
  }
  return true;
}

void HttpApi::Submit(const httplib::Request& req, httplib::Response& res) {
  json body;
  if (!ParseBody(req, res, body)) return;
  if (!OnlyKnown(body, {"kind", "id", "createdMs", "recipients", "expiresMs", "priority", "correlationId", "payload"},
                 res)) {
    return;
  }
  const int64_t now = clock_.NowMs();
  ctl::EnvelopeHeader header;
  header.sender = options_.identity;
  header.created_ms = now;
  // kind
  if (!body.contains("kind") || !body["kind"].is_string()) {
    return Fail(res,
                InvalidArgument("kind is required: complaintStatistics, complianceAttestation or "
                                "taxAssistanceResponse"),
                "kind");
  }
  Result<schema::MessageKind> kind = ctl::ParseEnum<schema::MessageKind>("kind", body["kind"].get<std::string>());
  if (!kind.ok()) return Fail(res, kind.status(), "kind");
  header.kind = *kind;
  if (*kind != schema::MessageKind::COMPLAINT_STATISTICS && *kind != schema::MessageKind::COMPLIANCE_ATTESTATION &&
      *kind != schema::MessageKind::TAX_ASSISTANCE_RESPONSE) {
    return Fail(res,
                InvalidArgument("the connector forwards complaintStatistics, complianceAttestation and "
                                "taxAssistanceResponse (acknowledgements go to /v1/acknowledgements)"),
                "kind");
  }
  if (body.contains("id")) {
    if (!body["id"].is_string()) return Fail(res, InvalidArgument("id must be a string of 32 hex digits"), "id");
    Result<MessageId> id = ctl::ParseMessageId("id", body["id"].get<std::string>());
    if (!id.ok()) return Fail(res, id.status(), "id");
    header.id = *id;
    // A retry must build the same envelope to be recognized as one: with
    // an id and no createdMs, the time comes from the id when it is a
    // time-ordered one (its first 48 bits, Unix ms, within a day of now or
    // earlier, after 2020).
    const auto id_ms = static_cast<int64_t>(id->hi >> 16);
    if (id_ms >= 1'577'836'800'000 && id_ms <= now + 86'400'000) header.created_ms = id_ms;
  }
  if (body.contains("createdMs")) {
    if (!body["createdMs"].is_number_integer() || body["createdMs"].get<int64_t>() <= 0) {
      return Fail(res, InvalidArgument("createdMs must be a Unix time in ms"), "createdMs");
    }
    header.created_ms = body["createdMs"].get<int64_t>();
  }
  if (!body.contains("recipients") || !body["recipients"].is_array() || body["recipients"].empty()) {
    return Fail(res, InvalidArgument("recipients is required: an array of identities or groups"), "recipients");
  }
  for (const json& r : body["recipients"]) {
    if (!r.is_string() || r.get<std::string>().empty()) {
      return Fail(res, InvalidArgument("recipients must hold non-empty strings"), "recipients");
    }
    header.recipients.push_back(r.get<std::string>());
  }
  if (body.contains("expiresMs")) {
    if (!body["expiresMs"].is_number_integer() || body["expiresMs"].get<int64_t>() < 0) {
      return Fail(res, InvalidArgument("expiresMs must be a Unix time in ms, or 0 for never"), "expiresMs");
    }
    header.expires_ms = body["expiresMs"].get<int64_t>();
  }
  if (body.contains("priority")) {
    if (!body["priority"].is_string()) return Fail(res, InvalidArgument("priority must be a string"), "priority");
    Result<schema::Priority> p = ctl::ParseEnum<schema::Priority>("priority", body["priority"].get<std::string>());
    if (!p.ok()) return Fail(res, p.status(), "priority");
    header.priority = *p;
  }
  if (body.contains("correlationId")) {
    if (!body["correlationId"].is_string()) {
      return Fail(res, InvalidArgument("correlationId must be a string of 32 hex digits"), "correlationId");
    }
    Result<MessageId> c = ctl::ParseMessageId("correlationId", body["correlationId"].get<std::string>());
    if (!c.ok()) return Fail(res, c.status(), "correlationId");
    header.correlation_id = *c;
  }
  if (!body.contains("payload") || !body["payload"].is_object()) {
    return Fail(res, InvalidArgument("payload is required: the report as a JSON object"), "payload");
  }
  Result<capnp::StructSchema> schema = ctl::PayloadSchema(header.kind);
  if (!schema.ok()) return Fail(res, schema.status(), "kind");
  capnp::MallocMessageBuilder payload;
  Status decoded = ctl::DecodeJson("payload", body["payload"].dump(), payload.initRoot<capnp::DynamicStruct>(*schema));
  if (!decoded.ok()) return Fail(res, decoded, FieldOf(decoded.message()));
  Result<ctl::SealedEnvelope> sealed = ctl::Seal(header, protocol::Encode(payload));
  if (!sealed.ok()) return Fail(res, sealed.status());

  Submission prepared;
  Status checked = PrepareUpstream(sealed->bytes, options_.identity, options_.max_body_bytes * 2 + (1u << 16),
                                   options_.signer, now, prepared);
  if (!checked.ok()) {
    // A kind the connector does not forward is bad input here, not a
    // credentials problem (403 means a wrong token).
    if (checked.code() == StatusCode::kPermissionDenied) return Fail(res, InvalidArgument(checked.message()), "kind");
    return Fail(res, checked);
  }
  const MessageId id = prepared.id;
  std::promise<Result<SubmitReceipt>> stored;
  std::future<Result<SubmitReceipt>> receipt = stored.get_future();
  outbox_.Submit(options_.identity, id, prepared.kind, prepared.expires_ms, std::move(prepared.envelope),
                 [&stored](Result<SubmitReceipt> r) { stored.set_value(std::move(r)); });
  Result<SubmitReceipt> r = receipt.get();
  if (!r.ok()) {
    Log(LogLevel::kWarning, "upstream_not_stored",
        {{"id", id.ToHex()}, {"via", "http"}, {"error", r.status().ToString()}});
    return Fail(res, r.status());
  }
  if (!r->duplicate) {
    Log(LogLevel::kInfo, "upstream_queued",
        {{"id", id.ToHex()}, {"via", "http"}, {"outbox_seq", std::to_string(r->seq)}});
  }
  on_upstream_();
  Answer(res, 202, {{"id", id.ToHex()}, {"outboxSeq", r->seq}, {"duplicate", r->duplicate}});
}

void HttpApi::Acknowledge(const httplib::Request& req, httplib::Response& res) {
  json body;
  if (!ParseBody(req, res, body)) return;
  if (!OnlyKnown(body, {"messageId", "deliverySeq", "stage", "reasonCode", "reason"}, res)) return;
  if (!body.contains("messageId") || !body["messageId"].is_string()) {
    return Fail(res, InvalidArgument("messageId is required: the received message's id, 32 hex digits"), "messageId");
  }
  Result<MessageId> id = ctl::ParseMessageId("messageId", body["messageId"].get<std::string>());
  if (!id.ok()) return Fail(res, id.status(), "messageId");
  uint64_t delivery_seq = 0;
  if (body.contains("deliverySeq")) {
    if (!body["deliverySeq"].is_number_unsigned()) {
      return Fail(res, InvalidArgument("deliverySeq must be a positive integer"), "deliverySeq");
    }
    delivery_seq = body["deliverySeq"].get<uint64_t>();
  }
  if (!body.contains("stage") || !body["stage"].is_string()) {
    return Fail(res, InvalidArgument("stage is required: accepted, completed or rejected"), "stage");
  }
  Result<schema::AckStage> stage = ctl::ParseEnum<schema::AckStage>("stage", body["stage"].get<std::string>());
  if (!stage.ok()) return Fail(res, stage.status(), "stage");
  schema::RejectReason code = schema::RejectReason::UNSPECIFIED;
  if (body.contains("reasonCode")) {
    if (!body["reasonCode"].is_string()) return Fail(res, InvalidArgument("reasonCode must be a string"), "reasonCode");
    Result<schema::RejectReason> c =
        ctl::ParseEnum<schema::RejectReason>("reasonCode", body["reasonCode"].get<std::string>());
    if (!c.ok()) return Fail(res, c.status(), "reasonCode");
    code = *c;
  }
  std::string reason;
  if (body.contains("reason")) {
    if (!body["reason"].is_string()) return Fail(res, InvalidArgument("reason must be a string"), "reason");
    reason = body["reason"].get<std::string>();
  }
  if (*stage == schema::AckStage::REJECTED && reason.empty()) {
    return Fail(res, InvalidArgument("a rejection needs a reason"), "reason");
  }
  Result<StageReceipt> r = inbox_.RecordStage(*id, delivery_seq, *stage, code, reason, clock_.NowMs());
  if (!r.ok()) return Fail(res, r.status(), r.status().code() == StatusCode::kNotFound ? "messageId" : "stage");
  on_upstream_();
  Answer(res, 202,
         {{"messageId", id->ToHex()},
          {"stage", ctl::EnumName(r->stage)},
          {"recordedMs", r->recorded_ms},
          {"duplicate", r->duplicate}});
}

void HttpApi::Health(httplib::Response& res) {
  // No read here waits for a disk: the fences are lock-free, and the link
  // updates its state under a mutex it never holds across I/O.
  const Status outbox = outbox_.fence();
  Status inbox = inbox_.fence();
  json answer;
  if (options_.link_health) {
    LinkHealth link = options_.link_health();
    if (inbox.ok()) inbox = link.inbox_wait;
    answer["gateway"] = link.connected ? "connected" : "not connected";
  }
  const bool ok = inbox.ok() && outbox.ok();
  answer["status"] = ok ? "ok" : "failing";
  answer["inbox"] = inbox.ok() ? "ok" : inbox.ToString();
  answer["outbox"] = outbox.ok() ? "ok" : outbox.ToString();
  Answer(res, ok ? 200 : 503, answer);
}

void HttpApi::ListMessages(const httplib::Request& req, httplib::Response& res) {
  auto number = [&](const char* name, int64_t fallback, int64_t max, int64_t& out) {
    if (!req.has_param(name)) {
      out = fallback;
      return true;
    }
    const std::string v = req.get_param_value(name);
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || out < 0 || out > max) {
      Fail(res, InvalidArgument(std::string(name) + " must be an integer from 0 to " + std::to_string(max)), name);
      return false;
    }
    return true;
  };
  int64_t after = 0, limit = 0;
  if (!number("after", 0, INT64_MAX, after) || !number("limit", 100, kMaxListLimit, limit)) return;
  Result<std::vector<InboxEntry>> entries = inbox_.List(static_cast<uint64_t>(after), static_cast<int>(limit));
  if (!entries.ok()) return Fail(res, entries.status());
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  uint64_t next = static_cast<uint64_t>(after);
  for (const InboxEntry& e : *entries) {
    nlohmann::ordered_json j = MessageJson(e.message);
    j["sinkState"] = SinkStateName(e.sink_state);
    j["sinkReason"] = e.sink_reason;
    j["sinkMs"] = e.sink_ms;
    j["stage"] = ctl::EnumName(e.stage_wanted);
    j["stageConfirmed"] = e.stage_sent == schema::AckStage::UNSPECIFIED
                              ? nlohmann::ordered_json(nullptr)
                              : nlohmann::ordered_json(ctl::EnumName(e.stage_sent));
    list.push_back(std::move(j));
    next = e.message.delivery_seq;
  }
  nlohmann::ordered_json out;
  out["messages"] = std::move(list);
  out["next"] = next;
  res.status = 200;
  res.set_content(out.dump() + "\n", "application/json");
}

}  // namespace regline::connector
