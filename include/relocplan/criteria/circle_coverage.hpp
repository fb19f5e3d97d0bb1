#pragma once
// Exact area of the intersection of a circle and an axis-aligned rectangle.
//
// Zonal figures around a village weight each cell by the share of the cell
// that lies inside the circle, not by whether the cell's centre does (the
// approach of exactextract for polygons). For a circle the share has a closed
// form: the area is the integral of the clipped chord length, whose
// antiderivative is (x sqrt(r^2 - x^2) + r^2 asin(x / r)) / 2.

namespace relocplan::criteria {

// Area of the circle of radius r centred at the origin intersected with
// [x0, x1] x [y0, y1] (x0 <= x1, y0 <= y1).
double circle_rect_area(double r, double x0, double x1, double y0, double y1);

}  // namespace relocplan::criteria
