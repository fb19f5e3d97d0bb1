#include "relocplan/criteria/territories.hpp"

#include <map>

#include "relocplan/core/error.hpp"

namespace relocplan::criteria {

namespace {

vector::GeomPtr rectangle(GEOSContextHandle_t ctx, const raster::Extent& e) {
  return vector::wrap(ctx, GEOSGeom_createRectangle_r(ctx, e.xmin, e.ymin, e.xmax, e.ymax));
}

// Keeps only the polygonal part of a geometry (an intersection may add lines).
vector::GeomPtr polygonal(GEOSContextHandle_t ctx, vector::GeomPtr g) {
  if (!g) return g;
  const int type = GEOSGeomTypeId_r(ctx, g.get());
  if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) return g;
  if (type != GEOS_GEOMETRYCOLLECTION) return vector::wrap(ctx, GEOSGeom_createEmptyPolygon_r(ctx));
  std::vector<GEOSGeometry*> parts;
  for (int i = 0; i < GEOSGetNumGeometries_r(ctx, g.get()); ++i) {
    const GEOSGeometry* p = GEOSGetGeometryN_r(ctx, g.get(), i);
    const int t = GEOSGeomTypeId_r(ctx, p);
    if (t == GEOS_POLYGON) parts.push_back(GEOSGeom_clone_r(ctx, p));
    else if (t == GEOS_MULTIPOLYGON)
      for (int j = 0; j < GEOSGetNumGeometries_r(ctx, p); ++j) parts.push_back(GEOSGeom_clone_r(ctx, GEOSGetGeometryN_r(ctx, p, j)));
  }
  if (parts.empty()) return vector::wrap(ctx, GEOSGeom_createEmptyPolygon_r(ctx));
  return vector::wrap(ctx, GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts.data(),
                                                       static_cast<unsigned>(parts.size())));
}

vector::GeomPtr intersect(GEOSContextHandle_t ctx, const GEOSGeometry* a, const GEOSGeometry* b) {
  vector::GeomPtr r = vector::wrap(ctx, GEOSIntersection_r(ctx, a, b));
  if (!r) throw core::InternalError("GEOS failed to intersect a territory");
  return polygonal(ctx, std::move(r));
}

}  // namespace

