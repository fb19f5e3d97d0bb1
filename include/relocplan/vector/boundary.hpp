#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "relocplan/config/scenario.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/vector/crs.hpp"
#include "relocplan/vector/geos.hpp"

namespace relocplan::vector {

struct BoundaryInfo {
  Crs crs;
  std::string layer_name;
  std::size_t features = 0;
  std::vector<std::filesystem::path> files;
};

// The envelope of every geometry of a polygon layer, transformed vertex by
// vertex into `target` (so curved edges of a reprojected box are respected).
raster::Extent boundary_extent(const std::filesystem::path& path, const std::optional<std::string>& layer,
                               const Crs& target, BoundaryInfo* info = nullptr);

// The study area's boundary polygon(s) in the working CRS: every feature of
// the layer, or those whose `boundary_field` equals `boundary_value` exactly
// (a string comparison in C++, so any value is safe). Errors name the file,
// layer, field and value: a missing field or a value that matches no feature
// is a ScenarioError.
struct BoundarySelection {
  std::string layer_name;
  std::filesystem::path path;
  std::vector<std::filesystem::path> files;   // every file of the data set (for checksums)
  std::size_t features = 0;                   // selected features
  std::optional<std::string> field, value;    // the filter, when given
  std::optional<std::string> group_field, group_value;  // and the group (province) filter
  GeomPtr geometry;                           // union of the selected polygons
  PreparedPtr prepared;
  raster::Extent extent{};                    // envelope of the selection

  // True when the point lies inside the selection or on its edge.
  bool covers(GEOSContextHandle_t ctx, double x, double y) const;
  // "layer 'counties' of 'data/layers.gpkg' where county_name = \"X\"" for messages.
  std::string describe() const;
};

BoundarySelection select_boundary(const config::StudyArea& area, const Crs& target, GEOSContextHandle_t ctx);

}  // namespace relocplan::vector
