# Tax assistance: a tax office asks a platform for figures about an operator
# or marketer; the platform answers.
#
# Sent as Envelope{kind = taxAssistanceRequest} by an STA office identity to
# one platform; answered by Envelope{kind = taxAssistanceResponse} from the
# platform to the requesting identity with correlationId = the request's id.
# The request is acknowledged like any downstream message; a response with
# complete = true, together with the request's completed acknowledgement,
# closes it. (The platforms' routine half-yearly report is attested with
# attestation.capnp AttestationKind.taxReportSubmitted.)

@0xc924f46f570c6479;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Common = import "common.capnp";

enum TaxField {
  # An item of information a tax office may request.

  unspecified @0;
  # Not set; rejected.

  income @1;
  # Income the subject earned through the platform (fen).

  gmv @2;
  # Gross merchandise value of sales the subject marketed (fen).

  commission @3;
  # Commission earned on sales (fen).

  payouts @4;
  # Amounts the platform actually paid out to the subject (fen).

  remunerationAccount @5;
  # The account(s) receiving the subject's remuneration.

  incomeType @6;
  # The type of income under individual income tax rules (IncomeType).

  profit @7;
  # Profit, where the subject is a business (fen).
}

enum IncomeType {
  # Categories of income under individual income tax law that live
  # marketing income commonly falls into.

  unspecified @0;
  # Not known or not set.

  wagesAndSalaries @1;
  # Wages and salaries (工资薪金所得), e.g. a marketer employed by an agency.

  laborRemuneration @2;
  # Remuneration for labour services (劳务报酬所得).

  royalties @3;
  # Royalties (特许权使用费所得).

  businessIncome @4;
  # Business income (经营所得), e.g. an individual business or studio.

  other @5;
  # Any other category; say which in the figure's note.
}

struct TaxAssistanceRequest {
  # A tax office's request to a platform for information about one subject
  # over one period.

  office @0 :Common.IssuingOffice;
  # The requesting tax office (department sta).

  reference @1 :Text;
  # The office's document or case number.

  platformId @2 :Text;
  # The platform asked.

  subject @3 :Common.MarketerRef;
  # The operator or marketer: role, name, salted identity-number digest (or
  # USCC for an organization) and the live accounts the office knows of.

  period @4 :Common.Period;
  # The period the figures must cover.

  fields @5 :List(TaxField);
  # What is requested; at least one.

  monthlyBreakdown @6 :Bool;
  # true: give monetary figures per calendar month; false: one total per
  # field and account over the whole period.

  legalBasis @7 :List(Common.LegalBasis);
  # The provisions the request rests on.

  responseDeadlineMs @8 :Int64;
  # By when the platform must answer with complete = true (Unix ms).

  notes @9 :Text;
  # Anything else the office wants the platform to know.
}

struct TaxFigure {
  # One figure of a response.

  field @0 :TaxField;
  # Which requested item the figure answers: income, gmv, commission,
  # payouts, profit, or incomeType (then amountFen is the income of that
  # type, or 0 when income was not requested).

  period @1 :Common.Period;
  # The period the figure covers (a calendar month with monthlyBreakdown,
  # else the request's period).

  accountId @2 :Text;
  # The live account the figure belongs to; empty = all of the subject's
  # accounts together.

  incomeType @3 :IncomeType;
  # For income and incomeType figures: the category of the income.

  amountFen @4 :Int64;
  # The amount in fen (1/100 CNY).

  note @5 :Text;
  # Remarks on this figure (e.g. refunds netted out).
}

struct RemunerationAccount {
  # An account into which the subject's remuneration was paid. Sensitive:
  # the gateway never logs it.

  institution @0 :Text;
  # Bank or payment institution, e.g. "中国工商银行".

  accountNumber @1 :Text;
  # The account number as the institution writes it.

  holderName @2 :Text;
  # Name of the account holder.

  holderIsSubject @3 :Bool;
  # true when the holder is the subject; false when paid to a third party
  # (e.g. an agency), which the office will want to know.

  liveAccountIds @4 :List(Text);
  # The live accounts whose remuneration went to this account.
}

struct TaxAssistanceResponse {
  # A platform's answer to one TaxAssistanceRequest. Large answers may come
  # in several responses; the last has complete = true.

  requestId @0 :Common.MessageId;
  # Envelope id of the request answered.

  platformId @1 :Text;
  # The answering platform.

  subjectFound @2 :Bool;
  # false when the platform could not identify the subject; then figures
  # and accounts are empty and notes say what was searched.

  matchedAccounts @3 :List(Common.AccountRef);
  # The subject's accounts on the platform the figures cover.

  figures @4 :List(TaxFigure);
  # The requested monetary figures and income types.

  accounts @5 :List(RemunerationAccount);
  # Remuneration accounts, when requested.

  notes @6 :Text;
  # Remarks on the answer as a whole.

  complete @7 :Bool;
  # true when this response finishes the answer; false when more responses
  # with the same requestId follow.

  compiledMs @8 :Int64;
  # When the platform compiled the figures (Unix ms).
}
