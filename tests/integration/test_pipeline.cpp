// The whole run on small inputs written in code: CRS handling, block
// independence, villages outside the DEM, NoData, geographic DEMs,
// cancellation and the output rules.

#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_srs_api.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <ogr_api.h>
#include <sstream>
#include <thread>

#include "relocplan/config/scenario.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/pipeline/run.hpp"
#include "relocplan/vector/crs.hpp"
#include "test_support.hpp"

using namespace relocplan;
using testsupport::TempDir;
using testsupport::TestVillage;

namespace {

constexpr double kXmin = 459990.0, kYmax = 2880000.0, kCell = 30.0;  // on the 30 m lattice
constexpr std::size_t kRows = 160, kCols = 190;

// Villages spread over the DEM, away from cell edges (so that a reprojection
// round trip cannot move one into a neighbouring cell).
std::vector<TestVillage> make_villages() {
  std::vector<TestVillage> v;
  int n = 0;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 5; ++j) {
      TestVillage t;
      t.id = "V" + std::to_string(++n);
      t.name = "村" + std::to_string(n);
      t.x = kXmin + (25 + 28 * i) * kCell + 11.0;
      t.y = kYmax - (20 + 27 * j) * kCell - 13.0;
      t.population = 100 + 7 * n;
      t.households = 30 + n;
      t.poor_households = n % 9;
      v.push_back(t);
    }
  return v;
}

std::vector<TestVillage> to_crs(std::vector<TestVillage> v, int from, int to) {
  std::vector<double> xs, ys;
  for (auto& t : v) {
    xs.push_back(t.x);
    ys.push_back(t.y);
  }
  vector::Transformer(vector::Crs::from_epsg(from), vector::Crs::from_epsg(to)).transform_in_place(xs, ys, false);
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i].x = xs[i];
    v[i].y = ys[i];
  }
  return v;
}

struct Fixture {
  TempDir dir;
  Fixture(const std::vector<TestVillage>& villages = make_villages(), const std::string& villages_file = "villages.gpkg",
          const std::string& villages_crs = "EPSG:4545") {
    auto dem = testsupport::synthetic_dem(kRows, kCols, kXmin, kYmax, kCell, 500.0);
    dem.nodata = -9999.0;
    // A NoData hole of 5 x 5 cells.
    for (std::size_t r = 100; r < 105; ++r)
      for (std::size_t c = 40; c < 45; ++c) dem.values[r * kCols + c] = -9999.0f;
    testsupport::write_geotiff(dir / "dem.tif", dem, "EPSG:4545");
    testsupport::write_villages(dir / villages_file, villages_crs, villages);
  }
  std::string scenario(const std::string& villages_file = "villages.gpkg", const std::string& extra = "",
                       const std::string& dem = "dem.tif") const {
    std::ostringstream s;
    s << "[project]\nname = \"test county\"\n\n[grid]\ncrs = \"EPSG:4545\"\ncell_size_m = 30\n\n"
      << "[study_area]\nfrom = \"bounds\"\nbounds = [" << kXmin << ", " << kYmax - kRows * kCell << ", "
      << kXmin + kCols * kCell << ", " << kYmax << "]\n\n"
      << "[inputs.dem]\npath = \"" << dem << "\"\n\n[inputs.villages]\npath = \"" << villages_file << "\"\n" << extra
      << "[inputs.villages.fields]\nid = \"code\"\nname = \"name\"\npopulation = \"pop\"\nhouseholds = \"hh\"\n"
      << "poor_households = \"poor\"\n\n[thresholds.terrain]\nrelief_radius_m = 150\nvillage_radius_m = 400\n";
    return s.str();
  }
  pipeline::RunSummary run(const std::string& scenario_text, const std::string& out, std::optional<std::size_t> block_rows = {},
                           core::Log* log_out = nullptr, bool overwrite = false) const {
    testsupport::write_text(dir / "scenario.toml", scenario_text);
    const auto s = config::load_scenario(dir / "scenario.toml");
    core::Log quiet(core::Verbosity::quiet, &sink_);
    core::Log& log = log_out ? *log_out : quiet;
    core::CancelFlag cancel;
    core::Progress progress(false, cancel);
    pipeline::RunOptions o;
    o.output = dir / out;
    o.block_rows = block_rows;
    o.overwrite = overwrite;
    return pipeline::run(s, o, log, progress);
  }
  mutable std::ostringstream sink_;
};

void require_same_raster(const std::string& a, const std::string& b) {
  const auto ra = testsupport::read_raster(a), rb = testsupport::read_raster(b);
  REQUIRE(ra.rows == rb.rows);
  REQUIRE(ra.cols == rb.cols);
  REQUIRE(ra.geotransform == rb.geotransform);
  std::size_t differing = 0;
  for (std::size_t k = 0; k < ra.values.size(); ++k) differing += std::memcmp(&ra.values[k], &rb.values[k], 4) != 0;
  CHECK(differing == 0);
}

}  // namespace

