#include "gateway/core/audit_chain.h"

#include <gtest/gtest.h>

#include "gateway/core/clock.h"
#include "gateway/core/store.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

// The encoding in docs/store.md, computed independently with Python's
// hashlib and struct.pack('>Qq') / ('>I'): the code and the documentation
// agree.
TEST(AuditEntryHash, MatchesTheDocumentedEncoding) {
  Result<AuditHash> first = AuditEntryHash(1, 1'700'000'000'000, "submitted", "00000000000010000000000000000001",
                                           "seq=1 sender=samr-console kind=1 recipients=douyin,kuaishou", {});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(AuditHashHex(*first), "d80af6eb7d514f46c5c8ede5a1dc7bd698b2b7dfc55a3e856cde0c1577241b5a");
  Result<AuditHash> second = AuditEntryHash(2, 1'700'000'000'005, "acknowledged", "00000000000010000000000000000001",
                                            "recipient=douyin delivery_seq=1 stage=rejected reason=主播不存在", *first);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(AuditHashHex(*second), "1c3a91f74286bf7e6e2a0371b55bdbeadb565e484a65a421fa783cf040507321");
}

TEST(AuditEntryHash, FieldBoundariesCount) {
  // Without length prefixes these two would hash the same bytes.
  Result<AuditHash> a = AuditEntryHash(1, 0, "ab", "c", "", {});
  Result<AuditHash> b = AuditEntryHash(1, 0, "a", "bc", "", {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(AuditHashText, RoundTripsAndRefusesBadHex) {
  AuditHash h{};
  h[0] = 0xab;
  h[31] = 0x01;
  Result<AuditHash> back = ParseAuditHash(AuditHashHex(h));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, h);
  EXPECT_EQ(ParseAuditHash("abc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAuditHash(std::string(64, 'g')).status().code(), StatusCode::kInvalidArgument);
}

// A store with 20 audit entries, closed, so that a test may tamper with the
// file as an intruder with write access would.
class AuditChainTest : public ::testing::Test {
 protected:
  static constexpr int kEntries = 20;

  void SetUp() override {
    options_.path = dir_.File("gateway.db");
    std::unique_ptr<Store> store = MustOpen();
    for (int i = 1; i <= kEntries; ++i) {
      clock_.Advance(10);
      ASSERT_TRUE(store->AppendAudit("policy_reloaded", "policy.toml", "version=" + std::to_string(i)).ok());
      if (i == kEntries) head_ = store->AuditLogHead();
    }
  }

  std::unique_ptr<Store> MustOpen() {
    Result<std::unique_ptr<Store>> s = Store::Open(options_, clock_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  // Runs SQL on the file directly, behind the store's back.
  void Tamper(const std::string& sql) {
    Result<Database> db = Database::Open(options_.path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec(sql).ok()) << sql;
  }

  AuditVerdict Verify(std::optional<AuditHead> expected = std::nullopt) {
    Result<AuditVerdict> v = VerifyAuditChain(options_.path, expected);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : AuditVerdict{};
  }

  testing::TempDir dir_;
  FakeClock clock_;
  StoreOptions options_;
  AuditHead head_;
};

TEST_F(AuditChainTest, AnUntouchedChainVerifiesWithItsHead) {
  AuditVerdict v = Verify(head_);
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.checked, kEntries);
  EXPECT_EQ(v.head, head_);
  EXPECT_EQ(v.head.seq, kEntries);
}

TEST_F(AuditChainTest, AWalkGivesUpOnceToldToStop) {
  std::atomic<bool> stop{true};
  Result<AuditVerdict> stopped = VerifyAuditChain(options_.path, std::nullopt, &stop);
  EXPECT_EQ(stopped.status().code(), StatusCode::kUnavailable) << stopped.status().ToString();
  EXPECT_NE(stopped.status().message().find("stopped after 0 entries"), std::string::npos)
      << stopped.status().ToString();
  stop = false;
  Result<AuditVerdict> walked = VerifyAuditChain(options_.path, std::nullopt, &stop);
  ASSERT_TRUE(walked.ok()) << walked.status().ToString();
  EXPECT_TRUE(walked->intact);
  EXPECT_EQ(walked->checked, kEntries);
}

TEST_F(AuditChainTest, AnEditedEntryIsNamed) {
  Tamper("UPDATE audit_log SET detail = 'version=99' WHERE seq = 7");
  AuditVerdict v = Verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 7);
  EXPECT_EQ(v.checked, 6);
  EXPECT_EQ(v.problem, "entry 7: hash does not match its contents (edited)");
  EXPECT_EQ(v.head.seq, kEntries);  // the newest entry in the file, for the report
}

TEST_F(AuditChainTest, AnEditedTimeIsFoundToo) {
  Tamper("UPDATE audit_log SET at_ms = at_ms - 1 WHERE seq = 1");
  AuditVerdict v = Verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 1);
  EXPECT_EQ(v.problem, "entry 1: hash does not match its contents (edited)");
}

TEST_F(AuditChainTest, ADeletedEntryIsNamed) {
  Tamper("DELETE FROM audit_log WHERE seq = 9");
  AuditVerdict v = Verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 9);
  EXPECT_EQ(v.problem, "entry 9 missing (deleted)");
}

TEST_F(AuditChainTest, DeletedEntriesAreNamedAsARange) {
  Tamper("DELETE FROM audit_log WHERE seq BETWEEN 12 AND 14");
  AuditVerdict v = Verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 12);
  EXPECT_EQ(v.problem, "entries 12..14 missing (deleted)");
}

TEST_F(AuditChainTest, DeletingTheFirstEntryIsFound) {
  Tamper("DELETE FROM audit_log WHERE seq = 1");
  AuditVerdict v = Verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 1);
  EXPECT_EQ(v.problem, "entry 1 missing (deleted)");
}

