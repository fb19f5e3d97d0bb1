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

namespace {

// Horn's two sums over the 3x3 window, gdaldem's numbering 0 1 2 / 3 4 5 /
// 6 7 8 (row 0 is north; the centre 4 has weight 0). The sums are float, in
// gdaldem's order (GDALSlopeHornAlg and GDALAspectAlg sum the float window
// before widening to double), so that results equal gdaldem's to the last
// bits, not just to 1e-4 degrees; on near-flat cells the aspect is
// ill-conditioned and double sums would differ from gdaldem by hundredths of
// a degree.
struct HornSums {
  float west_minus_east, south_minus_north;
};

inline HornSums horn_sums(float w0, float w1, float w2, float w3, float w5, float w6, float w7, float w8) {
  return {(w0 + w3 + w3 + w6) - (w2 + w5 + w5 + w8), (w6 + w7 + w7 + w8) - (w0 + w1 + w1 + w2)};
}

inline float slope_of(HornSums h, double cell_size) {
  const double gx = h.west_minus_east / cell_size;
  const double gy = h.south_minus_north / cell_size;
  return static_cast<float>(std::atan(std::sqrt(gx * gx + gy * gy) / 8.0) * kDegPerRad);
}

inline float aspect_of(HornSums h) {
  if (h.west_minus_east == 0.0f && h.south_minus_north == 0.0f) return kNaN;  // flat: no direction
  // Angle of the downslope direction counter-clockwise from east, turned into
  // an azimuth clockwise from north.
  const double east_minus_west = -static_cast<double>(h.west_minus_east);
  float az = static_cast<float>(std::atan2(static_cast<double>(h.south_minus_north), -east_minus_west) / kRadPerDeg);
  az = az > 90.0f ? 450.0f - az : 90.0f - az;
  if (az == 360.0f) az = 0.0f;
  return az;
}

// The sums at column c of the row `mid` (whose value there, z, is not NoData),
// with any column of the grid: a neighbour outside the grid (a null row, a
// column beyond either end) or on NoData takes z.
inline HornSums horn_sums_at(const float* up, const float* mid, const float* down, std::size_t cols, std::size_t c) {
  const float z = mid[c];
  auto at = [&](const float* row, long long cc) -> float {
    if (row == nullptr || cc < 0 || cc >= static_cast<long long>(cols)) return z;
    const float v = row[cc];
    return std::isnan(v) ? z : v;
  };
  const long long ci = static_cast<long long>(c);
  return horn_sums(at(up, ci - 1), at(up, ci), at(up, ci + 1), at(mid, ci - 1), at(mid, ci + 1), at(down, ci - 1),
                   at(down, ci), at(down, ci + 1));
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
    auto put = [&](std::size_t c, HornSums h) {
      if (srow) srow[c] = slope_of(h, cell_size);
      if (arow) arow[c] = aspect_of(h);
    };
    auto put_nodata = [&](std::size_t c) {
      if (srow) srow[c] = kNaN;
      if (arow) arow[c] = kNaN;
    };
    auto general = [&](std::size_t c) {
      if (std::isnan(mid[c])) put_nodata(c);
      else put(c, horn_sums_at(up, mid, down, cols, c));
    };
    if (up == nullptr || down == nullptr || cols < 3) {
      for (std::size_t c = 0; c < cols; ++c) general(c);
      continue;
    }
    // Interior columns of an interior row: all eight neighbours exist, only
    // NoData needs the centre's value (x != x: NaN). The first and last
    // columns, and the grid's first and last rows, take the general path.
    general(0);
    for (std::size_t c = 1; c + 1 < cols; ++c) {
      const float z = mid[c];
      if (z != z) {
        put_nodata(c);
        continue;
      }
      auto v = [z](float x) { return x != x ? z : x; };
      put(c, horn_sums(v(up[c - 1]), v(up[c]), v(up[c + 1]), v(mid[c - 1]), v(mid[c + 1]), v(down[c - 1]), v(down[c]),
                       v(down[c + 1])));
    }
    general(cols - 1);
  }
}

