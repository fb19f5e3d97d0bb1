#include "relocplan/allocation/allocate.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <numeric>
#include <thread>
#include <tuple>

#include "relocplan/core/error.hpp"
#include "relocplan/core/union_find.hpp"
#include "relocplan/raster/distance.hpp"
#include "relocplan/raster/local_cost_distance.hpp"

namespace relocplan::allocation {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

long long cell_index(const raster::Grid& grid, double x, double y) {
  auto rc = grid.cell_of(x, y);
  return rc ? static_cast<long long>(rc->first * grid.cols() + rc->second) : -1;
}

bool pair_order(const Pair& a, const Pair& b) { return std::tie(a.village, a.site) < std::tie(b.village, b.site); }

// Straight-line pairs within max_distance_m: sites bucketed in squares of
// that size, so each village looks at the 3 x 3 squares around it only.
std::vector<Pair> distance_pairs(const std::vector<Place>& villages, const std::vector<Place>& sites,
                                 double max_distance_m) {
  std::vector<Pair> pairs;
  if (!(max_distance_m >= 0)) return pairs;
  const double side = std::max(max_distance_m, 1.0);
  auto square = [&](double v) { return static_cast<long long>(std::floor(v / side)); };
  std::map<std::pair<long long, long long>, std::vector<std::size_t>> buckets;
  for (std::size_t j = 0; j < sites.size(); ++j) buckets[{square(sites[j].x), square(sites[j].y)}].push_back(j);
  for (std::size_t i = 0; i < villages.size(); ++i) {
    const long long bx = square(villages[i].x), by = square(villages[i].y);
    for (long long dx = -1; dx <= 1; ++dx)
      for (long long dy = -1; dy <= 1; ++dy) {
        auto it = buckets.find({bx + dx, by + dy});
        if (it == buckets.end()) continue;
        for (std::size_t j : it->second) {
          const double d = std::hypot(villages[i].x - sites[j].x, villages[i].y - sites[j].y);
          if (d <= max_distance_m) pairs.push_back({i, j, d});
        }
      }
  }
  std::sort(pairs.begin(), pairs.end(), pair_order);
  return pairs;
}

// Groups over villages (0 .. V-1) and sites (V .. V+S-1).
using Groups = core::UnionFind;

}  // namespace

double urban_share_of(const Solution& solution, const std::vector<Place>& sites) {
  double all = 0, urban = 0;
  for (const auto& a : solution.assignments) {
    all += static_cast<double>(a.households);
    if (sites[a.site].urban) urban += static_cast<double>(a.households);
  }
  return all > 0 ? urban / all : 0.0;
}

