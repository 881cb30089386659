// Checkpointer: moves the store's write-ahead log into the database file on
// a thread of its own, so the writer never pays for it.
//
// SQLite's automatic checkpoint runs inside the committing thread, right
// after a commit, and copies and fsyncs pages there; on the submit path that
// costs about a fifth of the throughput. Instead the writer connection turns
// automatic checkpoints off and calls Attach(), which installs a WAL hook:
// after each commit SQLite reports the log's size, and once it passes
// `threshold_pages` (and again at each further quarter of it) the hook wakes
// this thread, which runs a PASSIVE checkpoint on its own connection
// (PASSIVE never blocks the writer or readers; what it cannot copy yet it
// copies next time). From 1.75 times the threshold, once a pass has copied
// all the log held when it began, the writer's next commit copies the few
// frames since then itself, so that the log starts over from its beginning
// instead of growing without end under steady load. The writer never waits
// for a pass in progress unless the log has grown to four times the
// threshold.
//
// A crash at any point loses nothing: a checkpoint syncs the log before it
// copies from it (also when the writer's connection runs at NORMAL, see
// Store::DeferSync), and the log starts over only once the database file
// is synced. The destructor runs a last checkpoint and joins the thread; it
// must run before the writer connection closes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/core/sqlite.h"

namespace regline {

class Checkpointer {
 public:
  // Opens a second connection to `path`; kIOError when it cannot.
  static Result<std::unique_ptr<Checkpointer>> Start(const std::string& path, int threshold_pages);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Turns off `writer`'s automatic checkpoints and wakes this thread when
  // the log grows past the threshold. Call on the writer's thread.
  void Attach(sqlite3* writer);

  // Checkpoints that copied frames since start, for tests and metrics.
  int completed() const;
  // Times the writer's commits woke the thread since start (at the
  // threshold and at each further quarter of it), for tests.
  int wakes() const { return wakes_.load(); }

 private:
  Checkpointer(Database db, int threshold_pages);
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages);
  void Loop();

  Database db_;  // used only by the thread
  // Held for the length of one checkpoint pass, by the thread or by the
  // writer when it must finish the log itself.
  std::mutex checkpoint_mu_;
  const int threshold_pages_;
  int last_wake_pages_ = 0;  // the log's size at the last wake-up; the writer's thread only
  // The log's size when the thread's last pass copied all of it; 0 when the
  // writer has since finished the log (or none has).
  std::atomic<int> caught_up_frames_{0};
  std::atomic<int> wakes_{0};
  mutable std::mutex mu_;  // guards wanted_, stopping_, completed_
  std::condition_variable wake_;
  bool wanted_ = false;
  bool stopping_ = false;
  int completed_ = 0;
  std::thread thread_;
};

}  // namespace regline
