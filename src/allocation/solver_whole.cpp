// Whole-village mode of the allocation (solve_whole): each village goes whole
// to one site or stays unallocated. A regret heuristic with local search gives
// a plan, branch and bound proves it optimal on small instances, and a
// minimum-cost flow moving the same households gives the lower bound. The
// canonical problem and the flow are in solver.cpp.

#include "relocplan/allocation/solver.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "relocplan/core/error.hpp"
#include "solver_internal.hpp"

namespace relocplan::allocation {
namespace {

using detail::Canonical;
using detail::FlowResult;
using detail::Flows;
using detail::not_allowed;
using detail::Option;
using detail::canonicalise;
using detail::make_solution;
using detail::min_cost_flow;
using detail::pairs_of;

// Whole-village mode. A plan gives each village a site or none; it is ranked
// by (unallocated households, scaled cost), lower is better.

constexpr std::size_t no_site = std::numeric_limits<std::size_t>::max();

struct WholePlan {
  std::vector<std::size_t> site;  // per canonical village, or no_site
  std::int64_t unallocated = 0;
  std::int64_t cost_milli = 0;
};

bool better(std::int64_t unallocated_a, std::int64_t cost_a, std::int64_t unallocated_b, std::int64_t cost_b) {
  return std::make_pair(unallocated_a, cost_a) < std::make_pair(unallocated_b, cost_b);
}

void evaluate(const Canonical& c, WholePlan& plan) {
  plan.unallocated = 0;
  plan.cost_milli = 0;
  for (std::size_t v = 0; v < plan.site.size(); ++v) {
    if (plan.site[v] == no_site) {
      plan.unallocated += c.households[v];
    } else {
      plan.cost_milli += c.cost(v, plan.site[v]) * c.households[v];
    }
  }
}

// Greedy regret placement (Martello & Toth 1990, MTHG for the generalised
// assignment problem) of the villages marked open, on the remaining
// capacities: repeatedly place the village that would lose most by not
// getting its best feasible site, ranked by regret = (second-best minus best
// cost per household) x households; a village with a single feasible site has
// the highest regret. Ties: larger village first (harder to place later), then
// lower index.
void regret_fill(const Canonical& c, std::vector<bool> open, std::vector<std::int64_t>& remaining,
                 WholePlan& plan) {
  const std::size_t n_villages = c.households.size();
  constexpr std::int64_t single_option_regret = std::numeric_limits<std::int64_t>::max();
  // best / second: the two cheapest sites with room for the whole village.
  std::vector<std::size_t> best(n_villages, no_site), second(n_villages, no_site);
  auto refresh = [&](std::size_t v) {
    best[v] = second[v] = no_site;
    for (const Option& o : c.allowed[v]) {  // sorted by cost, then site
      const std::size_t s = o.site;
      if (remaining[s] < c.households[v]) continue;
      if (best[v] == no_site) {
        best[v] = s;
      } else {
        second[v] = s;
        break;
      }
    }
  };
  for (std::size_t v = 0; v < n_villages; ++v) {
    open[v] = open[v] && c.households[v] > 0 && !c.allowed[v].empty();
    if (open[v]) refresh(v);
  }
  for (;;) {
    std::size_t pick = no_site;
    std::int64_t pick_regret = -1;
    for (std::size_t v = 0; v < n_villages; ++v) {
      if (!open[v] || best[v] == no_site) continue;
      const std::int64_t regret =
          second[v] == no_site ? single_option_regret
                               : (c.cost(v, second[v]) - c.cost(v, best[v])) * c.households[v];
      if (pick == no_site || regret > pick_regret ||
          (regret == pick_regret && c.households[v] > c.households[pick])) {
        pick = v;
        pick_regret = regret;
      }
    }
    if (pick == no_site) break;
    const std::size_t site = best[pick];
    plan.site[pick] = site;
    remaining[site] -= c.households[pick];
    open[pick] = false;
    for (std::size_t v = 0; v < n_villages; ++v) {
      if (open[v] && (best[v] == site || second[v] == site)) refresh(v);
    }
  }
}

// Improving moves (local search), first improvement in index order; every
// accepted move strictly improves (unallocated households, cost), so the loop
// terminates; passes are capped to bound the run time on large instances.
//  * relocate: one village (placed or not) to another site with room;
//  * insert: an unplaced village into a site after moving a placed village
//    from there to another site with room (an ejection chain of length 2);
//  * exchange: a placed and an unplaced village, the unplaced taking the
//    placed one's site (more households, or as many at lower cost);
//  * swap: the sites of two placed villages.
void improve(const Canonical& c, std::vector<std::int64_t>& remaining, WholePlan& plan) {
  const std::size_t n_villages = c.households.size();
  const auto& h = c.households;
  auto unit = [&](std::size_t v, std::size_t s) { return c.cost(v, s); };
  auto allowed = [&](std::size_t v, std::size_t s) { return s != no_site && c.cost(v, s) != not_allowed; };
  auto place = [&](std::size_t v, std::size_t s) {
    if (plan.site[v] != no_site) remaining[plan.site[v]] += h[v];
    if (s != no_site) remaining[s] -= h[v];
    plan.site[v] = s;
  };
  // The run time is bounded by counting elementary steps (deterministic,
  // unlike a clock): about a second of work.
  constexpr int max_passes = 50;
  constexpr std::int64_t max_work = 300'000'000;
  std::int64_t work = 0;
  for (int pass = 0; pass < max_passes; ++pass) {
    bool improved = false;
    // relocate
    for (std::size_t v = 0; v < n_villages; ++v) {
      if (h[v] == 0) continue;
      const std::size_t from = plan.site[v];
      const std::int64_t from_unallocated = from == no_site ? h[v] : 0;
      const std::int64_t from_cost = from == no_site ? 0 : unit(v, from) * h[v];
      for (const Option& o : c.allowed[v]) {
        const std::size_t s = o.site;
        ++work;
        if (s == from || remaining[s] < h[v]) continue;
        if (better(0, unit(v, s) * h[v], from_unallocated, from_cost)) {
          place(v, s);
          improved = true;
          break;
        }
      }
    }
    // insert (with one ejection) and exchange, for each unplaced village u
    for (std::size_t u = 0; u < n_villages && work < max_work; ++u) {
      if (h[u] == 0 || plan.site[u] != no_site) continue;
      bool done = false;
      {
        for (std::size_t v = 0; v < n_villages && !done; ++v) {
          ++work;
          const std::size_t a = plan.site[v];
          if (v == u || !allowed(u, a)) continue;
          // insert: v leaves a for b, u takes a.
          if (remaining[a] + h[v] >= h[u]) {
            for (const Option& ob : c.allowed[v]) {
              const std::size_t b = ob.site;
              ++work;
              if (b == a || remaining[b] < h[v]) continue;
              place(v, b);
              place(u, a);
              improved = done = true;
              break;
            }
          }
          // exchange: u takes a, v becomes unplaced.
          if (!done && remaining[a] + h[v] >= h[u] &&
              better(h[v], unit(u, a) * h[u], h[u], unit(v, a) * h[v])) {
            place(v, no_site);
            place(u, a);
            improved = done = true;
          }
        }
      }
    }
    // swap
    for (std::size_t u = 0; u < n_villages && work < max_work; ++u) {
      work += n_villages - u;
      for (std::size_t v = u + 1; v < n_villages; ++v) {
        const std::size_t a = plan.site[u];
        const std::size_t b = plan.site[v];
        if (a == no_site || b == no_site || a == b || !allowed(u, b) || !allowed(v, a)) continue;
        const std::int64_t delta_households = h[u] - h[v];  // net households moving from a to b
        if (remaining[b] < delta_households || remaining[a] < -delta_households) continue;
        const std::int64_t before = unit(u, a) * h[u] + unit(v, b) * h[v];
        const std::int64_t after = unit(u, b) * h[u] + unit(v, a) * h[v];
        if (after < before) {
          remaining[b] -= delta_households;
          remaining[a] += delta_households;
          plan.site[u] = b;
          plan.site[v] = a;
          improved = true;
        }
      }
    }
    if (!improved || work >= max_work) break;
  }
  evaluate(c, plan);
}

// Two starts, the better one kept (ties: the first):
//  1. rounding the split optimum: a basic optimal solution of the
//     transportation problem has at most (sites - 1) villages split (Dantzig
//     1963, ch. 14), so keeping every village the flow sends whole to one site
//     and placing the rest by regret is usually close to optimal;
//  2. plain greedy regret from scratch.
// Both are followed by the improving moves.
WholePlan whole_heuristic(const Canonical& c, const FlowResult& split) {
  const std::size_t n_villages = c.households.size();
  WholePlan best_plan;
  for (int start = 0; start < 2; ++start) {
    WholePlan plan;
    plan.site.assign(n_villages, no_site);
    std::vector<std::int64_t> remaining = c.capacity;
    std::vector<bool> open(n_villages, true);
    if (start == 0) {
      for (std::size_t v = 0; v < n_villages; ++v) {
        for (std::size_t k = 0; k < c.allowed[v].size(); ++k) {
          if (c.households[v] > 0 && split.flow[v][k] == c.households[v]) {
            const std::size_t s = c.allowed[v][k].site;
            plan.site[v] = s;
            remaining[s] -= c.households[v];
            open[v] = false;
          }
        }
      }
    }
    regret_fill(c, open, remaining, plan);
    improve(c, remaining, plan);
    if (start == 0 || better(plan.unallocated, plan.cost_milli, best_plan.unallocated, best_plan.cost_milli)) {
      best_plan = plan;
    }
  }
  return best_plan;
}

// Depth-first branch and bound (Land & Doig 1960) over villages sorted by
// households descending. Bound: the households of remaining villages without
// any allowed site stay unallocated, at most the remaining total capacity can
// be allocated, and each remaining village costs at least its cheapest allowed
// site (capacities otherwise ignored). Starts from the heuristic plan as incumbent.
// Returns false when the work budget ran out (the incumbent is then the best
// plan found, not proven optimal).
bool branch_and_bound(const Canonical& c, WholePlan& incumbent, std::int64_t work_budget) {
  std::vector<std::size_t> order;
  for (std::size_t v = 0; v < c.households.size(); ++v) {
    if (c.households[v] > 0 && !c.allowed[v].empty()) order.push_back(v);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return c.households[a] > c.households[b]; });
  const std::size_t depth_count = order.size();

