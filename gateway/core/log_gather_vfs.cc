#include "gateway/core/log_gather_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace regline {
namespace {

constexpr size_t kMaxGathered = size_t{4} << 20;
constexpr int kFrameHeaderBytes = 24;  // a WAL frame's header (SQLite's file format)
// The most one xWrite of the default VFS takes: SQLite's unix VFS writes
// at most 128 KiB - 1 bytes per call (it masks the length), and reports a
// longer write as a full disk.
constexpr size_t kMaxWrite = 120 * 1024;

// What a `-wal` file has gathered: bytes that follow one another from
// `start`, not yet written.
struct Gathered {
  std::vector<unsigned char> bytes;
  sqlite3_int64 start = 0;
  bool commit_page_next = false;  // the last write was the header of a frame that commits
  int failed = SQLITE_OK;         // a write that could not report its failure (see ShmBarrier)
};

// The file SQLite sees. The default VFS's own file follows it in the same
// allocation (szOsFile covers both).
struct File {
  sqlite3_file base;
  sqlite3_file* real;
  Gathered* log;  // null: not a `-wal` file, everything passes through
};

constexpr size_t kRealOffset = (sizeof(File) + 7) / 8 * 8;

sqlite3_vfs* g_default = nullptr;
sqlite3_vfs g_vfs;

// The logs holding gathered bytes, with the thread that wrote them. A
// thread's are flushed at any database file's xShmBarrier, which SQLite
// calls while it publishes a commit. The commit frame's own write has
// flushed them by then; this is a second line, should a SQLite release
// write a commit frame some other way. Taken once per gathered run of
// frames (about once per commit), not per write.
std::mutex g_pending_mu;
std::vector<std::pair<File*, std::thread::id>> g_pending;
std::atomic<uint64_t> g_barrier_writes{0};

void NotePending(File* f) {
  std::lock_guard lock(g_pending_mu);
  g_pending.emplace_back(f, std::this_thread::get_id());
}

void ForgetPending(File* f) {
  std::lock_guard lock(g_pending_mu);
  for (size_t i = 0; i < g_pending.size(); ++i) {
    if (g_pending[i].first == f) {
      g_pending[i] = g_pending.back();
      g_pending.pop_back();
      return;
    }
  }
}

File* Of(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
const sqlite3_io_methods* Real(File* f) { return f->real->pMethods; }

// Writes what `f` gathered; the caller has taken it off g_pending.
int WriteGathered(File* f) {
  Gathered& g = *f->log;
  if (g.bytes.empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  for (size_t done = 0; done < g.bytes.size() && rc == SQLITE_OK; done += kMaxWrite) {
    const size_t n = std::min(kMaxWrite, g.bytes.size() - done);
    rc = Real(f)->xWrite(f->real, g.bytes.data() + done, static_cast<int>(n),
                         g.start + static_cast<sqlite3_int64>(done));
  }
  g.bytes.clear();
  g.commit_page_next = false;
  return rc;
}

int Flush(File* f) {
  if (f->log->bytes.empty()) return SQLITE_OK;
  ForgetPending(f);
  return WriteGathered(f);
}

// Before any operation on a log other than a following write.
int Settle(File* f) {
  if (f->log == nullptr) return SQLITE_OK;
  if (f->log->failed != SQLITE_OK) return f->log->failed;
  return Flush(f);
}

int Close(sqlite3_file* file) {
  File* f = Of(file);
  if (f->log != nullptr) {
    // Only frames of a transaction that never committed can be here (a
    // commit flushes at once): losing them loses nothing.
    (void)Flush(f);
    delete f->log;
    f->log = nullptr;
  }
  return Real(f)->xClose(f->real);
}

// An operation on a log other than a following write: what was gathered
// is written first. On any other file it is passed through.
template <auto Member, typename... Args>
int AfterFlush(sqlite3_file* file, Args... args) {
  File* f = Of(file);
  if (int rc = Settle(f); rc != SQLITE_OK) return rc;
  return (Real(f)->*Member)(f->real, args...);
}

template <auto Member, typename... Args>
auto Through(sqlite3_file* file, Args... args) {
  return (Real(Of(file))->*Member)(Of(file)->real, args...);
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File* f = Of(file);
  if (f->log == nullptr) return Real(f)->xWrite(f->real, data, amount, offset);
  Gathered& g = *f->log;
  if (g.failed != SQLITE_OK) return g.failed;
  // Taken before a flush below clears it: this write is the page of the
  // frame that commits, so the transaction is whole once it is written.
  const bool completes_commit = g.commit_page_next;
  if (!g.bytes.empty() && offset != g.start + static_cast<sqlite3_int64>(g.bytes.size())) {
    if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  }
  if (g.bytes.empty()) {
    g.start = offset;
    NotePending(f);
  }
  const auto* bytes = static_cast<const unsigned char*>(data);
  g.bytes.insert(g.bytes.end(), bytes, bytes + amount);
  // A frame header: bytes 4..7 hold the database's size after the commit
  // in a commit frame, zero in any other.
  g.commit_page_next =
      !completes_commit && amount == kFrameHeaderBytes && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
  if (completes_commit || g.bytes.size() >= kMaxGathered) return Flush(f);
  return SQLITE_OK;
}

void ShmBarrier(sqlite3_file* file) {
  {
    // Under the lock, so that a log closed meanwhile by another thread
    // (Close takes it too) is never touched. Normally nothing is pending.
    std::lock_guard lock(g_pending_mu);
    for (size_t i = 0; i < g_pending.size();) {
      if (g_pending[i].second != std::this_thread::get_id()) {
        ++i;
        continue;
      }
      File* log = g_pending[i].first;
      g_pending[i] = g_pending.back();
      g_pending.pop_back();
      g_barrier_writes.fetch_add(1, std::memory_order_relaxed);
      // A failure cannot be reported from here: the log refuses every
      // later operation with it instead, so the connection fails rather
      // than go on past frames that are not in the file.
      if (int rc = WriteGathered(log); rc != SQLITE_OK) log->log->failed = rc;
    }
  }
  Real(Of(file))->xShmBarrier(Of(file)->real);
}

int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  File* f = Of(file);
  if (f->log != nullptr) {  // SQLite does not map its log; read it with xRead
    *out = nullptr;
    return SQLITE_OK;
  }
  return Real(f)->xFetch(f->real, offset, amount, out);
}

int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  File* f = Of(file);
  if (f->log != nullptr) return SQLITE_OK;
  return Real(f)->xUnfetch(f->real, offset, page);
}

using M = sqlite3_io_methods;
const sqlite3_io_methods kMethods = {
    3,
    Close,
    AfterFlush<&M::xRead, void*, int, sqlite3_int64>,
    Write,
    AfterFlush<&M::xTruncate, sqlite3_int64>,
    AfterFlush<&M::xSync, int>,
    AfterFlush<&M::xFileSize, sqlite3_int64*>,
    AfterFlush<&M::xLock, int>,
    AfterFlush<&M::xUnlock, int>,
    AfterFlush<&M::xCheckReservedLock, int*>,
    AfterFlush<&M::xFileControl, int, void*>,
    Through<&M::xSectorSize>,
    Through<&M::xDeviceCharacteristics>,
    Through<&M::xShmMap, int, int, int, void volatile**>,
    Through<&M::xShmLock, int, int, int>,
    ShmBarrier,
    Through<&M::xShmUnmap, int>,
    Fetch,
    Unfetch,
};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = Of(file);
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  f->log = nullptr;
  file->pMethods = nullptr;
  const int rc = g_default->xOpen(g_default, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (f->real->pMethods == nullptr || f->real->pMethods->iVersion < 3) {
    // A default VFS older than the methods this wraps (version 3): refuse
    // the file rather than guess at its methods.
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    return SQLITE_CANTOPEN;
  }
  if (flags & SQLITE_OPEN_WAL) f->log = new Gathered;
  file->pMethods = &kMethods;
  return SQLITE_OK;
}

}  // namespace

uint64_t LogGatherBarrierWrites() { return g_barrier_writes.load(std::memory_order_relaxed); }

bool RegisterLogGatherVfs() {
  static bool registered = false;
  static std::once_flag once;
  std::call_once(once, [] {
    g_default = sqlite3_vfs_find(nullptr);
    if (g_default == nullptr) return;
    g_vfs = *g_default;
    g_vfs.pNext = nullptr;
    g_vfs.zName = kLogGatherVfsName;
    g_vfs.szOsFile = static_cast<int>(kRealOffset) + g_default->szOsFile;
    g_vfs.xOpen = Open;
    registered = sqlite3_vfs_register(&g_vfs, 1) == SQLITE_OK;
  });
  return registered;
}

}  // namespace regline
