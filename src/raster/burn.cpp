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

PolygonBurner::PolygonBurner(GEOSContextHandle_t ctx, const vector::Features& features,
                             const std::vector<std::uint8_t>& codes, const Grid& grid)
    : grid_(grid) {
  std::vector<std::size_t> order(features.size());
  std::iota(order.begin(), order.end(), 0);
  // Burnt in ascending code order, so the highest code is drawn last and wins.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return codes[a] < codes[b]; });
  for (std::size_t i : order) {
    if (codes[i] == 0) continue;
    const std::string wkb = vector::to_wkb(ctx, features.geoms[i].get());
    OGRGeometryH g = nullptr;
    if (OGR_G_CreateFromWkb(wkb.data(), nullptr, &g, static_cast<int>(wkb.size())) != OGRERR_NONE || !g)
      throw core::InternalError(features.what + ": cannot convert feature " + std::to_string(i + 1) + " for burning");
    geoms_.push_back(g);
    codes_.push_back(codes[i]);
  }
}

PolygonBurner::~PolygonBurner() {
  for (void* g : geoms_) OGR_G_DestroyGeometry(static_cast<OGRGeometryH>(g));
}

void PolygonBurner::burn(std::size_t row0, std::size_t nrows, std::uint8_t background, std::uint8_t* out) const {
  const std::size_t cols = grid_.cols();
  std::fill(out, out + nrows * cols, background);
  if (geoms_.empty()) return;
  // A MEM dataset over our own buffer: GDAL writes the burnt codes in place.
  char spec[256];
  std::snprintf(spec, sizeof spec, "MEM:::DATAPOINTER=%p,PIXELS=%zu,LINES=%zu,BANDS=1,DATATYPE=Byte",
                static_cast<void*>(out), cols, nrows);
  DatasetPtr ds(GDALOpen(spec, GA_Update));
  if (!ds) throw core::InternalError("cannot wrap a strip for rasterising: " + core::last_gdal_error());
  std::array<double, 6> gt = grid_.geotransform();
  gt[3] = grid_.ymax() - static_cast<double>(row0) * grid_.cell_size();
  GDALSetGeoTransform(ds.get(), gt.data());
  int band = 1;
  CPLErrorReset();
  if (GDALRasterizeGeometries(ds.get(), 1, &band, static_cast<int>(geoms_.size()),
                              reinterpret_cast<OGRGeometryH*>(const_cast<void**>(geoms_.data())), nullptr, nullptr,
                              codes_.data(), nullptr, nullptr, nullptr) != CE_None)
    throw core::InternalError("rasterising polygons failed: " + core::last_gdal_error());
}

}  // namespace relocplan::raster
