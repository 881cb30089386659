// backup and restore: a consistent copy of the gateway's store taken while
// the gateway runs, and that copy put back into a data directory while no
// gateway runs there (gateway/core/store_backup.h; docs/operations.md,
// "Backups and restore"). Like audit verify they work on the store file
// itself, on the gateway's host, with no session.
#include <toml++/toml.h>

#include <filesystem>

#include "ctl/commands.h"
#include "gateway/core/store_backup.h"

namespace regline::ctl {
namespace {

namespace fs = std::filesystem;

struct BackupFlags {
  std::string path;
  std::string db;
  std::string data_dir;
  std::string gateway_config;
  bool force = false;
};

struct RestoreFlags {
  std::string backup;
  std::string data_dir;
  std::string gateway_config;
  bool force = false;
};

// [gateway] data_dir of the gateway's config file; relative paths count
// from the file's directory, as the gateway reads them.
Result<std::string> DataDirOf(const std::string& config) {
  toml::table root;
  try {
    root = toml::parse_file(config);
  } catch (const toml::parse_error& e) {
    std::string where = e.source().begin.line > 0 ? ":" + std::to_string(e.source().begin.line) : "";
    return InvalidArgument("--gateway-config " + config + where + ": " + std::string(e.description()));
  }
  std::optional<std::string> dir = root["gateway"]["data_dir"].value<std::string>();
  if (!dir || dir->empty()) return InvalidArgument("--gateway-config " + config + ": no [gateway] data_dir");
  if ((*dir)[0] != '/') return (fs::path(config).parent_path() / *dir).lexically_normal().string();
  return *dir;
}

// What the library refused, for the operator: everything but a bug is
// something to fix on this host (a path, a running gateway, a full disk)
// and exits 1, as audit verify does.
int FailLocally(Console& console, const Status& status) {
  if (status.code() == StatusCode::kInternal) return console.Fail(status);
  return console.Fail(InvalidArgument(status.message()));
}

Rendered RenderSummary(const std::string& headline, const StoreFileSummary& s, nlohmann::json json) {
  Table table({"BYTES", "SCHEMA", "MESSAGES", "LAST SEQ", "PENDING", "DEAD-LETTERED", "RECIPIENTS", "AUDIT HEAD"});
  table.AddRow({std::to_string(s.bytes), std::to_string(s.schema_version), std::to_string(s.messages),
                std::to_string(s.last_message_seq), std::to_string(s.pending), std::to_string(s.dead_lettered),
                std::to_string(s.recipients), std::to_string(s.audit_head_seq)});
  Rendered r;
  r.text = headline + "\n" + table.Render();
  json.update({{"bytes", s.bytes},
               {"schema_version", s.schema_version},
               {"messages", s.messages},
               {"last_message_seq", s.last_message_seq},
               {"pending", s.pending},
               {"dead_lettered", s.dead_lettered},
               {"recipients", s.recipients},
               {"audit_head_seq", s.audit_head_seq}});
  r.json = std::move(json);
  return r;
}

int RunBackup(Console& console, const BackupFlags& f) {
  std::string source = StoreFilePath(f.db, f.data_dir);
  if (source.empty() && !f.gateway_config.empty()) {
    Result<std::string> dir = DataDirOf(f.gateway_config);
    if (!dir.ok()) return console.Fail(dir.status());
    source = *dir + "/gateway.db";
  }
  if (source.empty()) return console.Fail(InvalidArgument("give --db FILE, --data-dir DIR or --gateway-config FILE"));
  if (!fs::exists(source)) return console.Fail(InvalidArgument("no store at " + source));
  Result<StoreFileSummary> summary = BackupStore(source, f.path, BackupOptions{.overwrite = f.force});
  if (!summary.ok()) {
    if (summary.status().code() == StatusCode::kAlreadyExists) {
      return console.Fail(AlreadyExists(f.path + " exists; give --force to replace it"));
    }
    return FailLocally(console, summary.status());
  }
  return console.Done(RenderSummary("backup of " + source + " written to " + f.path + " (checked)", *summary,
                                    {{"path", f.path}, {"source", source}}));
}

int RunRestore(Console& console, const RestoreFlags& f) {
  std::string data_dir = f.data_dir;
  if (data_dir.empty()) {
    Result<std::string> dir = DataDirOf(f.gateway_config);
    if (!dir.ok()) return console.Fail(dir.status());
    data_dir = *dir;
  }
  if (!fs::exists(f.backup)) return console.Fail(InvalidArgument("no backup at " + f.backup));
  Result<StoreFileSummary> summary = RestoreStore(f.backup, data_dir, RestoreOptions{.replace = f.force});
  if (!summary.ok()) {
    if (summary.status().code() == StatusCode::kAlreadyExists) {
      return console.Fail(AlreadyExists(summary.status().message() + "; give --force to set the old store aside"));
    }
    return FailLocally(console, summary.status());
  }
  const std::string store = data_dir + "/gateway.db";
  const std::string aside = store + ".replaced";
  std::string headline = f.backup + " restored as " + store + " (checked)";
  nlohmann::json json = {{"backup", f.backup}, {"store", store}, {"replaced", nullptr}};
  if (fs::exists(aside)) {
    headline += "\nthe old store is set aside as " + aside;
    json["replaced"] = aside;
  }
  headline += "\nstart the gateway: it sends the " + std::to_string(summary->pending) +
              " pending deliveries, and each recipient's delivery numbers go on from the backup's";
  return console.Done(RenderSummary(headline, *summary, std::move(json)));
}

}  // namespace

void AddBackupCommands(CLI::App& app, Console& console) {
  CLI::App* backup = app.add_subcommand(
      "backup",
      "Copy the gateway's store to PATH while the gateway runs: a consistent snapshot (SQLite online backup),\n"
      "checked (integrity_check, schema version) and fsynced before it is named PATH. Runs on the gateway's\n"
      "host; needs no session.");
  auto b = std::make_shared<BackupFlags>();
  backup->add_option("PATH", b->path, "The backup file to write (not replaced unless --force)")->required();
  AddStoreFileFlags(backup, b->db, b->data_dir);
  backup
      ->add_option("--gateway-config", b->gateway_config,
                   "The gateway's config: the store is its [gateway] data_dir/gateway.db (unless --db or --data-dir)")
      ->type_name("FILE");
  backup->add_flag("--force", b->force, "Replace PATH if it exists");
  backup->callback([&console, b] { console.Then([&console, b] { return RunBackup(console, *b); }); });

  CLI::App* restore = app.add_subcommand(
      "restore",
      "Put a backup in place as the data directory's gateway.db, with no gateway running there: checks the\n"
      "backup (integrity, a schema this build can open), refuses while a gateway holds DIR/gateway.lock,\n"
      "sets an old store aside only with --force (as gateway.db.replaced).");
  auto r = std::make_shared<RestoreFlags>();
  restore->add_option("BACKUP", r->backup, "A file `reglinectl backup` wrote")->required();
  CLI::Option* dir =
      restore->add_option("--data-dir", r->data_dir, "The gateway's data_dir (created when absent)")->type_name("DIR");
  CLI::Option* config =
      restore->add_option("--gateway-config", r->gateway_config, "The gateway's config: its [gateway] data_dir")
          ->type_name("FILE");
  dir->excludes(config);
  config->excludes(dir);
  restore->add_flag("--force", r->force, "Set aside a store already in the data directory (as gateway.db.replaced)");
  restore->callback([&console, r] {
    console.Then([&console, r] {
      if (r->data_dir.empty() && r->gateway_config.empty())
        return console.Fail(InvalidArgument("give --data-dir DIR or --gateway-config FILE"));
      return RunRestore(console, *r);
    });
  });
}

}  // namespace regline::ctl
