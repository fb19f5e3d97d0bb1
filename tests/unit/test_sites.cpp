// The resettlement-site search on a small hand-made county: constraints with
// their reason bits, no site on an excluded cell, capacity, travel time.

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "relocplan/config/scenario.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/criteria/coverage.hpp"
#include "relocplan/sites/site_search.hpp"

using namespace relocplan;

namespace {

vector::Features features(GEOSContextHandle_t ctx, const std::string& what,
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
name = "t"
[grid]
crs = "EPSG:4545"
[inputs.dem]
path = "dem.tif"
[inputs.villages]
path = "v.gpkg"
[inputs.villages.fields]
id = "code"
[inputs.towns]
path = "towns.gpkg"
fields = { kind = "kind", name = "name" }
[inputs.flood_zone]
path = "x.gpkg"
[inputs.roads]
path = "x.gpkg"
[sites]
weights = { slope = 1, road = 1, seat = 1 }
[thresholds.sites]
suitability_threshold = 0.7
min_site_ha = 1
max_site_ha = 20
)";

}  // namespace

TEST_CASE("site search: constraints, no site on an excluded cell, capacity and access", "[sites]") {
  vector::GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const std::size_t rows = 60, cols = 60;
  const raster::Grid grid(0, 1800, 30, rows, cols, "");
  // Gentle land (3 deg) with a steep band (30 deg) in columns 20-25 and a
  // NoData hole.
  std::vector<float> slope(rows * cols, 3.0f), elev(rows * cols, 900.0f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 20; c < 26; ++c) slope[r * cols + c] = 30.0f;
  slope[5 * cols + 5] = std::numeric_limits<float>::quiet_NaN();
  elev[5 * cols + 5] = std::numeric_limits<float>::quiet_NaN();
  auto towns = features(ctx, "inputs.towns", {{"POINT(915 915)", {{"kind", "county_seat"}, {"name", "Seat"}}}});
  // Flood zone: the southern 10 rows (y 0..300).
  auto flood = features(ctx, "inputs.flood_zone", {{"POLYGON((0 0, 1800 0, 1800 300, 0 300, 0 0))", {}}});
  auto roads = features(ctx, "inputs.roads", {{"LINESTRING(0 915, 1800 915)", {}}});
  const auto s = config::parse_scenario(kScenario, "/tmp/s.toml");
  sites::SiteLayers layers;
  layers.towns = &towns;
  layers.flood_zone = &flood;
  layers.roads = &roads;
  std::ostringstream sink;
  core::Log log(core::Verbosity::quiet, &sink);
  core::CancelFlag cancel;
  core::Progress progress(false, cancel);
  sites::SiteRasterCollector cells(grid);
  const auto r = sites::find_sites(ctx, grid, sites::WholeGridInputs(grid, &slope, &elev), layers, {}, s, log, progress,
                                   cells, 0);

  // Reason bits.
  CHECK((cells.constraints[10 * cols + 22] & sites::kSteep) != 0);
  CHECK((cells.constraints[55 * cols + 40] & sites::kFlood) != 0);
  CHECK((cells.constraints[5 * cols + 5] & sites::kNoTerrain) != 0);
  CHECK(cells.constraints[20 * cols + 40] == 0);
  CHECK(std::isnan(cells.suitability[5 * cols + 5]));
  CHECK(cells.suitability[10 * cols + 22] == 0.0f);  // excluded cells score 0
  CHECK(cells.classes[10 * cols + 22] == 1);
  // Travel time: 0 at the seat's cell, growing away from it.
  CHECK(r.travel_min[29 * cols + 30] == 0.0f);  // the seat at (915, 915) is in row 29, column 30
  CHECK(r.travel_min[30 * cols + 50] > r.travel_min[30 * cols + 35]);
  CHECK(r.factors_used == std::vector<std::string>{"slope", "road", "seat"});

  REQUIRE_FALSE(r.sites.empty());
  for (const auto& st : r.sites) {
    INFO(st.id);
    CHECK(GEOSisValid_r(ctx, st.geometry.get()) == 1);
    // No site overlaps an excluded cell.
    const auto cov = criteria::polygon_coverage(grid, criteria::rings_from_geos(ctx, st.geometry.get()));
    double on_excluded = 0, total = 0;
    for (std::size_t rr = 0; rr < cov.rows; ++rr)
      for (std::size_t cc = 0; cc < cov.cols; ++cc) {
        const double f = cov.fraction[rr * cov.cols + cc];
        total += f;
        if (cells.constraints[(cov.row0 + rr) * cols + cov.col0 + cc] != 0) on_excluded += f;
      }
    CHECK(on_excluded < 1e-6 * total);
    CHECK(st.excluded_pct < 1e-4);
    // Capacity: 60 % of the area, 60 m2 gross per person, 3.6 people per household.
    CHECK(st.buildable_ha == Approx(st.area_ha * 0.6));
    CHECK(st.capacity_people == static_cast<std::int64_t>(std::floor(st.buildable_ha * 10000.0 / 60.0 + 1e-6)));
    CHECK(st.capacity_households == static_cast<std::int64_t>(std::floor(st.capacity_people / 3.6)));
    CHECK(st.area_ha >= 1.0);
    CHECK(st.area_ha <= 20.0 * 1.5);
    CHECK(*st.mean_suitability >= 0.7 - 1e-6);
    CHECK(st.nearest_town == std::optional<std::string>("Seat"));
    CHECK(st.source == "generated");
  }
}

