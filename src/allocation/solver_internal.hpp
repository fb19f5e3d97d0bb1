#pragma once
// Internal to the allocation solvers (solver.cpp, solver_whole.cpp), not part
// of the public API: the problem in canonical order with integer costs, the
// conversion of flows back to a Solution, and the minimum-cost flow over the
// sparse graph of allowed pairs.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "relocplan/allocation/solver.hpp"

namespace relocplan::allocation::detail {

// Marks a disallowed (village, site) pair.
inline constexpr std::int64_t not_allowed = -1;

// One allowed site of a village: canonical site index, scaled and input cost.
struct Option {
  std::size_t site = 0;
  std::int64_t cost_milli = 0;
  double cost = 0;
};

// The problem in canonical order (villages and sites sorted by id, then input
// index), with costs scaled to integers, held sparse: only allowed pairs.
// Working on the canonical order makes the result independent of the input
// order.
struct Canonical {
  std::vector<std::size_t> village_of;  // canonical village -> input index
  std::vector<std::size_t> site_of;     // canonical site -> input index
  std::vector<std::int64_t> households;
  std::vector<std::int64_t> capacity;
  std::vector<std::vector<Option>> allowed;  // per village: by (cost, site)
  std::vector<std::vector<Option>> by_site;  // per village: by site, for look-ups

  // The scaled cost of (v, s), or not_allowed.
  std::int64_t cost(std::size_t v, std::size_t s) const {
    const auto& row = by_site[v];
    auto it = std::lower_bound(row.begin(), row.end(), s, [](const Option& o, std::size_t site) { return o.site < site; });
    return it != row.end() && it->site == s ? it->cost_milli : not_allowed;
  }
};

// Flows per canonical village, aligned with Canonical::allowed[v].
using Flows = std::vector<std::vector<std::int64_t>>;

struct FlowResult {
  Flows flow;  // [village][option], canonical
  std::int64_t allocated = 0;
  std::int64_t cost_milli = 0;  // of the allocated part only
};

// The problem in canonical order; throws core::ScenarioError on invalid input.
Canonical canonicalise(const std::vector<Demand>& demands, const std::vector<Supply>& supplies,
                       const std::vector<Pair>& pairs);

// The dense matrix's allowed entries as pairs (after checking its shape).
std::vector<Pair> pairs_of(const Problem& p);

// flow[v][k] in canonical indices -> Solution in input indices, sorted.
Solution make_solution(const Canonical& c, const Flows& flow);

// Minimum-cost flow (LEMON's network simplex); see solver.cpp.
FlowResult min_cost_flow(const Canonical& c, std::optional<std::int64_t> flow_limit);

}  // namespace relocplan::allocation::detail
