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

  // Voronoi cells of the village points (distinct locations), within a frame
  // well beyond the study area so that no cell is cut by the diagram's edge.
  // With counties, each county's villages get a diagram of their own, so that
  // the cells fill their county up to its border instead of leaving the land
  // across it to nobody.
  const raster::Extent frame = study_area.expanded(10 * max_radius_m + study_area.width() + study_area.height());
  vector::GeomPtr env = rectangle(ctx, frame);
  std::vector<vector::GeomPtr> cell_of(n);
  auto voronoi = [&](const std::vector<std::size_t>& members) {
    if (members.size() < 2) return;  // a lone village keeps its circle
    std::vector<GEOSGeometry*> points;
    for (std::size_t i : members) points.push_back(GEOSGeom_createPointFromXY_r(ctx, villages[i].x, villages[i].y));
    vector::GeomPtr multipoint = vector::wrap(
        ctx, GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOINT, points.data(), static_cast<unsigned>(points.size())));
    vector::GeomPtr diagram = vector::wrap(ctx, GEOSVoronoiDiagram_r(ctx, multipoint.get(), env.get(), 0.0, 0));
    if (!diagram) throw core::InternalError("GEOS failed to build the Voronoi diagram of the villages");
    // Match cells to villages: a cell holds one distinct location (villages
    // at the same spot share it).
    GEOSSTRtree* tree = GEOSSTRtree_create_r(ctx, 10);
    std::vector<std::size_t> ids(members.size());
    for (std::size_t k = 0; k < members.size(); ++k) {
      ids[k] = k;
      GEOSSTRtree_insert_r(ctx, tree, GEOSGetGeometryN_r(ctx, multipoint.get(), static_cast<int>(k)), &ids[k]);
    }
    const int cells = GEOSGetNumGeometries_r(ctx, diagram.get());
    for (int c = 0; c < cells; ++c) {
      const GEOSGeometry* cell = GEOSGetGeometryN_r(ctx, diagram.get(), c);
      const GEOSPreparedGeometry* prep = GEOSPrepare_r(ctx, cell);
      struct Query {
        GEOSContextHandle_t ctx;
        const GEOSPreparedGeometry* prep;
        const GEOSGeometry* cell;
        const GEOSGeometry* mp;
        const std::vector<std::size_t>* members;
        std::vector<vector::GeomPtr>* cell_of;
      } q{ctx, prep, cell, multipoint.get(), &members, &cell_of};
      GEOSSTRtree_query_r(
          ctx, tree, cell,
          [](void* item, void* data) {
            auto* qq = static_cast<Query*>(data);
            const std::size_t k = *static_cast<std::size_t*>(item);
            auto& slot = (*qq->cell_of)[(*qq->members)[k]];
            if (!slot &&
                GEOSPreparedIntersects_r(qq->ctx, qq->prep, GEOSGetGeometryN_r(qq->ctx, qq->mp, static_cast<int>(k))) == 1)
              slot = vector::wrap(qq->ctx, GEOSGeom_clone_r(qq->ctx, qq->cell));
          },
          &q);
      GEOSPreparedGeom_destroy_r(ctx, prep);
    }
    GEOSSTRtree_destroy_r(ctx, tree);
  };
  {
    std::map<std::string, std::vector<std::size_t>> groups;  // by county when counties are given
    for (std::size_t i = 0; i < n; ++i) {
      if (given && given_by_id.count(villages[i].id)) continue;
      groups[counties ? villages[i].county.value_or("") : std::string()].push_back(i);
    }
    for (const auto& [county, members] : groups) voronoi(members);
  }

  std::map<std::string, std::size_t> county_by_name;
  if (counties)
    for (std::size_t i = 0; i < counties->size(); ++i) county_by_name.emplace(counties->attrs[i].at("name"), i);
  vector::GeomPtr area_box = rectangle(ctx, study_area);
  // Clip polygons prepared once: a territory wholly inside its county (most
  // are) needs no overlay with the county's long boundary, whose cost would
  // otherwise be paid once per village.
  std::map<const GEOSGeometry*, const GEOSPreparedGeometry*> prepared;
  struct PreparedDeleter {
    GEOSContextHandle_t ctx;
    std::map<const GEOSGeometry*, const GEOSPreparedGeometry*>* p;
    ~PreparedDeleter() {
      for (auto& [g, pg] : *p) GEOSPreparedGeom_destroy_r(ctx, pg);
    }
  } release{ctx, &prepared};
  auto clip_to = [&](vector::GeomPtr shape, const GEOSGeometry* clip) {
    auto it = prepared.find(clip);
    if (it == prepared.end()) it = prepared.emplace(clip, GEOSPrepare_r(ctx, clip)).first;
    if (it->second && GEOSPreparedContains_r(ctx, it->second, shape.get()) == 1) return shape;
    return intersect(ctx, shape.get(), clip);
  };
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
    vector::GeomPtr shape = cell_of[i] ? intersect(ctx, cell_of[i].get(), circle.get()) : std::move(circle);
    const GEOSGeometry* clip = area_box.get();
    if (counties) {
      auto it = v.county ? county_by_name.find(*v.county) : county_by_name.end();
      if (it != county_by_name.end()) clip = counties->geoms[it->second].get();
      else no_county.push_back(v.id);
    }
    t.geometry = clip_to(std::move(shape), clip);
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
