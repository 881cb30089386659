// Parsing of reglinectl's flag values: durations ("10m", "4h", "2d"),
// local dates and periods ("2026-01-01..2026-06-30"), message ids, comma
// lists, and the kebab-case names the console uses for the schemas' enums
// ("suspend-broadcast" for DirectiveAction.suspendBroadcast).
//
// Every failure is kInvalidArgument with a message that names the flag
// (`what`) and the value, fit to print as a usage error. Pure functions of
// their arguments (dates read the process's local time zone, TZ); any
// thread.
#pragma once

#include <capnp/schema.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/message_id.h"
#include "gateway/core/status.h"
#include "schemas/common.capnp.h"

namespace regline::ctl {

// A positive duration as whole numbers with units, largest first or in any
// order: "1500ms", "90s", "10m", "4h", "2d", "1w", "1h30m". Returns ms.
Result<int64_t> ParseDuration(std::string_view what, std::string_view text);

// "YYYY-MM-DD" as local midnight (TZ), in Unix ms.
Result<int64_t> ParseLocalDate(std::string_view what, std::string_view text);

// A half-open interval [start_ms, end_ms) in Unix ms.
struct PeriodMs {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};

// "FIRST..LAST", two local dates, both days included: start is FIRST's
// local midnight, end the midnight after LAST.
Result<PeriodMs> ParsePeriod(std::string_view what, std::string_view text);

// 32 hex digits.
Result<MessageId> ParseMessageId(std::string_view what, std::string_view text);

// Splits "a,b, c" into {"a", "b", "c"}; empty items are dropped.
std::vector<std::string> SplitList(std::string_view text);

// "suspendBroadcast" -> "suspend-broadcast".
std::string KebabCase(std::string_view camel);

// The kebab-case names of an enum's enumerants, in schema order, without
// "unspecified".
std::vector<std::string> EnumerantNames(capnp::EnumSchema schema);

// The enumerant whose kebab-case name (any letter case) or exact schema name
// is `text`. Never "unspecified".
Result<uint16_t> ParseEnumerant(capnp::EnumSchema schema, std::string_view what, std::string_view text);

// The kebab-case name of `value`, or its number for one this build does not
// know.
std::string EnumerantName(capnp::EnumSchema schema, uint16_t value);

template <typename E>
Result<E> ParseEnum(std::string_view what, std::string_view text) {
  Result<uint16_t> v = ParseEnumerant(capnp::Schema::from<E>(), what, text);
  if (!v.ok()) return v.status();
  return static_cast<E>(*v);
}

template <typename E>
std::string EnumName(E value) {
  return EnumerantName(capnp::Schema::from<E>(), static_cast<uint16_t>(value));
}

template <typename E>
std::vector<std::string> EnumNames() {
  return EnumerantNames(capnp::Schema::from<E>());
}

// regulator | platform | mcn-agency | operator (also gateway-operator).
Result<schema::Role> ParseRole(std::string_view what, std::string_view text);

// "a, b or c" for usage messages.
std::string JoinChoices(const std::vector<std::string>& choices);

}  // namespace regline::ctl
