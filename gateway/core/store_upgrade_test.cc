// Upgrades: a store written at every earlier schema version, with the rows
// that release's Store wrote, opens in this build, is migrated to the
// latest version, and its old rows go on working: the pending delivery is
// leased with the next delivery number and acknowledged, the ledgers read
// what they held, the audit chain verifies. A store from a newer release is
// refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/core/audit_chain.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/store.h"
#include "gateway/core/store_schema.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kDay = 86'400'000;

MessageId IdOf(uint64_t n) { return MessageId{0x1000, n}; }

// Writes a store as the release with schema `version` left it: the
// tables of the first `version` migrations, and rows of every table that
// version has, as its Store filled them. Returns the number of audit
// entries written (0 before version 2, which added the log).
class OldStoreWriter {
 public:
  OldStoreWriter(const std::string& path, int version) : version_(version) {
    Result<Database> db = Database::Open(path);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    Status s = store_schema::PrepareDatabaseAtVersion(db_, version);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  int Write() {
    // #1: a directive samr-console sent douyin, delivered (delivery 1).
    // #2: another, still queued for douyin: the pending delivery.
    // #3: a catalog update, delivered (delivery 2).
    // #4: douyin's complaint statistics to samr-console, delivered.
    Message(1, "samr-console", 1);
    Message(2, "samr-console", 1);
    Message(3, "samr-console", 2);
    Message(4, "douyin", 7);
    Exec(R"sql(
      INSERT INTO deliveries(message_seq, recipient, priority, state, attempts, expires_ms, queued_ms,
                             next_attempt_ms, received_ms, delivery_seq)
      VALUES (1, 'douyin', 1, 2, 1, 0, 1700000000000, 1700000000000, 1700000001000, 1),
             (2, 'douyin', 1, 0, 0, 0, 1700000000000, 1700000000000, 0, 0),
             (3, 'douyin', 1, 2, 1, 0, 1700000000000, 1700000000000, 1700000001000, 2),
             (4, 'samr-console', 1, 2, 1, 0, 1700000000000, 1700000000000, 1700000001000, 1);
      INSERT INTO recipients(recipient, last_delivery_seq) VALUES ('douyin', 2), ('samr-console', 1);
    )sql");
    if (version_ >= 2) {
      Audit("submitted", IdOf(1), "seq=1 sender=samr-console kind=1 recipients=douyin");
      Audit("sent", IdOf(1), "recipient=douyin delivery_seq=1 attempt=1");
      Audit("acknowledged", IdOf(1), "recipient=douyin delivery_seq=1 stage=received");
      Audit("submitted", IdOf(2), "seq=2 sender=samr-console kind=1 recipients=douyin");
    }
    if (version_ >= 3) {
      Exec("INSERT INTO acknowledgements VALUES (1, 'douyin', 0, 1700000001000, 'ack-envelope-1')");
    }
    if (version_ >= 4) {
      Exec(R"sql(
        INSERT INTO directives(message_seq, department, action, severity, ack_deadline_ms, completion_deadline_ms)
        VALUES (1, 'samr', 1, 1, 1700086400000, 1700172800000),
               (2, 'samr', 1, 1, 1700086400000, 1700172800000);
      )sql");
    }
    if (version_ >= 5) {
      Exec(R"sql(
        INSERT INTO catalog_versions VALUES (1, 0, 3, 1700000000000);
      )sql");
    }
    if (version_ >= 6) {
      Exec("INSERT INTO reports VALUES ('douyin', 7, 1699920000000, 1700006400000, 4, 1700000000000)");
    }
    if (version_ >= 7) {
      Exec("INSERT INTO legal_holds VALUES ('douyin', 'inquiry 2026-17', 'samr-console', 1700000000000)");
    }
    return audit_entries_;
  }

 private:
  void Exec(const std::string& sql) {
    Status s = db_.Exec(sql);
    EXPECT_TRUE(s.ok()) << "at version " << version_ << ": " << s.ToString();
  }

  void Message(uint64_t seq, const std::string& sender, int kind) {
    Result<Statement> st = db_.Prepare(
        "INSERT INTO messages(seq, sender, message_id, kind, priority, created_ms, expires_ms, correlation_id, "
        "accepted_ms, envelope) VALUES (?1, ?2, ?3, ?4, 1, ?5, 0, NULL, ?5, ?6)");
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    auto id = IdOf(seq).ToBytes();
    const std::string envelope = "envelope-" + std::to_string(seq);
    st->Bind(1, static_cast<int64_t>(seq)).Bind(2, sender).BindBlob(3, id.data(), id.size());
    st->Bind(4, int64_t{kind}).Bind(5, kT0).BindBlob(6, envelope.data(), envelope.size());
    Status s = st->Run();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  void Audit(const std::string& event, const MessageId& subject, const std::string& detail) {
    const int64_t seq = ++audit_entries_;
    Result<AuditHash> hash = AuditEntryHash(seq, kT0, event, subject.ToHex(), detail, prev_);
    ASSERT_TRUE(hash.ok());
    Result<Statement> st = db_.Prepare("INSERT INTO audit_log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    ASSERT_TRUE(st.ok());
    const std::string subject_hex = subject.ToHex();
    st->Bind(1, seq).Bind(2, kT0).Bind(3, event).Bind(4, subject_hex).Bind(5, detail);
    st->BindBlob(6, prev_.data(), prev_.size()).BindBlob(7, hash->data(), hash->size());
    Status s = st->Run();
    EXPECT_TRUE(s.ok()) << s.ToString();
    prev_ = *hash;
  }

  int version_;
  Database db_;
  AuditHash prev_{};
  int audit_entries_ = 0;
};

class StoreUpgradeTest : public ::testing::TestWithParam<int> {
 protected:
  StoreUpgradeTest() : clock_(kT0 + kDay) { options_.path = dir_.File("gateway.db"); }

  int64_t SchemaVersionOnDisk() {
    Result<Database> db = Database::OpenReadOnly(options_.path);
    EXPECT_TRUE(db.ok());
    if (!db.ok()) return -1;
    Result<int64_t> version = db->QueryInt("PRAGMA user_version");
    return version.ok() ? *version : -1;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  StoreOptions options_;
};

TEST_P(StoreUpgradeTest, AnOlderStoreIsMigratedAndItsPendingDeliveryGoesOut) {
  const int version = GetParam();
  const int old_entries = OldStoreWriter(options_.path, version).Write();
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(SchemaVersionOnDisk(), version);

  Result<std::unique_ptr<Store>> opened = Store::Open(options_, clock_);
  ASSERT_TRUE(opened.ok()) << "from version " << version << ": " << opened.status().ToString();
  std::unique_ptr<Store> store = std::move(opened).value();
  EXPECT_EQ(SchemaVersionOnDisk(), Store::SchemaVersion());
  EXPECT_EQ(store->Pending("douyin"), 1);

  // The queued message goes out with douyin's next delivery number.
  Result<std::vector<LeasedDelivery>> leased = store->Lease("douyin", 10, 30'000);
  ASSERT_TRUE(leased.ok()) << leased.status().ToString();
  ASSERT_EQ(leased->size(), 1u);
  EXPECT_EQ((*leased)[0].seq, 2u);
  EXPECT_EQ((*leased)[0].id, IdOf(2));
  EXPECT_EQ((*leased)[0].delivery_seq, 3u);
  EXPECT_EQ((*leased)[0].envelope, "envelope-2");
  Result<AckReceipt> ack = store->AcknowledgeDelivery("douyin", 3, IdOf(2), AckStage::kCompleted);
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  EXPECT_EQ(ack->state, DeliveryState::kCompleted);
  EXPECT_EQ(store->Pending("douyin"), 0);

  // The old messages are still recognised: a resubmission is a duplicate.
  Submission again;
  again.sender = "samr-console";
  again.id = IdOf(1);
  again.kind = 1;
  again.created_ms = kT0;
  again.recipients = {"douyin"};
  again.envelope = "envelope-1";
  Result<SubmitReceipt> dup = store->Submit(again);
  ASSERT_TRUE(dup.ok()) << dup.status().ToString();
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->seq, 1u);

  // What the older release's ledgers held reads back.
  if (version >= 3) {
    Result<std::vector<StoredAcknowledgement>> acks = store->Acknowledgements(1);
    ASSERT_TRUE(acks.ok());
    ASSERT_EQ(acks->size(), 1u);
    EXPECT_EQ((*acks)[0].envelope, "ack-envelope-1");
  }
  if (version >= 4) {
    Result<DirectiveLineage> lineage = store->Lineage(2);
    ASSERT_TRUE(lineage.ok()) << lineage.status().ToString();
    EXPECT_EQ(lineage->terms.department, "samr");
  }
  if (version >= 5) {
    Result<uint64_t> current = store->CatalogCurrent();
    ASSERT_TRUE(current.ok()) << current.status().ToString();
    EXPECT_EQ(*current, 1u);
  }
  if (version >= 6) {
    Result<std::vector<ReportRow>> reports = store->Reports();
    ASSERT_TRUE(reports.ok()) << reports.status().ToString();
    EXPECT_EQ(reports->size(), 1u);
  }
  if (version >= 7) {
    Result<std::vector<LegalHold>> holds = store->LegalHolds();
    ASSERT_TRUE(holds.ok()) << holds.status().ToString();
    ASSERT_EQ(holds->size(), 1u);
    EXPECT_EQ((*holds)[0].subject, "douyin");
  }
  store.reset();

  // The chain holds the old entries (from version 2) and goes on from them;
  // a version-1 store's chain starts at the upgrade.
  Result<AuditVerdict> verdict = VerifyAuditChain(options_.path);
  ASSERT_TRUE(verdict.ok()) << verdict.status().ToString();
  EXPECT_TRUE(verdict->intact) << verdict->problem;
  EXPECT_EQ(verdict->checked, old_entries + 2) << "sent and acknowledged appended after the upgrade";
}

INSTANTIATE_TEST_SUITE_P(EveryEarlierVersion, StoreUpgradeTest, ::testing::Range(1, Store::SchemaVersion()),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "FromVersion" + std::to_string(info.param);
                         });

TEST(StoreUpgrade, AStoreFromANewerReleaseIsRefusedAndLeftAlone) {
  testing::TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.path = dir.File("gateway.db");
  ASSERT_TRUE(Store::Open(o, clock).ok());
  const int newer = Store::SchemaVersion() + 1;
  {
    Result<Database> db = Database::Open(o.path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("PRAGMA user_version = " + std::to_string(newer)).ok());
  }
  Result<std::unique_ptr<Store>> s = Store::Open(o, clock);
  ASSERT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  const std::string message = s.status().message();
  EXPECT_NE(message.find("schema version " + std::to_string(newer)), std::string::npos) << message;
  EXPECT_NE(message.find("newer than this build's " + std::to_string(Store::SchemaVersion())), std::string::npos)
      << message;
  Result<Database> db = Database::OpenReadOnly(o.path);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->QueryInt("PRAGMA user_version").value(), newer);
}

TEST(StoreUpgrade, AVersionOutsideTheKnownOnesIsNotPrepared) {
  testing::TempDir dir;
  Result<Database> db = Database::Open(dir.File("x.db"));
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(store_schema::PrepareDatabaseAtVersion(*db, 0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_schema::PrepareDatabaseAtVersion(*db, Store::SchemaVersion() + 1).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace regline
