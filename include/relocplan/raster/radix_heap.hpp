#pragma once
// A monotone priority queue for Dijkstra's algorithm over costs in double.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace relocplan::raster {

// A radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990, "Faster algorithms
// for the shortest path problem", J. ACM 37(2)) over the bit patterns of
// non-negative doubles, which order as unsigned integers. Dijkstra's keys
// never fall below the last one taken, which is all a radix heap needs; a
// push is O(1) and each entry moves down at most 64 buckets in all, so it
// beats a binary heap on the millions of cells of a travel-time search.
// Entries of equal cost come out in no particular order, which changes no
// cost (a settled cost is the least over all paths, whatever the order).
class RadixHeap {
 public:
  bool empty() const { return size_ == 0; }
  // Bytes held by the buckets (their capacity, kept between searches).
  std::size_t bytes() const {
    std::size_t n = 0;
    for (const auto& b : buckets_) n += b.capacity();
    return n * sizeof(buckets_[0][0]);
  }
  void clear() {
    for (auto& b : buckets_) b.clear();
    size_ = 0;
    last_ = 0;
  }
  void push(double cost, std::size_t cell) {
    const std::uint64_t key = std::bit_cast<std::uint64_t>(cost);
    buckets_[bucket_of(key)].emplace_back(key, cell);
    ++size_;
  }
  // The entry of least cost.
  std::pair<double, std::size_t> pop() {
    if (buckets_[0].empty()) {
      std::size_t i = 1;
      while (buckets_[i].empty()) ++i;
      std::uint64_t least = buckets_[i].front().first;
      for (const auto& e : buckets_[i]) least = std::min(least, e.first);
      last_ = least;
      for (const auto& e : buckets_[i]) buckets_[bucket_of(e.first)].push_back(e);
      buckets_[i].clear();
    }
    const auto e = buckets_[0].back();
    buckets_[0].pop_back();
    --size_;
    return {std::bit_cast<double>(e.first), e.second};
  }

 private:
  std::size_t bucket_of(std::uint64_t key) const {
    return key == last_ ? 0 : 64 - static_cast<std::size_t>(std::countl_zero(key ^ last_));
  }
  std::array<std::vector<std::pair<std::uint64_t, std::size_t>>, 65> buckets_;
  std::size_t size_ = 0;
  std::uint64_t last_ = 0;
};

}  // namespace relocplan::raster
