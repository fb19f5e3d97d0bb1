#include "relocplan/terrain/terrain.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "relocplan/core/error.hpp"

namespace relocplan::terrain {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kDegPerRad = 180.0 / std::numbers::pi;
constexpr double kRadPerDeg = std::numbers::pi / 180.0;

const float* row_or_null(const RowStrip& dem, std::size_t grid_rows, long long r) {
  if (r < 0 || r >= static_cast<long long>(grid_rows)) return nullptr;
  const auto ur = static_cast<std::size_t>(r);
  if (!dem.holds(ur))
    throw core::InternalError("terrain: row " + std::to_string(r) + " is needed but not in the strip [" +
                              std::to_string(dem.first_row) + ", " + std::to_string(dem.first_row + dem.rows) + ")");
  return dem.row(ur);
}

}  // namespace

void horn_slope_aspect(const RowStrip& dem, std::size_t grid_rows, std::size_t out_row0, std::size_t out_rows,
                       double cell_size, float* slope_deg, float* aspect_deg) {
  const std::size_t cols = dem.cols;
  for (std::size_t k = 0; k < out_rows; ++k) {
    const long long r = static_cast<long long>(out_row0 + k);
    const float* up = row_or_null(dem, grid_rows, r - 1);
    const float* mid = row_or_null(dem, grid_rows, r);
    const float* down = row_or_null(dem, grid_rows, r + 1);
    float* srow = slope_deg ? slope_deg + k * cols : nullptr;
    float* arow = aspect_deg ? aspect_deg + k * cols : nullptr;
    for (std::size_t c = 0; c < cols; ++c) {
      const float z = mid[c];
      if (std::isnan(z)) {
        if (srow) srow[c] = kNaN;
        if (arow) arow[c] = kNaN;
        continue;
      }
      // A missing neighbour (edge or NoData) takes the centre's value.
      auto at = [&](const float* row, long long cc) -> float {
        if (row == nullptr || cc < 0 || cc >= static_cast<long long>(cols)) return z;
        const float v = row[cc];
        return std::isnan(v) ? z : v;
      };
      const long long ci = static_cast<long long>(c);
      // 3x3 window, gdaldem's numbering: 0 1 2 / 3 4 5 / 6 7 8 (row 0 is north).
      // The sums are float, in gdaldem's order (GDALSlopeHornAlg and
      // GDALAspectAlg sum the float window before widening to double), so that
      // results equal gdaldem's to the last bits, not just to 1e-4 degrees; on
      // near-flat cells the aspect is ill-conditioned and double sums would
      // differ from gdaldem by hundredths of a degree.
      const float w0 = at(up, ci - 1), w1 = at(up, ci), w2 = at(up, ci + 1);
      const float w3 = at(mid, ci - 1), w5 = at(mid, ci + 1);
      const float w6 = at(down, ci - 1), w7 = at(down, ci), w8 = at(down, ci + 1);
      const float west_minus_east = (w0 + w3 + w3 + w6) - (w2 + w5 + w5 + w8);
      const float south_minus_north = (w6 + w7 + w7 + w8) - (w0 + w1 + w1 + w2);
      if (srow) {
        const double gx = west_minus_east / cell_size;
        const double gy = south_minus_north / cell_size;
        srow[c] = static_cast<float>(std::atan(std::sqrt(gx * gx + gy * gy) / 8.0) * kDegPerRad);
      }
      if (arow) {
        if (west_minus_east == 0.0f && south_minus_north == 0.0f) {
          arow[c] = kNaN;  // flat: no direction
        } else {
          // Angle of the downslope direction counter-clockwise from east,
          // turned into an azimuth clockwise from north.
          const double east_minus_west = -static_cast<double>(west_minus_east);
          float az = static_cast<float>(std::atan2(static_cast<double>(south_minus_north), -east_minus_west) /
                                        kRadPerDeg);
          az = az > 90.0f ? 450.0f - az : 90.0f - az;
          if (az == 360.0f) az = 0.0f;
          arow[c] = az;
        }
      }
    }
  }
}

CircleWindow::CircleWindow(double radius_cells) {
  if (!(radius_cells >= 0) || !std::isfinite(radius_cells))
    throw core::ScenarioError("relief radius must be zero or positive");
  radius_rows = static_cast<int>(std::floor(radius_cells + 1e-9));
  const double r2 = radius_cells * radius_cells;
  for (int dy = -radius_rows; dy <= radius_rows; ++dy) {
    const double rest = r2 - static_cast<double>(dy) * dy;
    half_width.push_back(rest <= 0 ? 0 : static_cast<int>(std::floor(std::sqrt(rest) + 1e-9)));
  }
}

