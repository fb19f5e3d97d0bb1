// The site search in strips: any strip height gives exactly the results of
// the whole grid at once (rasters, sites and their figures), with every kind
// of input that the search burns, measures or travels over.

#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <sstream>

#include "relocplan/config/scenario.hpp"
#include "relocplan/raster/distance.hpp"
#include "relocplan/raster/grid_store.hpp"
#include "relocplan/sites/site_search.hpp"
#include "test_support.hpp"

using namespace relocplan;

namespace {

vector::Features layer(GEOSContextHandle_t ctx, const std::string& what,
                       const std::vector<std::pair<std::string, std::map<std::string, std::string>>>& items) {
  vector::Features f;
  f.what = what;
  GEOSWKTReader* r = GEOSWKTReader_create_r(ctx);
  for (const auto& [w, attrs] : items) {
    GEOSGeometry* g = GEOSWKTReader_read_r(ctx, r, w.c_str());
    REQUIRE(g);
    f.geoms.push_back(vector::wrap(ctx, g));
    f.attrs.push_back(attrs);
  }
  GEOSWKTReader_destroy_r(ctx, r);
  return f;
}

const char* kScenario = R"([project]
name = "strips"
[grid]
crs = "EPSG:4545"
[inputs.dem]
path = "dem.tif"
[inputs.villages]
path = "v.gpkg"
[inputs.villages.fields]
id = "code"
[inputs.landcover]
path = "lc.tif"
[inputs.towns]
path = "x.gpkg"
fields = { kind = "kind", name = "name" }
[inputs.susceptibility]
path = "x.gpkg"
fields = { class = "class" }
[inputs.hazard_points]
path = "x.gpkg"
fields = { radius_m = "radius_m" }
[inputs.flood_zone]
path = "x.gpkg"
[inputs.reserve]
path = "x.gpkg"
fields = { zone = "zone" }
[inputs.roads]
path = "x.gpkg"
[inputs.schools]
path = "x.gpkg"
[inputs.clinics]
path = "x.gpkg"
[inputs.rivers]
path = "x.gpkg"
[sites]
weights = { slope = 0.2, hazard = 0.15, road = 0.15, seat = 0.15, jobs = 0.1, school = 0.1, clinic = 0.05, water = 0.1 }
exclude = ["steep", "hazard", "reserve", "water", "flood", "farmland", "near_out_villages"]
[thresholds.sites]
suitability_threshold = 0.45
min_site_ha = 0.5
max_site_ha = 8
hazard_buffer_m = 60
min_distance_from_out_villages_m = 100
)";

}  // namespace

