#pragma once
// Polygons burnt onto strips of the analysis grid (cell-centre rule, as
// gdal_rasterize does by default), for per-cell class codes of thematic
// layers: hazard susceptibility, reserve zones, flood zone ...

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "relocplan/raster/grid.hpp"
#include "relocplan/vector/geos.hpp"
#include "relocplan/vector/thematic.hpp"

namespace relocplan::raster {

// Class codes of a polygon layer burnt strip by strip, from geometries held
// in memory (PolygonBurner) or read from their file strip by strip
// (StreamedPolygonBurner); the same cells either way.
class CodeBurner {
 public:
  virtual ~CodeBurner() = default;
  // Rows [row0, row0 + nrows), full width, into `out`; cells outside every
  // polygon get `background`; where polygons overlap the highest code wins.
  virtual void burn(std::size_t row0, std::size_t nrows, std::uint8_t background, std::uint8_t* out) const = 0;
};

// The burner keeps no copy of the geometries: for each strip it converts
// only the features whose envelope reaches the strip (to GDAL's geometry
// model, for GDALRasterizeGeometries) and releases them after the strip, so
// memory and time grow with the features a strip touches, not with strips x
// features. `features` must outlive the burner.
class PolygonBurner : public CodeBurner {
 public:
  // `codes[i]` is burnt for feature i (0 skips it); where polygons overlap the
  // highest code wins.
  PolygonBurner(GEOSContextHandle_t ctx, const vector::Features& features, const std::vector<std::uint8_t>& codes,
                const Grid& grid);
  PolygonBurner(const PolygonBurner&) = delete;
  PolygonBurner& operator=(const PolygonBurner&) = delete;

  void burn(std::size_t row0, std::size_t nrows, std::uint8_t background, std::uint8_t* out) const override;

 private:
  struct Item {
    const GEOSGeometry* geometry;
    double code;
    double ymin, ymax;  // envelope, in grid CRS units
  };
  GEOSContextHandle_t ctx_;
  Grid grid_;
  std::string what_;
  std::vector<Item> items_;  // sorted by code, then input order
};

// The same burning from a layer read strip by strip from its file
// (vector::ThematicStream) instead of held: each strip reads the features
// that reach it, codes them with `code_of` (0 skips a feature), and burns
// them as PolygonBurner does (cell centres; the highest code wins), so the
// cells are the same. Memory grows with the features a strip touches.
class StreamedPolygonBurner : public CodeBurner {
 public:
  using CodeOf = std::function<std::uint8_t(const std::map<std::string, std::string>& attrs, long long fid)>;
  StreamedPolygonBurner(GEOSContextHandle_t ctx, const vector::ThematicStream& stream, CodeOf code_of,
                        const Grid& grid);
  void burn(std::size_t row0, std::size_t nrows, std::uint8_t background, std::uint8_t* out) const override;

 private:
  GEOSContextHandle_t ctx_;
  const vector::ThematicStream& stream_;
  CodeOf code_of_;
  Grid grid_;
};

}  // namespace relocplan::raster
