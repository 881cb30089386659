#include "ctl/json_input.h"

#include <capnp/compat/json.h>
#include <capnp/schema.h>
#include <kj/exception.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ctl/parse.h"

namespace regline::ctl {
namespace {

using nlohmann::json;
using TypeWhich = capnp::schema::Type::Which;

// Annotation ids from /capnp/compat/json.capnp.
constexpr uint64_t kJsonName = 0xfa5b1fd61c2e7c3dull;
constexpr uint64_t kJsonBase64 = 0xd7d879450a253e4bull;
constexpr uint64_t kJsonHex = 0xf061e22f0ae5c7b5ull;

template <typename Proto>
bool HasAnnotation(Proto proto, uint64_t id) {
  for (auto a : proto.getAnnotations()) {
    if (a.getId() == id) return true;
  }
  return false;
}

template <typename Proto>
std::string JsonName(Proto proto) {
  for (auto a : proto.getAnnotations()) {
    if (a.getId() == kJsonName) return a.getValue().getText().cStr();
  }
  return proto.getName().cStr();
}

std::string Join(const std::string& path, std::string_view member) {
  return path.empty() ? std::string(member) : path + "." + std::string(member);
}

std::string Shown(const json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

struct IntRange {
  const char* name;
  int64_t min;
  uint64_t max;
};

IntRange RangeOf(TypeWhich which) {
  switch (which) {
    case TypeWhich::INT8:
      return {"Int8", INT8_MIN, INT8_MAX};
    case TypeWhich::INT16:
      return {"Int16", INT16_MIN, INT16_MAX};
    case TypeWhich::INT32:
      return {"Int32", INT32_MIN, INT32_MAX};
    case TypeWhich::INT64:
      return {"Int64", INT64_MIN, INT64_MAX};
    case TypeWhich::UINT8:
      return {"UInt8", 0, UINT8_MAX};
    case TypeWhich::UINT16:
      return {"UInt16", 0, UINT16_MAX};
    case TypeWhich::UINT32:
      return {"UInt32", 0, UINT32_MAX};
    default:
      return {"UInt64", 0, UINT64_MAX};
  }
}

bool IsBase64(std::string_view s) {
  if (s.size() % 4 != 0) return false;
  size_t padding = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return false;  // '=' only at the end
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  }
  return padding <= 2;
}

bool IsHex(std::string_view s) {
  if (s.size() % 2 != 0) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Walks a JSON document alongside a schema and reports the first mismatch
// as "path: what is wrong"; empty when the document fits.
class Checker {
 public:
  std::string Struct(const json& v, capnp::StructSchema schema, const std::string& path) {
    if (!v.is_object()) return At(path) + "expected an object, not " + Shown(v);
    std::map<std::string, capnp::StructSchema::Field> by_name;
    std::vector<std::string> names;
    for (auto f : schema.getFields()) {
      by_name.emplace(JsonName(f.getProto()), f);
      names.push_back(JsonName(f.getProto()));
    }
    std::string union_member;
    for (const auto& [key, value] : v.items()) {
      auto it = by_name.find(key);
      if (it == by_name.end()) {
        return At(Join(path, key)) + "unknown field; " + schema.getUnqualifiedName().cStr() + " has " +
               JoinChoices(names);
      }
      if (it->second.getProto().getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
        if (!union_member.empty()) {
          return At(path) + "sets both \"" + union_member + "\" and \"" + key + "\", members of one union; keep one";
        }
        union_member = key;
      }
      std::string error = Field(value, it->second, Join(path, key));
      if (!error.empty()) return error;
    }
    return {};
  }

  std::string Field(const json& v, capnp::StructSchema::Field field, const std::string& path) {
    auto proto = field.getProto();
    if (proto.isGroup()) return Struct(v, field.getType().asStruct(), path);
    const bool base64 = HasAnnotation(proto, kJsonBase64);
    const bool hex = HasAnnotation(proto, kJsonHex);
    return Value(v, field.getType(), path, base64, hex);
  }

  std::string Value(const json& v, capnp::Type type, const std::string& path, bool base64 = false, bool hex = false) {
    if (v.is_null() && !type.isVoid()) return At(path) + "null is not a value here; leave the field out instead";
    switch (type.which()) {
      case TypeWhich::VOID:
        return v.is_null() ? std::string() : At(path) + "expected null, not " + Shown(v);
      case TypeWhich::BOOL:
        return v.is_boolean() ? std::string() : At(path) + "expected true or false, not " + Shown(v);
      case TypeWhich::INT8:
      case TypeWhich::INT16:
      case TypeWhich::INT32:
      case TypeWhich::INT64:
      case TypeWhich::UINT8:
      case TypeWhich::UINT16:
      case TypeWhich::UINT32:
      case TypeWhich::UINT64:
        return Integer(v, RangeOf(type.which()), path);
      case TypeWhich::FLOAT32:
      case TypeWhich::FLOAT64:
        return v.is_number() || v.is_string() ? std::string() : At(path) + "expected a number, not " + Shown(v);
      case TypeWhich::TEXT:
        return v.is_string() ? std::string() : At(path) + "expected a string, not " + Shown(v);
      case TypeWhich::DATA:
        return Data(v, path, base64, hex);
      case TypeWhich::ENUM:
        return Enum(v, type.asEnum(), path);
      case TypeWhich::STRUCT:
        return Struct(v, type.asStruct(), path);
      case TypeWhich::LIST: {
        if (!v.is_array()) return At(path) + "expected an array, not " + Shown(v);
        capnp::Type element = type.asList().getElementType();
        for (size_t i = 0; i < v.size(); ++i) {
          std::string error = Value(v[i], element, path + "[" + std::to_string(i) + "]");
          if (!error.empty()) return error;
        }
        return {};
      }
      default:
        return At(path) + "this field cannot be given in JSON";
    }
  }

 private:
  static std::string At(const std::string& path) { return path.empty() ? std::string() : path + ": "; }

  std::string Integer(const json& v, IntRange range, const std::string& path) {
    std::string type = std::string(range.name);
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > range.max) return At(path) + Shown(v) + " is out of range for " + type;
      return {};
    }
    if (v.is_number_integer()) {
      if (v.get<int64_t>() < range.min) return At(path) + Shown(v) + " is out of range for " + type;
      return {};
    }
    if (v.is_string()) {
      // 64-bit integers travel as strings ("1714565580000").
      const std::string& s = v.get_ref<const std::string&>();
      if (range.min < 0) {
        int64_t n = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc::result_out_of_range) return At(path) + Shown(v) + " is out of range for " + type;
        if (ec != std::errc() || end != s.data() + s.size()) return At(path) + Shown(v) + " is not an integer";
        if (n < range.min || (n > 0 && static_cast<uint64_t>(n) > range.max)) {
          return At(path) + Shown(v) + " is out of range for " + type;
        }
      } else {
        uint64_t n = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc::result_out_of_range) return At(path) + Shown(v) + " is out of range for " + type;
        if (ec != std::errc() || end != s.data() + s.size()) return At(path) + Shown(v) + " is not an integer";
        if (n > range.max) return At(path) + Shown(v) + " is out of range for " + type;
      }
      return {};
    }
    return At(path) + "expected an integer (" + type + "), not " + Shown(v);
  }

  std::string Data(const json& v, const std::string& path, bool base64, bool hex) {
    if (base64 || hex) {
      if (!v.is_string()) return At(path) + "expected a " + (hex ? "hex" : "base64") + " string, not " + Shown(v);
      const std::string& s = v.get_ref<const std::string&>();
      if (hex && !IsHex(s)) return At(path) + Shown(v) + " is not hex (an even number of 0-9a-f digits)";
      if (base64 && !IsBase64(s)) return At(path) + Shown(v) + " is not base64 (RFC 4648, with '=' padding)";
      return {};
    }
    if (!v.is_array()) return At(path) + "expected an array of bytes, not " + Shown(v);
    for (const json& b : v) {
      if (!b.is_number_unsigned() || b.get<uint64_t>() > 255) return At(path) + Shown(b) + " is not a byte (0..255)";
    }
    return {};
  }

  std::string Enum(const json& v, capnp::EnumSchema schema, const std::string& path) {
    std::vector<std::string> names;
    for (auto e : schema.getEnumerants()) names.push_back(JsonName(e.getProto()));
    if (v.is_number_unsigned() && v.get<uint64_t>() < names.size()) return {};
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      for (const std::string& name : names) {
        if (name == s) return {};
      }
      for (const std::string& name : names) {
        if (KebabCase(name) == s) return At(path) + Shown(v) + " should be written \"" + name + "\" in JSON";
      }
    }
    return At(path) + Shown(v) + " is not one of " + JoinChoices(names);
  }
};

