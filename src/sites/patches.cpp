#include "relocplan/sites/patches.hpp"

#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "relocplan/core/error.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/raster/gdal_handles.hpp"

namespace relocplan::sites {

namespace {

using vector::GeomPtr;
using vector::wrap;

// ---------------------------------------------------------------------------
// Connected components

// Root of `x` in the union-find forest, halving the path on the way.
std::int32_t find_root(std::vector<std::int32_t>& parent, std::int32_t x) {
  while (parent[static_cast<std::size_t>(x)] != x) {
    const std::int32_t grand = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(x)])];
    parent[static_cast<std::size_t>(x)] = grand;
    x = grand;
  }
  return x;
}

// Joins the sets of a and b; the smaller provisional label becomes the root
// (any rule would do: final numbering happens in a separate scan).
void unite(std::vector<std::int32_t>& parent, std::int32_t a, std::int32_t b) {
  a = find_root(parent, a);
  b = find_root(parent, b);
  if (a < b)
    parent[static_cast<std::size_t>(b)] = a;
  else if (b < a)
    parent[static_cast<std::size_t>(a)] = b;
}

// ---------------------------------------------------------------------------
// GEOS helpers. Every GEOS call that can fail is checked: a null or an
// exception code means a library failure, reported as core::InternalError.

GeomPtr checked(GEOSContextHandle_t ctx, GEOSGeometry* g, const char* what) {
  if (!g) throw core::InternalError(std::string("GEOS failed to ") + what + " while building site polygons");
  return wrap(ctx, g);
}

GeomPtr clone(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  return checked(ctx, GEOSGeom_clone_r(ctx, g), "copy a geometry");
}

bool is_valid(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  const char r = GEOSisValid_r(ctx, g);
  if (r == 2) throw core::InternalError("GEOS failed to check the validity of a site polygon");
  return r == 1;
}

bool is_empty(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  const char r = GEOSisEmpty_r(ctx, g);
  if (r == 2) throw core::InternalError("GEOS failed to test a site polygon for emptiness");
  return r == 1;
}

double area_of(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  double a = 0;
  if (!GEOSArea_r(ctx, g, &a)) throw core::InternalError("GEOS failed to compute the area of a site polygon");
  return a;
}

int count_parts(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  const int n = GEOSGetNumGeometries_r(ctx, g);
  if (n < 0) throw core::InternalError("GEOS failed to count the parts of a geometry");
  return n;
}

// For a Polygon, part 0 is the polygon itself (GEOS treats a single geometry
// as a collection of one).
const GEOSGeometry* part_of(GEOSContextHandle_t ctx, const GEOSGeometry* g, int i) {
  const GEOSGeometry* p = GEOSGetGeometryN_r(ctx, g, i);
  if (!p) throw core::InternalError("GEOS failed to access a part of a geometry");
  return p;
}

struct Envelope {
  double minx = 0, miny = 0, maxx = 0, maxy = 0;
  Envelope expanded(double m) const { return {minx - m, miny - m, maxx + m, maxy + m}; }
  bool intersects(const Envelope& o) const {
    return minx <= o.maxx && o.minx <= maxx && miny <= o.maxy && o.miny <= maxy;
  }
  Envelope united(const Envelope& o) const {
    return {std::min(minx, o.minx), std::min(miny, o.miny), std::max(maxx, o.maxx), std::max(maxy, o.maxy)};
  }
};

// Envelope of a non-empty geometry.
Envelope envelope_of(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  Envelope e;
  if (!GEOSGeom_getXMin_r(ctx, g, &e.minx) || !GEOSGeom_getYMin_r(ctx, g, &e.miny) ||
      !GEOSGeom_getXMax_r(ctx, g, &e.maxx) || !GEOSGeom_getYMax_r(ctx, g, &e.maxy))
    throw core::InternalError("GEOS failed to compute the envelope of a site polygon");
  return e;
}

GeomPtr rectangle(GEOSContextHandle_t ctx, const Envelope& e) {
  return checked(ctx, GEOSGeom_createRectangle_r(ctx, e.minx, e.miny, e.maxx, e.maxy), "create a rectangle");
}

GeomPtr empty_multipolygon(GEOSContextHandle_t ctx) {
  return checked(ctx, GEOSGeom_createEmptyCollection_r(ctx, GEOS_MULTIPOLYGON), "create an empty geometry");
}

