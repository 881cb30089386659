// evidence export: writes what the gateway's store holds about one message
// (the envelope, the signed acknowledgements, the stage times, the audit
// entries) with the signers' public keys into a directory that a third party
// checks with the stock openssl tool (docs/evidence.md, "Evidence export").
// Like audit verify it reads the store file itself, read-only, with no
// session: it runs on the gateway's host, while the gateway runs or not.
#include <sys/stat.h>

#include <filesystem>
#include <toml++/toml.h>

#include "ctl/commands.h"
#include "ctl/evidence_bundle.h"
#include "ctl/parse.h"
#include "gateway/core/store_evidence.h"
#include "gateway/crypto/key_files.h"

namespace regline::ctl {
namespace {

namespace fs = std::filesystem;

struct EvidenceExportFlags {
  std::string message_id;
  std::string db;
  std::string data_dir;
  std::string registry;
  std::string gateway_config;
  std::string out;
};

// The store file and the registry the flags name. With --gateway-config,
// the registry is the one it names ([security] registry) or its inline
// [[identity]] tables, and its [gateway] data_dir is the default store.
struct Sources {
  std::string db;
  identity::Registry registry;
};

Result<Sources> FromGatewayConfig(const std::string& path) {
  Sources s;
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::string where = e.source().begin.line > 0 ? ":" + std::to_string(e.source().begin.line) : "";
    return InvalidArgument("--gateway-config " + path + where + ": " + std::string(e.description()));
  }
  // Relative paths count from the config file's directory, as the gateway reads them.
  auto resolve = [&](std::string p) {
    if (!p.empty() && p[0] != '/') p = (fs::path(path).parent_path() / p).lexically_normal().string();
    return p;
  };
  if (auto data_dir = root["gateway"]["data_dir"].value<std::string>()) s.db = resolve(*data_dir) + "/gateway.db";
  if (auto file = root["security"]["registry"].value<std::string>()) {
    Result<identity::Registry> loaded = identity::Registry::Load(resolve(*file));
    if (!loaded.ok()) return InvalidArgument("--gateway-config " + path + ": " + loaded.status().message());
    s.registry = std::move(loaded).value();
  } else {
    Result<identity::Registry> inline_ids = identity::Registry::FromToml(path, root);
    if (!inline_ids.ok()) return InvalidArgument("--gateway-config " + path + ": " + inline_ids.status().message());
    s.registry = std::move(inline_ids).value();
  }
  return s;
}

Result<Sources> ResolveSources(const EvidenceExportFlags& f) {
  Sources s;
  if (!f.gateway_config.empty()) {
    Result<Sources> from = FromGatewayConfig(f.gateway_config);
    if (!from.ok()) return from.status();
    s = std::move(from).value();
  } else {
    Result<identity::Registry> loaded = identity::Registry::Load(f.registry);
    if (!loaded.ok()) return InvalidArgument("--registry " + f.registry + ": " + loaded.status().message());
    s.registry = std::move(loaded).value();
  }
  if (std::string named = StoreFilePath(f.db, f.data_dir); !named.empty()) s.db = named;
  if (s.db.empty()) return InvalidArgument("give --db FILE or --data-dir DIR (or a --gateway-config with a data_dir)");
  return s;
}

// --out must be absent (WriteBundle creates it) or an empty directory: a
// bundle never mixes with other files, and nothing is overwritten.
Status CheckOut(const std::string& out) {
  std::error_code ec;
  fs::file_status st = fs::symlink_status(out, ec);
  if (!fs::exists(st)) return Status::Ok();
  if (!fs::is_directory(st)) return InvalidArgument("--out " + out + " exists and is not a directory");
  if (!fs::is_empty(out, ec) || ec) return InvalidArgument("--out " + out + " is not empty");
  return Status::Ok();
}

Status WriteBundle(const std::string& out, const EvidenceBundle& bundle) {
  for (const BundleFile& f : bundle.files) {
    fs::path path = fs::path(out) / f.path;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return IOError(path.parent_path().string() + ": cannot create the directory: " + ec.message());
    // VERIFY.sh is run with `sh VERIFY.sh`, but may be run directly too.
    const mode_t mode = f.path == "VERIFY.sh" ? 0755 : 0644;
    REGLINE_RETURN_IF_ERROR(crypto::WriteNewFile(path.string(), f.contents, mode));
  }
  return Status::Ok();
}

Rendered Render(const MessageEvidence& e, const EvidenceBundle& bundle, const std::string& out) {
  Rendered r;
  nlohmann::json files = nlohmann::json::array();
  for (const BundleFile& f : bundle.files) files.push_back(f.path);
  nlohmann::json signatures = nlohmann::json::array();
  r.text = "evidence of message " + e.id.ToHex() + " written to " + out + "\n";
  for (const BundleSignature& s : bundle.signatures) {
    signatures.push_back({{"item", s.item},
                          {"signer", s.signer},
                          {"key_id", s.key_id},
                          {"algorithm", s.algorithm},
                          {"verified", s.verified},
                          {"problem", s.verified ? nlohmann::json(nullptr) : nlohmann::json(s.problem)}});
    r.text += "  " + s.item + ": " +
              (s.verified ? "signed by " + s.signer + " (" + s.algorithm + " key " + s.key_id + "), verified"
                          : "NOT VERIFIED: " + s.problem) +
              "\n";
  }
  r.text += "  " + std::to_string(bundle.files.size()) + " files; a third party checks them with: cd " + out +
            " && sh VERIFY.sh\n";
  r.json = {{"message_id", e.id.ToHex()}, {"out", out}, {"files", files}, {"signatures", signatures}};
  return r;
}

int RunExport(Console& console, const EvidenceExportFlags& f) {
  Result<MessageId> id = ParseMessageId("MESSAGE_ID", f.message_id);
  if (!id.ok()) return console.Fail(id.status());
  Result<Sources> sources = ResolveSources(f);
  if (!sources.ok()) return console.Fail(sources.status());
  if (Status s = CheckOut(f.out); !s.ok()) return console.Fail(s);
  Result<MessageEvidence> evidence = ReadMessageEvidence(sources->db, *id);
  if (!evidence.ok()) {
    // A missing message, a missing or foreign file: the operator named the wrong thing.
    if (evidence.status().code() == StatusCode::kInternal) return console.Fail(evidence.status());
    return console.Fail(InvalidArgument(evidence.status().message()));
  }
  std::optional<AuditVerdict> chain;
  if (Result<AuditVerdict> v = VerifyAuditChain(sources->db); v.ok()) chain = *v;
  EvidenceBundle bundle = BuildEvidenceBundle(*evidence, sources->registry, chain);
  if (Status s = WriteBundle(f.out, bundle); !s.ok()) return console.Fail(s);
  int done = console.Done(Render(*evidence, bundle, f.out));
  // A stored signature that no longer holds against the registered key:
  // the store (or the registry) was tampered with.
  for (const BundleSignature& s : bundle.signatures)
    if (!s.verified && !s.algorithm.empty()) return kExitTampered;
  return done;
}

}  // namespace

