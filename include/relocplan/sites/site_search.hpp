#pragma once
// Resettlement sites: where relocated people can go.
//
// On the analysis grid: constraints (excluded cells, each with a reason bit),
// factors standardised to 0-1 (slope and hazard class tables; fuzzy linear
// membership of distances and travel time), their weighted linear
// combination, four classes, and the candidate sites: suitable patches turned
// into polygons, split to a maximum size, each with its capacity and access.
//
// The cell work (constraints, factors, suitability, classes) runs strip by
// strip: distances come row by row from sparse source lists
// (raster::SourceDistance), polygons are burnt per strip, and the results go
// to a sink as they are made. The travel cost surface and the travel time to
// the county seats go to grid stores (scratch files in a run; see
// raster::GridStore): the searches over the surface read it window by
// window, one bounded search per county seat merges its window into the
// seat travel time, and the strips read that back. The suitable cells are
// kept as runs of rows (SuitableRuns), labelled and polygonised from the
// runs: nothing of the site search is held whole-grid in memory; see
// site_search_bytes. A site's access (travel
// time to the nearest town) is a search from the site outwards that stops at
// the first town.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "relocplan/config/scenario.hpp"
#include "relocplan/core/log.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/raster/grid_store.hpp"
#include "relocplan/raster/local_cost_distance.hpp"
#include "relocplan/vector/geos.hpp"
#include "relocplan/vector/thematic.hpp"
#include "relocplan/vector/villages.hpp"

namespace relocplan::sites {

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

// The terrain inputs, read strip by strip: rows [row0, row0 + nrows), full
// width, NaN = NoData. `landcover` is null when there is no land-cover input.
class GridInputs {
 public:
  virtual ~GridInputs() = default;
  virtual bool has_landcover() const = 0;
  virtual void read(std::size_t row0, std::size_t nrows, float* slope_deg, float* elevation_m,
                    float* landcover) const = 0;
};

// Inputs held as whole-grid arrays (tests, small grids).
class WholeGridInputs : public GridInputs {
 public:
  WholeGridInputs(const raster::Grid& grid, const std::vector<float>* slope_deg, const std::vector<float>* elevation_m,
                  const std::vector<float>* landcover = nullptr);
  bool has_landcover() const override { return landcover_ != nullptr; }
  void read(std::size_t row0, std::size_t nrows, float* slope_deg, float* elevation_m, float* landcover) const override;

 private:
  std::size_t cols_;
  const std::vector<float>* slope_;
  const std::vector<float>* elevation_;
  const std::vector<float>* landcover_;
};

// Where the cell results go, strip by strip, in row order: suitability
// (0-1; 0 on excluded cells; NaN off the DEM), classes (1 unsuitable,
// 2 marginal, 3 suitable, 4 most suitable, 0 NoData) and constraint bits.
class SiteRasterSink {
 public:
  virtual ~SiteRasterSink() = default;
  virtual void write(std::size_t row0, std::size_t nrows, const float* suitability, const std::uint8_t* classes,
                     const std::uint16_t* constraints) = 0;
};

// A sink that keeps the whole grid (tests, small grids).
class SiteRasterCollector : public SiteRasterSink {
 public:
  explicit SiteRasterCollector(const raster::Grid& grid);
  void write(std::size_t row0, std::size_t nrows, const float* suitability, const std::uint8_t* classes,
             const std::uint16_t* constraints) override;
  std::vector<float> suitability;
  std::vector<std::uint8_t> classes;
  std::vector<std::uint16_t> constraints;

 private:
  std::size_t cols_;
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
  // The travel time to the nearest county seat (the seat factor), whole grid;
  // empty without towns, or when it went to the seat store given to find_sites.
  std::vector<float> travel_min;
  // The travel cost surface (minutes per metre, NaN impassable), whole grid;
  // empty when it went to the friction store given to find_sites.
  std::vector<float> friction_min_per_m;
  std::vector<Site> sites;
  std::vector<std::string> factors_used;  // factors whose inputs were given
  // Wall seconds of the search's parts, in order ("inputs", "seat_travel",
  // "suitability", "patches", "figures").
  std::vector<std::pair<std::string, double>> seconds;
};

struct SiteLayers {
  const vector::Features* roads = nullptr;
  const vector::Features* towns = nullptr;
  const vector::Features* schools = nullptr;
  const vector::Features* clinics = nullptr;
  const vector::Features* rivers = nullptr;
  const vector::Features* water_bodies = nullptr;
  const vector::Features* susceptibility = nullptr;
  // Or the susceptibility read from its file strip by strip (a province's map).
  const vector::ThematicStream* susceptibility_stream = nullptr;
  const vector::Features* hazard_points = nullptr;
  const vector::Features* flood_zone = nullptr;
  const vector::Features* reserve = nullptr;
  const vector::Features* redline = nullptr;
  const vector::Features* exclusions = nullptr;
  const vector::Features* counties = nullptr;
  const vector::Features* townships = nullptr;
  const vector::Features* planned_sites = nullptr;
};

// Peak memory of the site search in bytes, with grid stores for the travel
// cost surface and the seat travel time: the strip buffers of `block_rows`
// rows (about 100 bytes a cell of a strip) and the larger of the searches'
// workspaces (the seat search's and the access search's: every tile of the
// window their bound reaches at road speed, or with a search limit
// (raster::SearchMemory), that limit, never below the least a limited search
// keeps for its window). The suitable cells come on top as runs (16 bytes a
// run of suitable cells in a row, with its label while patches are traced),
// which only the run can count.
double site_search_bytes(const raster::Grid& grid, std::size_t block_rows, const config::Scenario& scenario,
                         std::size_t search_limit_bytes = 0);
// Minutes per metre at road speed (sites.walk_road_kmh): the fastest move on
// the travel cost surface, which bounds how far a travel-time search reaches.
double road_min_per_m(const config::Scenario& scenario);
// The least the larger of the seat and access searches keeps, however small
// its limit: the tiles its front can touch (or its whole window, when that
// is less).
std::size_t site_search_least_bytes(const raster::Grid& grid, const config::Scenario& scenario);
// The strip height that keeps the strip buffers within `bytes`.
std::size_t site_search_block_rows(const raster::Grid& grid, std::size_t bytes);

// `out_villages`: positions of the villages that move (for the optional
// minimum distance from them). The cell results go to `sink` strip by strip
// (block_rows rows each; 0: the whole grid at once). The travel cost surface
// goes to `friction_store` and the travel time to the seats to `seat_store`
// (both rows x cols); a store not given is kept in memory and returned in the
// result instead. The travel-time searches (to the seats, and each site's
// access) hold at most what `search_memory` allows (no limit by default).
SiteSearchResult find_sites(GEOSContextHandle_t ctx, const raster::Grid& grid, const GridInputs& inputs,
                            const SiteLayers& layers, const std::vector<std::pair<double, double>>& out_villages,
                            const config::Scenario& scenario, core::Log& log, core::Progress& progress,
                            SiteRasterSink& sink, std::size_t block_rows, raster::GridStore* seat_store = nullptr,
                            raster::GridStore* friction_store = nullptr,
                            const raster::SearchMemory& search_memory = {});

}  // namespace relocplan::sites