TerritoryResult build_territories(GEOSContextHandle_t ctx, const std::vector<vector::Village>& villages,
                                  const raster::Extent& study_area, double max_radius_m,
                                  const vector::Features* counties, const vector::Features* given) {
  TerritoryResult out;
  out.territories.resize(villages.size());
  const std::size_t n = villages.size();

  // Given polygons, joined by id.
  std::map<std::string, std::size_t> given_by_id;
  if (given)
    for (std::size_t i = 0; i < given->size(); ++i) given_by_id.emplace(given->attrs[i].at("id"), i);

  // Voronoi cells of all village points (distinct locations), within a frame
  // well beyond the study area so that no cell is cut by the diagram's edge.
  std::vector<GEOSGeometry*> points;
  points.reserve(n);
  for (const auto& v : villages) points.push_back(GEOSGeom_createPointFromXY_r(ctx, v.x, v.y));
  vector::GeomPtr multipoint = vector::wrap(
      ctx, GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOINT, points.data(), static_cast<unsigned>(points.size())));
  const raster::Extent frame = study_area.expanded(10 * max_radius_m + study_area.width() + study_area.height());
  vector::GeomPtr env = rectangle(ctx, frame);
  std::vector<int> cell_of(n, -1);
  vector::GeomPtr diagram;
  if (n >= 2) {
    diagram = vector::wrap(ctx, GEOSVoronoiDiagram_r(ctx, multipoint.get(), env.get(), 0.0, 0));
    if (!diagram) throw core::InternalError("GEOS failed to build the Voronoi diagram of the villages");
    // Match cells to villages: each cell holds exactly one distinct location.
    GEOSSTRtree* tree = GEOSSTRtree_create_r(ctx, 10);
    std::vector<std::size_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) {
      ids[i] = i;
      GEOSSTRtree_insert_r(ctx, tree, GEOSGetGeometryN_r(ctx, multipoint.get(), static_cast<int>(i)), &ids[i]);
    }
    const int cells = GEOSGetNumGeometries_r(ctx, diagram.get());
    for (int c = 0; c < cells; ++c) {
      const GEOSGeometry* cell = GEOSGetGeometryN_r(ctx, diagram.get(), c);
      const GEOSPreparedGeometry* prep = GEOSPrepare_r(ctx, cell);
      struct Query {
        GEOSContextHandle_t ctx;
        const GEOSPreparedGeometry* prep;
        const GEOSGeometry* mp;
        std::vector<int>* cell_of;
        int cell;
      } q{ctx, prep, multipoint.get(), &cell_of, c};
      GEOSSTRtree_query_r(
          ctx, tree, cell,
          [](void* item, void* data) {
            auto* qq = static_cast<Query*>(data);
            const std::size_t i = *static_cast<std::size_t*>(item);
            if (GEOSPreparedIntersects_r(qq->ctx, qq->prep, GEOSGetGeometryN_r(qq->ctx, qq->mp, static_cast<int>(i))) == 1 &&
                (*qq->cell_of)[i] < 0)
              (*qq->cell_of)[i] = qq->cell;
          },
          &q);
      GEOSPreparedGeom_destroy_r(ctx, prep);
    }
    GEOSSTRtree_destroy_r(ctx, tree);
  }

  std::map<std::string, std::size_t> county_by_name;
  if (counties)
    for (std::size_t i = 0; i < counties->size(); ++i) county_by_name.emplace(counties->attrs[i].at("name"), i);
  vector::GeomPtr area_box = rectangle(ctx, study_area);
  std::vector<std::string> no_county, no_given;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& v = villages[i];
    Territory& t = out.territories[i];
    if (given) {
      auto it = given_by_id.find(v.id);
      if (it != given_by_id.end()) {
        t.geometry = polygonal(ctx, vector::wrap(ctx, GEOSGeom_clone_r(ctx, given->geoms[it->second].get())));
        t.method = "given";
        GEOSArea_r(ctx, t.geometry.get(), &t.area_m2);
        continue;
      }
      no_given.push_back(v.id);
    }
    vector::GeomPtr point = vector::wrap(ctx, GEOSGeom_createPointFromXY_r(ctx, v.x, v.y));
    vector::GeomPtr circle = vector::wrap(ctx, GEOSBuffer_r(ctx, point.get(), max_radius_m, 16));
    vector::GeomPtr shape = (diagram && cell_of[i] >= 0)
                                ? intersect(ctx, GEOSGetGeometryN_r(ctx, diagram.get(), cell_of[i]), circle.get())
                                : std::move(circle);
    const GEOSGeometry* clip = area_box.get();
    if (counties) {
      auto it = v.county ? county_by_name.find(*v.county) : county_by_name.end();
      if (it != county_by_name.end()) clip = counties->geoms[it->second].get();
      else no_county.push_back(v.id);
    }
    t.geometry = intersect(ctx, shape.get(), clip);
    t.method = "voronoi";
    GEOSArea_r(ctx, t.geometry.get(), &t.area_m2);
  }
  auto list = [](const std::vector<std::string>& ids) {
    std::string s;
    for (std::size_t i = 0; i < ids.size() && i < 15; ++i) s += (i ? ", " : "") + ids[i];
    if (ids.size() > 15) s += ", ...";
    return s;
  };
  if (!no_given.empty())
    out.warnings.push_back(std::to_string(no_given.size()) +
                           " village(s) have no polygon in inputs.territories; their Voronoi cells are used: " +
                           list(no_given));
  if (!no_county.empty())
    out.warnings.push_back(std::to_string(no_county.size()) +
                           " village(s) name a county that inputs.counties does not have; their territories are "
                           "clipped to the study area instead: " + list(no_county));
  return out;
}

}  // namespace relocplan::criteria
