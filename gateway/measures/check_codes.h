// Check codes and dates of the parties the Measures name: the unified
// social credit code of organizations (GB 32100-2015), the resident
// identity number of natural persons (GB 11643-1999), and people's ages on
// a calendar date. The algorithms and test vectors are in
// /work/shared/MEASURES.md ("Check algorithms").
//
// Privacy: a resident identity number is personal information. No message
// returned here repeats the number, any of its characters or the birth date
// it encodes; they only name what is wrong and where (a position). A USCC
// names an organization publicly, so its messages do quote characters.
//
// Pure functions on values; any thread may call them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace regline::measures {

// Ok if `code` is a unified social credit code: 18 characters from
// "0123456789ABCDEFGHJKLMNPQRTUWXY" (upper case; no I, O, S, V, Z) whose
// 18th is the check character of the first 17. kInvalidArgument otherwise,
// naming the first fault: the length, the 1-based position of a character
// that is not allowed, or the check character it should have been.
Status CheckUscc(std::string_view code);

// Ok if `number` is a resident identity number: 17 digits and a check
// character ('0'-'9', or a capital 'X' for 10; a lower-case 'x' is refused
// with a message saying to write 'X', because the identity digest is
// defined over the capital form), digits 7-14 a real calendar date
// (YYYYMMDD, year 1800 or later). kInvalidArgument otherwise, naming the
// fault by position only (never the number's characters).
Status CheckResidentIdNumber(std::string_view number);

// The birth date encoded in a valid resident identity number, as
// "YYYY-MM-DD". kInvalidArgument as CheckResidentIdNumber.
Result<std::string> BirthDateOf(std::string_view number);

// A day of the proleptic Gregorian calendar.
struct CivilDate {
  int year = 0;
  int month = 0;  // 1-12
  int day = 0;    // 1-31

  // "YYYY-MM-DD" (the year with four digits).
  std::string ToString() const;
  friend bool operator==(const CivilDate&, const CivilDate&) = default;

  // Reads exactly "YYYY-MM-DD" naming a real day (2023-02-29 is refused).
  // kInvalidArgument otherwise; the message does not repeat `text`, which
  // may be a birth date.
  static Result<CivilDate> Parse(std::string_view text);
};

// Whole years between `birth` and `on`: the age a person born on `birth`
// has on the day `on`. The age goes up on the birthday itself (someone born
// 2010-03-01 is 16 on 2026-03-01). Someone born on 29 February has their
// birthday on 1 March in common years (the day after the last day of
// February, as periods counted in years end under the Civil Code). Negative
// when `on` is before `birth`.
int AgeOnDate(const CivilDate& birth, const CivilDate& on);

// The calendar date of the instant `unix_ms` in China Standard Time
// (UTC+8, no daylight saving time): how an agreement's validFromMs becomes
// the "start date" on which ages are counted.
CivilDate ChinaStandardDateOf(int64_t unix_ms);

}  // namespace regline::measures
