// Split mode of the allocation (solve_split) and what both modes share: the
// problem put in canonical order with costs scaled to integers, the
// minimum-cost flow over the allowed pairs, and the conversion of flows back
// to a Solution in input indices. The whole-village mode is in
// solver_whole.cpp.

#include "relocplan/allocation/solver.hpp"

#include <algorithm>
#include <cmath>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "relocplan/core/error.hpp"
#include "solver_internal.hpp"

namespace relocplan::allocation {
namespace {

// Above this, scaled costs times households could overflow 64-bit sums.
constexpr double max_scaled_objective = 1e17;

bool is_allowed(double cost) { return std::isfinite(cost); }

}  // namespace

namespace detail {

Canonical canonicalise(const std::vector<Demand>& demands, const std::vector<Supply>& supplies,
                       const std::vector<Pair>& pairs) {
  const std::size_t n_villages = demands.size();
  const std::size_t n_sites = supplies.size();
  for (const Demand& d : demands) {
    if (d.households < 0) {
      throw core::ScenarioError("allocation: village '" + d.village_id +
                                "' has a negative number of households (" +
                                std::to_string(d.households) + ")");
    }
  }
  for (const Supply& s : supplies) {
    if (s.capacity_households < 0) {
      throw core::ScenarioError("allocation: site '" + s.site_id + "' has a negative capacity (" +
                                std::to_string(s.capacity_households) + " households)");
    }
  }

  Canonical c;
  c.village_of.resize(n_villages);
  std::iota(c.village_of.begin(), c.village_of.end(), std::size_t{0});
  std::sort(c.village_of.begin(), c.village_of.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(demands[a].village_id, a) < std::tie(demands[b].village_id, b);
  });
  c.site_of.resize(n_sites);
  std::iota(c.site_of.begin(), c.site_of.end(), std::size_t{0});
  std::sort(c.site_of.begin(), c.site_of.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(supplies[a].site_id, a) < std::tie(supplies[b].site_id, b);
  });
  std::vector<std::size_t> canonical_village(n_villages), canonical_site(n_sites);
  for (std::size_t v = 0; v < n_villages; ++v) canonical_village[c.village_of[v]] = v;
  for (std::size_t s = 0; s < n_sites; ++s) canonical_site[c.site_of[s]] = s;

  c.households.resize(n_villages);
  for (std::size_t v = 0; v < n_villages; ++v) c.households[v] = demands[c.village_of[v]].households;
  c.capacity.resize(n_sites);
  for (std::size_t s = 0; s < n_sites; ++s) c.capacity[s] = supplies[c.site_of[s]].capacity_households;

