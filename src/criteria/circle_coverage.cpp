#include "relocplan/criteria/circle_coverage.hpp"

#include <algorithm>
#include <cmath>

namespace relocplan::criteria {

namespace {

// Antiderivative of sqrt(r^2 - x^2) on [-r, r].
double half_chord_integral(double r, double x) {
  x = std::clamp(x, -r, r);
  return 0.5 * (x * std::sqrt(std::max(0.0, r * r - x * x)) + r * r * std::asin(x / r));
}

// Area of the circle above the line y = h (h >= 0) and between x0 and x1.
double area_above(double r, double x0, double x1, double h) {
  if (h >= r) return 0.0;
  const double s = std::sqrt(r * r - h * h);  // the circle meets y = h at x = +-s
  const double a = std::clamp(x0, -s, s);
  const double b = std::clamp(x1, -s, s);
  if (b <= a) return 0.0;
  return (half_chord_integral(r, b) - half_chord_integral(r, a)) - h * (b - a);
}

// Area between y0 and y1 with 0 <= y0 <= y1.
double area_band_upper(double r, double x0, double x1, double y0, double y1) {
  return area_above(r, x0, x1, y0) - area_above(r, x0, x1, y1);
}

}  // namespace

double circle_rect_area(double r, double x0, double x1, double y0, double y1) {
  if (!(r > 0) || x1 <= x0 || y1 <= y0) return 0.0;
  // Fold the rectangle into the upper half plane using the circle's symmetry.
  if (y1 <= 0) return area_band_upper(r, x0, x1, -y1, -y0);
  if (y0 >= 0) return area_band_upper(r, x0, x1, y0, y1);
  return area_band_upper(r, x0, x1, 0.0, -y0) + area_band_upper(r, x0, x1, 0.0, y1);
}

}  // namespace relocplan::criteria
