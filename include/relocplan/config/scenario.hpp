#pragma once
// The scenario file: what a planner writes to describe one run. Parsed into
// plain structs and checked strictly (unknown keys, wrong types, missing
// required keys are errors naming the key and its line). Relative paths are
// resolved against the scenario file's folder.

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "relocplan/config/layer_defaults.hpp"

namespace relocplan::config {

struct VillageFields {
  std::string id;  // required
  std::optional<std::string> name, county, township, population, households, poor_households;
};

struct VillageInput {
  std::filesystem::path path;
  std::optional<std::string> layer;
  std::optional<std::string> crs;       // assigned when the data set has none, or overrides it
  std::optional<std::string> x_field;   // for CSV: coordinate columns
  std::optional<std::string> y_field;
  std::optional<std::string> encoding;  // for Shapefiles without a .cpg, e.g. "GBK"
  VillageFields fields;
};

struct DemInput {
  std::filesystem::path path;
  int band = 1;
  std::string resampling = "bilinear";
  std::optional<double> nodata;  // overrides the file's NoData value
};

enum class ExtentMode { villages, boundary, bounds };

struct StudyArea {
  ExtentMode mode = ExtentMode::villages;
  double margin_m = 2000.0;
  std::optional<std::filesystem::path> boundary_path;
  std::optional<std::string> boundary_layer;
  std::array<double, 4> bounds{};  // xmin, ymin, xmax, ymax in the working CRS
};

struct Scenario {
  std::filesystem::path file;  // absolute path of the scenario file
  std::string text;            // the file's text, stored in run_info
  std::string name;
  std::string description;
  std::string crs = "auto";  // "auto" or anything GDAL accepts ("EPSG:4545")
  double cell_size_m = 30.0;
  StudyArea study_area;
  DemInput dem;
  VillageInput villages;
  std::optional<std::filesystem::path> output;  // [output] path
  std::size_t memory_mb = 512;                  // working-memory budget for raster blocks
  LayerDefaults thresholds;                     // layer defaults with scenario overrides applied
};

// Reads and checks a scenario file. Throws ScenarioError.
Scenario load_scenario(const std::filesystem::path& file);
// The same from text (file is used for messages and relative paths).
Scenario parse_scenario(const std::string& text, const std::filesystem::path& file);

}  // namespace relocplan::config