TEST_CASE("the block runner equals the whole-array runner bit for bit", "[pipeline][blocks]") {
  Fixture f;
  const std::string s = f.scenario();
  f.run(s, "whole.gpkg", kRows);
  for (std::size_t block : {1u, 7u, 64u}) {
    const std::string out = "b" + std::to_string(block) + ".gpkg";
    f.run(s, out, block);
    for (const char* r : {"elevation", "slope", "relief"})
      require_same_raster("GPKG:" + (f.dir / "whole.gpkg").string() + ":" + r,
                          "GPKG:" + (f.dir / out).string() + ":" + r);
    CHECK(testsupport::read_features(f.dir / "whole.gpkg", "villages") ==
          testsupport::read_features(f.dir / out, "villages"));
  }
}

TEST_CASE("the output holds the villages with terrain fields, the rasters and run_info", "[pipeline]") {
  Fixture f;
  const auto sum = f.run(f.scenario(), "out.gpkg");
  CHECK(sum.villages == 30);
  CHECK(sum.grid_rows == kRows);
  CHECK(sum.grid_cols == kCols);
  const auto layers = testsupport::layer_names(f.dir / "out.gpkg");
  CHECK(std::find(layers.begin(), layers.end(), "villages") != layers.end());
  CHECK(std::find(layers.begin(), layers.end(), "run_info") != layers.end());
  const auto rows = testsupport::read_features(f.dir / "out.gpkg", "villages");
  REQUIRE(rows.size() == 30);
  for (const auto& r : rows) {
    CHECK_FALSE(r.at("elevation_m").empty());
    CHECK_FALSE(r.at("slope_deg").empty());
    CHECK_FALSE(r.at("nbhd_mean_slope_deg").empty());
    CHECK(std::stod(r.at("nbhd_steep_pct")) >= 0.0);
    CHECK(std::stod(r.at("nbhd_steep_pct")) <= 100.0);
    CHECK(std::stod(r.at("nbhd_valid_pct")) > 90.0);  // a few circles touch the NoData hole
  }
  CHECK(rows[0].at("village_id") == "V1");
  CHECK(rows[0].at("name") == "村1");
  CHECK(rows[0].at("population") == "107");
  // The village's elevation is the value of its cell in the elevation raster.
  const auto elev = testsupport::read_raster("GPKG:" + (f.dir / "out.gpkg").string() + ":elevation");
  const auto v = make_villages()[0];
  const auto c = static_cast<std::size_t>((v.x - kXmin) / kCell), r = static_cast<std::size_t>((kYmax - v.y) / kCell);
  CHECK(std::stod(rows[0].at("elevation_m")) == Approx(elev.at(r, c)));
  const auto info = testsupport::read_features(f.dir / "out.gpkg", "run_info");
  std::map<std::string, std::string> kv;
  for (const auto& row : info) kv[row.at("key")] = row.at("value");
  CHECK(kv.count("version.GDAL"));
  CHECK(kv.count("version.PROJ"));
  CHECK(kv.count("version.GEOS"));
  CHECK(kv.count("version.relocplan"));
  CHECK(kv.at("scenario.text").find("test county") != std::string::npos);
  CHECK(kv.at("input.dem.dem.tif.sha256").size() == 64);
  CHECK(kv.at("input.villages.villages.gpkg.sha256").size() == 64);
  CHECK(kv.count("stage_seconds.terrain"));
  CHECK(kv.count("started_utc"));
  CHECK(kv.at("threshold.terrain.village_radius_m").find("set by the scenario") != std::string::npos);
}

TEST_CASE("villages in EPSG:4326 and the same villages in EPSG:4545 give the same results", "[pipeline][crs]") {
  Fixture f;
  testsupport::write_villages(f.dir / "villages_4326.geojson", "EPSG:4326", to_crs(make_villages(), 4545, 4326));
  testsupport::write_villages(f.dir / "villages_4545.gpkg", "EPSG:4545", make_villages());
  f.run(f.scenario("villages_4326.geojson"), "a.gpkg");
  f.run(f.scenario("villages_4545.gpkg"), "b.gpkg");
  const auto a = testsupport::read_features(f.dir / "a.gpkg", "villages");
  const auto b = testsupport::read_features(f.dir / "b.gpkg", "villages");
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].at("village_id") == b[i].at("village_id"));
    for (const char* k : {"elevation_m", "slope_deg", "aspect_deg", "relief_m", "nbhd_max_relief_m"})
      CHECK(a[i].at(k) == b[i].at(k));  // same cell
    for (const char* k : {"nbhd_mean_slope_deg", "nbhd_steep_pct", "nbhd_mean_elevation_m", "lon", "lat"})
      CHECK(std::stod(a[i].at(k)) == Approx(std::stod(b[i].at(k))).epsilon(1e-7).margin(1e-7));
  }
}

