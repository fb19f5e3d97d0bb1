// The village assessment on hand-made cases: every hard trigger, the soft
// score and its class bands, missing data, zonal statistics on a tiny grid,
// Voronoi territories.

#include <catch2/catch.hpp>
#include <cmath>

#include "relocplan/config/scenario.hpp"
#include "relocplan/criteria/assessment.hpp"
#include "relocplan/criteria/territories.hpp"
#include "relocplan/vector/geos.hpp"

using namespace relocplan;

namespace {

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
population = "pop"
households = "hh"
poor_households = "poor"
)";

config::Scenario scenario(const std::string& extra = "") {
  return config::parse_scenario(std::string(kScenario) + extra, "/tmp/s.toml");
}

vector::Village village(std::int64_t pop, std::int64_t hh, std::int64_t poor) {
  vector::Village v;
  v.id = "V";
  v.population = pop;
  v.households = hh;
  v.poor_households = poor;
  return v;
}

// Territory figures of a gentle, low, well-farmed place: nothing fires.
criteria::TerritoryStats calm() {
  criteria::TerritoryStats t;
  t.area_ha = 400;
  t.steep_pct = 5;
  t.max_relief_m = 100;
  t.mean_elevation_m = 800;
  t.cultivable_ha = 100;
  return t;
}

bool has_reason(const criteria::VillageAssessment& a, const std::string& code) {
  for (const auto& r : a.reasons)
    if (r.code == code) return true;
  return false;
}

vector::GeomPtr wkt(GEOSContextHandle_t ctx, const char* text) {
  GEOSWKTReader* r = GEOSWKTReader_create_r(ctx);
  GEOSGeometry* g = GEOSWKTReader_read_r(ctx, r, text);
  GEOSWKTReader_destroy_r(ctx, r);
  REQUIRE(g);
  return vector::wrap(ctx, g);
}

}  // namespace

TEST_CASE("linear membership", "[assessment]") {
  CHECK(criteria::linear_membership(5, 10, 50) == 0.0);
  CHECK(criteria::linear_membership(30, 10, 50) == 0.5);
  CHECK(criteria::linear_membership(80, 10, 50) == 1.0);
  CHECK(criteria::linear_membership(50, 50, 50) == 1.0);
}

TEST_CASE("a calm village stays, with a score and no reasons", "[assessment]") {
  const auto s = scenario();
  const auto a = criteria::assess(village(400, 100, 10), calm(), 800.0, {}, s);
  CHECK(a.cls == "stay");
  CHECK(a.reasons.empty());
  REQUIRE(a.score);
  CHECK(*a.score == Approx(0.0));
  CHECK(a.relocating_people == 0);
  // 100 ha for 400 people.
  CHECK(*a.cultivable_m2_per_person == Approx(2500.0));
}

TEST_CASE("hard triggers: hazards, reserve, red line, flood move the whole village", "[assessment]") {
  const auto s = scenario();
  criteria::PointCriteria p;
  SECTION("high susceptibility") {
    p.susceptibility = "high";
    const auto a = criteria::assess(village(400, 100, 10), calm(), 800.0, p, s);
    CHECK(a.cls == "relocate_whole");
    CHECK(has_reason(a, "HAZARD_ZONE"));
    CHECK(a.relocating_people == 400);
    CHECK(a.relocating_households == 100);
  }
  SECTION("medium susceptibility is not a trigger") {
    p.susceptibility = "medium";
    CHECK(criteria::assess(village(400, 100, 10), calm(), 800.0, p, s).cls == "stay");
  }
  SECTION("within a geohazard's threat range, with distance and radius in the reason") {
    p.hazards_assessed = true;
    p.hazard_id = "HZ0007";
    p.hazard_kind = "landslide";
    p.hazard_dist_m = 230;
    p.hazard_radius_m = 400;
    const auto a = criteria::assess(village(400, 100, 10), calm(), 800.0, p, s);
    CHECK(a.cls == "relocate_whole");
    CHECK_THAT(a.reasons_text(), Catch::Contains("HAZARD_THREAT: the village is 230 m from landslide HZ0007, within its "
                                                 "threat range of 400 m"));
  }
  SECTION("reserve core and buffer; experimental zone is allowed") {
    p.reserve_zone = "core";
    CHECK(has_reason(criteria::assess(village(400, 100, 10), calm(), 800.0, p, s), "RESERVE_CORE"));
    p.reserve_zone = "buffer";
    CHECK(criteria::assess(village(400, 100, 10), calm(), 800.0, p, s).cls == "relocate_whole");
    CHECK(criteria::assess(village(400, 100, 10), calm(), 800.0, p,
                           scenario("[thresholds.protected]\nbuffer_zone_trigger = 0\n"))
              .cls == "stay");
    p.reserve_zone = "experimental";
    CHECK(criteria::assess(village(400, 100, 10), calm(), 800.0, p, s).cls == "stay");
  }
  SECTION("red line and flood zone") {
    p.in_redline = true;
    // By default the red line is reported, not a trigger (only its core is).
    const auto reported = criteria::assess(village(400, 100, 10), calm(), 800.0, p, s);
    CHECK(reported.cls == "stay");
    CHECK(has_reason(reported, "IN_REDLINE"));
    const auto core = criteria::assess(village(400, 100, 10), calm(), 800.0, p,
                                       scenario("[thresholds.protected]\nredline_trigger = 1\n"));
    CHECK(core.cls == "relocate_whole");
    CHECK(has_reason(core, "REDLINE"));
    p.in_redline = false;
    p.in_flood_zone = true;
    CHECK(has_reason(criteria::assess(village(400, 100, 10), calm(), 800.0, p, s), "FLOOD_ZONE"));
  }
}

