// The Measures as rules, end to end against the real regline-gateway on
// 127.0.0.1: directives checked against the policy, deadlines tracked and
// escalated to the issuing console, lateness, supersede/revoke lineage, the
// policy reloaded on SIGHUP (and a bad file refused), --check-policy, and
// MCN agreements validated and redacted before they are stored; scheduled
// reports received, late and missing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <regex>
#include <thread>

#include "connectors/test_envelopes.h"
#include "gateway/core/test_util.h"
#include "gateway/measures/agreement_rules.h"
#include "gateway/policy/report_schedule.h"
#include "gateway/policy/shipped_policy.h"
#include "gateway/protocol/client.h"
#include "schemas/escalation.capnp.h"
#include "schemas/schema_samples.h"
#include "tests/e2e/gateway_process.h"
#include "tests/e2e/secure_gateway.h"

namespace regline {
namespace {

using connector::testing::CatalogUpdatePayload;
using connector::testing::MakeEnvelope;
using schema::MessageKind;

int64_t NowMs() { return SystemClock().NowMs(); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// An unsigned acknowledgement of delivery `number` (message `id`) at `stage`.
protocol::AckRequest AckOf(uint64_t number, const MessageId& id, schema::AckStage stage) {
  protocol::AckRequest a;
  a.delivery_seq = number;
  a.message_id = id;
  a.stage = stage;
  return a;
}

// The sample SAMR directive (suspend a live room's broadcast), edited by
// `edit` after the gateway's policy deadlines are asked for.
std::string DirectivePayload(const std::function<void(schema::Directive::Builder)>& edit = nullptr) {
  capnp::MallocMessageBuilder m;
  auto d = m.initRoot<schema::Directive>();
  schema::samples::BuildSuspendBroadcastDirectiveNow(d);
  if (edit) edit(d);
  return protocol::Encode(m);
}

// A development-mode gateway (plaintext, unsigned envelopes) that looks for
// overdue directives every 100 ms and reads its policy from <dir>/policy.toml,
// a copy of the shipped one.
class MeasuresE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shipped_ = ReadFile(policy::ShippedPolicyPath());
    ASSERT_FALSE(shipped_.empty());
    WritePolicy(shipped_);
    gateway_ = std::make_unique<testing::GatewayProcess>(REGLINE_GATEWAY_BINARY, dir_.path(),
                                                         "escalation_check_ms = 100\npolicy = \"policy.toml\"\n");
    ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
  }

  void WritePolicy(const std::string& text) { std::ofstream(dir_.File("policy.toml")) << text; }

  std::unique_ptr<protocol::Client> Connect(const std::string& name, schema::Role role, uint32_t credit = 0) {
    return gateway_->Connect(ctx_, name, role, credit);
  }

  Result<protocol::ConfirmInfo> SubmitDirective(protocol::Client& samr, MessageId id, const std::string& payload) {
    return samr.Submit(MakeEnvelope("samr-console", id, {"douyin"}, MessageKind::DIRECTIVE, payload));
  }

  // The next DELIVER for `client` within 5 s.
  static std::optional<protocol::DecodedFrame> NextDelivery(protocol::Client& client, int64_t timeout_ms = 5000) {
    const int64_t until = NowMs() + timeout_ms;
    while (NowMs() < until) {
      Result<std::optional<protocol::DecodedFrame>> f = client.Receive(until - NowMs());
      if (!f.ok()) return std::nullopt;
      if (f->has_value() && (*f)->get().which() == schema::Frame::DELIVER) return std::move(**f);
    }
    return std::nullopt;
  }

  Result<protocol::DecodedFrame> Status(protocol::Client& client, MessageId id) {
    return client.Query([&](schema::Query::Builder q) { protocol::ToWire(id, q.initMessageStatus()); });
  }

  Result<protocol::DecodedFrame> Overdue(protocol::Client& client) {
    return client.Query([](schema::Query::Builder q) { q.initOverdue(); });
  }

  bool WaitForLog(const std::string& text, int timeout_ms = 5000) {
    return testing::WaitFor([&] { return gateway_->Log().find(text) != std::string::npos; }, timeout_ms);
  }

