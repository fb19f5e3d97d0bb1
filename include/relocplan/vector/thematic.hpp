#pragma once
// Thematic vector layers (hazards, reserves, roads, towns ...) read into GEOS
// geometries in the working CRS, with the attribute values of their mapped
// fields.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "relocplan/config/scenario.hpp"
#include "relocplan/vector/crs.hpp"
#include "relocplan/vector/geos.hpp"

namespace relocplan::vector {

struct Features {
  std::string what;  // "inputs.roads"
  std::filesystem::path path;
  std::string layer_name;
  Crs source_crs;
  std::vector<std::filesystem::path> files;
  std::vector<GeomPtr> geoms;                           // working CRS; invalid polygons repaired
  std::vector<std::map<std::string, std::string>> attrs;  // role -> value as text
  std::size_t repaired = 0;

  std::size_t size() const { return geoms.size(); }
};

Features read_thematic(const config::VectorInput& input, const Crs& working, GEOSContextHandle_t ctx);

}  // namespace relocplan::vector