float horn_aspect_at(const RowStrip& dem, std::size_t grid_rows, std::size_t row, std::size_t col) {
  if (row >= grid_rows || col >= dem.cols)
    throw core::InternalError("terrain: cell (" + std::to_string(row) + ", " + std::to_string(col) +
                              ") is outside the grid");
  const long long r = static_cast<long long>(row);
  const float* mid = row_or_null(dem, grid_rows, r);
  if (std::isnan(mid[col])) return kNaN;
  return aspect_of(horn_sums_at(row_or_null(dem, grid_rows, r - 1), mid, row_or_null(dem, grid_rows, r + 1), dem.cols,
                                col));
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

// Horizontal running max and min of one row for several window half-widths,
// by van Herk (1992) / Gil & Werman (1993): the padded row is cut into blocks
// of k = 2w + 1 cells; a prefix extremum from each block's start and a suffix
// extremum to its end give any window of k cells as max(suffix[c], prefix[c + k - 1]).
// Three passes, O(1) per cell whatever w. NaN and positions outside the row
// are -inf for the max and +inf for the min, so they never win.
class RowExtrema {
 public:
  RowExtrema(std::size_t cols, int max_half_width) : cols_(cols), pad_(static_cast<std::size_t>(max_half_width)) {
    const std::size_t n = cols + 2 * pad_ + 2 * pad_ + 1;
    hi_.resize(n);
    lo_.resize(n);
    pre_hi_.resize(n);
    pre_lo_.resize(n);
    suf_hi_.resize(n);
    suf_lo_.resize(n);
  }

  // Loads a row; values outside it are padded.
  void load(const float* row) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    std::fill(hi_.begin(), hi_.end(), -inf);
    std::fill(lo_.begin(), lo_.end(), inf);
    for (std::size_t c = 0; c < cols_; ++c) {
      const float v = row[c];
      const bool nan = std::isnan(v);
      hi_[pad_ + c] = nan ? -inf : v;
      lo_[pad_ + c] = nan ? inf : v;
    }
  }

  // Extrema over [c - w, c + w] for every column of the loaded row.
  void run(int w, float* out_hi, float* out_lo) {
    const std::size_t k = 2 * static_cast<std::size_t>(w) + 1;
    const std::size_t off = pad_ - static_cast<std::size_t>(w);  // padded index of column -w
    const std::size_t len = cols_ + 2 * static_cast<std::size_t>(w);
    const float* h = hi_.data() + off;
    const float* l = lo_.data() + off;
    for (std::size_t b = 0; b < len; b += k) {
      const std::size_t e = std::min(b + k, len);
      float mh = h[b], ml = l[b];
      pre_hi_[b] = mh;
      pre_lo_[b] = ml;
      for (std::size_t i = b + 1; i < e; ++i) {
        mh = std::max(mh, h[i]);
        ml = std::min(ml, l[i]);
        pre_hi_[i] = mh;
        pre_lo_[i] = ml;
      }
      mh = h[e - 1];
      ml = l[e - 1];
      suf_hi_[e - 1] = mh;
      suf_lo_[e - 1] = ml;
      for (std::size_t i = e - 1; i-- > b;) {
        mh = std::max(mh, h[i]);
        ml = std::min(ml, l[i]);
        suf_hi_[i] = mh;
        suf_lo_[i] = ml;
      }
    }
    for (std::size_t c = 0; c < cols_; ++c) {
      out_hi[c] = std::max(suf_hi_[c], pre_hi_[c + k - 1]);
      out_lo[c] = std::min(suf_lo_[c], pre_lo_[c + k - 1]);
    }
  }

 private:
  std::size_t cols_, pad_;
  std::vector<float> hi_, lo_, pre_hi_, pre_lo_, suf_hi_, suf_lo_;
};

}  // namespace

void local_relief(const RowStrip& dem, std::size_t grid_rows, std::size_t out_row0, std::size_t out_rows,
                  const CircleWindow& window, float* relief) {
  const std::size_t cols = dem.cols;
  const int R = window.radius_rows;
  const std::size_t span = 2 * static_cast<std::size_t>(R) + 1;
  // Distinct half-widths of the circle's rows, and which one each row offset uses.
  std::vector<int> widths(window.half_width.begin(), window.half_width.end());
  std::sort(widths.begin(), widths.end());
  widths.erase(std::unique(widths.begin(), widths.end()), widths.end());
  std::vector<std::size_t> width_of_offset(span);
  for (std::size_t i = 0; i < span; ++i)
    width_of_offset[i] = static_cast<std::size_t>(
        std::lower_bound(widths.begin(), widths.end(), window.half_width[i]) - widths.begin());
  const std::size_t nw = widths.size();

  // A ring of the last 2R + 1 input rows' running extrema, for every distinct
  // width: each input row is swept once per width, not once per output row.
  std::vector<float> ring_hi(span * nw * cols), ring_lo(span * nw * cols);
  std::vector<long long> ring_row(span, -1);
  RowExtrema extrema(cols, widths.back());
  auto ensure = [&](long long j) -> std::size_t {
    const std::size_t slot = static_cast<std::size_t>(j) % span;
    if (ring_row[slot] == j) return slot;
    extrema.load(row_or_null(dem, grid_rows, j));
    for (std::size_t k = 0; k < nw; ++k)
      extrema.run(widths[k], &ring_hi[(slot * nw + k) * cols], &ring_lo[(slot * nw + k) * cols]);
    ring_row[slot] = j;
    return slot;
  };

  constexpr float inf = std::numeric_limits<float>::infinity();
  std::vector<float> acc_hi(cols), acc_lo(cols);
  for (std::size_t k = 0; k < out_rows; ++k) {
    const long long r = static_cast<long long>(out_row0 + k);
    const float* mid = row_or_null(dem, grid_rows, r);
    std::fill(acc_hi.begin(), acc_hi.end(), -inf);
    std::fill(acc_lo.begin(), acc_lo.end(), inf);
    for (int dy = -R; dy <= R; ++dy) {
      const long long j = r + dy;
      if (j < 0 || j >= static_cast<long long>(grid_rows)) continue;
      const std::size_t slot = ensure(j);
      const std::size_t w = width_of_offset[static_cast<std::size_t>(dy + R)];
      const float* h = &ring_hi[(slot * nw + w) * cols];
      const float* l = &ring_lo[(slot * nw + w) * cols];
      for (std::size_t c = 0; c < cols; ++c) {
        acc_hi[c] = std::max(acc_hi[c], h[c]);
        acc_lo[c] = std::min(acc_lo[c], l[c]);
      }
    }
    float* out = relief + k * cols;
    for (std::size_t c = 0; c < cols; ++c) out[c] = std::isnan(mid[c]) ? kNaN : acc_hi[c] - acc_lo[c];
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
