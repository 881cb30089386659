#include "ctl/console.h"

#include <kj/exception.h>
#include <toml++/toml.h>

#include <ostream>

#include "ctl/parse.h"

#ifndef REGLINE_VERSION
#define REGLINE_VERSION "0.0.0"
#endif

namespace regline::ctl {
namespace {

std::string Line(const toml::source_region& where) { return std::to_string(where.begin.line); }

// The gateway's text usually starts with the code name already
// ("overloaded: queue douyin is full"); print it once.
std::string WithoutPrefix(const std::string& text, std::string_view code) {
  std::string prefix = std::string(code) + ": ";
  return text.starts_with(prefix) ? text.substr(prefix.size()) : text;
}

}  // namespace

std::string ExitCodesHelp() {
  return "Exit codes:\n"
         "  0  done\n"
         "  1  usage error: bad flags, a malformed input file (the file and field are named),\n"
         "     or a file that keygen would overwrite\n"
         "  2  gateway unreachable: no answer within --timeout (never hangs), or the session ended\n"
         "  3  refused by the gateway: its error code (e.g. overloaded, permission_denied,\n"
         "     invalid_argument, not_found) and text are printed to stderr\n"
         "  4  internal error\n"
         "  5  audit verify: the audit chain is broken (tampered with); the first broken entry is printed;\n"
         "     evidence export: a stored signature does not verify against its registered key\n"
         "Environment: REGLINE_GATEWAY, REGLINE_IDENTITY, REGLINE_SERVER_KEY, REGLINE_KEY_FILE; times print in TZ.";
}

Result<protocol::CurveKeys> ReadKeyFile(const std::string& path, const std::string& server_key) {
  protocol::CurveKeys keys;
  keys.server_public = server_key;
  try {
    toml::table table = toml::parse_file(path);
    for (const auto& [key, node] : table) {
      std::string name(key.str());
      const std::optional<std::string> value = node.value<std::string>();
      std::string where = path + ":" + Line(node.source()) + ": " + name;
      if (name != "public_key" && name != "secret_key") {
        return InvalidArgument(where + ": unknown key (expected public_key and secret_key)");
      }
      if (!value || value->size() != 40) return InvalidArgument(where + ": expected a 40-character Z85 string");
      (name == "public_key" ? keys.client_public : keys.client_secret) = *value;
    }
  } catch (const toml::parse_error& e) {
    return InvalidArgument(path + ":" + Line(e.source()) + ": " + std::string(e.description()));
  }
  if (keys.client_public.empty() || keys.client_secret.empty()) {
    return InvalidArgument(path + ": needs both public_key and secret_key");
  }
  if (keys.server_public.empty()) return InvalidArgument("--key-file needs --server-key (the gateway's public key)");
  return keys;
}

Console::~Console() {
  if (client_) client_->Close("done");
}

Result<std::string> Console::Sign(const std::string& envelope) {
  if (options_.signing_key.empty()) return envelope;
  if (!signer_.has_value()) {
    Result<identity::Signer> loaded = identity::Signer::FromFile(options_.identity, options_.signing_key);
    if (!loaded.ok()) return loaded.status().WithContext("--signing-key");
    signer_.emplace(std::move(loaded).value());
  }
  return protocol::SignEnvelope(envelope, *signer_, schema::DEFAULT_MAX_FRAME_BYTES);
}

Result<protocol::Client*> Console::Session() {
  if (client_ && client_->has_session()) return client_.get();
  refusal_.reset();
  protocol::ClientOptions o;
  o.endpoint = options_.gateway;
  o.identity = options_.identity;
  if (o.identity.empty()) return InvalidArgument("--identity is required (or set REGLINE_IDENTITY)");
  Result<schema::Role> role = ParseRole("--role", options_.role.empty() ? usual_role_ : options_.role);
  if (!role.ok()) return role.status();
  o.role = *role;
  o.timeout_ms = options_.timeout_ms;
  o.client_name = "reglinectl";
  o.client_version = REGLINE_VERSION;
  o.clock = &clock_;
  if (!options_.key_file.empty()) {
    Result<protocol::CurveKeys> keys = ReadKeyFile(options_.key_file, options_.server_key);
    if (!keys.ok()) return keys.status();
    o.curve = *keys;
  } else if (!options_.server_key.empty()) {
    return InvalidArgument("--server-key needs --key-file (this identity's keys)");
  }
  Result<std::unique_ptr<protocol::Client>> client = protocol::Client::Open(context_, o);
  if (!client.ok()) return client.status();
  client_ = std::move(client).value();
  Status hello = client_->Hello();
  if (!hello.ok()) {
    refusal_ = client_->last_refusal();
    if (refusal_ && refusal_->code == schema::ErrorCode::PERMISSION_DENIED && options_.role.empty()) {
      hint_ = "--role was " + usual_role_ + ", this command's usual sender; give --role if yours differs";
    }
    return hello;
  }
  return client_.get();
}

int Console::Done(const Rendered& result) {
  if (options_.json) {
    out_ << DumpJson(result.json) << "\n";
  } else {
    out_ << result.text;
  }
  out_.flush();
  return kExitOk;
}

int Console::Fail(const Status& status) {
  std::optional<protocol::Refusal> refusal = refusal_;
  if (!refusal && client_) refusal = client_->last_refusal();
  int code = kExitInternal;
  std::string name(StatusCodeName(status.code()));
  std::string message;
  if (refusal) {
    code = kExitRefused;
    name = std::string(protocol::WireErrorName(refusal->code));
    message = "refused by the gateway: " + name + ": " + WithoutPrefix(refusal->text, name);
    if (refusal->retry_after_ms > 0) message += " (retry after " + FormatDuration(refusal->retry_after_ms) + ")";
  } else if (status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kDisconnected) {
    code = kExitUnreachable;
    message = "gateway unreachable: " + status.message();
  } else if (status.code() == StatusCode::kInvalidArgument || status.code() == StatusCode::kAlreadyExists) {
    code = kExitUsage;
    message = status.message();
  } else {
    message = "internal error: " + status.ToString();
  }
  err_ << "reglinectl: " << message << "\n";
  if (!hint_.empty()) err_ << "reglinectl: hint: " << hint_ << "\n";
  err_.flush();
  if (options_.json) {
    nlohmann::json error = {{"code", name}, {"message", refusal ? refusal->text : status.message()}};
    if (refusal && refusal->retry_after_ms > 0) error["retry_after_ms"] = refusal->retry_after_ms;
    out_ << DumpJson({{"error", error}, {"exit_code", code}}) << "\n";
    out_.flush();
  }
  return code;
}

int Console::RunChosen() {
  if (!command_) return Fail(InvalidArgument("no command given; see reglinectl --help"));
  try {
    return command_();
  } catch (const kj::Exception& e) {
    return Fail(Internal(e.getDescription().cStr()));
  } catch (const std::exception& e) {
    return Fail(Internal(e.what()));
  } catch (...) {
    return Fail(Internal("unknown exception"));
  }
}

}  // namespace regline::ctl
