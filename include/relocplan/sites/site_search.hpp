#pragma once
// Resettlement sites: where relocated people can go.
//
// On the analysis grid: constraints (excluded cells, each with a reason bit),
// factors standardised to 0-1 (slope and hazard class tables; fuzzy linear
// membership of distances and travel time), their weighted linear
// combination, four classes, and the candidate sites: suitable patches turned
// into polygons, split to a maximum size, each with its capacity and access.
//
// The search works on whole-grid arrays (distance transforms and travel time
// are global operations); it needs about 120 bytes per cell (kSiteSearchBytesPerCell) and refuses a grid
// that does not fit processing.memory_mb, saying how much it needs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "relocplan/config/scenario.hpp"
#include "relocplan/core/log.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/vector/geos.hpp"
#include "relocplan/vector/thematic.hpp"
#include "relocplan/vector/villages.hpp"

namespace relocplan::sites {

// Peak memory of the site search per grid cell, measured: whole-grid slope,
// elevation and land cover (12 bytes), constraints and class codes (3), up to
// eight factors (32), four distance and travel-time fields kept for the sites
// (16), a cost distance in progress (friction, double accumulator, result,
// heap: about 20), suitability and patch labels (9), output buffers (8), and
// GDAL's and GEOS's working copies.
constexpr double kSiteSearchBytesPerCell = 120.0;

// Constraint reason bits of the `constraints` raster.
enum ConstraintBit : std::uint16_t {
  kSteep = 1,
  kHazard = 2,
  kReserve = 4,
  kRedline = 8,
  kWater = 16,
  kFlood = 32,
  kFarmland = 64,
  kElevation = 128,
  kNearOutVillage = 256,
  kExclusion = 512,
  kNoTerrain = 1024,
};
// "steep" -> kSteep ...; the bit of a constraint name of config::site_constraints().
std::uint16_t constraint_bit(const std::string& name);

// Whole-grid inputs, row-major, NaN = NoData.
struct GridInputs {
  const std::vector<float>* slope_deg = nullptr;
  const std::vector<float>* elevation_m = nullptr;
  const std::vector<float>* landcover = nullptr;  // may be null
};

struct Site {
  vector::GeomPtr geometry;
  std::string id, name, source;  // source: "generated" or "planned"
  double area_ha = 0, buildable_ha = 0;
  std::optional<double> mean_suitability, min_suitability;
  std::int64_t capacity_people = 0, capacity_households = 0;
  std::optional<std::string> nearest_town;
  std::optional<double> travel_min;  // from the site's best cell to its nearest town of any kind
  std::optional<double> dist_road_m, dist_school_m, dist_clinic_m;
  std::optional<std::string> county, township;
  std::string limiting_factor;
  double excluded_pct = 0;  // share of a planned site on excluded cells
};

struct SiteSearchResult {
  std::vector<float> suitability;        // 0-1; 0 on excluded cells; NaN off the DEM
  std::vector<std::uint8_t> classes;     // 1 unsuitable, 2 marginal, 3 suitable, 4 most suitable, 0 NoData
  std::vector<std::uint16_t> constraints;  // ConstraintBit set per cell
  std::vector<float> travel_min;         // to the nearest county seat (the seat factor)
  std::vector<float> friction_min_per_m; // the travel cost surface: minutes per metre, NaN impassable
  std::vector<Site> sites;
  std::vector<std::string> factors_used;  // factors whose inputs were given
};

struct SiteLayers {
  const vector::Features* roads = nullptr;
  const vector::Features* towns = nullptr;
  const vector::Features* schools = nullptr;
  const vector::Features* clinics = nullptr;
  const vector::Features* rivers = nullptr;
  const vector::Features* water_bodies = nullptr;
  const vector::Features* susceptibility = nullptr;
  const vector::Features* hazard_points = nullptr;
  const vector::Features* flood_zone = nullptr;
  const vector::Features* reserve = nullptr;
  const vector::Features* redline = nullptr;
  const vector::Features* exclusions = nullptr;
  const vector::Features* counties = nullptr;
  const vector::Features* townships = nullptr;
  const vector::Features* planned_sites = nullptr;
};

// `out_villages`: positions of the villages that move (for the optional
// minimum distance from them).
SiteSearchResult find_sites(GEOSContextHandle_t ctx, const raster::Grid& grid, const GridInputs& inputs,
                            const SiteLayers& layers, const std::vector<std::pair<double, double>>& out_villages,
                            const config::Scenario& scenario, core::Log& log, core::Progress& progress);

}  // namespace relocplan::sites
