// The shipped policy (policies/measures.toml) compiled into the binary, so
// that a gateway whose config names no policy file runs on the shipped
// defaults, and an installed binary needs no file beside it. Generated at
// configure time from the file in the tree (builtin_policy.cc.in).
#pragma once

#include <string_view>

namespace regline::policy {

// The text of policies/measures.toml as it was when this binary was built.
std::string_view BuiltinPolicyText();
// How messages about it name it.
inline constexpr const char* kBuiltinPolicyName = "built-in policies/measures.toml";

}  // namespace regline::policy
