#pragma once
// What each fuzz target does with one input, shared by the libFuzzer targets
// (fuzz_*.cpp) and by the unit test that replays tests/fuzz/regressions/.
//
// Each function feeds the bytes to one of relocplan's readers. An input the
// reader rejects must be rejected with relocplan's own error types
// (core::Error and its subclasses, caught here); any other exception, a
// crash, a hang or a sanitizer report is a defect.

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "relocplan/batch/batch_file.hpp"
#include "relocplan/config/scenario.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/vector/crs.hpp"
#include "relocplan/vector/villages.hpp"

namespace relocplan::fuzz {

inline void init_gdal() {
  static const bool done = [] {
    GDALAllRegister();
    CPLSetErrorHandler(CPLQuietErrorHandler);
    return true;
  }();
  (void)done;
}

// A private folder holding a valid base scenario, so that batch inputs whose
// batch.base is "base.toml" are expanded into jobs as well; removed at exit.
struct BatchFolder {
  std::filesystem::path dir, base, batch_file;
  BatchFolder() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "relocplan-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    dir = tmpl;
    base = dir / "base.toml";
    batch_file = dir / "batch.toml";
    std::ofstream(base) << "[project]\nname = \"fuzz base\"\n[grid]\ncrs = \"EPSG:4545\"\ncell_size_m = 30\n"
                           "[inputs.dem]\npath = \"dem.tif\"\n"
                           "[inputs.villages]\npath = \"villages.csv\"\ncrs = \"EPSG:4490\"\n"
                           "x_field = \"lon\"\ny_field = \"lat\"\n[inputs.villages.fields]\nid = \"code\"\n"
                           "[sites]\nweights = { slope = 1, road = 1 }\n[allocation]\ncost = \"distance\"\n";
  }
  ~BatchFolder() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// (a) The scenario reader, from text (no file is opened).
inline void scenario_input(const std::string& text) {
  try {
    config::parse_scenario(text, "/nonexistent/relocplan-fuzz/scenario.toml");
  } catch (const core::Error&) {
  }
}

// (b) The batch-file reader, and, when the batch names the base scenario of
// the private folder and splits no layer, the expansion into jobs (which
// applies every override and reads every job's scenario).
inline void batch_input(const std::string& text) {
  static BatchFolder folder;
  try {
    const batch::BatchSpec spec = batch::parse_batch(text, folder.batch_file);
    if (spec.base == folder.base && !spec.split) batch::expand_batch(spec);
  } catch (const core::Error&) {
  }
}

// (c) The village layer: the bytes as a CSV (coordinate columns lon/lat,
// EPSG:4490, as in the sample) and as a GeoJSON file in GDAL's in-memory file
// system, with every mapped field, then projected to a Gauss-Kruger zone.
inline void villages_input(const std::string& bytes) {
  init_gdal();
  static const vector::Crs working = vector::Crs::from_epsg(4545);
  std::vector<GByte> buffer(bytes.begin(), bytes.end());
  for (const bool csv : {true, false}) {
    const std::string path = csv ? "/vsimem/relocplan-fuzz/villages.csv" : "/vsimem/relocplan-fuzz/villages.geojson";
    VSIFCloseL(VSIFileFromMemBuffer(path.c_str(), buffer.data(), buffer.size(), FALSE));
    config::VillageInput input;
    input.path = path;
    if (csv) {
      input.crs = "EPSG:4490";
      input.x_field = "lon";
      input.y_field = "lat";
    }
    input.fields.id = "code";
    input.fields.name = "name";
    input.fields.county = "county";
    input.fields.township = "township";
    input.fields.population = "population";
    input.fields.households = "households";
    input.fields.poor_households = "poor_households";
    try {
      vector::VillageLayer layer = vector::read_villages(input);
      vector::project_villages(layer, working);
    } catch (const core::Error&) {
    }
    VSIUnlink(path.c_str());
    CPLErrorReset();
  }
}

}  // namespace relocplan::fuzz
