# The negative catalog: goods and services that may not be marketed by live
# streaming, published as numbered versions.
#
# Version chain: version 1 has baseVersion 0; every later CatalogUpdate has
# version = baseVersion + 1, and the gateway accepts an update only if its
# baseVersion is the newest accepted version. Platforms apply updates
# strictly in version order. A platform that receives an update whose
# baseVersion is not the version it holds has a gap (so has a platform that
# holds no version yet): it asks the gateway (query.capnp
# Query.catalogSnapshot with a CatalogSnapshotRequest) and receives, as an
# ordinary Deliver, a CatalogSnapshot at the current version, built by the
# gateway from the versions it keeps and sent from the gateway's own
# identity; updates published after that follow as usual. A platform
# skips updates at or below a version it already holds.

@0xd1a6924075426f0b;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Common = import "common.capnp";

enum CatalogCategory {
  # Why an entry may not be marketed by live streaming.

  unspecified @0;
  # Not set; rejected.

  prohibitedFromProductionOrSale @1;
  # Goods or services whose production or sale the law prohibits.

  prohibitedOnline @2;
  # Goods or services that may not be traded online.

  prohibitedFromPromotion @3;
  # Goods or services that may not be commercially promoted (advertised).

  unsuitableForLiveMarketing @4;
  # Lawful goods unsuitable for live marketing, e.g. those whose
  # advertisements need prior review: medicines, medical devices,
  # pesticides, veterinary drugs, health foods, formula foods for special
  # medical purposes.
}

struct CatalogEntry {
  # One entry of the negative catalog.

  id @0 :Text;
  # Stable id of the entry, unique across all versions, e.g. "NC-0042".
  # Never reused after withdrawal.

  category @1 :CatalogCategory;
  # Why it is listed.

  title @2 :Text;
  # Short name, e.g. "第三类医疗器械".

  description @3 :Text;
  # What the entry covers and what it does not, precisely enough for a
  # platform's reviewers.

  keywords @4 :List(Text);
  # Terms a platform's filters should match (titles, listings, speech
  # transcripts).

  legalBasis @5 :List(Common.LegalBasis);
  # The provisions that put the entry on the catalog.

  effectiveFromMs @6 :Int64;
  # From when the entry applies (Unix ms).

  effectiveUntilMs @7 :Int64;
  # Until when the entry applies (Unix ms, exclusive). 0 = indefinitely.
}

struct CatalogUpdate {
  # One catalog version, as the difference from its base version. Sent as
  # Envelope{kind = catalogUpdate}, usually to "all-platforms".

  version @0 :UInt64;
  # The version this update produces; = baseVersion + 1.

  baseVersion @1 :UInt64;
  # The version this update applies to; 0 for the first version.

  publishedMs @2 :Int64;
  # When the issuer published the version (Unix ms).

  issuer @3 :Common.IssuingOffice;
  # The office publishing the catalog.

  added @4 :List(CatalogEntry);
  # New entries; their ids must not exist in the base version.

  changed @5 :List(CatalogEntry);
  # Entries replacing the entries with the same id in the base version,
  # whole (not field by field).

  withdrawn @6 :List(Text);
  # Ids of entries removed from the catalog in this version.

  notes @7 :Text;
  # What changed and why, for people.
}

struct CatalogSnapshot {
  # The whole catalog at one version. Sent as
  # Envelope{kind = catalogSnapshot}: by the gateway (sender = the gateway's
  # identity, signed with its key) to a platform that asked for one; a
  # regulator may also send one, which is carried like any message.

  version @0 :UInt64;
  # The version the snapshot shows.

  takenMs @1 :Int64;
  # When the snapshot was taken (Unix ms).

  issuer @2 :Common.IssuingOffice;
  # The office publishing the catalog.

  entries @3 :List(CatalogEntry);
  # Every entry in force or scheduled at that version, sorted by id.
}

struct CatalogSnapshotRequest {
  # A platform's request to catch up after a gap in the version chain.
  # Carried in session Query.catalogSnapshot
  # (C:QUERY{catalogSnapshot} -> S:QUERY-RESULT{catalogSnapshot} / S:ERROR);
  # the snapshot itself then arrives in a Deliver frame.

  haveVersion @0 :UInt64;
  # The newest version the platform has applied completely; 0 = none.

  reason @1 :Text;
  # Why the platform asks, e.g. "received v7 on base v5", for the log.
}