  std::int64_t fixed_unallocated = 0;  // villages that can never be placed
  for (std::size_t v = 0; v < c.households.size(); ++v) {
    if (c.households[v] > 0 && c.allowed[v].empty()) fixed_unallocated += c.households[v];
  }
  // Suffix sums over the search order: households and cheapest costs still to place.
  // suffix_min_unit_cost: the cheapest cost per household among them.
  std::vector<std::int64_t> suffix_households(depth_count + 1, 0), suffix_min_cost(depth_count + 1, 0);
  std::vector<std::int64_t> suffix_min_unit_cost(depth_count + 1, std::numeric_limits<std::int64_t>::max());
  for (std::size_t d = depth_count; d-- > 0;) {
    const std::size_t v = order[d];
    const std::int64_t cheapest = c.allowed[v].front().cost_milli;
    suffix_households[d] = suffix_households[d + 1] + c.households[v];
    suffix_min_cost[d] = suffix_min_cost[d + 1] + cheapest * c.households[v];
    suffix_min_unit_cost[d] = std::min(suffix_min_unit_cost[d + 1], cheapest);
  }

  std::vector<std::int64_t> remaining = c.capacity;
  std::int64_t remaining_total = std::accumulate(remaining.begin(), remaining.end(), std::int64_t{0});
  std::vector<std::size_t> choice(depth_count + 1, 0);  // next option index at each depth
  std::vector<std::size_t> current(c.households.size(), no_site);
  std::int64_t unallocated = fixed_unallocated;
  std::int64_t cost = 0;
  std::int64_t work = 0;  // elementary steps, against work_budget

