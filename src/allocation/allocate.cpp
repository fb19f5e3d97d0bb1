#include "relocplan/allocation/allocate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "relocplan/raster/distance.hpp"

namespace relocplan::allocation {

double urban_share_of(const Solution& solution, const std::vector<Place>& sites) {
  double all = 0, urban = 0;
  for (const auto& a : solution.assignments) {
    all += static_cast<double>(a.households);
    if (sites[a.site].urban) urban += static_cast<double>(a.households);
  }
  return all > 0 ? urban / all : 0.0;
}

AllocationResult allocate(const raster::Grid& grid, const std::vector<float>& friction, std::vector<Place> villages,
                          std::vector<Place> sites, const config::AllocationSpec& spec, core::Progress& progress) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  AllocationResult r;
  r.cost_unit = spec.cost == "distance" ? "m" : "min";
  const bool travel = spec.cost != "distance";
  const double limit = travel ? spec.max_travel_min : spec.max_distance_m;
  for (const auto& v : villages) r.problem.demands.push_back({v.id, v.households, v.county});
  for (const auto& s : sites) r.problem.supplies.push_back({s.id, s.households, s.county});
  r.problem.cost.assign(villages.size(), std::vector<double>(sites.size(), kInf));
  // The cell of each site's point: travel time is read there.
  std::vector<long long> site_cell(sites.size(), -1);
  for (std::size_t j = 0; j < sites.size(); ++j)
    if (auto rc = grid.cell_of(sites[j].x, sites[j].y))
      site_cell[j] = static_cast<long long>(rc->first * grid.cols() + rc->second);
  progress.begin("allocation costs");
  // Travel time over the cost surface is symmetric (a move costs the same
  // both ways), so Dijkstra runs from whichever side has fewer places: from
  // each village, or from each site. Each run stops at the maximum travel time.
  auto cell_index = [&](double x, double y) -> long long {
    auto rc = grid.cell_of(x, y);
    return rc ? static_cast<long long>(rc->first * grid.cols() + rc->second) : -1;
  };
  std::vector<long long> village_cell(villages.size());
  for (std::size_t i = 0; i < villages.size(); ++i) village_cell[i] = cell_index(villages[i].x, villages[i].y);
  auto from = [&](long long cell) {
    std::vector<std::uint8_t> source(grid.cells(), 0);
    if (cell >= 0) source[static_cast<std::size_t>(cell)] = 1;
    return raster::cost_distance(friction, grid.rows(), grid.cols(), grid.cell_size(), source, limit, &progress);
  };
  auto set_cost = [&](std::size_t i, std::size_t j, double c) {
    const bool crossing = villages[i].county != sites[j].county;
    if (crossing && spec.same_county) return;
    if (!(c <= limit)) return;
    r.problem.cost[i][j] = c + (crossing ? spec.cross_county_penalty : 0.0);
  };
  if (!travel) {
    for (std::size_t i = 0; i < villages.size(); ++i)
      for (std::size_t j = 0; j < sites.size(); ++j)
        set_cost(i, j, std::hypot(villages[i].x - sites[j].x, villages[i].y - sites[j].y));
  } else if (sites.size() < villages.size()) {
    for (std::size_t j = 0; j < sites.size(); ++j) {
      const auto minutes = from(site_cell[j]);
      for (std::size_t i = 0; i < villages.size(); ++i)
        if (village_cell[i] >= 0) set_cost(i, j, minutes[static_cast<std::size_t>(village_cell[i])]);
      progress.update(static_cast<double>(j + 1) / static_cast<double>(sites.size()));
    }
  } else {
    for (std::size_t i = 0; i < villages.size(); ++i) {
      const auto minutes = from(village_cell[i]);
      for (std::size_t j = 0; j < sites.size(); ++j)
        if (site_cell[j] >= 0) set_cost(i, j, minutes[static_cast<std::size_t>(site_cell[j])]);
      progress.update(static_cast<double>(i + 1) / static_cast<double>(villages.size()));
    }
  }
  progress.end();
  progress.begin("allocation");
  auto solve = [&](const Problem& p) { return spec.keep_villages_whole ? solve_whole(p) : solve_split(p); };
  r.solution = solve(r.problem);
  r.urban_share = urban_share_of(r.solution, sites);
  if (spec.urban_share && r.urban_share < *spec.urban_share) {
    // The target as a Lagrangian incentive: a cost added to every non-urban
    // pair, the smallest (by bisection) that reaches the target share. The
    // reported costs stay the true ones. Households whose costs tie switch
    // together, so the share reached can exceed the target; the plan is then
    // the cheapest at that incentive, not necessarily the cheapest plan that
    // meets the target exactly (that needs a side constraint on the flow).
    double max_cost = 0;
    for (const auto& row : r.problem.cost)
      for (double c : row)
        if (std::isfinite(c)) max_cost = std::max(max_cost, c);
    auto with_incentive = [&](double lambda) {
      Problem p = r.problem;
      for (auto& row : p.cost)
        for (std::size_t j = 0; j < row.size(); ++j)
          if (std::isfinite(row[j]) && !sites[j].urban) row[j] += lambda;
      return solve(p);
    };
    double lo = 0, hi = 2 * max_cost + 1;
    Solution best = with_incentive(hi);
    if (urban_share_of(best, sites) + 1e-12 < *spec.urban_share) {
      r.urban_target_met = false;  // not reachable: the most urban allocation is kept
    } else {
      for (int it = 0; it < 30; ++it) {
        const double mid = 0.5 * (lo + hi);
        Solution s = with_incentive(mid);
        if (urban_share_of(s, sites) + 1e-12 >= *spec.urban_share) {
          hi = mid;
          best = std::move(s);
        } else {
          lo = mid;
        }
      }
    }
    r.urban_incentive = hi;
    // True costs for the chosen plan.
    best.total_cost = 0;
    for (auto& a : best.assignments) {
      a.cost_per_household = r.problem.cost[a.village][a.site];
      best.total_cost += static_cast<double>(a.households) * a.cost_per_household;
    }
    best.lower_bound.reset();
    best.gap.reset();
    r.solution = std::move(best);
    r.urban_share = urban_share_of(r.solution, sites);
  }
  progress.end();
  r.villages = std::move(villages);
  r.sites = std::move(sites);
  return r;
}

}  // namespace relocplan::allocation
