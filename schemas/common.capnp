# Regline common types: the vocabulary every message family shares.
#
# Conventions used by every schema in this directory (see README.md):
# - Times are Int64 milliseconds since the Unix epoch, UTC; field names end in
#   `Ms`. Where a time is optional, 0 means "unset". Durations also end in `Ms`.
# - Ids of messages are 128-bit MessageId values; all-zero means "none".
# - Money is Int64 fen (1/100 CNY), field names end in `Fen`.
# - Enums whose value is a sender's claim start with `unspecified @0`, so a
#   field the sender forgot to set is never read as a real value; receivers
#   reject `unspecified` as invalidArgument. New enumerants are only ever
#   appended; a receiver that meets an enumerant it does not know treats the
#   message as one it cannot act on (it rejects it, it never guesses).
# - Identity numbers of natural persons are never carried in the clear except
#   in the one documented place (SignedAgreement), which the gateway redacts.

@0xbe80eab2ed07bc1d;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Json = import "/capnp/compat/json.capnp";

struct MessageId {
  # 128-bit identifier of one message, chosen by its sender (random, e.g. a
  # UUIDv4 or UUIDv7 split into two halves). Submission is idempotent on it.
  # The all-zero value means "no message" where a field is optional.

  hi @0 :UInt64;
  # Most significant 64 bits (bytes 0..7 of the big-endian 16-byte form).

  lo @1 :UInt64;
  # Least significant 64 bits (bytes 8..15 of the big-endian 16-byte form).
}

enum Department {
  # The seven departments that jointly issued the Measures and supervise
  # online live marketing.

  unspecified @0;
  # Not set; rejected.

  cac @1;
  # Cyberspace Administration of China (国家互联网信息办公室), the lead
  # department.

  mps @2;
  # Ministry of Public Security (公安部).

  mofcom @3;
  # Ministry of Commerce (商务部).

  mct @4;
  # Ministry of Culture and Tourism (文化和旅游部).

  sta @5;
  # State Taxation Administration (国家税务总局); sends tax-assistance
  # requests.

  samr @6;
  # State Administration for Market Regulation (国家市场监督管理总局);
  # publishes the negative catalog with the other departments.

  nrta @7;
  # National Radio and Television Administration (国家广播电视总局).
}

struct IssuingOffice {
  # One office of a department: national headquarters or a local office.
  # Local (e.g. provincial) offices issue directives too.

  department @0 :Department;
  # The department the office belongs to.

  regionCode @1 :Text;
  # Administrative division code of the office's area (GB/T 2260, six
  # digits, e.g. "310000" for Shanghai, "440300" for Shenzhen). Empty means
  # the national office.

  name @2 :Text;
  # Human-readable name of the office, e.g. "上海市市场监督管理局".
}

enum Role {
  # What an authenticated identity is allowed to be. Each registered CURVE
  # key is bound to one identity and one role.

  unspecified @0;
  # Not set; rejected.

  regulator @1;
  # A regulator's console (reglinectl or the web console): issues directives,
  # catalog versions and tax-assistance requests; receives upstream reports.

  platform @2;
  # A live marketing platform's connector: receives what is addressed to the
  # platform; sends acknowledgements, complaint statistics, attestations and
  # tax-assistance responses.

  mcnAgency @3;
  # A live-marketer service agency (MCN); only files signed agreements.

  gatewayOperator @4;
  # Staff who run the gateway itself: may inspect queues, dead letters and
  # replay them. (Called "operator" in the design; renamed so it is not
  # confused with a live-room operator.)
}

enum MarketingRole {
  # The part a person or organization plays in live marketing (the Measures'
  # two regulated roles besides platforms and agencies).

  unspecified @0;
  # Not set; rejected.

  liveRoomOperator @1;
  # Live-room operator (直播间运营者): holds the account and runs the room.

  liveMarketer @2;
  # Live marketer (直播营销人员): the person who markets on camera.
}

struct PlatformRef {
  # Names a live marketing platform.

  platformId @0 :Text;
  # Short platform id registered with the gateway, e.g. "douyin". This is
  # also the identity the platform's connector authenticates as and the
  # recipient name regulators address (Envelope.recipients).

  uscc @1 :Text;
  # Unified social credit code of the platform company (GB 32100-2015,
  # 18 characters). Empty when only platformId is known.

  name @2 :Text;
  # Human-readable platform name, e.g. "抖音".
}

struct AgencyRef {
  # Names an MCN agency (live-marketer service agency, 直播营销人员服务机构).

  uscc @0 :Text;
  # Unified social credit code of the agency (18 characters); the agency's
  # stable identifier.

  name @1 :Text;
  # Registered name of the agency.

  platformAgencyId @2 :Text;
  # The agency's id on the target platform, when known; empty otherwise.
}

struct AccountRef {
  # One account on a platform (the holder of a live room, or a marketer's
  # account).

  platformId @0 :Text;
  # Platform holding the account; empty means "the platform the message is
  # addressed to".

  accountId @1 :Text;
  # The platform's internal, stable account id.

  displayId @2 :Text;
  # The public number users see (e.g. the short id shown on the profile);
  # may change, so accountId wins when they disagree.

  nickname @3 :Text;
  # The account's nickname at the time of writing.
}

struct LiveRoomRef {
  # One live room (直播间).

  roomId @0 :Text;
  # The platform's id of the live room.

  account @1 :AccountRef;
  # The account that operates the room.

  title @2 :Text;
  # Title of the room or the broadcast, as shown to users.