// kj's "expected <condition> [...]; <message>; <values>" without the
// condition, which means nothing to a user.
std::string Describe(const kj::Exception& e) {
  std::string d = e.getDescription().cStr();
  if (d.starts_with("expected ")) {
    size_t semi = d.find("; ");
    if (semi != std::string::npos) d = d.substr(semi + 2);
  }
  return d;
}

void Configure(capnp::JsonCodec& codec, capnp::StructSchema schema) {
  codec.handleByAnnotation(schema);
  codec.setRejectUnknownFields(true);
}

Result<json> ParseSyntax(std::string_view source, std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    std::string what = e.what();
    size_t at = what.find("parse error");
    return InvalidArgument(std::string(source) +
                           ": not valid JSON: " + (at == std::string::npos ? what : what.substr(at)));
  }
}

}  // namespace

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot open the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return InvalidArgument(path + ": cannot read the file");
  return buffer.str();
}

Status DecodeJson(std::string_view source, std::string_view text, capnp::DynamicStruct::Builder out) {
  Result<json> doc = ParseSyntax(source, text);
  if (!doc.ok()) return doc.status();
  capnp::StructSchema schema = out.getSchema();
  std::string error = Checker().Struct(*doc, schema, "");
  if (!error.empty()) return InvalidArgument(std::string(source) + ": " + error);
  capnp::JsonCodec codec;
  Configure(codec, schema);
  kj::Maybe<kj::Exception> failure =
      kj::runCatchingExceptions([&]() { codec.decode(kj::ArrayPtr<const char>(text.data(), text.size()), out); });
  KJ_IF_MAYBE(e, failure) {
    return InvalidArgument(std::string(source) + ": " + Describe(*e));
  }
  return Status::Ok();
}

