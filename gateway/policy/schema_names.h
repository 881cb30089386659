// Schema names: the words the policy file and the directive rules use for
// schema values are the schemas' own names ("suspendBroadcast", "high",
// "samr", "liveRoom"), read from the compiled schemas by reflection, so the
// policy vocabulary cannot drift from schemas/*.capnp. An enumerant appended
// to a schema gets its name here with no code change.
//
// Stateless functions over constant schema data; any thread may call them.
#pragma once

#include <capnp/schema.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schemas/common.capnp.h"

namespace regline::policy {

// The schema's name of `value` (e.g. "suspendBroadcast" for
// DirectiveAction::SUSPEND_BROADCAST), or "" when `value` is beyond the
// enumerants this build knows (a newer sender's value).
template <typename Enum>
std::string_view EnumerantName(Enum value) {
  auto enumerants = capnp::Schema::from<Enum>().getEnumerants();
  auto i = static_cast<unsigned>(value);
  if (i >= enumerants.size()) return {};
  kj::StringPtr name = enumerants[i].getProto().getName();
  return std::string_view(name.cStr(), name.size());
}

// The enumerant named exactly `name` (case matters), or nullopt.
// "unspecified" is found like any other; callers refuse it.
template <typename Enum>
std::optional<Enum> EnumerantByName(std::string_view name) {
  for (auto e : capnp::Schema::from<Enum>().getEnumerants()) {
    kj::StringPtr n = e.getProto().getName();
    if (std::string_view(n.cStr(), n.size()) == name) return static_cast<Enum>(e.getOrdinal());
  }
  return std::nullopt;
}

// Every enumerant of Enum in schema order except `unspecified` @0.
template <typename Enum>
std::vector<Enum> SpecifiedEnumerants() {
  std::vector<Enum> out;
  for (auto e : capnp::Schema::from<Enum>().getEnumerants()) {
    if (e.getOrdinal() != 0) out.push_back(static_cast<Enum>(e.getOrdinal()));
  }
  return out;
}

// Number of enumerants of Enum, `unspecified` included: one past the
// largest value this build knows.
template <typename Enum>
size_t EnumerantCount() {
  return capnp::Schema::from<Enum>().getEnumerants().size();
}

// The SubjectRef union member's name ("liveRoom", "wholePlatform"), or ""
// for a discriminant this build does not know.
std::string_view SubjectKindName(schema::SubjectRef::Which kind);

// The SubjectRef union member named exactly `name`, or nullopt.
std::optional<schema::SubjectRef::Which> SubjectKindByName(std::string_view name);

// Every SubjectRef union member in schema order.
std::vector<schema::SubjectRef::Which> AllSubjectKinds();

// "cac, samr, nrta or mps"-style lists for messages: the names joined with
// ", " and the last one with `last_joiner` (" or ", " and ", ", ").
std::string JoinNames(const std::vector<std::string_view>& names, std::string_view last_joiner);

}  // namespace regline::policy
