// The JSON form of a delivered message that the sinks hand to the
// platform's systems (spool file contents, a command's stdin, later the
// webhook body). The format is specified in connectors/README.md ("The
// message JSON"); this is its only producer.
//
// The envelope is decoded with the protocol codec's limits; the payload is
// rendered with capnp::JsonCodec for the family struct that `kind` names
// (Directive, CatalogUpdate, ...), with handleByAnnotation so that Data
// renders as base64 and digests as hex. A payload that cannot be rendered
// (unknown kind, bytes that do not decode) gives "payload": null and
// "payloadError"; an envelope that cannot be decoded still gives a JSON
// object with what the DELIVER frame said. Pure; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "connectors/inbox.h"

namespace regline::connector {

// The message as a JSON object, keys in the documented order (see
// connectors/README.md).
nlohmann::ordered_json MessageJson(const InboxMessage& message);

// MessageJson(message) serialized: indented by two spaces, ending in a
// newline.
std::string MessageJsonText(const InboxMessage& message);

// MessageJson(message) serialized compactly (no whitespace, no newline),
// as the webhook posts it, built without the intermediate JSON object: the
// header is written field by field and the payload's rendering spliced in
// as capnp::JsonCodec wrote it. Parses to exactly MessageJson(message).
// When the payload does not render, or its text is not valid UTF-8, it
// falls back to serializing MessageJson (which then carries
// payloadError). `expires_ms`, when given, receives the envelope's
// expiresMs (0 when the envelope does not decode).
std::string MessageJsonCompact(const InboxMessage& message, int64_t* expires_ms = nullptr);

// The stable lower-camel-case name of a MessageKind ordinal as the schema
// spells it ("directive", "complaintStatistics"); "kind<N>" for an
// ordinal this build does not know.
std::string MessageKindName(int kind);

}  // namespace regline::connector
