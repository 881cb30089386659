// status, queues, dead-letters, replay: questions to the gateway (QUERY).
#include <kj/encoding.h>

#include "ctl/commands.h"
#include "ctl/parse.h"

namespace regline::ctl {
namespace {

using QueryFill = std::function<void(schema::Query::Builder)>;

// Runs one query in the console's session; on success hands the result to
// `render`.
int RunQuery(Console& console, const QueryFill& fill,
             const std::function<Rendered(schema::QueryResult::Reader)>& render) {
  Result<protocol::Client*> session = console.Session();
  if (!session.ok()) return console.Fail(session.status());
  Result<protocol::DecodedFrame> answer = (*session)->Query(fill);
  if (!answer.ok()) return console.Fail(answer.status());
  return console.Done(render(answer->get().getQueryResult()));
}

void AddStatus(CLI::App& app, Console& console) {
  CLI::App* status = app.add_subcommand("status", "Where a message stands for each recipient");
  auto id_text = std::make_shared<std::string>();
  status->add_option("MESSAGE_ID", *id_text, "The message's id (32 hex digits)")->required();
  status->callback([&console, id_text] {
    console.Then([&console, id_text] {
      Result<MessageId> id = ParseMessageId("MESSAGE_ID", *id_text);
      if (!id.ok()) return console.Fail(id.status());
      return RunQuery(
          console, [&](schema::Query::Builder q) { protocol::ToWire(*id, q.initMessageStatus()); },
          [](schema::QueryResult::Reader r) { return RenderMessageStatus(r.getMessageStatus()); });
    });
  });
}

void AddQueues(CLI::App& app, Console& console) {
  CLI::App* queues = app.add_subcommand("queues", "Queue depths per recipient");
  auto recipients = std::make_shared<std::vector<std::string>>();
  queues->add_option("RECIPIENT", *recipients, "Recipients to show (default: every one you may see)");
  queues->callback([&console, recipients] {
    console.Then([&console, recipients] {
      return RunQuery(
          console,
          [&](schema::Query::Builder q) {
            auto list = q.initQueueDepths().initRecipients(static_cast<unsigned>(recipients->size()));
            for (unsigned i = 0; i < recipients->size(); ++i) list.set(i, (*recipients)[i]);
          },
          [](schema::QueryResult::Reader r) { return RenderQueueDepths(r.getQueueDepths()); });
    });
  });
}

struct DeadLetterFlags {
  std::string recipient;
  int64_t limit = 0;
  std::string cursor;
};

void AddDeadLetters(CLI::App& app, Console& console) {
  CLI::App* dead = app.add_subcommand("dead-letters", "Dead-lettered deliveries, newest first (gateway operators)");
  auto f = std::make_shared<DeadLetterFlags>();
  dead->add_option("--recipient", f->recipient, "Only this recipient's")->type_name("NAME");
  dead->add_option("--limit", f->limit, "At most this many (default 100, at most 1000)")->type_name("N");
  dead->add_option("--cursor", f->cursor, "Continue after a previous page (printed as 'more: --cursor ...')")
      ->type_name("CURSOR");
  dead->callback([&console, f] {
    console.Then([&console, f] {
      console.SetUsualRole("operator");
      if (f->limit < 0 || f->limit > UINT32_MAX) {
        return console.Fail(InvalidArgument("--limit: " + std::to_string(f->limit) + " is not a count"));
      }
      kj::EncodingResult<kj::Array<kj::byte>> cursor = kj::decodeBase64(kj::StringPtr(f->cursor.c_str()));
      if (cursor.hadErrors) return console.Fail(InvalidArgument("--cursor: '" + f->cursor + "' is not a cursor"));
      return RunQuery(
          console,
          [&](schema::Query::Builder q) {
            auto query = q.initDeadLetters();
            query.setRecipient(f->recipient);
            query.setLimit(static_cast<uint32_t>(f->limit));
            query.setCursor(capnp::Data::Reader(cursor.begin(), cursor.size()));
          },
          [](schema::QueryResult::Reader r) { return RenderDeadLetters(r.getDeadLetters()); });
    });
  });
}

void AddReplay(CLI::App& app, Console& console) {
  CLI::App* replay =
      app.add_subcommand("replay", "Move a dead-lettered message back to its queues (gateway operators)");
  auto id_text = std::make_shared<std::string>();
  auto recipient = std::make_shared<std::string>();
  replay->add_option("MESSAGE_ID", *id_text, "The dead-lettered message (32 hex digits)")->required();
  replay->add_option("--recipient", *recipient, "Only for this recipient (default: every dead-lettered one)")
      ->type_name("NAME");
  replay->callback([&console, id_text, recipient] {
    console.Then([&console, id_text, recipient] {
      console.SetUsualRole("operator");
      Result<MessageId> id = ParseMessageId("MESSAGE_ID", *id_text);
      if (!id.ok()) return console.Fail(id.status());
      return RunQuery(
          console,
          [&](schema::Query::Builder q) {
            auto request = q.initReplay();
            protocol::ToWire(*id, request.initMessageId());
            request.setRecipient(*recipient);
          },
          [](schema::QueryResult::Reader r) { return RenderReplay(r.getReplay()); });
    });
  });
}

struct OverdueFlags {
  std::string platform;
  std::string department;
  int64_t limit = 0;
};

void AddOverdue(CLI::App& app, Console& console) {
  CLI::App* overdue = app.add_subcommand(
      "overdue", "Directives past their acknowledgement or completion deadline, by platform, department and age");
  auto f = std::make_shared<OverdueFlags>();
  overdue->add_option("--platform", f->platform, "Only this platform's")->type_name("NAME");
  overdue->add_option("--department", f->department, "Only this issuing department's (CAC, SAMR, ...)")
      ->type_name("CODE");
  overdue->add_option("--limit", f->limit, "At most this many (default 1000)")->type_name("N");
  overdue->callback([&console, f] {
    console.Then([&console, f] {
      if (f->limit < 0 || f->limit > UINT32_MAX) {
        return console.Fail(InvalidArgument("--limit: " + std::to_string(f->limit) + " is not a count"));
      }
      std::string department = f->department;
      for (char& c : department) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return RunQuery(
          console,
          [&](schema::Query::Builder q) {
            auto query = q.initOverdue();
            query.setPlatform(f->platform);
            query.setDepartment(department);
            query.setLimit(static_cast<uint32_t>(f->limit));
          },
          [](schema::QueryResult::Reader r) { return RenderOverdue(r.getOverdue()); });
    });
  });
}

void AddCatalogQueries(CLI::App& app, Console& console) {
  CLI::App* group = Group(app, "catalog", "The negative catalog");
  CLI::App* show = group->add_subcommand("show", "The whole catalog at a version (default: the current one)");
  auto version = std::make_shared<uint64_t>(0);
  show->add_option("--version", *version, "The version to show")->type_name("N");
  show->callback([&console, version] {
    console.Then([&console, version] {
      return RunQuery(
          console, [&](schema::Query::Builder q) { q.setCatalogShow(*version); },
          [](schema::QueryResult::Reader r) { return RenderCatalog(r.getCatalogShow()); });
    });
  });

  CLI::App* diff = group->add_subcommand("diff", "What changed between two versions (entries added, changed, withdrawn)");
  auto from = std::make_shared<uint64_t>(0);
  auto to = std::make_shared<uint64_t>(0);
  diff->add_option("FROM", *from, "The earlier version")->required();
  diff->add_option("TO", *to, "The later version")->required();
  diff->callback([&console, from, to] {
    console.Then([&console, from, to] {
      if (*from == 0 || *to == 0) return console.Fail(InvalidArgument("versions are numbered from 1"));
      Result<protocol::Client*> session = console.Session();
      if (!session.ok()) return console.Fail(session.status());
      Result<protocol::DecodedFrame> a =
          (*session)->Query([&](schema::Query::Builder q) { q.setCatalogShow(*from); });
      if (!a.ok()) return console.Fail(a.status());
      Result<protocol::DecodedFrame> b =
          (*session)->Query([&](schema::Query::Builder q) { q.setCatalogShow(*to); });
      if (!b.ok()) return console.Fail(b.status());
      return console.Done(RenderCatalogDiff(a->get().getQueryResult().getCatalogShow(),
                                            b->get().getQueryResult().getCatalogShow()));
    });
  });

  CLI::App* status = group->add_subcommand("status", "The published versions and each platform's applied version");
  status->callback([&console] {
    console.Then([&console] {
      return RunQuery(
          console, [](schema::Query::Builder q) { q.setCatalogStatus(); },
          [](schema::QueryResult::Reader r) { return RenderCatalogStatus(r.getCatalogStatus()); });
    });
  });
}

struct ReportsDueFlags {
  std::string platform;
  std::string kind;
  bool all = false;
};

void AddReportQueries(CLI::App& app, Console& console) {
  CLI::App* group = Group(app, "reports", "Scheduled reports: complaint statistics and tax-assistance responses");
  CLI::App* due = group->add_subcommand(
      "due", "Reports owed per platform and period: late and missing ones (with --all: open and on-time ones too)");
  auto f = std::make_shared<ReportsDueFlags>();
  due->add_option("--platform", f->platform, "Only this platform's")->type_name("NAME");
  due->add_option("--kind", f->kind, "Only this report: complaint-statistics or tax-assistance-response")
      ->type_name("KIND");
  due->add_flag("--all", f->all, "Every period owed, not only late and missing ones");
  due->callback([&console, f] {
    console.Then([&console, f] {
      schema::MessageKind kind = schema::MessageKind::UNSPECIFIED;
      if (f->kind == "complaint-statistics" || f->kind == "complaintStatistics") {
        kind = schema::MessageKind::COMPLAINT_STATISTICS;
      } else if (f->kind == "tax-assistance-response" || f->kind == "taxAssistanceResponse") {
        kind = schema::MessageKind::TAX_ASSISTANCE_RESPONSE;
      } else if (!f->kind.empty()) {
        return console.Fail(InvalidArgument("--kind: '" + f->kind +
                                            "' is not a scheduled report (complaint-statistics or "
                                            "tax-assistance-response)"));
      }
      return RunQuery(
          console,
          [&](schema::Query::Builder q) {
            auto query = q.initReportsDue();
            query.setPlatform(f->platform);
            query.setKind(kind);
            query.setAll(f->all);
          },
          [all = f->all](schema::QueryResult::Reader r) { return RenderReportsDue(r.getReportsDue(), all); });
    });
  });
}

struct HoldFlags {
  std::string subject;
  std::string reason;
};

// reglinectl hold add|remove|list: legal holds (Query.legalHold).
void AddHolds(CLI::App& app, Console& console) {
  CLI::App* group = Group(app, "hold",
                          "Legal holds: records about a held identity or message are kept past the retention period");
  auto run = [&console](schema::LegalHoldAction action, std::shared_ptr<HoldFlags> f) {
    console.Then([&console, action, f] {
      return RunQuery(
          console,
          [&](schema::Query::Builder q) {
            auto h = q.initLegalHold();
            h.setAction(action);
            h.setSubject(f->subject);
            h.setReason(f->reason);
          },
          [action, f](schema::QueryResult::Reader r) { return RenderLegalHolds(r.getLegalHold(), action, f->subject); });
    });
  };
  auto add_flags = std::make_shared<HoldFlags>();
  CLI::App* add = group->add_subcommand("add", "Set a hold on an identity or a message id (regulators, operators)");
  add->add_option("subject", add_flags->subject, "An identity (everything it sent or received) or a message id")
      ->required()
      ->type_name("SUBJECT");
  add->add_option("--reason", add_flags->reason, "Why: the case or order it serves")->required()->type_name("TEXT");
  add->callback([run, add_flags] { run(schema::LegalHoldAction::ADD, add_flags); });

  auto remove_flags = std::make_shared<HoldFlags>();
  CLI::App* remove = group->add_subcommand("remove", "Lift the hold on a subject");
  remove->add_option("subject", remove_flags->subject, "The held identity or message id")
      ->required()
      ->type_name("SUBJECT");
  remove->callback([run, remove_flags] { run(schema::LegalHoldAction::REMOVE, remove_flags); });

  auto list_flags = std::make_shared<HoldFlags>();
  CLI::App* list = group->add_subcommand("list", "The holds in force");
  list->callback([run, list_flags] { run(schema::LegalHoldAction::LIST, list_flags); });
}

}  // namespace

void AddQueryCommands(CLI::App& app, Console& console) {
  AddHolds(app, console);
  AddCatalogQueries(app, console);
  AddStatus(app, console);
  AddQueues(app, console);
  AddOverdue(app, console);
  AddReportQueries(app, console);
  AddDeadLetters(app, console);
  AddReplay(app, console);
}

}  // namespace regline::ctl
