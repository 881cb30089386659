// Helpers shared by tests: a temporary directory removed at the end of the
// test. Not linked into the daemons.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace regline::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "regline-test-XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    path_ = made == nullptr ? std::filesystem::path() : std::filesystem::path(made);
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace regline::testing
