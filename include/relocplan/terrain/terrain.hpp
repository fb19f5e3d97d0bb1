#pragma once
// Terrain on the analysis grid: slope and aspect by Horn's 3x3 method, and
// local relief (max - min elevation) within a circle.
//
// Input and output rows are full-width float rows; NaN is NoData.
//
// Edge and NoData policy (one policy for all three algorithms):
//  * a cell whose own elevation is NoData gets NoData;
//  * slope/aspect: a neighbour outside the grid or on NoData takes the centre
//    cell's elevation (as `gdaldem -compute_edges` does), so edge cells and
//    cells beside NoData holes still get a value, flattened towards the gap;
//    interior cells with 8 valid neighbours equal gdaldem's output;
//  * aspect of a flat cell (zero gradient) is NoData, as in gdaldem;
//  * relief: the maximum minus the minimum of the valid cells whose centres lie
//    within the radius of the cell's centre; cells outside the grid or on
//    NoData are left out (the window shrinks, it is not padded).

#include <cstddef>
#include <vector>

namespace relocplan::terrain {

// A strip of full-width rows held in memory: rows [first_row, first_row + rows)
// of the grid, row-major.
struct RowStrip {
  const float* data = nullptr;
  std::size_t cols = 0;
  std::size_t first_row = 0;
  std::size_t rows = 0;

  const float* row(std::size_t grid_row) const { return data + (grid_row - first_row) * cols; }
  bool holds(std::size_t grid_row) const { return grid_row >= first_row && grid_row < first_row + rows; }
};

// Horn (1981), "Hill shading and the reflectance map", Proc. IEEE 69(1):
// the gradient from the 3x3 neighbourhood with weights 1-2-1. Slope in degrees
// from horizontal; aspect in degrees clockwise from north (the direction the
// slope faces), in [0, 360). Computes rows [out_row0, out_row0 + out_rows);
// `dem` must hold those rows and, where they exist in the grid, one more above
// and below. `grid_rows` is the grid's height (to know where its edge is).
// Either output may be null.
void horn_slope_aspect(const RowStrip& dem, std::size_t grid_rows, std::size_t out_row0, std::size_t out_rows,
                       double cell_size, float* slope_deg, float* aspect_deg);

// The aspect of one cell, equal to what horn_slope_aspect gives it (bit for
// bit), for callers that need it at a few cells only; `dem` must hold the
// cell's row and its neighbours' rows that exist in the grid.
float horn_aspect_at(const RowStrip& dem, std::size_t grid_rows, std::size_t row, std::size_t col);

// Offsets of a circular window: for each row offset dy in [-r, r], the
// half-width in columns of the cells whose centres are within `radius_cells`.
struct CircleWindow {
  explicit CircleWindow(double radius_cells);
  int radius_rows = 0;
  std::vector<int> half_width;  // index dy + radius_rows
};

// Local relief, in the DEM's unit, for rows [out_row0, out_row0 + out_rows).
// `dem` must hold those rows and, where they exist, `window.radius_rows` more
// above and below.
//
// Method: for each input row, the horizontal running max/min for each of
// the circle's distinct half-widths, built up from narrower windows (the
// extremum over half-width w + d is that of the two half-width-w windows
// shifted by -d and +d, for d <= w): O(log r + k) vectorised passes a row for
// k distinct widths, each input row once per strip. The circle is the max/min
// over its 2r + 1 rows at their widths, 16 columns at a time in vector
// registers. Cost O(cells x (2r + 1 + log r + k)) instead of O(cells x r^2);
// max and min are exact, so the result is that of the direct scan.
void local_relief(const RowStrip& dem, std::size_t grid_rows, std::size_t out_row0, std::size_t out_rows,
                  const CircleWindow& window, float* relief);

// The reference relief: a direct scan of the window, O(r^2) per cell.
// For tests and for checking the fast method.
void local_relief_direct(const RowStrip& dem, std::size_t grid_rows, std::size_t out_row0, std::size_t out_rows,
                         const CircleWindow& window, float* relief);

}  // namespace relocplan::terrain