Solution solve_pairs(const std::vector<Demand>& demands, const std::vector<Supply>& supplies,
                     const std::vector<Pair>& pairs, bool keep_villages_whole) {
  const std::size_t nv = demands.size(), ns = supplies.size();
  Groups groups(nv + ns);
  for (const Pair& p : pairs) {
    if (p.village >= nv || p.site >= ns)
      throw core::InternalError("allocation: a pair names village " + std::to_string(p.village) + " and site " +
                                std::to_string(p.site) + " of " + std::to_string(nv) + " and " + std::to_string(ns));
    groups.unite(p.village, nv + p.site);
  }
  // Members of each group, in index order; groups in order of their first village.
  std::map<std::size_t, std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> members;
  for (std::size_t v = 0; v < nv; ++v) members[groups.find(v)].first.push_back(v);
  for (std::size_t s = 0; s < ns; ++s) {
    auto it = members.find(groups.find(nv + s));
    if (it != members.end()) it->second.second.push_back(s);
  }
  std::vector<std::size_t> local_of(nv + ns, 0);
  for (const auto& [root, m] : members) {
    for (std::size_t k = 0; k < m.first.size(); ++k) local_of[m.first[k]] = k;
    for (std::size_t k = 0; k < m.second.size(); ++k) local_of[nv + m.second[k]] = k;
  }
  std::map<std::size_t, std::vector<const Pair*>> pairs_of;
  for (const Pair& p : pairs) pairs_of[groups.find(p.village)].push_back(&p);

  Solution out;
  out.exact = true;
  double lower_bound = 0;
  bool have_bound = keep_villages_whole;
  for (const auto& [root, m] : members) {
    const auto& [vs, ss] = m;
    if (ss.empty()) {
      // No site within range of any village of the group (a lone village).
      for (std::size_t v : vs)
        if (demands[v].households > 0) out.unallocated.push_back({v, demands[v].households, reason_no_site});
      continue;
    }
    std::vector<Demand> sub_demands;
    std::vector<Supply> sub_supplies;
    for (std::size_t v : vs) sub_demands.push_back(demands[v]);
    for (std::size_t s : ss) sub_supplies.push_back(supplies[s]);
    std::vector<Pair> sub_pairs;
    for (const Pair* p : pairs_of[root]) sub_pairs.push_back({local_of[p->village], local_of[nv + p->site], p->cost});
    const Solution part = keep_villages_whole ? solve_whole(sub_demands, sub_supplies, sub_pairs)
                                              : solve_split(sub_demands, sub_supplies, sub_pairs);
    for (const auto& a : part.assignments)
      out.assignments.push_back({vs[a.village], ss[a.site], a.households, a.cost_per_household});
    for (const auto& u : part.unallocated) out.unallocated.push_back({vs[u.village], u.households, u.reason});
    out.exact = out.exact && part.exact;
    if (part.lower_bound) lower_bound += *part.lower_bound;
    else have_bound = false;
  }
  std::sort(out.assignments.begin(), out.assignments.end(), [](const Assignment& a, const Assignment& b) {
    return std::tie(a.village, a.site) < std::tie(b.village, b.site);
  });
  std::sort(out.unallocated.begin(), out.unallocated.end(),
            [](const Unallocated& a, const Unallocated& b) { return a.village < b.village; });
  for (const Assignment& a : out.assignments) out.total_cost += static_cast<double>(a.households) * a.cost_per_household;
  if (keep_villages_whole && have_bound) {
    out.lower_bound = lower_bound;
    if (out.exact) out.gap = 0.0;
    else if (lower_bound > 0) out.gap = std::max(0.0, (out.total_cost - lower_bound) / lower_bound);
    else if (out.total_cost == 0) out.gap = 0.0;
  } else if (!keep_villages_whole) {
    out.gap = 0.0;
  }
  return out;
}

std::vector<Pair> travel_time_pairs(const raster::Grid& grid, const std::vector<float>& friction,
                                    const std::vector<Place>& villages, const std::vector<Place>& sites,
                                    double max_travel_min, core::Progress& progress, const Workers& workers,
                                    SearchStats* stats) {
  if (friction.size() != grid.cells())
    throw core::InternalError("allocation: the travel cost surface has " + std::to_string(friction.size()) +
                              " cells for a grid of " + std::to_string(grid.cells()));
  const raster::ArrayCostSurface surface(friction.data(), grid.rows(), grid.cols());
  return travel_time_pairs(grid, surface, villages, sites, max_travel_min, progress, workers, stats);
}

std::size_t search_window_bytes(const raster::Grid& grid, double max_travel_min, double min_cost_per_m) {
  using raster::LocalCostDistance;
  return LocalCostDistance::bytes_for_radius(
      LocalCostDistance::radius_for(max_travel_min, min_cost_per_m, grid.cell_size(), grid.rows(), grid.cols()),
      grid.rows(), grid.cols());
}

std::size_t search_least_bytes(const raster::Grid& grid, double max_travel_min, double min_cost_per_m) {
  using raster::LocalCostDistance;
  return LocalCostDistance::least_limited_bytes(
      LocalCostDistance::radius_for(max_travel_min, min_cost_per_m, grid.cell_size(), grid.rows(), grid.cols()),
      grid.rows(), grid.cols());
}