TEST_CASE("site search: strips of any height give the whole-grid results", "[sites][strips]") {
  vector::GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const std::size_t rows = 57, cols = 64;
  const raster::Grid grid(0, rows * 30.0, 30, rows, cols, "");
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> gentle(0.0f, 14.0f);
  std::vector<float> slope(grid.cells()), elev(grid.cells()), landcover(grid.cells());
  for (std::size_t k = 0; k < grid.cells(); ++k) {
    slope[k] = (k % cols) / 8 == 3 ? 32.0f : gentle(rng);  // a steep band
    elev[k] = 800.0f + static_cast<float>(k % 97);
    landcover[k] = k % 13 == 0 ? 10.0f : k % 29 == 0 ? 60.0f : 30.0f;
  }
  slope[7 * cols + 50] = elev[7 * cols + 50] = std::numeric_limits<float>::quiet_NaN();
  auto towns = layer(ctx, "inputs.towns", {{"POINT(615 1215)", {{"kind", "county_seat"}, {"name", "Seat"}}},
                                           {"POINT(1700 300)", {{"kind", "township_seat"}, {"name", "Market"}}}});
  auto susc = layer(ctx, "inputs.susceptibility",
                    {{"POLYGON((0 0, 400 0, 400 400, 0 400, 0 0))", {{"class", "high"}}},
                     {"POLYGON((1200 900, 1900 900, 1900 1500, 1200 1500, 1200 900))", {{"class", "medium"}}}});
  auto hazard = layer(ctx, "inputs.hazard_points", {{"POINT(1400 400)", {{"radius_m", "50"}}}});
  auto flood = layer(ctx, "inputs.flood_zone", {{"POLYGON((0 1600, 1920 1600, 1920 1710, 0 1710, 0 1600))", {}}});
  auto reserve = layer(ctx, "inputs.reserve", {{"POLYGON((1500 1000, 1700 1000, 1700 1200, 1500 1200, 1500 1000))", {{"zone", "core"}}}});
  auto roads = layer(ctx, "inputs.roads", {{"LINESTRING(0 915, 1920 700)", {}}, {"LINESTRING(900 0, 1000 1710)", {}}});
  auto schools = layer(ctx, "inputs.schools", {{"POINT(300 1300)", {}}, {"POINT(1500 200)", {}}});
  auto clinics = layer(ctx, "inputs.clinics", {{"POINT(1800 1600)", {}}});
  auto rivers = layer(ctx, "inputs.rivers", {{"LINESTRING(0 500, 1920 1400)", {}}});
  const auto s = config::parse_scenario(kScenario, "/tmp/s.toml");
  sites::SiteLayers L;
  L.towns = &towns;
  L.susceptibility = &susc;
  L.hazard_points = &hazard;
  L.flood_zone = &flood;
  L.reserve = &reserve;
  L.roads = &roads;
  L.schools = &schools;
  L.clinics = &clinics;
  L.rivers = &rivers;
  const std::vector<std::pair<double, double>> moving = {{1100, 1100}, {200, 800}};
  std::ostringstream sink;
  core::Log log(core::Verbosity::quiet, &sink);
  core::CancelFlag cancel;
  core::Progress progress(false, cancel);
  const sites::WholeGridInputs inputs(grid, &slope, &elev, &landcover);

  sites::SiteRasterCollector whole_cells(grid);
  const auto whole = sites::find_sites(ctx, grid, inputs, L, moving, s, log, progress, whole_cells, 0);
  REQUIRE(whole.sites.size() >= 3);
  // Every kind of constraint and several classes occur, so the comparison means something.
  std::uint16_t bits = 0;
  for (auto c : whole_cells.constraints) bits |= c;
  for (auto bit : {sites::kSteep, sites::kHazard, sites::kReserve, sites::kWater, sites::kFlood, sites::kFarmland,
                   sites::kNearOutVillage, sites::kNoTerrain})
    CHECK((bits & bit) != 0);

  for (std::size_t strip : {1, 4, 13, 56}) {
    INFO("strips of " << strip << " rows");
    sites::SiteRasterCollector cells(grid);
    const auto r = sites::find_sites(ctx, grid, inputs, L, moving, s, log, progress, cells, strip);
    CHECK(cells.constraints == whole_cells.constraints);
    CHECK(cells.classes == whole_cells.classes);
    std::size_t differ = 0;
    for (std::size_t k = 0; k < grid.cells(); ++k) {
      const float a = cells.suitability[k], b = whole_cells.suitability[k];
      if (!(a == b || (std::isnan(a) && std::isnan(b)))) ++differ;
    }
    CHECK(differ == 0);
    CHECK(r.friction_min_per_m.size() == whole.friction_min_per_m.size());
    CHECK(std::equal(r.friction_min_per_m.begin(), r.friction_min_per_m.end(), whole.friction_min_per_m.begin(),
                     [](float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }));
    CHECK(r.travel_min == whole.travel_min);
    REQUIRE(r.sites.size() == whole.sites.size());
    for (std::size_t i = 0; i < r.sites.size(); ++i) {
      const auto& a = r.sites[i];
      const auto& b = whole.sites[i];
      INFO(a.id);
      CHECK(a.id == b.id);
      CHECK(GEOSEqualsExact_r(ctx, a.geometry.get(), b.geometry.get(), 0.0) == 1);
      CHECK(a.capacity_people == b.capacity_people);
      CHECK(a.mean_suitability == b.mean_suitability);
      CHECK(a.min_suitability == b.min_suitability);
      CHECK(a.travel_min == b.travel_min);
      CHECK(a.dist_road_m == b.dist_road_m);
      CHECK(a.dist_school_m == b.dist_school_m);
      CHECK(a.dist_clinic_m == b.dist_clinic_m);
      CHECK(a.limiting_factor == b.limiting_factor);
      CHECK(a.excluded_pct == b.excluded_pct);
    }
  }

  // With scratch files for the travel cost surface and the seat travel time
  // (as a run keeps them): the same cells, sites and fields, read back.
  {
    const testsupport::TempDir dir;
    raster::ScratchFileGrid seat(dir / "seat.f32", grid.rows(), grid.cols());
    raster::ScratchFileGrid friction(dir / "friction.f32", grid.rows(), grid.cols());
    sites::SiteRasterCollector cells(grid);
    const auto r = sites::find_sites(ctx, grid, inputs, L, moving, s, log, progress, cells, 9, &seat, &friction);
    CHECK(r.friction_min_per_m.empty());
    CHECK(r.travel_min.empty());
    CHECK(cells.constraints == whole_cells.constraints);
    CHECK(cells.classes == whole_cells.classes);
    std::vector<float> back(grid.cells());
    friction.read_rows(0, grid.rows(), back.data());
    CHECK(std::equal(back.begin(), back.end(), whole.friction_min_per_m.begin(),
                     [](float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }));
    seat.read_rows(0, grid.rows(), back.data());
    REQUIRE(whole.travel_min.size() == grid.cells());
    CHECK(back == whole.travel_min);
    std::size_t reached = 0;
    for (float t : back) reached += std::isfinite(t);
    CHECK(reached > grid.cells() / 4);  // the seats' searches reach a good part of the grid
    REQUIRE(r.sites.size() == whole.sites.size());
    for (std::size_t i = 0; i < r.sites.size(); ++i) {
      CHECK(GEOSEqualsExact_r(ctx, r.sites[i].geometry.get(), whole.sites[i].geometry.get(), 0.0) == 1);
      CHECK(r.sites[i].travel_min == whole.sites[i].travel_min);
      CHECK(r.sites[i].mean_suitability == whole.sites[i].mean_suitability);
    }
  }
}

