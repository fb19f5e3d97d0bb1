#include <geos_c.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <random>

#include "relocplan/criteria/circle_coverage.hpp"

using relocplan::criteria::circle_rect_area;

namespace {

// GEOS as an independent oracle: a buffered point (fine polygon) intersected
// with the rectangle.
double geos_area(GEOSContextHandle_t ctx, double r, double x0, double x1, double y0, double y1) {
  GEOSGeometry* pt = GEOSGeom_createPointFromXY_r(ctx, 0, 0);
  GEOSGeometry* circle = GEOSBuffer_r(ctx, pt, r, 2048);
  GEOSGeometry* rect = GEOSGeom_createRectangle_r(ctx, x0, y0, x1, y1);
  GEOSGeometry* inter = GEOSIntersection_r(ctx, circle, rect);
  double a = 0;
  GEOSArea_r(ctx, inter, &a);
  GEOSGeom_destroy_r(ctx, inter);
  GEOSGeom_destroy_r(ctx, rect);
  GEOSGeom_destroy_r(ctx, circle);
  GEOSGeom_destroy_r(ctx, pt);
  return a;
}

}  // namespace

TEST_CASE("circle-rectangle area: closed cases", "[circle]") {
  const double pi = std::numbers::pi;
  CHECK(circle_rect_area(1, -2, 2, -2, 2) == Approx(pi).epsilon(1e-14));
  CHECK(circle_rect_area(1, 0, 2, 0, 2) == Approx(pi / 4).epsilon(1e-14));
  CHECK(circle_rect_area(1, -2, 2, 0, 2) == Approx(pi / 2).epsilon(1e-14));
  CHECK(circle_rect_area(2, -0.5, 0.5, -0.5, 0.5) == Approx(1.0).epsilon(1e-14));  // inside
  CHECK(circle_rect_area(1, 1.5, 2, -1, 1) == 0.0);                                  // outside
  CHECK(circle_rect_area(1, -1, 1, -1, 1) == Approx(pi).epsilon(1e-14));
  CHECK(circle_rect_area(0, -1, 1, -1, 1) == 0.0);
}

TEST_CASE("circle-rectangle area equals GEOS on random rectangles", "[circle]") {
  GEOSContextHandle_t ctx = GEOS_init_r();
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  for (int i = 0; i < 300; ++i) {
    double x0 = u(rng), x1 = u(rng), y0 = u(rng), y1 = u(rng);
    if (x0 > x1) std::swap(x0, x1);
    if (y0 > y1) std::swap(y0, y1);
    const double expect = geos_area(ctx, 1.0, x0, x1, y0, y1);
    // A 2048-segment polygon under-estimates the circle by about 1.6e-6 of its area.
    CHECK(circle_rect_area(1.0, x0, x1, y0, y1) == Approx(expect).margin(1e-5));
  }
  GEOS_finish_r(ctx);
}

TEST_CASE("cell shares of a circle on a grid add up to its area", "[circle]") {
  const double r = 1000.0, cell = 30.0;
  const double cx = 12.3, cy = -7.7;  // off the cell lattice
  double sum = 0;
  for (int i = -40; i < 40; ++i)
    for (int j = -40; j < 40; ++j)
      sum += circle_rect_area(r, i * cell - cx, (i + 1) * cell - cx, j * cell - cy, (j + 1) * cell - cy);
  CHECK(sum == Approx(std::numbers::pi * r * r).epsilon(1e-12));
}
