#pragma once
// Exact coverage fractions of grid cells by a polygon.
//
// Zonal statistics over a village territory weight each cell by the share of
// the cell's area that lies inside the polygon (as exactextract does), not by
// whether the cell's centre does. The fractions are exact up to floating-point
// rounding: summed over the window, fraction x cell area equals the polygon's
// area.

#include <cstddef>
#include <utility>
#include <vector>

#include "relocplan/raster/grid.hpp"

typedef struct GEOSContextHandle_HS* GEOSContextHandle_t;
typedef struct GEOSGeom_t GEOSGeometry;

namespace relocplan::criteria {

using Ring = std::vector<std::pair<double, double>>;  // x, y; closed or not
struct PolygonRings {
  Ring exterior;
  std::vector<Ring> holes;
};

// The fractions for the cells of the grid that the polygons' bounding box
// touches (clipped to the grid). Row-major; rows/cols are 0 when the polygons
// miss the grid.
struct CoverageWindow {
  std::size_t row0 = 0, col0 = 0, rows = 0, cols = 0;
  std::vector<float> fraction;
  float at(std::size_t grid_row, std::size_t grid_col) const {
    return fraction[(grid_row - row0) * cols + (grid_col - col0)];
  }
  bool empty() const { return rows == 0 || cols == 0; }
};

// Coverage of the union of `polygons` (they must not overlap each other, as
// the parts of a valid MultiPolygon do). Ring orientation does not matter.
CoverageWindow polygon_coverage(const raster::Grid& grid, const std::vector<PolygonRings>& polygons);

// The rings of a GEOS Polygon or MultiPolygon (other types give an empty list).
std::vector<PolygonRings> rings_from_geos(GEOSContextHandle_t ctx, const GEOSGeometry* geometry);

}  // namespace relocplan::criteria
