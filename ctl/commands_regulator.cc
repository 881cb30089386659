// directive send, catalog publish, tax request: what regulators issue.
#include "ctl/commands.h"
#include "ctl/parse.h"

namespace regline::ctl {
namespace {

using schema::MessageKind;

std::string Choices(const std::vector<std::string>& names) { return JoinChoices(names); }

// `--file` replaces every payload flag: a usage error names the first one
// given with it.
Status CheckFileExcludes(const std::string& file, const std::vector<CLI::Option*>& payload_options) {
  if (file.empty()) return Status::Ok();
  for (const CLI::Option* option : payload_options) {
    if (option->count() > 0) {
      return InvalidArgument("--file replaces the payload flags; drop " + option->get_name() + " or --file");
    }
  }
  return Status::Ok();
}

void AddDirectiveSend(CLI::App& app, Console& console) {
  CLI::App* send = Group(app, "directive", "Directives to platforms")
                       ->add_subcommand("send", "Issue a directive to one or more platforms");
  auto f = std::make_shared<DirectiveFlags>();
  auto s = std::make_shared<SendFlags>();
  auto file = std::make_shared<std::string>();
  AddSendFlags(send, *s);
  std::vector<CLI::Option*> payload = {
      send->add_option("--action", f->action,
                       "What the platform must do: " + Choices(EnumNames<schema::DirectiveAction>()))
          ->type_name("ACTION"),
      send->add_option("--subject-kind", f->subject_kind,
                       "What to act on: whole-platform (default), live-room, account, marketer, product, mcn-agency")
          ->type_name("KIND"),
      send->add_option("--subject-id", f->subject_id,
                       "Room, account or product id; agency USCC; a marketer's account id")
          ->type_name("ID"),
      send->add_option("--subject-name", f->subject_name, "Room title, nickname, marketer/agency name, product title")
          ->type_name("TEXT"),
      send->add_option("--marketer-role", f->marketer_role,
                       "For a marketer: live-marketer (default) or live-room-operator")
          ->type_name("ROLE"),
      send->add_option("--department", f->department,
                       "Issuing department: " + Choices(EnumNames<schema::Department>()) + " (any case, e.g. SAMR)")
          ->type_name("DEPT"),
      send->add_option("--region", f->region, "Issuing office's region code (six digits); empty = national")
          ->type_name("CODE"),
      send->add_option("--office-name", f->office_name, "Issuing office's name")->type_name("TEXT"),
      send->add_option("--reference", f->reference, "The office's document number")->type_name("TEXT"),
      send->add_option("--instrument", f->instrument, "Legal instrument (default: the Measures)")->type_name("TEXT"),
      send->add_option("--article", f->article, "Article of the instrument, e.g. 18 (0 = the whole instrument)")
          ->type_name("N"),
      send->add_option("--clause", f->clause, "Paragraph/item within the article")->type_name("TEXT"),
      send->add_option("--severity", f->severity, "How serious: " + Choices(EnumNames<schema::Severity>()))
          ->type_name("SEVERITY"),
      send->add_option("--effective-in", f->effective_in, "Takes effect after this long (default: on receipt)")
          ->type_name("DURATION"),
      send->add_option("--ack-within", f->ack_within, "Accept/reject deadline from now, e.g. 10m (default: policy)")
          ->type_name("DURATION"),
      send->add_option("--complete-within", f->complete_within,
                       "Completion deadline from now, e.g. 4h (default: policy)")
          ->type_name("DURATION"),
      send->add_option("--rationale", f->rationale, "The facts found and the violation")->type_name("TEXT"),
      send->add_option("--case-contact", f->case_contact, "Who handles the case (name, phone)")->type_name("TEXT"),
      send->add_option("--supersedes", f->supersedes, "Id of a directive this one replaces")->type_name("MESSAGE_ID"),
      send->add_option("--revokes", f->revokes, "Id of a directive this one revokes")->type_name("MESSAGE_ID"),
      send->add_option("--duration", f->duration,
                       "How long the measure lasts (restrict-*, suspend-broadcast, "
                       "bar-re-registration; default: until revoked)")
          ->type_name("DURATION"),
      send->add_option("--retention-days", f->retention_days,
                       "Minimum retention in days (extend-content-retention, "
                       "designate-key-live-room)")
          ->type_name("N"),
      send->add_option("--functions", f->functions, "Functions to restrict (restrict-functions), comma-separated")
          ->delimiter(',')
          ->type_name("NAME[,NAME...]"),
      send->add_option("--traffic-reduction", f->traffic_reduction,
                       "Traffic share to withhold, 1..100 (restrict-traffic)")
          ->type_name("PERCENT"),
      send->add_option("--user-text", f->user_text, "Text users must see (pop-up-warning, prominent-label)")
          ->type_name("TEXT"),
      send->add_option("--information", f->information,
                       "What to provide or preserve (provide-information, "
                       "preserve-evidence)")
          ->type_name("TEXT"),
      send->add_option("--requirements", f->requirements, "What must be rectified (rectify)")->type_name("TEXT"),
      send->add_option("--inspection-scope", f->inspection_scope, "Broadcasts to inspect (designate-key-live-room)")
          ->type_name("TEXT"),
  };
  send->add_option("--file", *file, "The Directive in JSON (Cap'n Proto's JSON mapping) instead of flags")
      ->type_name("FILE");
  send->callback([&console, f, s, file, payload] {
    console.Then([&console, f, s, file, payload] {
      if (Status mixed = CheckFileExcludes(*file, payload); !mixed.ok()) return console.Fail(mixed);
      Result<EnvelopeHeader> header =
          MakeHeader(*s, MessageKind::DIRECTIVE, console.options().identity, console.NowMs());
      if (!header.ok()) return console.Fail(header.status());
      f->to = s->to;
      if (!file->empty()) return SubmitAndReport(console, EnvelopeFromPayloadFile(*file, *header));
      return SubmitAndReport(console, BuildAndSeal<schema::Directive>(&BuildDirective, *f, *header));
    });
  });
}

void AddCatalogPublish(CLI::App& app, Console& console) {
  CLI::App* publish = Group(app, "catalog", "The negative catalog")
                          ->add_subcommand("publish", "Publish a catalog version (a CatalogUpdate)");
  auto f = std::make_shared<CatalogFlags>();
  auto s = std::make_shared<SendFlags>();
  auto file = std::make_shared<std::string>();
  AddSendFlags(publish, *s, std::string(schema::ALL_PLATFORMS.get().cStr()));
  std::vector<CLI::Option*> payload = {
      publish->add_option("--version", f->version, "The version this update produces")->type_name("N"),
      publish->add_option("--base", f->base, "The version it applies to (default: --version - 1)")->type_name("N"),
      publish->add_option("--add-file", f->add_file, "JSON array of CatalogEntry objects to add")->type_name("FILE"),
      publish->add_option("--change-file", f->change_file, "JSON array of CatalogEntry objects replacing entries")
          ->type_name("FILE"),
      publish->add_option("--withdraw", f->withdraw, "Ids of entries to withdraw, comma-separated")
          ->delimiter(',')
          ->type_name("ID[,ID...]"),
      publish->add_option("--notes", f->notes, "What changed and why")->type_name("TEXT"),
      publish->add_option("--department", f->department, "Publishing department (default: samr)")->type_name("DEPT"),
      publish->add_option("--region", f->region, "Publishing office's region code; empty = national")
          ->type_name("CODE"),
      publish->add_option("--office-name", f->office_name, "Publishing office's name")->type_name("TEXT"),
  };
  publish->add_option("--file", *file, "The whole CatalogUpdate in JSON instead of flags")->type_name("FILE");
  publish->callback([&console, f, s, file, payload] {
    console.Then([&console, f, s, file, payload] {
      if (Status mixed = CheckFileExcludes(*file, payload); !mixed.ok()) return console.Fail(mixed);
      Result<EnvelopeHeader> header =
          MakeHeader(*s, MessageKind::CATALOG_UPDATE, console.options().identity, console.NowMs());
      if (!header.ok()) return console.Fail(header.status());
      if (!file->empty()) return SubmitAndReport(console, EnvelopeFromPayloadFile(*file, *header));
      return SubmitAndReport(console, BuildAndSeal<schema::CatalogUpdate>(&BuildCatalogUpdate, *f, *header));
    });
  });
}

void AddTaxRequest(CLI::App& app, Console& console) {
  CLI::App* request =
      Group(app, "tax", "Tax assistance")->add_subcommand("request", "Ask a platform for tax figures about a subject");
  auto f = std::make_shared<TaxRequestFlags>();
  auto s = std::make_shared<SendFlags>();
  auto file = std::make_shared<std::string>();
  AddSendFlags(request, *s);
  std::vector<CLI::Option*> payload = {
      request->add_option("--department", f->department, "Requesting department (default: sta)")->type_name("DEPT"),
      request->add_option("--region", f->region, "Tax office's region code; empty = national")->type_name("CODE"),
      request->add_option("--office-name", f->office_name, "Tax office's name")->type_name("TEXT"),
      request->add_option("--reference", f->reference, "The office's document or case number")->type_name("TEXT"),
      request->add_option("--subject-name", f->subject_name, "The operator's or marketer's name")->type_name("TEXT"),
      request->add_option("--subject-role", f->subject_role, "live-marketer (default) or live-room-operator")
          ->type_name("ROLE"),
      request->add_option("--subject-uscc", f->subject_uscc, "USCC, for an organization")->type_name("USCC"),
      request->add_option("--accounts", f->accounts, "The subject's account ids on the platform, comma-separated")
          ->delimiter(',')
          ->type_name("ID[,ID...]"),
      request->add_option("--period", f->period, "FIRST..LAST local dates, both included, e.g. 2026-01-01..2026-06-30")
          ->type_name("PERIOD"),
      request->add_option("--fields", f->fields, "Requested: " + Choices(EnumNames<schema::TaxField>()))
          ->delimiter(',')
          ->type_name("FIELD[,FIELD...]"),
      request->add_flag("--monthly", f->monthly, "Monetary figures per calendar month"),
      request->add_option("--instrument", f->instrument, "Legal instrument (default: the Tax Collection Law)")
          ->type_name("TEXT"),
      request->add_option("--article", f->article, "Article of the instrument (default: none given)")->type_name("N"),
      request->add_option("--clause", f->clause, "Paragraph/item within the article")->type_name("TEXT"),
      request->add_option("--respond-within", f->respond_within, "Response deadline from now (default: 15d)")
          ->type_name("DURATION"),
      request->add_option("--notes", f->notes, "Anything else the platform should know")->type_name("TEXT"),
  };
  request->add_option("--file", *file, "The TaxAssistanceRequest in JSON instead of flags")->type_name("FILE");
  request->callback([&console, f, s, file, payload] {
    console.Then([&console, f, s, file, payload] {
      if (Status mixed = CheckFileExcludes(*file, payload); !mixed.ok()) return console.Fail(mixed);
      Result<EnvelopeHeader> header =
          MakeHeader(*s, MessageKind::TAX_ASSISTANCE_REQUEST, console.options().identity, console.NowMs());
      if (!header.ok()) return console.Fail(header.status());
      if (!file->empty()) return SubmitAndReport(console, EnvelopeFromPayloadFile(*file, *header));
      if (s->to.size() != 1)
        return console.Fail(InvalidArgument("--to: a tax-assistance request goes to one platform"));
      f->platform = s->to[0];
      return SubmitAndReport(console, BuildAndSeal<schema::TaxAssistanceRequest>(&BuildTaxRequest, *f, *header));
    });
  });
}

}  // namespace

void AddRegulatorCommands(CLI::App& app, Console& console) {
  AddDirectiveSend(app, console);
  AddCatalogPublish(app, console);
  AddTaxRequest(app, console);
}

}  // namespace regline::ctl
