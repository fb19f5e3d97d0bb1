#pragma once
// Polygons burnt onto strips of the analysis grid (cell-centre rule, as
// gdal_rasterize does by default), for per-cell class codes of thematic
// layers: hazard susceptibility, reserve zones, flood zone ...

#include <cstdint>
#include <vector>

#include "relocplan/raster/grid.hpp"
#include "relocplan/vector/geos.hpp"
#include "relocplan/vector/thematic.hpp"

namespace relocplan::raster {

class PolygonBurner {
 public:
  // `codes[i]` is burnt for feature i (0 skips it); where polygons overlap the
  // highest code wins.
  PolygonBurner(GEOSContextHandle_t ctx, const vector::Features& features, const std::vector<std::uint8_t>& codes,
                const Grid& grid);
  ~PolygonBurner();
  PolygonBurner(const PolygonBurner&) = delete;
  PolygonBurner& operator=(const PolygonBurner&) = delete;

  // Rows [row0, row0 + nrows), full width, into `out`; cells outside every
  // polygon get `background`.
  void burn(std::size_t row0, std::size_t nrows, std::uint8_t background, std::uint8_t* out) const;

 private:
  Grid grid_;
  std::vector<void*> geoms_;  // OGRGeometryH in the grid CRS, sorted by code
  std::vector<double> codes_;
};

}  // namespace relocplan::raster