// Collects the polygons of `g` (of any type, nested collections too).
void collect_polygons(GEOSContextHandle_t ctx, const GEOSGeometry* g, std::vector<GeomPtr>& out) {
  const int type = GEOSGeomTypeId_r(ctx, g);
  if (type == -1) throw core::InternalError("GEOS failed to read a geometry's type");
  if (type == GEOS_POLYGON) {
    if (!is_empty(ctx, g)) out.push_back(clone(ctx, g));
  } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
    const int n = count_parts(ctx, g);
    for (int i = 0; i < n; ++i) collect_polygons(ctx, part_of(ctx, g, i), out);
  }
  // Points and lines (collapsed parts) carry no area: left out.
}

// A Polygon (one part) or MultiPolygon (several, or none) made of `polygons`.
GeomPtr assemble(GEOSContextHandle_t ctx, std::vector<GeomPtr> polygons) {
  if (polygons.empty()) return empty_multipolygon(ctx);
  if (polygons.size() == 1) return std::move(polygons.front());
  std::vector<GEOSGeometry*> raw;
  raw.reserve(polygons.size());
  for (GeomPtr& p : polygons) raw.push_back(p.release());
  // The collection takes ownership of the parts.
  return checked(ctx,
                 GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, raw.data(), static_cast<unsigned>(raw.size())),
                 "assemble a MultiPolygon");
}

// Only the polygonal parts of `g`, as a Polygon or MultiPolygon. The parts
// come from one valid geometry (an overlay or MakeValid result), so they do
// not overlap; the caller checks validity where that is not certain.
GeomPtr polygonal_part(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  const int type = GEOSGeomTypeId_r(ctx, g);
  if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) return clone(ctx, g);
  std::vector<GeomPtr> polygons;
  collect_polygons(ctx, g, polygons);
  return assemble(ctx, std::move(polygons));
}

struct MakeValidParamsDeleter {
  GEOSContextHandle_t ctx = nullptr;
  void operator()(GEOSMakeValidParams* p) const noexcept {
    if (p) GEOSMakeValidParams_destroy_r(ctx, p);
  }
};

// A valid Polygon/MultiPolygon covering the polygonal area of `g` (possibly
// empty when everything collapses). GEOS_MAKE_VALID_LINEWORK (GEOSMakeValid's
// method) keeps every region the rings enclose; GEOS_MAKE_VALID_STRUCTURE is
// several times faster on the self-touching rings GDALPolygonize makes, but
// reads rings as shells and holes, which the caller must verify.
GeomPtr make_valid_polygonal(GEOSContextHandle_t ctx, const GEOSGeometry* g,
                             GEOSMakeValidMethods method = GEOS_MAKE_VALID_LINEWORK) {
  std::unique_ptr<GEOSMakeValidParams, MakeValidParamsDeleter> params(GEOSMakeValidParams_create_r(ctx),
                                                                       MakeValidParamsDeleter{ctx});
  if (!params || !GEOSMakeValidParams_setMethod_r(ctx, params.get(), method) ||
      !GEOSMakeValidParams_setKeepCollapsed_r(ctx, params.get(), 0))
    throw core::InternalError("GEOS failed to set up polygon repair");
  GeomPtr fixed = checked(ctx, GEOSMakeValidWithParams_r(ctx, g, params.get()), "repair an invalid polygon");
  GeomPtr polygonal = polygonal_part(ctx, fixed.get());
  if (is_valid(ctx, polygonal.get())) return polygonal;
  // Several polygonal parts that touch along edges: dissolving them is valid.
  return checked(ctx, GEOSUnaryUnion_r(ctx, polygonal.get()), "dissolve repaired polygons");
}

GeomPtr valid_polygonal(GEOSContextHandle_t ctx, GeomPtr g) {
  const int type = GEOSGeomTypeId_r(ctx, g.get());
  if ((type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) && is_valid(ctx, g.get())) return g;
  GeomPtr out = make_valid_polygonal(ctx, g.get());
  if (!is_valid(ctx, out.get())) throw core::InternalError("GEOS could not repair an invalid site polygon");
  return out;
}

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

