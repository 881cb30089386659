// Packaging (docs/install.md): `cmake --install` puts every file in its FHS
// place (Debian's, with the prefix /usr) and the installed units start the
// installed programs with the installed configuration (suites Install*);
// the Debian package that cpack builds (the package_deb test, a CTest
// fixture, writes it to REGLINE_DEB_DIR) has the right control fields,
// conffiles, maintainer scripts and contents, read with dpkg-deb as an
// administrator would (suites Package*).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/core/test_util.h"

extern char** environ;

namespace regline {
namespace {

namespace fs = std::filesystem;

// The programs the package ships; nothing else goes to bin.
// Sorted.
const std::vector<std::string> kPrograms = {"regline-connector", "regline-gateway", "reglinectl"};

// A file installed with the prefix /usr (path relative to DESTDIR) and the
// source file it is a byte-for-byte copy of ("" for the programs and the
// connector example, whose data_dir is changed).
struct Placed {
  std::string path;
  std::string source;
};
const std::vector<Placed> kLayout = {
    {"usr/bin/regline-gateway", ""},
    {"usr/bin/regline-connector", ""},
    {"usr/bin/reglinectl", ""},
    {"lib/systemd/system/regline-gateway.service", "systemd/regline-gateway.service"},
    {"lib/systemd/system/regline-connector@.service", "systemd/regline-connector@.service"},
    {"usr/lib/sysusers.d/regline.conf", "systemd/regline.sysusers.conf"},
    {"usr/lib/tmpfiles.d/regline.conf", "systemd/regline.tmpfiles.conf"},
    {"etc/regline/regline-gateway.toml", "gateway/regline-gateway.toml"},
    {"etc/regline/connector-example.toml", ""},
    {"usr/share/regline/policies/measures.toml", "policies/measures.toml"},
    {"usr/share/doc/regline/README.md", "README.md"},
    {"usr/share/doc/regline/CHANGELOG.md", "CHANGELOG.md"},
    {"usr/share/doc/regline/docs/install.md", "docs/install.md"},
    {"usr/share/doc/regline/docs/operations.md", "docs/operations.md"},
    {"usr/share/doc/regline/connectors/README.md", "connectors/README.md"},
    {"usr/share/doc/regline/ctl/README.md", "ctl/README.md"},
};

// The directories a file may be installed in (relative to /, prefix /usr).
const std::vector<std::string> kFhsPlaces = {
    "usr/bin/",     "lib/systemd/system/", "usr/lib/sysusers.d/",    "usr/lib/tmpfiles.d/",
    "etc/regline/", "usr/share/regline/",  "usr/share/doc/regline/",
};

bool InFhsPlace(const std::string& path) {
  return std::any_of(kFhsPlaces.begin(), kFhsPlaces.end(), [&](const std::string& p) { return path.starts_with(p); });
}

// A directory on the way to an FHS place ("usr/", "lib/systemd/"), or in one.
bool OnTheWayToAnFhsPlace(const std::string& dir) {
  return dir.empty() || InFhsPlace(dir) ||
         std::any_of(kFhsPlaces.begin(), kFhsPlaces.end(), [&](const std::string& p) { return p.starts_with(dir); });
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Source(const std::string& relative) { return ReadFile(fs::path(REGLINE_SOURCE_DIR) / relative); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The text without comment lines (first non-blank character '#').
std::string WithoutComments(const std::string& text) {
  std::string out;
  for (const auto& line : Lines(text)) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] != '#') out += line + "\n";
  }
  return out;
}

// The command line of the unit's ExecStart=, split at blanks.
std::vector<std::string> ExecStart(const std::string& unit) {
  std::smatch m;
  if (!std::regex_search(unit, m, std::regex(R"(\nExecStart=([^\n]*))"))) return {};
  std::vector<std::string> words;
  std::istringstream in(m[1].str());
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Checks that each unit in `unit_dir` starts a program that was installed
// and gives it a configuration file that was installed (for the connector
// template, instance "example"). Paths in the units are looked up under
// `root` (DESTDIR, or / when the install had none).
void ExpectUnitsStartInstalledPrograms(const fs::path& root, const fs::path& unit_dir) {
  auto under_root = [&](const std::string& path) { return root / fs::path(path).relative_path(); };
  for (const auto& [unit, program] : {std::pair<std::string, std::string>{"regline-gateway.service", "regline-gateway"},
                                      {"regline-connector@.service", "regline-connector"}}) {
    SCOPED_TRACE(unit);
    const std::vector<std::string> argv = ExecStart(ReadFile(root / unit_dir.relative_path() / unit));
    ASSERT_EQ(argv.size(), 3u);
    EXPECT_TRUE(fs::path(argv[0]).is_absolute()) << argv[0];
    EXPECT_EQ(fs::path(argv[0]).filename().string(), program);
    EXPECT_EQ(access(under_root(argv[0]).c_str(), X_OK), 0) << under_root(argv[0]) << " is not an installed program";
    EXPECT_EQ(argv[1], "--config");
    const std::string config = std::regex_replace(argv[2], std::regex("%i"), "example");
    EXPECT_TRUE(fs::is_regular_file(under_root(config))) << under_root(config) << " was not installed";
  }
}

// `cmake --install` of this build tree into a temporary directory.
class InstallTest : public ::testing::Test {
 protected:
  // Installs with `prefix`, under DESTDIR `destdir` unless empty. In
  // `written_`, the paths it reported installing.
  int Install(const std::string& prefix, const fs::path& destdir = {}) {
    std::vector<std::string> env;
    if (!destdir.empty()) env.push_back("DESTDIR=" + destdir.string());
    const fs::path log = dir_.path() / "install.log";
    const int rc =
        testing::RunToCompletion({REGLINE_CMAKE, "--install", REGLINE_BUILD_DIR, "--prefix", prefix}, log, env);
    log_ = ReadFile(log);
    written_.clear();
    std::smatch m;
    for (const auto& line : Lines(log_)) {
      if (std::regex_match(line, m, std::regex(R"(-- (Installing|Up-to-date): (.*))"))) written_.push_back(m[2]);
    }
    return rc;
  }
  // Installs as the Debian package does: prefix /usr, under root().
  void InstallAsThePackage() { ASSERT_EQ(Install("/usr", root()), 0) << log_; }
  fs::path root() const { return dir_.path() / "root"; }

  // Regular files and links under `top`, relative to it, sorted.
  static std::vector<std::string> FilesUnder(const fs::path& top) {
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(top)) {
      if (!e.is_directory()) files.push_back(fs::relative(e.path(), top).string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  testing::TempDir dir_;
  std::string log_;
  std::vector<std::string> written_;
};

TEST_F(InstallTest, PutsEachFileInItsFhsPlace) {
  ASSERT_NO_FATAL_FAILURE(InstallAsThePackage());
  for (const auto& placed : kLayout) {
    EXPECT_TRUE(fs::is_regular_file(root() / placed.path)) << placed.path << " missing; installed:\n" << log_;
  }
  for (const auto& program : kPrograms) {
    const auto perms = fs::status(root() / "usr/bin" / program).permissions();
    EXPECT_NE(perms & fs::perms::others_exec, fs::perms::none) << program << " is not executable by all";
  }
}

TEST_F(InstallTest, InstallsNoOtherFilesAndNoTestsBenchmarksOrFuzzers) {
  ASSERT_NO_FATAL_FAILURE(InstallAsThePackage());
  std::vector<std::string> programs;
  for (const auto& file : FilesUnder(root())) {
    EXPECT_TRUE(InFhsPlace(file)) << file << " is not in an FHS place of docs/install.md";
    if (file.starts_with("usr/bin/")) programs.push_back(fs::path(file).filename().string());
  }
  EXPECT_EQ(programs, kPrograms);
  for (const auto& path : written_) {
    EXPECT_TRUE(path.starts_with(root().string() + "/")) << path << " was written outside DESTDIR";
  }
}

TEST_F(InstallTest, WithThePrefixUsrUnitsConfigurationAndDocsAreTheSourceFiles) {
  ASSERT_NO_FATAL_FAILURE(InstallAsThePackage());
  for (const auto& placed : kLayout) {
    if (placed.source.empty()) continue;
    EXPECT_EQ(ReadFile(root() / placed.path), Source(placed.source))
        << placed.path << " differs from " << placed.source;
  }
}

TEST_F(InstallTest, TheConnectorExampleKeepsItsDataWhereItsUnitInstanceMayWrite) {
  ASSERT_NO_FATAL_FAILURE(InstallAsThePackage());
  const std::string example = ReadFile(root() / "etc/regline/connector-example.toml");
  const std::string data_dir = "/var/lib/regline-connector/example";
  EXPECT_NE(example.find("\ndata_dir = \"" + data_dir + "\"\n"), std::string::npos) << example;
  const std::string unit = ReadFile(root() / "lib/systemd/system/regline-connector@.service");
  EXPECT_NE(unit.find("\nReadWritePaths=/var/lib/regline-connector/%i\n"), std::string::npos) << unit;
  // Apart from data_dir, the example is the source's.
  EXPECT_EQ(std::regex_replace(example, std::regex(data_dir), "/var/lib/regline-connector"),
            Source("connectors/regline-connector.toml"));
}

TEST_F(InstallTest, UnitsStartTheInstalledProgramsWithTheInstalledConfiguration) {
  ASSERT_NO_FATAL_FAILURE(InstallAsThePackage());
  ExpectUnitsStartInstalledPrograms(root(), "/lib/systemd/system");
}

TEST_F(InstallTest, UnderAnotherPrefixEverythingStaysInsideItAndTheUnitsPointThere) {
  const fs::path prefix = dir_.path() / "opt" / "regline";
  ASSERT_EQ(Install(prefix.string()), 0) << log_;
  ASSERT_FALSE(written_.empty()) << log_;
  for (const auto& path : written_) {
    EXPECT_TRUE(path.starts_with(prefix.string() + "/")) << path << " was written outside the prefix";
  }
  EXPECT_TRUE(fs::is_regular_file(prefix / "etc/regline/regline-gateway.toml"));
  ExpectUnitsStartInstalledPrograms("/", prefix / "lib/systemd/system");
  const std::string unit = ReadFile(prefix / "lib/systemd/system/regline-gateway.service");
  EXPECT_EQ(unit.find("/usr/bin/"), std::string::npos) << unit;
}

TEST_F(InstallTest, KeepsAnEditedConfigurationAndPutsTheNewDefaultBesideIt) {
  ASSERT_NO_FATAL_FAILURE(InstallAsThePackage());
  const fs::path config = root() / "etc/regline/regline-gateway.toml";
  const std::string edited = ReadFile(config) + "\n[quotas]\ndouyin = 500000\n";
  std::ofstream(config) << edited;
  ASSERT_NO_FATAL_FAILURE(InstallAsThePackage());
  EXPECT_EQ(ReadFile(config), edited);
  EXPECT_EQ(ReadFile(root() / "etc/regline/regline-gateway.toml.new"), Source("gateway/regline-gateway.toml"));
}

// The .deb that the package_deb test built, read with dpkg-deb.
class PackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<fs::path> debs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(REGLINE_DEB_DIR, ec)) {
      if (e.path().extension() == ".deb") debs.push_back(e.path());
    }
    ASSERT_EQ(debs.size(), 1u) << "expected one .deb in " << REGLINE_DEB_DIR
                               << ", which the package_deb test builds (ctest -R package runs it first)";
    deb_ = debs[0].string();
  }

  // dpkg-deb OPTION PACKAGE [after...]; its output (the test fails if it
  // does).
  std::string DpkgDeb(const std::string& option, const std::vector<std::string>& after = {}) {
    std::vector<std::string> args = {REGLINE_DPKG_DEB, option, deb_};
    args.insert(args.end(), after.begin(), after.end());
    const fs::path log = dir_.path() / "dpkg-deb.log";
    EXPECT_EQ(testing::RunToCompletion(args, log), 0) << ReadFile(log);
    return ReadFile(log);
  }

  // The control file's fields (continuation lines joined with "\n").
  std::map<std::string, std::string> Control() {
    std::map<std::string, std::string> fields;
    std::string last;
    for (const auto& line : Lines(DpkgDeb("--field"))) {
      if (!line.empty() && line[0] == ' ' && !last.empty()) {
        fields[last] += "\n" + line;
      } else if (const auto colon = line.find(": "); colon != std::string::npos) {
        last = line.substr(0, colon);
        fields[last] = line.substr(colon + 2);
      }
    }
    return fields;
  }

  // One line of --contents: mode string, owner, and path without "./".
  struct Entry {
    std::string mode;
    std::string owner;
    std::string path;
  };
  std::vector<Entry> Contents() {
    std::vector<Entry> entries;
    std::smatch m;
    for (const auto& line : Lines(DpkgDeb("--contents"))) {
      if (std::regex_match(line, m, std::regex(R"((\S+) (\S+) +\d+ \S+ \S+ \./(.*))"))) {
        entries.push_back({m[1], m[2], m[3]});
      } else {
        ADD_FAILURE() << "unexpected --contents line: " << line;
      }
    }
    return entries;
  }

  // The control archive (control, conffiles, maintainer scripts) unpacked
  // into a directory.
  fs::path ControlFiles() {
    const fs::path out = dir_.path() / "DEBIAN";
    DpkgDeb("--control", {out.string()});
    return out;
  }
  // The maintainer scripts the package has, by name.
  std::map<std::string, std::string> MaintainerScripts() {
    std::map<std::string, std::string> scripts;
    const fs::path control = ControlFiles();
    for (const char* name : {"preinst", "postinst", "prerm", "postrm", "config"}) {
      if (fs::exists(control / name)) scripts[name] = ReadFile(control / name);
    }
    return scripts;
  }

  std::string deb_;
  testing::TempDir dir_;
};

TEST_F(PackageTest, ControlNamesThePackageItsVersionAndItsDependencies) {
  auto control = Control();
  EXPECT_EQ(control["Package"], "regline");
  EXPECT_EQ(control["Version"], REGLINE_PROJECT_VERSION);
  EXPECT_EQ(control["Section"], "net");
  EXPECT_EQ(control["Priority"], "optional");
  EXPECT_TRUE(std::regex_match(control["Maintainer"], std::regex(R"([^<>]+ <[^@<> ]+@[^@<> ]+>)")))
      << control["Maintainer"];
  const fs::path arch_log = dir_.path() / "arch.log";
  ASSERT_EQ(testing::RunToCompletion({REGLINE_DPKG, "--print-architecture"}, arch_log), 0);
  EXPECT_EQ(control["Architecture"] + "\n", ReadFile(arch_log));
  // A summary line, then a longer description.
  EXPECT_GE(Lines(control["Description"]).size(), 3u) << control["Description"];

  // Depends: the packages of the libraries the programs link, found by
  // dpkg-shlibdeps, and what the maintainer scripts run.
  std::set<std::string> depends;
  const std::string field = control["Depends"];
  for (size_t start = 0; start <= field.size();) {
    size_t end = field.find(", ", start);
    if (end == std::string::npos) end = field.size();
    depends.insert(std::regex_replace(field.substr(start, end - start), std::regex(R"( \([^)]*\))"), ""));
    start = end + 2;
  }
  for (const char* wanted :
       {"libc6", "libstdc++6", "libzmq5", "libcapnp-0.9.2", "libsqlite3-0", "libssl3", "libcurl4", "libtomlplusplus3",
        "systemd | systemd-standalone-sysusers", "systemd | systemd-standalone-tmpfiles"}) {
    EXPECT_TRUE(depends.count(wanted)) << wanted << " missing from Depends: " << field;
  }
}

TEST_F(PackageTest, ConffilesAreExactlyTheFilesUnderEtc) {
  std::set<std::string> under_etc;
  for (const auto& entry : Contents()) {
    if (entry.path.starts_with("etc/") && entry.mode[0] != 'd') under_etc.insert("/" + entry.path);
  }
  const auto listed = Lines(ReadFile(ControlFiles() / "conffiles"));
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), under_etc);
  EXPECT_TRUE(under_etc.count("/etc/regline/regline-gateway.toml"));
  EXPECT_TRUE(under_etc.count("/etc/regline/connector-example.toml"));
}

