// Authorization: who may send which message family to whom, and who may ask
// what. Enforced by the gateway before anything is stored; every refusal is
// kPermissionDenied with a message naming what was refused and why.
//
// The rules are a table (kSubmitRules in authorization.cc, restated in
// docs/security.md):
//
//   family                    sender                   recipients
//   directive                 regulator                platforms
//   catalogUpdate/Snapshot    regulator                platforms
//   taxAssistanceRequest      regulator of STA         platforms
//   taxAssistanceResponse     platform                 regulators
//   complaintStatistics       platform                 regulators
//   complianceAttestation     platform                 regulators
//   signedAgreement           MCN agency               platforms and regulators
//   acknowledgement           (only inside ACK frames)
//   escalation                (the gateway itself)
//
// A regulator's payload names its issuing office: the office's department
// must be the sender's own. Queries: operators see everything and alone
// handle dead letters; regulators (who supervise jointly) see every queue
// and every message's status; platforms and MCN agencies see only their own
// messages and queue. Pure functions; any thread.
#pragma once

#include <string_view>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/identity/registry.h"

namespace regline::server {

// May `sender` submit a message of `kind` (schema MessageKind ordinal) to
// `recipients` (groups already expanded, each registered)? `payload` is the
// envelope's payload, read for the issuing office of regulators' families.
Status AuthorizeSubmit(const identity::Identity& sender, int kind,
                       const std::vector<const identity::Identity*>& recipients, std::string_view payload);

// May `viewer` see the status of a message sent by `sender` to `recipients`?
Status AuthorizeMessageView(const identity::Identity& viewer, std::string_view sender,
                            const std::vector<std::string>& recipients);

// Queue depths: operators and regulators see all; others only their own
// queue (the caller filters). MCN agencies receive nothing and are refused.
// The overdue, catalog and reports queries have the same audience.
Status AuthorizeQueueView(const identity::Identity& viewer);
// Whether `viewer` sees every recipient's lines (operators and regulators)
// or only its own (everyone else), in the answers AuthorizeQueueView lets in.
bool SeesEveryRecipient(const identity::Identity& viewer);

// Legal holds (set, lift, list): regulators and operators.
Status AuthorizeLegalHold(const identity::Identity& viewer);

// Dead letters and replay: operators only.
Status AuthorizeOperatorQuery(const identity::Identity& viewer, std::string_view what);

}  // namespace regline::server