SearchShare share_searches(unsigned threads, std::size_t memory_bytes, bool can_spill, std::size_t sources,
                           std::size_t window_bytes, std::size_t least_bytes) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::size_t n = std::min<std::size_t>(threads == 0 ? cores : threads, std::max<std::size_t>(1, sources));
  SearchShare share;
  if (memory_bytes == 0 || window_bytes == 0) {
    share.threads = static_cast<unsigned>(n);
    return share;
  }
  const std::size_t each = can_spill ? std::min(window_bytes, least_bytes) : window_bytes;
  n = std::min(n, std::max<std::size_t>(1, memory_bytes / std::max<std::size_t>(1, each)));
  share.threads = static_cast<unsigned>(n);
  if (can_spill && memory_bytes / n < window_bytes) share.limit_bytes = memory_bytes / n;
  return share;
}

std::vector<Pair> travel_time_pairs(const raster::Grid& grid, const raster::CostSurface& friction,
                                    const std::vector<Place>& villages, const std::vector<Place>& sites,
                                    double max_travel_min, core::Progress& progress, const Workers& workers,
                                    SearchStats* stats) {
  if (friction.rows() != grid.rows() || friction.cols() != grid.cols())
    throw core::InternalError("allocation: the travel cost surface has " + std::to_string(friction.rows()) + " x " +
                              std::to_string(friction.cols()) + " cells for a grid of " + std::to_string(grid.rows()) +
                              " x " + std::to_string(grid.cols()));
  if (friction.most_negative() < 0.0)
    throw core::InternalError("allocation: negative travel cost " + std::to_string(friction.most_negative()) +
                              " per metre in the travel cost surface");
  const double min_friction = friction.min_finite();
  // Searches run from whichever side has fewer places (travel cost is
  // symmetric: a move costs the same both ways).
  const bool from_sites = sites.size() < villages.size();
  const auto& sources = from_sites ? sites : villages;
  const auto& targets = from_sites ? villages : sites;
  std::vector<std::pair<long long, std::size_t>> target_cells;  // (cell, target), sorted
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const long long c = cell_index(grid, targets[t].x, targets[t].y);
    if (c >= 0) target_cells.emplace_back(c, t);
  }
  std::sort(target_cells.begin(), target_cells.end());
  const std::size_t cols = grid.cols();

  std::vector<std::vector<Pair>> found(sources.size());
  std::vector<std::uint64_t> settled(sources.size(), 0), spilled(sources.size(), 0);
  std::atomic<std::size_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  const core::CancelFlag& cancel = progress.cancel();
  auto work = [&](raster::LocalCostDistance& search, std::size_t k) {
    const long long cell = cell_index(grid, sources[k].x, sources[k].y);
    if (cell < 0) return;
    const std::size_t row = static_cast<std::size_t>(cell) / cols, col = static_cast<std::size_t>(cell) % cols;
    if (!search.run(row, col, &cancel)) return;
    settled[k] = search.settled();
    spilled[k] = search.tiles_spilled();
    // The targets in each tile the search reached (a cell outside them is
    // not reached), the tile in memory while it is read.
    search.visit_reached([&](const raster::LocalCostDistance::ReachedTile& tile) {
      for (std::size_t r = tile.row0; r < tile.row1; ++r) {
        const long long lo = static_cast<long long>(r * cols + tile.col0);
        const long long hi = static_cast<long long>(r * cols + tile.col1);
        auto it = std::lower_bound(target_cells.begin(), target_cells.end(), std::make_pair(lo, std::size_t{0}));
        for (; it != target_cells.end() && it->first < hi; ++it) {
          const float c = tile.cost(r, static_cast<std::size_t>(it->first) % cols);
          if (!(c <= max_travel_min)) continue;
          found[k].push_back(from_sites ? Pair{it->second, k, c} : Pair{k, it->second, c});
        }
      }
    });
  };
  // One workspace per thread, as many as the memory allows, each held to
  // its share of it.
  const std::size_t window_bytes = search_window_bytes(grid, max_travel_min, min_friction);
  const std::size_t least_bytes = search_least_bytes(grid, max_travel_min, min_friction);
  const SearchShare share = share_searches(workers.threads, workers.memory_bytes, !workers.spill_dir.empty(),
                                           sources.size(), window_bytes, least_bytes);
  auto make_search = [&] {
    raster::LocalCostDistance search(friction, grid.cell_size(), max_travel_min, min_friction);
    search.limit_memory({.max_bytes = share.limit_bytes, .spill_dir = workers.spill_dir});
    return search;
  };
  const unsigned n_threads = share.threads;
  std::vector<std::exception_ptr> failures(n_threads);
  {
    std::vector<std::jthread> helpers;
    auto loop = [&](unsigned t, bool report) {
      try {
        auto search = make_search();
        for (std::size_t k; !stop.load() && (k = next.fetch_add(1)) < sources.size();) {
          work(search, k);
          const std::size_t finished = done.fetch_add(1) + 1;
          if (report) progress.update(static_cast<double>(finished) / static_cast<double>(sources.size()));
        }
        if (report) progress.update(static_cast<double>(done.load()) / static_cast<double>(std::max<std::size_t>(1, sources.size())));
      } catch (...) {
        failures[t] = std::current_exception();
        stop.store(true);
      }
    };
    for (unsigned t = 1; t < n_threads; ++t) helpers.emplace_back(loop, t, false);
    loop(0, true);  // this thread reports progress (and sees Ctrl-C) between its own searches
  }  // the helpers are joined here
  for (auto& f : failures)
    if (f) std::rethrow_exception(f);
  // A search stopped by Ctrl-C leaves its results incomplete: report the cancellation.
  progress.update(1.0);

  std::vector<Pair> pairs;
  for (std::size_t k = 0; k < found.size(); ++k) {
    pairs.insert(pairs.end(), found[k].begin(), found[k].end());
    if (stats) {
      stats->cells_searched += settled[k];
      stats->tiles_spilled += spilled[k];
    }
  }
  if (stats) {
    stats->share = share;
    stats->window_bytes = window_bytes;
    stats->least_bytes = least_bytes;
  }
  std::sort(pairs.begin(), pairs.end(), pair_order);
  return pairs;
}

