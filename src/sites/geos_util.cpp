// GEOS helpers for building site polygons (see geos_util.hpp): checked calls,
// parts of collections, envelopes, and repair into valid (multi)polygons.

#include "relocplan/sites/geos_util.hpp"

#include <memory>
#include <string>
#include <utility>

#include "relocplan/core/error.hpp"

namespace relocplan::sites {

using vector::GeomPtr;
using vector::wrap;

namespace {

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

struct MakeValidParamsDeleter {
  GEOSContextHandle_t ctx = nullptr;
  void operator()(GEOSMakeValidParams* p) const noexcept {
    if (p) GEOSMakeValidParams_destroy_r(ctx, p);
  }
};

}  // namespace

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

const GEOSGeometry* part_of(GEOSContextHandle_t ctx, const GEOSGeometry* g, int i) {
  const GEOSGeometry* p = GEOSGetGeometryN_r(ctx, g, i);
  if (!p) throw core::InternalError("GEOS failed to access a part of a geometry");
  return p;
}

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

GeomPtr polygonal_part(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  const int type = GEOSGeomTypeId_r(ctx, g);
  if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) return clone(ctx, g);
  std::vector<GeomPtr> polygons;
  collect_polygons(ctx, g, polygons);
  return assemble(ctx, std::move(polygons));
}

GeomPtr make_valid_polygonal(GEOSContextHandle_t ctx, const GEOSGeometry* g, GEOSMakeValidMethods method) {
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

}  // namespace relocplan::sites
