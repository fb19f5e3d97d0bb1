// The polygons of the site patches: the label raster (expanded from the runs
// of suitable cells as GDAL reads it) polygonised with GDAL,
// each patch's polygons united into one valid geometry, and its small holes
// filled.

#include <gdal.h>
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogr_api.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "relocplan/core/error.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/raster/gdal_handles.hpp"
#include "relocplan/sites/geos_util.hpp"
#include "relocplan/sites/patch_steps.hpp"

namespace relocplan::sites {

using vector::GeomPtr;

namespace {

struct OgrFieldDeleter {
  void operator()(void* f) const noexcept {
    if (f) OGR_Fld_Destroy(static_cast<OGRFieldDefnH>(f));
  }
};
struct OgrFeatureDeleter {
  void operator()(void* f) const noexcept {
    if (f) OGR_F_Destroy(static_cast<OGRFeatureH>(f));
  }
};
struct WkbReaderDeleter {
  GEOSContextHandle_t ctx = nullptr;
  void operator()(GEOSWKBReader* r) const noexcept {
    if (r) GEOSWKBReader_destroy_r(ctx, r);
  }
};

// Area enclosed by a ring (shoelace), relative to its first vertex so that
// large projected coordinates do not cost precision.
double ring_area(GEOSContextHandle_t ctx, const GEOSGeometry* ring) {
  const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
  unsigned int n = 0;
  if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &n)) throw core::InternalError("GEOS failed to read a ring");
  if (n < 4) return 0;
  double x0 = 0, y0 = 0;
  if (!GEOSCoordSeq_getXY_r(ctx, seq, 0, &x0, &y0)) throw core::InternalError("GEOS failed to read a ring");
  double twice = 0, px = 0, py = 0;
  for (unsigned int i = 1; i < n; ++i) {
    double x = 0, y = 0;
    if (!GEOSCoordSeq_getXY_r(ctx, seq, i, &x, &y)) throw core::InternalError("GEOS failed to read a ring");
    x -= x0;
    y -= y0;
    twice += px * y - x * py;
    px = x;
    py = y;
  }
  return std::abs(twice) / 2;
}

// One valid Polygon/MultiPolygon of the patch's polygons, with `method`
// repairing invalid ones.
GeomPtr unite_polygons(GEOSContextHandle_t ctx, const std::vector<GeomPtr>& parts, GEOSMakeValidMethods method) {
  std::vector<GeomPtr> fixed;
  fixed.reserve(parts.size());
  for (const GeomPtr& p : parts)
    fixed.push_back(is_valid(ctx, p.get()) ? clone(ctx, p.get()) : make_valid_polygonal(ctx, p.get(), method));
  if (fixed.size() == 1) return valid_polygonal(ctx, std::move(fixed.front()));
  std::vector<GEOSGeometry*> raw;
  raw.reserve(fixed.size());
  for (GeomPtr& p : fixed) raw.push_back(p.release());
  GeomPtr all = checked(ctx,
                        GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, raw.data(),
                                                    static_cast<unsigned>(raw.size())),
                        "collect the polygons of a patch");
  GeomPtr united = checked(ctx, GEOSUnaryUnion_r(ctx, all.get()), "unite the polygons of a patch");
  return valid_polygonal(ctx, polygonal_part(ctx, united.get()));
}

// The patch labels as a read-only raster band that GDAL reads row by row:
// each row is expanded from the runs on request (one-row blocks, cached by
// GDAL's block cache like any band's), so no label raster exists in memory.
class RunLabelBand final : public GDALRasterBand {
 public:
  RunLabelBand(GDALDataset* ds, const SuitableRuns& runs, const std::vector<std::int32_t>& labels)
      : runs_(runs), labels_(labels) {
    poDS = ds;
    nBand = 1;
    eDataType = GDT_Int32;
    eAccess = GA_ReadOnly;
    nRasterXSize = ds->GetRasterXSize();
    nRasterYSize = ds->GetRasterYSize();
    nBlockXSize = nRasterXSize;
    nBlockYSize = 1;
  }
  double GetNoDataValue(int* has) override {
    if (has) *has = TRUE;
    return 0;
  }

 protected:
  CPLErr IReadBlock(int /*block_x*/, int block_y, void* image) override {
    auto* out = static_cast<std::int32_t*>(image);
    std::fill(out, out + nBlockXSize, 0);
    const auto r = static_cast<std::size_t>(block_y);
    for (std::size_t k = runs_.row_begin(r); k < runs_.row_begin(r + 1); ++k)
      if (labels_[k] != 0) std::fill(out + runs_.begin(k), out + runs_.end(k), labels_[k]);
    return CE_None;
  }

