#pragma once
// Union-find (disjoint sets) over 0 .. n-1 with path halving. The smallest
// index of a set is its root, so groups come out ordered by their first member.

#include <cstddef>
#include <numeric>
#include <utility>
#include <vector>

namespace relocplan::core {

class UnionFind {
 public:
  explicit UnionFind(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), std::size_t{0}); }
  std::size_t find(std::size_t i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (b < a) std::swap(a, b);
    parent_[b] = a;
  }

 private:
  std::vector<std::size_t> parent_;
};

}  // namespace relocplan::core
