#pragma once
// Terrain figures for each village: values at the village's cell, and
// area-weighted figures within a circle around it.
//
// The accumulator is fed the terrain block by block, in row order. Each
// village's sums are built cell by cell in row-major order, so the result does
// not depend on how the grid was cut into blocks (bit for bit).
//
// NoData policy: cells on NoData are left out of the sums; the share of the
// circle that had data is reported, so a village half outside the DEM is seen
// as such. A village whose own cell is outside the grid or on NoData gets no
// point values; figures that had no valid cell at all are unknown (null).

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "relocplan/raster/grid.hpp"

namespace relocplan::criteria {

struct VillageTerrainSettings {
  double radius_m = 1000.0;        // neighbourhood circle around the village
  double steep_slope_deg = 25.0;   // "steep" for the share of steep land
};

struct VillageTerrain {
  // At the cell that contains the village point.
  std::optional<double> elevation_m, slope_deg, aspect_deg, relief_m;
  // Within the circle, cells weighted by the share of their area inside it.
  std::optional<double> nbhd_mean_slope_deg, nbhd_steep_pct, nbhd_max_relief_m, nbhd_mean_elevation_m;
  double nbhd_valid_pct = 0;  // share of the circle's area with terrain data
  bool outside_grid = false;  // the point is not on the analysis grid at all
};

class VillageTerrainAccumulator {
 public:
  VillageTerrainAccumulator(const raster::Grid& grid, std::vector<double> xs, std::vector<double> ys,
                            VillageTerrainSettings settings);

  // Rows [row0, row0 + nrows) of the terrain, full width; NaN is NoData.
  // `aspect_deg` is read only at point_cells(row0, nrows), the rest of it
  // may hold anything.
  void add_rows(std::size_t row0, std::size_t nrows, const float* elevation, const float* slope_deg,
                const float* aspect_deg, const float* relief_m);

  // The (row, column) of each village point's cell in rows [row0, row0 + nrows),
  // so that what is needed there only (the aspect) is computed there only.
  std::vector<std::pair<std::size_t, std::size_t>> point_cells(std::size_t row0, std::size_t nrows) const;

  std::vector<VillageTerrain> results() const;

 private:
  struct Sums {
    double weight_all = 0;  // sum of coverage of every cell touched, valid or not
    double weight = 0;      // sum of coverage of cells with a valid slope
    double slope = 0, steep = 0, elevation = 0;
    double weight_elev = 0;
    double max_relief = -1;
    bool any_relief = false;
  };
  raster::Grid grid_;
  std::vector<double> xs_, ys_;
  VillageTerrainSettings settings_;
  std::vector<VillageTerrain> point_;
  std::vector<Sums> sums_;
  // Row span of each village's circle (clamped to the grid); empty when none.
  std::vector<std::pair<long long, long long>> row_span_, col_span_;
};

}  // namespace relocplan::criteria
