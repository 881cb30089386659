// keygen: a new identity's key files, made locally (no gateway session).
#include <sys/stat.h>

#include <filesystem>

#include "ctl/commands.h"
#include "gateway/crypto/curve_keys.h"
#include "gateway/crypto/key_files.h"
#include "gateway/crypto/signing.h"

namespace regline::ctl {
namespace {

struct KeygenFlags {
  std::string name;
  std::string dir = ".";
  std::string algorithm = "ed25519";
  bool curve_only = false;
  bool signing_only = false;
};

// One file keygen writes.
struct KeyFile {
  std::string path;
  std::string contents;
  mode_t mode;
  std::string holds;  // for people: what it is and where it goes
};

// Names become file names: letters, digits, '.', '_' and '-', not starting with '.'.
Status CheckName(const std::string& name) {
  if (name.empty() || name.front() == '.' ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
          std::string::npos) {
    return InvalidArgument("--name: '" + name +
                           "' must be letters, digits, '.', '_' or '-' and not start with '.' (it names the files)");
  }
  return Status::Ok();
}

std::string ModeText(mode_t mode) { return mode == 0600 ? "0600" : "0644"; }

// The key files of the CURVE pair, in the TOML that --key-file reads
// (ReadKeyFile), and the public half alone for the gateway's operator.
Status AddCurveFiles(const KeygenFlags& f, const std::string& stem, const std::string& made,
                     std::vector<KeyFile>& files, std::string& public_z85) {
  Result<crypto::CurveKeyPair> pair = crypto::GenerateCurveKeyPair();
  if (!pair.ok()) return pair.status();
  public_z85 = pair->public_z85;
  std::string header = "# CURVE keys of " + f.name + ", made by reglinectl keygen " + made + ".\n";
  files.push_back({stem + ".curve.key",
                   header + "# Secret: keep this file mode 0600; use it with reglinectl --key-file.\n" +
                       "public_key = \"" + pair->public_z85 + "\"\nsecret_key = \"" + pair->secret_z85 + "\"\n",
                   0600, "CURVE public and secret key (for --key-file)"});
  files.push_back({stem + ".curve.pub", header + "public_key = \"" + pair->public_z85 + "\"\n", 0644,
                   "CURVE public key (for the gateway's operator)"});
  return Status::Ok();
}

Status AddSigningFiles(crypto::SignatureAlgorithm algorithm, const std::string& stem, std::vector<KeyFile>& files,
                       std::string& fingerprint) {
  Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(algorithm);
  if (!key.ok()) return key.status();
  fingerprint = key->public_key().Fingerprint();
  std::string name(crypto::SignatureAlgorithmName(algorithm));
  files.push_back({stem + ".sign.key", key->Pem(), 0600, name + " signing key (PKCS#8 PEM)"});
  files.push_back({stem + ".sign.pub", key->public_key().Pem(), 0644, name + " public key (SPKI PEM)"});
  return Status::Ok();
}

// Writes every file or none: any failure removes the ones already written
// (and says which, if any, could not be removed).
Status WriteAllOrNone(const std::vector<KeyFile>& files) {
  for (size_t i = 0; i < files.size(); ++i) {
    Status written = crypto::WriteNewFile(files[i].path, files[i].contents, files[i].mode);
    if (written.ok()) continue;
    std::string left;
    for (size_t j = 0; j < i; ++j) {
      std::error_code ec;
      if (!std::filesystem::remove(files[j].path, ec)) left += " " + files[j].path;
    }
    return written.WithContext(left.empty() ? "nothing written" : "could not remove what was written:" + left);
  }
  return Status::Ok();
}

int RunKeygen(Console& console, const KeygenFlags& f) {
  if (f.curve_only && f.signing_only)
    return console.Fail(InvalidArgument("--curve-only and --signing-only exclude each other"));
  if (Status name = CheckName(f.name); !name.ok()) return console.Fail(name);
  Result<crypto::SignatureAlgorithm> algorithm = crypto::ParseSignatureAlgorithm(f.algorithm);
  if (!algorithm.ok()) return console.Fail(algorithm.status().WithContext("--algorithm"));
  std::error_code ec;
  if (!std::filesystem::is_directory(f.dir, ec))
    return console.Fail(InvalidArgument("--dir: " + f.dir + " is not a directory"));
  const std::string stem = (std::filesystem::path(f.dir) / f.name).string();

  // Every path first: refuse before making or writing anything.
  std::vector<std::string> paths;
  if (!f.signing_only) paths.insert(paths.end(), {stem + ".curve.key", stem + ".curve.pub"});
  if (!f.curve_only) paths.insert(paths.end(), {stem + ".sign.key", stem + ".sign.pub"});
  std::vector<std::string> existing;
  for (const std::string& path : paths) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) existing.push_back(path);
  }
  if (!existing.empty()) {
    std::string list;
    for (const std::string& path : existing) list += (list.empty() ? "" : ", ") + path;
    return console.Fail(AlreadyExists("refusing to overwrite " + list + "; nothing written"));
  }

  std::vector<KeyFile> files;
  std::string curve_public, fingerprint;
  if (!f.signing_only) {
    Status curve = AddCurveFiles(f, stem, FormatTime(console.NowMs()), files, curve_public);
    if (!curve.ok()) return console.Fail(curve);
  }
  if (!f.curve_only) {
    Status signing = AddSigningFiles(*algorithm, stem, files, fingerprint);
    if (!signing.ok()) return console.Fail(signing);
  }
  if (Status written = WriteAllOrNone(files); !written.ok()) return console.Fail(written);

  Rendered out;
  Table table({"FILE", "MODE", "HOLDS"});
  out.json["files"] = nlohmann::json::array();
  for (const KeyFile& file : files) {
    table.AddRow({file.path, ModeText(file.mode), file.holds});
    out.json["files"].push_back({{"path", file.path}, {"mode", ModeText(file.mode)}});
  }
  out.text = table.Render() + "\n";
  out.json["curve_public_key"] = f.signing_only ? nlohmann::json() : nlohmann::json(curve_public);
  out.json["signing_algorithm"] = f.curve_only ? nlohmann::json() : nlohmann::json(f.algorithm);
  out.json["signing_fingerprint"] = f.curve_only ? nlohmann::json() : nlohmann::json(fingerprint);
  if (!f.signing_only) out.text += "curve public key   " + curve_public + "\n";
  if (!f.curve_only) {
    out.text += "signing algorithm  " + f.algorithm + "\n";
    out.text += "signing key        " + fingerprint + "\n";
  }
  return console.Done(out);
}

}  // namespace

void AddKeyCommands(CLI::App& app, Console& console) {
  CLI::App* keygen =
      app.add_subcommand("keygen", "Make an identity's CURVE key pair and signing key as files (no gateway needed)");
  auto f = std::make_shared<KeygenFlags>();
  keygen->add_option("--name", f->name, "Base name of the files: NAME.curve.key, NAME.sign.pub, ...")
      ->required()
      ->type_name("NAME");
  keygen->add_option("--dir", f->dir, "Directory to write them in")->capture_default_str()->type_name("DIR");
  keygen->add_option("--algorithm", f->algorithm, "Signing algorithm: ed25519 or sm2-sm3")
      ->capture_default_str()
      ->type_name("ALG");
  keygen->add_flag("--curve-only", f->curve_only, "Only the CURVE key pair");
  keygen->add_flag("--signing-only", f->signing_only, "Only the signing key");
  keygen->callback([&console, f] { console.Then([&console, f] { return RunKeygen(console, *f); }); });
}

}  // namespace regline::ctl
