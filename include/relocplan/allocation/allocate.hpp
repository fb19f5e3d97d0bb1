#pragma once
// Allocation on the map: the cost of every (village, site) pair from the
// travel-cost surface of the site search (or straight-line distance), the
// rules (same county, maximum travel), and the solver.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "relocplan/allocation/solver.hpp"
#include "relocplan/config/scenario.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/raster/grid_store.hpp"

namespace relocplan::allocation {

struct Place {
  std::size_t index = 0;  // into the villages or the sites of the run
  std::string id, county;
  double x = 0, y = 0;        // working CRS (a site's point on surface)
  std::int64_t households = 0;  // demand, or capacity
  double people_per_household = 0;
  bool urban = false;  // a site near a town (for the urban-resettlement target)
};

// How the travel-time searches share the machine: threads (0: one per core)
// and the bytes their workspaces may hold together (0: no limit). With a
// folder for scratch files, each workspace is held to its share of the bytes
// (raster::SearchMemory) and writes tiles beyond it there; without one, fewer
// threads run so that every workspace fits at worst.
struct Workers {
  unsigned threads = 0;
  std::size_t memory_bytes = 0;
  std::filesystem::path spill_dir = {};
};

// The searches' share of the machine: how many run at once, and each one's
// memory limit (0: none).
struct SearchShare {
  unsigned threads = 1;
  std::size_t limit_bytes = 0;
};
// For `sources` searches whose workspaces hold at most window_bytes each
// without a limit, and least_bytes with one (raster::LocalCostDistance::
// least_limited_bytes): threads as asked (0: one per core), no more than
// there are sources, and no more than memory_bytes (0: no limit) holds at
// least_bytes each (window_bytes each when the searches cannot write tiles
// to a scratch folder), at least one. The limit is the memory split among
// the threads, when that is less than the window.
SearchShare share_searches(unsigned threads, std::size_t memory_bytes, bool can_spill, std::size_t sources,
                           std::size_t window_bytes, std::size_t least_bytes);
// The most one travel-time search's workspace holds on the grid without a
// limit: every tile of the window that max_travel_min allows at
// min_cost_per_m (the fastest move on the surface) reached.
std::size_t search_window_bytes(const raster::Grid& grid, double max_travel_min, double min_cost_per_m);
// The least a workspace with a limit keeps for that window.
std::size_t search_least_bytes(const raster::Grid& grid, double max_travel_min, double min_cost_per_m);

// What the travel-time searches did: cells settled by all of them together,
// their share of the machine, and the tiles they wrote to scratch files.
struct SearchStats {
  std::uint64_t cells_searched = 0;
  SearchShare share;
  std::size_t window_bytes = 0, least_bytes = 0;  // search_window_bytes, search_least_bytes
  std::uint64_t tiles_spilled = 0;
};

struct AllocationResult {
  std::vector<Place> villages, sites;
  // Every pair within range that the rules allow, sorted by village, then
  // site: the cost per household (travel or distance, plus the cross-county
  // penalty where it applies).
  std::vector<Pair> pairs;
  Solution solution;
  std::string cost_unit;  // "min" or "m"
  // Independent sub-problems solved (connected groups of villages and sites
  // linked by allowed pairs), and the largest one's villages x sites.
  std::size_t components = 0;
  std::size_t largest_component_villages = 0, largest_component_sites = 0;
  // The travel-time searches (all zero for distance), the searches' wall
  // seconds, and the solver's.
  SearchStats searches;
  double cost_seconds = 0, solve_seconds = 0;
  // Urban resettlement: the share reached, and the cost added to non-urban
  // pairs to reach the target (0 when there is no target or it was met anyway).
  double urban_share = 0;
  double urban_incentive = 0;
  bool urban_target_met = true;
};

// The share of allocated households that go to urban sites.
double urban_share_of(const Solution& solution, const std::vector<Place>& sites);

// Solves the allocation over sparse pairs: villages and sites fall into
// connected groups (linked by allowed pairs), each group is an independent
// problem solved as solve_split / solve_whole do, and the group solutions are
// merged. Without a pair, a village is unallocated with reason_no_site.
// Because the groups share no village and no site, the merged plan is optimal
// whenever every group's plan is; in whole-village mode the exact search and
// its work budget apply per group, which keeps it exact on far larger areas.
Solution solve_pairs(const std::vector<Demand>& demands, const std::vector<Supply>& supplies,
                     const std::vector<Pair>& pairs, bool keep_villages_whole);

// Travel-time pairs: from each place of the smaller side (sites or villages),
// a cost-distance search bounded by max_travel_min in the window that bound
// allows (raster::LocalCostDistance), the searches spread over the threads
// share_searches gives. Costs are the same as a whole-grid cost distance
// from each source. Returns pairs before the county rules, sorted by village,
// then site; fills *stats.
// Each search reads the friction of its window from the surface, which may
// live in a scratch file (raster::GridStore).
std::vector<Pair> travel_time_pairs(const raster::Grid& grid, const raster::CostSurface& friction_min_per_m,
                                    const std::vector<Place>& villages, const std::vector<Place>& sites,
                                    double max_travel_min, core::Progress& progress, const Workers& workers = {},
                                    SearchStats* stats = nullptr);
std::vector<Pair> travel_time_pairs(const raster::Grid& grid, const std::vector<float>& friction_min_per_m,
                                    const std::vector<Place>& villages, const std::vector<Place>& sites,
                                    double max_travel_min, core::Progress& progress, const Workers& workers = {},
                                    SearchStats* stats = nullptr);

// `friction_min_per_m`: the site search's travel cost surface (used when the
// cost is travel time; may be null when it is distance).
AllocationResult allocate(const raster::Grid& grid, const raster::CostSurface* friction_min_per_m,
                          std::vector<Place> villages, std::vector<Place> sites, const config::AllocationSpec& spec,
                          core::Progress& progress, const Workers& workers = {});
// The same over a whole-grid array (empty when the cost is distance).
AllocationResult allocate(const raster::Grid& grid, const std::vector<float>& friction_min_per_m,
                          std::vector<Place> villages, std::vector<Place> sites, const config::AllocationSpec& spec,
                          core::Progress& progress, const Workers& workers = {});

}  // namespace relocplan::allocation