  testing::TempDir dir_;
  zmq::context_t ctx_;
  std::string shipped_;
  std::unique_ptr<testing::GatewayProcess> gateway_;
};

TEST_F(MeasuresE2eTest, ADirectiveThePolicyRefusesIsNotStored) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  ASSERT_TRUE(samr);
  const MessageId id = MessageId::Generate(NowMs());
  // takeDownProduct may only target a product; the sample targets a live room.
  Result<protocol::ConfirmInfo> r = SubmitDirective(*samr, id, DirectivePayload([](schema::Directive::Builder d) {
    d.setAction(schema::DirectiveAction::TAKE_DOWN_PRODUCT);
  }));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("directive rule subject"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(Status(*samr, id).status().code(), StatusCode::kNotFound);

  // A deadline already past is refused too.
  Result<protocol::ConfirmInfo> past =
      SubmitDirective(*samr, MessageId::Generate(NowMs()),
                      DirectivePayload([](schema::Directive::Builder d) { d.setAckDeadlineMs(NowMs() - 60'000); }));
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.status().message().find("directive rule deadlines"), std::string::npos) << past.status().ToString();
}

TEST_F(MeasuresE2eTest, AMissedDeadlineIsListedEscalatedOnceAndTheLateAckSaysHowLate) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR, 10);
  auto douyin = Connect("douyin", schema::Role::PLATFORM, 10);
  ASSERT_TRUE(samr && douyin);
  const MessageId id = MessageId::Generate(NowMs());
  const int64_t ack_deadline = NowMs() + 1500;
  ASSERT_TRUE(SubmitDirective(*samr, id, DirectivePayload([&](schema::Directive::Builder d) {
                d.setAckDeadlineMs(ack_deadline);
                d.setCompletionDeadlineMs(ack_deadline + 3'600'000);
              })).ok());
  std::optional<protocol::DecodedFrame> delivered = NextDelivery(*douyin);
  ASSERT_TRUE(delivered.has_value());
  const uint64_t number = delivered->get().getDeliver().getDeliverySeq();
  ASSERT_TRUE(douyin->Ack(AckOf(number, id, schema::AckStage::RECEIVED)).ok());

  // Past the acknowledgement deadline the issuer's console gets one escalation.
  std::optional<protocol::DecodedFrame> escalated = NextDelivery(*samr, 8000);
  ASSERT_TRUE(escalated.has_value()) << gateway_->Log();
  auto deliver = escalated->get().getDeliver();
  EXPECT_EQ(deliver.getKind(), MessageKind::ESCALATION);
  auto env_bytes = deliver.getEnvelope();
  Result<protocol::DecodedEnvelope> envelope = protocol::DecodedEnvelope::Parse(
      std::string_view(reinterpret_cast<const char*>(env_bytes.begin()), env_bytes.size()), 1 << 20);
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(std::string(envelope->get().getSender().cStr()), "regline-gateway");
  EXPECT_EQ(protocol::FromWire(envelope->get().getCorrelationId()), id);
  auto payload_bytes = envelope->get().getPayload();
  Result<protocol::Decoded<schema::Escalation>> escalation = protocol::Decoded<schema::Escalation>::Parse(
      std::string_view(reinterpret_cast<const char*>(payload_bytes.begin()), payload_bytes.size()), 1 << 20);
  ASSERT_TRUE(escalation.ok()) << escalation.status().ToString();
  EXPECT_EQ(std::string(escalation->get().getPlatformId().cStr()), "douyin");
  EXPECT_EQ(escalation->get().getMissingStage(), schema::AckStage::ACCEPTED);
  EXPECT_EQ(escalation->get().getLastStage(), schema::AckStage::RECEIVED);
  EXPECT_EQ(escalation->get().getDeadlineMs(), ack_deadline);
  EXPECT_EQ(escalation->get().getLevel(), 1u);
  EXPECT_EQ(escalation->get().getAction(), schema::DirectiveAction::SUSPEND_BROADCAST);
  ASSERT_TRUE(
      samr->Ack(AckOf(deliver.getDeliverySeq(), protocol::FromWire(deliver.getMessageId()), schema::AckStage::RECEIVED))
          .ok());

  // The overdue list shows it, escalated once.
  Result<protocol::DecodedFrame> overdue = Overdue(*samr);
  ASSERT_TRUE(overdue.ok()) << overdue.status().ToString();
  auto items = overdue->get().getQueryResult().getOverdue();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(protocol::FromWire(items[0].getDirectiveId()), id);
  EXPECT_EQ(std::string(items[0].getPlatform().cStr()), "douyin");
  EXPECT_EQ(std::string(items[0].getDepartment().cStr()), "SAMR");
  EXPECT_EQ(items[0].getMissingStage(), schema::AckStage::ACCEPTED);
  EXPECT_GT(items[0].getOverdueByMs(), 0);
  EXPECT_EQ(items[0].getEscalations(), 1u);

  // No second escalation for the same miss.
  EXPECT_FALSE(NextDelivery(*samr, 600).has_value());

  // The platform accepts late: the receipt says how late, and it is no
  // longer overdue (completion is an hour away).
  Result<protocol::AckReceiptInfo> accepted = douyin->Ack(AckOf(number, id, schema::AckStage::ACCEPTED));
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_GE(accepted->late_by_ms, NowMs() - ack_deadline - 1000);
  EXPECT_GT(accepted->late_by_ms, 0);
  overdue = Overdue(*samr);
  ASSERT_TRUE(overdue.ok());
  EXPECT_EQ(overdue->get().getQueryResult().getOverdue().size(), 0u);

  // The message status carries the deadlines and the escalation count.
  Result<protocol::DecodedFrame> status = Status(*samr, id);
  ASSERT_TRUE(status.ok());
  auto line = status->get().getQueryResult().getMessageStatus().getRecipients()[0];
  EXPECT_EQ(line.getAckDeadlineMs(), ack_deadline);
  EXPECT_EQ(line.getCompletionDeadlineMs(), ack_deadline + 3'600'000);
  EXPECT_EQ(line.getEscalations(), 1u);

  // A platform sees only its own overdue items; an MCN agency may not ask.
  auto mcn = Connect("example-mcn", schema::Role::MCN_AGENCY);
  ASSERT_TRUE(mcn);
  EXPECT_EQ(Overdue(*mcn).status().code(), StatusCode::kPermissionDenied);
}

TEST_F(MeasuresE2eTest, SupersedingAndRevokingKeepTheLineageAndTheRevocationIsDelivered) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  auto douyin = Connect("douyin", schema::Role::PLATFORM, 10);
  ASSERT_TRUE(samr && douyin);
  const MessageId first = MessageId::Generate(NowMs());
  const MessageId second = MessageId::Generate(NowMs());
  const MessageId third = MessageId::Generate(NowMs());
  const MessageId revocation = MessageId::Generate(NowMs());
  ASSERT_TRUE(SubmitDirective(*samr, first, DirectivePayload()).ok());
  ASSERT_TRUE(SubmitDirective(*samr, second, DirectivePayload([&](schema::Directive::Builder d) {
                protocol::ToWire(first, d.initSupersedes());
              })).ok());

  Result<protocol::DecodedFrame> status = Status(*samr, first);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(protocol::FromWire(status->get().getQueryResult().getMessageStatus().getSupersededBy()), second);
  status = Status(*samr, second);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(protocol::FromWire(status->get().getQueryResult().getMessageStatus().getSupersedes()), first);

  // The superseded directive cannot be superseded again.
  Result<protocol::ConfirmInfo> again = SubmitDirective(
      *samr, third,
      DirectivePayload([&](schema::Directive::Builder d) { protocol::ToWire(first, d.initSupersedes()); }));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kInvalidArgument);  // failed_precondition travels as invalid_argument
  EXPECT_NE(again.status().message().find("already superseded by " + second.ToHex()), std::string::npos)
      << again.status().ToString();

