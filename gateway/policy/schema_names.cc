#include "gateway/policy/schema_names.h"

namespace regline::policy {
namespace {

std::string_view View(kj::StringPtr s) { return std::string_view(s.cStr(), s.size()); }

}  // namespace

std::string_view SubjectKindName(schema::SubjectRef::Which kind) {
  for (auto field : capnp::Schema::from<schema::SubjectRef>().getUnionFields()) {
    if (field.getProto().getDiscriminantValue() == static_cast<uint16_t>(kind)) return View(field.getProto().getName());
  }
  return {};
}

std::optional<schema::SubjectRef::Which> SubjectKindByName(std::string_view name) {
  for (auto field : capnp::Schema::from<schema::SubjectRef>().getUnionFields()) {
    if (View(field.getProto().getName()) == name) {
      return static_cast<schema::SubjectRef::Which>(field.getProto().getDiscriminantValue());
    }
  }
  return std::nullopt;
}

std::vector<schema::SubjectRef::Which> AllSubjectKinds() {
  std::vector<schema::SubjectRef::Which> out;
  for (auto field : capnp::Schema::from<schema::SubjectRef>().getUnionFields()) {
    out.push_back(static_cast<schema::SubjectRef::Which>(field.getProto().getDiscriminantValue()));
  }
  return out;
}

std::string JoinNames(const std::vector<std::string_view>& names, std::string_view last_joiner) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? last_joiner : std::string_view(", ");
    out += names[i];
  }
  return out;
}

}  // namespace regline::policy