TEST_CASE("a CSV of lon/lat in EPSG:4490 is read with its coordinate columns", "[pipeline][csv]") {
  Fixture f;
  testsupport::write_villages(f.dir / "villages.csv", "", to_crs(make_villages(), 4545, 4490));
  f.run(f.scenario("villages.csv", "crs = \"EPSG:4490\"\nx_field = \"x\"\ny_field = \"y\"\n"), "csv.gpkg");
  f.run(f.scenario(), "ref.gpkg");
  const auto a = testsupport::read_features(f.dir / "csv.gpkg", "villages");
  const auto b = testsupport::read_features(f.dir / "ref.gpkg", "villages");
  REQUIRE(a.size() == b.size());
  CHECK(a[3].at("elevation_m") == b[3].at("elevation_m"));
  CHECK(a[3].at("households") == b[3].at("households"));
  // A CSV without a CRS is a scenario error that says what to set.
  try {
    f.run(f.scenario("villages.csv", "x_field = \"x\"\ny_field = \"y\"\n"), "nocrs.gpkg");
    FAIL("no error");
  } catch (const core::ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("has no coordinate reference system; set inputs.villages.crs"));
  }
}

TEST_CASE("villages outside the DEM or on NoData get nulls and a warning, not a failure", "[pipeline][nodata]") {
  auto villages = make_villages();
  TestVillage out_grid{"OUT1", kXmin - 5000, kYmax + 5000, "far", 10, 3, 1};
  TestVillage on_hole{"HOLE1", kXmin + 42 * kCell + 15, kYmax - 102 * kCell - 15, "hole", 10, 3, 1};
  TestVillage near_edge{"EDGE1", kXmin + 2 * kCell + 15, kYmax - 80 * kCell - 15, "edge", 10, 3, 1};
  villages.push_back(out_grid);
  villages.push_back(on_hole);
  villages.push_back(near_edge);
  Fixture f(villages);
  core::Log log(core::Verbosity::quiet, &f.sink_);
  const auto sum = f.run(f.scenario(), "out.gpkg", {}, &log);
  CHECK(sum.villages == 33);
  CHECK(sum.villages_without_terrain == 2);
  const auto rows = testsupport::read_features(f.dir / "out.gpkg", "villages");
  std::map<std::string, std::map<std::string, std::string>> by_id;
  for (const auto& r : rows) by_id[r.at("village_id")] = r;
  CHECK(by_id["OUT1"].at("elevation_m").empty());
  CHECK(by_id["OUT1"].at("nbhd_mean_slope_deg").empty());
  CHECK(by_id["OUT1"].at("terrain_note") == "outside the analysis grid");
  CHECK(by_id["HOLE1"].at("elevation_m").empty());
  CHECK(by_id["HOLE1"].at("slope_deg").empty());
  CHECK_FALSE(by_id["HOLE1"].at("nbhd_mean_slope_deg").empty());  // the rest of its circle has data
  CHECK(std::stod(by_id["HOLE1"].at("nbhd_valid_pct")) < 100.0);
  // The grid's edge cuts the 400 m circle 75 m west of the village: the
  // segment beyond it is r^2 acos(d/r) - d sqrt(r^2 - d^2), 38.13 % of the circle.
  CHECK(std::stod(by_id["EDGE1"].at("nbhd_valid_pct")) == Approx(61.866).margin(0.001));
  CHECK_FALSE(by_id["EDGE1"].at("nbhd_mean_slope_deg").empty());
  bool warned_outside = false, warned_nodata = false;
  for (const auto& w : log.warnings()) {
    if (w.find("outside the analysis grid") != std::string::npos && w.find("OUT1") != std::string::npos)
      warned_outside = true;
    if (w.find("NoData") != std::string::npos && w.find("HOLE1") != std::string::npos) warned_nodata = true;
  }
  CHECK(warned_outside);
  CHECK(warned_nodata);
  // Warnings are stored in the output too.
  bool stored = false;
  for (const auto& r : testsupport::read_features(f.dir / "out.gpkg", "run_info"))
    if (r.at("key").rfind("warning.", 0) == 0 && r.at("value").find("OUT1") != std::string::npos) stored = true;
  CHECK(stored);
}

TEST_CASE("a DEM in a geographic CRS is warped, not approximated with a z-factor", "[pipeline][crs]") {
  Fixture f;
  // The same terrain, stored in EPSG:4490 lon/lat at about 1 arc-second.
  {
    GDALDatasetH src = GDALOpen((f.dir / "dem.tif").c_str(), GA_ReadOnly);
    char* args[] = {const_cast<char*>("-t_srs"), const_cast<char*>("EPSG:4490"), const_cast<char*>("-r"),
                    const_cast<char*>("bilinear"), const_cast<char*>("-tr"), const_cast<char*>("0.00025"),
                    const_cast<char*>("0.00025"), nullptr};
    GDALWarpAppOptions* o = GDALWarpAppOptionsNew(args, nullptr);
    GDALDatasetH out = GDALWarp((f.dir / "dem_geo.tif").c_str(), nullptr, 1, &src, o, nullptr);
    GDALWarpAppOptionsFree(o);
    REQUIRE(out);
    GDALClose(out);
    GDALClose(src);
  }
  f.run(f.scenario("villages.gpkg", "", "dem_geo.tif"), "geo.gpkg");
  f.run(f.scenario(), "proj.gpkg");
  const auto a = testsupport::read_features(f.dir / "geo.gpkg", "villages");
  const auto b = testsupport::read_features(f.dir / "proj.gpkg", "villages");
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(std::stod(a[i].at("nbhd_mean_slope_deg")) - std::stod(b[i].at("nbhd_mean_slope_deg"))));
  // Two resamplings smooth a little; a degree-unit slope would be off by tens of degrees.
  CHECK(worst < 1.0);
}