TEST_CASE("small and poor: fewer than 50 households and more than 50 % poor", "[assessment]") {
  const auto s = scenario();
  auto cls = [&](std::int64_t hh, std::int64_t poor) {
    return criteria::assess(village(hh * 4, hh, poor), calm(), 800.0, {}, s).cls;
  };
  CHECK(cls(49, 25) == "relocate_whole");  // 51 %
  CHECK(cls(50, 26) == "stay");            // 50 households is not fewer than 50
  CHECK(cls(48, 24) == "stay");            // exactly 50 % is not above 50 %
  const auto a = criteria::assess(village(180, 49, 25), calm(), 800.0, {}, s);
  CHECK_THAT(a.reasons_text(), Catch::Contains("SMALL_POOR: 49 households (< 50) with a poverty rate of 51 % (> 50 %)"));
  CHECK(a.relocating_households == 49);
}

TEST_CASE("carrying capacity below 530 m2 per person moves the registered poor", "[assessment]") {
  const auto s = scenario();
  auto t = calm();
  t.cultivable_ha = 5.2;  // 52,000 m2 for 100 people: 520 m2 each
  const auto a = criteria::assess(village(100, 25, 8), t, 800.0, {}, s);
  CHECK(a.cls == "relocate_registered");
  CHECK(has_reason(a, "LOW_CARRYING_CAPACITY"));
  CHECK(*a.cultivable_m2_per_person == Approx(520.0));
  CHECK(a.relocating_households == 8);
  CHECK(a.relocating_people == 32);  // 8 households x 4 people each (100 / 25)
  t.cultivable_ha = 5.4;             // 540 m2 each
  CHECK(criteria::assess(village(100, 25, 8), t, 800.0, {}, s).cls == "stay");
}

TEST_CASE("soft score: weighted, standardised criteria and the class bands", "[assessment]") {
  // Only steepness counts: the score is 100 x its membership.
  const auto s = scenario("[assessment.weights]\nsteep = 1\nrelief = 0\nelevation = 0\nfragility = 0\nremoteness = 0\n");
  auto t = calm();
  auto score_of = [&](double steep_pct) {
    t.steep_pct = steep_pct;
    return criteria::assess(village(400, 100, 10), t, 800.0, {}, s);
  };
  // Membership is linear from 10 % (0) to 50 % (1): 34 % -> 0.6 -> 60.
  auto a = score_of(34.0);
  CHECK(*a.score == Approx(60.0));
  CHECK(a.cls == "relocate_registered");
  CHECK(has_reason(a, "HIGH_SCORE"));
  CHECK(a.relocating_households == 10);
  a = score_of(33.9);
  CHECK(a.cls == "review");
  CHECK(has_reason(a, "REVIEW_BAND"));
  a = score_of(28.0);  // 45
  CHECK(a.cls == "review");
  a = score_of(27.9);
  CHECK(a.cls == "stay");
  a = score_of(60.0);
  CHECK(has_reason(a, "STEEP"));
}

TEST_CASE("equal default weights average the assessed criteria", "[assessment]") {
  const auto s = scenario();  // no fragility or roads given: three criteria assessed
  auto t = calm();
  t.steep_pct = 50;      // 1
  t.max_relief_m = 150;  // 0
  const auto a = criteria::assess(village(400, 100, 10), t, 1600.0, {}, s);  // elevation (1600-1200)/800 = 0.5
  CHECK(*a.score == Approx(100.0 * 1.5 / 3.0));
  CHECK(a.unknown.empty());
}

TEST_CASE("missing attributes are unknown, not zero: the village goes to review, never a silent stay", "[assessment]") {
  const auto s = scenario();
  vector::Village v = village(0, 0, 0);
  v.population.reset();
  v.households.reset();
  v.poor_households.reset();
  const auto a = criteria::assess(v, calm(), 800.0, {}, s);
  CHECK(a.cls == "review");
  CHECK(has_reason(a, "MISSING_DATA"));
  CHECK_THAT(a.reasons_text(), Catch::Contains("UNKNOWN: SMALL_POOR") && Catch::Contains("LOW_CARRYING_CAPACITY"));
  // A terrain criterion without data (territory off the DEM) is unknown too.
  auto t = calm();
  t.steep_pct.reset();
  CHECK(criteria::assess(village(400, 100, 10), t, 800.0, {}, s).cls == "review");
}

