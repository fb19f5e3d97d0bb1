#include <geos_c.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "relocplan/core/error.hpp"
#include "relocplan/criteria/coverage.hpp"
#include "relocplan/raster/grid.hpp"

using relocplan::criteria::CoverageWindow;
using relocplan::criteria::polygon_coverage;
using relocplan::criteria::PolygonRings;
using relocplan::criteria::Ring;
using relocplan::criteria::rings_from_geos;
using relocplan::raster::Grid;

namespace {

// The fractions are stored as float: rounding a value v in [0, 1] to float
// moves it by at most 2^-24 v. Expectations computed in double are compared
// with that allowance on top of the algorithm's own (double) tolerance.
constexpr double kFloatRounding = 1.0 / 16777216.0;  // 2^-24

// Counter-clockwise axis-aligned rectangle, not closed.
Ring rectangle(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}; }

Ring reversed(Ring r) {
  std::reverse(r.begin(), r.end());
  return r;
}

// Shoelace area, orientation-free.
double ring_area(const Ring& r) {
  double a2 = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const auto& [xa, ya] = r[i];
    const auto& [xb, yb] = r[(i + 1) % r.size()];
    a2 += (xa - r[0].first) * (yb - r[0].second) - (xb - r[0].first) * (ya - r[0].second);
  }
  return std::abs(a2) / 2;
}

// A simple polygon, star-shaped around (cx, cy): vertices at increasing
// angles with random radii in [r_min, r_max], so edges cross the cell lines
// at arbitrary points. Counter-clockwise.
Ring random_star(std::mt19937& rng, double cx, double cy, double r_min, double r_max, int vertices) {
  std::uniform_real_distribution<double> radius(r_min, r_max), jitter(0.1, 0.9);
  Ring ring;
  const double step = 2 * std::numbers::pi / vertices;
  for (int i = 0; i < vertices; ++i) {
    const double angle = (i + jitter(rng)) * step;
    const double r = radius(rng);
    ring.emplace_back(cx + r * std::cos(angle), cy + r * std::sin(angle));
  }
  return ring;
}

double total_area_m2(const CoverageWindow& w, const Grid& g) {
  double sum = 0;
  for (float f : w.fraction) sum += f * g.cell_area();
  return sum;
}

std::size_t partial_cells(const CoverageWindow& w) {
  return static_cast<std::size_t>(
      std::count_if(w.fraction.begin(), w.fraction.end(), [](float f) { return f > 0 && f < 1; }));
}

// GEOS as an independent oracle for the exact area of polygon x cell.
class Geos {
 public:
  Geos() : ctx(GEOS_init_r()) {}
  ~Geos() { GEOS_finish_r(ctx); }
  Geos(const Geos&) = delete;
  Geos& operator=(const Geos&) = delete;

  GEOSGeometry* ring(const Ring& r) const {
    GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx, static_cast<unsigned>(r.size() + 1), 2);
    for (std::size_t i = 0; i <= r.size(); ++i) {
      const auto& [x, y] = r[i % r.size()];
      GEOSCoordSeq_setXY_r(ctx, seq, static_cast<unsigned>(i), x, y);
    }
    return GEOSGeom_createLinearRing_r(ctx, seq);
  }
  GEOSGeometry* polygon(const PolygonRings& p) const {
    std::vector<GEOSGeometry*> holes;
    for (const Ring& h : p.holes) holes.push_back(ring(h));
    return GEOSGeom_createPolygon_r(ctx, ring(p.exterior), holes.data(), static_cast<unsigned>(holes.size()));
  }
  GEOSGeometry* multipolygon(const std::vector<PolygonRings>& parts) const {
    std::vector<GEOSGeometry*> g;
    for (const PolygonRings& p : parts) g.push_back(polygon(p));
    return GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, g.data(), static_cast<unsigned>(g.size()));
  }
  double intersection_area(const GEOSGeometry* a, double x0, double y0, double x1, double y1) const {
    GEOSGeometry* rect = GEOSGeom_createRectangle_r(ctx, x0, y0, x1, y1);
    GEOSGeometry* inter = GEOSIntersection_r(ctx, a, rect);
    REQUIRE(inter != nullptr);
    double area = 0;
    GEOSArea_r(ctx, inter, &area);
    GEOSGeom_destroy_r(ctx, inter);
    GEOSGeom_destroy_r(ctx, rect);
    return area;
  }
  GEOSGeometry* from_wkt(const char* wkt) const {
    GEOSWKTReader* reader = GEOSWKTReader_create_r(ctx);
    GEOSGeometry* g = GEOSWKTReader_read_r(ctx, reader, wkt);
    GEOSWKTReader_destroy_r(ctx, reader);
    REQUIRE(g != nullptr);
    return g;
  }

  GEOSContextHandle_t ctx;
};