void AddEvidenceCommands(CLI::App& app, Console& console) {
  CLI::App* evidence = Group(app, "evidence", "Signed evidence for third parties (gateway operators)");
  CLI::App* exp = evidence->add_subcommand(
      "export",
      "Write a message, its signature, the recipients' signed acknowledgements, the signers' public keys,\n"
      "the stage times and the audit entries into --out, with VERIFY.sh: the stock openssl commands that\n"
      "check every signature. Reads the store file read-only; needs no session. Exits 5 when a stored\n"
      "signature does not verify against its registered key.");
  auto f = std::make_shared<EvidenceExportFlags>();
  exp->add_option("MESSAGE_ID", f->message_id, "The message (32 hex digits)")->required();
  AddStoreFileFlags(exp, f->db, f->data_dir);
  CLI::Option* registry =
      exp->add_option("--registry", f->registry, "The identity registry with the signers' public keys")
          ->type_name("FILE");
  CLI::Option* config = exp->add_option("--gateway-config", f->gateway_config,
                                        "The gateway's config: its registry (file or inline [[identity]] tables)\n"
                                        "and, unless --db or --data-dir is given, its data_dir")
                            ->type_name("FILE");
  registry->excludes(config);
  config->excludes(registry);
  exp->add_option("--out", f->out, "The bundle's directory: created, or empty")->type_name("DIR")->required();
  exp->callback([&console, f] {
    console.Then([&console, f] {
      if (f->registry.empty() && f->gateway_config.empty())
        return console.Fail(InvalidArgument("give --registry FILE or --gateway-config FILE"));
      return RunExport(console, *f);
    });
  });
}

}  // namespace regline::ctl