TEST_F(AuditChainTest, ReorderedEntriesAreNamedAtTheFirstMovedOne) {
  // Swap entries 5 and 9 by their numbers, through a free number.
  Tamper(
      "UPDATE audit_log SET seq = -5 WHERE seq = 5;"
      "UPDATE audit_log SET seq = 5 WHERE seq = 9;"
      "UPDATE audit_log SET seq = 9 WHERE seq = -5;");
  AuditVerdict v = Verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 5);
  EXPECT_EQ(v.problem,
            "entry 5: prev_hash does not match entry 4 (reordered, or an entry inserted or rewritten with a new "
            "hash)");
}

TEST_F(AuditChainTest, SwappedContentsAreFound) {
  // Exchange every column but seq between entries 3 and 4.
  const char* columns[] = {"at_ms", "event", "subject", "detail", "prev_hash", "hash"};
  std::string sql = "CREATE TEMP TABLE keep AS SELECT * FROM audit_log WHERE seq = 3;";
  for (const char* c : columns) {
    sql +=
        std::string("UPDATE audit_log SET ") + c + " = (SELECT " + c + " FROM audit_log WHERE seq = 4) WHERE seq = 3;";
    sql += std::string("UPDATE audit_log SET ") + c + " = (SELECT " + c + " FROM keep) WHERE seq = 4;";
  }
  Tamper(sql);
  AuditVerdict v = Verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 3);
  EXPECT_NE(v.problem.find("entry 3: prev_hash does not match entry 2"), std::string::npos) << v.problem;
}

TEST_F(AuditChainTest, AnInsertedEntryIsFound) {
  Tamper(
      "UPDATE audit_log SET seq = seq + 100 WHERE seq > 10;"
      "UPDATE audit_log SET seq = seq - 99 WHERE seq > 100;"
      "INSERT INTO audit_log SELECT 11, at_ms, event, subject, 'version=forged', prev_hash, hash "
      "FROM audit_log WHERE seq = 12;");
  AuditVerdict v = Verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 11);
}

