#include "gateway/server/reports.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "gateway/protocol/frames.h"
#include "schemas/complaints.capnp.h"
#include "schemas/tax.capnp.h"

namespace regline::server {
namespace {

// The period a report states: [start, end), or nullopt when it states none.
struct Span {
  int64_t start_ms;
  int64_t end_ms;
};

template <typename Reader>
std::optional<Span> ValidSpan(Reader period) {
  if (period.getEndMs() <= period.getStartMs()) return std::nullopt;
  return Span{period.getStartMs(), period.getEndMs()};
}

Result<std::optional<Span>> ComplaintPeriod(std::string_view payload) {
  Result<protocol::Decoded<schema::ComplaintStatistics>> stats =
      protocol::Decoded<schema::ComplaintStatistics>::Parse(payload, payload.size());
  if (!stats.ok()) return InvalidArgument("complaint statistics payload: " + stats.status().message());
  std::optional<Span> span;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() { span = ValidSpan(stats->get().getPeriod()); });
  KJ_IF_MAYBE (e, failure) {
    return InvalidArgument(std::string("complaint statistics payload: ") + e->getDescription().cStr());
  }
  return span;
}

Result<std::optional<Span>> TaxResponsePeriod(std::string_view payload) {
  Result<protocol::Decoded<schema::TaxAssistanceResponse>> response =
      protocol::Decoded<schema::TaxAssistanceResponse>::Parse(payload, payload.size());
  if (!response.ok()) return InvalidArgument("tax assistance response payload: " + response.status().message());
  std::optional<Span> span;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    for (auto figure : response->get().getFigures()) {
      std::optional<Span> one = ValidSpan(figure.getPeriod());
      if (!one) continue;
      if (!span) {
        span = one;
      } else {
        span->start_ms = std::min(span->start_ms, one->start_ms);
        span->end_ms = std::max(span->end_ms, one->end_ms);
      }
    }
  });
  KJ_IF_MAYBE (e, failure) {
    return InvalidArgument(std::string("tax assistance response payload: ") + e->getDescription().cStr());
  }
  return span;
}

}  // namespace

Result<std::optional<ReportTerms>> ReportTermsOf(const policy::Policy& policy, int kind, std::string_view payload) {
  const auto message_kind = static_cast<schema::MessageKind>(kind);
  const policy::ReportSchedule* schedule = policy.FindReport(message_kind);
  if (schedule == nullptr) return std::optional<ReportTerms>();
  Result<std::optional<Span>> span =
      message_kind == schema::MessageKind::COMPLAINT_STATISTICS ? ComplaintPeriod(payload) : TaxResponsePeriod(payload);
  if (!span.ok()) return span.status();
  if (!span->has_value()) return std::optional<ReportTerms>();
  policy::Period period = policy::PeriodContaining(*schedule, (*span)->start_ms);
  return std::optional<ReportTerms>(ReportTerms{kind, period.start_ms, period.end_ms});
}

std::vector<ReportDueLine> ReportsDue(const std::vector<policy::ReportSchedule>& schedules,
                                      const std::vector<ReportRow>& received, const std::vector<std::string>& platforms,
                                      const ReportsDueFilter& filter, int64_t now_ms) {
  std::map<std::tuple<std::string, int, int64_t>, const ReportRow*> by_period;
  std::set<std::string> names(platforms.begin(), platforms.end());
  for (const ReportRow& row : received) {
    by_period[{row.platform, row.kind, row.period_start_ms}] = &row;
    names.insert(row.platform);
  }
  std::vector<ReportDueLine> out;
  for (const std::string& platform : names) {
    if (!filter.platform.empty() && platform != filter.platform) continue;
    for (const policy::ReportSchedule& schedule : schedules) {
      if (filter.kind != schema::MessageKind::UNSPECIFIED && schedule.kind != filter.kind) continue;
      for (const policy::Period& period : policy::PeriodsOwed(schedule, now_ms)) {
        ReportDueLine line;
        line.platform = platform;
        line.kind = schedule.kind;
        line.period = period;
        auto it = by_period.find({platform, static_cast<int>(schedule.kind), period.start_ms});
        if (it != by_period.end()) {
          line.message_id = it->second->message_id;
          line.received_ms = it->second->received_ms;
          const bool late = line.received_ms > period.due_ms;
          line.state = late ? schema::ReportState::LATE : schema::ReportState::ON_TIME;
          line.late_by_ms = late ? line.received_ms - period.due_ms : 0;
        } else if (now_ms > period.due_ms) {
          line.state = schema::ReportState::MISSING;
          line.late_by_ms = now_ms - period.due_ms;
        } else {
          line.state = schema::ReportState::OPEN;
        }
        const bool wanted =
            filter.all || line.state == schema::ReportState::LATE || line.state == schema::ReportState::MISSING;
        if (wanted) out.push_back(std::move(line));
      }
    }
  }
  return out;
}

}  // namespace regline::server
