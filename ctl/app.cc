#include "ctl/app.h"

#include <algorithm>
#include <map>

#include "ctl/commands.h"

#ifndef REGLINE_VERSION
#define REGLINE_VERSION "0.0.0"
#endif

namespace regline::ctl {

void ConfigureApp(CLI::App& app, Console& console) {
  GlobalOptions& o = console.options();
  app.description(
      "reglinectl: the console for the Regline gateway. Issue directives, catalog versions and\n"
      "tax-assistance requests; ask where messages stand; inspect queues and dead letters.");
  app.set_version_flag("--version", std::string("reglinectl ") + REGLINE_VERSION);
  app.footer(ExitCodesHelp());
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--gateway", o.gateway, "Gateway endpoint (env REGLINE_GATEWAY)")
      ->envname("REGLINE_GATEWAY")
      ->capture_default_str()
      ->type_name("ENDPOINT");
  app.add_option("--identity", o.identity, "Your registered identity, the sender (env REGLINE_IDENTITY)")
      ->envname("REGLINE_IDENTITY")
      ->type_name("NAME");
  app.add_option("--role", o.role,
                 "regulator, platform, mcn-agency or operator (default: the command's usual sender: regulator;\n"
                 "platform for ack/report/attest/tax answer; mcn-agency for agreement; operator for\n"
                 "dead-letters/replay)")
      ->type_name("ROLE");
  app.add_option("--timeout", o.timeout_ms, "Longest wait for each answer from the gateway, in ms")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->type_name("MS");
  app.add_flag("--json", o.json, "Print one JSON object instead of text");
  app.add_option("--server-key", o.server_key, "The gateway's CURVE public key, Z85 (env REGLINE_SERVER_KEY)")
      ->envname("REGLINE_SERVER_KEY")
      ->type_name("Z85");
  app.add_option("--key-file", o.key_file, "TOML file with your public_key and secret_key, Z85 (env REGLINE_KEY_FILE)")
      ->envname("REGLINE_KEY_FILE")
      ->type_name("FILE");
  app.add_option("--signing-key", o.signing_key,
                 "Your signing key (PKCS#8 PEM from `reglinectl keygen`); every envelope and acknowledgement you\n"
                 "send is signed with it (env REGLINE_SIGNING_KEY)")
      ->envname("REGLINE_SIGNING_KEY")
      ->type_name("FILE");
  AddRegulatorCommands(app, console);
  AddQueryCommands(app, console);
  AddUpstreamCommands(app, console);
  AddKeyCommands(app, console);
  AddIdentityCommands(app, console);
  AddAuditCommands(app, console);
  AddEvidenceCommands(app, console);
  AddBackupCommands(app, console);
  const std::map<std::string, std::string> groups = {
      {"directive", "Regulators"},
      {"catalog", "Regulators"},
      {"tax", "Regulators and platforms"},
      {"status", "Questions"},
      {"queues", "Questions"},
      {"overdue", "Questions"},
      {"reports", "Questions"},
      {"hold", "Regulators and gateway operators"},
      {"dead-letters", "Gateway operators"},
      {"replay", "Gateway operators"},
      {"audit", "Gateway operators"},
      {"evidence", "Gateway operators"},
      {"backup", "Gateway operators"},
      {"restore", "Gateway operators"},
      {"submit", "Any sender"},
      {"agreement", "MCN agencies"},
      {"ack", "Platforms"},
      {"report", "Platforms"},
      {"attest", "Platforms"},
      {"keygen", "Key management"},
      {"identity", "Key management"},
  };
  for (CLI::App* command : app.get_subcommands(std::function<bool(CLI::App*)>())) {
    auto group = groups.find(command->get_name());
    if (group != groups.end()) command->group(group->second);
  }
}

int RunCommandLine(Console& console, std::vector<std::string> args, std::ostream& out, std::ostream& err) {
  CLI::App app("", "reglinectl");
  ConfigureApp(app, console);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last-first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return console.RunChosen();
}

}  // namespace regline::ctl