TEST_CASE("site search: the seats' travel time, one bounded search per seat, equals one multi-source search",
          "[sites][strips][window]") {
  vector::GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const std::size_t rows = 57, cols = 64;
  const raster::Grid grid(0, rows * 30.0, 30, rows, cols, "");
  std::mt19937 rng(43);
  std::uniform_real_distribution<float> gentle(0.0f, 20.0f);
  std::vector<float> slope(grid.cells()), elev(grid.cells(), 900.0f);
  for (auto& v : slope) v = gentle(rng);
  for (std::size_t k = 0; k < grid.cells(); k += 37) slope[k] = elev[k] = std::numeric_limits<float>::quiet_NaN();
  slope[1 * cols + 37] = elev[1 * cols + 37] = std::numeric_limits<float>::quiet_NaN();  // the last seat's cell
  // Seats at cell centres: apart, side by side (one search for both), in a
  // corner (the window cut by the grid) and one on a NoData cell.
  const std::vector<std::pair<std::size_t, std::size_t>> at = {{16, 20}, {40, 10}, {45, 55}, {10, 30}, {10, 31}, {0, 63}, {1, 37}};
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> items;
  std::vector<std::size_t> seat_cells;
  for (std::size_t i = 0; i < at.size(); ++i) {
    const auto [r, c] = at[i];
    items.push_back({"POINT(" + std::to_string(30 * c + 15) + " " + std::to_string(rows * 30 - (30 * r + 15)) + ")",
                     {{"kind", "county_seat"}, {"name", "Seat " + std::to_string(i)}}});
    seat_cells.push_back(r * cols + c);
  }
  auto towns = layer(ctx, "inputs.towns", items);
  auto roads = layer(ctx, "inputs.roads", {{"LINESTRING(0 915, 1920 700)", {}}});
  // A bound of 1.5 minutes reaches 25 cells at road speed: the windows are
  // smaller than the grid and overlap.
  std::string text = kScenario;
  text.replace(text.find("[thresholds.sites]\n"), 19, "[thresholds.sites]\nseat_full_min = 0.5\nseat_zero_min = 1.5\n");
  const auto s = config::parse_scenario(text, "/tmp/s.toml");
  sites::SiteLayers L;
  L.towns = &towns;
  L.roads = &roads;
  std::ostringstream sink;
  core::Log log(core::Verbosity::quiet, &sink);
  core::CancelFlag cancel;
  core::Progress progress(false, cancel);
  const sites::WholeGridInputs inputs(grid, &slope, &elev);
  sites::SiteRasterCollector cells(grid);
  const auto r = sites::find_sites(ctx, grid, inputs, L, {}, s, log, progress, cells, 11);
  REQUIRE(r.travel_min.size() == grid.cells());
  const auto want = raster::cost_distance_from(r.friction_min_per_m, rows, cols, 30.0, seat_cells, 1.5);
  std::size_t bad = 0, reached = 0, beyond = 0;
  for (std::size_t k = 0; k < grid.cells(); ++k) {
    const float a = r.travel_min[k], b = want[k];
    if (!(a == b || (std::isinf(a) && std::isinf(b))) && ++bad <= 5) {
      INFO("cell " << k << ": per seat " << a << ", multi-source " << b);
      CHECK(a == b);
    }
    reached += std::isfinite(a);
    beyond += std::isinf(a) && std::isfinite(r.friction_min_per_m[k]);
  }
  CHECK(bad == 0);
  CHECK(reached > 60);
  CHECK(beyond > 200);  // the bound is real: many passable cells are beyond it
}
