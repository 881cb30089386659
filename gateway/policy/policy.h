// Policy: the Measures' rules as data, read from a policy file
// (policies/measures.toml is the shipped default; docs/policies.md lists
// every key). It says how old the parties of an MCN agreement must be and
// how their identity numbers are digested, and for each DirectiveAction
// which subjects it may target, which departments may issue it and the
// default acknowledgement and completion deadlines per severity; and which
// reports platforms owe on a schedule (report_schedule.h).
//
// A Policy is a plain value: LoadPolicy() builds one from a file, the
// caller owns it, copies are independent. Holders that reload (the gateway
// on SIGHUP) load a new value and swap it in only when it loaded, so a bad
// file never replaces a good policy. Reading a Policy from several threads
// is safe; LoadPolicy() touches no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/pending_counts.h"
#include "gateway/core/status.h"
#include "gateway/policy/report_schedule.h"
#include "schemas/common.capnp.h"
#include "schemas/directive.capnp.h"

namespace regline::policy {

// [agreements]: what the gateway checks in an MCN agency's SignedAgreement.
struct AgreementRules {
  // A natural person party must be at least this old on the agreement's
  // start date (the Measures, Art. 17: 16).
  int min_age_years = 16;
  // Parties younger than this (and at least min_age_years) need a
  // guardian's consent; >= min_age_years.
  int guardian_consent_below_years = 18;
  // Hash of the salted digests of resident identity numbers: SM3 or SHA256.
  schema::DigestAlgorithm identity_digest = schema::DigestAlgorithm::SM3;

  friend bool operator==(const AgreementRules&, const AgreementRules&) = default;
};

// [retention]: legal retention of the gateway's records (retention_ledger.h).
struct RetentionRules {
  // Delivered messages, their evidence and audit entries are kept this
  // many days after acceptance, and longer under a legal hold.
  int days = 3 * 365;

  int64_t period_ms() const { return int64_t{days} * 24 * 3600 * 1000; }
  friend bool operator==(const RetentionRules&, const RetentionRules&) = default;
};

// [families.<kind>]: delivery rules for one message family (MessageKind),
// over the gateway's [delivery] defaults.
struct FamilyRules {
  schema::MessageKind kind = schema::MessageKind::UNSPECIFIED;
  // Transmissions before a delivery is dead-lettered; 0 = [delivery]
  // max_attempts.
  int max_attempts = 0;
  // A message of this family whose envelope sets no expiry expires this
  // long after the gateway accepted it (if still undelivered); 0 = never.
  int64_t expiry_ms = 0;
  // Pending (queued or in flight) deliveries of this family per recipient;
  // a submission beyond it is refused as overloaded. 0 = only the
  // recipient's quota of the gateway configuration applies.
  int64_t quota = 0;

  friend bool operator==(const FamilyRules&, const FamilyRules&) = default;
};

// [actions.<name>]: what the policy allows and defaults for one action.
struct ActionRules {
  // SubjectRef union members the action may target, in the file's order.
  std::vector<schema::SubjectRef::Which> subjects;
  // Departments that may issue the action, in the file's order; ["*"] in
  // the file gives all seven in schema order.
  std::vector<schema::Department> issuers;
  // Default deadlines, as durations after the issue time, indexed by the
  // schema::Severity value; [0] (unspecified) is 0. Every specified
  // severity has one, and completion > ack for each.
  std::vector<int64_t> ack_deadline_ms;
  std::vector<int64_t> completion_deadline_ms;

  bool AllowsSubject(schema::SubjectRef::Which kind) const;
  bool AllowsIssuer(schema::Department department) const;
  // The default for `severity`; 0 for unspecified or an unknown severity.
  int64_t DefaultAckMs(schema::Severity severity) const;
  int64_t DefaultCompletionMs(schema::Severity severity) const;

  friend bool operator==(const ActionRules&, const ActionRules&) = default;
};

struct Policy {
  // [policy] name: shown in logs, audit entries and refusals.
  std::string name;
  // The file it was loaded from, as given to LoadPolicy().
  std::string source;
  AgreementRules agreements;
  RetentionRules retention;
  // Indexed by the schema::DirectiveAction value; [0] (unspecified) is
  // empty. A loaded Policy covers every action this build's schema knows.
  std::vector<ActionRules> actions;
  // [reports.<kind>]: the scheduled reports, in the file's order; at most
  // one per kind, only complaintStatistics and taxAssistanceResponse.
  std::vector<ReportSchedule> reports;
  // [families.<kind>]: in the file's order, at most one per kind.
  std::vector<FamilyRules> families;
  // [groups]: recipient groups usable in Envelope.recipients, name ->
  // identity names, next to the gateway configuration's [groups] (a name
  // may be defined in only one of the two). Members are not checked
  // against a registry here: the gateway skips members it does not know
  // (or that are revoked) when it expands a group.
  std::map<std::string, std::vector<std::string>> groups;

  // The delivery rules for `kind`; nullptr when the policy sets none.
  const FamilyRules* FindFamily(schema::MessageKind kind) const;
  // [families] max_attempts by MessageKind ordinal (StoreOptions form).
  std::map<int, int> MaxAttemptsByKind() const;
  // [families] quota by MessageKind ordinal (StoreOptions form).
  std::map<int, FamilyQuota> QuotaByKind() const;
  // The schedule for `kind`; nullptr when the policy schedules none.
  const ReportSchedule* FindReport(schema::MessageKind kind) const;
  // The rules for `action`; nullptr for unspecified or a value beyond the
  // schema this build knows (or any action of a default-constructed Policy).
  const ActionRules* Find(schema::DirectiveAction action) const;

  friend bool operator==(const Policy&, const Policy&) = default;
};

// Reads the policy file at `path`. On success every action of the schema is
// covered and every rule above holds. Every mistake is kInvalidArgument
// naming the file, the line and the key, e.g.
//   measures.toml:12: actions.suspendBroadcast.ack_deadline.high: "30x" is
//   not a duration (use 90s, 15m, 4h or 7d)
// (TOML syntax errors, unknown keys and names, missing keys and action
// tables, bad durations, completion <= ack, report tables for other kinds,
// bad `every`, `due_days` or `first_period`). A missing file is kNotFound,
// one that cannot be read kIOError, both naming the path.
Result<Policy> LoadPolicy(const std::string& path);

// As LoadPolicy, from text already in memory; `file` names it in messages.
Result<Policy> ParsePolicy(const std::string& file, std::string_view text);

// Longest duration a policy may give: 3650d.
inline constexpr int64_t kMaxPolicyDurationMs = 3650LL * 24 * 3600 * 1000;

// Parses a policy duration: a positive integer and one unit, s, m, h or d
// ("90s", "15m", "4h", "7d"), at most kMaxPolicyDurationMs. Anything else
// (no unit, other units, "1h30m", spaces, signs, zero, fractions) is
// kInvalidArgument with a message that quotes `text` and gives the syntax.
Result<int64_t> ParseDurationMs(std::string_view text);

// The largest unit that divides `ms` exactly: 7200000 -> "2h",
// 5400000 -> "90m", 1500 -> "1500ms". The inverse of ParseDurationMs for
// what it accepts.
std::string FormatDurationMs(int64_t ms);

}  // namespace regline::policy