// Every cell of the grid: inside the window the fraction equals GEOS's exact
// intersection area / cell area; outside it GEOS finds nothing.
void check_against_geos(const Geos& geos, const Grid& g, const std::vector<PolygonRings>& parts) {
  GEOSGeometry* poly = geos.multipolygon(parts);
  REQUIRE(GEOSisValid_r(geos.ctx, poly) == 1);
  const CoverageWindow w = polygon_coverage(g, parts);
  double worst = 0;
  for (std::size_t r = 0; r < g.rows(); ++r)
    for (std::size_t c = 0; c < g.cols(); ++c) {
      const double x0 = g.xmin() + static_cast<double>(c) * g.cell_size();
      const double y1 = g.ymax() - static_cast<double>(r) * g.cell_size();
      const double expect =
          geos.intersection_area(poly, x0, y1 - g.cell_size(), x0 + g.cell_size(), y1) / g.cell_area();
      const bool in_window = r >= w.row0 && r < w.row0 + w.rows && c >= w.col0 && c < w.col0 + w.cols;
      if (!in_window) {
        INFO("cell " << r << ", " << c << " outside the window " << w.row0 << "+" << w.rows << ", " << w.col0 << "+"
                     << w.cols);
        CHECK(expect == 0.0);
        continue;
      }
      const double got = w.at(r, c);
      const double err = std::abs(got - expect);
      worst = std::max(worst, err);
      if (err > 1e-9 + kFloatRounding * expect) {
        INFO("cell " << r << ", " << c);
        CHECK(got == Approx(expect).margin(1e-9));
      }
    }
  // One summary assertion, so that a passing run still counts the check.
  CHECK(worst <= 1e-9 + kFloatRounding);
  GEOSGeom_destroy_r(geos.ctx, poly);
}

}  // namespace

TEST_CASE("coverage: rectangle on the cell lines covers whole cells", "[coverage]") {
  // 10 x 10 cells of 10 m from (1000, 1900) to (1100, 2000).
  const Grid g(1000, 2000, 10, 10, 10, "");
  const CoverageWindow w = polygon_coverage(g, {{rectangle(1020, 1930, 1050, 1970), {}}});
  REQUIRE(w.col0 == 2);
  REQUIRE(w.cols == 3);
  REQUIRE(w.row0 == 3);  // y 1970 is 3 cells below the top
  REQUIRE(w.rows == 4);
  for (float f : w.fraction) CHECK(f == 1.0f);
}