// Calls f(x1, y1, x2, y2) for every segment of every ring of a (multi)polygon.
template <typename F>
void for_each_segment(GEOSContextHandle_t ctx, const GEOSGeometry* g, F&& f) {
  const int parts = count_parts(ctx, g);
  for (int p = 0; p < parts; ++p) {
    const GEOSGeometry* poly = part_of(ctx, g, p);
    const int holes = GEOSGetNumInteriorRings_r(ctx, poly);
    if (holes < 0) throw core::InternalError("GEOS failed to count the holes of a polygon");
    for (int r = -1; r < holes; ++r) {
      const GEOSGeometry* ring = r < 0 ? GEOSGetExteriorRing_r(ctx, poly) : GEOSGetInteriorRingN_r(ctx, poly, r);
      if (!ring) throw core::InternalError("GEOS failed to access a ring");
      const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
      unsigned int n = 0;
      if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &n)) throw core::InternalError("GEOS failed to read a ring");
      double px = 0, py = 0;
      for (unsigned int i = 0; i < n; ++i) {
        double x = 0, y = 0;
        if (!GEOSCoordSeq_getXY_r(ctx, seq, i, &x, &y)) throw core::InternalError("GEOS failed to read a ring");
        if (i > 0) f(px, py, x, y);
        px = x;
        py = y;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Options

void check_option(const char* name, double value, bool zero_allowed, bool infinity_allowed) {
  const bool ok = !std::isnan(value) && (value > 0 || (zero_allowed && value == 0)) &&
                  (infinity_allowed || std::isfinite(value));
  if (!ok)
    throw core::ScenarioError(std::string("site patches: ") + name + " must be " +
                              (zero_allowed ? "zero or positive" : "positive") +
                              (infinity_allowed ? "" : " and finite") + ", got " + std::to_string(value));
}

// ---------------------------------------------------------------------------
// Polygonising the label raster

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

// The polygons of every label, indexed by label (1..count). Cells labelled 0
// are left out. GDALPolygonize with 8-connectedness gives one polygon per
// component (components never touch, not even at a corner), but nothing here
// relies on it: every polygon goes to its label's list and they are united
// later.
//
// The whole raster is polygonised at once: the labels are Int32 (4 bytes a
// cell) and the polygons of all patches live in memory together. A grid that
// does not fit in RAM would need a tiled version (polygonise blocks, then
// join the polygons of labels cut by block edges).
std::vector<std::vector<GeomPtr>> polygonize_labels(GEOSContextHandle_t ctx, const raster::Grid& grid,
                                                     std::vector<std::int32_t>& labels, std::int32_t count,
                                                     core::Progress* progress, double lo, double hi) {
  constexpr auto int_max = static_cast<std::size_t>(INT_MAX);
  if (grid.rows() > int_max || grid.cols() > int_max)
    throw core::InputError("site patches: the analysis grid (" + std::to_string(grid.rows()) + " x " +
                           std::to_string(grid.cols()) + " cells) is too large for GDAL's raster size");
  GDALDriverH mem_raster = GDALGetDriverByName("MEM");
  GDALDriverH mem_vector = GDALGetDriverByName("Memory");
  if (!mem_raster || !mem_vector)
    throw core::InternalError("GDAL's MEM and Memory drivers are not registered (GDALAllRegister was not called)");

  // A MEM band over our own label buffer: no copy of the labels.
  raster::DatasetPtr ds(GDALCreate(mem_raster, "", static_cast<int>(grid.cols()), static_cast<int>(grid.rows()), 0,
                                   GDT_Int32, nullptr));
  if (!ds) throw core::InternalError("cannot create an in-memory raster for the patch labels: " + core::last_gdal_error());
  char pointer_option[64];
  std::snprintf(pointer_option, sizeof pointer_option, "DATAPOINTER=%p", static_cast<void*>(labels.data()));
  char* band_options[] = {pointer_option, nullptr};
  if (GDALAddBand(ds.get(), GDT_Int32, band_options) != CE_None)
    throw core::InternalError("cannot wrap the patch labels as a raster band: " + core::last_gdal_error());
  std::array<double, 6> gt = grid.geotransform();
  if (GDALSetGeoTransform(ds.get(), gt.data()) != CE_None)
    throw core::InternalError("cannot set the geotransform of the patch labels: " + core::last_gdal_error());
  GDALRasterBandH band = GDALGetRasterBand(ds.get(), 1);
  if (!band) throw core::InternalError("cannot access the patch label band: " + core::last_gdal_error());
  // Label 0 (not suitable, or dropped) is nodata, so the band's nodata mask
  // keeps it out of the polygons.
  if (GDALSetRasterNoDataValue(band, 0) != CE_None)
    throw core::InternalError("cannot set nodata on the patch labels: " + core::last_gdal_error());
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

// The patch as one valid Polygon/MultiPolygon. GDALPolygonize joins cells
// that touch at a corner into one ring that touches itself, which GEOS calls
// invalid, so most patches need repair. The patch's area is known exactly
// (its cells), which checks the repair: the fast STRUCTURE method first, the
// LINEWORK method should it ever misread a ring.
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

// `g` with its holes smaller than min_hole_m2 filled; the filled holes (as
// polygons) are appended to `filled`. Edge policy: only interior rings are
// holes. Unsuitable cells enclosed by cells that touch one another only at
// corners are no polygon's hole (the parts around them meet at points, and a
// polygon's interior must be connected), so they are left unfilled.
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

// ---------------------------------------------------------------------------
// Splitting large patches

// Square blocks of `k` cells a side, their corners on the analysis grid's
// origin plus multiples of k cells. Block (i, j) is row i from the north,
// column j from the west. Edges are computed like GDAL computes cell corners
// (origin + n * cell), so a block edge that follows cell edges coincides
// exactly with the polygonised boundary there.
struct BlockLattice {
  double x0 = 0, y0 = 0, cell = 1;
  std::int64_t k = 1;
  double side() const { return static_cast<double>(k) * cell; }
  double x_of(std::int64_t j) const { return x0 + static_cast<double>(j * k) * cell; }
  double y_of(std::int64_t i) const { return y0 - static_cast<double>(i * k) * cell; }
};

struct BlockRange {
  std::int64_t i0 = 0, i1 = 0, j0 = 0, j1 = 0;  // [i0, i1) x [j0, j1)
};

struct Interval {
  double lo = 0, hi = 0;
};

struct Piece {
  GeomPtr geom;
  std::int64_t bi = 0, bj = 0;  // block
  double area = 0;
  Envelope env;
  std::size_t key = 0;  // scan-order index of the first original piece it holds
  bool alive = true;
  // Where the boundary runs along the block's west, east, north and south edges.
  std::array<std::vector<Interval>, 4> sides;
};
enum Side { west = 0, east = 1, north = 2, south = 3 };

// Narrows `r` to the blocks the envelope reaches. `slack` (in blocks) keeps
// a vertex that rounding left a hair beyond a block edge from pulling in a
// block holding nothing of the geometry.
BlockRange blocks_of(const Envelope& e, const BlockLattice& lat, BlockRange r) {
  constexpr double slack = 1e-9;
  const double side = lat.side();
  const auto lo = [](double v) { return static_cast<std::int64_t>(std::floor(v + slack)); };
  const auto hi = [](double v) { return static_cast<std::int64_t>(std::ceil(v - slack)); };
  BlockRange out;
  out.i0 = std::max(r.i0, lo((lat.y0 - e.maxy) / side));
  out.i1 = std::min(r.i1, hi((lat.y0 - e.miny) / side));
  out.j0 = std::max(r.j0, lo((e.minx - lat.x0) / side));
  out.j1 = std::min(r.j1, hi((e.maxx - lat.x0) / side));
  out.i0 = std::min(out.i0, r.i1 - 1);
  out.j0 = std::min(out.j0, r.j1 - 1);
  out.i1 = std::max(out.i1, out.i0 + 1);
  out.j1 = std::max(out.j1, out.j0 + 1);
  return out;
}

struct SplitContext {
  GEOSContextHandle_t ctx;
  BlockLattice lattice;
  double margin_m;  // how far rectangles reach beyond the geometry on uncut sides
  // Parts of a patch that touched at a corner may be up to twice the
  // simplification tolerance apart afterwards; pieces this close still count
  // as neighbours when a small piece has no neighbour along a line.
  double near_m;
  core::Progress* progress;
  double progress_at;
};

// Cuts `g` recursively along block edges until each piece lies in one
// block. Each step cuts the block range into up to kFan x kFan sub-ranges:
// an intersection with a rectangle scans the whole parent but nodes only what
// falls inside, so few levels with several cuts each are cheaper than halving
// (O(vertices x log(blocks)) either way; clipping every block from the whole
// patch would cost O(vertices x blocks)). Only the cuts lie on block edges;
// the outer sides of the clipping rectangles reach beyond the geometry, so
// rounding there cannot shave anything off.
constexpr std::int64_t kFan = 4;

void cut_into_blocks(const SplitContext& sc, GeomPtr g, BlockRange range, std::vector<Piece>& out) {
  GEOSContextHandle_t ctx = sc.ctx;
  const Envelope e = envelope_of(ctx, g.get());
  range = blocks_of(e, sc.lattice, range);
  const std::int64_t rows = range.i1 - range.i0, cols = range.j1 - range.j0;
  if (rows == 1 && cols == 1) {
    if (sc.progress) sc.progress->update(sc.progress_at);  // lets Ctrl-C stop a huge patch
    const int parts = count_parts(ctx, g.get());
    for (int p = 0; p < parts; ++p) {
      const GEOSGeometry* poly = part_of(ctx, g.get(), p);
      if (GEOSGeomTypeId_r(ctx, poly) != GEOS_POLYGON || is_empty(ctx, poly)) continue;
      Piece piece;
      piece.geom = clone(ctx, poly);
      piece.bi = range.i0;
      piece.bj = range.j0;
      piece.area = area_of(ctx, poly);
      piece.env = envelope_of(ctx, poly);
      if (piece.area > 0) out.push_back(std::move(piece));
    }
    return;
  }
  const Envelope outer = e.expanded(sc.margin_m);
  const std::int64_t row_groups = std::min(kFan, rows), col_groups = std::min(kFan, cols);
  for (std::int64_t gi = 0; gi < row_groups; ++gi) {
    for (std::int64_t gj = 0; gj < col_groups; ++gj) {
      BlockRange sub;
      sub.i0 = range.i0 + rows * gi / row_groups;
      sub.i1 = range.i0 + rows * (gi + 1) / row_groups;
      sub.j0 = range.j0 + cols * gj / col_groups;
      sub.j1 = range.j0 + cols * (gj + 1) / col_groups;
      Envelope box = outer;
      if (gi > 0) box.maxy = sc.lattice.y_of(sub.i0);
      if (gi + 1 < row_groups) box.miny = sc.lattice.y_of(sub.i1);
      if (gj > 0) box.minx = sc.lattice.x_of(sub.j0);
      if (gj + 1 < col_groups) box.maxx = sc.lattice.x_of(sub.j1);
      if (box.minx >= box.maxx || box.miny >= box.maxy) continue;  // the geometry does not reach it
      const GeomPtr rect = rectangle(ctx, box);
      const GeomPtr clipped = checked(ctx, GEOSIntersection_r(ctx, g.get(), rect.get()), "cut a patch into blocks");
      GeomPtr part = polygonal_part(ctx, clipped.get());
      if (!is_empty(ctx, part.get())) cut_into_blocks(sc, std::move(part), sub, out);
    }
  }
}

// Sorts and joins overlapping intervals.
void normalise(std::vector<Interval>& v) {
  std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) {
    return a.lo < b.lo || (a.lo == b.lo && a.hi < b.hi);
  });
  std::vector<Interval> out;
  for (const Interval& i : v) {
    if (!out.empty() && i.lo <= out.back().hi)
      out.back().hi = std::max(out.back().hi, i.hi);
    else
      out.push_back(i);
  }
  v = std::move(out);
}

// Total length two normalised interval lists have in common.
double common_length(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  double total = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const double lo = std::max(a[i].lo, b[j].lo), hi = std::min(a[i].hi, b[j].hi);
    if (hi > lo) total += hi - lo;
    if (a[i].hi < b[j].hi)
      ++i;
    else
      ++j;
  }
  return total;
}

