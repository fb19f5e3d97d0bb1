#include "relocplan/raster/grid.hpp"

#include <algorithm>
#include <cmath>

#include "relocplan/core/error.hpp"

namespace relocplan::raster {

Extent Extent::snapped_outward(double cell) const {
  return {std::floor(xmin / cell) * cell, std::floor(ymin / cell) * cell, std::ceil(xmax / cell) * cell,
          std::ceil(ymax / cell) * cell};
}

Extent Extent::united(const Extent& o) const {
  return {std::min(xmin, o.xmin), std::min(ymin, o.ymin), std::max(xmax, o.xmax), std::max(ymax, o.ymax)};
}

Grid::Grid(double xmin, double ymax, double cell_size, std::size_t rows, std::size_t cols, std::string crs_wkt)
    : xmin_(xmin), ymax_(ymax), cell_(cell_size), rows_(rows), cols_(cols), crs_wkt_(std::move(crs_wkt)) {
  if (!(cell_size > 0) || !std::isfinite(cell_size))
    throw core::ScenarioError("the cell size must be a positive number of metres, got " + std::to_string(cell_size));
}

Grid Grid::covering(const Extent& extent, double cell_size, std::string crs_wkt) {
  if (!(cell_size > 0) || !std::isfinite(cell_size))
    throw core::ScenarioError("the cell size must be a positive number of metres, got " + std::to_string(cell_size));
  if (extent.empty()) throw core::ScenarioError("the study area is empty");
  const Extent s = extent.snapped_outward(cell_size);
  const auto cols = static_cast<std::size_t>(std::llround(s.width() / cell_size));
  const auto rows = static_cast<std::size_t>(std::llround(s.height() / cell_size));
  return Grid(s.xmin, s.ymax, cell_size, std::max<std::size_t>(rows, 1), std::max<std::size_t>(cols, 1),
              std::move(crs_wkt));
}

std::optional<std::pair<std::size_t, std::size_t>> Grid::cell_of(double x, double y) const {
  const double c = std::floor(col_f(x));
  const double r = std::floor(row_f(y));
  if (!(c >= 0 && r >= 0 && c < static_cast<double>(cols_) && r < static_cast<double>(rows_))) return std::nullopt;
  return std::make_pair(static_cast<std::size_t>(r), static_cast<std::size_t>(c));
}

bool Grid::aligned_with(const Grid& other) const {
  if (std::abs(cell_ - other.cell_) > 1e-9 * cell_) return false;
  const double dx = (xmin_ - other.xmin_) / cell_;
  const double dy = (ymax_ - other.ymax_) / cell_;
  return std::abs(dx - std::round(dx)) < 1e-6 && std::abs(dy - std::round(dy)) < 1e-6;
}

bool Grid::operator==(const Grid& other) const {
  return xmin_ == other.xmin_ && ymax_ == other.ymax_ && cell_ == other.cell_ && rows_ == other.rows_ &&
         cols_ == other.cols_ && crs_wkt_ == other.crs_wkt_;
}

}  // namespace relocplan::raster
