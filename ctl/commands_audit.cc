// audit verify: checks the audit chain of a gateway's store by reading the
// SQLite file itself, read-only (docs/store.md, "Audit chain"). No session
// with the gateway: it runs on the gateway's host, while the gateway runs or
// not, as a user who may read the data directory.
#include <charconv>

#include "ctl/commands.h"
#include "gateway/core/audit_chain.h"

namespace regline::ctl {
namespace {

struct AuditVerifyFlags {
  std::string db;
  std::string data_dir;
  std::string expect_head;
};

std::string HeadText(const AuditHead& head) { return std::to_string(head.seq) + ":" + AuditHashHex(head.hash); }

nlohmann::json HeadJson(const AuditHead& head) {
  if (head.seq == 0) return nullptr;
  return {{"seq", head.seq}, {"hash", AuditHashHex(head.hash)}};
}

// "SEQ:HASH", as verify prints the head.
Result<AuditHead> ParseHead(const std::string& text) {
  const std::string flag = "--expect-head";
  size_t colon = text.find(':');
  if (colon == std::string::npos) return InvalidArgument(flag + ": expected SEQ:HASH, as verify prints the head");
  AuditHead head;
  const char* begin = text.data();
  auto [end, ec] = std::from_chars(begin, begin + colon, head.seq);
  if (ec != std::errc() || end != begin + colon || head.seq < 1) {
    return InvalidArgument(flag + ": '" + text.substr(0, colon) + "' is not an entry number");
  }
  Result<AuditHash> hash = ParseAuditHash(std::string_view(text).substr(colon + 1));
  if (!hash.ok()) return InvalidArgument(flag + ": " + hash.status().message());
  head.hash = *hash;
  return head;
}

Rendered RenderVerdict(const AuditVerdict& v) {
  Rendered r;
  r.json = {{"intact", v.intact},
            {"checked", v.checked},
            {"head", HeadJson(v.head)},
            {"first_broken", v.intact ? nlohmann::json(nullptr) : nlohmann::json(v.first_broken)},
            {"problem", v.intact ? nlohmann::json(nullptr) : nlohmann::json(v.problem)},
            {"pruned_through", v.pruned_through}};
  if (v.intact) {
    r.text = "audit chain intact: " + std::to_string(v.checked) + " entries\n";
    if (v.pruned_through > 0) {
      r.text += "entries 1.." + std::to_string(v.pruned_through) +
                " were pruned by legal retention; checked from the anchor after them\n";
    }
    if (v.head.seq > 0) {
      r.text += "head: " + HeadText(v.head) + "\n(record it; check against it later with --expect-head)\n";
    }
  } else {
    r.text = "audit chain BROKEN: " + v.problem + "\n" + "intact before it: " + std::to_string(v.checked) +
             " entries; newest entry in the file: " + (v.head.seq > 0 ? HeadText(v.head) : "none") + "\n";
  }
  return r;
}

int RunVerify(Console& console, const AuditVerifyFlags& f) {
  const std::string path = StoreFilePath(f.db, f.data_dir);
  const std::string flag = f.data_dir.empty() ? "--db" : "--data-dir";
  std::optional<AuditHead> expected;
  if (!f.expect_head.empty()) {
    Result<AuditHead> head = ParseHead(f.expect_head);
    if (!head.ok()) return console.Fail(head.status());
    expected = *head;
  }
  Result<AuditVerdict> verdict = VerifyAuditChain(path, expected);
  if (!verdict.ok()) {
    // The file is missing, unreadable, not a store, or older than the
    // audit log: the operator named the wrong thing.
    if (verdict.status().code() == StatusCode::kInternal) return console.Fail(verdict.status());
    return console.Fail(InvalidArgument(flag + " " + path + ": " + verdict.status().message()));
  }
  int done = console.Done(RenderVerdict(*verdict));
  return verdict->intact ? done : kExitTampered;
}

}  // namespace

void AddAuditCommands(CLI::App& app, Console& console) {
  CLI::App* audit = Group(app, "audit", "The gateway's tamper-evident audit log (gateway operators)");
  CLI::App* verify = audit->add_subcommand(
      "verify",
      "Check the audit chain in the gateway's store file, read-only, and name the first broken entry.\n"
      "Exits 5 when the chain is broken. Runs on the gateway's host; needs no session.");
  auto f = std::make_shared<AuditVerifyFlags>();
  AddStoreFileFlags(verify, f->db, f->data_dir);
  verify
      ->add_option("--expect-head", f->expect_head,
                   "A head printed by an earlier verify: that entry must still be there with that hash\n"
                   "(catches cutting off the newest entries)")
      ->type_name("SEQ:HASH");
  verify->callback([&console, f] {
    console.Then([&console, f] {
      if (f->db.empty() && f->data_dir.empty())
        return console.Fail(InvalidArgument("give --db FILE or --data-dir DIR"));
      return RunVerify(console, *f);
    });
  });
}

}  // namespace regline::ctl
