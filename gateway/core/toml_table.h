// TomlTableReader: reads one table of a TOML configuration file and turns
// every mistake into an error naming the file, the line and the key
// ("c.toml:4: gateway.credit_windw: unknown key"), as every Regline config
// does. A key that is read nowhere is an unknown key: call Finish() after
// the Get calls. Values only; no threads.
#pragma once

#include <toml++/toml.h>

#include <charconv>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gateway/core/status.h"

namespace regline {

// Reads one table's keys and refuses any it was not asked for.
class TomlTableReader {
 public:
  TomlTableReader(const std::string& file, const toml::table& table, std::string prefix)
      : file_(file), table_(table), prefix_(std::move(prefix)) {}

  // Call after every Get: an unread key is an unknown key.
  Status Finish() const {
    for (const auto& [k, v] : table_) {
      if (!used_.count(std::string(k.str()))) return Error(v, std::string(k.str()), "unknown key");
    }
    return Status::Ok();
  }

  void MarkKnown(const char* key) { used_.insert(key); }
  const toml::node* Find(const char* key) const { return table_.get(key); }

  Status Get(const char* key, std::string& out) {
    used_.insert(key);
    const toml::node* n = table_.get(key);
    if (n == nullptr) return Status::Ok();
    if (!n->is_string()) return Error(*n, key, "must be a string");
    out = n->as_string()->get();
    return Status::Ok();
  }

  // "HOST:PORT" (a bracketed IPv6 host is unbracketed; port 0 .. 65535);
  // `host` and `port` keep their values when the key is absent.
  Status GetHostPort(const char* key, std::string& host, int& port) {
    std::string text;
    REGLINE_RETURN_IF_ERROR(Get(key, text));
    if (text.empty() && table_.get(key) == nullptr) return Status::Ok();
    const size_t colon = text.rfind(':');
    int value = -1;
    if (colon != std::string::npos && colon > 0 && colon + 1 < text.size()) {
      const char* first = text.data() + colon + 1;
      const char* last = text.data() + text.size();
      auto [end, ec] = std::from_chars(first, last, value);
      if (ec != std::errc() || end != last) value = -1;
    }
    if (value < 0 || value > 65535) {
      return Error(*table_.get(key), key, "must be HOST:PORT, e.g. \"127.0.0.1:8470\" (port 0: any free one)");
    }
    host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    port = value;
    return Status::Ok();
  }

  Status GetBool(const char* key, bool& out) {
    used_.insert(key);
    const toml::node* n = table_.get(key);
    if (n == nullptr) return Status::Ok();
    if (!n->is_boolean()) return Error(*n, key, "must be true or false");
    out = n->as_boolean()->get();
    return Status::Ok();
  }

  template <typename T>
  Status GetInt(const char* key, T& out, int64_t min, int64_t max) {
    used_.insert(key);
    const toml::node* n = table_.get(key);
    if (n == nullptr) return Status::Ok();
    if (!n->is_integer()) return Error(*n, key, "must be an integer");
    int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      return Error(
          *n, key,
          "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " + std::to_string(v));
    }
    out = static_cast<T>(v);
    return Status::Ok();
  }

  Status GetStrings(const char* key, std::vector<std::string>& out) {
    used_.insert(key);
    const toml::node* n = table_.get(key);
    if (n == nullptr) return Status::Ok();
    const toml::array* a = n->as_array();
    if (a == nullptr) return Error(*n, key, "must be an array of strings");
    out.clear();
    for (const toml::node& item : *a) {
      if (!item.is_string()) return Error(item, key, "must be an array of strings");
      out.push_back(item.as_string()->get());
    }
    return Status::Ok();
  }

  Status Error(const toml::node& n, const std::string& key, const std::string& what) const {
    return InvalidArgument(file_ + ":" + std::to_string(n.source().begin.line) + ": " + prefix_ + key + ": " + what);
  }
  // For a required key that is absent: the table's own line.
  Status Missing(const std::string& key) const { return Error(table_, key, "is required"); }

 private:
  const std::string& file_;
  const toml::table& table_;
  std::string prefix_;
  std::set<std::string> used_;
};

}  // namespace regline