TEST_CASE("zonal statistics on a tiny grid, cells weighted by coverage", "[assessment][zonal]") {
  vector::GeosContext geos;
  const raster::Grid grid(0, 40, 10, 4, 4, "");  // 4 x 4 cells of 10 m
  // Territory: x 5..25, y 15..35 -> covers cells (row 0..2, col 0..2) in part.
  auto poly = wkt(geos.get(), "POLYGON((5 15, 25 15, 25 35, 5 35, 5 15))");
  const auto s = scenario();
  criteria::TerritoryAccumulator acc(grid, geos.get(), {poly.get()}, s.thresholds);
  // Slope 30 deg (steep) in column 0, 10 deg elsewhere; land cover cultivated (10) in row 1.
  std::vector<float> slope(16, 10.0f), relief(16, 50.0f), elev(16, 1000.0f), lc(16, 20.0f);
  for (int r = 0; r < 4; ++r) slope[r * 4] = 30.0f;
  for (int c = 0; c < 4; ++c) lc[4 + c] = 10.0f;
  criteria::BlockLayers L;
  L.slope_deg = slope.data();
  L.relief_m = relief.data();
  L.elevation_m = elev.data();
  L.landcover = lc.data();
  // Fed in two strips: rows 0-1, then 2-3.
  acc.add_rows(0, 2, L);
  L.slope_deg += 8;
  L.relief_m += 8;
  L.elevation_m += 8;
  L.landcover += 8;
  acc.add_rows(2, 2, L);
  const auto st = acc.results().at(0);
  // Area 20 x 20 m = 0.04 ha. Coverage: column 0 is half covered (x 5..10),
  // columns 1 full, column 2 half; rows 0 (y 30..40) half, row 1 full, row 2 half.
  CHECK(st.area_ha == Approx(0.04));
  // Steep share: column 0 weight 0.5 x (0.5 + 1 + 0.5) = 1 of 4 cell-areas -> 25 %.
  CHECK(*st.steep_pct == Approx(25.0));
  CHECK(*st.mean_slope_deg == Approx(0.25 * 30 + 0.75 * 10));
  // Cultivated: row 1 covered 0.5 + 1 + 0.5 = 2 cells x 100 m2 = 0.02 ha;
  // cultivable excludes column 0's steep half cell: 1.5 cells = 0.015 ha.
  CHECK(*st.cultivated_ha == Approx(0.02));
  CHECK(*st.cultivable_ha == Approx(0.015));
  CHECK(*st.steep_cultivated_pct == Approx(25.0));
  CHECK(*st.max_slope_deg == Approx(30.0));
  CHECK_FALSE(st.mean_fragility.has_value());  // not given
  CHECK(acc.active() == 0);                    // released after its last row
}

TEST_CASE("Voronoi territories: bisector between villages, clipped to the radius", "[assessment][territories]") {
  vector::GeosContext geos;
  std::vector<vector::Village> vs(2);
  vs[0].id = "A";
  vs[0].x = 0;
  vs[0].y = 0;
  vs[1].id = "B";
  vs[1].x = 1000;
  vs[1].y = 0;
  const auto r = criteria::build_territories(geos.get(), vs, {-5000, -5000, 5000, 5000}, 300.0, nullptr, nullptr);
  REQUIRE(r.territories.size() == 2);
  // Both far enough apart: each is its full 300 m circle (16-segment quadrants).
  CHECK(r.territories[0].area_m2 == Approx(M_PI * 300 * 300).epsilon(0.01));
  const auto close = [&] {
    std::vector<vector::Village> c = vs;
    c[1].x = 400;
    return criteria::build_territories(geos.get(), c, {-5000, -5000, 5000, 5000}, 300.0, nullptr, nullptr);
  }();
  // At 400 m apart the bisector x = 200 cuts both circles the same way.
  CHECK(close.territories[0].area_m2 == Approx(close.territories[1].area_m2).epsilon(1e-6));
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;
  GEOSGeom_getExtent_r(geos.get(), close.territories[0].geometry.get(), &xmin, &ymin, &xmax, &ymax);
  CHECK(xmax == Approx(200.0));
  CHECK(xmin == Approx(-300.0));
  // Clipped to the study area.
  const auto clipped = criteria::build_territories(geos.get(), vs, {-100, -5000, 5000, 5000}, 300.0, nullptr, nullptr);
  GEOSGeom_getExtent_r(geos.get(), clipped.territories[0].geometry.get(), &xmin, &ymin, &xmax, &ymax);
  CHECK(xmin == Approx(-100.0));
}
