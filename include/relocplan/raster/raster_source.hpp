#pragma once
// A raster input brought onto the analysis grid.
//
// When the input already lies on the grid's lattice in the same CRS, rows are
// read straight from the file (no resampling). Otherwise GDAL's warper (with
// PROJ) resamples it on the fly through a warped VRT, block by block, so the
// whole input is never held in memory. NoData in the input, and everything
// outside its footprint, comes out as NaN.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "relocplan/raster/gdal_handles.hpp"
#include "relocplan/raster/grid.hpp"

namespace relocplan::raster {

enum class Resampling { nearest, bilinear, cubic, cubicspline, average, mode };

Resampling parse_resampling(const std::string& name);  // throws ScenarioError
std::string to_string(Resampling r);

struct RasterSourceInfo {
  std::filesystem::path path;
  std::string crs_wkt;
  std::string crs_name;  // e.g. "EPSG:4326 (WGS 84)"
  bool geographic = false;
  std::size_t width = 0, height = 0;
  std::array<double, 6> geotransform{};
  std::optional<double> nodata;
  std::string data_type;
  // Approximate size of a source pixel on the ground, in metres.
  double pixel_size_m = 0;
  // The source's footprint in the grid CRS (corner and edge points transformed).
  Extent footprint;
  bool resampled = true;  // false when rows are read directly
};

class RasterSource {
 public:
  // `what` names the input in messages (e.g. "inputs.dem").
  RasterSource(std::string what, const std::filesystem::path& path, int band, const Grid& grid,
               Resampling resampling, std::optional<double> nodata_override);
  RasterSource(const RasterSource&) = delete;
  RasterSource& operator=(const RasterSource&) = delete;

  const RasterSourceInfo& info() const { return info_; }
  const Grid& grid() const { return grid_; }

  // Reads rows [row0, row0 + nrows) of the grid, full width, into `out`
  // (nrows * cols values). NoData and cells outside the source are NaN.
  void read_rows(std::size_t row0, std::size_t nrows, float* out) const;

 private:
  std::string what_;
  Grid grid_;
  int band_;
  RasterSourceInfo info_;
  // Declared in this order so that the warped VRT closes before what it reads.
  DatasetPtr source_;
  DatasetPtr band_vrt_;  // band selection feeding the warper, if any
  DatasetPtr warped_;    // null when reading directly
  std::optional<double> nodata_;
  long long direct_col_offset_ = 0, direct_row_offset_ = 0;
};

}  // namespace relocplan::raster
