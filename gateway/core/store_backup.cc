#include "gateway/core/store_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "gateway/core/files.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/store_schema.h"

namespace regline {
namespace {

namespace fs = std::filesystem;

// One sqlite3_backup* from init to finish. Finish() reports the outcome of
// the whole copy; the destructor finishes an abandoned one.
class OnlineBackup {
 public:
  OnlineBackup(Database& dest, Database& source)
      : backup_(sqlite3_backup_init(dest.get(), "main", source.get(), "main")), dest_(dest.get()) {}
  OnlineBackup(const OnlineBackup&) = delete;
  OnlineBackup& operator=(const OnlineBackup&) = delete;
  ~OnlineBackup() {
    if (backup_ != nullptr) sqlite3_backup_finish(backup_);
  }

  bool started() const { return backup_ != nullptr; }
  // Copies every page in one step, i.e. in one read transaction on the
  // source: a snapshot as of one commit. Retries while the source is busy
  // or locked, for up to `retry_ms`.
  int CopyAll(int retry_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(retry_ms);
    for (;;) {
      int rc = sqlite3_backup_step(backup_, -1);
      if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline) return rc;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  int Finish() {
    int rc = sqlite3_backup_finish(backup_);
    backup_ = nullptr;
    return rc == SQLITE_OK ? rc : sqlite3_errcode(dest_);
  }

 private:
  sqlite3_backup* backup_;
  sqlite3* dest_;
};

// The application id, then the schema version; kCorruption for a file
// that is not a Regline store.
Result<int> StoreVersion(Database& db, const std::string& path) {
  Result<int64_t> app = db.QueryInt("PRAGMA application_id");
  if (!app.ok()) return app.status().WithContext(path);
  if (*app != store_schema::kApplicationId) {
    return Corruption(path + " is not a Regline store (application_id " + std::to_string(*app) + ")");
  }
  Result<int64_t> version = db.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status().WithContext(path);
  return static_cast<int>(*version);
}

// PRAGMA integrity_check: ok, or kCorruption naming the first problems.
Status CheckIntegrity(Database& db, const std::string& path) {
  Result<Statement> check = db.Prepare("PRAGMA integrity_check(10)");
  if (!check.ok()) return check.status();
  std::string problems;
  for (;;) {
    Result<bool> row = check->Step();
    if (!row.ok()) return row.status().WithContext("integrity check of " + path);
    if (!*row) break;
    std::string line = check->ColumnText(0);
    if (line == "ok") return Status::Ok();
    problems += problems.empty() ? line : "; " + line;
  }
  return Corruption(path + " fails its integrity check: " + problems);
}

Result<StoreFileSummary> Summarize(Database& db, const std::string& path, int version) {
  StoreFileSummary s;
  s.schema_version = version;
  struct Count {
    int64_t* into;
    const char* sql;
  };
  int64_t last_seq = 0;
  int64_t audit_head = 0;
  std::vector<Count> counts = {
      {&s.messages, "SELECT count(*) FROM messages"},
      {&last_seq, "SELECT coalesce(max(seq), 0) FROM messages"},
      {&s.pending, "SELECT count(*) FROM deliveries WHERE state IN (0, 1)"},
      {&s.dead_lettered, "SELECT count(*) FROM deliveries WHERE state = 7"},
      {&s.recipients, "SELECT count(*) FROM recipients WHERE last_delivery_seq > 0"},
  };
  if (version >= 2) counts.push_back({&audit_head, "SELECT coalesce(max(seq), 0) FROM audit_log"});
  for (const Count& c : counts) {
    Result<int64_t> n = db.QueryInt(c.sql);
    if (!n.ok()) return n.status().WithContext(path);
    *c.into = *n;
  }
  s.last_message_seq = static_cast<uint64_t>(last_seq);
  s.audit_head_seq = static_cast<uint64_t>(audit_head);
  return s;
}

Status SyncFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "opening " + path);
  if (fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync of " + path);
  return Status::Ok();
}

std::string DirectoryOf(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Copies `source` to `dest` (a new file of mode `mode`) through the online
// backup, makes it a stand-alone file, checks it and summarizes it. `dest`
// is left in place on success and removed on failure.
Result<StoreFileSummary> CopyStore(const std::string& source, const std::string& dest, mode_t mode,
                                   const BackupOptions& options) {
  Result<Database> src = Database::OpenReadOnly(source);
  if (!src.ok()) return src.status();
  REGLINE_RETURN_IF_ERROR(src->Exec("PRAGMA busy_timeout = 5000"));
  Result<int> version = StoreVersion(*src, source);
  if (!version.ok()) return version.status();

  unlink(dest.c_str());  // left by a copy that was interrupted
  {
    UniqueFd created(open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!created.valid()) return ErrnoStatus(errno, "creating " + dest);
  }
  auto copy = [&]() -> Result<StoreFileSummary> {
    Result<Database> out = Database::Open(dest);
    if (!out.ok()) return out.status();
    {
      OnlineBackup backup(*out, *src);
      if (!backup.started()) return SqliteError(sqlite3_errcode(out->get()), out->get(), "starting the backup");
      int rc = backup.CopyAll(options.busy_retry_ms);
      int finished = backup.Finish();
      if (rc != SQLITE_DONE) return SqliteError(rc, out->get(), "copying " + source + " to " + dest);
      if (finished != SQLITE_OK) return SqliteError(finished, out->get(), "finishing the copy to " + dest);
    }
    // The copy took the source's WAL mode with its pages; one file is what
    // a backup should be.
    Result<Statement> journal = out->Prepare("PRAGMA journal_mode = DELETE");
    if (!journal.ok()) return journal.status();
    Result<bool> row = journal->Step();
    if (!row.ok()) return row.status();
    journal->Reset();
    Result<int> copied = StoreVersion(*out, dest);
    if (!copied.ok()) return copied.status();
    if (*copied != *version) {
      return Corruption(dest + " has schema version " + std::to_string(*copied) + ", the source " +
                        std::to_string(*version));
    }
    REGLINE_RETURN_IF_ERROR(CheckIntegrity(*out, dest));
    return Summarize(*out, dest, *copied);
  };
  Result<StoreFileSummary> summary = copy();
  Status s = summary.status();
  if (s.ok()) s = SyncFile(dest);
  if (!s.ok()) {
    unlink(dest.c_str());
    unlink((dest + "-journal").c_str());
    return s;
  }
  return summary;
}

}  // namespace

Result<StoreFileSummary> BackupStore(const std::string& source, const std::string& dest, const BackupOptions& options) {
  if (!options.overwrite && Exists(dest)) return AlreadyExists(dest + " exists");
  const std::string temp = dest + ".tmp";
  Result<StoreFileSummary> summary = CopyStore(source, temp, 0600, options);
  if (!summary.ok()) return summary.status();
  // Without overwrite, a file that appeared at `dest` during the copy wins.
  int rc = renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, dest.c_str(), options.overwrite ? 0 : RENAME_NOREPLACE);
  if (rc != 0 && errno == EINVAL && !Exists(dest)) rc = rename(temp.c_str(), dest.c_str());  // no RENAME_NOREPLACE here
  if (rc != 0) {
    Status s =
        errno == EEXIST ? AlreadyExists(dest + " exists") : ErrnoStatus(errno, "renaming " + temp + " to " + dest);
    unlink(temp.c_str());
    return s;
  }
  REGLINE_RETURN_IF_ERROR(SyncDirectory(DirectoryOf(dest)));
  struct stat st;
  if (stat(dest.c_str(), &st) == 0) summary->bytes = st.st_size;
  return summary;
}

Result<StoreFileSummary> CheckStoreFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, path);
  Result<Database> db = Database::OpenReadOnly(path);
  if (!db.ok()) return db.status();
  Result<int> version = StoreVersion(*db, path);
  if (!version.ok()) return version.status();
  if (*version > store_schema::LatestVersion()) {
    return FailedPrecondition(path + " has schema version " + std::to_string(*version) + ", newer than this build's " +
                              std::to_string(store_schema::LatestVersion()) +
                              "; restore it with the Regline release that wrote it, or a newer one");
  }
  REGLINE_RETURN_IF_ERROR(CheckIntegrity(*db, path));
  Result<StoreFileSummary> summary = Summarize(*db, path, *version);
  if (summary.ok()) summary->bytes = st.st_size;
  return summary;
}

