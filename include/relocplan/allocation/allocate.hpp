#pragma once
// Allocation on the map: the cost of every (village, site) pair from the
// travel-cost surface of the site search (or straight-line distance), the
// rules (same county, maximum travel), and the solver.

#include <cstdint>
#include <string>
#include <vector>

#include "relocplan/allocation/solver.hpp"
#include "relocplan/config/scenario.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/raster/grid.hpp"

namespace relocplan::allocation {

struct Place {
  std::size_t index = 0;  // into the villages or the sites of the run
  std::string id, county;
  double x = 0, y = 0;        // working CRS (a site's point on surface)
  std::int64_t households = 0;  // demand, or capacity
  double people_per_household = 0;
  bool urban = false;  // a site near a town (for the urban-resettlement target)
};

struct AllocationResult {
  std::vector<Place> villages, sites;
  Problem problem;
  Solution solution;
  std::string cost_unit;  // "min" or "m"
  // Urban resettlement: the share reached, and the cost added to non-urban
  // pairs to reach the target (0 when there is no target or it was met anyway).
  double urban_share = 0;
  double urban_incentive = 0;
  bool urban_target_met = true;
};

// The share of allocated households that go to urban sites.
double urban_share_of(const Solution& solution, const std::vector<Place>& sites);

// `friction_min_per_m`: the site search's travel cost surface (used when the
// cost is travel time).
AllocationResult allocate(const raster::Grid& grid, const std::vector<float>& friction_min_per_m,
                          std::vector<Place> villages, std::vector<Place> sites, const config::AllocationSpec& spec,
                          core::Progress& progress);

}  // namespace relocplan::allocation