  // A revocation must repeat the revoked action; the refusal names both.
  Result<protocol::ConfirmInfo> other_action =
      SubmitDirective(*samr, MessageId::Generate(NowMs()), DirectivePayload([&](schema::Directive::Builder d) {
        protocol::ToWire(second, d.initRevokes());
        d.setAction(schema::DirectiveAction::RECTIFY);
        d.getParameters().setRequirements("take the product links down");
      }));
  ASSERT_FALSE(other_action.ok());
  EXPECT_NE(other_action.status().message().find("has action suspendBroadcast (5), this one rectify (15)"),
            std::string::npos)
      << other_action.status().ToString();

  // Revoking the successor: recorded, and the platform receives the revocation.
  ASSERT_TRUE(SubmitDirective(*samr, revocation, DirectivePayload([&](schema::Directive::Builder d) {
                protocol::ToWire(second, d.initRevokes());
              })).ok());
  status = Status(*samr, second);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(protocol::FromWire(status->get().getQueryResult().getMessageStatus().getRevokedBy()), revocation);
  std::vector<MessageId> received;
  for (int i = 0; i < 3; ++i) {
    std::optional<protocol::DecodedFrame> d = NextDelivery(*douyin);
    ASSERT_TRUE(d.has_value());
    received.push_back(protocol::FromWire(d->get().getDeliver().getMessageId()));
  }
  EXPECT_EQ(received, (std::vector<MessageId>{first, second, revocation}));
}

TEST_F(MeasuresE2eTest, APolicyGroupAddressesItsMembersAfterAReload) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  auto douyin = Connect("douyin", schema::Role::PLATFORM, 16);
  ASSERT_TRUE(samr && douyin);
  auto to_group = [&] {
    return samr->Submit(MakeEnvelope("samr-console", MessageId::Generate(NowMs()), {"key-platforms"},
                                     MessageKind::DIRECTIVE, DirectivePayload()));
  };
  Result<protocol::ConfirmInfo> unknown = to_group();
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown recipient 'key-platforms'"), std::string::npos)
      << unknown.status().ToString();

  // "nobody" is not registered: skipped when the group is expanded.
  WritePolicy(shipped_ + "\n[groups]\nkey-platforms = [\"douyin\", \"nobody\"]\n");
  gateway_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog("policy_reloaded")) << gateway_->Log();
  EXPECT_TRUE(WaitForLog("event=policy_group_member_unknown group=key-platforms member=nobody")) << gateway_->Log();
  Result<protocol::ConfirmInfo> sent = to_group();
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ASSERT_EQ(sent->recipients, (std::vector<std::string>{"douyin"}));
  std::optional<protocol::DecodedFrame> delivered = NextDelivery(*douyin);
  ASSERT_TRUE(delivered.has_value()) << gateway_->Log();
  EXPECT_EQ(protocol::FromWire(delivered->get().getDeliver().getMessageId()), sent->id);
}

