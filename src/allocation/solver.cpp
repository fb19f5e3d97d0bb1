#include "relocplan/allocation/solver.hpp"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/successive_shortest_path_nonnegative_weights.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "relocplan/core/error.hpp"

namespace relocplan::allocation {
namespace {

// Marks a disallowed (village, site) pair in the scaled cost matrix.
constexpr std::int64_t not_allowed = -1;

// Above this, scaled costs times households could overflow 64-bit sums.
constexpr double max_scaled_objective = 1e17;

// The problem in canonical order (villages and sites sorted by id, then input
// index), with costs scaled to integers. Working on the canonical order makes
// the result independent of the input order.
struct Canonical {
  std::vector<std::size_t> village_of;  // canonical village -> input index
  std::vector<std::size_t> site_of;     // canonical site -> input index
  std::vector<std::int64_t> households;
  std::vector<std::int64_t> capacity;
  std::vector<std::vector<std::int64_t>> cost_milli;  // not_allowed or >= 0
  std::vector<std::vector<std::size_t>> allowed;      // per village: sites by (cost, site)
};

bool is_allowed(double cost) { return std::isfinite(cost); }

Canonical canonicalise(const Problem& p) {
  const std::size_t n_villages = p.demands.size();
  const std::size_t n_sites = p.supplies.size();
  if (p.cost.size() != n_villages) {
    throw core::ScenarioError("allocation: the cost matrix has " + std::to_string(p.cost.size()) +
                              " rows but there are " + std::to_string(n_villages) + " villages");
  }
  for (std::size_t v = 0; v < n_villages; ++v) {
    const Demand& d = p.demands[v];
    if (p.cost[v].size() != n_sites) {
      throw core::ScenarioError("allocation: the cost row of village '" + d.village_id + "' has " +
                                std::to_string(p.cost[v].size()) + " entries but there are " +
                                std::to_string(n_sites) + " sites");
    }
    if (d.households < 0) {
      throw core::ScenarioError("allocation: village '" + d.village_id +
                                "' has a negative number of households (" +
                                std::to_string(d.households) + ")");
    }
  }
  for (const Supply& s : p.supplies) {
    if (s.capacity_households < 0) {
      throw core::ScenarioError("allocation: site '" + s.site_id + "' has a negative capacity (" +
                                std::to_string(s.capacity_households) + " households)");
    }
  }

  Canonical c;
  c.village_of.resize(n_villages);
  std::iota(c.village_of.begin(), c.village_of.end(), std::size_t{0});
  std::sort(c.village_of.begin(), c.village_of.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(p.demands[a].village_id, a) < std::tie(p.demands[b].village_id, b);
  });
  c.site_of.resize(n_sites);
  std::iota(c.site_of.begin(), c.site_of.end(), std::size_t{0});
  std::sort(c.site_of.begin(), c.site_of.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(p.supplies[a].site_id, a) < std::tie(p.supplies[b].site_id, b);
  });

  double objective_bound = 0;
  c.households.resize(n_villages);
  c.cost_milli.assign(n_villages, std::vector<std::int64_t>(n_sites, not_allowed));
  c.allowed.resize(n_villages);
  for (std::size_t v = 0; v < n_villages; ++v) {
    const std::size_t iv = c.village_of[v];
    c.households[v] = p.demands[iv].households;
    double max_cost_milli = 0;
    for (std::size_t s = 0; s < n_sites; ++s) {
      const double cost = p.cost[iv][c.site_of[s]];
      if (!is_allowed(cost)) continue;
      if (cost < 0) {
        throw core::ScenarioError("allocation: the cost from village '" + p.demands[iv].village_id +
                                  "' to site '" + p.supplies[c.site_of[s]].site_id +
                                  "' is negative (" + std::to_string(cost) + ")");
      }
      const double scaled = cost * cost_scale_per_unit;
      if (scaled > max_scaled_objective) {
        throw core::ScenarioError("allocation: the cost from village '" + p.demands[iv].village_id +
                                  "' to site '" + p.supplies[c.site_of[s]].site_id +
                                  "' is too large (" + std::to_string(cost) + ")");
      }
      c.cost_milli[v][s] = std::llround(scaled);
      max_cost_milli = std::max(max_cost_milli, scaled);
      c.allowed[v].push_back(s);
    }
    std::sort(c.allowed[v].begin(), c.allowed[v].end(), [&](std::size_t a, std::size_t b) {
      return std::make_pair(c.cost_milli[v][a], a) < std::make_pair(c.cost_milli[v][b], b);
    });
    objective_bound += (max_cost_milli + 1.0) * static_cast<double>(c.households[v]);
  }
  c.capacity.resize(n_sites);
  for (std::size_t s = 0; s < n_sites; ++s) c.capacity[s] = p.supplies[c.site_of[s]].capacity_households;

