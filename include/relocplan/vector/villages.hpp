#pragma once
// The village layer: any point layer OGR reads (GeoPackage, Shapefile with its
// .cpg encoding, GeoJSON, CSV with coordinate columns), in any CRS, with the
// scenario's field mapping.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "relocplan/config/scenario.hpp"
#include "relocplan/vector/crs.hpp"

namespace relocplan::vector {

// A value of an input attribute that is not one of the mapped fields; kept so
// the output carries the planner's own attributes along.
using AttributeValue = std::variant<std::monostate, std::int64_t, double, std::string>;

enum class AttributeType { integer, real, text };

struct AttributeField {
  std::string name;
  AttributeType type = AttributeType::text;
};

struct Village {
  long long source_fid = 0;
  std::string id;
  std::optional<std::string> name, county, township;
  std::optional<std::int64_t> population, households, poor_households;
  double lon = 0, lat = 0;  // geographic (the working CRS's datum), degrees
  double x = 0, y = 0;      // working CRS
  double src_x = 0, src_y = 0;  // as read, in the source CRS
  std::vector<AttributeValue> extra;
};

struct VillageLayer {
  std::filesystem::path path;
  std::string layer_name;
  std::string driver;
  Crs source_crs;
  std::vector<AttributeField> extra_fields;  // unmapped input attributes, in input order
  std::vector<Village> villages;
  std::vector<std::string> warnings;
  std::vector<std::filesystem::path> files;  // every file of the data set (for checksums)
};

// Reads the layer and checks the mapping (fields exist, ids unique, numbers
// are numbers). Coordinates stay in the source CRS; call project_villages next.
VillageLayer read_villages(const config::VillageInput& input);

// Fills lon/lat and x/y in the working CRS.
void project_villages(VillageLayer& layer, const Crs& working);

}  // namespace relocplan::vector
