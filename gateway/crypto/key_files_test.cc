#include "gateway/crypto/key_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gateway/core/test_util.h"

namespace regline::crypto {
namespace {

std::string Contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Sets the process umask for one test and restores it after.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST(CryptoKeyFilesTest, WritesExactContentsAndMode) {
  testing::TempDir dir;
  ScopedUmask umask(022);
  ASSERT_TRUE(WriteNewFile(dir.File("a.key"), "secret\n", 0600).ok());
  ASSERT_TRUE(WriteNewFile(dir.File("a.pub"), "public\n", 0644).ok());
  EXPECT_EQ(Contents(dir.File("a.key")), "secret\n");
  EXPECT_EQ(ModeOf(dir.File("a.key")), 0600u);
  EXPECT_EQ(ModeOf(dir.File("a.pub")), 0644u);
}

TEST(CryptoKeyFilesTest, ModeIsExactEvenWhenTheUmaskWouldChangeIt) {
  testing::TempDir dir;
  ScopedUmask umask(077);
  ASSERT_TRUE(WriteNewFile(dir.File("a.pub"), "public\n", 0644).ok());
  EXPECT_EQ(ModeOf(dir.File("a.pub")), 0644u);
}

TEST(CryptoKeyFilesTest, NeverOverwrites) {
  testing::TempDir dir;
  std::string path = dir.File("a.key");
  ASSERT_TRUE(WriteNewFile(path, "first", 0600).ok());
  Status second = WriteNewFile(path, "second", 0600);
  EXPECT_EQ(second.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(second.message().find(path), std::string::npos);
  EXPECT_EQ(Contents(path), "first");
}

TEST(CryptoKeyFilesTest, DoesNotFollowADanglingSymlink) {
  testing::TempDir dir;
  ASSERT_EQ(::symlink(dir.File("target").c_str(), dir.File("link").c_str()), 0);
  EXPECT_EQ(WriteNewFile(dir.File("link"), "secret", 0600).code(), StatusCode::kAlreadyExists);
  EXPECT_NE(::access(dir.File("target").c_str(), F_OK), 0);
}

TEST(CryptoKeyFilesTest, MissingDirectoryIsAnIoErrorNamingThePath) {
  testing::TempDir dir;
  std::string path = dir.File("no/such/dir/a.key");
  Status status = WriteNewFile(path, "x", 0600);
  EXPECT_EQ(status.code(), StatusCode::kIOError);
  EXPECT_NE(status.message().find(path), std::string::npos);
}

TEST(CryptoKeyFilesTest, ReadSmallFileReturnsTheContents) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteNewFile(dir.File("a.pub"), "public\n", 0644).ok());
  Result<std::string> text = ReadSmallFile(dir.File("a.pub"), FileSecrecy::kPublic);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "public\n");
}

TEST(CryptoKeyFilesTest, OwnerOnlyRefusesAnyGroupOrOtherBits) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteNewFile(dir.File("ok.key"), "s", 0600).ok());
  EXPECT_TRUE(ReadSmallFile(dir.File("ok.key"), FileSecrecy::kOwnerOnly).ok());
  ASSERT_TRUE(WriteNewFile(dir.File("ro.key"), "s", 0400).ok());
  EXPECT_TRUE(ReadSmallFile(dir.File("ro.key"), FileSecrecy::kOwnerOnly).ok());
  for (mode_t mode : {0640, 0604, 0620, 0660, 0644}) {
    std::string path = dir.File("k" + std::to_string(mode));
    ASSERT_TRUE(WriteNewFile(path, "s", mode).ok());
    Result<std::string> text = ReadSmallFile(path, FileSecrecy::kOwnerOnly);
    EXPECT_EQ(text.status().code(), StatusCode::kPermissionDenied) << std::oct << mode;
    EXPECT_NE(text.status().message().find("chmod 600"), std::string::npos);
    EXPECT_TRUE(ReadSmallFile(path, FileSecrecy::kPublic).ok());
  }
}

TEST(CryptoKeyFilesTest, ReadErrorsHaveKinds) {
  testing::TempDir dir;
  EXPECT_EQ(ReadSmallFile(dir.File("none"), FileSecrecy::kPublic).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadSmallFile(dir.path().string(), FileSecrecy::kPublic).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(WriteNewFile(dir.File("big"), std::string((1 << 20) + 1, 'x'), 0644).ok());
  EXPECT_EQ(ReadSmallFile(dir.File("big"), FileSecrecy::kPublic).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace regline::crypto
