// Histogram: counts of observations at or below fixed upper bounds, their
// sum and count, in the shape Prometheus exposes (cumulative buckets, a
// +Inf bucket equal to the count). A plain value type; the owner locks.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace regline {

struct Histogram {
  std::vector<double> bounds;    // upper bounds, increasing
  std::vector<uint64_t> counts;  // per bound, not cumulative (counts[i]: bounds[i-1] < x <= bounds[i])
  uint64_t count = 0;            // all observations (those above the last bound too)
  double sum = 0;

  Histogram() = default;
  explicit Histogram(std::vector<double> upper_bounds) : bounds(std::move(upper_bounds)), counts(bounds.size(), 0) {}

  void Observe(double x) {
    ++count;
    sum += x;
    for (size_t i = 0; i < bounds.size(); ++i) {
      if (x <= bounds[i]) {
        ++counts[i];
        return;
      }
    }
  }
  // Observations at or below bounds[i] (what Prometheus' le="bounds[i]" shows).
  uint64_t CumulativeAt(size_t i) const {
    uint64_t n = 0;
    for (size_t j = 0; j <= i && j < counts.size(); ++j) n += counts[j];
    return n;
  }
};

}  // namespace regline
