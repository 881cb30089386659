#include "gateway/core/checkpointer.h"

#include <pthread.h>

#include <algorithm>

namespace regline {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& path, int threshold_pages) {
  Result<Database> db = Database::Open(path);
  if (!db.ok()) return db.status().WithContext("starting the checkpointer");
  REGLINE_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 5000"));
  // SQLite opens a connection's file lazily; a checkpoint on a connection
  // that has not read anything yet silently does nothing. Read once.
  Result<int64_t> tables = db->QueryInt("SELECT count(*) FROM sqlite_schema");
  if (!tables.ok()) return tables.status().WithContext("starting the checkpointer");
  return std::unique_ptr<Checkpointer>(new Checkpointer(std::move(db).value(), threshold_pages));
}

Checkpointer::Checkpointer(Database db, int threshold_pages)
    : db_(std::move(db)), threshold_pages_(threshold_pages), thread_([this] { Loop(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Checkpointer::Attach(sqlite3* writer) {
  sqlite3_wal_autocheckpoint(writer, 0);  // also removes SQLite's own hook
  sqlite3_wal_hook(writer, &Checkpointer::OnCommit, this);
}

int Checkpointer::completed() const {
  std::lock_guard lock(mu_);
  return completed_;
}

int Checkpointer::OnCommit(void* self, sqlite3* writer, const char* name, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages < c->last_wake_pages_) c->last_wake_pages_ = 0;  // the log started over
  // Under steady load the background pass never catches the log's moving
  // end, and SQLite only starts the log over once a checkpoint has copied
  // all of it. So the writer copies the tail itself, while nothing else
  // writes, and its next transaction starts the log from the beginning.
  // It does so right after a pass that began at 1.75 times the threshold
  // or later has copied all it saw, so that the tail is only the frames
  // committed during that pass; each finish still costs the writer two
  // fsyncs (about 2 ms at 5,000 msg/s), hence the long cycle. It does not
  // wait for a pass in progress: waiting held the writer, and every
  // submission, for as long as the pass's fsync took (once 108 ms on this
  // machine). Only far past the threshold, should the thread fall behind,
  // does it wait.
  const int finish_from = c->threshold_pages_ + 3 * c->threshold_pages_ / 4;
  const int caught_up = c->caught_up_frames_.load();
  const bool finish_now = caught_up >= finish_from && caught_up <= pages;
  const bool overdue = pages >= 4 * c->threshold_pages_;
  if (finish_now || pages >= 2 * c->threshold_pages_) {
    std::unique_lock pass(c->checkpoint_mu_, std::defer_lock);
    if (overdue) {
      pass.lock();
    } else if (!pass.try_lock()) {
      return SQLITE_OK;  // a pass is running: its end brings the writer back here
    }
    c->caught_up_frames_.store(0);
    (void)sqlite3_wal_checkpoint_v2(writer, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  // The thread is woken at the threshold and then at each further quarter
  // of it, not after every commit: each commit past the threshold would
  // otherwise start another pass (each with an fsync of the database file)
  // for the few frames since the last.
  if (pages >= c->threshold_pages_ && pages - c->last_wake_pages_ >= std::max(1, c->threshold_pages_ / 4)) {
    c->last_wake_pages_ = pages;
    c->wakes_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(c->mu_);
      c->wanted_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::Loop() {
  pthread_setname_np(pthread_self(), "regline-ckpt");
  for (;;) {
    bool last;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return wanted_ || stopping_; });
      wanted_ = false;
      last = stopping_;
    }
    // A failed checkpoint is harmless (the log just stays longer) and is
    // tried again at the next wake-up, so its result is only counted.
    int log_frames = 0, copied_frames = 0;
    int rc;
    {
      std::lock_guard pass(checkpoint_mu_);
      rc = sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied_frames);
    }
    if (rc == SQLITE_OK && copied_frames > 0) {
      // Everything the log held when the pass began is in the database
      // file now: the writer's next commit finishes the rest (OnCommit).
      if (copied_frames == log_frames) caught_up_frames_.store(log_frames);
      std::lock_guard lock(mu_);
      ++completed_;
    }
    if (last) return;
  }
}

}  // namespace regline
