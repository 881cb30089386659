# Directive: a regulator tells a platform to act on a subject.
#
# Sent as Envelope{kind = directive} by a regulator identity, signed by the
# issuer. The platform acknowledges it in stages (received, accepted or
# rejected, completed; acknowledgement.capnp); the gateway tracks
# ackDeadlineMs and completionDeadlineMs and escalates misses
# (escalation.capnp).

@0xf8ae9ecafe1ce616;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Common = import "common.capnp";

enum DirectiveAction {
  # What the platform must do. The measures the Measures give platforms for
  # violations and risks, plus the information duties around them.

  unspecified @0;
  # Not set; rejected.

  popUpWarning @1;
  # Show a pop-up risk warning to users in the live room or on the listing
  # (弹窗提示). Text in ActionParameters.userFacingText.

  prominentLabel @2;
  # Attach a prominent warning label to the subject (违规警示 / 显著标识).
  # Text in ActionParameters.userFacingText.

  restrictFunctions @3;
  # Restrict functions of the subject (e.g. product links, tipping,
  # comments, going live) for ActionParameters.durationMs.

  restrictTraffic @4;
  # Restrict the subject's traffic and recommendation (限制流量) for
  # ActionParameters.durationMs.

  suspendBroadcast @5;
  # Suspend the broadcast / block the live stream (暂停直播) for
  # ActionParameters.durationMs (0 = until the directive is revoked).

  closeAccount @6;
  # Close the account (关闭账号).

  barReRegistration @7;
  # Bar the subject from registering new accounts (禁止重新注册).

  addToBlacklist @8;
  # Add the subject (usually a MarketerRef) to the platform's blacklist of
  # marketers with serious violations.

  removeFromBlacklist @9;
  # Remove the subject from the blacklist.

  designateKeyLiveRoom @10;
  # Designate the live room as a key live room: dedicated real-time
  # inspection by staff and extended retention of its content.

  extendContentRetention @11;
  # Keep the subject's live content and logs for at least
  # ActionParameters.retentionDays (policy default: three years).

  preserveEvidence @12;
  # Preserve the records named in ActionParameters.informationRequested
  # under legal hold until the directive is revoked.

  provideInformation @13;
  # Provide the information named in ActionParameters.informationRequested
  # by completionDeadlineMs; the answer's digests go in the completion
  # acknowledgement's evidence.

  takeDownProduct @14;
  # Take down the product or service listing (下架).

  rectify @15;
  # Rectify within the completion deadline (限期整改); requirements in
  # ActionParameters.requirements.
}

enum Severity {
  # How serious the issuer judges the matter; drives escalation policy and
  # reporting, not delivery order (that is Envelope.priority).

  unspecified @0;
  # Not set; rejected.

  low @1;
  # Minor issue; routine follow-up.

  medium @2;
  # Ordinary violation.

  high @3;
  # Serious violation, e.g. one of the Art. 18 red lines with real harm.

  critical @4;
  # Ongoing serious harm (e.g. sale of unsafe goods live now); act at once.
}

struct ActionParameters {
  # Parameters of the action. Each field says which actions use it; fields
  # an action does not use are left unset and ignored.

  durationMs @0 :Int64;
  # restrictFunctions, restrictTraffic, suspendBroadcast, barReRegistration:
  # how long the measure lasts from effectiveFromMs. 0 = until revoked.

  retentionDays @1 :UInt32;
  # extendContentRetention, designateKeyLiveRoom: minimum retention of live
  # content and logs, in days. 0 = the policy default (three years).

  restrictedFunctions @2 :List(Text);
  # restrictFunctions: the platform's names of the functions to restrict,
  # e.g. "product-links", "tipping", "comments", "go-live".

  trafficReductionPercent @3 :UInt8;
  # restrictTraffic: share of recommendation traffic to withhold, 1..100.
  # 0 = the platform decides the degree.

  userFacingText @4 :Text;
  # popUpWarning, prominentLabel: the text users must see.

  informationRequested @5 :Text;
  # provideInformation, preserveEvidence: what to provide or preserve
  # (records, period, format).

  requirements @6 :Text;
  # rectify: what must be rectified and how completion is shown.

  inspectionScope @7 :Text;
  # designateKeyLiveRoom: which broadcasts need dedicated real-time
  # inspection, e.g. "evening broadcasts 19:00-24:00"; empty = every
  # broadcast.
}

struct Directive {
  # An order from a regulator's office to one platform (or, when platformId
  # is empty, to every recipient platform) to act on a subject.

  issuer @0 :Common.IssuingOffice;
  # The office issuing the directive; must match the sender's registered
  # department and region.

  reference @1 :Text;
  # The office's document number (文号), e.g. "沪市监网监〔2024〕12号";
  # empty if none.

  legalBasis @2 :List(Common.LegalBasis);
  # The provisions the directive rests on (e.g. the Measures, Art. 18 for a
  # marketer's red-line violation). At least one.

  platformId @3 :Text;
  # The platform that must act (PlatformRef.platformId). Empty = every
  # platform the envelope is addressed to; then the subject must be
  # identifiable on each (e.g. a MarketerRef with identityDigest).

  subject @4 :Common.SubjectRef;
  # What the platform must act on.

  action @5 :DirectiveAction;
  # What the platform must do.

  parameters @6 :ActionParameters;
  # Parameters of the action.

  severity @7 :Severity;
  # How serious the matter is.

  effectiveFromMs @8 :Int64;
  # When the action takes effect (Unix ms). 0 = on receipt.

  ackDeadlineMs @9 :Int64;
  # By when the platform must acknowledge with stage accepted or rejected
  # (Unix ms). 0 = the policy default for the action and severity.

  completionDeadlineMs @10 :Int64;
  # By when the platform must acknowledge with stage completed (Unix ms).
  # 0 = the policy default for the action and severity.

  rationale @11 :Text;
  # Why: the facts found and the violation, in the issuer's words.

  supersedes @12 :Common.MessageId;
  # A directive this one replaces (e.g. extends a suspension); the old one
  # stops being tracked once this one is accepted. All-zero = none.

  revokes @13 :Common.MessageId;
  # A directive this one revokes (action then repeats the revoked action
  # and the platform lifts it). All-zero = none.

  attachments @14 :List(Common.Attachment);
  # Documents behind the directive (e.g. the written notice), by digest and
  # optionally content.

  caseContact @15 :Text;
  # Who at the issuing office handles the case (name and phone), for the
  # platform's questions.
}