// Records where a piece's boundary runs along its block's edges. Two pieces
// of one patch can only share a boundary line along a block edge: within a
// block they are separate polygons of one clipping result, which touch at
// most at points.
void find_sides(GEOSContextHandle_t ctx, Piece& piece, const BlockLattice& lat, double eps_m) {
  const double xw = lat.x_of(piece.bj), xe = lat.x_of(piece.bj + 1);
  const double yn = lat.y_of(piece.bi), ys = lat.y_of(piece.bi + 1);
  const auto on = [eps_m](double v, double line) { return std::abs(v - line) <= eps_m; };
  for_each_segment(ctx, piece.geom.get(), [&](double x1, double y1, double x2, double y2) {
    const Interval along_y{std::min(y1, y2), std::max(y1, y2)}, along_x{std::min(x1, x2), std::max(x1, x2)};
    if (on(x1, xw) && on(x2, xw)) piece.sides[west].push_back(along_y);
    if (on(x1, xe) && on(x2, xe)) piece.sides[east].push_back(along_y);
    if (on(y1, yn) && on(y2, yn)) piece.sides[north].push_back(along_x);
    if (on(y1, ys) && on(y2, ys)) piece.sides[south].push_back(along_x);
  });
  for (auto& s : piece.sides) normalise(s);
}

