#pragma once
// Village assessment: which villages are relocation candidates, and why.
//
// Three steps:
//  1. zonal statistics over each village's territory, cells weighted by the
//     exact share of their area inside it (TerritoryAccumulator, fed block by
//     block in row order, so the result does not depend on the block size);
//  2. point criteria at the village (hazard zones and threat ranges, reserves,
//     red line, flood zone, distance to roads and seats);
//  3. rules: hard triggers, a weighted soft score, a class and reason codes,
//     each reason with its value, threshold and source (assess()).
//
// A criterion whose input is not given is "not assessed"; one whose input is
// given but whose value cannot be computed (no population, say) is "unknown".
// Neither counts as zero: a village that would otherwise stay goes to review.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "relocplan/config/scenario.hpp"
#include "relocplan/criteria/coverage.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/vector/geos.hpp"
#include "relocplan/vector/thematic.hpp"
#include "relocplan/vector/villages.hpp"

namespace relocplan::criteria {

// Class codes burnt into the per-block rasters (0 = none). Higher codes win
// where polygons overlap.
enum SusceptibilityCode : std::uint8_t { kSuscNone = 0, kSuscLow = 1, kSuscMedium = 2, kSuscHigh = 3 };
// The code of a susceptibility polygon from its class field's value, by the
// scenario's inputs.susceptibility.values (meaning -> value): high before
// medium before low; kSuscNone for any other value.
std::uint8_t susceptibility_code(const config::VectorInput& input, const std::string& value);
enum ReserveCode : std::uint8_t { kReserveNone = 0, kReserveExperimental = 1, kReserveBuffer = 2, kReserveCore = 3 };
constexpr std::uint8_t kNoClass = 255;  // desertification: not mapped

// One block of every layer on the analysis grid, rows [row0, row0 + rows),
// full width. A null pointer means the layer is not given.
struct BlockLayers {
  const float* slope_deg = nullptr;
  const float* relief_m = nullptr;
  const float* elevation_m = nullptr;
  const float* landcover = nullptr;    // class codes as float, NaN = NoData
  const float* fragility = nullptr;    // 0-1, NaN = NoData
  const std::uint8_t* desertification = nullptr;  // grade 0-5, kNoClass where not mapped
  const std::uint8_t* susceptibility = nullptr;   // SusceptibilityCode
  const std::uint8_t* flood = nullptr;            // 0/1
  const std::uint8_t* reserve = nullptr;          // ReserveCode
  const std::uint8_t* redline = nullptr;          // 0/1
};

struct TerritoryStats {
  double area_ha = 0;
  std::optional<double> mean_slope_deg, max_slope_deg, steep_pct, mean_relief_m, max_relief_m, mean_elevation_m;
  std::optional<double> cultivated_ha, cultivable_ha, steep_cultivated_pct;
  std::optional<std::array<double, 6>> desertification_ha;  // by grade 0-5 (0 includes unmapped land)
  std::optional<double> desertification_moderate_pct;       // grade 3+ share of the territory
  std::optional<double> mean_fragility;
  std::optional<std::array<double, 4>> susceptibility_pct;  // none, low, medium, high
  std::optional<double> flood_pct, reserve_core_pct, reserve_buffer_pct, redline_pct;
};

class TerritoryAccumulator {
 public:
  TerritoryAccumulator(const raster::Grid& grid, GEOSContextHandle_t ctx, std::vector<const GEOSGeometry*> territories,
                       const config::LayerDefaults& thresholds);
  void add_rows(std::size_t row0, std::size_t nrows, const BlockLayers& layers);
  std::vector<TerritoryStats> results() const;
  // Territories whose coverage is held in memory right now (for tests).
  std::size_t active() const;

 private:
  struct Sums {
    double cover = 0, slope_w = 0, slope = 0, steep = 0, relief_w = 0, relief = 0, elev_w = 0, elev = 0;
    double max_slope = -1, max_relief = -1;
    double lc_w = 0, cultivated = 0, cultivable = 0, steep_cultivated = 0;
    std::array<double, 6> desert{};
    double frag_w = 0, frag = 0;
    std::array<double, 4> susc{};
    double flood = 0, core = 0, buffer = 0, redline = 0;
    bool any_landcover = false, any_fragility = false;
    bool has_desert = false, has_susc = false, has_flood = false, has_reserve = false, has_redline = false;
  };
  raster::Grid grid_;
  GEOSContextHandle_t ctx_;
  std::vector<const GEOSGeometry*> territories_;
  std::vector<std::pair<long long, long long>> rows_;  // row span of each territory on the grid (first > last: none)
  std::vector<CoverageWindow> windows_;
  std::vector<bool> done_;
  std::vector<Sums> sums_;
  double steep_deg_, cultivable_max_deg_;
  float cultivated_code_;
};

struct PointCriteria {
  std::optional<std::string> susceptibility;  // "high", "medium", "low", "none"; nullopt: not assessed
  std::optional<bool> in_flood_zone, in_redline;
  std::optional<std::string> reserve_zone;     // "core", "buffer", "experimental", "none"
  std::optional<std::string> hazard_id;        // the geohazard whose threat range holds the village
  std::optional<double> hazard_dist_m, hazard_radius_m;
  std::optional<std::string> hazard_kind;
  bool hazards_assessed = false;
  std::optional<double> dist_road_m;
  std::optional<double> dist_seat_m;
  std::optional<std::string> seat_name;
};

struct ThematicLayers {
  const vector::Features* hazard_points = nullptr;
  const vector::Features* susceptibility = nullptr;
  // Or the susceptibility read from its file band by band (a province's map).
  const vector::ThematicStream* susceptibility_stream = nullptr;
  const vector::Features* flood_zone = nullptr;
  const vector::Features* reserve = nullptr;
  const vector::Features* redline = nullptr;
  const vector::Features* roads = nullptr;
  const vector::Features* towns = nullptr;
};

std::vector<PointCriteria> point_criteria(GEOSContextHandle_t ctx, const std::vector<vector::Village>& villages,
                                          const ThematicLayers& layers, const config::Scenario& scenario);

struct Reason {
  std::string code;        // HAZARD_ZONE, RESERVE_CORE, ...
  bool hard = false;       // a hard trigger, or a soft criterion that scored high
  std::string text;        // readable, with value and threshold
};

struct VillageAssessment {
  // Soft criteria standardised to 0-1, in config::soft_criteria() order.
  std::vector<std::optional<double>> soft;
  std::optional<double> score;  // 0-100 over the assessed soft criteria
  std::optional<double> cultivable_m2_per_person;
  std::optional<double> poverty_rate;
  std::string cls;  // relocate_whole, relocate_registered, review, stay
  std::vector<Reason> reasons;
  std::vector<std::string> unknown;  // criteria that could not be evaluated
  std::int64_t relocating_people = 0, relocating_households = 0;
  std::string reason_codes() const;
  std::string reasons_text() const;
};

VillageAssessment assess(const vector::Village& village, const TerritoryStats& territory,
                         const std::optional<double>& point_elevation_m, const PointCriteria& point,
                         const config::Scenario& scenario);

// Linear membership: 0 at or below lo, 1 at or above hi.
double linear_membership(double value, double lo, double hi);

}  // namespace relocplan::criteria
