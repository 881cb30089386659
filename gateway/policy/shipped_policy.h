// Where the policy files shipped in the source tree (policies/) live, for
// tests that load the real files. Test-only: REGLINE_POLICIES_DIR is set by
// the regline_policy_testing CMake target, never for a daemon, which is told
// its policy file by its configuration. Any thread may call it.
#pragma once

#include <string>

namespace regline::policy {

// The absolute path of policies/<name> in the source tree, e.g.
// ShippedPolicyPath() for policies/measures.toml.
inline std::string ShippedPolicyPath(const std::string& name = "measures.toml") {
  return std::string(REGLINE_POLICIES_DIR) + "/" + name;
}

}  // namespace regline::policy
