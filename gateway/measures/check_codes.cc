#include "gateway/measures/check_codes.h"

#include <chrono>
#include <cstdio>

namespace regline::measures {
namespace {

// GB 32100-2015: the 31 characters, in the order of their values 0-30.
constexpr std::string_view kUsccCharacters = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kUsccLength = 18;

// GB 11643-1999: the check character for each value of (sum mod 11).
constexpr std::string_view kIdCheckCharacters = "10X98765432";
constexpr int kIdLength = 18;
constexpr int kEarliestBirthYear = 1800;

// A character of a USCC as people read it: itself if printable ASCII,
// otherwise its byte in hex.
std::string Shown(char c) {
  if (c >= 0x21 && c <= 0x7e) return std::string("'") + c + "'";
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(c));
  return hex;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads the digits text[0..count) as a number; the caller checked them.
int Digits(std::string_view text) {
  int n = 0;
  for (char c : text) n = n * 10 + (c - '0');
  return n;
}

bool IsRealDay(int year, int month, int day) {
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  return std::chrono::year_month_day(std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                     std::chrono::day(static_cast<unsigned>(day)))
      .ok();
}

}  // namespace

Status CheckUscc(std::string_view code) {
  if (code.size() != kUsccLength) {
    return InvalidArgument("a USCC has 18 characters, not " + std::to_string(code.size()) + " (GB 32100-2015)");
  }
  int sum = 0;
  int weight = 1;  // 3^(i-1) mod 31
  for (int i = 0; i < kUsccLength; ++i) {
    size_t value = kUsccCharacters.find(code[i]);
    if (value == std::string_view::npos) {
      return InvalidArgument("USCC character " + std::to_string(i + 1) + " " + Shown(code[i]) +
                             " is not allowed (GB 32100-2015 uses 0-9 and A-Z without I, O, S, V, Z)");
    }
    if (i == kUsccLength - 1) break;
    sum += static_cast<int>(value) * weight;
    weight = weight * 3 % 31;
  }
  const char expected = kUsccCharacters[(31 - sum % 31) % 31];
  if (code.back() != expected) {
    return InvalidArgument("USCC check character should be " + Shown(expected) + ", not " + Shown(code.back()) +
                           " (GB 32100-2015)");
  }
  return Status::Ok();
}

Status CheckResidentIdNumber(std::string_view number) {
  if (number.size() != kIdLength) {
    return InvalidArgument("a resident identity number has 18 characters, not " + std::to_string(number.size()) +
                           " (GB 11643-1999)");
  }
  int sum = 0;
  int weight = 1 << 17;  // 2^(18-i), reduced mod 11 below
  for (int i = 0; i < kIdLength - 1; ++i) {
    if (!IsDigit(number[i])) {
      return InvalidArgument("resident identity number: character " + std::to_string(i + 1) +
                             " is not a digit (the first 17 are digits, GB 11643-1999)");
    }
    sum += (number[i] - '0') * (weight % 11);
    weight /= 2;
  }
  const char last = number.back();
  if (last == 'x') {
    return InvalidArgument("resident identity number: write the check character 10 as a capital 'X', not 'x'");
  }
  if (!IsDigit(last) && last != 'X') {
    return InvalidArgument("resident identity number: character 18 must be a digit or 'X' (GB 11643-1999)");
  }
  if (last != kIdCheckCharacters[sum % 11]) {
    return InvalidArgument(
        "resident identity number: the check character (18) does not match the first 17 digits "
        "(GB 11643-1999; a digit was mistyped?)");
  }
  const int year = Digits(number.substr(6, 4));
  if (year < kEarliestBirthYear || !IsRealDay(year, Digits(number.substr(10, 2)), Digits(number.substr(12, 2)))) {
    return InvalidArgument("resident identity number: digits 7-14 are not a real birth date (YYYYMMDD)");
  }
  return Status::Ok();
}

Result<std::string> BirthDateOf(std::string_view number) {
  REGLINE_RETURN_IF_ERROR(CheckResidentIdNumber(number));
  std::string date(number.substr(6, 4));
  date += '-';
  date += number.substr(10, 2);
  date += '-';
  date += number.substr(12, 2);
  return date;
}

std::string CivilDate::ToString() const {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", year % 10000, month % 100, day % 100);
  return text;
}

Result<CivilDate> CivilDate::Parse(std::string_view text) {
  const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-';
  bool digits = shaped;
  for (size_t i = 0; digits && i < text.size(); ++i) {
    if (i != 4 && i != 7 && !IsDigit(text[i])) digits = false;
  }
  if (!digits) return InvalidArgument("not a date of the form YYYY-MM-DD");
  CivilDate date{Digits(text.substr(0, 4)), Digits(text.substr(5, 2)), Digits(text.substr(8, 2))};
  if (!IsRealDay(date.year, date.month, date.day)) return InvalidArgument("not a real calendar date");
  return date;
}

int AgeOnDate(const CivilDate& birth, const CivilDate& on) {
  int age = on.year - birth.year;
  // Comparing (month, day) makes a 29 February birthday fall on 1 March
  // in common years: (2, 28) is before it, (3, 1) after.
  const bool birthday_reached = on.month > birth.month || (on.month == birth.month && on.day >= birth.day);
  return birthday_reached ? age : age - 1;
}

CivilDate ChinaStandardDateOf(int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> instant{milliseconds(unix_ms) + hours(8)};
  const year_month_day ymd{floor<days>(instant)};
  return CivilDate{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                   static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

}  // namespace regline::measures
