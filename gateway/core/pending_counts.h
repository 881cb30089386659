// Pending deliveries (queued or in flight) counted per recipient and per
// (recipient, message kind): the in-memory mirror of the deliveries table
// that the store's quota checks read instead of running a query.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace regline {

// A cap on one message family's pending deliveries per recipient.
struct FamilyQuota {
  int64_t limit = 0;
  std::string family;  // the family's name, for refusals: "complaintStatistics"

  friend bool operator==(const FamilyQuota&, const FamilyQuota&) = default;
};

class PendingCounts {
 public:
  // Deliveries counted for `recipient`, of any kind.
  int64_t Total(std::string_view recipient) const {
    auto it = total_.find(std::string(recipient));
    return it == total_.end() ? 0 : it->second;
  }
  // Deliveries counted for `recipient` of MessageKind ordinal `kind`.
  int64_t OfKind(std::string_view recipient, int kind) const {
    auto it = by_kind_.find({std::string(recipient), kind});
    return it == by_kind_.end() ? 0 : it->second;
  }
  // Counts `delta` more (or fewer) deliveries of `kind` to `recipient`.
  // A count that reaches zero is dropped, so an idle recipient costs nothing.
  void Add(const std::string& recipient, int kind, int64_t delta) {
    if (delta == 0) return;
    Bump(total_, recipient, delta);
    Bump(by_kind_, std::pair<std::string, int>(recipient, kind), delta);
  }
  // Adds every count of `other`, multiplied by `sign` (+1 or -1).
  void Merge(const PendingCounts& other, int sign) {
    for (const auto& [key, n] : other.by_kind_) Add(key.first, key.second, sign * n);
  }
  bool empty() const { return total_.empty(); }
  void clear() {
    total_.clear();
    by_kind_.clear();
  }

 private:
  template <typename Map, typename Key>
  static void Bump(Map& map, const Key& key, int64_t delta) {
    auto [it, inserted] = map.try_emplace(key, 0);
    it->second += delta;
    if (it->second <= 0) map.erase(it);
  }

  std::unordered_map<std::string, int64_t> total_;
  std::map<std::pair<std::string, int>, int64_t> by_kind_;
};

}  // namespace regline
