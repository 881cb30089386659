#include "ctl/parse.h"

#include <cctype>
#include <charconv>
#include <ctime>

namespace regline::ctl {
namespace {

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

Status Bad(std::string_view what, std::string_view text, std::string_view expected) {
  return InvalidArgument(std::string(what) + ": " + Quote(text) + " is not " + std::string(expected));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view what, std::string_view text) {
  constexpr std::string_view kExpected = "a duration (e.g. 90s, 10m, 4h, 2d, 1w, 1h30m)";
  if (text.empty()) return Bad(what, text, kExpected);
  int64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    int64_t number = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
    if (ec != std::errc() || end == rest.data() || number < 0) return Bad(what, text, kExpected);
    rest.remove_prefix(end - rest.data());
    int64_t unit = 0;
    if (rest.starts_with("ms")) {
      unit = 1;
      rest.remove_prefix(2);
    } else if (!rest.empty()) {
      switch (rest.front()) {
        case 's':
          unit = 1000;
          break;
        case 'm':
          unit = 60 * 1000;
          break;
        case 'h':
          unit = 3600 * 1000;
          break;
        case 'd':
          unit = 24 * 3600 * 1000;
          break;
        case 'w':
          unit = 7 * 24 * 3600 * 1000;
          break;
        default:
          return Bad(what, text, kExpected);
      }
      rest.remove_prefix(1);
    } else {
      return Bad(what, text, kExpected);  // a number without a unit
    }
    // Ten years is far beyond any deadline; refusing more avoids overflow.
    constexpr int64_t kMaxMs = int64_t{3650} * 24 * 3600 * 1000;
    if (number > kMaxMs / unit || total + number * unit > kMaxMs) {
      return InvalidArgument(std::string(what) + ": " + Quote(text) + " is longer than ten years");
    }
    total += number * unit;
  }
  if (total <= 0) return InvalidArgument(std::string(what) + ": " + Quote(text) + " must be longer than zero");
  return total;
}

Result<int64_t> ParseLocalDate(std::string_view what, std::string_view text) {
  constexpr std::string_view kExpected = "a date YYYY-MM-DD";
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return Bad(what, text, kExpected);
  int year = 0, month = 0, day = 0;
  auto number = [&](size_t pos, size_t len, int& out) {
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && end == text.data() + pos + len;
  };
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day)) return Bad(what, text, kExpected);
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_isdst = -1;
  std::time_t t = std::mktime(&tm);
  // mktime normalizes 2026-02-30 to March 2nd; such a date does not exist.
  if (t == static_cast<std::time_t>(-1) || tm.tm_year != year - 1900 || tm.tm_mon != month - 1 || tm.tm_mday != day) {
    return InvalidArgument(std::string(what) + ": " + Quote(text) + " is not a calendar date");
  }
  return static_cast<int64_t>(t) * 1000;
}

Result<PeriodMs> ParsePeriod(std::string_view what, std::string_view text) {
  size_t dots = text.find("..");
  if (dots == std::string_view::npos) return Bad(what, text, "a period FIRST..LAST (e.g. 2026-01-01..2026-06-30)");
  Result<int64_t> first = ParseLocalDate(what, text.substr(0, dots));
  if (!first.ok()) return first.status();
  Result<int64_t> last = ParseLocalDate(what, text.substr(dots + 2));
  if (!last.ok()) return last.status();
  if (*last < *first) return InvalidArgument(std::string(what) + ": " + Quote(text) + " ends before it starts");
  // The midnight after LAST: add a day and normalize (days may be 23 or 25
  // hours long where the zone has daylight saving time).
  std::time_t t = static_cast<std::time_t>(*last / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  tm.tm_mday += 1;
  tm.tm_hour = 0;
  tm.tm_min = 0;
  tm.tm_sec = 0;
  tm.tm_isdst = -1;
  return PeriodMs{*first, static_cast<int64_t>(std::mktime(&tm)) * 1000};
}

Result<MessageId> ParseMessageId(std::string_view what, std::string_view text) {
  Result<MessageId> id = MessageId::FromHex(Trim(text));
  if (!id.ok()) return Bad(what, text, "a message id (32 hex digits)");
  return id;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::string KebabCase(std::string_view camel) {
  std::string out;
  for (char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (!out.empty()) out.push_back('-');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> EnumerantNames(capnp::EnumSchema schema) {
  std::vector<std::string> names;
  for (auto e : schema.getEnumerants()) {
    std::string_view name = e.getProto().getName().cStr();
    if (name != "unspecified") names.push_back(KebabCase(name));
  }
  return names;
}

Result<uint16_t> ParseEnumerant(capnp::EnumSchema schema, std::string_view what, std::string_view text) {
  const std::string wanted = Lower(Trim(text));
  for (auto e : schema.getEnumerants()) {
    std::string_view name = e.getProto().getName().cStr();
    if (name == "unspecified") continue;
    if (KebabCase(name) == wanted || name == Trim(text)) return e.getOrdinal();
  }
  return InvalidArgument(std::string(what) + ": " + Quote(text) + " is not one of " +
                         JoinChoices(EnumerantNames(schema)));
}

std::string EnumerantName(capnp::EnumSchema schema, uint16_t value) {
  for (auto e : schema.getEnumerants()) {
    if (e.getOrdinal() == value) return KebabCase(e.getProto().getName().cStr());
  }
  return std::to_string(value);
}

Result<schema::Role> ParseRole(std::string_view what, std::string_view text) {
  if (Lower(Trim(text)) == "operator") return schema::Role::GATEWAY_OPERATOR;
  Result<schema::Role> role = ParseEnum<schema::Role>(what, text);
  if (!role.ok())
    return InvalidArgument(std::string(what) + ": " + Quote(text) +
                           " is not one of regulator, platform, mcn-agency or operator");
  return role;
}

std::string JoinChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += (i + 1 == choices.size()) ? " or " : ", ";
    out += choices[i];
  }
  return out;
}

}  // namespace regline::ctl