namespace {

// Running max and min over [c - w, c + w] of one row (van Herk / Gil-Werman).
// NaN and positions outside the row are ignored (they are -inf for the max and
// +inf for the min).
class RunningExtrema {
 public:
  void run(const float* row, std::size_t cols, int w, std::vector<float>& out_max, std::vector<float>& out_min) {
    const std::size_t k = 2 * static_cast<std::size_t>(w) + 1;
    const std::size_t padded = ((cols + 2 * w + k - 1) / k) * k;
    constexpr float inf = std::numeric_limits<float>::infinity();
    pre_max_.assign(padded, -inf);
    pre_min_.assign(padded, inf);
    suf_max_.assign(padded, -inf);
    suf_min_.assign(padded, inf);
    // values: padded[i] = row[i - w]
    auto val_max = [&](std::size_t i) -> float {
      if (i < static_cast<std::size_t>(w) || i >= cols + w) return -inf;
      const float v = row[i - w];
      return std::isnan(v) ? -inf : v;
    };
    auto val_min = [&](std::size_t i) -> float {
      if (i < static_cast<std::size_t>(w) || i >= cols + w) return inf;
      const float v = row[i - w];
      return std::isnan(v) ? inf : v;
    };
    for (std::size_t b = 0; b < padded; b += k) {
      pre_max_[b] = val_max(b);
      pre_min_[b] = val_min(b);
      for (std::size_t i = b + 1; i < b + k; ++i) {
        pre_max_[i] = std::max(pre_max_[i - 1], val_max(i));
        pre_min_[i] = std::min(pre_min_[i - 1], val_min(i));
      }
      const std::size_t last = b + k - 1;
      suf_max_[last] = val_max(last);
      suf_min_[last] = val_min(last);
      for (std::size_t i = last; i-- > b;) {
        suf_max_[i] = std::max(suf_max_[i + 1], val_max(i));
        suf_min_[i] = std::min(suf_min_[i + 1], val_min(i));
      }
    }
    out_max.resize(cols);
    out_min.resize(cols);
    for (std::size_t c = 0; c < cols; ++c) {
      // Window [c, c + k - 1] in padded coordinates.
      out_max[c] = std::max(suf_max_[c], pre_max_[c + k - 1]);
      out_min[c] = std::min(suf_min_[c], pre_min_[c + k - 1]);
    }
  }

 private:
  std::vector<float> pre_max_, pre_min_, suf_max_, suf_min_;
};

}  // namespace

void local_relief(const RowStrip& dem, std::size_t grid_rows, std::size_t out_row0, std::size_t out_rows,
                  const CircleWindow& window, float* relief) {
  const std::size_t cols = dem.cols;
  constexpr float inf = std::numeric_limits<float>::infinity();
  std::vector<float> acc_max(cols), acc_min(cols), run_max, run_min;
  RunningExtrema extrema;
  for (std::size_t k = 0; k < out_rows; ++k) {
    const long long r = static_cast<long long>(out_row0 + k);
    const float* mid = row_or_null(dem, grid_rows, r);
    std::fill(acc_max.begin(), acc_max.end(), -inf);
    std::fill(acc_min.begin(), acc_min.end(), inf);
    for (int dy = -window.radius_rows; dy <= window.radius_rows; ++dy) {
      const float* row = row_or_null(dem, grid_rows, r + dy);
      if (!row) continue;
      extrema.run(row, cols, window.half_width[static_cast<std::size_t>(dy + window.radius_rows)], run_max, run_min);
      for (std::size_t c = 0; c < cols; ++c) {
        acc_max[c] = std::max(acc_max[c], run_max[c]);
        acc_min[c] = std::min(acc_min[c], run_min[c]);
      }
    }
    float* out = relief + k * cols;
    for (std::size_t c = 0; c < cols; ++c) out[c] = std::isnan(mid[c]) ? kNaN : acc_max[c] - acc_min[c];
  }
}

void local_relief_direct(const RowStrip& dem, std::size_t grid_rows, std::size_t out_row0, std::size_t out_rows,
                         const CircleWindow& window, float* relief) {
  const std::size_t cols = dem.cols;
  for (std::size_t k = 0; k < out_rows; ++k) {
    const long long r = static_cast<long long>(out_row0 + k);
    const float* mid = row_or_null(dem, grid_rows, r);
    for (std::size_t c = 0; c < cols; ++c) {
      if (std::isnan(mid[c])) {
        relief[k * cols + c] = kNaN;
        continue;
      }
      float hi = mid[c], lo = mid[c];
      for (int dy = -window.radius_rows; dy <= window.radius_rows; ++dy) {
        const float* row = row_or_null(dem, grid_rows, r + dy);
        if (!row) continue;
        const int hw = window.half_width[static_cast<std::size_t>(dy + window.radius_rows)];
        for (int dx = -hw; dx <= hw; ++dx) {
          const long long cc = static_cast<long long>(c) + dx;
          if (cc < 0 || cc >= static_cast<long long>(cols)) continue;
          const float v = row[cc];
          if (std::isnan(v)) continue;
          hi = std::max(hi, v);
          lo = std::min(lo, v);
        }
      }
      relief[k * cols + c] = hi - lo;
    }
  }
}

}  // namespace relocplan::terrain
