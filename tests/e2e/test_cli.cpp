// The command line on the generated sample county, as a planner runs it.

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "test_support.hpp"

namespace fs = std::filesystem;
using testsupport::run_command;

namespace {

const std::string kExe = RELOCPLAN_EXE;
const fs::path kSampleDir = RELOCPLAN_TEST_SAMPLE_DIR;

// The sample scenario, copied next to the generated data, writing to `out`.
fs::path sample_scenario(const std::string& out_name, const std::string& edit_from = "",
                         const std::string& edit_to = "") {
  std::string text = testsupport::read_text(fs::path(RELOCPLAN_SOURCE_DIR) / "samples/sample-county/scenario.toml");
  const auto p = text.find("path = \"../../out/sample.gpkg\"");
  REQUIRE(p != std::string::npos);
  text.replace(p, std::string("path = \"../../out/sample.gpkg\"").size(), "path = \"out/" + out_name + "\"");
  if (!edit_from.empty()) {
    const auto q = text.find(edit_from);
    REQUIRE(q != std::string::npos);
    text.replace(q, edit_from.size(), edit_to);
  }
  const fs::path scenario = kSampleDir / ("scenario-" + out_name + ".toml");
  testsupport::write_text(scenario, text);
  return scenario;
}

std::size_t csv_rows(const fs::path& csv) {
  std::ifstream in(csv);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line))
    if (!line.empty()) ++n;
  return n - 1;
}

}  // namespace

TEST_CASE("the version option names relocplan and its libraries", "[cli]") {
  const auto r = run_command({kExe, "--version"});
  CHECK(r.exit_code == 0);
  for (const char* lib : {"relocplan ", "GDAL ", "PROJ ", "GEOS ", "SQLite "}) CHECK_THAT(r.out, Catch::Contains(lib));
}

TEST_CASE("help on every subcommand, with the exit codes", "[cli]") {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{kExe, "--help"}, {kExe, "run", "--help"}, {kExe, "validate", "--help"}}) {
    const auto r = run_command(args);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("Exit codes") && Catch::Contains("130"));
  }
  const auto bad = run_command({kExe, "run"});
  CHECK(bad.exit_code == 2);
  const auto unknown = run_command({kExe, "frobnicate"});
  CHECK(unknown.exit_code == 2);
}

