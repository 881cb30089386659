// JSON input: Cap'n Proto structs from files in the schemas' JSON mapping.
//
// The mapping is capnp::JsonCodec's with the schemas' $Json annotations
// (schemas/README.md): field names as in the schema (camelCase), enums by
// enumerant name ("suspendBroadcast"), 64-bit integers as strings or
// numbers, Data as base64 (hex where the field says $Json.hex).
//
// Before decoding, the whole document is checked against the schema, so a
// mistake comes back as kInvalidArgument naming the source, the field path
// and what is wrong, e.g.
//   directive.json: legalBasis[0].article: 70000 is out of range for UInt16
//   directive.json: action: "suspend" is not one of popUpWarning, ...
//   directive.json: subject: sets both "liveRoom" and "account", members of one union
// JSON syntax errors name the line and column. Unknown fields are errors.
// Stateless; any thread.
#pragma once

#include <capnp/dynamic.h>

#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace regline::ctl {

// The whole file at `path`; kInvalidArgument naming the path when it cannot
// be read (missing, unreadable, a directory).
Result<std::string> ReadTextFile(const std::string& path);

// Decodes one JSON object `text` into `out`. `source` names the input in
// messages (a file name).
Status DecodeJson(std::string_view source, std::string_view text, capnp::DynamicStruct::Builder out);

// Decodes a JSON array of objects into the list field `field` of `parent`
// (which it initializes). Paths in messages start with "[index]".
Status DecodeJsonArray(std::string_view source, std::string_view text, capnp::DynamicStruct::Builder parent,
                       std::string_view field);

// ReadTextFile(path), then DecodeJson(path, ...).
Status DecodeJsonFile(const std::string& path, capnp::DynamicStruct::Builder out);

// Whether the JSON object `text` has a top-level member `name` (false for
// anything that is not a JSON object).
bool JsonHasMember(std::string_view text, std::string_view name);

}  // namespace regline::ctl