AllocationResult allocate(const raster::Grid& grid, const std::vector<float>& friction, std::vector<Place> villages,
                          std::vector<Place> sites, const config::AllocationSpec& spec, core::Progress& progress,
                          const Workers& workers) {
  if (friction.empty()) return allocate(grid, nullptr, std::move(villages), std::move(sites), spec, progress, workers);
  if (friction.size() != grid.cells())
    throw core::InternalError("allocation: the travel cost surface has " + std::to_string(friction.size()) +
                              " cells for a grid of " + std::to_string(grid.cells()));
  const raster::ArrayCostSurface surface(friction.data(), grid.rows(), grid.cols());
  return allocate(grid, &surface, std::move(villages), std::move(sites), spec, progress, workers);
}

AllocationResult allocate(const raster::Grid& grid, const raster::CostSurface* friction, std::vector<Place> villages,
                          std::vector<Place> sites, const config::AllocationSpec& spec, core::Progress& progress,
                          const Workers& workers) {
  AllocationResult r;
  r.cost_unit = spec.cost == "distance" ? "m" : "min";
  const bool travel = spec.cost != "distance";
  std::vector<Demand> demands;
  std::vector<Supply> supplies;
  for (const auto& v : villages) demands.push_back({v.id, v.households, v.county});
  for (const auto& s : sites) supplies.push_back({s.id, s.households, s.county});

  const auto t0 = std::chrono::steady_clock::now();
  progress.begin("allocation costs");
  if (travel && !friction) throw core::InternalError("allocation: travel time costs need the travel cost surface");
  std::vector<Pair> reach = travel ? travel_time_pairs(grid, *friction, villages, sites, spec.max_travel_min, progress,
                                                       workers, &r.searches)
                                   : distance_pairs(villages, sites, spec.max_distance_m);
  progress.end();
  const auto t1 = std::chrono::steady_clock::now();
  r.cost_seconds = std::chrono::duration<double>(t1 - t0).count();
  // The county rule: pairs across counties are dropped, or pay the penalty.
  for (const Pair& p : reach) {
    const bool crossing = villages[p.village].county != sites[p.site].county;
    if (crossing && spec.same_county) continue;
    r.pairs.push_back({p.village, p.site, p.cost + (crossing ? spec.cross_county_penalty : 0.0)});
  }
  std::vector<Pair>().swap(reach);
  {
    // Group sizes, for run_info.
    Groups g(villages.size() + sites.size());
    for (const Pair& p : r.pairs) g.unite(p.village, villages.size() + p.site);
    std::map<std::size_t, std::pair<std::size_t, std::size_t>> size;
    for (const Pair& p : r.pairs) (void)size[g.find(p.village)];
    for (std::size_t v = 0; v < villages.size(); ++v) {
      auto it = size.find(g.find(v));
      if (it != size.end()) ++it->second.first;
    }
    for (std::size_t s = 0; s < sites.size(); ++s) {
      auto it = size.find(g.find(villages.size() + s));
      if (it != size.end()) ++it->second.second;
    }
    r.components = size.size();
    for (const auto& [root, vs] : size)
      if (vs.first * vs.second > r.largest_component_villages * r.largest_component_sites) {
        r.largest_component_villages = vs.first;
        r.largest_component_sites = vs.second;
      }
  }

  progress.begin("allocation");
  auto solve = [&](const std::vector<Pair>& pairs) {
    return solve_pairs(demands, supplies, pairs, spec.keep_villages_whole);
  };
  r.solution = solve(r.pairs);
  r.urban_share = urban_share_of(r.solution, sites);
  if (spec.urban_share && r.urban_share < *spec.urban_share) {
    // The target as a Lagrangian incentive: a cost added to every non-urban
    // pair, the smallest (by bisection) that reaches the target share. The
    // reported costs stay the true ones. Households whose costs tie switch
    // together, so the share reached can exceed the target; the plan is then
    // the cheapest at that incentive, not necessarily the cheapest plan that
    // meets the target exactly (that needs a side constraint on the flow).
    double max_cost = 0;
    for (const Pair& p : r.pairs) max_cost = std::max(max_cost, p.cost);
    auto with_incentive = [&](double lambda) {
      std::vector<Pair> q = r.pairs;
      for (Pair& p : q)
        if (!sites[p.site].urban) p.cost += lambda;
      return solve(q);
    };
    double lo = 0, hi = 2 * max_cost + 1;
    Solution best = with_incentive(hi);
    if (urban_share_of(best, sites) + 1e-12 < *spec.urban_share) {
      r.urban_target_met = false;  // not reachable: the most urban allocation is kept
    } else {
      for (int it = 0; it < 30; ++it) {
        progress.update(static_cast<double>(it) / 30.0);
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
    // True costs for the chosen plan (pairs are sorted by village, then site).
    best.total_cost = 0;
    for (auto& a : best.assignments) {
      auto it = std::lower_bound(r.pairs.begin(), r.pairs.end(), Pair{a.village, a.site, 0}, pair_order);
      a.cost_per_household = it->cost;
      best.total_cost += static_cast<double>(a.households) * a.cost_per_household;
    }
    best.lower_bound.reset();
    best.gap.reset();
    r.solution = std::move(best);
    r.urban_share = urban_share_of(r.solution, sites);
  }
  progress.end();
  r.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  r.villages = std::move(villages);
  r.sites = std::move(sites);
  return r;
}

}  // namespace relocplan::allocation