TEST_CASE("validate prints the plan and writes nothing", "[cli]") {
  const fs::path scenario = sample_scenario("validate.gpkg");
  const auto r = run_command({kExe, "validate", scenario.string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("working CRS  EPSG:4545"));
  CHECK_THAT(r.out, Catch::Contains("read directly (already on the grid)"));
  CHECK_THAT(r.out, Catch::Contains("village_id       <- 'code'"));
  CHECK_THAT(r.out, Catch::Contains("valid: nothing was written"));
  CHECK_FALSE(fs::exists(kSampleDir / "out/validate.gpkg"));
}

TEST_CASE("run on the sample writes a GeoPackage that GDAL's validator accepts", "[cli][sample]") {
  const fs::path scenario = sample_scenario("sample.gpkg");
  const fs::path out = kSampleDir / "out/sample.gpkg";
  fs::remove(out);
  fs::remove_all(kSampleDir / "out/sample_notices");
  const auto r = run_command({kExe, "run", scenario.string(), "-q"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(fs::exists(out));
  const auto v = run_command({"/usr/bin/python3", "-m", "osgeo_utils.samples.validate_gpkg", out.string()});
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
  auto layers = testsupport::layer_names(out);
  std::sort(layers.begin(), layers.end());
  CHECK(layers == std::vector<std::string>{"allocation_summary", "allocations", "county_summary", "criteria", "layer_styles", "run_info",
                                           "site_summary", "sites", "township_summary", "village_territories",
                                           "villages"});
  // Allocation: every relocating household is assigned or listed as
  // unallocated with a reason, and no site takes more than its capacity.
  {
    const auto vrows = testsupport::read_features(out, "villages");
    for (const auto& village : vrows) {
      const long long moving = std::stoll(village.at("relocating_households"));
      const long long got = std::stoll(village.at("allocated_households"));
      const long long left = std::stoll(village.at("unallocated_households"));
      INFO(village.at("village_id"));
      CHECK(got + left == moving);
      if (left > 0) CHECK_FALSE(village.at("unallocated_reason").empty());
    }
    for (const auto& st : testsupport::read_features(out, "sites"))
      CHECK(std::stoll(st.at("allocated_households")) <= std::stoll(st.at("capacity_households")));
    long long assigned = 0;
    for (const auto& a : testsupport::read_features(out, "allocations")) assigned += std::stoll(a.at("households"));
    long long summary_assigned = 0;
    for (const auto& row : testsupport::read_features(out, "allocation_summary"))
      summary_assigned += std::stoll(row.at("assigned_households"));
    CHECK(assigned == summary_assigned);
    CHECK(assigned > 0);
  }
  const auto villages = testsupport::read_features(out, "villages");
  CHECK(villages.size() == csv_rows(kSampleDir / "data/villages.csv"));
  std::size_t with_slope = 0;
  for (const auto& row : villages) {
    with_slope += !row.at("slope_deg").empty();
    // Every village has a class, and every candidate its reasons.
    CHECK((row.at("class") == "relocate_whole" || row.at("class") == "relocate_registered" ||
           row.at("class") == "review" || row.at("class") == "stay"));
    if (row.at("class") != "stay") CHECK_FALSE(row.at("reasons").empty());
  }
  CHECK(with_slope == villages.size());
  CHECK(fs::is_directory(kSampleDir / "out/sample_notices"));

  // Villages the generator placed inside the reserve's core zone come out
  // relocate_whole with RESERVE_CORE: checked here with OGR alone, from the
  // generated reserve polygons and the villages' own coordinates.
  {
    GDALDatasetH ds = GDALOpenEx((kSampleDir / "data/layers.gpkg").c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    REQUIRE(ds);
    OGRLayerH reserve = GDALDatasetGetLayerByName(ds, "reserve");
    REQUIRE(reserve);
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(wgs, 4490);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(wgs, OGR_L_GetSpatialRef(reserve));
    std::size_t in_core = 0;
    for (OGRFeatureH f = OGR_L_GetNextFeature(reserve); f; f = OGR_L_GetNextFeature(reserve)) {
      if (std::string(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "zone"))) == "core") {
        for (const auto& row : villages) {
          // lon/lat as written by relocplan, on CGCS2000 (EPSG:4490).
          double x = std::stod(row.at("lon")), y = std::stod(row.at("lat"));
          OCTTransform(ct, 1, &x, &y, nullptr);
          OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
          OGR_G_SetPoint_2D(pt, 0, x, y);
          if (OGR_G_Contains(OGR_F_GetGeometryRef(f), pt)) {
            ++in_core;
            INFO(row.at("village_id") << " " << row.at("reasons"));
            CHECK(row.at("class") == "relocate_whole");
            CHECK_THAT(row.at("reason_codes"), Catch::Contains("RESERVE_CORE"));
          }
          OGR_G_DestroyGeometry(pt);
        }
      }
      OGR_F_Destroy(f);
    }
    OCTDestroyCoordinateTransformation(ct);
    OSRRelease(wgs);
    GDALClose(ds);
    CHECK(in_core >= 3);
  }
  CHECK(testsupport::read_features(out, "sites").size() > 10);
  for (const char* raster : {"elevation", "slope", "relief", "suitability", "suitability_class", "constraints"}) {
    const auto d = testsupport::read_raster("GPKG:" + out.string() + ":" + raster);
    CHECK(d.rows > 1000);
    CHECK(d.cols > 1000);
    CHECK(d.nodata.has_value());
  }
  CHECK_FALSE(testsupport::has_temp_files(kSampleDir / "out"));

  SECTION("the same run again keeps the output unless --overwrite is given") {
    const auto before = fs::last_write_time(out);
    const auto again = run_command({kExe, "run", scenario.string(), "-q"});
    CHECK(again.exit_code == 4);
    CHECK_THAT(again.err, Catch::Contains("already exists; pass --overwrite"));
    CHECK(fs::last_write_time(out) == before);
    const auto over = run_command({kExe, "run", scenario.string(), "-q", "--overwrite", "-o", (kSampleDir / "out/sample2.gpkg").string()});
    CHECK(over.exit_code == 0);
    // Same inputs, same results.
    CHECK(testsupport::read_features(kSampleDir / "out/sample2.gpkg", "villages") == villages);
  }
}

TEST_CASE("Ctrl-C in each long stage cancels cleanly", "[cli][cancel]") {
  // The run's JSON progress (on stderr) says when a stage has begun; SIGINT
  // then must stop it with exit 130 and leave nothing behind.
  const fs::path scenario = sample_scenario("cancel-stage.gpkg", "memory_mb = 512", "memory_mb = 32");
  const fs::path out_dir = kSampleDir / "out";
  fs::create_directories(out_dir);
  for (const std::string stage : {"terrain", "site inputs", "travel time to county seats", "site suitability", "sites",
                                  "site figures", "allocation costs", "writing rasters", "writing villages",
                                  "writing sites"}) {
    INFO("stage " << stage);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      ::dup2(fds[1], STDERR_FILENO);
      ::freopen("/dev/null", "w", stdout);
      ::execl(kExe.c_str(), kExe.c_str(), "run", scenario.c_str(), "--progress=json", "--overwrite",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    FILE* from = ::fdopen(fds[0], "r");
    REQUIRE(from);
    const std::string wanted = "\"stage\":\"" + stage + "\"";
    bool seen = false;
    char line[4096];
    while (!seen && std::fgets(line, sizeof line, from)) seen = std::string(line).find(wanted) != std::string::npos;
    ::kill(pid, SIGINT);
    while (std::fgets(line, sizeof line, from)) {
    }
    std::fclose(from);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(seen);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK_FALSE(fs::exists(out_dir / "cancel-stage.gpkg"));
    CHECK_FALSE(testsupport::has_temp_files(out_dir));
  }
}

TEST_CASE("a tiny memory budget still finishes the sample, with the same output", "[cli][sample][memory]") {
  // 32 MB: less than the sample's villages and layers with room to work in;
  // every stage then works in strips of a few dozen rows instead of a few
  // strips.
  const fs::path normal = kSampleDir / "out/budget-normal.gpkg", tiny = kSampleDir / "out/budget-tiny.gpkg";
  const auto a = run_command({kExe, "run", sample_scenario("budget-normal.gpkg").string(), "-q", "--overwrite"});
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  const fs::path small = sample_scenario("budget-tiny.gpkg", "memory_mb = 512", "memory_mb = 32");
  const auto plan = run_command({kExe, "validate", small.string()});
  CHECK_THAT(plan.out, Catch::Contains("memory budget 32 MB: about ") && Catch::Contains(" MB held (villages"));
  const auto b = run_command({kExe, "run", small.string(), "-q", "--overwrite"});
  INFO(b.err);
  REQUIRE(b.exit_code == 0);
  // 32 MB is less than the sample's villages and layers with room to work:
  // the run says so, and what budget would hold it.
  std::smatch suggested;
  REQUIRE(std::regex_search(b.err, suggested,
                            std::regex("processing.memory_mb = 32: the villages and thematic layers kept through the "
                                       "run take about [0-9]+ MB.*set memory_mb to at least ([0-9]+) to keep within it")));
  const fs::path enough =
      sample_scenario("budget-enough.gpkg", "memory_mb = 512", "memory_mb = " + suggested[1].str());
  const auto c = run_command({kExe, "run", enough.string(), "-q", "--overwrite"});
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  CHECK_THAT(c.err, !Catch::Contains("processing.memory_mb"));
  {
    // With that budget the whole run's data stay within it: past what the
    // process takes besides its data once the inputs are read (the
    // libraries: the peak after resolving less the heap held then), no
    // stage's peak goes above memory_mb, give or take 16 MB of the
    // allocator's slack.
    std::map<std::string, std::string> info;
    for (auto& row : testsupport::read_features(kSampleDir / "out/budget-enough.gpkg", "run_info"))
      info[row["key"]] = row["value"];
    const double budget = std::stod(suggested[1].str());
    const double libraries = std::stod(info.at("stage_peak_mb.resolve")) - std::stod(info.at("stage_held_mb.resolve"));
    for (const char* stage : {"terrain", "assessment", "sites", "allocation", "write"}) {
      const double peak = std::stod(info.at("stage_peak_mb." + std::string(stage)));
      INFO(stage << ": peak " << peak << " MB, libraries " << libraries << " MB, budget " << budget << " MB");
      CHECK(peak - libraries <= budget + 16);
    }
  }
  for (const char* layer : {"villages", "village_territories", "sites", "allocations", "county_summary",
                            "site_summary", "allocation_summary"})
    CHECK(testsupport::read_features(tiny, layer) == testsupport::read_features(normal, layer));
  for (const char* raster : {"elevation", "slope", "relief", "suitability", "suitability_class", "constraints"}) {
    INFO(raster);
    const auto x = testsupport::read_raster("GPKG:" + normal.string() + ":" + raster);
    const auto y = testsupport::read_raster("GPKG:" + tiny.string() + ":" + raster);
    CHECK(x.values == y.values);
  }
  // The budget holds: past what the run holds once its inputs are read (the
  // villages and thematic layers), no stage rose by more than memory_mb, the
  // least a travel-time search keeps (its workspace is held to a few MB, so it
  // keeps the tiles of its front: run_info says how much) and 48 MB for GDAL,
  // PROJ and GEOS at work.
  std::map<std::string, std::string> info;
  for (auto& row : testsupport::read_features(tiny, "run_info")) info[row["key"]] = row["value"];
  const std::string threads = info["allocation.search_threads"];
  INFO(threads);
  std::smatch held;
  REQUIRE(std::regex_search(threads, held, std::regex("held to ([0-9]+) MB")));
  const double bound = 32 + std::stod(held[1]) + 48;
  const double after_inputs = std::stod(info.at("stage_peak_mb.resolve"));
  for (const char* stage : {"terrain", "assessment", "sites", "allocation", "write"}) {
    INFO(stage << ": " << info["stage_peak_mb." + std::string(stage)] << " MB, after the inputs " << after_inputs);
    CHECK(std::stod(info.at("stage_peak_mb." + std::string(stage))) - after_inputs <= bound);
  }
  CHECK_FALSE(testsupport::has_temp_files(kSampleDir / "out"));
}

TEST_CASE("scenario and data errors give the documented exit codes and messages", "[cli][errors]") {
  struct Case {
    std::string from, to;
    int code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"memory_mb = 512", "memory_mb = 512\nthreads = 4", 2, "unknown key 'processing.threads'"},
      {"path = \"data/dem.tif\"", "path = \"data/missing.tif\"", 2, "inputs.dem.path: file '"},
      {"households = \"households\"", "households = \"hh\"", 2, "field 'hh' not found in layer 'villages'"},
      {"crs = \"auto\"", "crs = \"EPSG:123456\"", 2, "'EPSG:123456' is not a coordinate reference system"},
      {"crs = \"auto\"", "crs = \"EPSG:4326\"", 2, "is not a projected CRS"},
      {"cell_size_m = 30", "cell_size_m = \"thirty\"", 2, "grid.cell_size_m: must be a number, got a string"},
      {"path = \"data/dem.tif\"", "path = \"data/villages.csv\"", 3, "as a raster"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const fs::path scenario = sample_scenario("err" + std::to_string(++i) + ".gpkg", c.from, c.to);
    const auto r = run_command({kExe, "run", scenario.string(), "-q"});
    INFO(c.to << "\n" << r.err);
    CHECK(r.exit_code == c.code);
    CHECK_THAT(r.err, Catch::Contains("relocplan: error: ") && Catch::Contains(c.message));
    CHECK_FALSE(fs::exists(kSampleDir / ("out/err" + std::to_string(i) + ".gpkg")));
  }
}

TEST_CASE("Ctrl-C cancels cleanly: exit 130, no output, no temporary files", "[cli][cancel]") {
  // A small memory budget makes the run long enough to be interrupted.
  const fs::path scenario = sample_scenario("cancel.gpkg", "memory_mb = 512", "memory_mb = 32");
  const fs::path out_dir = kSampleDir / "out";
  fs::create_directories(out_dir);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::freopen("/dev/null", "w", stderr);
    ::freopen("/dev/null", "w", stdout);
    ::execl(kExe.c_str(), kExe.c_str(), "run", scenario.c_str(), "-q", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool saw_temp = false;
  for (int i = 0; i < 30000 && !saw_temp; ++i) {
    saw_temp = testsupport::has_temp_files(out_dir);
    if (!saw_temp) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(saw_temp);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK_FALSE(fs::exists(out_dir / "cancel.gpkg"));
  CHECK_FALSE(testsupport::has_temp_files(out_dir));
}