TEST_F(AuditChainTest, CuttingOffTheNewestEntriesIsFoundOnlyAgainstTheRecordedHead) {
  Tamper("DELETE FROM audit_log WHERE seq > 17");
  AuditVerdict alone = Verify();
  EXPECT_TRUE(alone.intact) << "a chain cannot know it lost its tail";
  EXPECT_EQ(alone.head.seq, 17);

  AuditVerdict v = Verify(head_);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 18);
  EXPECT_EQ(v.problem,
            "entries 18..20 missing from the end (deleted; the log ends at entry 17, the recorded head is entry 20)");
}

TEST_F(AuditChainTest, ARewrittenTailWithFreshHashesIsFoundAgainstTheRecordedHead) {
  // An intruder who knows the encoding edits entry 15 and recomputes it and
  // every later entry: the chain is consistent again, but not the head.
  Result<Database> db = Database::Open(options_.path);
  ASSERT_TRUE(db.ok());
  Result<Statement> rows = db->Prepare(
      "SELECT seq, at_ms, event, subject, detail, prev_hash FROM audit_log "
      "WHERE seq >= 15 ORDER BY seq");
  ASSERT_TRUE(rows.ok());
  struct Row {
    int64_t seq, at_ms;
    std::string event, subject, detail;
  };
  std::vector<Row> tail;
  AuditHash prev{};
  while (*rows->Step()) {
    tail.push_back(
        {rows->ColumnInt64(0), rows->ColumnInt64(1), rows->ColumnText(2), rows->ColumnText(3), rows->ColumnText(4)});
    if (tail.size() == 1) std::copy_n(rows->ColumnBlob(5).begin(), 32, prev.begin());
  }
  rows->Reset();
  tail.front().detail = "version=forged";
  Result<Statement> update = db->Prepare("UPDATE audit_log SET detail = ?2, prev_hash = ?3, hash = ?4 WHERE seq = ?1");
  ASSERT_TRUE(update.ok());
  for (const Row& r : tail) {
    Result<AuditHash> h = AuditEntryHash(r.seq, r.at_ms, r.event, r.subject, r.detail, prev);
    ASSERT_TRUE(h.ok());
    update->Reset();
    update->Bind(1, r.seq).Bind(2, r.detail).BindBlob(3, prev.data(), prev.size()).BindBlob(4, h->data(), h->size());
    ASSERT_TRUE(update->Run().ok());
    prev = *h;
  }

  EXPECT_TRUE(Verify().intact);
  AuditVerdict v = Verify(head_);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, kEntries);
  EXPECT_EQ(v.problem, "entry 20: hash differs from the recorded head (the log was rewritten from here on)");
}

TEST_F(AuditChainTest, VerifyRunsWhileTheStoreIsOpenAndWriting) {
  std::unique_ptr<Store> store = MustOpen();
  ASSERT_TRUE(store->Begin().ok());
  ASSERT_TRUE(store->AppendAudit("identity_added", "douyin", "role=platform").ok());
  // Not committed yet: the reader sees the last commit.
  EXPECT_EQ(Verify().head, head_);
  ASSERT_TRUE(store->Commit().ok());
  AuditVerdict v = Verify();
  EXPECT_TRUE(v.intact);
  EXPECT_EQ(v.head, store->AuditLogHead());
  EXPECT_EQ(v.head.seq, kEntries + 1);
}

TEST_F(AuditChainTest, TheChainContinuesAcrossReopen) {
  std::unique_ptr<Store> store = MustOpen();
  EXPECT_EQ(store->AuditLogHead(), head_);
  ASSERT_TRUE(store->AppendAudit("identity_revoked", "douyin", "").ok());
  store.reset();
  AuditVerdict v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.checked, kEntries + 1);
}

