#pragma once
// The cell model of the site search: for any strip of rows, the constraint
// bits, the standardised factors, their combination (WLC or OWA) and the
// classes, computed from the terrain strip, the thematic layers burnt onto
// the strip, distances from sparse source lists and the travel time to the
// county seats (read back strip by strip). The same strip always gives the same values, so
// a strip can be computed again (the site figures do) instead of kept.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "relocplan/config/scenario.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/raster/burn.hpp"
#include "relocplan/raster/distance.hpp"
#include "relocplan/raster/grid_store.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/sites/site_search.hpp"

namespace relocplan::sites {

inline constexpr std::size_t kFactorCount = 8;  // config::site_factors()

// One strip's values, full width, row-major.
struct StripValues {
  std::size_t row0 = 0, rows = 0;
  std::vector<float> slope, elevation, landcover;
  std::vector<std::uint16_t> constraints;
  std::array<std::vector<float>, kFactorCount> factor;  // only the factors in use are filled
  std::vector<float> suitability;                       // NaN off the DEM, 0 on excluded cells
  std::vector<std::uint8_t> classes;
  std::vector<float> dist_road_m, dist_school_m, dist_clinic_m;  // empty without the layer
};

class SiteCells {
 public:
  SiteCells(GEOSContextHandle_t ctx, const raster::Grid& grid, const GridInputs& inputs, const SiteLayers& layers,
            const std::vector<std::pair<double, double>>& out_villages, const config::Scenario& scenario);
  ~SiteCells();
  SiteCells(const SiteCells&) = delete;
  SiteCells& operator=(const SiteCells&) = delete;

  // The first pass, strip by strip: the travel cost surface into `friction`
  // (road cells at the road speed, elsewhere on foot by Tobler's hiking
  // function of the slope, as GRASS r.walk does; NaN off the DEM), and the
  // source lists of every distance.
  void prepare(std::size_t block_rows, core::Progress& progress, raster::GridStore& friction);

  // Cells of the county seats and of all towns (travel-time sources).
  const std::vector<std::size_t>& seat_cells() const { return seat_cells_; }
  const std::vector<std::size_t>& town_cells() const { return town_cells_; }
  bool has_towns() const { return given_[3]; }
  // Reads the travel time to the seats for rows (after prepare(); needed by
  // compute() when there are towns).
  using RowReader = std::function<void(std::size_t row0, std::size_t nrows, float* out)>;
  void set_seat_travel(RowReader reader) { seat_travel_ = std::move(reader); }

  // Rows [row0, row0 + nrows) into `out`.
  void compute(std::size_t row0, std::size_t nrows, StripValues& out) const;

  // Normalised weights (0 for factors not in use), the factors in use.
  const std::array<double, kFactorCount>& weights() const { return weight_; }
  const std::vector<std::string>& factors_used() const { return factors_used_; }
  // Bytes held by the source lists.
  std::size_t source_bytes() const;

 private:
  GEOSContextHandle_t ctx_;
  raster::Grid grid_;
  const GridInputs& inputs_;
  const SiteLayers& layers_;
  const config::Scenario& scenario_;
  std::array<bool, kFactorCount> given_{};
  std::array<double, kFactorCount> weight_{};
  std::vector<std::size_t> used_;
  std::vector<std::string> factors_used_;
  // Thresholds, read once.
  double max_slope_, max_elev_, farm_slope_, hazard_buffer_, min_from_out_, road_min_per_m_;
  float cultivated_;
  double b_most_, b_suit_, b_marg_;
  std::array<double, kFactorCount> full_{}, zero_{};
  bool sigmoid_ = false;
  bool exclude_steep_, exclude_elevation_, exclude_farmland_, exclude_hazard_, exclude_reserve_, exclude_redline_,
      exclude_flood_, exclude_exclusions_, exclude_water_, exclude_near_out_;
  // Burners (null when the layer is not given or not needed).
  std::unique_ptr<raster::CodeBurner> susceptibility_;
  std::unique_ptr<raster::PolygonBurner> hazard_ranges_, reserve_, redline_, flood_, exclusions_,
      rivers_, water_bodies_, roads_, schools_, clinics_, towns_, seats_;
  std::unique_ptr<vector::Features> ranges_;  // threat ranges of hazard points, as polygons
  // Distance sources.
  std::unique_ptr<raster::SourceDistance> high_susceptibility_, out_villages_, road_cells_, town_sources_,
      school_cells_, clinic_cells_, water_cells_;
  std::vector<std::size_t> seat_cells_, town_cells_;
  RowReader seat_travel_;
};

}  // namespace relocplan::sites
