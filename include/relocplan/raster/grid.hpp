#pragma once
// The analysis grid: a north-up raster geometry with square cells in a
// projected CRS. Every raster input is warped onto it, every raster output is
// written on it, and village points are located on it.

#include <array>
#include <cstddef>
#include <optional>
#include <string>

namespace relocplan::raster {

struct Extent {
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;

  double width() const { return xmax - xmin; }
  double height() const { return ymax - ymin; }
  bool empty() const { return !(xmax > xmin && ymax > ymin); }
  bool contains(double x, double y) const { return x >= xmin && x <= xmax && y >= ymin && y <= ymax; }
  bool intersects(const Extent& o) const {
    return xmin < o.xmax && o.xmin < xmax && ymin < o.ymax && o.ymin < ymax;
  }
  Extent expanded(double margin) const { return {xmin - margin, ymin - margin, xmax + margin, ymax + margin}; }
  // Grows the extent outward so that its edges fall on multiples of `cell`.
  Extent snapped_outward(double cell) const;
  // The smallest extent holding both.
  Extent united(const Extent& o) const;
};

class Grid {
 public:
  Grid() = default;
  // A grid of rows x cols square cells of `cell_size` whose upper-left corner is (xmin, ymax).
  Grid(double xmin, double ymax, double cell_size, std::size_t rows, std::size_t cols, std::string crs_wkt);
  // The grid of cells of `cell_size` that covers `extent`, its edges snapped
  // outward to multiples of the cell size (so grids of one CRS and cell size align).
  static Grid covering(const Extent& extent, double cell_size, std::string crs_wkt);

  double xmin() const { return xmin_; }
  double ymax() const { return ymax_; }
  double xmax() const { return xmin_ + static_cast<double>(cols_) * cell_; }
  double ymin() const { return ymax_ - static_cast<double>(rows_) * cell_; }
  double cell_size() const { return cell_; }
  double cell_area() const { return cell_ * cell_; }
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t cells() const { return rows_ * cols_; }
  const std::string& crs_wkt() const { return crs_wkt_; }
  Extent extent() const { return {xmin(), ymin(), xmax(), ymax()}; }

  // Cell-centre coordinates.
  double x_of_col(std::size_t col) const { return xmin_ + (static_cast<double>(col) + 0.5) * cell_; }
  double y_of_row(std::size_t row) const { return ymax_ - (static_cast<double>(row) + 0.5) * cell_; }
  // Fractional column/row of a coordinate (0 at the left/top edge).
  double col_f(double x) const { return (x - xmin_) / cell_; }
  double row_f(double y) const { return (ymax_ - y) / cell_; }
  // The cell that contains (x, y); points on a shared edge belong to the cell
  // to their right/below; points outside the grid have none.
  std::optional<std::pair<std::size_t, std::size_t>> cell_of(double x, double y) const;

  // GDAL's affine geotransform.
  std::array<double, 6> geotransform() const { return {xmin_, cell_, 0.0, ymax_, 0.0, -cell_}; }

  // Same cell size and cell edges on a common lattice (tolerance: 1e-6 cell),
  // so that cells of one map onto cells of the other without resampling.
  bool aligned_with(const Grid& other) const;
  bool operator==(const Grid& other) const;

 private:
  double xmin_ = 0, ymax_ = 0, cell_ = 1;
  std::size_t rows_ = 0, cols_ = 0;
  std::string crs_wkt_;
};

}  // namespace relocplan::raster