// [families.directive] quota, set by a reload: an offline platform's queue
// takes one directive, the next is refused naming the family and the cap,
// and room returns once the platform has received the first.
TEST_F(MeasuresE2eTest, AFamilyQuotaFromTheReloadedPolicyCapsThatFamilysQueue) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  ASSERT_TRUE(samr);
  WritePolicy(shipped_ + "\n[families.directive]\nquota = 1\n");
  gateway_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog("policy_reloaded")) << gateway_->Log();
  // The store takes the new caps on the commit thread, in order with the
  // submissions that follow.
  Result<protocol::ConfirmInfo> first = SubmitDirective(*samr, MessageId::Generate(NowMs()), DirectivePayload());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Result<protocol::ConfirmInfo> refused = SubmitDirective(*samr, MessageId::Generate(NowMs()), DirectivePayload());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("'douyin' is full for directive (1 pending, family quota 1)"),
            std::string::npos)
      << refused.status().ToString();

  auto douyin = Connect("douyin", schema::Role::PLATFORM, 16);
  ASSERT_TRUE(douyin);
  std::optional<protocol::DecodedFrame> delivered = NextDelivery(*douyin);
  ASSERT_TRUE(delivered.has_value()) << gateway_->Log();
  auto deliver = delivered->get().getDeliver();
  ASSERT_TRUE(douyin->Ack(AckOf(deliver.getDeliverySeq(), first->id, schema::AckStage::RECEIVED)).ok());
  // The ack's answer comes after its commit: the room is there already.
  Result<protocol::ConfirmInfo> later = SubmitDirective(*samr, MessageId::Generate(NowMs()), DirectivePayload());
  EXPECT_TRUE(later.ok()) << later.status().ToString();
}

TEST_F(MeasuresE2eTest, SighupReloadsThePolicyAndABadFileLeavesTheRunningOneInForce) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  ASSERT_TRUE(samr);
  ASSERT_TRUE(SubmitDirective(*samr, MessageId::Generate(NowMs()), DirectivePayload()).ok());

  // A policy in which only CAC may suspend broadcasts.
  std::string restricted = shipped_;
  const size_t table = restricted.find("[actions.suspendBroadcast]");
  ASSERT_NE(table, std::string::npos);
  const size_t issuers = restricted.find("\nissuers = ", table);
  ASSERT_NE(issuers, std::string::npos);
  restricted.replace(issuers, restricted.find('\n', issuers + 1) - issuers, "\nissuers = [\"cac\"]");
  WritePolicy(restricted);
  gateway_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog("policy_reloaded")) << gateway_->Log();
  Result<protocol::ConfirmInfo> refused = SubmitDirective(*samr, MessageId::Generate(NowMs()), DirectivePayload());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("directive rule issuers"), std::string::npos)
      << refused.status().ToString();

  // A broken file is refused, naming the line and key; the restricted policy stays.
  WritePolicy(std::regex_replace(restricted, std::regex(R"(critical = "\d+m")"), "critical = \"10x\"",
                                 std::regex_constants::format_first_only));
  gateway_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog("policy_reload_failed")) << gateway_->Log();
  EXPECT_TRUE(std::regex_search(gateway_->Log(), std::regex(R"(policy\.toml:\d+: actions\.\w+\.\w+\.critical)")))
      << gateway_->Log();
  refused = SubmitDirective(*samr, MessageId::Generate(NowMs()), DirectivePayload());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
}

std::string AttestationPayload(uint64_t catalog_version) {
  capnp::MallocMessageBuilder m;
  auto a = m.initRoot<schema::ComplianceAttestation>();
  schema::samples::BuildComplianceAttestation(a);
  for (auto item : a.getItems()) {
    if (item.getKind() == schema::AttestationKind::CATALOG_APPLIED) item.setCatalogVersion(catalog_version);
  }
  return protocol::Encode(m);
}