TEST_F(AuditChainTest, AppendAuditRefusesAnOddEventName) {
  std::unique_ptr<Store> store = MustOpen();
  EXPECT_EQ(store->AppendAudit("Policy Reloaded", "x", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->AppendAudit("", "x", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->AuditLogHead(), head_);
}

// A trigger makes an audit INSERT fail on demand: RAISE(ABORT) fails the
// statement, and the store undoes the failing call's savepoint;
// RAISE(ROLLBACK) makes SQLite end the whole transaction, as it does after
// some I/O errors.
TEST_F(AuditChainTest, AFailedCallInsideABatchLeavesTheChainWhole) {
  Tamper(
      "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.event = 'sent' "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  std::unique_ptr<Store> store = MustOpen();
  Submission s;
  s.sender = "samr-console";
  s.id = MessageId{1, 1};
  s.recipients = {"douyin"};
  s.envelope = "envelope";
  s.lease_to = {"douyin"};
  s.lease_ms = 30'000;
  ASSERT_TRUE(store->Begin().ok());
  ASSERT_TRUE(store->AppendAudit("policy_reloaded", "a", "kept").ok());
  // "submitted" is appended, then "sent" fails: the submission is undone, entry and all.
  EXPECT_FALSE(store->Submit(s).ok());
  ASSERT_TRUE(store->AppendAudit("policy_reloaded", "c", "kept").ok());
  ASSERT_TRUE(store->Commit().ok());
  AuditVerdict v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.head.seq, kEntries + 2);
  EXPECT_EQ(v.head, store->AuditLogHead());
}

TEST_F(AuditChainTest, AFailedCommitLeavesTheChainWholeAndAppendsGoOn) {
  Tamper(
      "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.detail = 'fail' "
      "BEGIN SELECT RAISE(ROLLBACK, 'injected failure'); END");
  std::unique_ptr<Store> store = MustOpen();
  ASSERT_TRUE(store->Begin().ok());
  ASSERT_TRUE(store->AppendAudit("policy_reloaded", "a", "lost").ok());
  EXPECT_FALSE(store->AppendAudit("policy_reloaded", "b", "fail").ok());  // takes "a" with it
  EXPECT_FALSE(store->Commit().ok());
  EXPECT_EQ(store->AuditLogHead(), head_);  // read again from disk
  ASSERT_TRUE(store->AppendAudit("policy_reloaded", "c", "kept").ok());
  store.reset();
  AuditVerdict v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.head.seq, kEntries + 1);
}

// The head an earlier walk would have reported after entry `seq`.
AuditHead HeadAt(const std::string& path, int64_t seq) {
  Result<Database> db = Database::Open(path);
  EXPECT_TRUE(db.ok());
  Result<Statement> row = db->Prepare("SELECT hash FROM audit_log WHERE seq = ?1");
  EXPECT_TRUE(row.ok());
  row->Bind(1, seq);
  EXPECT_TRUE(*row->Step());
  AuditHead head{seq, {}};
  std::copy_n(row->ColumnBlob(0).begin(), 32, head.hash.begin());
  row->Reset();
  return head;
}

AuditVerdict VerifyAfter(const std::string& path, const AuditHead& from) {
  Result<AuditVerdict> v = VerifyAuditChainAfter(path, from);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : AuditVerdict{};
}

TEST_F(AuditChainTest, AContinuedWalkGivesUpWhenAskedToStop) {
  const std::atomic<bool> stop{true};
  Result<AuditVerdict> v = VerifyAuditChainAfter(options_.path, HeadAt(options_.path, 12), &stop);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnavailable) << v.status().ToString();
  EXPECT_NE(v.status().message().find("stopped after 0 entries"), std::string::npos) << v.status().ToString();
}

TEST_F(AuditChainTest, AfterAVerifiedHeadOnlyTheNewEntriesAreWalked) {
  AuditVerdict v = VerifyAfter(options_.path, HeadAt(options_.path, 12));
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.checked, kEntries - 12);
  EXPECT_EQ(v.head, head_);

  AuditVerdict none_new = VerifyAfter(options_.path, head_);
  EXPECT_TRUE(none_new.intact) << none_new.problem;
  EXPECT_EQ(none_new.checked, 0);
  EXPECT_EQ(none_new.head, head_);
}

