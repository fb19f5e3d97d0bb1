#pragma once
// Allocation of relocating households to resettlement sites.
//
// Two modes:
//  * solve_split: households of one village may be spread over several sites.
//    This is a transportation problem with capacities, solved exactly as a
//    minimum-cost flow (Ahuja, Magnanti & Orlin, "Network Flows", 1993, ch. 11:
//    the network simplex method, here LEMON's implementation) on the sparse
//    graph of allowed pairs.
//  * solve_whole: each village moves as a whole to one site (keeps the
//    community together, a common requirement of relocation programmes). This is
//    a generalised assignment problem with an "unallocated" option, NP-hard
//    (Martello & Toth, "Knapsack Problems", 1990, ch. 7); solved exactly by
//    branch and bound for small instances, otherwise by a regret heuristic
//    with local search, reporting the gap against a flow lower bound.
//
// Costs are resolved to 0.001 units (cost_resolution): the solvers optimise
// the costs rounded to that resolution in exact integer arithmetic, so that
// results are deterministic and do not depend on floating-point summation
// order. Reported costs use the unrounded input values.
//
// Results do not depend on the order of villages and sites in the input: the
// solvers work on villages and sites sorted by id (then input index, for equal
// ids), so ties between equally good plans are broken by id.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relocplan::allocation {

// Costs are multiplied by this and rounded to integers before optimisation.
inline constexpr double cost_scale_per_unit = 1000.0;

struct Demand {
  std::string village_id;
  std::int64_t households = 0;
  std::string county;
};

struct Supply {
  std::string site_id;
  std::int64_t capacity_households = 0;
  std::string county;
};

// cost[v][s]: cost (e.g. travel minutes) of moving one household of village v to
// site s; +infinity (or NaN) = not allowed (beyond the maximum travel, or another
// county when crossing is off). Allowed costs must be finite and >= 0.
struct Problem {
  std::vector<Demand> demands;
  std::vector<Supply> supplies;
  std::vector<std::vector<double>> cost;
};

// One allowed (village, site) pair of a sparse problem, by input index: the
// cost per household (+infinity or NaN entries are ignored, as in Problem).
struct Pair {
  std::size_t village = 0, site = 0;
  double cost = 0;
};

struct Assignment {
  std::size_t village = 0;
  std::size_t site = 0;
  std::int64_t households = 0;
  double cost_per_household = 0;
};

inline constexpr const char* reason_no_site = "no site within range";
inline constexpr const char* reason_capacity = "capacity exhausted";

struct Unallocated {
  std::size_t village = 0;
  std::int64_t households = 0;
  std::string reason;  // reason_no_site | reason_capacity
};

struct Solution {
  std::vector<Assignment> assignments;   // sorted by village, then site
  std::vector<Unallocated> unallocated;  // sorted by village
  double total_cost = 0;                 // sum households x cost
  // Whole-village mode: the minimum cost of moving the same number of
  // households with splitting allowed (equals solve_split's total_cost when both
  // allocate the same number of households). Empty for solve_split. Exactly
  // <= total_cost for costs on the 0.001 grid; otherwise the rounding of costs
  // (cost_scale_per_unit) can move either by up to 0.0005 per household.
  std::optional<double> lower_bound;
  // (total_cost - lower_bound) / lower_bound when a heuristic was used, 0 when
  // exact; empty when the lower bound is 0 and the cost is not.
  std::optional<double> gap;
  bool exact = true;
};

// Households may be split between sites; maximises the number of households
// allocated, then minimises the total cost. Throws core::ScenarioError on
// invalid input (size mismatch, negative households, capacity or cost).
Solution solve_split(const Problem& p);
// The same over sparse pairs (only the allowed ones): memory and time grow
// with the pairs, not with villages x sites. A pair given twice counts once,
// at its lower cost.
Solution solve_split(const std::vector<Demand>& demands, const std::vector<Supply>& supplies,
                     const std::vector<Pair>& pairs);

// Each village goes whole to one site (or stays unallocated). Maximises the
// number of households allocated, then minimises the total cost. Exact by
// branch and bound when the number of (village, allowed site) pairs is
// <= max_exact_pairs (and the search finishes within its node budget),
// otherwise a greedy regret heuristic followed by improving moves.
Solution solve_whole(const Problem& p, std::size_t max_exact_pairs = 200000);
Solution solve_whole(const std::vector<Demand>& demands, const std::vector<Supply>& supplies,
                     const std::vector<Pair>& pairs, std::size_t max_exact_pairs = 200000);

}  // namespace relocplan::allocation