 private:
  const SuitableRuns& runs_;
  const std::vector<std::int32_t>& labels_;
};

class RunLabelDataset final : public GDALDataset {
 public:
  RunLabelDataset(const raster::Grid& grid, const SuitableRuns& runs, const std::vector<std::int32_t>& labels)
      : geotransform_(grid.geotransform()) {
    nRasterXSize = static_cast<int>(grid.cols());
    nRasterYSize = static_cast<int>(grid.rows());
    SetBand(1, new RunLabelBand(this, runs, labels));
  }
  CPLErr GetGeoTransform(double* transform) override {
    std::copy(geotransform_.begin(), geotransform_.end(), transform);
    return CE_None;
  }

 private:
  std::array<double, 6> geotransform_;
};

}  // namespace

std::vector<std::vector<GeomPtr>> polygonize_labels(GEOSContextHandle_t ctx, const raster::Grid& grid,
                                                     const SuitableRuns& runs, const std::vector<std::int32_t>& labels,
                                                     std::int32_t count, core::Progress* progress, double lo, double hi) {
  constexpr auto int_max = static_cast<std::size_t>(INT_MAX);
  if (grid.rows() > int_max || grid.cols() > int_max)
    throw core::InputError("site patches: the analysis grid (" + std::to_string(grid.rows()) + " x " +
                           std::to_string(grid.cols()) + " cells) is too large for GDAL's raster size");
  if (labels.size() != runs.size() || runs.rows() != grid.rows() || runs.cols() != grid.cols())
    throw core::InternalError("site patches: " + std::to_string(labels.size()) + " labels for " +
                              std::to_string(runs.size()) + " runs");
  GDALDriverH mem_vector = GDALGetDriverByName("Memory");
  if (!mem_vector)
    throw core::InternalError("GDAL's Memory driver is not registered (GDALAllRegister was not called)");

  // The label raster, expanded row by row from the runs as GDAL reads it.
  RunLabelDataset ds(grid, runs, labels);
  GDALRasterBandH band = GDALGetRasterBand(&ds, 1);
  if (!band) throw core::InternalError("cannot access the patch label band: " + core::last_gdal_error());
  // Label 0 (not suitable, or dropped) is nodata, so the band's nodata mask
  // keeps it out of the polygons.
  GDALRasterBandH mask = GDALGetMaskBand(band);
  if (!mask) throw core::InternalError("cannot get the mask of the patch labels: " + core::last_gdal_error());

  raster::DatasetPtr vds(GDALCreate(mem_vector, "patches", 0, 0, 0, GDT_Unknown, nullptr));
  if (!vds) throw core::InternalError("cannot create an in-memory layer for patch polygons: " + core::last_gdal_error());
  OGRLayerH layer = GDALDatasetCreateLayer(vds.get(), "patches", nullptr, wkbPolygon, nullptr);
  if (!layer) throw core::InternalError("cannot create the patch polygon layer: " + core::last_gdal_error());
  {
    std::unique_ptr<void, OgrFieldDeleter> field(OGR_Fld_Create("label", OFTInteger));
    if (!field || OGR_L_CreateField(layer, static_cast<OGRFieldDefnH>(field.get()), TRUE) != OGRERR_NONE)
      throw core::InternalError("cannot create the label field of the patch polygons: " + core::last_gdal_error());
  }

  // "8CONNECTED=8": cells touching at a corner join one polygon, as in label_components.
  const char* options[] = {"8CONNECTED=8", nullptr};
  core::Progress::Span span{progress, lo, lo + (hi - lo) * 0.9};
  CPLErrorReset();
  const CPLErr err = GDALPolygonize(band, mask, layer, 0, const_cast<char**>(options),
                                    progress ? core::Progress::gdal_span_callback : nullptr,
                                    progress ? &span : nullptr);
  if (err != CE_None) {
    if (progress && progress->cancel().requested()) throw core::Cancelled();
    throw core::InternalError("polygonising the suitable patches failed: " + core::last_gdal_error());
  }

  std::vector<std::vector<GeomPtr>> polygons(static_cast<std::size_t>(count) + 1);
  std::unique_ptr<GEOSWKBReader, WkbReaderDeleter> reader(GEOSWKBReader_create_r(ctx), WkbReaderDeleter{ctx});
  if (!reader) throw core::InternalError("GEOS failed to create a WKB reader");
  const GIntBig features = OGR_L_GetFeatureCount(layer, TRUE);
  GIntBig done = 0;
  std::vector<unsigned char> wkb;
  OGR_L_ResetReading(layer);
  for (;;) {
    std::unique_ptr<void, OgrFeatureDeleter> feature(OGR_L_GetNextFeature(layer));
    if (!feature) break;
    const auto f = static_cast<OGRFeatureH>(feature.get());
    const int label = OGR_F_GetFieldAsInteger(f, 0);
    if (label <= 0 || label > count)
      throw core::InternalError("polygonising the patches gave a polygon of unknown label " + std::to_string(label));
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (!g) throw core::InternalError("polygonising the patches gave a feature without geometry");
    wkb.resize(OGR_G_WkbSizeEx(g));
    if (OGR_G_ExportToIsoWkb(g, wkbNDR, wkb.data()) != OGRERR_NONE)
      throw core::InternalError("cannot export a patch polygon as WKB: " + core::last_gdal_error());
    polygons[static_cast<std::size_t>(label)].push_back(
        checked(ctx, GEOSWKBReader_read_r(ctx, reader.get(), wkb.data(), wkb.size()), "read a patch polygon"));
    if (progress && (++done & 1023) == 0 && features > 0)
      progress->update(lo + (hi - lo) * (0.9 + 0.1 * static_cast<double>(done) / static_cast<double>(features)));
  }
  return polygons;
}