// Splits one patch geometry (area above max_site_area_m2) into pieces of at
// most one block each, then merges pieces below `small_m2` into their largest
// neighbour. Returns the surviving pieces in scan order of their first block.
std::vector<GeomPtr> split_patch(const SplitContext& sc, const raster::Grid& grid, GeomPtr patch, double small_m2) {
  GEOSContextHandle_t ctx = sc.ctx;
  const double eps_m = 1e-6 * grid.cell_size();

  std::vector<Piece> pieces;
  constexpr auto open = std::numeric_limits<std::int64_t>::max() / 4;
  cut_into_blocks(sc, std::move(patch), BlockRange{-open, open, -open, open}, pieces);
  // Scan order: block rows from the north, blocks from the west, and within
  // a block the piece reaching furthest north (then west) first.
  // (Stable: exact ties keep the deterministic order the cutting made.)
  std::stable_sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) {
    if (a.bi != b.bi) return a.bi < b.bi;
    if (a.bj != b.bj) return a.bj < b.bj;
    if (a.env.maxy != b.env.maxy) return a.env.maxy > b.env.maxy;
    return a.env.minx < b.env.minx;
  });
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    pieces[i].key = i;
    find_sides(ctx, pieces[i], sc.lattice, eps_m);
  }

  // Neighbours sharing a boundary line, with the length they share: only
  // pieces of the block to the east and to the south need checking.
  std::vector<std::map<std::size_t, double>> shared(pieces.size());
  const auto block_less = [](const Piece& p, std::pair<std::int64_t, std::int64_t> b) {
    return std::make_pair(p.bi, p.bj) < b;
  };
  const auto link = [&](std::size_t a, std::int64_t bi, std::int64_t bj, Side from, Side to) {
    auto it = std::lower_bound(pieces.begin(), pieces.end(), std::make_pair(bi, bj), block_less);
    for (; it != pieces.end() && it->bi == bi && it->bj == bj; ++it) {
      const auto b = static_cast<std::size_t>(it - pieces.begin());
      const double length = common_length(pieces[a].sides[from], it->sides[to]);
      if (length > eps_m) {
        shared[a][b] += length;
        shared[b][a] += length;
      }
    }
  };
  for (std::size_t a = 0; a < pieces.size(); ++a) {
    link(a, pieces[a].bi, pieces[a].bj + 1, east, west);
    link(a, pieces[a].bi + 1, pieces[a].bj, south, north);
  }

  const auto merge = [&](std::size_t from, std::size_t into) {
    Piece& s = pieces[from];
    Piece& t = pieces[into];
    GeomPtr united = checked(ctx, GEOSUnion_r(ctx, t.geom.get(), s.geom.get()), "merge a small site piece");
    t.geom = valid_polygonal(ctx, polygonal_part(ctx, united.get()));
    t.area = area_of(ctx, t.geom.get());
    t.env = t.env.united(s.env);
    t.key = std::min(t.key, s.key);
    for (const auto& [n, length] : shared[from]) {
      if (n == into) continue;
      shared[into][n] += length;
      shared[n].erase(from);
      shared[n][into] += length;
    }
    shared[into].erase(from);
    shared[from].clear();
    s.alive = false;
    s.geom.reset();
  };

  // Small pieces join their largest neighbour sharing a boundary line (ties:
  // the lowest piece index, i.e. first in scan order); a piece sharing no
  // line with another joins the largest piece that touches it at a point or
  // lies within near_m (a part of the patch that simplification pulled away).
  // Passes repeat until nothing changes, since a merge can leave a piece
  // still small.
  for (bool merged = true; merged;) {
    merged = false;
    for (std::size_t s = 0; s < pieces.size(); ++s) {
      if (!pieces[s].alive || pieces[s].area >= small_m2) continue;
      std::size_t best = pieces.size();
      for (const auto& [n, length] : shared[s])
        if (best == pieces.size() || pieces[n].area > pieces[best].area) best = n;
      if (best == pieces.size()) {
        const double near_m = std::max(sc.near_m, eps_m);
        const Envelope near = pieces[s].env.expanded(near_m);
        for (std::size_t n = 0; n < pieces.size(); ++n) {
          if (n == s || !pieces[n].alive || !near.intersects(pieces[n].env)) continue;
          double distance = 0;
          if (!GEOSDistance_r(ctx, pieces[s].geom.get(), pieces[n].geom.get(), &distance))
            throw core::InternalError("GEOS failed to measure the distance between site pieces");
          if (distance <= near_m && (best == pieces.size() || pieces[n].area > pieces[best].area)) best = n;
        }
      }
      if (best == pieces.size()) continue;  // isolated: dropped below if still small
      merge(s, best);
      merged = true;
    }
  }

  std::vector<Piece*> kept;
  for (Piece& p : pieces)
    if (p.alive && p.area >= small_m2) kept.push_back(&p);
  std::sort(kept.begin(), kept.end(), [](const Piece* a, const Piece* b) { return a->key < b->key; });
  std::vector<GeomPtr> out;
  out.reserve(kept.size());
  for (Piece* p : kept) out.push_back(std::move(p->geom));
  return out;
}

}  // namespace

