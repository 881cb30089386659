// The executable's getpid (cached_pid.cc): the one every library binds to,
// and right in the parent and in a forked child.
#include <dlfcn.h>
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace {

pid_t KernelPid() { return static_cast<pid_t>(syscall(SYS_getpid)); }

// Whether the 64-bit ELF file at `path` defines `name` in its dynamic
// symbol table, the one the dynamic linker binds other objects' calls to.
bool DefinesDynamicSymbol(const std::string& path, const char* name) {
  std::ifstream in(path, std::ios::binary);
  const std::string elf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (elf.size() < sizeof(Elf64_Ehdr) || elf.compare(0, SELFMAG, ELFMAG) != 0) return false;
  const auto* header = reinterpret_cast<const Elf64_Ehdr*>(elf.data());
  const auto* sections = reinterpret_cast<const Elf64_Shdr*>(elf.data() + header->e_shoff);
  for (int i = 0; i < header->e_shnum; ++i) {
    if (sections[i].sh_type != SHT_DYNSYM) continue;
    const char* names = elf.data() + sections[sections[i].sh_link].sh_offset;
    const auto* symbols = reinterpret_cast<const Elf64_Sym*>(elf.data() + sections[i].sh_offset);
    for (size_t k = 0; k < sections[i].sh_size / sizeof(Elf64_Sym); ++k) {
      if (symbols[k].st_shndx != SHN_UNDEF && std::strcmp(names + symbols[k].st_name, name) == 0) return true;
    }
  }
  return false;
}

TEST(CachedPidTest, BothDaemonsDefineTheGetpidLibrariesBindTo) {
  // Linked with regline_cached_pid, each exports its own getpid; without
  // it, getpid is only an undefined reference to libc's.
  EXPECT_TRUE(DefinesDynamicSymbol(REGLINE_GATEWAY_BINARY, "getpid")) << REGLINE_GATEWAY_BINARY;
  EXPECT_TRUE(DefinesDynamicSymbol(REGLINE_CONNECTOR_BINARY, "getpid")) << REGLINE_CONNECTOR_BINARY;
}

TEST(CachedPidTest, LibrariesBindToTheExecutablesGetpid) {
  // What a shared library's call to getpid resolves to: the first
  // definition in the global scope.
  void* bound = dlsym(RTLD_DEFAULT, "getpid");
  // libc's own, the one after the executable's.
  void* libc = dlsym(RTLD_NEXT, "getpid");
  ASSERT_NE(bound, nullptr);
  ASSERT_NE(libc, nullptr);
  EXPECT_NE(bound, libc) << "getpid resolves to libc's: the executable's is not exported";
  EXPECT_EQ(bound, reinterpret_cast<void*>(&getpid));
}

TEST(CachedPidTest, AnswersTheProcessId) {
  EXPECT_EQ(getpid(), KernelPid());
  EXPECT_EQ(getpid(), KernelPid());  // the second, from memory
}

TEST(CachedPidTest, AForkedChildGetsItsOwnId) {
  const pid_t parent = getpid();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const pid_t seen[2] = {getpid(), KernelPid()};
    const bool written = write(fds[1], seen, sizeof seen) == static_cast<ssize_t>(sizeof seen);
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  pid_t seen[2] = {0, 0};
  EXPECT_EQ(read(fds[0], seen, sizeof seen), static_cast<ssize_t>(sizeof seen));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(seen[1], child);
  EXPECT_EQ(seen[0], child) << "the child's getpid still gave the parent's id " << parent;
  EXPECT_EQ(getpid(), parent);
}

}  // namespace
