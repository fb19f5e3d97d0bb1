#pragma once
// GEOS helpers for building site polygons: copies, tests, areas, envelopes,
// parts of collections and polygon repair. Every GEOS call that can fail is
// checked: a null or an exception code means a library failure, reported as
// core::InternalError.

#include <geos_c.h>

#include <algorithm>
#include <vector>

#include "relocplan/vector/geos.hpp"

namespace relocplan::sites {

// `g` owned, or core::InternalError naming `what` when GEOS returned null.
vector::GeomPtr checked(GEOSContextHandle_t ctx, GEOSGeometry* g, const char* what);
vector::GeomPtr clone(GEOSContextHandle_t ctx, const GEOSGeometry* g);
bool is_valid(GEOSContextHandle_t ctx, const GEOSGeometry* g);
bool is_empty(GEOSContextHandle_t ctx, const GEOSGeometry* g);
double area_of(GEOSContextHandle_t ctx, const GEOSGeometry* g);
int count_parts(GEOSContextHandle_t ctx, const GEOSGeometry* g);
// For a Polygon, part 0 is the polygon itself (GEOS treats a single geometry
// as a collection of one).
const GEOSGeometry* part_of(GEOSContextHandle_t ctx, const GEOSGeometry* g, int i);

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
Envelope envelope_of(GEOSContextHandle_t ctx, const GEOSGeometry* g);
vector::GeomPtr rectangle(GEOSContextHandle_t ctx, const Envelope& e);

// A Polygon (one part) or MultiPolygon (several, or none) made of `polygons`.
vector::GeomPtr assemble(GEOSContextHandle_t ctx, std::vector<vector::GeomPtr> polygons);

// Only the polygonal parts of `g`, as a Polygon or MultiPolygon. The parts
// come from one valid geometry (an overlay or MakeValid result), so they do
// not overlap; the caller checks validity where that is not certain.
vector::GeomPtr polygonal_part(GEOSContextHandle_t ctx, const GEOSGeometry* g);

// A valid Polygon/MultiPolygon covering the polygonal area of `g` (possibly
// empty when everything collapses). GEOS_MAKE_VALID_LINEWORK (GEOSMakeValid's
// method) keeps every region the rings enclose; GEOS_MAKE_VALID_STRUCTURE is
// several times faster on the self-touching rings GDALPolygonize makes, but
// reads rings as shells and holes, which the caller must verify.
vector::GeomPtr make_valid_polygonal(GEOSContextHandle_t ctx, const GEOSGeometry* g,
                                     GEOSMakeValidMethods method = GEOS_MAKE_VALID_LINEWORK);

// `g` itself when it is a valid Polygon/MultiPolygon, else its repair.
vector::GeomPtr valid_polygonal(GEOSContextHandle_t ctx, vector::GeomPtr g);

}  // namespace relocplan::sites