Status DecodeJsonArray(std::string_view source, std::string_view text, capnp::DynamicStruct::Builder parent,
                       std::string_view field) {
  Result<json> doc = ParseSyntax(source, text);
  if (!doc.ok()) return doc.status();
  if (!doc->is_array()) return InvalidArgument(std::string(source) + ": expected a JSON array of objects");
  capnp::StructSchema::Field list_field = parent.getSchema().getFieldByName(kj::StringPtr(std::string(field).c_str()));
  capnp::StructSchema element = list_field.getType().asList().getElementType().asStruct();
  for (size_t i = 0; i < doc->size(); ++i) {
    std::string error = Checker().Struct((*doc)[i], element, "[" + std::to_string(i) + "]");
    if (!error.empty()) return InvalidArgument(std::string(source) + ": " + error);
  }
  capnp::JsonCodec codec;
  Configure(codec, element);
  size_t index = 0;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    auto list = parent.init(list_field, static_cast<unsigned>(doc->size())).as<capnp::DynamicList>();
    for (index = 0; index < doc->size(); ++index) {
      std::string item = (*doc)[index].dump();
      codec.decode(kj::ArrayPtr<const char>(item.data(), item.size()), list[index].as<capnp::DynamicStruct>());
    }
  });
  KJ_IF_MAYBE(e, failure) {
    return InvalidArgument(std::string(source) + ": [" + std::to_string(index) + "]: " + Describe(*e));
  }
  return Status::Ok();
}

Status DecodeJsonFile(const std::string& path, capnp::DynamicStruct::Builder out) {
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return DecodeJson(path, *text, out);
}

bool JsonHasMember(std::string_view text, std::string_view name) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return doc.is_object() && doc.contains(std::string(name));
}

}  // namespace regline::ctl