GeomPtr unite_patch(GEOSContextHandle_t ctx, const std::vector<GeomPtr>& parts, double cells_m2, std::size_t label) {
  const auto exact = [&](const GeomPtr& g) { return std::abs(area_of(ctx, g.get()) - cells_m2) <= 1e-9 * cells_m2; };
  GeomPtr patch = unite_polygons(ctx, parts, GEOS_MAKE_VALID_STRUCTURE);
  if (exact(patch)) return patch;
  patch = unite_polygons(ctx, parts, GEOS_MAKE_VALID_LINEWORK);
  if (exact(patch)) return patch;
  throw core::InternalError("site patches: the polygon of patch " + std::to_string(label) + " covers " +
                            std::to_string(area_of(ctx, patch.get())) + " m2, its cells " +
                            std::to_string(cells_m2) + " m2");
}

GeomPtr fill_small_holes(GEOSContextHandle_t ctx, const GEOSGeometry* g, double min_hole_m2,
                         std::vector<GeomPtr>& filled) {
  const int parts = count_parts(ctx, g);
  std::vector<GeomPtr> polygons;
  bool changed = false;
  for (int p = 0; p < parts; ++p) {
    const GEOSGeometry* poly = part_of(ctx, g, p);
    const int holes = GEOSGetNumInteriorRings_r(ctx, poly);
    if (holes < 0) throw core::InternalError("GEOS failed to count the holes of a polygon");
    const GEOSGeometry* shell = GEOSGetExteriorRing_r(ctx, poly);
    if (!shell) throw core::InternalError("GEOS failed to access a polygon's shell");
    std::vector<GeomPtr> kept;
    for (int h = 0; h < holes; ++h) {
      const GEOSGeometry* ring = GEOSGetInteriorRingN_r(ctx, poly, h);
      if (!ring) throw core::InternalError("GEOS failed to access a polygon's hole");
      if (ring_area(ctx, ring) < min_hole_m2) {
        changed = true;
        GeomPtr ring_copy = clone(ctx, ring);
        filled.push_back(
            checked(ctx, GEOSGeom_createPolygon_r(ctx, ring_copy.release(), nullptr, 0), "build a hole polygon"));
      } else {
        kept.push_back(clone(ctx, ring));
      }
    }
    GeomPtr shell_copy = clone(ctx, shell);
    std::vector<GEOSGeometry*> raw;
    raw.reserve(kept.size());
    for (GeomPtr& k : kept) raw.push_back(k.release());
    polygons.push_back(checked(ctx,
                               GEOSGeom_createPolygon_r(ctx, shell_copy.release(), raw.data(),
                                                        static_cast<unsigned>(raw.size())),
                               "rebuild a polygon without its small holes"));
  }
  if (!changed) return clone(ctx, g);
  GeomPtr out = assemble(ctx, std::move(polygons));
  // A part of the patch may sit inside a filled hole of another part
  // (touching it at a corner): the filled part now covers it, so the parts
  // are dissolved into one valid geometry.
  if (parts > 1 && !is_valid(ctx, out.get()))
    out = checked(ctx, GEOSUnaryUnion_r(ctx, out.get()), "dissolve a patch after filling holes");
  return valid_polygonal(ctx, std::move(out));
}

}  // namespace relocplan::sites