TEST_CASE("site search: ordered weighted averaging from cautious to optimistic", "[sites][owa]") {
  vector::GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const raster::Grid grid(0, 300, 30, 10, 10, "");
  std::vector<float> slope(100, 10.0f), elev(100, 900.0f);  // slope factor 0.6 everywhere
  auto towns = features(ctx, "inputs.towns", {{"POINT(15 285)", {{"kind", "county_seat"}, {"name", "Seat"}}}});
  auto flood = features(ctx, "inputs.flood_zone", {{"POLYGON((-10 -10, -5 -10, -5 -5, -10 -5, -10 -10))", {}}});
  auto roads = features(ctx, "inputs.roads", {{"LINESTRING(0 285, 300 285)", {}}});
  sites::SiteLayers layers;
  layers.towns = &towns;
  layers.flood_zone = &flood;
  layers.roads = &roads;
  std::ostringstream sink;
  core::Log log(core::Verbosity::quiet, &sink);
  core::CancelFlag cancel;
  core::Progress progress(false, cancel);
  auto run = [&](const std::string& owa) {
    std::string text = kScenario;
    text.insert(text.find("[sites]\n") + 8, owa);
    // Travel time counts from 0 (factor 1) to 10 minutes (factor 0) here.
    text += "seat_full_min = 0\nseat_zero_min = 10\n";
    const auto s = config::parse_scenario(text, "/tmp/s.toml");
    struct Out {
      std::vector<float> suitability, travel_min;
    };
    sites::SiteRasterCollector cells(grid);
    auto r = sites::find_sites(ctx, grid, sites::WholeGridInputs(grid, &slope, &elev), layers, {}, s, log, progress,
                               cells, 0);
    return Out{cells.suitability, r.travel_min};
  };
  // Cell (0,0): on the road (road factor 1), at the seat (seat factor 1), slope factor 0.6.
  CHECK(run("").suitability[0] == Approx((1.0 + 1.0 + 0.6) / 3.0));
  CHECK(run("").travel_min[0] == 0.0f);
  // Equal order weights: the weighted linear combination.
  CHECK(run("owa_order_weights = [1, 1, 1]\n").suitability[0] == Approx((1.0 + 1.0 + 0.6) / 3.0));
  // All weight on the worst rank: the minimum (cautious); on the best: the maximum.
  CHECK(run("owa_order_weights = [0, 0, 1]\n").suitability[0] == Approx(0.6));
  CHECK(run("owa_order_weights = [1, 0, 0]\n").suitability[0] == Approx(1.0));
  // Cell (9,9), the far corner, off the road: the seat factor from the travel
  // time; sigmoid membership is cos^2 of the linear position.
  const auto lin = run("");
  const auto sig = run("membership = \"sigmoid\"\n");
  const std::size_t k = 9 * 10 + 9;
  const double pos = lin.travel_min[k] / 10.0;
  REQUIRE(pos > 0.1);
  REQUIRE(pos < 0.9);
  const double road = 1.0 - (270.0 - 200.0) / (3000.0 - 200.0);  // 270 m from the road
  CHECK(lin.suitability[k] == Approx((road + (1.0 - pos) + 0.6) / 3.0));
  const double road_sig = std::pow(std::cos((1.0 - road) * M_PI / 2), 2);  // every distance factor is sigmoid
  CHECK(sig.suitability[k] == Approx((road_sig + std::pow(std::cos(pos * M_PI / 2), 2) + 0.6) / 3.0));
  // Order weights must match the factors in use.
  CHECK_THROWS_AS(run("owa_order_weights = [1, 1]\n"), core::ScenarioError);
}