TEST_CASE("an existing output is kept without --overwrite and replaced with it", "[pipeline][output]") {
  Fixture f;
  testsupport::write_text(f.dir / "out.gpkg", "precious");
  try {
    f.run(f.scenario(), "out.gpkg");
    FAIL("no error");
  } catch (const core::OutputError& e) {
    CHECK(e.code() == core::ExitCode::output);
    CHECK_THAT(e.what(), Catch::Contains("already exists; pass --overwrite"));
  }
  CHECK(testsupport::read_text(f.dir / "out.gpkg") == "precious");
  f.run(f.scenario(), "out.gpkg", {}, nullptr, true);
  CHECK(testsupport::layer_names(f.dir / "out.gpkg").size() >= 2);
  // Nothing temporary is left beside it.
  for (const auto& e : std::filesystem::directory_iterator(f.dir.path()))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
}

TEST_CASE("cancelling a run mid-way leaves no output and no temporary files", "[pipeline][cancel]") {
  Fixture f;
  testsupport::write_text(f.dir / "scenario.toml", f.scenario());
  const auto s = config::load_scenario(f.dir / "scenario.toml");
  core::CancelFlag cancel;
  std::atomic<bool> threw_cancelled{false};
  std::thread worker([&] {
    std::ostringstream sink;
    core::Log log(core::Verbosity::quiet, &sink);
    core::Progress progress(false, cancel);
    pipeline::RunOptions o;
    o.output = f.dir / "out.gpkg";
    o.block_rows = 1;  // many strips, so the run is still in the terrain stage when cancelled
    try {
      pipeline::run(s, o, log, progress);
    } catch (const core::Cancelled&) {
      threw_cancelled = true;
    }
  });
  // Cancel as soon as the run has started writing its temporary files.
  bool saw_temp = false;
  for (int i = 0; i < 20000 && !saw_temp; ++i) {
    for (const auto& e : std::filesystem::directory_iterator(f.dir.path()))
      if (e.path().filename().string().find(".tmp") != std::string::npos) saw_temp = true;
    if (!saw_temp) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  cancel.request();
  worker.join();
  CHECK(saw_temp);
  CHECK(threw_cancelled);
  CHECK_FALSE(std::filesystem::exists(f.dir / "out.gpkg"));
  for (const auto& e : std::filesystem::directory_iterator(f.dir.path()))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
}

TEST_CASE("input errors name the file, the field and the value", "[pipeline][errors]") {
  Fixture f;
  // A field the scenario maps but the layer does not have.
  std::string s = f.scenario();
  s.replace(s.find("households = \"hh\""), 17, "households = \"hhs\"");
  try {
    f.run(s, "x.gpkg");
    FAIL("no error");
  } catch (const core::ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("inputs.villages.fields.households: field 'hhs' not found in layer 'villages'") &&
                             Catch::Contains("fields: code, name, pop, hh, poor"));
  }
  // A DEM that does not exist.
  try {
    f.run(f.scenario("villages.gpkg", "", "nope.tif"), "x.gpkg");
    FAIL("no error");
  } catch (const core::ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("inputs.dem.path: file '") && Catch::Contains("nope.tif' does not exist"));
  }
  // A DEM that is not a raster.
  testsupport::write_text(f.dir / "broken.tif", "not a tiff");
  try {
    f.run(f.scenario("villages.gpkg", "", "broken.tif"), "x.gpkg");
    FAIL("no error");
  } catch (const core::InputError& e) {
    CHECK(e.code() == core::ExitCode::input);
    CHECK_THAT(e.what(), Catch::Contains("inputs.dem: cannot open '") && Catch::Contains("broken.tif' as a raster"));
  }
  // Duplicate ids and non-numeric counts.
  auto dup = make_villages();
  dup[4].id = "V1";
  testsupport::write_villages(f.dir / "dup.gpkg", "EPSG:4545", dup);
  try {
    f.run(f.scenario("dup.gpkg"), "x.gpkg");
    FAIL("no error");
  } catch (const core::InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("id 'V1' (field 'code') appears twice"));
  }
  testsupport::write_text(f.dir / "bad.csv", "code,name,x,y,pop,hh,poor\nA,a,108,26,12x,3,1\n");
  try {
    f.run(f.scenario("bad.csv", "crs = \"EPSG:4490\"\nx_field = \"x\"\ny_field = \"y\"\n"), "x.gpkg");
    FAIL("no error");
  } catch (const core::InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("field 'pop' (population) of feature 1") && Catch::Contains("is '12x': not a number"));
  }
  CHECK_FALSE(std::filesystem::exists(f.dir / "x.gpkg"));
}

