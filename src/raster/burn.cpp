#include "relocplan/raster/burn.hpp"

#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <numeric>

#include "relocplan/core/error.hpp"
#include "relocplan/raster/gdal_handles.hpp"

namespace relocplan::raster {

namespace {

// Owned OGR geometries of one strip.
struct OgrGeometries {
  std::vector<OGRGeometryH> g;
  ~OgrGeometries() {
    for (OGRGeometryH h : g) OGR_G_DestroyGeometry(h);
  }
};

// Burns `geoms` with `values` onto rows [row0, row0 + nrows) of the grid in
// `out`, in order (a later geometry overwrites an earlier one).
void rasterize_strip(const Grid& grid, std::size_t row0, std::size_t nrows, std::uint8_t* out,
                     std::vector<OGRGeometryH>& geoms, std::vector<double>& values) {
  if (geoms.empty()) return;
  const std::size_t cols = grid.cols();
  // A MEM dataset over our own buffer: GDAL writes the burnt codes in place.
  char spec[256];
  std::snprintf(spec, sizeof spec, "MEM:::DATAPOINTER=%p,PIXELS=%zu,LINES=%zu,BANDS=1,DATATYPE=Byte",
                static_cast<void*>(out), cols, nrows);
  DatasetPtr ds(GDALOpen(spec, GA_Update));
  if (!ds) throw core::InternalError("cannot wrap a strip for rasterising: " + core::last_gdal_error());
  std::array<double, 6> gt = grid.geotransform();
  gt[3] = grid.ymax() - static_cast<double>(row0) * grid.cell_size();
  GDALSetGeoTransform(ds.get(), gt.data());
  int band = 1;
  CPLErrorReset();
  if (GDALRasterizeGeometries(ds.get(), 1, &band, static_cast<int>(geoms.size()), geoms.data(), nullptr, nullptr,
                              values.data(), nullptr, nullptr, nullptr) != CE_None)
    throw core::InternalError("rasterising polygons failed: " + core::last_gdal_error());
}

}  // namespace

PolygonBurner::PolygonBurner(GEOSContextHandle_t ctx, const vector::Features& features,
                             const std::vector<std::uint8_t>& codes, const Grid& grid)
    : ctx_(ctx), grid_(grid), what_(features.what) {
  std::vector<std::size_t> order(features.size());
  std::iota(order.begin(), order.end(), 0);
  // Burnt in ascending code order, so the highest code is drawn last and wins.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return codes[a] < codes[b]; });
  for (std::size_t i : order) {
    if (codes[i] == 0) continue;
    const GEOSGeometry* g = features.geoms[i].get();
    double xmin = 0, ymin = 0, xmax = 0, ymax = 0;
    if (!g || GEOSisEmpty_r(ctx, g) == 1 || GEOSGeom_getExtent_r(ctx, g, &xmin, &ymin, &xmax, &ymax) != 1) continue;
    items_.push_back({g, static_cast<double>(codes[i]), ymin, ymax});
  }
}

void PolygonBurner::burn(std::size_t row0, std::size_t nrows, std::uint8_t background, std::uint8_t* out) const {
  const std::size_t cols = grid_.cols();
  std::fill(out, out + nrows * cols, background);
  if (items_.empty() || nrows == 0) return;
  // The strip's extent in y, with a cell of slack for lines and points
  // burnt along their path.
  const double ytop = grid_.ymax() - static_cast<double>(row0) * grid_.cell_size() + grid_.cell_size();
  const double ybottom = grid_.ymax() - static_cast<double>(row0 + nrows) * grid_.cell_size() - grid_.cell_size();
  OgrGeometries geoms;
  std::vector<double> values;
  for (const Item& it : items_) {
    if (it.ymax < ybottom || it.ymin > ytop) continue;
    const std::string wkb = vector::to_wkb(ctx_, it.geometry);
    OGRGeometryH g = nullptr;
    if (OGR_G_CreateFromWkb(wkb.data(), nullptr, &g, static_cast<int>(wkb.size())) != OGRERR_NONE || !g)
      throw core::InternalError(what_ + ": cannot convert a feature for burning");
    geoms.g.push_back(g);
    values.push_back(it.code);
  }
  rasterize_strip(grid_, row0, nrows, out, geoms.g, values);
}

StreamedPolygonBurner::StreamedPolygonBurner(GEOSContextHandle_t ctx, const vector::ThematicStream& stream,
                                             CodeOf code_of, const Grid& grid)
    : ctx_(ctx), stream_(stream), code_of_(std::move(code_of)), grid_(grid) {}

void StreamedPolygonBurner::burn(std::size_t row0, std::size_t nrows, std::uint8_t background, std::uint8_t* out) const {
  std::fill(out, out + nrows * grid_.cols(), background);
  if (nrows == 0 || stream_.size() == 0) return;
  // The strip's extent, with a cell of slack as PolygonBurner's.
  const double cell = grid_.cell_size();
  const double ytop = grid_.ymax() - static_cast<double>(row0) * cell + cell;
  const double ybottom = grid_.ymax() - static_cast<double>(row0 + nrows) * cell - cell;
  struct Coded {
    std::uint8_t code;
    std::size_t order;
    OGRGeometryH g;
  };
  std::vector<Coded> coded;
  OgrGeometries owned;
  stream_.read_box(grid_.xmin() - cell, ybottom, grid_.xmax() + cell, ytop,
                   [&](vector::GeomPtr g, const std::map<std::string, std::string>& attrs, long long fid) {
                     const std::uint8_t code = code_of_(attrs, fid);
                     if (code == 0 || GEOSisEmpty_r(ctx_, g.get()) == 1) return;
                     double xmin = 0, ymin = 0, xmax = 0, ymax = 0;
                     if (GEOSGeom_getExtent_r(ctx_, g.get(), &xmin, &ymin, &xmax, &ymax) != 1) return;
                     if (ymax < ybottom || ymin > ytop) return;
                     const std::string wkb = vector::to_wkb(ctx_, g.get());
                     OGRGeometryH h = nullptr;
                     if (OGR_G_CreateFromWkb(wkb.data(), nullptr, &h, static_cast<int>(wkb.size())) != OGRERR_NONE || !h)
                       throw core::InternalError(stream_.info().what + ": cannot convert a feature for burning");
                     owned.g.push_back(h);
                     coded.push_back({code, coded.size(), h});
                   });
  // Ascending code, then layer order: the highest code is drawn last and wins.
  std::sort(coded.begin(), coded.end(),
            [](const Coded& a, const Coded& b) { return a.code != b.code ? a.code < b.code : a.order < b.order; });
  std::vector<OGRGeometryH> geoms;
  std::vector<double> values;
  for (const Coded& c : coded) {
    geoms.push_back(c.g);
    values.push_back(c.code);
  }
  rasterize_strip(grid_, row0, nrows, out, geoms, values);
}

}  // namespace relocplan::raster
