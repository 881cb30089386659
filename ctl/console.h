// Console: what every reglinectl command shares: the global options, the
// session with the gateway (opened on first use, closed with BYE at exit),
// printing results as text or JSON, and turning failures into the exit
// codes below with a message on stderr.
//
// main() builds one Console, lets the command line parser fill options()
// and choose a command (Then), and returns RunChosen(). One thread.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "ctl/output.h"
#include "gateway/core/clock.h"
#include "gateway/core/status.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/client.h"

namespace regline::ctl {

// reglinectl's exit codes (also in `reglinectl --help` and ctl/README.md).
enum ExitCode : int {
  kExitOk = 0,           // done
  kExitUsage = 1,        // bad flags, a malformed input file (named, with the field), a file keygen would overwrite
  kExitUnreachable = 2,  // the gateway did not answer in time (or ended the session)
  kExitRefused = 3,      // the gateway answered ERROR: its code name and text go to stderr
  kExitInternal = 4,     // a bug or an unexpected answer
  kExitTampered = 5,     // audit verify: the audit chain is broken (the first broken entry is named);
                         // evidence export: a stored signature does not verify against its registered key
};

// The footer of `reglinectl --help` listing the exit codes.
std::string ExitCodesHelp();

struct GlobalOptions {
  std::string gateway = "tcp://127.0.0.1:5570";  // --gateway / REGLINE_GATEWAY
  std::string identity;                          // --identity / REGLINE_IDENTITY
  std::string role;                              // --role; empty = the command's usual role
  int64_t timeout_ms = 5000;                     // --timeout
  bool json = false;                             // --json
  std::string server_key;                        // --server-key / REGLINE_SERVER_KEY (Z85)
  std::string key_file;                          // --key-file / REGLINE_KEY_FILE (TOML)
  std::string signing_key;                       // --signing-key / REGLINE_SIGNING_KEY (PKCS#8 PEM)
};

// Reads a client key file: TOML with exactly the keys public_key and
// secret_key (40-character Z85 strings). Errors name the file, line, key.
Result<protocol::CurveKeys> ReadKeyFile(const std::string& path, const std::string& server_key);

class Console {
 public:
  Console(std::ostream& out, std::ostream& err, const Clock& clock) : out_(out), err_(err), clock_(clock) {}
  ~Console();

  GlobalOptions& options() { return options_; }
  int64_t NowMs() const { return clock_.NowMs(); }

  // The session, started (HELLO) on first use. Failures are for Fail().
  Result<protocol::Client*> Session();

  // `envelope` signed with --signing-key (loaded on first use) when one is
  // given; unchanged otherwise (a development gateway may accept that).
  Result<std::string> Sign(const std::string& envelope);

  // Prints a result (text, or JSON with --json) and returns kExitOk.
  int Done(const Rendered& result);

  // Prints `status` and returns its exit code: kExitRefused when the
  // gateway answered ERROR (with its code name and text), kExitUnreachable
  // for timeouts and lost sessions, kExitUsage for invalid arguments found
  // locally and for files that already exist (keygen), kExitInternal
  // otherwise. With --json, an error object goes to
  // stdout as well.
  int Fail(const Status& status);

  // The role a command's sender usually has (e.g. "platform" for ack),
  // used when --role is not given; "regulator" unless a command says.
  void SetUsualRole(std::string role) { usual_role_ = std::move(role); }

  // The command the parser chose; RunChosen() runs it once parsing is done.
  void Then(std::function<int()> command) { command_ = std::move(command); }
  int RunChosen();

 private:
  std::ostream& out_;
  std::ostream& err_;
  const Clock& clock_;
  GlobalOptions options_;
  std::function<int()> command_;
  std::string usual_role_ = "regulator";
  zmq::context_t context_{1};
  std::unique_ptr<protocol::Client> client_;
  std::optional<identity::Signer> signer_;
  // The refusal behind the last failure, kept after a failed HELLO.
  std::optional<protocol::Refusal> refusal_;
  // A second line for the failure message, e.g. about a defaulted --role.
  std::string hint_;
};

}  // namespace regline::ctl
