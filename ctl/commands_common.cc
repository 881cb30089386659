#include "ctl/commands.h"

namespace regline::ctl {

CLI::App* Group(CLI::App& parent, const std::string& name, const std::string& description) {
  for (CLI::App* existing : parent.get_subcommands(std::function<bool(CLI::App*)>())) {
    if (existing->get_name() == name) return existing;
  }
  CLI::App* group = parent.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
}

void AddSendFlags(CLI::App* command, SendFlags& flags, const std::string& default_to) {
  CLI::Option* to = command->add_option("--to", flags.to, "Recipient identities or groups, comma-separated")
                        ->delimiter(',')
                        ->type_name("NAME[,NAME...]");
  if (default_to.empty()) {
    to->required();
  } else {
    flags.to = {default_to};
    to->default_str(default_to);
  }
  command->add_option("--expires-in", flags.expires_in, "Not delivered for the first time after this long (e.g. 24h)")
      ->type_name("DURATION");
  command->add_option("--priority", flags.priority, "Delivery priority: low, normal (default), high or urgent")
      ->type_name("PRIORITY");
  command->add_option("--correlation", flags.correlation, "Id of the message this one follows up (32 hex digits)")
      ->type_name("MESSAGE_ID");
}

void AddStoreFileFlags(CLI::App* command, std::string& db, std::string& data_dir) {
  CLI::Option* file =
      command->add_option("--db", db, "The store file (the gateway's data_dir/gateway.db)")->type_name("FILE");
  CLI::Option* dir =
      command->add_option("--data-dir", data_dir, "The gateway's data_dir; the store is DIR/gateway.db")
          ->type_name("DIR");
  file->excludes(dir);
  dir->excludes(file);
}

std::string StoreFilePath(const std::string& db, const std::string& data_dir) {
  return data_dir.empty() ? db : data_dir + "/gateway.db";
}

int SubmitAndReport(Console& console, const Result<SealedEnvelope>& sealed) {
  if (!sealed.ok()) return console.Fail(sealed.status());
  Result<protocol::Client*> session = console.Session();
  if (!session.ok()) return console.Fail(session.status());
  Result<std::string> signed_envelope = console.Sign(sealed->bytes);
  if (!signed_envelope.ok()) return console.Fail(signed_envelope.status());
  Result<protocol::ConfirmInfo> confirm = (*session)->Submit(*signed_envelope);
  if (!confirm.ok()) return console.Fail(confirm.status());
  return console.Done(RenderConfirm(*confirm, sealed->kind));
}

}  // namespace regline::ctl