TEST_CASE("a Shapefile's encoding is honoured: its .cpg, or the scenario's encoding for legacy files", "[pipeline][shapefile]") {
  Fixture f;
  // A Shapefile in GBK (code page 936) with Chinese village names, as many
  // county offices still have them.
  {
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("ESRI Shapefile"), (f.dir / "v.shp").c_str(), 0, 0, 0,
                                 GDT_Unknown, nullptr);
    REQUIRE(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, 4545);
    const char* lco[] = {"ENCODING=CP936", nullptr};
    OGRLayerH layer = GDALDatasetCreateLayer(ds, "v", srs, wkbPoint, const_cast<char**>(lco));
    OSRRelease(srs);
    OGRFieldDefnH code = OGR_Fld_Create("code", OFTString);
    OGRFieldDefnH name = OGR_Fld_Create("name", OFTString);
    REQUIRE(OGR_L_CreateField(layer, code, TRUE) == OGRERR_NONE);
    REQUIRE(OGR_L_CreateField(layer, name, TRUE) == OGRERR_NONE);
    OGR_Fld_Destroy(code);
    OGR_Fld_Destroy(name);
    OGRFeatureH feat = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    OGR_F_SetFieldString(feat, 0, "A1");
    OGR_F_SetFieldString(feat, 1, "岩脚村");
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, kXmin + 1000, kYmax - 1000);
    OGR_F_SetGeometryDirectly(feat, g);
    REQUIRE(OGR_L_CreateFeature(layer, feat) == OGRERR_NONE);
    OGR_F_Destroy(feat);
    GDALClose(ds);
  }
  REQUIRE(std::filesystem::exists(f.dir / "v.cpg"));
  std::string s = f.scenario("v.shp");
  s = s.substr(0, s.find("[inputs.villages.fields]")) + "[inputs.villages.fields]\nid = \"code\"\nname = \"name\"\n" +
      s.substr(s.find("[thresholds.terrain]"));
  f.run(s, "with_cpg.gpkg");
  CHECK(testsupport::read_features(f.dir / "with_cpg.gpkg", "villages").at(0).at("name") == "岩脚村");
  // Without the .cpg the bytes are ambiguous; the scenario says what they are.
  std::filesystem::remove(f.dir / "v.cpg");
  std::string legacy = s;
  legacy.insert(legacy.find("[inputs.villages.fields]"), "encoding = \"CP936\"\n");
  f.run(legacy, "legacy.gpkg");
  CHECK(testsupport::read_features(f.dir / "legacy.gpkg", "villages").at(0).at("name") == "岩脚村");
}

namespace {

// A GeoPackage layer of polygons or points from WKT, with text attributes.
void write_wkt_layer(const std::filesystem::path& path, const std::string& layer, int epsg,
                     const std::vector<std::pair<std::string, std::map<std::string, std::string>>>& features) {
  GDALDatasetH ds = std::filesystem::exists(path)
                        ? GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr)
                        : GDALCreate(GDALGetDriverByName("GPKG"), path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  REQUIRE(ds);
  OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
  OSRImportFromEPSG(srs, epsg);
  OGRLayerH l = GDALDatasetCreateLayer(ds, layer.c_str(), srs, wkbUnknown, nullptr);
  OSRRelease(srs);
  REQUIRE(l);
  for (const auto& [name, value] : features.front().second) {
    OGRFieldDefnH fd = OGR_Fld_Create(name.c_str(), OFTString);
    REQUIRE(OGR_L_CreateField(l, fd, TRUE) == OGRERR_NONE);
    OGR_Fld_Destroy(fd);
  }
  for (const auto& [w, attrs] : features) {
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    for (const auto& [name, value] : attrs) OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, name.c_str()), value.c_str());
    OGRGeometryH g = nullptr;
    char* text = const_cast<char*>(w.c_str());
    REQUIRE(OGR_G_CreateFromWkt(&text, nullptr, &g) == OGRERR_NONE);
    OGR_F_SetGeometryDirectly(f, g);
    REQUIRE(OGR_L_CreateFeature(l, f) == OGRERR_NONE);
    OGR_F_Destroy(f);
  }
  GDALClose(ds);
}

std::string square_around(double x, double y, double half) {
  std::ostringstream s;
  s.precision(12);
  s << "POLYGON((" << x - half << " " << y - half << "," << x + half << " " << y - half << "," << x + half << " "
    << y + half << "," << x - half << " " << y + half << "," << x - half << " " << y - half << "))";
  return s.str();
}

}  // namespace