TEST_CASE("coverage: rectangle off the cell lines gives partial cells", "[coverage]") {
  // x 2.5 .. 4.75 covers columns 2, 3, 4 by 0.5, 1, 0.75;
  // y 3.5 .. 6.25 covers rows 3 (y 6..7), 4, 5, 6 (y 3..4) by 0.25, 1, 1, 0.5.
  const Grid g(0, 10, 1, 10, 10, "");
  const CoverageWindow w = polygon_coverage(g, {{rectangle(2.5, 3.5, 4.75, 6.25), {}}});
  REQUIRE(w.col0 == 2);
  REQUIRE(w.cols == 3);
  REQUIRE(w.row0 == 3);
  REQUIRE(w.rows == 4);
  const double by_col[] = {0.5, 1, 0.75};
  const double by_row[] = {0.25, 1, 1, 0.5};
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 3; ++c) {
      INFO("row " << r + 3 << " col " << c + 2);
      CHECK(w.at(r + 3, c + 2) == Approx(by_row[r] * by_col[c]).margin(1e-12));
    }
  CHECK(w.at(3, 2) == Approx(0.125).margin(1e-12));
  CHECK(w.at(6, 4) == Approx(0.375).margin(1e-12));
}

TEST_CASE("coverage: triangles with hand-computed cell shares", "[coverage]") {
  SECTION("one row: the hypotenuse y = 1 - x/3 over three columns") {
    // Cells of 2 m; in cell units the shares are int_c^{c+1} (1 - x/3) dx = 1 - (2c + 1)/6.
    const Grid g(100, 52, 2, 1, 3, "");
    const CoverageWindow w = polygon_coverage(g, {{{{100, 50}, {106, 50}, {100, 52}}, {}}});
    REQUIRE(w.rows == 1);
    REQUIRE(w.cols == 3);
    CHECK(w.at(0, 0) == Approx(5.0 / 6).margin(1e-7));
    CHECK(w.at(0, 1) == Approx(3.0 / 6).margin(1e-7));
    CHECK(w.at(0, 2) == Approx(1.0 / 6).margin(1e-7));
  }
  SECTION("two rows: apex (1, 2) over the base (0, 0)-(2, 0)") {
    // Left side y = 2x: the bottom-left cell loses the triangle x < y/2
    // (area 1/4); the top-left cell keeps x > y/2 for y in [1, 2]
    // (int_1^2 (1 - y/2) dy = 1/4). The right half mirrors it.
    const Grid g(0, 2, 1, 2, 2, "");
    const CoverageWindow w = polygon_coverage(g, {{{{0, 0}, {2, 0}, {1, 2}}, {}}});
    REQUIRE(w.rows == 2);
    REQUIRE(w.cols == 2);
    CHECK(w.at(1, 0) == Approx(0.75).margin(1e-12));
    CHECK(w.at(1, 1) == Approx(0.75).margin(1e-12));
    CHECK(w.at(0, 0) == Approx(0.25).margin(1e-12));
    CHECK(w.at(0, 1) == Approx(0.25).margin(1e-12));
  }
}

TEST_CASE("coverage: a hole is not covered", "[coverage]") {
  const Grid g(0, 6, 1, 6, 6, "");
  SECTION("hole on the cell lines") {
    const CoverageWindow w = polygon_coverage(g, {{rectangle(0, 0, 6, 6), {rectangle(2, 2, 4, 4)}}});
    REQUIRE(w.rows == 6);
    REQUIRE(w.cols == 6);
    for (std::size_t r = 0; r < 6; ++r)
      for (std::size_t c = 0; c < 6; ++c) {
        const bool in_hole = r >= 2 && r < 4 && c >= 2 && c < 4;
        CHECK(w.at(r, c) == (in_hole ? 0.0f : 1.0f));
      }
    CHECK(total_area_m2(w, g) == Approx(36.0 - 4.0).epsilon(1e-12));
  }
  SECTION("hole off the cell lines, given counter-clockwise like the exterior") {
    // The hole 1.5..4.5 takes a quarter of the cells at its corners and half
    // of the cells along its sides; the cells within 2..4 are empty.
    const CoverageWindow w = polygon_coverage(g, {{rectangle(0, 0, 6, 6), {rectangle(1.5, 1.5, 4.5, 4.5)}}});
    CHECK(w.at(1, 1) == Approx(0.75).margin(1e-12));
    CHECK(w.at(1, 2) == Approx(0.5).margin(1e-12));
    CHECK(w.at(4, 4) == Approx(0.75).margin(1e-12));
    CHECK(w.at(2, 2) == 0.0f);
    CHECK(w.at(3, 3) == 0.0f);
    CHECK(w.at(0, 0) == 1.0f);
    CHECK(total_area_m2(w, g) == Approx(36.0 - 9.0).epsilon(1e-12));
  }
}

