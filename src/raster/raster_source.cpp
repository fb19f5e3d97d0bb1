#include "relocplan/raster/raster_source.hpp"

#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "relocplan/core/error.hpp"
#include "relocplan/core/files.hpp"
#include "relocplan/raster/gdal_args.hpp"
#include "relocplan/vector/crs.hpp"

namespace relocplan::raster {

namespace {

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}


}  // namespace

Resampling parse_resampling(const std::string& name) {
  if (name == "nearest") return Resampling::nearest;
  if (name == "bilinear") return Resampling::bilinear;
  if (name == "cubic") return Resampling::cubic;
  if (name == "cubicspline") return Resampling::cubicspline;
  if (name == "average") return Resampling::average;
  if (name == "mode") return Resampling::mode;
  throw core::ScenarioError("unknown resampling '" + name +
                            "' (known: nearest, bilinear, cubic, cubicspline, average, mode)");
}

std::string to_string(Resampling r) {
  switch (r) {
    case Resampling::nearest: return "nearest";
    case Resampling::bilinear: return "bilinear";
    case Resampling::cubic: return "cubic";
    case Resampling::cubicspline: return "cubicspline";
    case Resampling::average: return "average";
    case Resampling::mode: return "mode";
  }
  return "nearest";
}

RasterSource::RasterSource(std::string what, const std::filesystem::path& path, int band, const Grid& grid,
                           Resampling resampling, std::optional<double> nodata_override)
    : what_(std::move(what)), grid_(grid), band_(band) {
  info_.path = path;
  CPLErrorReset();
  source_.reset(GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
  if (!source_)
    throw core::InputError(what_ + ": cannot open '" + path.string() + "' as a raster: " + core::open_failure_reason("raster"));
  const int bands = GDALGetRasterCount(source_.get());
  if (band < 1 || band > bands)
    throw core::InputError(what_ + ": '" + path.string() + "' has " + std::to_string(bands) + " band(s); band " +
                           std::to_string(band) + " does not exist");
  GDALRasterBandH b = GDALGetRasterBand(source_.get(), band);
  info_.width = static_cast<std::size_t>(GDALGetRasterXSize(source_.get()));
  info_.height = static_cast<std::size_t>(GDALGetRasterYSize(source_.get()));
  info_.data_type = GDALGetDataTypeName(GDALGetRasterDataType(b));
  if (GDALGetGeoTransform(source_.get(), info_.geotransform.data()) != CE_None)
    throw core::InputError(what_ + ": '" + path.string() + "' has no georeferencing (geotransform)");
  OGRSpatialReferenceH srs = GDALGetSpatialRef(source_.get());
  if (!srs)
    throw core::InputError(what_ + ": '" + path.string() + "' has no coordinate reference system");
  const vector::Crs src_crs = vector::Crs::from_handle(srs);
  info_.crs_wkt = src_crs.wkt();
  info_.crs_name = src_crs.describe();
  info_.geographic = src_crs.is_geographic();

  int has_nodata = 0;
  const double nd = GDALGetRasterNoDataValue(b, &has_nodata);
  if (nodata_override) nodata_ = nodata_override;
  else if (has_nodata) nodata_ = nd;
  info_.nodata = nodata_;

  // Footprint and ground pixel size, seen from the grid's CRS.
  const vector::Crs grid_crs = vector::Crs::from_wkt(grid.crs_wkt());
  const vector::Transformer to_grid(src_crs, grid_crs);
  const auto& gt = info_.geotransform;
  std::vector<double> xs, ys;
  constexpr int steps = 20;
  for (int i = 0; i <= steps; ++i) {
    const double f = static_cast<double>(i) / steps;
    const double w = static_cast<double>(info_.width), h = static_cast<double>(info_.height);
    const std::pair<double, double> pix[4] = {{f * w, 0}, {f * w, h}, {0, f * h}, {w, f * h}};
    for (auto [px, py] : pix) {
      xs.push_back(gt[0] + px * gt[1] + py * gt[2]);
      ys.push_back(gt[3] + px * gt[4] + py * gt[5]);
    }
  }
  to_grid.transform_in_place(xs, ys, /*allow_failures=*/true);
  Extent fp{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
            std::numeric_limits<double>::lowest(), std::numeric_limits<double>::lowest()};
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
    fp = fp.united({xs[i], ys[i], xs[i], ys[i]});
  }
  info_.footprint = fp;
  {
    const double cx = gt[0] + 0.5 * static_cast<double>(info_.width) * gt[1];
    const double cy = gt[3] + 0.5 * static_cast<double>(info_.height) * gt[5];
    std::vector<double> px = {cx, cx + gt[1], cx}, py = {cy, cy, cy + gt[5]};
    to_grid.transform_in_place(px, py, true);
    const double dx = std::hypot(px[1] - px[0], py[1] - py[0]);
    const double dy = std::hypot(px[2] - px[0], py[2] - py[0]);
    info_.pixel_size_m = std::isfinite(dx + dy) ? 0.5 * (dx + dy) : 0.0;
  }

  // Direct reads when the source already lies on the grid's lattice.
  const bool same_crs = src_crs.same_as(grid_crs);
  const double cell = grid.cell_size();
  if (same_crs && gt[2] == 0 && gt[4] == 0 && std::abs(gt[1] - cell) < 1e-9 * cell &&
      std::abs(gt[5] + cell) < 1e-9 * cell) {
    const double ox = (grid.xmin() - gt[0]) / cell;
    const double oy = (gt[3] - grid.ymax()) / cell;
    if (std::abs(ox - std::round(ox)) < 1e-6 && std::abs(oy - std::round(oy)) < 1e-6) {
      direct_col_offset_ = std::llround(ox);
      direct_row_offset_ = std::llround(oy);
      info_.resampled = false;
      return;
    }
  }

  // Otherwise: a warped VRT on the grid. A band other than 1 is first picked
  // out with a VRT of its own, since the warper works on whole datasets.
  GDALDatasetH input = source_.get();
  if (bands > 1) {
    GdalArgs targs;
    targs.add("-of").add("VRT").add("-b").add(std::to_string(band));
    GDALTranslateOptions* topts = GDALTranslateOptionsNew(targs.argv(), nullptr);
    int err = 0;
    band_vrt_.reset(GDALTranslate("", source_.get(), topts, &err));
    GDALTranslateOptionsFree(topts);
    if (!band_vrt_) throw core::InputError(what_ + ": cannot select band " + std::to_string(band) + " of '" +
                                          path.string() + "': " + core::last_gdal_error());
    input = band_vrt_.get();
  }
  const Extent e = grid.extent();
  GdalArgs args;
  args.add("-of").add("VRT").add("-t_srs").add(grid.crs_wkt());
  args.add("-te").add(fmt(e.xmin)).add(fmt(e.ymin)).add(fmt(e.xmax)).add(fmt(e.ymax));
  args.add("-ts").add(std::to_string(grid.cols())).add(std::to_string(grid.rows()));
  args.add("-r").add(to_string(resampling)).add("-ot").add("Float32").add("-dstnodata").add("nan");
  if (nodata_) args.add("-srcnodata").add(fmt(*nodata_));
  GDALWarpAppOptions* wopts = GDALWarpAppOptionsNew(args.argv(), nullptr);
  if (!wopts) {
    throw core::InternalError(what_ + ": invalid warp options: " + core::last_gdal_error());
  }
  int usage_error = 0;
  warped_.reset(GDALWarp("", nullptr, 1, &input, wopts, &usage_error));
  GDALWarpAppOptionsFree(wopts);
  if (!warped_) {
    throw core::InputError(what_ + ": cannot warp '" + path.string() + "' onto the analysis grid: " +
                           core::last_gdal_error());
  }
}