std::vector<std::int32_t> label_components(const std::vector<std::uint8_t>& mask, std::size_t rows, std::size_t cols,
                                           std::int32_t* count) {
  if (rows != 0 && cols > std::numeric_limits<std::size_t>::max() / rows)
    throw core::InputError("label_components: a grid of " + std::to_string(rows) + " x " + std::to_string(cols) +
                           " cells is too large");
  const std::size_t cells = rows * cols;
  if (mask.size() != cells)
    throw core::InternalError("label_components: the mask holds " + std::to_string(mask.size()) +
                              " cells, the grid " + std::to_string(rows) + " x " + std::to_string(cols));
  // Every cell could start a provisional label, and labels are int32.
  if (cells >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw core::InputError("label_components: a grid of " + std::to_string(cells) +
                           " cells is too large for 32-bit patch labels");

  // Pass 1: provisional labels; the already visited neighbours of an
  // 8-connected cell are W, NW, N and NE. Equivalences go to a union-find forest.
  std::vector<std::int32_t> labels(cells, 0);
  std::vector<std::int32_t> parent{0};  // parent[0] is the background, never used
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::size_t i = r * cols + c;
      if (!mask[i]) continue;
      std::int32_t label = 0;
      const auto join = [&](std::int32_t n) {
        if (n == 0) return;
        if (label == 0)
          label = n;
        else if (n != label)
          unite(parent, label, n);
      };
      if (c > 0) join(labels[i - 1]);
      if (r > 0) {
        if (c > 0) join(labels[i - cols - 1]);
        join(labels[i - cols]);
        if (c + 1 < cols) join(labels[i - cols + 1]);
      }
      if (label == 0) {
        label = static_cast<std::int32_t>(parent.size());
        parent.push_back(label);
      }
      labels[i] = label;
    }
  }

  // Pass 2: final labels in scan order of first cells. A component's first
  // cell had no labelled neighbour, so it opened a provisional label, and the
  // scan meets it before any other cell of the component.
  std::vector<std::int32_t> final_of_root(parent.size(), 0);
  std::int32_t next = 0;
  for (std::int32_t& l : labels) {
    if (l == 0) continue;
    const auto root = static_cast<std::size_t>(find_root(parent, l));
    if (final_of_root[root] == 0) final_of_root[root] = ++next;
    l = final_of_root[root];
  }
  if (count) *count = next;
  return labels;
}