TEST_CASE("thematic layers reach the assessment: hazards, reserve, red line, roads, land cover", "[pipeline][assessment]") {
  // Two villages far from the thematic features have unknown figures.
  const auto vs = [] {
    auto v = make_villages();
    v[20].population.reset();
    v[21].poor_households.reset();
    return v;
  }();
  Fixture f(vs);
  const auto& v1 = vs[0];   // in a high-susceptibility zone
  const auto& v2 = vs[1];   // in the reserve core
  const auto& v3 = vs[2];   // 150 m from a landslide with a 300 m threat range
  const auto& v4 = vs[3];   // in the reserve's experimental zone only
  const auto layers = f.dir / "layers.gpkg";
  write_wkt_layer(layers, "susceptibility", 4545,
                  {{square_around(v1.x, v1.y, 200), {{"class", "high"}}},
                   {square_around(v4.x, v4.y, 200), {{"class", "medium"}}}});
  write_wkt_layer(layers, "reserve", 4545,
                  {{square_around(v2.x, v2.y, 300), {{"zone", "core"}}},
                   {square_around(v2.x, v2.y, 600), {{"zone", "buffer"}}},
                   {square_around(v4.x, v4.y, 300), {{"zone", "experimental"}}}});
  std::ostringstream hz;
  hz.precision(12);
  hz << "POINT(" << v3.x + 150 << " " << v3.y << ")";
  write_wkt_layer(layers, "hazards", 4545, {{hz.str(), {{"id", "HZ1"}, {"kind", "landslide"}, {"radius", "300"}}}});
  std::ostringstream road;
  road.precision(12);
  road << "LINESTRING(" << kXmin << " " << v4.y + 2000 << "," << kXmin + kCols * kCell << " " << v4.y + 2000 << ")";
  write_wkt_layer(layers, "roads", 4545, {{road.str(), {{"class", "county"}}}});
  // Land cover: everything cultivated (code 10), on the DEM's grid.
  auto lc = testsupport::synthetic_dem(kRows, kCols, kXmin, kYmax, kCell);
  std::fill(lc.values.begin(), lc.values.end(), 10.0f);
  testsupport::write_geotiff(f.dir / "landcover.tif", lc, "EPSG:4545");

  std::string s = f.scenario();
  s.insert(s.find("[thresholds.terrain]"),
           "[inputs.susceptibility]\npath = \"layers.gpkg\"\nlayer = \"susceptibility\"\n"
           "[inputs.susceptibility.fields]\nclass = \"class\"\n\n"
           "[inputs.reserve]\npath = \"layers.gpkg\"\nlayer = \"reserve\"\n[inputs.reserve.fields]\nzone = \"zone\"\n\n"
           "[inputs.hazard_points]\npath = \"layers.gpkg\"\nlayer = \"hazards\"\n"
           "[inputs.hazard_points.fields]\nradius_m = \"radius\"\nid = \"id\"\nkind = \"kind\"\n\n"
           "[inputs.roads]\npath = \"layers.gpkg\"\nlayer = \"roads\"\n\n"
           "[inputs.landcover]\npath = \"landcover.tif\"\n\n");
  f.run(s, "out.gpkg");
  std::map<std::string, std::map<std::string, std::string>> by_id;
  for (const auto& r : testsupport::read_features(f.dir / "out.gpkg", "villages")) by_id[r.at("village_id")] = r;
  CHECK(by_id[v1.id].at("susceptibility") == "high");
  CHECK(by_id[v1.id].at("class") == "relocate_whole");
  CHECK_THAT(by_id[v1.id].at("reason_codes"), Catch::Contains("HAZARD_ZONE"));
  CHECK(by_id[v2.id].at("reserve_zone") == "core");
  CHECK(by_id[v2.id].at("class") == "relocate_whole");
  CHECK_THAT(by_id[v2.id].at("reason_codes"), Catch::Contains("RESERVE_CORE"));
  CHECK(std::stod(by_id[v2.id].at("reserve_core_pct")) > 0.0);
  CHECK(by_id[v3.id].at("hazard_id") == "HZ1");
  CHECK(std::stod(by_id[v3.id].at("hazard_dist_m")) == Approx(150.0));
  CHECK_THAT(by_id[v3.id].at("reasons"), Catch::Contains("HAZARD_THREAT: the village is 150 m from landslide HZ1"));
  CHECK(by_id[v4.id].at("reserve_zone") == "experimental");
  CHECK(by_id[v4.id].at("susceptibility") == "medium");
  CHECK_THAT(by_id[v4.id].at("reason_codes"), !Catch::Contains("RESERVE") && !Catch::Contains("HAZARD"));
  CHECK(std::stod(by_id[v4.id].at("dist_road_m")) == Approx(2000.0).margin(1e-6));
  CHECK(by_id["V5"].at("hazard_id") == "none");
  // Every cell is cultivated: cultivated area equals the territory's area.
  CHECK(std::stod(by_id[v4.id].at("cultivated_ha")) == Approx(std::stod(by_id[v4.id].at("terr_area_ha"))));
  for (const auto& [id, r] : by_id) {
    CHECK_FALSE(r.at("class").empty());
    if (r.at("class") != "stay") CHECK_FALSE(r.at("reasons").empty());
  }
  // The tables and the public notices.
  const auto layer_list = testsupport::layer_names(f.dir / "out.gpkg");
  for (const char* l : {"village_territories", "criteria", "township_summary", "county_summary"})
    CHECK(std::find(layer_list.begin(), layer_list.end(), l) != layer_list.end());
  CHECK(testsupport::read_features(f.dir / "out.gpkg", "village_territories").size() == vs.size());
  // Summaries add the known values and count the villages with unknown ones,
  // never reading an unknown as zero.
  {
    std::int64_t population = 0, incomplete = 0, summary_population = 0, summary_incomplete = 0, villages = 0;
    for (const auto& [id, r] : by_id) {
      if (!r.at("population").empty()) population += std::stoll(r.at("population"));
      if (r.at("population").empty() || r.at("households").empty() || r.at("poor_households").empty()) ++incomplete;
    }
    for (const auto& row : testsupport::read_features(f.dir / "out.gpkg", "county_summary")) {
      summary_population += std::stoll(row.at("population"));
      summary_incomplete += std::stoll(row.at("villages_incomplete"));
      villages += std::stoll(row.at("villages"));
    }
    CHECK(villages == static_cast<std::int64_t>(by_id.size()));
    CHECK(summary_population == population);
    CHECK(summary_incomplete == incomplete);
    CHECK(incomplete == 2);
  }
  CHECK(std::filesystem::is_directory(f.dir / "out_notices"));
  std::size_t listed = 0;
  for (const auto& e : std::filesystem::directory_iterator(f.dir / "out_notices")) {
    const std::string text = testsupport::read_text(e.path());
    for (const auto& [id, r] : by_id)
      if (r.at("class") != "stay" && text.find("\n" + id + ",") != std::string::npos) ++listed;
  }
  std::size_t moving = 0;
  for (const auto& [id, r] : by_id) moving += r.at("class") != "stay";
  CHECK(listed == moving);
}

