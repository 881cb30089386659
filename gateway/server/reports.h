// Scheduled reports on the gateway's side: which period a platform's
// complaint statistics or tax-assistance response counts for (what the
// store records, report_ledger.h), and where each platform stands for each
// period the policy's schedules say it owes (the reportsDue query).
//
// A report counts for the scheduled period (report_schedule.h) that its own
// period starts in: complaint statistics by ComplaintStatistics.period, a
// tax-assistance response by the span of its figures' periods (earliest
// start to latest end). A kind the policy does not schedule, or a report
// without a valid period (endMs <= startMs, or a response without
// figures), counts for no period: it is stored and delivered as usual.
//
// Pure functions; any thread (the caller passes the policy, the store's
// rows and the clock's now).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/report_ledger.h"
#include "gateway/core/status.h"
#include "gateway/policy/policy.h"
#include "schemas/query.capnp.h"

namespace regline::server {

// For a complaint statistics or tax-assistance response payload of a kind
// `policy` schedules: the kind and scheduled period it counts for. nullopt
// for other kinds, unscheduled kinds and reports without a valid period;
// kInvalidArgument for a payload that cannot be read.
Result<std::optional<ReportTerms>> ReportTermsOf(const policy::Policy& policy, int kind, std::string_view payload);

// One platform's report of one kind for one period.
struct ReportDueLine {
  std::string platform;
  schema::MessageKind kind = schema::MessageKind::UNSPECIFIED;
  policy::Period period;
  schema::ReportState state = schema::ReportState::UNSPECIFIED;
  int64_t late_by_ms = 0;  // late: after the due time; missing: past it
  MessageId message_id;    // the report that counts; zero when none
  int64_t received_ms = 0;
};

struct ReportsDueFilter {
  std::string platform;                                         // empty: every platform
  schema::MessageKind kind = schema::MessageKind::UNSPECIFIED;  // unspecified: every scheduled kind
  bool all = false;                                             // false: only late and missing
};

// For each platform in `platforms` (and each platform with a recorded
// report), each schedule and each period owed at `now_ms`: its state, by
// platform, then the schedules' order, then period, oldest first.
std::vector<ReportDueLine> ReportsDue(const std::vector<policy::ReportSchedule>& schedules,
                                      const std::vector<ReportRow>& received, const std::vector<std::string>& platforms,
                                      const ReportsDueFilter& filter, int64_t now_ms);

}  // namespace regline::server