  // Undo the choice made at depth d (whose option index is choice[d] - 1).
  auto undo = [&](std::size_t d) {
    const std::size_t v = order[d];
    if (current[v] == no_site) {
      unallocated -= c.households[v];
    } else {
      remaining[current[v]] += c.households[v];
      remaining_total += c.households[v];
      cost -= c.cost(v, current[v]) * c.households[v];
      current[v] = no_site;
    }
  };

  std::size_t d = 0;
  choice[0] = 0;
  bool entering = true;
  for (;;) {
    if (entering) {
      entering = false;
      work += 1 + static_cast<std::int64_t>(depth_count - d);
      if (work > work_budget) return false;
      // Cheap bound first (O(1) from suffix sums), then, if it does not prune,
      // the tighter capacity-aware one (O(remaining pairs)).
      const std::int64_t placeable = std::min(suffix_households[d], std::max<std::int64_t>(remaining_total, 0));
      std::int64_t bound_unallocated = unallocated + (suffix_households[d] - placeable);
      // A completion reaching bound_unallocated places every remaining village
      // (cost >= suffix_min_cost) or, when capacity is short, exactly
      // `placeable` households (cost >= placeable x cheapest unit cost); any
      // completion leaving more unallocated is worse whatever its cost.
      std::int64_t bound_cost =
          cost + (placeable == suffix_households[d]
                      ? suffix_min_cost[d]
                      : (placeable == 0 ? 0 : placeable * suffix_min_unit_cost[d]));
      if (better(bound_unallocated, bound_cost, incumbent.unallocated, incumbent.cost_milli)) {
        // Capacities only shrink deeper in the tree, so a village that fits no
        // site now never will, and one that fits costs at least its cheapest
        // site that still has room for it.
        std::int64_t fit_households = 0, fit_cost = 0, no_fit_households = 0;
        std::int64_t fit_min_unit_cost = std::numeric_limits<std::int64_t>::max();
        for (std::size_t k = d; k < depth_count; ++k) {
          const std::size_t v = order[k];
          bool fits = false;
          for (const Option& o : c.allowed[v]) {  // sorted by cost
            ++work;
            if (remaining[o.site] < c.households[v]) continue;
            fit_households += c.households[v];
            fit_cost += o.cost_milli * c.households[v];
            fit_min_unit_cost = std::min(fit_min_unit_cost, o.cost_milli);
            fits = true;
            break;
          }
          if (!fits) no_fit_households += c.households[v];
        }
        const std::int64_t fit_placeable = std::min(fit_households, std::max<std::int64_t>(remaining_total, 0));
        bound_unallocated = unallocated + no_fit_households + (fit_households - fit_placeable);
        bound_cost = cost + (fit_placeable == fit_households
                                 ? fit_cost
                                 : (fit_placeable == 0 ? 0 : fit_placeable * fit_min_unit_cost));
      }
      if (!better(bound_unallocated, bound_cost, incumbent.unallocated, incumbent.cost_milli)) {
        choice[d] = std::numeric_limits<std::size_t>::max();  // pruned: backtrack
      } else if (d == depth_count) {
        incumbent.site = current;
        incumbent.unallocated = unallocated;
        incumbent.cost_milli = cost;
        choice[d] = std::numeric_limits<std::size_t>::max();
      }
    }
    // Options at depth d: the allowed sites by cost, then "unallocated".
    bool descended = false;
    if (d < depth_count) {
      const std::size_t v = order[d];
      const std::size_t options = c.allowed[v].size() + 1;
      while (choice[d] < options) {
        const std::size_t k = choice[d]++;
        if (k < c.allowed[v].size()) {
          const std::size_t s = c.allowed[v][k].site;
          if (remaining[s] < c.households[v]) continue;
          remaining[s] -= c.households[v];
          remaining_total -= c.households[v];
          cost += c.allowed[v][k].cost_milli * c.households[v];
          current[v] = s;
        } else {
          unallocated += c.households[v];
        }
        descended = true;
        break;
      }
    }
    if (descended) {
      ++d;
      choice[d] = 0;
      entering = true;
      continue;
    }
    if (d == 0) return true;
    --d;
    undo(d);
  }
}

}  // namespace