TEST_F(AuditChainTest, AfterAVerifiedHeadAnEditOfALaterEntryIsNamed) {
  const AuditHead at12 = HeadAt(options_.path, 12);
  Tamper("UPDATE audit_log SET detail = 'version=99' WHERE seq = 15");
  AuditVerdict v = VerifyAfter(options_.path, at12);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 15);
  EXPECT_EQ(v.checked, 2);
  EXPECT_EQ(v.problem, "entry 15: hash does not match its contents (edited)");
}

TEST_F(AuditChainTest, AfterAVerifiedHeadAChangedOrMissingHeadEntryIsNamed) {
  const AuditHead at12 = HeadAt(options_.path, 12);
  Tamper("UPDATE audit_log SET detail = 'version=99' WHERE seq = 12");
  AuditVerdict edited = VerifyAfter(options_.path, at12);
  EXPECT_FALSE(edited.intact);
  EXPECT_EQ(edited.first_broken, 12);
  EXPECT_EQ(edited.problem, "entry 12: hash does not match its contents (edited)");

  // A head that does not match what is there now (the log rewritten with
  // fresh hashes from entry 12 on shows the same way).
  AuditHead other = head_;
  other.seq = 13;
  AuditVerdict rewritten = VerifyAfter(options_.path, other);
  EXPECT_FALSE(rewritten.intact);
  EXPECT_EQ(rewritten.first_broken, 13);
  EXPECT_EQ(rewritten.problem,
            "entry 13: hash differs from the one verified before (the log was rewritten from here on)");

  Tamper("DELETE FROM audit_log WHERE seq = 12");
  AuditVerdict deleted = VerifyAfter(options_.path, at12);
  EXPECT_FALSE(deleted.intact);
  EXPECT_EQ(deleted.first_broken, 12);
  EXPECT_EQ(deleted.problem, "entry 12 missing (deleted)");
}

TEST_F(AuditChainTest, AfterAVerifiedHeadAnEditBeforeItIsLeftToTheFullWalk) {
  const AuditHead at12 = HeadAt(options_.path, 12);
  Tamper("UPDATE audit_log SET detail = 'version=99' WHERE seq = 5");
  EXPECT_TRUE(VerifyAfter(options_.path, at12).intact) << "documented: only a full walk reads entries before the head";
  AuditVerdict full = Verify();
  EXPECT_FALSE(full.intact);
  EXPECT_EQ(full.first_broken, 5);
}

TEST_F(AuditChainTest, AnEntryNumberedBelowOneIsStillFoundByTheFullWalk) {
  Result<Database> db = Database::Open(options_.path);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("INSERT INTO audit_log SELECT 0, at_ms, event, subject, detail, prev_hash, hash "
                       "FROM audit_log WHERE seq = 1")
                  .ok());
  AuditVerdict v = Verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 0);
}

TEST(AuditChainOpen, RefusesAFileThatIsNotAStore) {
  testing::TempDir dir;
  {
    Result<Database> db = Database::Open(dir.File("other.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
  }
  EXPECT_EQ(VerifyAuditChain(dir.File("other.db")).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(VerifyAuditChain(dir.File("absent.db")).status().code(), StatusCode::kIOError);
}

TEST(AuditChainOpen, AnEmptyChainIsIntact) {
  testing::TempDir dir;
  FakeClock clock;
  StoreOptions options;
  options.path = dir.File("gateway.db");
  ASSERT_TRUE(Store::Open(options, clock).ok());
  Result<AuditVerdict> v = VerifyAuditChain(options.path);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->intact);
  EXPECT_EQ(v->checked, 0);
  EXPECT_EQ(v->head, AuditHead{});
}

}  // namespace
}  // namespace regline