TEST_F(MeasuresE2eTest, CatalogVersionsFormAChainAndAStaleAttestationLeavesThePlatformBehind) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  auto douyin = Connect("douyin", schema::Role::PLATFORM);
  auto kuaishou = Connect("kuaishou", schema::Role::PLATFORM);
  ASSERT_TRUE(samr && douyin && kuaishou);
  auto publish = [&](uint64_t version, uint64_t base, const std::string& add, const std::string& withdraw = "") {
    return samr->Submit(MakeEnvelope("samr-console", MessageId::Generate(NowMs()), {"douyin", "kuaishou"},
                                     MessageKind::CATALOG_UPDATE, CatalogUpdatePayload(version, base, add, withdraw)));
  };
  ASSERT_TRUE(publish(1, 0, "NC-0001").ok());
  ASSERT_TRUE(publish(2, 1, "NC-0002").ok());
  // A version on an older base is refused, naming the current version.
  Result<protocol::ConfirmInfo> stale_base = publish(3, 1, "NC-0003");
  ASSERT_FALSE(stale_base.ok());
  EXPECT_NE(stale_base.status().message().find("the current version is 2"), std::string::npos)
      << stale_base.status().ToString();
  // A gap is refused too.
  EXPECT_FALSE(publish(4, 3, "NC-0004").ok());
  ASSERT_TRUE(publish(3, 2, "NC-0003", "NC-0001").ok());

  auto show = [&](uint64_t version) -> std::vector<std::string> {
    Result<protocol::DecodedFrame> r = samr->Query([&](schema::Query::Builder q) { q.setCatalogShow(version); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> ids;
    if (r.ok()) {
      for (auto e : r->get().getQueryResult().getCatalogShow().getEntries()) ids.emplace_back(e.getId().cStr());
    }
    return ids;
  };
  EXPECT_EQ(show(1), (std::vector<std::string>{"NC-0001"}));
  EXPECT_EQ(show(2), (std::vector<std::string>{"NC-0001", "NC-0002"}));
  EXPECT_EQ(show(0), (std::vector<std::string>{"NC-0002", "NC-0003"}));  // the current one: v3
  Result<protocol::DecodedFrame> never = samr->Query([](schema::Query::Builder q) { q.setCatalogShow(9); });
  EXPECT_EQ(never.status().code(), StatusCode::kNotFound);

  // douyin attests version 2 (stale: 3 is current); kuaishou attests 3.
  ASSERT_TRUE(douyin
                  ->Submit(MakeEnvelope("douyin", MessageId::Generate(NowMs()), {"samr-console"},
                                        MessageKind::COMPLIANCE_ATTESTATION, AttestationPayload(2)))
                  .ok());
  ASSERT_TRUE(kuaishou
                  ->Submit(MakeEnvelope("kuaishou", MessageId::Generate(NowMs()), {"samr-console"},
                                        MessageKind::COMPLIANCE_ATTESTATION, AttestationPayload(3)))
                  .ok());
  // An attestation of catalogApplied without a version is refused.
  Result<protocol::ConfirmInfo> unnamed =
      douyin->Submit(MakeEnvelope("douyin", MessageId::Generate(NowMs()), {"samr-console"},
                                  MessageKind::COMPLIANCE_ATTESTATION, AttestationPayload(0)));
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(unnamed.status().message().find("must name the catalog version"), std::string::npos);

  Result<protocol::DecodedFrame> status = samr->Query([](schema::Query::Builder q) { q.setCatalogStatus(); });
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  auto st = status->get().getQueryResult().getCatalogStatus();
  EXPECT_EQ(st.getCurrentVersion(), 3u);
  ASSERT_EQ(st.getVersions().size(), 3u);
  EXPECT_EQ(st.getVersions()[2].getWithdrawn(), 1u);
  ASSERT_EQ(st.getPlatforms().size(), 2u);
  EXPECT_EQ(std::string(st.getPlatforms()[0].getPlatform().cStr()), "douyin");
  EXPECT_EQ(st.getPlatforms()[0].getAppliedVersion(), 2u);
  EXPECT_TRUE(st.getPlatforms()[0].getStale());
  EXPECT_TRUE(st.getPlatforms()[0].getBehind());
  EXPECT_EQ(st.getPlatforms()[1].getAppliedVersion(), 3u);
  EXPECT_FALSE(st.getPlatforms()[1].getStale());
  EXPECT_FALSE(st.getPlatforms()[1].getBehind());

  // A platform sees only its own line.
  Result<protocol::DecodedFrame> own = douyin->Query([](schema::Query::Builder q) { q.setCatalogStatus(); });
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->get().getQueryResult().getCatalogStatus().getPlatforms().size(), 1u);
}

// The sample complaint statistics, for [start_ms, end_ms).
std::string ComplaintStatisticsPayload(int64_t start_ms, int64_t end_ms) {
  capnp::MallocMessageBuilder m;
  auto statistics = m.initRoot<schema::ComplaintStatistics>();
  schema::samples::BuildComplaintStatistics(statistics);
  statistics.getPeriod().setStartMs(start_ms);
  statistics.getPeriod().setEndMs(end_ms);
  return protocol::Encode(m);
}

TEST_F(MeasuresE2eTest, LegalHoldsAreSetListedAndLiftedByRegulatorsOnly) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  auto douyin = Connect("douyin", schema::Role::PLATFORM);
  ASSERT_TRUE(samr && douyin);
  auto hold = [](protocol::Client& c, schema::LegalHoldAction action, const std::string& subject,
                 const std::string& reason) {
    return c.Query([&](schema::Query::Builder q) {
      auto h = q.initLegalHold();
      h.setAction(action);
      h.setSubject(subject);
      h.setReason(reason);
    });
  };
  Result<protocol::DecodedFrame> added = hold(*samr, schema::LegalHoldAction::ADD, "douyin", "case 2026-17");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_TRUE(added->get().getQueryResult().getLegalHold().getChanged());
  ASSERT_EQ(added->get().getQueryResult().getLegalHold().getHolds().size(), 1u);
  auto h = added->get().getQueryResult().getLegalHold().getHolds()[0];
  EXPECT_EQ(std::string(h.getSubject().cStr()), "douyin");
  EXPECT_EQ(std::string(h.getSetBy().cStr()), "samr-console");
  EXPECT_EQ(std::string(h.getReason().cStr()), "case 2026-17");

  Result<protocol::DecodedFrame> again = hold(*samr, schema::LegalHoldAction::ADD, "douyin", "another");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->get().getQueryResult().getLegalHold().getChanged());

  Result<protocol::DecodedFrame> no_reason = hold(*samr, schema::LegalHoldAction::ADD, "kuaishou", "");
  EXPECT_EQ(no_reason.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_reason.status().message().find("reason"), std::string::npos) << no_reason.status().ToString();
  Result<protocol::DecodedFrame> by_platform = hold(*douyin, schema::LegalHoldAction::REMOVE, "douyin", "");
  EXPECT_EQ(by_platform.status().code(), StatusCode::kPermissionDenied);

  Result<protocol::DecodedFrame> lifted = hold(*samr, schema::LegalHoldAction::REMOVE, "douyin", "");
  ASSERT_TRUE(lifted.ok());
  EXPECT_TRUE(lifted->get().getQueryResult().getLegalHold().getChanged());
  Result<protocol::DecodedFrame> list = hold(*samr, schema::LegalHoldAction::LIST, "", "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->get().getQueryResult().getLegalHold().getHolds().size(), 0u);
  EXPECT_TRUE(WaitForLog("event=legal_hold_removed")) << gateway_->Log();
}

