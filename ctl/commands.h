// reglinectl's subcommands. Each Add* function adds its commands and their
// flags to the parser; the flags live in shared structs that the command's
// action (handed to Console::Then) reads once parsing is done. Usage is in
// ctl/README.md and in each command's --help.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "ctl/console.h"
#include "ctl/envelopes.h"

namespace regline::ctl {

// directive send, catalog publish, tax request (commands_regulator.cc).
void AddRegulatorCommands(CLI::App& app, Console& console);

// status, queues, dead-letters, replay (commands_query.cc).
void AddQueryCommands(CLI::App& app, Console& console);

// submit, agreement sign and submit, and the platform side: ack, report complaints,
// attest, tax answer (commands_upstream.cc).
void AddUpstreamCommands(CLI::App& app, Console& console);

// keygen: key files for an identity, made locally (commands_keys.cc).
void AddKeyCommands(CLI::App& app, Console& console);

// identity add | add-key | list | revoke: the registry file, edited
// locally (commands_identity.cc).
void AddIdentityCommands(CLI::App& app, Console& console);

// audit verify: checks the store's audit chain from its file, without a
// session (commands_audit.cc).
void AddAuditCommands(CLI::App& app, Console& console);

// evidence export: a message's signed evidence bundle, from the store file
// and the registry, without a session (commands_evidence.cc).
void AddEvidenceCommands(CLI::App& app, Console& console);

// backup, restore: a consistent copy of the gateway's store, and putting one
// back while no gateway runs (commands_backup.cc).
void AddBackupCommands(CLI::App& app, Console& console);

// --- helpers shared by the command files (commands_common.cc) ---

// The subcommand `name` of `parent`, created (requiring a subcommand of its
// own) if it does not exist yet.
CLI::App* Group(CLI::App& parent, const std::string& name, const std::string& description);

// Adds --to (required unless default_to is given), --expires-in,
// --priority and --correlation, bound to `flags`.
void AddSendFlags(CLI::App* command, SendFlags& flags, const std::string& default_to = "");

// Adds --db FILE and --data-dir DIR (the store is DIR/gateway.db), which
// exclude each other: the gateway's store file, read locally.
void AddStoreFileFlags(CLI::App* command, std::string& db, std::string& data_dir);

// The store file those flags name; "" when neither was given.
std::string StoreFilePath(const std::string& db, const std::string& data_dir);

// Submits `sealed` in the console's session and prints the confirmation;
// returns the exit code.
int SubmitAndReport(Console& console, const Result<SealedEnvelope>& sealed);

// Serializes a family struct built by `build` into a payload and seals it.
template <typename T, typename Flags>
Result<SealedEnvelope> BuildAndSeal(Status (*build)(const Flags&, int64_t, typename T::Builder), const Flags& flags,
                                    const EnvelopeHeader& header) {
  capnp::MallocMessageBuilder message;
  REGLINE_RETURN_IF_ERROR(build(flags, header.created_ms, message.initRoot<T>()));
  return Seal(header, protocol::Encode(message));
}

}  // namespace regline::ctl