TEST_CASE("coverage: ring orientation and closure do not matter", "[coverage]") {
  std::mt19937 rng(7);
  const Grid g(0, 40, 1, 40, 40, "");
  const Ring outer = random_star(rng, 20.3, 19.6, 12, 18, 60);
  const Ring inner = random_star(rng, 20.3, 19.6, 3, 8, 25);
  const CoverageWindow ccw = polygon_coverage(g, {{outer, {reversed(inner)}}});
  Ring closed = reversed(outer);
  closed.push_back(closed.front());
  const std::vector<std::vector<PolygonRings>> variants = {
      {{reversed(outer), {inner}}},   // exterior clockwise, hole counter-clockwise
      {{outer, {inner}}},             // both counter-clockwise
      {{closed, {reversed(inner)}}},  // closed ring
  };
  REQUIRE(partial_cells(ccw) > 100);
  for (const auto& v : variants) {
    const CoverageWindow w = polygon_coverage(g, v);
    REQUIRE(w.rows == ccw.rows);
    REQUIRE(w.cols == ccw.cols);
    double worst = 0;
    for (std::size_t i = 0; i < w.fraction.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::abs(w.fraction[i] - ccw.fraction[i])));
    // Only the order of the additions differs: at most a float ulp.
    CHECK(worst <= 1.2e-7);
  }
}

TEST_CASE("coverage: a multipolygon of two parts", "[coverage]") {
  const Grid g(0, 4, 1, 4, 6, "");
  const std::vector<PolygonRings> parts = {{rectangle(0, 0, 2, 1), {}}, {rectangle(3.5, 2, 5, 3.5), {}}};
  const CoverageWindow w = polygon_coverage(g, parts);
  REQUIRE(w.row0 == 0);  // y 3.5 lies in row 0
  REQUIRE(w.rows == 4);
  REQUIRE(w.col0 == 0);
  REQUIRE(w.cols == 5);
  CHECK(w.at(3, 0) == 1.0f);  // first part: row 3, columns 0 and 1
  CHECK(w.at(3, 1) == 1.0f);
  CHECK(w.at(0, 3) == Approx(0.25).margin(1e-12));  // second part: x 3.5..5, y 2..3.5
  CHECK(w.at(0, 4) == Approx(0.5).margin(1e-12));
  CHECK(w.at(1, 3) == Approx(0.5).margin(1e-12));
  CHECK(w.at(1, 4) == 1.0f);
  CHECK(w.at(2, 2) == 0.0f);  // between the parts
  CHECK(w.at(3, 4) == 0.0f);
  CHECK(total_area_m2(w, g) == Approx(2.0 + 2.25).epsilon(1e-12));
}

TEST_CASE("coverage: the cell shares add up to the polygon's area", "[coverage]") {
  // Projected coordinates of realistic size, 30 m cells, 150 x 150 grid.
  std::mt19937 rng(20240611);
  const Grid g(512340, 3214560, 30, 150, 150, "");
  std::uniform_real_distribution<double> centre(0.35, 0.65);
  for (int i = 0; i < 20; ++i) {
    const double cx = g.xmin() + centre(rng) * 4500, cy = g.ymax() - centre(rng) * 4500;
    PolygonRings p{random_star(rng, cx, cy, 600, 1500, 200), {}};
    double area = ring_area(p.exterior);
    if (i % 2 == 1) {  // every other one with a hole inside the exterior's smallest radius
      p.holes.push_back(reversed(random_star(rng, cx, cy, 100, 500, 50)));
      area -= ring_area(p.holes.back());
    }
    const CoverageWindow w = polygon_coverage(g, {p});
    const std::size_t partial = partial_cells(w);
    REQUIRE(partial > 100);
    // Exact in double to ~1e-12; the float storage adds at most 2^-24 per
    // partly covered cell (whole cells are exactly 1 or 0).
    const double tol = 1e-9 * area + kFloatRounding * g.cell_area() * static_cast<double>(partial);
    INFO("polygon " << i << ": area " << area << " m2, tolerance " << tol << " m2");
    CHECK(std::abs(total_area_m2(w, g) - area) <= tol);
  }
}