TEST_F(MeasuresE2eTest, AMonthsComplaintStatisticsAreReceivedAndAMonthWithoutIsMissing) {
  // Monthly complaint statistics owed from four or more months before this
  // one, due 15 days after each month: the first two are past due now.
  policy::ReportSchedule monthly{MessageKind::COMPLAINT_STATISTICS, 1, 15, 0, 1};
  const int64_t now = NowMs();
  policy::Period current = policy::PeriodContaining(monthly, now);
  policy::Period first = policy::PeriodContaining(monthly, current.start_ms - 100LL * 24 * 3600 * 1000);
  monthly.first_year = std::stoi(policy::PeriodName(first.start_ms, first.end_ms).substr(0, 4));
  monthly.first_month = std::stoi(policy::PeriodName(first.start_ms, first.end_ms).substr(5, 2));
  const std::vector<policy::Period> owed = policy::PeriodsOwed(monthly, now);
  const auto past_due =
      std::count_if(owed.begin(), owed.end(), [&](const policy::Period& p) { return p.due_ms < now; });
  ASSERT_GE(past_due, 3);
  const std::string first_name = policy::PeriodName(first.start_ms, first.end_ms);  // "YYYY-MM"
  std::string text = shipped_;
  const std::string from = "every = \"month\"\ndue_days = 15\nfirst_period = \"2026-01\"";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "every = \"month\"\ndue_days = 15\nfirst_period = \"" + first_name + "\"");
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  auto douyin = Connect("douyin", schema::Role::PLATFORM);
  auto kuaishou = Connect("kuaishou", schema::Role::PLATFORM);
  auto mcn = Connect("example-mcn", schema::Role::MCN_AGENCY);
  ASSERT_TRUE(samr && douyin && kuaishou && mcn);
  WritePolicy(text);
  gateway_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog("policy_reloaded")) << gateway_->Log();
  // douyin reports the first month (late: its due date is long past), twice
  // (the second changes nothing), and not the second month.
  const MessageId report = MessageId::Generate(NowMs());
  ASSERT_TRUE(douyin
                  ->Submit(MakeEnvelope("douyin", report, {"samr-console"}, MessageKind::COMPLAINT_STATISTICS,
                                        ComplaintStatisticsPayload(first.start_ms, first.end_ms)))
                  .ok());
  ASSERT_TRUE(douyin
                  ->Submit(MakeEnvelope("douyin", MessageId::Generate(NowMs()), {"samr-console"},
                                        MessageKind::COMPLAINT_STATISTICS,
                                        ComplaintStatisticsPayload(first.start_ms, first.end_ms)))
                  .ok());

  auto due = [&](protocol::Client& client, const std::string& platform, bool all) {
    return client.Query([&](schema::Query::Builder q) {
      auto r = q.initReportsDue();
      r.setPlatform(platform);
      r.setKind(MessageKind::COMPLAINT_STATISTICS);
      r.setAll(all);
    });
  };
  Result<protocol::DecodedFrame> all = due(*samr, "douyin", true);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto lines = all->get().getQueryResult().getReportsDue();
  ASSERT_EQ(lines.size(), owed.size());  // the months past due, any not yet due, the current one
  EXPECT_EQ(std::string(lines[0].getPlatform().cStr()), "douyin");
  EXPECT_EQ(lines[0].getPeriodStartMs(), first.start_ms);
  EXPECT_EQ(lines[0].getPeriodEndMs(), first.end_ms);
  EXPECT_EQ(lines[0].getDueMs(), first.due_ms);
  EXPECT_EQ(lines[0].getState(), schema::ReportState::LATE);
  EXPECT_EQ(protocol::FromWire(lines[0].getMessageId()), report);
  EXPECT_GT(lines[0].getLateByMs(), 0);
  EXPECT_EQ(lines[1].getPeriodStartMs(), first.end_ms);
  EXPECT_EQ(lines[1].getState(), schema::ReportState::MISSING);
  EXPECT_GT(lines[1].getLateByMs(), 0);
  EXPECT_EQ(lines[1].getReceivedMs(), 0);
  EXPECT_EQ(lines[lines.size() - 1].getState(), schema::ReportState::OPEN);

  // By default only late and missing lines: every platform the regulator
  // sees, kuaishou (which sent nothing) missing every past month.
  Result<protocol::DecodedFrame> late = due(*samr, "", false);
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  int douyin_lines = 0, kuaishou_missing = 0;
  for (auto line : late->get().getQueryResult().getReportsDue()) {
    EXPECT_NE(line.getState(), schema::ReportState::OPEN);
    if (std::string(line.getPlatform().cStr()) == "douyin") ++douyin_lines;
    if (std::string(line.getPlatform().cStr()) == "kuaishou" && line.getState() == schema::ReportState::MISSING) {
      ++kuaishou_missing;
    }
  }
  EXPECT_EQ(douyin_lines, past_due);
  EXPECT_EQ(kuaishou_missing, past_due);

  // A platform sees only its own lines; an MCN agency may not ask.
  Result<protocol::DecodedFrame> own = due(*douyin, "", true);
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  for (auto line : own->get().getQueryResult().getReportsDue()) {
    EXPECT_EQ(std::string(line.getPlatform().cStr()), "douyin");
  }
  EXPECT_EQ(due(*douyin, "kuaishou", true).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(due(*mcn, "", true).status().code(), StatusCode::kPermissionDenied);
}