Solution solve_whole(const Problem& p, std::size_t max_exact_pairs) {
  return solve_whole(p.demands, p.supplies, pairs_of(p), max_exact_pairs);
}

Solution solve_whole(const std::vector<Demand>& demands, const std::vector<Supply>& supplies,
                     const std::vector<Pair>& pair_list, std::size_t max_exact_pairs) {
  const Canonical c = canonicalise(demands, supplies, pair_list);
  std::size_t pairs = 0;
  for (const auto& sites : c.allowed) pairs += sites.size();

  const FlowResult split = min_cost_flow(c, std::nullopt);
  WholePlan plan = whole_heuristic(c, split);
  bool exact = false;
  if (pairs <= max_exact_pairs) {
    // A work budget (elementary steps, deterministic unlike a clock; a few
    // seconds) keeps the exponential worst case of branch and bound in check;
    // when it runs out the best plan found is reported as a heuristic.
    constexpr std::int64_t work_budget = 1'000'000'000;
    exact = branch_and_bound(c, plan, work_budget);
  }

  Flows flow(c.households.size());
  std::int64_t allocated = 0;
  for (std::size_t v = 0; v < plan.site.size(); ++v) {
    flow[v].assign(c.allowed[v].size(), 0);
    if (plan.site[v] == no_site) continue;
    for (std::size_t k = 0; k < c.allowed[v].size(); ++k)
      if (c.allowed[v][k].site == plan.site[v]) flow[v][k] = c.households[v];
    allocated += c.households[v];
  }
  Solution out = make_solution(c, flow);
  out.exact = exact;

  // Lower bound: the cheapest split plan moving the same number of households.
  // Whole-village plans are a subset of split plans, so no whole plan allocating
  // that many households costs less. (The split optimum of solve_split may
  // allocate more households than any whole plan; its cost is then not a bound.)
  const FlowResult bound = allocated == split.allocated ? split : min_cost_flow(c, allocated);
  if (bound.allocated != allocated) {
    throw core::InternalError("allocation: the lower-bound flow could not move the allocated households");
  }
  const Solution bound_solution = make_solution(c, bound.flow);
  out.lower_bound = bound_solution.total_cost;
  if (exact) {
    out.gap = 0.0;
  } else if (bound.cost_milli > 0) {
    // From the scaled integer objectives, so that the gap is exactly >= 0.
    out.gap = static_cast<double>(plan.cost_milli - bound.cost_milli) / static_cast<double>(bound.cost_milli);
  } else if (plan.cost_milli == 0) {
    out.gap = 0.0;
  }  // else: relative gap against a zero bound is undefined; left empty.
  return out;
}

}  // namespace relocplan::allocation
