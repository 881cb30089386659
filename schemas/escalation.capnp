# Escalation: the gateway tells the issuer that a directive is overdue.
#
# Generated and signed by the gateway (sender = the gateway's identity) as
# Envelope{kind = escalation, correlationId = the directive's id}, addressed
# to the directive's sender. One escalation per directive, recipient
# platform and missed stage; further reminders for the same miss carry a
# higher level.

@0xdc78ecc4f28319e9;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Common = import "common.capnp";
using Acks = import "acknowledgement.capnp";
using Dir = import "directive.capnp";

struct Escalation {
  # A directive whose acknowledgement or completion deadline passed without
  # the platform reaching the required stage.

  directiveId @0 :Common.MessageId;
  # Envelope id of the overdue directive.

  platformId @1 :Text;
  # The recipient platform that is overdue.

  missingStage @2 :Acks.AckStage;
  # The stage the deadline required: accepted (ack deadline; rejected also
  # satisfies it) or completed (completion deadline).

  lastStage @3 :Acks.AckStage;
  # The last stage the platform did reach; unspecified = not even received.

  deadlineMs @4 :Int64;
  # The deadline missed (Unix ms).

  overdueByMs @5 :Int64;
  # How far past the deadline it was when this escalation was made.

  detectedMs @6 :Int64;
  # When the gateway made this escalation (Unix ms).

  level @7 :UInt32;
  # 1 for the first escalation of this miss, then 2, 3, ... for reminders.

  action @8 :Dir.DirectiveAction;
  # The directive's action, so the console can show it without the
  # directive.

  severity @9 :Dir.Severity;
  # The directive's severity.

  issuer @10 :Common.IssuingOffice;
  # The directive's issuing office.
}