int RunCheckPolicy(const std::string& file, std::string& output) {
  const std::string command = std::string(REGLINE_GATEWAY_BINARY) + " --check-policy " + file + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  output.clear();
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CheckPolicy, ExitsZeroForTheShippedFileAndTwoNamingLineAndKeyForABadOne) {
  std::string output;
  EXPECT_EQ(RunCheckPolicy(policy::ShippedPolicyPath(), output), 0) << output;
  EXPECT_NE(output.find("ok (policy measures-default"), std::string::npos) << output;

  testing::TempDir dir;
  std::string text = ReadFile(policy::ShippedPolicyPath());
  text = std::regex_replace(text, std::regex(R"(min_age_years = 16)"), "min_age_years = \"sixteen\"");
  std::ofstream(dir.File("bad.toml")) << text;
  EXPECT_EQ(RunCheckPolicy(dir.File("bad.toml"), output), 2) << output;
  EXPECT_TRUE(std::regex_search(output, std::regex(R"(bad\.toml:\d+: agreements\.min_age_years)"))) << output;
}

// MCN agreements against a CURVE gateway with its own signing key: the
// agency and a registered organization party are identities; the natural
// person party carries its key.
class MeasuresAgreementE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway_.Add("samr-console", identity::Role::kRegulator, "SAMR", crypto::SignatureAlgorithm::kEd25519);
    gateway_.Add("douyin", identity::Role::kPlatform, "", crypto::SignatureAlgorithm::kEd25519);
    gateway_.Add("kuaishou", identity::Role::kPlatform, "", crypto::SignatureAlgorithm::kEd25519);
    gateway_.Add("example-mcn", identity::Role::kMcnAgency, "", crypto::SignatureAlgorithm::kEd25519);
    gateway_.Add("bj-ecommerce", identity::Role::kMcnAgency, "", crypto::SignatureAlgorithm::kSm2Sm3);
    gateway_.AddGatewaySigner();
    ASSERT_TRUE(gateway_.Start()) << gateway_.process().Log();
  }

  // The sample agreement signed by the agency, the person (key carried)
  // and the company (registered key); `edit` runs before signing.
  std::string AgreementPayload(const std::function<void(schema::SignedAgreement::Builder)>& edit = nullptr) {
    capnp::MallocMessageBuilder m;
    auto a = m.initRoot<schema::SignedAgreement>();
    schema::samples::BuildSignedAgreement(a);
    if (edit) edit(a);
    auto document = a.asReader().getDocument();
    Result<std::string> digest = measures::DigestOf(
        schema::DigestAlgorithm::SM3, std::string(reinterpret_cast<const char*>(document.begin()), document.size()));
    EXPECT_TRUE(digest.ok());
    auto d = a.initDocumentDigest();
    d.setAlgorithm(schema::DigestAlgorithm::SM3);
    d.setBytes(kj::arrayPtr(reinterpret_cast<const kj::byte*>(digest->data()), digest->size()));
    protocol::ToWire(gateway_.Sign("example-mcn", *digest), a.initAgencySignature());
    Result<identity::SignatureClaim> person = identity::Signer("李某", person_key_).Sign(*digest);
    EXPECT_TRUE(person.ok());
    protocol::ToWire(*person, a.getParties()[0].initSignature());
    const std::string der = person_key_.public_key().Der();
    a.getParties()[0].setSigningKey(kj::arrayPtr(reinterpret_cast<const kj::byte*>(der.data()), der.size()));
    protocol::ToWire(gateway_.Sign("bj-ecommerce", *digest), a.getParties()[1].initSignature());
    return protocol::Encode(m);
  }

  std::string AgreementEnvelope(MessageId id, const std::string& payload) {
    return gateway_.Envelope("example-mcn", id, {"douyin", "kuaishou"}, MessageKind::SIGNED_AGREEMENT, payload);
  }

  testing::TempDir dir_;
  zmq::context_t ctx_;
  testing::SecureGateway gateway_{REGLINE_GATEWAY_BINARY, dir_.path()};
  crypto::PrivateKey person_key_ = *crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kEd25519);
};

