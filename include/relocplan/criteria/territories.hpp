#pragma once
// Village territories: the land each village lives from.
//
// Given polygons (a village-boundary layer joined by id) are used where they
// exist; otherwise the village's Voronoi (Thiessen) cell among all village
// points, clipped to its county's polygon (when counties are given, else the
// study area) and to a circle of the maximum radius.

#include <string>
#include <vector>

#include "relocplan/raster/grid.hpp"
#include "relocplan/vector/geos.hpp"
#include "relocplan/vector/thematic.hpp"
#include "relocplan/vector/villages.hpp"

namespace relocplan::criteria {

struct Territory {
  vector::GeomPtr geometry;  // Polygon or MultiPolygon in the working CRS; may be empty
  std::string method;        // "given", "voronoi"
  double area_m2 = 0;
};

struct TerritoryResult {
  std::vector<Territory> territories;  // one per village, same order
  std::vector<std::string> warnings;
};

TerritoryResult build_territories(GEOSContextHandle_t ctx, const std::vector<vector::Village>& villages,
                                  const raster::Extent& study_area, double max_radius_m,
                                  const vector::Features* counties, const vector::Features* given);

}  // namespace relocplan::criteria