TEST_F(PackageTest, MaintainerScriptsAreExecutableShellThatParses) {
  const fs::path control = ControlFiles();
  for (const char* name : {"postinst", "prerm", "postrm"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(fs::is_regular_file(control / name));
    EXPECT_EQ(fs::status(control / name).permissions() & fs::perms::mask, static_cast<fs::perms>(0755));
    EXPECT_TRUE(ReadFile(control / name).starts_with("#!/bin/sh\n"));
    const fs::path log = dir_.path() / "sh.log";
    EXPECT_EQ(testing::RunToCompletion({"/bin/sh", "-n", (control / name).string()}, log), 0) << ReadFile(log);
  }
}

TEST_F(PackageTest, PostinstCreatesTheUserAndTheDirectories) {
  const std::string postinst = WithoutComments(MaintainerScripts()["postinst"]);
  EXPECT_TRUE(std::regex_search(postinst, std::regex(R"(systemd-sysusers [^\n]*regline\.conf)"))) << postinst;
  EXPECT_TRUE(std::regex_search(postinst, std::regex(R"(systemd-tmpfiles [^\n]*--create regline\.conf)"))) << postinst;
}

TEST_F(PackageTest, MaintainerScriptsEnableAndStartNothing) {
  const std::vector<std::string> forbidden = {
      R"(systemctl\b[^\n]*\b(enable|start|restart|reload-or-restart|try-restart|reenable|preset)\b)",
      R"(--now\b)",
      R"(deb-systemd-helper\b[^\n]*\b(enable|unmask)\b)",
      R"(deb-systemd-invoke\b[^\n]*\b(start|restart|try-restart)\b)",
      R"((?:^|[\s;&|(])(invoke-rc\.d|update-rc\.d|service)\s)",
  };
  for (const auto& [name, text] : MaintainerScripts()) {
    for (const auto& pattern : forbidden) {
      std::smatch m;
      const std::string code = WithoutComments(text);
      EXPECT_FALSE(std::regex_search(code, m, std::regex(pattern))) << name << " runs " << m.str();
    }
  }
}

TEST_F(PackageTest, MaintainerScriptsDeleteNoDataAndNoUser) {
  for (const auto& [name, text] : MaintainerScripts()) {
    std::smatch m;
    const std::string code = WithoutComments(text);
    EXPECT_FALSE(std::regex_search(code, m, std::regex(R"(\b(rm|rmdir|userdel|deluser|groupdel|delgroup)\s)")))
        << name << " runs " << m.str();
  }
}

TEST_F(PackageTest, EveryFileIsInAnFhsPlaceAndOwnedByRoot) {
  const auto contents = Contents();
  ASSERT_FALSE(contents.empty());
  for (const auto& entry : contents) {
    EXPECT_EQ(entry.owner, "root/root") << entry.path;
    if (entry.mode[0] == 'd') {
      EXPECT_TRUE(OnTheWayToAnFhsPlace(entry.path)) << "directory " << entry.path;
    } else {
      EXPECT_TRUE(InFhsPlace(entry.path)) << entry.path << " is not in an FHS place of docs/install.md";
    }
  }
}

TEST_F(PackageTest, ShipsTheThreeProgramsAndNoTestsBenchmarksOrFuzzers) {
  std::vector<std::string> programs;
  for (const auto& entry : Contents()) {
    const std::string name = fs::path(entry.path).filename().string();
    EXPECT_FALSE(std::regex_search(name, std::regex(R"(_test$|_bench$|fuzz|submitter|fake_gateway|\.a$)"))) << name;
    if (entry.path.starts_with("usr/bin/") && entry.mode[0] != 'd') {
      programs.push_back(name);
      EXPECT_EQ(entry.mode, "-rwxr-xr-x") << name;
    }
  }
  std::sort(programs.begin(), programs.end());
  EXPECT_EQ(programs, kPrograms);
}

TEST_F(PackageTest, ItsUnitsStartItsProgramsWhichRun) {
  const fs::path root = dir_.path() / "root";
  DpkgDeb("--extract", {root.string()});
  for (const auto& placed : kLayout) {
    if (!placed.source.empty()) {
      EXPECT_EQ(ReadFile(root / placed.path), Source(placed.source)) << placed.path;
    }
  }
  ExpectUnitsStartInstalledPrograms(root, "/lib/systemd/system");
  for (const auto& program : kPrograms) {
    const fs::path log = dir_.path() / "version.log";
    EXPECT_EQ(testing::RunToCompletion({(root / "usr/bin" / program).string(), "--version"}, log), 0) << ReadFile(log);
    EXPECT_EQ(ReadFile(log), program + " " + REGLINE_PROJECT_VERSION + "\n");
  }
}

}  // namespace
}  // namespace regline
