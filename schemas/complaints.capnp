# Complaint statistics: a platform's periodic report of the complaints and
# reports it handled about live marketing.
#
# Sent as Envelope{kind = complaintStatistics} by a platform to regulators
# (usually the routing policy's regulator group), once per reporting period.

@0xfacf0e2381c404ee;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Common = import "common.capnp";

enum ComplaintCategory {
  # What a complaint is about. The first eight follow the red lines for
  # live-room operators and marketers in Art. 18 of the Measures; the rest
  # follow neighbouring articles and consumer-protection duties.

  unspecified @0;
  # Not set; rejected.

  prohibitedContent @1;
  # Content prohibited by the network information content rules
  # (Art. 18 item 1).

  falseOrMisleading @2;
  # False or misleading information deceiving users, incl. false
  # advertising (Art. 18 item 2).

  counterfeitOrUnsafeGoods @3;
  # Counterfeit, inferior, infringing or unsafe goods (Art. 18 item 3).

  fakeTrafficOrData @4;
  # Faked or manipulated transaction, follower, view or like data
  # (Art. 18 item 4).

  steeringToNonCompliant @5;
  # Promoting or steering traffic to parties known to act unlawfully or at
  # high risk (Art. 18 item 5).

  harassmentOrDefamation @6;
  # Harassing, defaming, abusing or threatening others (Art. 18 item 6).

  pyramidFraudGambling @7;
  # Pyramid selling, fraud, gambling, contraband or controlled items
  # (Art. 18 item 7).

  otherRedLine @8;
  # Other violations of laws and regulations (Art. 18 item 8).

  presentationIssues @9;
  # Unlawful live-room presentation: name, avatar, cover, set, props or
  # product display (Art. 20).

  negativeReviewsHidden @10;
  # Negative reviews deleted, hidden or suppressed (Art. 21).

  refundRefusedOrDelayed @11;
  # Consumers' lawful demands (returns, refunds, repairs) delayed or
  # refused without good reason.

  minors @12;
  # Harm to minors: marketers under 16, minors tipping or buying, content
  # unsuitable for minors.

  personalInformation @13;
  # Unlawful handling of users' personal information.

  other @14;
  # Anything else.
}

struct CategoryCount {
  # Counts of one category within the reporting period.

  category @0 :ComplaintCategory;
  # The category counted.

  received @1 :UInt32;
  # Complaints and reports received in the period.

  resolved @2 :UInt32;
  # Complaints resolved in the period (including some received earlier).

  resolvedInTime @3 :UInt32;
  # Of those resolved, how many within ComplaintStatistics.inTimeLimitMs of
  # receipt; <= resolved.
}

struct ComplaintStatistics {
  # One platform's complaint figures for one period.

  platform @0 :Common.PlatformRef;
  # The reporting platform.

  period @1 :Common.Period;
  # The reporting period, e.g. one calendar month.

  counts @2 :List(CategoryCount);
  # One entry per category with any complaints; each category at most once.

  crossPlatformDisputesAssisted @3 :UInt32;
  # Disputes from purchases made through links or QR codes leading to other
  # platforms that this platform helped consumers with.

  medianResolutionMs @4 :Int64;
  # Median time from receipt to resolution over complaints resolved in the
  # period. 0 = none resolved.

  inTimeLimitMs @5 :Int64;
  # The time limit that "resolved in time" means (the platform's published
  # commitment), e.g. 7 days.

  compiledMs @6 :Int64;
  # When the figures were compiled (Unix ms).

  notes @7 :Text;
  # Remarks, e.g. changes in how complaints are counted.
}