  // The flow's "unallocated" penalty per household is about objective_bound, so
  // the flow objective can reach objective_bound x total households.
  double total_households = 0;
  for (std::int64_t h : c.households) total_households += static_cast<double>(h);
  if (objective_bound * (total_households + 1.0) > 4e18) {
    throw core::ScenarioError(
        "allocation: households x costs are too large to be optimised exactly in 64-bit integers");
  }
  return c;
}

// flow[v][s] in canonical indices -> Solution in input indices, sorted.
Solution make_solution(const Problem& p, const Canonical& c,
                       const std::vector<std::vector<std::int64_t>>& flow) {
  Solution out;
  for (std::size_t v = 0; v < flow.size(); ++v) {
    std::int64_t allocated = 0;
    for (std::size_t s = 0; s < flow[v].size(); ++s) {
      if (flow[v][s] <= 0) continue;
      const std::size_t iv = c.village_of[v];
      const std::size_t is = c.site_of[s];
      out.assignments.push_back(Assignment{iv, is, flow[v][s], p.cost[iv][is]});
      allocated += flow[v][s];
    }
    if (allocated < c.households[v]) {
      out.unallocated.push_back(Unallocated{c.village_of[v], c.households[v] - allocated,
                                            c.allowed[v].empty() ? reason_no_site : reason_capacity});
    }
  }
  std::sort(out.assignments.begin(), out.assignments.end(), [](const Assignment& a, const Assignment& b) {
    return std::tie(a.village, a.site) < std::tie(b.village, b.site);
  });
  std::sort(out.unallocated.begin(), out.unallocated.end(),
            [](const Unallocated& a, const Unallocated& b) { return a.village < b.village; });
  // Summed in output order, so the total is the same for any input order.
  for (const Assignment& a : out.assignments) {
    out.total_cost += static_cast<double>(a.households) * a.cost_per_household;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Minimum-cost flow (Boost.Graph successive shortest paths with nonnegative
// weights; graph layout as in Boost's documented example: every arc has a
// reverse arc with capacity 0 and negated weight).

using FlowTraits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<boost::edge_capacity_t, std::int64_t,
                    boost::property<boost::edge_residual_capacity_t, std::int64_t,
                                    boost::property<boost::edge_reverse_t, FlowTraits::edge_descriptor,
                                                    boost::property<boost::edge_weight_t, std::int64_t>>>>>;
using FlowEdge = FlowGraph::edge_descriptor;

FlowEdge add_arc(FlowGraph& g, std::size_t from, std::size_t to, std::int64_t capacity, std::int64_t weight) {
  const FlowEdge forward = boost::add_edge(from, to, g).first;
  const FlowEdge backward = boost::add_edge(to, from, g).first;
  boost::put(boost::edge_capacity, g, forward, capacity);
  boost::put(boost::edge_capacity, g, backward, 0);
  boost::put(boost::edge_weight, g, forward, weight);
  boost::put(boost::edge_weight, g, backward, -weight);
  boost::put(boost::edge_reverse, g, forward, backward);
  boost::put(boost::edge_reverse, g, backward, forward);
  return forward;
}

struct FlowResult {
  std::vector<std::vector<std::int64_t>> flow;  // [village][site], canonical
  std::int64_t allocated = 0;
  std::int64_t cost_milli = 0;  // of the allocated part only
};

// Without flow_limit: every household is routed, through a site or through the
// village's "unallocated" arc, whose cost exceeds the cost of allocating every
// household, so the optimum allocates as many households as possible first.
// With flow_limit: no unallocated arcs and a source arc of capacity flow_limit,
// i.e. the cheapest way of allocating exactly flow_limit households (when that
// many can be allocated).
FlowResult min_cost_flow(const Canonical& c, std::optional<std::int64_t> flow_limit) {
  const std::size_t n_villages = c.households.size();
  const std::size_t n_sites = c.capacity.size();
  const std::size_t source = n_villages + n_sites;
  const std::size_t sink = source + 1;
  const std::size_t limited_source = sink + 1;
  FlowGraph g(limited_source + 1);

  std::int64_t unallocated_penalty = 1;
  for (std::size_t v = 0; v < n_villages; ++v) {
    std::int64_t max_cost = 0;
    for (std::size_t s : c.allowed[v]) max_cost = std::max(max_cost, c.cost_milli[v][s]);
    unallocated_penalty += max_cost * c.households[v];
  }

  std::vector<std::vector<std::optional<FlowEdge>>> pair_arc(n_villages,
                                                             std::vector<std::optional<FlowEdge>>(n_sites));
  for (std::size_t v = 0; v < n_villages; ++v) {
    if (c.households[v] == 0) continue;
    add_arc(g, source, v, c.households[v], 0);
    for (std::size_t s : c.allowed[v]) {
      pair_arc[v][s] = add_arc(g, v, n_villages + s, c.households[v], c.cost_milli[v][s]);
    }
    if (!flow_limit) add_arc(g, v, sink, c.households[v], unallocated_penalty);
  }
  for (std::size_t s = 0; s < n_sites; ++s) {
    if (c.capacity[s] > 0) add_arc(g, n_villages + s, sink, c.capacity[s], 0);
  }
  std::size_t start = source;
  if (flow_limit) {
    add_arc(g, limited_source, source, *flow_limit, 0);
    start = limited_source;
  }

  boost::successive_shortest_path_nonnegative_weights(g, start, sink);

  FlowResult r;
  r.flow.assign(n_villages, std::vector<std::int64_t>(n_sites, 0));
  for (std::size_t v = 0; v < n_villages; ++v) {
    for (std::size_t s = 0; s < n_sites; ++s) {
      if (!pair_arc[v][s]) continue;
      const FlowEdge e = *pair_arc[v][s];
      const std::int64_t f = boost::get(boost::edge_capacity, g, e) - boost::get(boost::edge_residual_capacity, g, e);
      if (f < 0 || f > c.households[v]) {
        throw core::InternalError("allocation: the minimum-cost flow returned an invalid flow");
      }
      r.flow[v][s] = f;
      r.allocated += f;
      r.cost_milli += f * c.cost_milli[v][s];
    }
  }
  return r;
}

// ---------------------------------------------------------------------------
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
      plan.cost_milli += c.cost_milli[v][plan.site[v]] * c.households[v];
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
    for (std::size_t s : c.allowed[v]) {  // sorted by cost, then site
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
                               : (c.cost_milli[v][second[v]] - c.cost_milli[v][best[v]]) * c.households[v];
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
  auto unit = [&](std::size_t v, std::size_t s) { return c.cost_milli[v][s]; };
  auto allowed = [&](std::size_t v, std::size_t s) { return s != no_site && c.cost_milli[v][s] != not_allowed; };
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
      for (std::size_t s : c.allowed[v]) {
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
            for (std::size_t b : c.allowed[v]) {
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
        for (std::size_t s = 0; s < c.capacity.size(); ++s) {
          if (c.households[v] > 0 && split.flow[v][s] == c.households[v]) {
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
    const std::int64_t cheapest = c.cost_milli[v][c.allowed[v].front()];
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
      cost -= c.cost_milli[v][current[v]] * c.households[v];
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
          for (std::size_t s : c.allowed[v]) {  // sorted by cost
            ++work;
            if (remaining[s] < c.households[v]) continue;
            fit_households += c.households[v];
            fit_cost += c.cost_milli[v][s] * c.households[v];
            fit_min_unit_cost = std::min(fit_min_unit_cost, c.cost_milli[v][s]);
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
          const std::size_t s = c.allowed[v][k];
          if (remaining[s] < c.households[v]) continue;
          remaining[s] -= c.households[v];
          remaining_total -= c.households[v];
          cost += c.cost_milli[v][s] * c.households[v];
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

Solution solve_split_canonical(const Problem& p, const Canonical& c) {
  const FlowResult r = min_cost_flow(c, std::nullopt);
  Solution out = make_solution(p, c, r.flow);
  out.exact = true;
  out.gap = 0.0;
  return out;
}

}  // namespace

Solution solve_split(const Problem& p) {
  const Canonical c = canonicalise(p);
  return solve_split_canonical(p, c);
}

Solution solve_whole(const Problem& p, std::size_t max_exact_pairs) {
  const Canonical c = canonicalise(p);
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

  std::vector<std::vector<std::int64_t>> flow(c.households.size(), std::vector<std::int64_t>(c.capacity.size(), 0));
  std::int64_t allocated = 0;
  for (std::size_t v = 0; v < plan.site.size(); ++v) {
    if (plan.site[v] != no_site) {
      flow[v][plan.site[v]] = c.households[v];
      allocated += c.households[v];
    }
  }
  Solution out = make_solution(p, c, flow);
  out.exact = exact;

  // Lower bound: the cheapest split plan moving the same number of households.
  // Whole-village plans are a subset of split plans, so no whole plan allocating
  // that many households costs less. (The split optimum of solve_split may
  // allocate more households than any whole plan; its cost is then not a bound.)
  const FlowResult bound = allocated == split.allocated ? split : min_cost_flow(c, allocated);
  if (bound.allocated != allocated) {
    throw core::InternalError("allocation: the lower-bound flow could not move the allocated households");
  }
  const Solution bound_solution = make_solution(p, c, bound.flow);
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
