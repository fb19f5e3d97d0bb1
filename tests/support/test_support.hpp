#pragma once
// Small inputs built in code for the tests: rasters, village layers, scenarios,
// temporary folders, and running the command line.

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace testsupport {

namespace fs = std::filesystem;

// A fresh folder under the system's temporary folder, removed afterwards.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// A friction surface of `cells` values for cost-distance tests: speeds drawn
// uniformly from 0.002 to 0.05 (cost per metre), a share `nodata_share` of the
// cells NaN (impassable).
std::vector<float> random_friction(std::mt19937& rng, std::size_t cells, double nodata_share);

struct RasterData {
  std::size_t rows = 0, cols = 0;
  std::array<double, 6> geotransform{};
  std::vector<float> values;
  std::optional<double> nodata;
  float at(std::size_t r, std::size_t c) const { return values[r * cols + c]; }
};

// Writes a one-band Float32 GeoTIFF in the given CRS ("EPSG:4545" or WKT; "" for none).
void write_geotiff(const fs::path& path, const RasterData& data, const std::string& crs);
// Reads band 1 of any GDAL raster ("GPKG:out.gpkg:slope" too) as float.
RasterData read_raster(const std::string& name);

// Rolling synthetic terrain: sums of sines and a ridge, deterministic, metres.
RasterData synthetic_dem(std::size_t rows, std::size_t cols, double xmin, double ymax, double cell,
                         double amplitude = 400.0);

struct TestVillage {
  std::string id;
  double x = 0, y = 0;  // in the layer's CRS
  std::string name;
  std::optional<std::int64_t> population, households, poor_households;
};

// A point layer "villages" with fields code, name, pop, hh, poor (GPKG,
// GeoJSON, Shapefile or CSV by extension; CSV gets lon/lat columns x, y).
void write_villages(const fs::path& path, const std::string& crs, const std::vector<TestVillage>& villages);

// Attribute rows of a layer, every field as text ("" for null), by field name.
std::vector<std::map<std::string, std::string>> read_features(const fs::path& path, const std::string& layer);
std::vector<std::string> layer_names(const fs::path& path);

// The sample scenario (samples/sample-county/scenario.toml) without the site
// search, the allocation and the [output] table: every other stage, in a few
// seconds instead of twenty. Its paths are relative to the sample's folder.
std::string light_sample_scenario();

// Writes text to a file.
void write_text(const fs::path& path, const std::string& text);
std::string read_text(const fs::path& path);

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs a program (no shell) and captures its output. `env` entries are NAME=VALUE.
CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// True when `dir` holds a temporary output file (a name with ".tmp").
bool has_temp_files(const fs::path& dir);

bool shared_data_present();
fs::path shared_data_dir();

}  // namespace testsupport