  sessionId @3 :Text;
  # The platform's id of one broadcast session, when the directive concerns
  # one broadcast only; empty means the room as a whole.
}

struct ProductRef {
  # One product or service offered through live marketing.

  productId @0 :Text;
  # The platform's product (SKU or listing) id.

  shopId @1 :Text;
  # The platform's id of the shop selling it.

  title @2 :Text;
  # Product title as listed.

  url @3 :Text;
  # Link to the listing, if any.
}

struct MarketerRef {
  # A live marketer or live-room operator identified as a person or
  # organization, across accounts and platforms (e.g. for a blacklist).

  role @0 :MarketingRole;
  # Which role the subject plays.

  name @1 :Text;
  # Real name (natural person) or registered name (organization).

  identityDigest @2 :SaltedDigest;
  # Salted digest of the resident identity number (natural persons); see
  # SaltedDigest. Unset (empty bytes) for organizations.

  uscc @3 :Text;
  # Unified social credit code, for organizations; empty for natural persons.

  accounts @4 :List(AccountRef);
  # Known accounts of the subject; the recipient platform matches its own.
}

struct SubjectRef {
  # The subject of a directive: what the platform must act on. Platform-side
  # ids are the recipient platform's own ids.

  union {
    wholePlatform @0 :Void;
    # The platform itself (e.g. rectify, provide information, preserve
    # evidence about its own operations). This is the default.

    liveRoom @1 :LiveRoomRef;
    # A live room.

    account @2 :AccountRef;
    # An account.

    marketer @3 :MarketerRef;
    # A live marketer or live-room operator as a person or organization,
    # across their accounts.

    product @4 :ProductRef;
    # A product or service listing.

    mcnAgency @5 :AgencyRef;
    # An MCN agency.
  }
}

enum DigestAlgorithm {
  # Hash functions the gateway accepts.

  unspecified @0;
  # Not set; rejected.

  sha256 @1;
  # SHA-256 (FIPS 180-4), 32 bytes.

  sm3 @2;
  # SM3 (GB/T 32905-2016), 32 bytes; the national algorithm.
}

struct Digest {
  # A hash of some bytes (a document, a record, a recording).

  algorithm @0 :DigestAlgorithm;
  # Which hash function.

  bytes @1 :Data $Json.hex;
  # The hash value, 32 bytes for both algorithms. Rendered as hex in JSON.
}

struct SaltedDigest {
  # A salted hash of a personal identifier (resident identity number), so
  # that the number itself is never stored or forwarded:
  # bytes = H(salt || number), number being the 18-character ASCII string
  # with a capital "X" check character. Whoever knows a candidate number and
  # the salt can test it; nobody can read the number back. A disclosed salt
  # defeats precomputed tables but not a targeted search over plausible
  # numbers, so a SaltedDigest is still personal information: do not log it.

  algorithm @0 :DigestAlgorithm;
  # Which hash function.

  salt @1 :Data $Json.base64;
  # At least 16 random bytes, chosen by whoever computed the digest.

  bytes @2 :Data $Json.hex;
  # The hash value.
}

enum SignatureAlgorithm {
  # Signature schemes the gateway verifies (with OpenSSL).

  unspecified @0;
  # Not set; rejected.

  ed25519 @1;
  # Ed25519 (RFC 8032), pure mode; 64-byte signature.

  sm2Sm3 @2;
  # SM2 signature with SM3 (GB/T 32918.2, GM/T 0009 default user id
  # "1234567812345678"), DER-encoded; the national algorithms the
  # regulators' own systems use.
}

struct Signature {
  # A signature over a byte string that the containing field's
  # documentation names (for Envelope.signature: exactly Envelope.payload).

  algorithm @0 :SignatureAlgorithm;
  # Which signature scheme.

  signer @1 :Text;
  # Identity of the signer as registered with the gateway (for an Envelope,
  # the sender; for an agreement party, the party's name).

  keyId @2 :Text;
  # Which of the signer's keys, as registered (e.g. "samr-2024-01"); lets
  # keys rotate without ambiguity.

  bytes @3 :Data $Json.base64;
  # The signature value.
}

struct Period {
  # A half-open time interval [startMs, endMs).

  startMs @0 :Int64;
  # First instant inside the period (Unix ms).

  endMs @1 :Int64;
  # First instant after the period (Unix ms); must be > startMs.
}

struct LegalBasis {
  # One provision a message rests on.

  instrument @0 :Text;
  # Title of the law, regulation or rule, e.g.
  # "网络直播营销管理办法（试行）" (the Measures).

  article @1 :UInt16;
  # Article number, e.g. 18 for the Measures' red lines for marketers.
  # 0 = the instrument as a whole.

  clause @2 :Text;
  # Paragraph and item within the article, e.g. "第一款第（三）项"; empty
  # for the whole article.
}

struct Attachment {
  # A document that goes with a message (e.g. the formal written notice
  # behind a directive).

  name @0 :Text;
  # File name as the sender knows it, e.g. "责令整改通知书.pdf".

  mediaType @1 :Text;
  # IANA media type, e.g. "application/pdf".

  digest @2 :Digest;
  # Digest of the document's bytes; always set.

  content @3 :Data $Json.base64;
  # The document itself; may be empty when only the digest travels (the
  # document then goes by another channel).
}

const allPlatforms :Text = "all-platforms";
# Recipient group: every platform registered with the gateway. Other groups
# are defined by the routing policy.