void RasterSource::read_rows(std::size_t row0, std::size_t nrows, float* out) const {
  const std::size_t cols = grid_.cols();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  if (warped_) {
    CPLErrorReset();
    GDALRasterBandH b = GDALGetRasterBand(warped_.get(), 1);
    if (GDALRasterIO(b, GF_Read, 0, static_cast<int>(row0), static_cast<int>(cols), static_cast<int>(nrows), out,
                     static_cast<int>(cols), static_cast<int>(nrows), GDT_Float32, 0, 0) != CE_None)
      throw core::InputError(what_ + ": reading '" + info_.path.string() + "' failed: " + core::last_gdal_error());
    return;
  }
  std::fill(out, out + nrows * cols, nan);
  // Window of the source that overlaps these grid rows.
  const long long sx0 = std::max<long long>(0, direct_col_offset_);
  const long long sx1 = std::min<long long>(static_cast<long long>(info_.width),
                                            direct_col_offset_ + static_cast<long long>(cols));
  const long long sy0 = std::max<long long>(0, direct_row_offset_ + static_cast<long long>(row0));
  const long long sy1 = std::min<long long>(static_cast<long long>(info_.height),
                                            direct_row_offset_ + static_cast<long long>(row0 + nrows));
  if (sx1 <= sx0 || sy1 <= sy0) return;
  const long long gx0 = sx0 - direct_col_offset_;
  const long long gy0 = sy0 - direct_row_offset_ - static_cast<long long>(row0);
  float* dst = out + static_cast<std::size_t>(gy0) * cols + static_cast<std::size_t>(gx0);
  CPLErrorReset();
  GDALRasterBandH b = GDALGetRasterBand(source_.get(), band_);
  if (GDALRasterIO(b, GF_Read, static_cast<int>(sx0), static_cast<int>(sy0), static_cast<int>(sx1 - sx0),
                   static_cast<int>(sy1 - sy0), dst, static_cast<int>(sx1 - sx0), static_cast<int>(sy1 - sy0),
                   GDT_Float32, 0, static_cast<GSpacing>(cols * sizeof(float))) != CE_None)
    throw core::InputError(what_ + ": reading '" + info_.path.string() + "' failed: " + core::last_gdal_error());
  if (nodata_) {
    const float nd = static_cast<float>(*nodata_);
    for (long long r = 0; r < sy1 - sy0; ++r) {
      float* row = dst + static_cast<std::size_t>(r) * cols;
      for (long long c = 0; c < sx1 - sx0; ++c)
        if (row[c] == nd) row[c] = nan;
    }
  }
}

}  // namespace relocplan::raster