std::vector<SitePolygon> suitable_patches_to_sites(GEOSContextHandle_t ctx, const raster::Grid& grid,
                                                   const std::vector<std::uint8_t>& suitable,
                                                   const PatchOptions& options, core::Progress* progress) {
  check_option("min_area_m2", options.min_area_m2, true, false);
  check_option("min_hole_m2", options.min_hole_m2, true, false);
  check_option("max_site_area_m2", options.max_site_area_m2, false, true);
  check_option("simplify_m", options.simplify_m, true, false);
  if (suitable.size() != grid.cells())
    throw core::InternalError("site patches: the suitability mask holds " + std::to_string(suitable.size()) +
                              " cells, the grid " + std::to_string(grid.cells()));
  const auto report = [progress](double fraction) {
    if (progress) progress->update(fraction);
  };
  report(0.0);

  std::int32_t count = 0;
  std::vector<std::int32_t> labels = label_components(suitable, grid.rows(), grid.cols(), &count);
  report(0.05);

  // Cells and first cell of every label; labels are in scan order of first
  // cells, so first_cell ascends with the label.
  const auto n_labels = static_cast<std::size_t>(count) + 1;
  std::vector<std::int64_t> cells_of(n_labels, 0);
  std::vector<std::size_t> first_cell(n_labels, 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto l = static_cast<std::size_t>(labels[i]);
    if (l != 0 && cells_of[l]++ == 0) first_cell[l] = i;
  }
  // Patches below min_area are dropped by cell count, before any geometry, so
  // that simplification cannot tip a patch at the threshold either way.
  std::vector<char> keep(n_labels, 0);
  std::int64_t kept_cells = 0;
  for (std::size_t l = 1; l < n_labels; ++l) {
    keep[l] = static_cast<double>(cells_of[l]) * grid.cell_area() >= options.min_area_m2;
    if (keep[l]) kept_cells += cells_of[l];
  }
  if (kept_cells == 0) return {};
  for (std::int32_t& l : labels)
    if (l != 0 && !keep[static_cast<std::size_t>(l)]) l = 0;

  std::vector<std::vector<GeomPtr>> polygons = polygonize_labels(ctx, grid, labels, count, progress, 0.05, 0.5);
  std::vector<std::int32_t>().swap(labels);  // the labels are not needed any more

  const double tolerance_m = options.simplify_m > 0 ? options.simplify_m : grid.cell_size() / 2;
  const bool may_split = std::isfinite(options.max_site_area_m2);
  SplitContext sc{ctx, {}, grid.cell_size(), 2 * tolerance_m, progress, 0.5};
  if (may_split) {
    // The largest whole number of cells whose square fits in max_site_area,
    // so that a block never exceeds it; at least one cell.
    const double cells_per_side = std::floor(std::sqrt(options.max_site_area_m2) / grid.cell_size() + 1e-9);
    sc.lattice = BlockLattice{grid.xmin(), grid.ymax(), grid.cell_size(),
                              std::max<std::int64_t>(1, static_cast<std::int64_t>(cells_per_side))};
  }
  // Pieces of zero-ish area (rounding slivers along block edges) are never
  // sites, even with min_area 0.
  const double small_m2 = std::max(options.min_area_m2, 1e-6 * grid.cell_area());

  std::vector<char> absorbed(n_labels, 0);
  std::vector<SitePolygon> sites;
  std::int64_t done_cells = 0;
  for (std::size_t l = 1; l < n_labels; ++l) {
    if (!keep[l]) continue;
    done_cells += cells_of[l];
    const double at = 0.5 + 0.5 * static_cast<double>(done_cells) / static_cast<double>(kept_cells);
    if (absorbed[l] || polygons[l].empty()) {
      polygons[l].clear();
      continue;
    }
    GeomPtr patch = unite_patch(ctx, polygons[l], static_cast<double>(cells_of[l]) * grid.cell_area(), l);
    std::vector<GeomPtr>().swap(polygons[l]);
    if (is_empty(ctx, patch.get())) continue;

    // Holes are filled on the exact cell-edge outline, before simplification.
    std::vector<GeomPtr> filled;
    if (options.min_hole_m2 > 0) patch = fill_small_holes(ctx, patch.get(), options.min_hole_m2, filled);
    // A later patch whose first cell lies in a filled hole lies wholly in it
    // (patches are disjoint and holes follow cell edges): it is now covered by
    // this site and gets none of its own. Its label is larger, since the hole
    // lies below this patch's first row.
    for (const GeomPtr& hole : filled) {
      const Envelope e = envelope_of(ctx, hole.get());
      const auto row0 = static_cast<std::size_t>(std::max(0.0, std::floor(grid.row_f(e.maxy))));
      const auto row1 = std::min(grid.rows(), static_cast<std::size_t>(std::max(0.0, std::ceil(grid.row_f(e.miny)))));
      const double col0 = std::floor(grid.col_f(e.minx)), col1 = std::ceil(grid.col_f(e.maxx));
      auto it = std::lower_bound(first_cell.begin() + static_cast<std::ptrdiff_t>(l) + 1, first_cell.end(),
                                 row0 * grid.cols());
      for (; it != first_cell.end() && *it < row1 * grid.cols(); ++it) {
        const auto other = static_cast<std::size_t>(it - first_cell.begin());
        const std::size_t col = *it % grid.cols();
        if (!keep[other] || absorbed[other] || static_cast<double>(col) < col0 || static_cast<double>(col) >= col1)
          continue;
        const GeomPtr centre = checked(
            ctx, GEOSGeom_createPointFromXY_r(ctx, grid.x_of_col(col), grid.y_of_row(*it / grid.cols())),
            "create a cell centre");
        const char inside = GEOSContains_r(ctx, hole.get(), centre.get());
        if (inside == 2) throw core::InternalError("GEOS failed to test a patch against a filled hole");
        if (inside) absorbed[other] = 1;
      }
    }

    GeomPtr simplified =
        checked(ctx, GEOSTopologyPreserveSimplify_r(ctx, patch.get(), tolerance_m), "simplify a patch");
    // Should simplification collapse the patch, the exact outline (valid,
    // and never further than the tolerance from itself) is kept instead.
    if (GeomPtr repaired = valid_polygonal(ctx, std::move(simplified)); !is_empty(ctx, repaired.get()))
      patch = std::move(repaired);

    const double area_m2 = area_of(ctx, patch.get());
    if (!may_split || area_m2 <= options.max_site_area_m2) {
      sites.push_back(SitePolygon{std::move(patch), static_cast<int>(l), 1, area_m2});
    } else {
      sc.progress_at = at;
      std::vector<GeomPtr> pieces = split_patch(sc, grid, std::move(patch), small_m2);
      int part = 0;
      for (GeomPtr& piece : pieces) {
        GeomPtr site = valid_polygonal(ctx, std::move(piece));
        const double a = area_of(ctx, site.get());
        sites.push_back(SitePolygon{std::move(site), static_cast<int>(l), ++part, a});
      }
    }
    report(at);
  }
  report(1.0);
  return sites;
}

}  // namespace relocplan::sites