  c.by_site.resize(n_villages);
  for (const Pair& pr : pairs) {
    if (pr.village >= n_villages || pr.site >= n_sites) {
      throw core::InternalError("allocation: a pair names village " + std::to_string(pr.village) + " and site " +
                                std::to_string(pr.site) + " of " + std::to_string(n_villages) + " and " +
                                std::to_string(n_sites));
    }
    if (!is_allowed(pr.cost)) continue;
    if (pr.cost < 0) {
      throw core::ScenarioError("allocation: the cost from village '" + demands[pr.village].village_id +
                                "' to site '" + supplies[pr.site].site_id + "' is negative (" +
                                std::to_string(pr.cost) + ")");
    }
    const double scaled = pr.cost * cost_scale_per_unit;
    if (scaled > max_scaled_objective) {
      throw core::ScenarioError("allocation: the cost from village '" + demands[pr.village].village_id +
                                "' to site '" + supplies[pr.site].site_id + "' is too large (" +
                                std::to_string(pr.cost) + ")");
    }
    c.by_site[canonical_village[pr.village]].push_back({canonical_site[pr.site], std::llround(scaled), pr.cost});
  }
  double objective_bound = 0;
  c.allowed.resize(n_villages);
  for (std::size_t v = 0; v < n_villages; ++v) {
    auto& row = c.by_site[v];
    // By site, the cheapest first where a pair is given twice; then one per site.
    std::sort(row.begin(), row.end(),
              [](const Option& a, const Option& b) { return std::tie(a.site, a.cost) < std::tie(b.site, b.cost); });
    row.erase(std::unique(row.begin(), row.end(), [](const Option& a, const Option& b) { return a.site == b.site; }),
              row.end());
    c.allowed[v] = row;
    std::sort(c.allowed[v].begin(), c.allowed[v].end(), [](const Option& a, const Option& b) {
      return std::tie(a.cost_milli, a.site) < std::tie(b.cost_milli, b.site);
    });
    const double max_cost_milli = c.allowed[v].empty() ? 0.0 : static_cast<double>(c.allowed[v].back().cost_milli);
    objective_bound += (max_cost_milli + 1.0) * static_cast<double>(c.households[v]);
  }

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

// The dense matrix's allowed entries as pairs (after checking its shape).
std::vector<Pair> pairs_of(const Problem& p) {
  const std::size_t n_villages = p.demands.size();
  const std::size_t n_sites = p.supplies.size();
  if (p.cost.size() != n_villages) {
    throw core::ScenarioError("allocation: the cost matrix has " + std::to_string(p.cost.size()) +
                              " rows but there are " + std::to_string(n_villages) + " villages");
  }
  std::vector<Pair> pairs;
  for (std::size_t v = 0; v < n_villages; ++v) {
    if (p.cost[v].size() != n_sites) {
      throw core::ScenarioError("allocation: the cost row of village '" + p.demands[v].village_id + "' has " +
                                std::to_string(p.cost[v].size()) + " entries but there are " +
                                std::to_string(n_sites) + " sites");
    }
    for (std::size_t s = 0; s < n_sites; ++s)
      if (is_allowed(p.cost[v][s])) pairs.push_back({v, s, p.cost[v][s]});
  }
  return pairs;
}

// flow[v][k] in canonical indices -> Solution in input indices, sorted.
Solution make_solution(const Canonical& c, const Flows& flow) {
  Solution out;
  for (std::size_t v = 0; v < flow.size(); ++v) {
    std::int64_t allocated = 0;
    for (std::size_t k = 0; k < flow[v].size(); ++k) {
      if (flow[v][k] <= 0) continue;
      const Option& o = c.allowed[v][k];
      out.assignments.push_back(Assignment{c.village_of[v], c.site_of[o.site], flow[v][k], o.cost});
      allocated += flow[v][k];
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
// Minimum-cost flow: LEMON's primal network simplex (Dezső, Jüttner & Kovács
// 2011, "LEMON - an open source C++ graph template library"; Kovács 2015,
// "Minimum-cost flow algorithms: an experimental evaluation", where it is
// among the fastest on transportation networks). It works on the sparse
// graph of allowed pairs only, so its cost grows with the pairs within range.

// Without flow_limit: every household is routed, through a site or through the
// village's "unallocated" arc, whose cost exceeds the cost of allocating every
// household, so the optimum allocates as many households as possible first.
// With flow_limit: no unallocated arcs and a source of flow_limit households,
// i.e. the cheapest way of allocating exactly flow_limit households (when that
// many can be allocated).
FlowResult min_cost_flow(const Canonical& c, std::optional<std::int64_t> flow_limit) {
  using Graph = lemon::SmartDigraph;
  const std::size_t n_villages = c.households.size();
  const std::size_t n_sites = c.capacity.size();
  Graph g;
  std::size_t arcs = n_villages + n_sites;
  for (const auto& row : c.allowed) arcs += row.size();
  g.reserveNode(static_cast<int>(n_villages + n_sites + 2));
  g.reserveArc(static_cast<int>(arcs));
  std::vector<Graph::Node> village(n_villages), site(n_sites);
  for (auto& n : village) n = g.addNode();
  for (auto& n : site) n = g.addNode();
  const Graph::Node sink = g.addNode();
  const Graph::Node source = flow_limit ? g.addNode() : sink;
  Graph::ArcMap<std::int64_t> capacity(g), cost(g);
  Graph::NodeMap<std::int64_t> supply(g, 0);
  auto arc = [&](Graph::Node from, Graph::Node to, std::int64_t cap, std::int64_t weight) {
    const Graph::Arc a = g.addArc(from, to);
    capacity[a] = cap;
    cost[a] = weight;
    return a;
  };

  std::int64_t unallocated_penalty = 1, total = 0;
  for (std::size_t v = 0; v < n_villages; ++v) {
    const std::int64_t max_cost = c.allowed[v].empty() ? 0 : c.allowed[v].back().cost_milli;
    unallocated_penalty += max_cost * c.households[v];
    total += c.households[v];
  }
  std::vector<std::vector<Graph::Arc>> pair_arc(n_villages);
  for (std::size_t v = 0; v < n_villages; ++v) {
    if (c.households[v] == 0) continue;
    if (flow_limit) arc(source, village[v], c.households[v], 0);
    else supply[village[v]] = c.households[v];
    for (const Option& o : c.allowed[v]) pair_arc[v].push_back(arc(village[v], site[o.site], c.households[v], o.cost_milli));
    if (!flow_limit) arc(village[v], sink, c.households[v], unallocated_penalty);
  }
  for (std::size_t s = 0; s < n_sites; ++s) {
    if (c.capacity[s] > 0) arc(site[s], sink, c.capacity[s], 0);
  }
  if (flow_limit) {
    supply[source] = *flow_limit;
    supply[sink] = -*flow_limit;
  } else {
    supply[sink] = -total;
  }

  lemon::NetworkSimplex<Graph, std::int64_t, std::int64_t> simplex(g);
  simplex.upperMap(capacity).costMap(cost).supplyMap(supply);
  const auto status = simplex.run();
  FlowResult r;
  r.flow.resize(n_villages);
  if (status != lemon::NetworkSimplex<Graph, std::int64_t, std::int64_t>::OPTIMAL) {
    if (!flow_limit) throw core::InternalError("allocation: the minimum-cost flow found no solution");
    return r;  // that many households cannot be allocated: r.allocated stays 0
  }
  for (std::size_t v = 0; v < n_villages; ++v) {
    r.flow[v].assign(c.allowed[v].size(), 0);
    for (std::size_t k = 0; k < pair_arc[v].size(); ++k) {
      const std::int64_t f = simplex.flow(pair_arc[v][k]);
      if (f < 0 || f > c.households[v]) {
        throw core::InternalError("allocation: the minimum-cost flow returned an invalid flow");
      }
      r.flow[v][k] = f;
      r.allocated += f;
      r.cost_milli += f * c.allowed[v][k].cost_milli;
    }
  }
  return r;
}

}  // namespace detail

namespace {

using detail::Canonical;
using detail::FlowResult;
using detail::canonicalise;
using detail::make_solution;
using detail::min_cost_flow;
using detail::pairs_of;

Solution solve_split_canonical(const Canonical& c) {
  const FlowResult r = min_cost_flow(c, std::nullopt);
  Solution out = make_solution(c, r.flow);
  out.exact = true;
  out.gap = 0.0;
  return out;
}

}  // namespace

Solution solve_split(const std::vector<Demand>& demands, const std::vector<Supply>& supplies,
                     const std::vector<Pair>& pairs) {
  return solve_split_canonical(canonicalise(demands, supplies, pairs));
}

Solution solve_split(const Problem& p) { return solve_split(p.demands, p.supplies, pairs_of(p)); }

}  // namespace relocplan::allocation