TEST_CASE("coverage: every cell equals GEOS's exact intersection area", "[coverage]") {
  Geos geos;
  std::mt19937 rng(99);
  const Grid g(450000, 2800000, 25, 30, 30, "");
  for (int i = 0; i < 6; ++i) {
    const double cx = g.xmin() + 375.3 + i, cy = g.ymax() - 374.1 - i;
    PolygonRings p{random_star(rng, cx, cy, 120, 330, 40), {}};
    if (i % 2 == 0) p.holes.push_back(random_star(rng, cx, cy, 30, 100, 12));
    INFO("polygon " << i);
    check_against_geos(geos, g, {p});
  }
  SECTION("two parts") {
    check_against_geos(geos, g,
                       {{random_star(rng, g.xmin() + 200, g.ymax() - 200, 50, 150, 30), {}},
                        {random_star(rng, g.xmin() + 520, g.ymax() - 500, 50, 200, 30), {}}});
  }
}

TEST_CASE("coverage: polygons beyond the grid are clipped without corrupting the inside", "[coverage]") {
  const Grid g(0, 10, 1, 10, 10, "");
  SECTION("a rectangle around the whole grid covers every cell") {
    const CoverageWindow w = polygon_coverage(g, {{rectangle(-5, -5, 15, 15), {}}});
    REQUIRE(w.row0 == 0);
    REQUIRE(w.col0 == 0);
    REQUIRE(w.rows == 10);
    REQUIRE(w.cols == 10);
    for (float f : w.fraction) CHECK(f == 1.0f);
  }
  SECTION("a top edge above the grid still fills the rows below it") {
    // Rows 0..6 (y 3..10) of columns 2..4, though the top edge is at y = 30.
    const CoverageWindow w = polygon_coverage(g, {{rectangle(2, 3, 5, 30), {}}});
    REQUIRE(w.row0 == 0);
    REQUIRE(w.rows == 7);
    REQUIRE(w.col0 == 2);
    REQUIRE(w.cols == 3);
    for (float f : w.fraction) CHECK(f == 1.0f);
  }
  SECTION("star polygons overlapping every side, against GEOS") {
    Geos geos;
    std::mt19937 rng(3);
    for (int i = 0; i < 4; ++i) {
      INFO("polygon " << i);
      check_against_geos(geos, g, {{random_star(rng, 5.2, 4.9, 3, 9, 50), {}}});
    }
    // Apex far above the grid: edges cross the top at a slant.
    check_against_geos(geos, g, {{{{1.3, 2.2}, {8.6, 1.7}, {4.4, 31.5}}, {}}});
  }
}

TEST_CASE("coverage: a polygon outside the grid gives an empty window", "[coverage]") {
  const Grid g(0, 10, 1, 10, 10, "");
  CHECK(polygon_coverage(g, {{rectangle(20, 0, 30, 10), {}}}).empty());   // to the right
  CHECK(polygon_coverage(g, {{rectangle(0, 11, 10, 20), {}}}).empty());   // above
  CHECK(polygon_coverage(g, {{rectangle(-9, -9, -1, -1), {}}}).empty());  // below left
  CHECK(polygon_coverage(g, {{rectangle(10, 2, 12, 8), {}}}).empty());    // touching the right edge
  CHECK(polygon_coverage(g, {}).empty());
  const CoverageWindow inside = polygon_coverage(g, {{rectangle(9, 2, 12, 8), {}}});  // control
  CHECK_FALSE(inside.empty());
}