TEST_F(MeasuresAgreementE2eTest, AValidAgreementIsStoredRedactedSignedByTheGatewayAndDeliveredOnce) {
  auto mcn = gateway_.Connect(ctx_, "example-mcn");
  auto douyin = gateway_.Connect(ctx_, "douyin", 10);
  ASSERT_TRUE(mcn && douyin);
  const MessageId id = MessageId::Generate(NowMs());
  const std::string envelope = AgreementEnvelope(id, AgreementPayload());
  Result<protocol::ConfirmInfo> confirmed = mcn->Submit(envelope);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status().ToString() << "\n" << gateway_.process().Log();
  EXPECT_FALSE(confirmed->duplicate);

  // What the platform receives: no identity number, a salted digest
  // instead, the redaction record, and the gateway's signature over it.
  Result<std::optional<protocol::DecodedFrame>> frame = douyin->Receive(5000);
  ASSERT_TRUE(frame.ok() && frame->has_value());
  ASSERT_EQ((*frame)->get().which(), schema::Frame::DELIVER);
  auto bytes = (*frame)->get().getDeliver().getEnvelope();
  const std::string delivered(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  EXPECT_EQ(delivered.find("11010519491231002X"), std::string::npos);
  Result<protocol::DecodedEnvelope> env = protocol::DecodedEnvelope::Parse(delivered, 1 << 20);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(std::string(env->get().getSender().cStr()), "example-mcn");
  EXPECT_EQ(std::string(env->get().getSignature().getSigner().cStr()), "regline-gateway");
  auto payload = env->get().getPayload();
  const std::string redacted(reinterpret_cast<const char*>(payload.begin()), payload.size());
  auto signature = env->get().getSignature().getBytes();
  ASSERT_TRUE(gateway_.gateway_key().has_value());
  EXPECT_TRUE(gateway_.gateway_key()
                  ->Verify(redacted, std::string(reinterpret_cast<const char*>(signature.begin()), signature.size()))
                  .ok());
  Result<protocol::Decoded<schema::SignedAgreement>> agreement =
      protocol::Decoded<schema::SignedAgreement>::Parse(redacted, redacted.size());
  ASSERT_TRUE(agreement.ok());
  auto person = agreement->get().getParties()[0];
  EXPECT_EQ(person.getIdentityNumber().size(), 0u);
  EXPECT_EQ(person.getIdentityDigest().getBytes().size(), 32u);
  EXPECT_EQ(std::string(agreement->get().getRedaction().getGateway().cStr()), "regline-gateway");

  // The agency resubmits (it timed out): the original confirmation.
  Result<protocol::ConfirmInfo> again = mcn->Submit(envelope);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->gateway_seq, confirmed->gateway_seq);

  // The agency can ask where its agreement stands.
  Result<protocol::DecodedFrame> status =
      mcn->Query([&](schema::Query::Builder q) { protocol::ToWire(id, q.initMessageStatus()); });
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->get().getQueryResult().getMessageStatus().getRecipients().size(), 2u);
}

TEST_F(MeasuresAgreementE2eTest, AnAgreementBreakingARuleIsRefusedNamingTheRuleAndNothingIsStored) {
  auto mcn = gateway_.Connect(ctx_, "example-mcn");
  ASSERT_TRUE(mcn);
  struct Case {
    const char* name;
    std::function<void(schema::SignedAgreement::Builder)> edit;
    StatusCode code;
    const char* says;
  };
  const Case cases[] = {
      {"a clause missing",
       [](schema::SignedAgreement::Builder a) {
         auto clauses = a.getClauses();
         clauses[clauses.size() - 1].setClause(clauses[0].getClause());
       },
       StatusCode::kInvalidArgument, "clauses"},
      {"a bad agency USCC", [](schema::SignedAgreement::Builder a) { a.getAgency().setUscc("91350100M000100Y44"); },
       StatusCode::kInvalidArgument, "uscc"},
      {"a person under 16 on the start date",
       [](schema::SignedAgreement::Builder a) {
         a.getParties()[0].setIdentityNumber("110105201001010010");
         a.getParties()[0].setBirthDate("2010-01-01");
       },
       StatusCode::kInvalidArgument, "age"},
  };
  for (const Case& c : cases) {
    const MessageId id = MessageId::Generate(NowMs());
    Result<protocol::ConfirmInfo> r = mcn->Submit(AgreementEnvelope(id, AgreementPayload(c.edit)));
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << c.name << ": " << r.status().ToString();
    EXPECT_EQ(r.status().message().find("110105"), std::string::npos) << "a refusal must not repeat the number";
    Result<protocol::DecodedFrame> status =
        mcn->Query([&](schema::Query::Builder q) { protocol::ToWire(id, q.initMessageStatus()); });
    EXPECT_EQ(status.status().code(), StatusCode::kNotFound) << c.name;
  }
  // A signature over other bytes than the document digest.
  const MessageId forged = MessageId::Generate(NowMs());
  std::string payload = AgreementPayload([](schema::SignedAgreement::Builder a) { a.setAgreementNumber("X-1"); });
  {
    Result<protocol::Decoded<schema::SignedAgreement>> parsed =
        protocol::Decoded<schema::SignedAgreement>::Parse(payload, payload.size());
    ASSERT_TRUE(parsed.ok());
    capnp::MallocMessageBuilder m;
    m.setRoot(parsed->get());
    auto a = m.getRoot<schema::SignedAgreement>();
    protocol::ToWire(gateway_.Sign("bj-ecommerce", "something else"), a.getParties()[1].initSignature());
    payload = protocol::Encode(m);
  }
  Result<protocol::ConfirmInfo> r = mcn->Submit(AgreementEnvelope(forged, payload));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidSignature) << r.status().ToString();
}

}  // namespace
}  // namespace regline
