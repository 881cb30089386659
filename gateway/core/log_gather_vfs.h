// A SQLite VFS that writes each commit's log frames with one system call.
//
// SQLite writes a WAL frame as two pwrite()s, its 24-byte header and then
// its page, and a commit writes a frame for every page it changed: about
// thirty system calls for a small commit. Where a system call is dear (on
// the PVM guests of docs/performance.md it costs about 1 µs, and the
// gateway's writer spent a quarter of its time at 5,000 msg/s in these
// writes) that is much of a commit's cost.
//
// This VFS passes everything to the default one, except that writes to a
// `-wal` file that follow one another are gathered in memory and written
// with one pwrite(). What is gathered is written:
//   - as soon as the frame that commits a transaction is complete (a frame
//     header whose "database size after commit" field is not zero, then its
//     page), by the xWrite() of that page: a failure fails the commit there,
//     as SQLite's own failed write would, before SQLite publishes the
//     commit to readers or syncs;
//   - before any other operation on the same file (read, size, truncate,
//     sync, lock, file control, close) and before a write elsewhere in it;
//   - when 4 MiB have gathered (a large transaction spilling its cache).
// Nothing else reads the frames before the commit is published, so no
// reader, in this process or another, can see the log without them.
#pragma once

#include <cstdint>

namespace regline {

// Registers the VFS as SQLite's default, once per process (the first call;
// later calls do nothing). Database::Open calls it. Returns false, and
// leaves SQLite's own default in place, if it could not.
bool RegisterLogGatherVfs();

// How many times the second line (a commit being published while frames
// were still gathered, see log_gather_vfs.cc) had to write them. Zero
// while the commit frame's own write flushes every commit, as it does
// with the SQLite this was built against; the tests check that it stays so.
uint64_t LogGatherBarrierWrites();

// The name it is registered under.
inline constexpr const char* kLogGatherVfsName = "regline-log-gather";

}  // namespace regline
