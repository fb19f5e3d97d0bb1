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
};

struct AllocationResult {
  std::vector<Place> villages, sites;
  Problem problem;
  Solution solution;
  std::string cost_unit;  // "min" or "m"
};

// `friction_min_per_m`: the site search's travel cost surface (used when the
// cost is travel time).
AllocationResult allocate(const raster::Grid& grid, const std::vector<float>& friction_min_per_m,
                          std::vector<Place> villages, std::vector<Place> sites, const config::AllocationSpec& spec,
                          core::Progress& progress);

}  // namespace relocplan::allocation