TEST_CASE("coverage: degenerate polygons cover nothing", "[coverage]") {
  const Grid g(0, 10, 1, 10, 10, "");
  const std::vector<Ring> degenerate = {
      {{1, 1}, {5, 5}, {9, 9}},                  // collinear
      {{1, 1}, {5, 5}, {1, 1}},                  // two distinct points, closed
      {{2, 2}, {2, 2}, {2, 2}, {2, 2}},          // one point
      {{1, 2}, {6, 2}, {3, 2}, {8, 2}, {1, 2}},  // folded back on a line
      {},
  };
  for (const Ring& r : degenerate) {
    const CoverageWindow w = polygon_coverage(g, {{r, {rectangle(3, 3, 4, 4)}}});
    const bool all_zero = std::all_of(w.fraction.begin(), w.fraction.end(), [](float f) { return f == 0.0f; });
    CHECK((w.empty() || all_zero));
  }
}

TEST_CASE("coverage: rings from GEOS polygons and multipolygons", "[coverage]") {
  Geos geos;
  const Grid g(0, 6, 1, 6, 6, "");
  SECTION("polygon with a hole") {
    GEOSGeometry* p = geos.from_wkt("POLYGON((0 0, 6 0, 6 6, 0 6, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))");
    const auto rings = rings_from_geos(geos.ctx, p);
    GEOSGeom_destroy_r(geos.ctx, p);
    REQUIRE(rings.size() == 1);
    CHECK(rings[0].exterior.size() == 5);
    REQUIRE(rings[0].holes.size() == 1);
    CHECK(rings[0].holes[0][1] == std::pair<double, double>(2, 4));
    const CoverageWindow w = polygon_coverage(g, rings);
    CHECK(w.at(2, 2) == 0.0f);
    CHECK(w.at(0, 0) == 1.0f);
    CHECK(total_area_m2(w, g) == Approx(32).epsilon(1e-12));
  }
  SECTION("multipolygon") {
    GEOSGeometry* m =
        geos.from_wkt("MULTIPOLYGON(((0 0, 1 0, 1 1, 0 1, 0 0)), ((2 2, 4.5 2, 4.5 3, 2 3, 2 2)), EMPTY)");
    const auto rings = rings_from_geos(geos.ctx, m);
    GEOSGeom_destroy_r(geos.ctx, m);
    REQUIRE(rings.size() == 2);
    CHECK(rings[1].exterior[1] == std::pair<double, double>(4.5, 2));
    CHECK(total_area_m2(polygon_coverage(g, rings), g) == Approx(1 + 2.5).epsilon(1e-12));
  }
  SECTION("other types and empty geometries give no rings") {
    for (const char* wkt : {"POINT(1 1)", "LINESTRING(0 0, 1 1)", "POLYGON EMPTY", "MULTIPOLYGON EMPTY",
                            "GEOMETRYCOLLECTION(POLYGON((0 0, 1 0, 1 1, 0 0)))"}) {
      GEOSGeometry* x = geos.from_wkt(wkt);
      INFO(wkt);
      CHECK(rings_from_geos(geos.ctx, x).empty());
      GEOSGeom_destroy_r(geos.ctx, x);
    }
  }
}

TEST_CASE("coverage: a vertex that is not a number is an input error", "[coverage]") {
  const Grid g(0, 10, 1, 10, 10, "");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(polygon_coverage(g, {{{{1, 1}, {5, nan}, {5, 5}}, {}}}), relocplan::core::InputError);
  CHECK_THROWS_WITH(
      polygon_coverage(g, {{rectangle(0, 0, 5, 5), {{{1, 1}, {2, 1}, {std::numeric_limits<double>::infinity(), 2}}}}}),
      Catch::Matchers::Contains("vertex 2 of a hole ring"));
}