Result<StoreFileSummary> RestoreStore(const std::string& backup, const std::string& data_dir,
                                      const RestoreOptions& options) {
  Result<StoreFileSummary> checked = CheckStoreFile(backup);
  if (!checked.ok()) return checked.status();
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return IOError("cannot create data directory " + data_dir + ": " + ec.message());

  Result<UniqueFd> lock = LockFileExclusively(data_dir + "/gateway.lock");
  if (!lock.ok()) {
    if (lock.status().code() != StatusCode::kFailedPrecondition) return lock.status();
    return FailedPrecondition("a gateway is running on " + data_dir + " (it holds " + data_dir +
                              "/gateway.lock); stop it first");
  }
  const std::string store = data_dir + "/gateway.db";
  const std::string aside = data_dir + "/gateway.db.replaced";
  const char* const kParts[] = {"-wal", "-shm", ""};  // the log first: never an old log beside the new file
  bool old_store = false;
  for (const char* part : kParts) {
    if (Exists(aside + part)) {
      return AlreadyExists(aside + part + " is there from an earlier restore; move it away first");
    }
    old_store = old_store || Exists(store + part);
  }
  if (old_store && !options.replace) return AlreadyExists(store + " (or its -wal or -shm) exists");

  const std::string staging = store + ".restoring";
  Result<StoreFileSummary> copied = CopyStore(backup, staging, 0640, BackupOptions{});
  if (!copied.ok()) return copied.status();
  struct stat dir;
  if (geteuid() == 0 && stat(data_dir.c_str(), &dir) == 0 && chown(staging.c_str(), dir.st_uid, dir.st_gid) != 0) {
    Status s = ErrnoStatus(errno, "giving " + staging + " the data directory's owner");
    unlink(staging.c_str());
    return s;
  }
  for (const char* part : kParts) {
    if (!Exists(store + part)) continue;
    if (rename((store + part).c_str(), (aside + part).c_str()) != 0) {
      Status s = ErrnoStatus(errno, "setting the old store aside: renaming " + store + part + " to " + aside + part);
      unlink(staging.c_str());
      return s;
    }
  }
  if (rename(staging.c_str(), store.c_str()) != 0) {
    return ErrnoStatus(errno,
                       "renaming " + staging + " to " + store + " (the old store is set aside as " + aside + ")");
  }
  REGLINE_RETURN_IF_ERROR(SyncDirectory(data_dir));
  struct stat st;
  if (stat(store.c_str(), &st) == 0) copied->bytes = st.st_size;
  return copied;
}

}  // namespace regline
