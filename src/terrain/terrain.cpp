#include "relocplan/terrain/terrain.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <utility>

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

// Horizontal running max and min of one row for each of the circle's
// distinct half-widths, built up from narrower windows: the extremum over
// [c - w - d, c + w + d] is the extremum of the two extrema over
// [c - d - w, c - d + w] and [c + d - w, c + d + w] whenever d <= w (the two
// windows touch or overlap). Width 1 comes from the row, then the width at
// most doubles per pass until the narrowest wanted one, and each further
// wanted width is one pass from the one before (the circle's half-widths are
// close together). A pass is one max and one min per cell with no carried
// dependency, so it vectorises, unlike a running (prefix) extremum. Max and
// min are exact, so the result is the extremum of the same cells whatever
// the order; NaN and positions outside the row are -inf for the max and +inf
// for the min, so they never win, and -0 is loaded as +0 so that a window
// holding both zeros gives the same bits whatever the order.
class RowExtrema {
 public:
  // `widths`: distinct half-widths, ascending.
  RowExtrema(std::size_t cols, std::vector<int> widths)
      : cols_(cols), pad_(static_cast<std::size_t>(widths.back())), widths_(std::move(widths)) {
    for (auto* v : {&scratch_hi_[0], &scratch_hi_[1], &scratch_lo_[0], &scratch_lo_[1]}) v->resize(padded());
  }

  // Length of a padded row: `pad` cells on each side of the row's.
  std::size_t padded() const { return cols_ + 2 * pad_; }
  std::size_t pad() const { return pad_; }

  // Extrema over [c - w, c + w] of `row`, for every width widths[k], into
  // the padded rows out_hi / out_lo + k * padded(); column c is at pad() + c.
  void run(const float* row, float* out_hi, float* out_lo) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    const std::size_t n = padded();
    // Width 0 is the row itself.
    float* h = widths_[0] == 0 ? out_hi : scratch_hi_[0].data();
    float* l = widths_[0] == 0 ? out_lo : scratch_lo_[0].data();
    std::fill(h, h + pad_, -inf);
    std::fill(h + pad_ + cols_, h + n, -inf);
    std::fill(l, l + pad_, inf);
    std::fill(l + pad_ + cols_, l + n, inf);
    for (std::size_t c = 0; c < cols_; ++c) {
      const float v = row[c];
      const bool nan = v != v;
      h[pad_ + c] = nan ? -inf : v + 0.0f;
      l[pad_ + c] = nan ? inf : v + 0.0f;
    }
    // Positions [w, n - w) of h and l hold width w's extrema; no later pass
    // reads further out, nor does local_relief (it reads [pad, pad + cols)).
    std::size_t w = 0, k = widths_[0] == 0 ? 1 : 0;
    int spare = 1;  // the scratch buffer h and l are not in
    for (; k < widths_.size(); ++k) {
      const auto target = static_cast<std::size_t>(widths_[k]);
      while (w < target) {
        const std::size_t wider = w == 0 ? 1 : std::min(target, 2 * w), d = wider - w;
        float* nh = wider == target ? out_hi + k * n : scratch_hi_[spare].data();
        float* nl = wider == target ? out_lo + k * n : scratch_lo_[spare].data();
        if (w == 0) {
          for (std::size_t i = 1; i + 1 < n; ++i) {
            nh[i] = std::max(std::max(h[i - 1], h[i]), h[i + 1]);
            nl[i] = std::min(std::min(l[i - 1], l[i]), l[i + 1]);
          }
        } else {
          for (std::size_t i = wider; i + wider < n; ++i) {
            nh[i] = std::max(h[i - d], h[i + d]);
            nl[i] = std::min(l[i - d], l[i + d]);
          }
        }
        if (wider != target) spare = 1 - spare;
        h = nh;
        l = nl;
        w = wider;
      }
    }
  }

 private:
  std::size_t cols_, pad_;
  std::vector<int> widths_;
  std::vector<float> scratch_hi_[2], scratch_lo_[2];
};

// The circle's extrema of 16 columns at a time, kept in vector registers
// over the circle's rows (the compiler's vector extension, one `maxps` per
// four cells and row on x86-64; a < b ? b : a is what std::max does, and with
// no NaN in the rows it is exact). Columns [c, c + 16) of the rows his[i],
// los[i]; `out` gets max - min, or NaN where `mid` is NaN.
typedef float Float4 __attribute__((vector_size(16)));

inline Float4 load4(const float* p) {
  Float4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void relief_block16(const std::vector<const float*>& his, const std::vector<const float*>& los, std::size_t c,
                    const float* mid, float* out) {
  Float4 h[4], l[4];
  for (int q = 0; q < 4; ++q) {
    h[q] = load4(his[0] + c + 4 * q);
    l[q] = load4(los[0] + c + 4 * q);
  }
  for (std::size_t i = 1; i < his.size(); ++i) {
    const float* hr = his[i] + c;
    const float* lr = los[i] + c;
    for (int q = 0; q < 4; ++q) {
      const Float4 a = load4(hr + 4 * q), b = load4(lr + 4 * q);
      h[q] = h[q] < a ? a : h[q];
      l[q] = b < l[q] ? b : l[q];
    }
  }
  for (int q = 0; q < 4; ++q) {
    const Float4 d = h[q] - l[q];
    std::memcpy(out + c + 4 * q, &d, sizeof d);
  }
  for (std::size_t j = c; j < c + 16; ++j)
    if (mid[j] != mid[j]) out[j] = kNaN;
}

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
  // width: each input row is swept once, not once per output row.
  RowExtrema extrema(cols, widths);
  const std::size_t n = extrema.padded();
  std::vector<float> ring_hi(span * nw * n), ring_lo(span * nw * n);
  std::vector<long long> ring_row(span, -1);
  auto ensure = [&](long long j) -> std::size_t {
    const std::size_t slot = static_cast<std::size_t>(j) % span;
    if (ring_row[slot] == j) return slot;
    extrema.run(row_or_null(dem, grid_rows, j), &ring_hi[slot * nw * n], &ring_lo[slot * nw * n]);
    ring_row[slot] = j;
    return slot;
  };

  // The circle's rows that lie in the grid, each at its width; the row
  // itself is always one of them.
  std::vector<const float*> his, los;
  for (std::size_t k = 0; k < out_rows; ++k) {
    const long long r = static_cast<long long>(out_row0 + k);
    const float* mid = row_or_null(dem, grid_rows, r);
    his.clear();
    los.clear();
    for (int dy = -R; dy <= R; ++dy) {
      const long long j = r + dy;
      if (j < 0 || j >= static_cast<long long>(grid_rows)) continue;
      const std::size_t at = (ensure(j) * nw + width_of_offset[static_cast<std::size_t>(dy + R)]) * n + extrema.pad();
      his.push_back(&ring_hi[at]);
      los.push_back(&ring_lo[at]);
    }
    float* out = relief + k * cols;
    std::size_t c = 0;
    for (; c + 16 <= cols; c += 16) relief_block16(his, los, c, mid, out);
    for (; c < cols; ++c) {
      float hi = his[0][c], lo = los[0][c];
      for (std::size_t i = 1; i < his.size(); ++i) {
        hi = std::max(hi, his[i][c]);
        lo = std::min(lo, los[i][c]);
      }
      out[c] = mid[c] != mid[c] ? kNaN : hi - lo;
    }
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
