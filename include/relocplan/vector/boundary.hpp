#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "relocplan/raster/grid.hpp"
#include "relocplan/vector/crs.hpp"

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

}  // namespace relocplan::vector