TEST_CASE("territories: given polygons joined by id, Voronoi cells clipped to the village's county", "[pipeline][territories]") {
  Fixture f;
  const auto vs = make_villages();
  const auto layers = f.dir / "admin.gpkg";
  // V1 and V2 have drawn boundaries: squares of 600 m x 600 m = 36 ha.
  write_wkt_layer(layers, "boundaries", 4545,
                  {{square_around(vs[0].x, vs[0].y, 300), {{"code", "V1"}}},
                   {square_around(vs[1].x, vs[1].y, 300), {{"code", "V2"}}}});
  // One county covering the western half of the grid; the villages name no
  // county, so the test sets it through a CSV copy with a county column.
  const double mid = kXmin + kCols * kCell / 2;
  std::ostringstream west;
  west.precision(12);
  west << "POLYGON((" << kXmin << " " << kYmax - kRows * kCell << "," << mid << " " << kYmax - kRows * kCell << "," << mid
       << " " << kYmax << "," << kXmin << " " << kYmax << "," << kXmin << " " << kYmax - kRows * kCell << "))";
  write_wkt_layer(layers, "counties", 4545, {{west.str(), {{"county_name", "West"}}}});
  {
    std::ofstream csv(f.dir / "v.csv");
    csv.precision(12);
    csv << "code,x,y,county\n";
    for (const auto& v : vs) csv << v.id << "," << v.x << "," << v.y << ",West\n";
  }
  std::string s = f.scenario("v.csv", "crs = \"EPSG:4545\"\nx_field = \"x\"\ny_field = \"y\"\n");
  s = s.substr(0, s.find("[inputs.villages.fields]")) + "[inputs.villages.fields]\nid = \"code\"\ncounty = \"county\"\n\n" +
      "[inputs.territories]\npath = \"admin.gpkg\"\nlayer = \"boundaries\"\nfields = { id = \"code\" }\n\n" +
      "[inputs.counties]\npath = \"admin.gpkg\"\nlayer = \"counties\"\nfields = { name = \"county_name\" }\n\n" +
      s.substr(s.find("[thresholds.terrain]"));
  core::Log log(core::Verbosity::quiet, &f.sink_);
  f.run(s, "t.gpkg", {}, &log);
  std::map<std::string, std::map<std::string, std::string>> by_id;
  for (const auto& r : testsupport::read_features(f.dir / "t.gpkg", "village_territories")) by_id[r.at("village_id")] = r;
  CHECK(by_id["V1"].at("method") == "given");
  CHECK(std::stod(by_id["V1"].at("area_ha")) == Approx(36.0));
  CHECK(by_id["V3"].at("method") == "voronoi");
  // The villages layer reports the same territory, with exact zonal area.
  for (const auto& r : testsupport::read_features(f.dir / "t.gpkg", "villages"))
    if (r.at("village_id") == "V1") CHECK(std::stod(r.at("terr_area_ha")) == Approx(36.0).epsilon(1e-6));
  bool warned = false;
  for (const auto& w : log.warnings())
    if (w.find("have no polygon in inputs.territories") != std::string::npos) warned = true;
  CHECK(warned);
  // Voronoi cells of villages in the county stay inside it: no territory
  // reaches east of the county's edge.
  GDALDatasetH ds = GDALOpenEx((f.dir / "t.gpkg").c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
  OGRLayerH l = GDALDatasetGetLayerByName(ds, "village_territories");
  for (OGRFeatureH feat = OGR_L_GetNextFeature(l); feat; feat = OGR_L_GetNextFeature(l)) {
    OGREnvelope env;
    OGR_G_GetEnvelope(OGR_F_GetGeometryRef(feat), &env);
    const std::string method = OGR_F_GetFieldAsString(feat, OGR_F_GetFieldIndex(feat, "method"));
    if (method == "voronoi") CHECK(env.MaxX <= mid + 1e-6);
    OGR_F_Destroy(feat);
  }
  GDALClose(ds);
}

TEST_CASE("sites: generated patches and planners' own sites, scored the same way", "[pipeline][sites]") {
  Fixture f;
  const auto vs = make_villages();
  write_wkt_layer(f.dir / "planned.gpkg", "planned", 4545,
                  {{square_around(vs[7].x, vs[7].y, 150), {{"code", "PL-1"}, {"name", "新城安置点"}, {"capacity", "800"}}},
                   {"POINT(" + std::to_string(vs[12].x) + " " + std::to_string(vs[12].y) + ")",
                    {{"code", "PL-2"}, {"name", "坝区安置点"}, {"capacity", ""}}}});
  // The point needs an area: the planners' area_ha field.
  {
    GDALDatasetH ds = GDALOpenEx((f.dir / "planned.gpkg").c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "planned");
    OGRFieldDefnH fd = OGR_Fld_Create("area_ha", OFTReal);
    REQUIRE(OGR_L_CreateField(l, fd, TRUE) == OGRERR_NONE);
    OGR_Fld_Destroy(fd);
    for (OGRFeatureH feat = OGR_L_GetNextFeature(l); feat; feat = OGR_L_GetNextFeature(l)) {
      OGR_F_SetFieldDouble(feat, OGR_F_GetFieldIndex(feat, "area_ha"), 5.0);
      REQUIRE(OGR_L_SetFeature(l, feat) == OGRERR_NONE);
      OGR_F_Destroy(feat);
    }
    GDALClose(ds);
  }
  std::string s = f.scenario();
  s.insert(s.find("[thresholds.terrain]"),
           "[inputs.planned_sites]\npath = \"planned.gpkg\"\n"
           "fields = { id = \"code\", name = \"name\", capacity = \"capacity\", area_ha = \"area_ha\" }\n\n"
           "[sites]\n\n[thresholds.sites]\nsuitability_threshold = 0.8\nmin_site_ha = 1\n\n");
  f.run(s, "sites.gpkg");
  const auto sites = testsupport::read_features(f.dir / "sites.gpkg", "sites");
  std::map<std::string, std::map<std::string, std::string>> by_id;
  std::size_t generated = 0;
  for (const auto& r : sites) {
    by_id[r.at("site_id")] = r;
    if (r.at("source") == "generated") {
      ++generated;
      CHECK(std::stod(r.at("area_ha")) >= 1.0);
      CHECK(std::stod(r.at("excluded_pct")) < 1e-6);
      CHECK(r.at("limiting_factor") == "slope");  // the only factor given
    }
  }
  CHECK(generated > 0);
  REQUIRE(by_id.count("PL-1"));
  REQUIRE(by_id.count("PL-2"));
  CHECK(by_id["PL-1"].at("source") == "planned");
  CHECK(by_id["PL-1"].at("name") == "新城安置点");
  CHECK(std::stod(by_id["PL-1"].at("area_ha")) == Approx(9.0));     // 300 m x 300 m
  CHECK(by_id["PL-1"].at("capacity_people") == "800");                // fixed by the planners
  CHECK(std::stod(by_id["PL-2"].at("area_ha")) == Approx(5.0).epsilon(0.01));  // a point with its area
  // 5 ha x 0.6 buildable / 60 m2 per person.
  CHECK(by_id["PL-2"].at("capacity_people") == "500");
  CHECK_FALSE(by_id["PL-2"].at("mean_suitability").empty());
  // The rasters are there.
  const auto suit = testsupport::read_raster("GPKG:" + (f.dir / "sites.gpkg").string() + ":suitability");
  CHECK(suit.rows == kRows);
  const auto con = testsupport::read_raster("GPKG:" + (f.dir / "sites.gpkg").string() + ":constraints");
  CHECK(con.cols == kCols);
}
