#include "relocplan/criteria/village_terrain.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "relocplan/core/error.hpp"
#include "relocplan/criteria/circle_coverage.hpp"

namespace relocplan::criteria {

VillageTerrainAccumulator::VillageTerrainAccumulator(const raster::Grid& grid, std::vector<double> xs,
                                                     std::vector<double> ys, VillageTerrainSettings settings)
    : grid_(grid), xs_(std::move(xs)), ys_(std::move(ys)), settings_(settings) {
  if (xs_.size() != ys_.size()) throw core::InternalError("village terrain: x and y counts differ");
  if (!(settings_.radius_m > 0)) throw core::ScenarioError("terrain.village_radius_m must be positive");
  const std::size_t n = xs_.size();
  point_.resize(n);
  sums_.resize(n);
  row_span_.resize(n);
  col_span_.resize(n);
  const double r = settings_.radius_m;
  for (std::size_t i = 0; i < n; ++i) {
    point_[i].outside_grid = !grid_.cell_of(xs_[i], ys_[i]).has_value();
    if (!std::isfinite(xs_[i]) || !std::isfinite(ys_[i])) {
      row_span_[i] = col_span_[i] = {0, -1};
      continue;
    }
    const long long r0 = std::max<long long>(0, static_cast<long long>(std::floor(grid_.row_f(ys_[i] + r))));
    const long long r1 = std::min<long long>(static_cast<long long>(grid_.rows()) - 1,
                                             static_cast<long long>(std::floor(grid_.row_f(ys_[i] - r))));
    const long long c0 = std::max<long long>(0, static_cast<long long>(std::floor(grid_.col_f(xs_[i] - r))));
    const long long c1 = std::min<long long>(static_cast<long long>(grid_.cols()) - 1,
                                             static_cast<long long>(std::floor(grid_.col_f(xs_[i] + r))));
    row_span_[i] = {r0, r1};
    col_span_[i] = {c0, c1};
  }
}

std::vector<std::pair<std::size_t, std::size_t>> VillageTerrainAccumulator::point_cells(std::size_t row0,
                                                                                      std::size_t nrows) const {
  std::vector<std::pair<std::size_t, std::size_t>> cells;
  for (std::size_t i = 0; i < xs_.size(); ++i)
    if (auto rc = grid_.cell_of(xs_[i], ys_[i]); rc && rc->first >= row0 && rc->first < row0 + nrows)
      cells.push_back(*rc);
  return cells;
}

void VillageTerrainAccumulator::add_rows(std::size_t row0, std::size_t nrows, const float* elevation,
                                         const float* slope_deg, const float* aspect_deg, const float* relief_m) {
  const std::size_t cols = grid_.cols();
  const double cell = grid_.cell_size();
  const double cell_area = grid_.cell_area();
  const double r = settings_.radius_m;
  const long long b0 = static_cast<long long>(row0);
  const long long b1 = static_cast<long long>(row0 + nrows) - 1;
  auto opt = [](float v) -> std::optional<double> {
    return std::isnan(v) ? std::nullopt : std::optional<double>(static_cast<double>(v));
  };
  for (std::size_t i = 0; i < xs_.size(); ++i) {
    // Point values: the cell that holds the village.
    if (auto rc = grid_.cell_of(xs_[i], ys_[i]); rc && rc->first >= row0 && rc->first < row0 + nrows) {
      const std::size_t k = (rc->first - row0) * cols + rc->second;
      point_[i].elevation_m = opt(elevation[k]);
      point_[i].slope_deg = opt(slope_deg[k]);
      point_[i].aspect_deg = opt(aspect_deg[k]);
      point_[i].relief_m = opt(relief_m[k]);
    }
    const long long lo = std::max(b0, row_span_[i].first);
    const long long hi = std::min(b1, row_span_[i].second);
    if (lo > hi) continue;
    Sums& s = sums_[i];
    const double x = xs_[i], y = ys_[i];
    for (long long row = lo; row <= hi; ++row) {
      const double ytop = grid_.ymax() - static_cast<double>(row) * cell - y;
      const double ybot = ytop - cell;
      const std::size_t base = static_cast<std::size_t>(row - b0) * cols;
      for (long long col = col_span_[i].first; col <= col_span_[i].second; ++col) {
        const double xl = grid_.xmin() + static_cast<double>(col) * cell - x;
        const double xr = xl + cell;
        // Nearest and farthest corner distances decide the easy cases.
        const double nx = std::max({xl, -xr, 0.0}), ny = std::max({ybot, -ytop, 0.0});
        if (nx * nx + ny * ny >= r * r) continue;
        const double fx = std::max(std::abs(xl), std::abs(xr)), fy = std::max(std::abs(ybot), std::abs(ytop));
        const double w =
            (fx * fx + fy * fy <= r * r) ? 1.0 : circle_rect_area(r, xl, xr, ybot, ytop) / cell_area;
        if (w <= 0) continue;
        const std::size_t k = base + static_cast<std::size_t>(col);
        const float sl = slope_deg[k];
        if (!std::isnan(sl)) {
          s.weight += w;
          s.slope += w * sl;
          if (sl > settings_.steep_slope_deg) s.steep += w;
        }
        const float el = elevation[k];
        if (!std::isnan(el)) {
          s.weight_elev += w;
          s.elevation += w * el;
        }
        const float rl = relief_m[k];
        if (!std::isnan(rl) && (!s.any_relief || rl > s.max_relief)) {
          s.max_relief = rl;
          s.any_relief = true;
        }
      }
    }
  }
}

std::vector<VillageTerrain> VillageTerrainAccumulator::results() const {
  std::vector<VillageTerrain> out = point_;
  const double circle_cells = std::numbers::pi * settings_.radius_m * settings_.radius_m / grid_.cell_area();
  for (std::size_t i = 0; i < out.size(); ++i) {
    const Sums& s = sums_[i];
    out[i].nbhd_valid_pct = std::min(100.0, 100.0 * s.weight / circle_cells);
    if (s.weight > 0) {
      out[i].nbhd_mean_slope_deg = s.slope / s.weight;
      out[i].nbhd_steep_pct = 100.0 * s.steep / s.weight;
    }
    if (s.weight_elev > 0) out[i].nbhd_mean_elevation_m = s.elevation / s.weight_elev;
    if (s.any_relief) out[i].nbhd_max_relief_m = s.max_relief;
  }
  return out;
}

}  // namespace relocplan::criteria
