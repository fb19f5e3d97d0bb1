#include "relocplan/raster/distance.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <string>
#include <utility>

#include "relocplan/core/error.hpp"
#include "relocplan/raster/radix_heap.hpp"

namespace relocplan::raster {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kInfF = std::numeric_limits<float>::infinity();

// Rows or columns between two polls of the progress (and cancel) hook: cheap
// against the work of 64 lines, yet frequent enough to react to Ctrl-C at once.
constexpr std::size_t kLinesPerPoll = 64;

void check_geometry(const char* what, std::size_t values, std::size_t rows, std::size_t cols, double cell_size_m) {
  if (cols != 0 && rows > std::numeric_limits<std::size_t>::max() / cols)
    throw core::InternalError(std::string(what) + ": a grid of " + std::to_string(rows) + " x " +
                              std::to_string(cols) + " cells is too large to address");
  if (values != rows * cols)
    throw core::InternalError(std::string(what) + ": " + std::to_string(values) + " values for a grid of " +
                              std::to_string(rows) + " x " + std::to_string(cols) + " cells");
  if (!(cell_size_m > 0.0) || !std::isfinite(cell_size_m))
    throw core::InternalError(std::string(what) + ": the cell size must be a positive number of metres, not " +
                              std::to_string(cell_size_m));
}

// Scratch space of the 1-D transform, allocated once for the longer side.
struct Envelope {
  std::vector<std::size_t> vertex;  // v: positions of the parabolas of the lower envelope
  std::vector<double> boundary;     // z: where parabola k starts to be the lowest (z[0] = -inf)

  explicit Envelope(std::size_t n) : vertex(n), boundary(n + 1) {}
};

// Felzenszwalb & Huttenlocher (2012), algorithm DT(f), section 2.1:
//   d[q] = min over p of ((q - p)^2 + f[p])
// for q in [0, n), as the lower envelope of the parabolas rooted at (p, f[p]).
// Positions where f is +infinity contribute no parabola (rather than a huge
// finite one, whose intersections would lose precision); when there is none
// at all, d is +infinity everywhere. With integer-valued f the results are
// integers, exact in double up to 2^53. `f` and `d` may not overlap.
void squared_distance_1d(const double* f, std::size_t n, double* d, Envelope& env) {
  std::size_t* v = env.vertex.data();
  double* z = env.boundary.data();
  std::size_t parabolas = 0;  // k + 1 in the paper's notation
  for (std::size_t q = 0; q < n; ++q) {
    if (!(f[q] < kInf)) continue;
    const double qd = static_cast<double>(q);
    if (parabolas == 0) {
      v[0] = q;
      z[0] = -kInf;
      z[1] = kInf;
      parabolas = 1;
      continue;
    }
    // The intersection with the last parabola of the envelope; while it lies
    // left of where that one begins, that one is hidden and drops out. The
    // first parabola starts at -inf, so it is never dropped and the loop ends.
    double s = 0.0;
    for (;;) {
      const std::size_t p = v[parabolas - 1];
      const double pd = static_cast<double>(p);
      s = ((f[q] + qd * qd) - (f[p] + pd * pd)) / (2.0 * qd - 2.0 * pd);
      if (s > z[parabolas - 1]) break;
      --parabolas;
    }
    v[parabolas] = q;
    z[parabolas] = s;
    z[parabolas + 1] = kInf;
    ++parabolas;
  }
  if (parabolas == 0) {
    std::fill(d, d + n, kInf);
    return;
  }
  std::size_t k = 0;
  for (std::size_t q = 0; q < n; ++q) {
    const double qd = static_cast<double>(q);
    while (z[k + 1] < qd) ++k;
    const double offset = qd - static_cast<double>(v[k]);
    d[q] = offset * offset + f[v[k]];
  }
}

}  // namespace

std::vector<float> euclidean_distance(const std::vector<std::uint8_t>& source, std::size_t rows, std::size_t cols,
                                      double cell_size_m, core::Progress* progress) {
  check_geometry("euclidean_distance", source.size(), rows, cols, cell_size_m);
  // The column pass keeps the vertical distance in cells in the output array
  // itself (instead of a second, double array of squared distances); float
  // holds those integers exactly below 2^24.
  constexpr std::size_t kMaxExactFloatInteger = std::size_t{1} << 24;
  if (rows >= kMaxExactFloatInteger)
    throw core::InternalError("euclidean_distance: " + std::to_string(rows) + " rows exceed the " +
                              std::to_string(kMaxExactFloatInteger) + " that the column pass can hold exactly");
  std::vector<float> distance_m(rows * cols, kInfF);
  if (rows == 0 || cols == 0) return distance_m;

  const std::size_t longest = std::max(rows, cols);
  Envelope envelope(longest);
  std::vector<double> f(longest);
  std::vector<double> d(longest);

  // Pass 1, columns: the sampled function is 0 on sources and +inf elsewhere,
  // so d is the squared distance in cells to the nearest source of the column.
  for (std::size_t c = 0; c < cols; ++c) {
    if (progress && c % kLinesPerPoll == 0)
      progress->update(0.5 * static_cast<double>(c) / static_cast<double>(cols));
    for (std::size_t r = 0; r < rows; ++r) f[r] = source[r * cols + c] != 0 ? 0.0 : kInf;
    squared_distance_1d(f.data(), rows, d.data(), envelope);
    for (std::size_t r = 0; r < rows; ++r) distance_m[r * cols + c] = static_cast<float>(std::sqrt(d[r]));
  }
  // Pass 2, rows: the sampled function is the squared column distance, so d
  // is the squared Euclidean distance in cells (F&H section 3).
  for (std::size_t r = 0; r < rows; ++r) {
    if (progress && r % kLinesPerPoll == 0)
      progress->update(0.5 + 0.5 * static_cast<double>(r) / static_cast<double>(rows));
    float* line = distance_m.data() + r * cols;
    for (std::size_t c = 0; c < cols; ++c) {
      const double cells = line[c];
      f[c] = cells * cells;
    }
    squared_distance_1d(f.data(), cols, d.data(), envelope);
    for (std::size_t c = 0; c < cols; ++c) line[c] = static_cast<float>(std::sqrt(d[c]) * cell_size_m);
  }
  if (progress) progress->update(1.0);
  return distance_m;
}

std::vector<float> cost_distance(const std::vector<float>& cost_per_m, std::size_t rows, std::size_t cols,
                                 double cell_size_m, const std::vector<std::uint8_t>& source, double max_cost,
                                 core::Progress* progress) {
  check_geometry("cost_distance (friction)", cost_per_m.size(), rows, cols, cell_size_m);
  check_geometry("cost_distance (sources)", source.size(), rows, cols, cell_size_m);
  std::vector<std::size_t> cells;
  for (std::size_t i = 0; i < source.size(); ++i)
    if (source[i] != 0) cells.push_back(i);
  return cost_distance_from(cost_per_m, rows, cols, cell_size_m, std::move(cells), max_cost, progress);
}

SourceDistance::SourceDistance(std::size_t rows, std::size_t cols, double cell_size_m)
    : rows_(rows), cols_(cols), cell_size_m_(cell_size_m) {
  check_geometry("SourceDistance", rows * cols, rows, cols, cell_size_m);
  if (rows >= (std::size_t{1} << 24) || cols > std::numeric_limits<std::uint32_t>::max())
    throw core::InternalError("SourceDistance: a grid of " + std::to_string(rows) + " x " + std::to_string(cols) +
                              " cells is too large for exact distances");
}

void SourceDistance::add(std::size_t row, std::size_t col) {
  if (row >= rows_ || col >= cols_)
    throw core::InternalError("SourceDistance: cell " + std::to_string(row) + ", " + std::to_string(col) +
                              " is outside the grid");
  if (pending_.empty()) {
    pending_.resize(cols_);
    unsorted_.assign(cols_, 0);
  }
  const auto r = static_cast<std::uint32_t>(row);
  if (unsorted_[col]) pending_[col].push_back(r);
  else if (!append_in_order(pending_[col], r)) {
    pending_[col].push_back(r);  // out of order: sorted in finish()
    unsorted_[col] = 1;
  }
}

bool SourceDistance::append_in_order(std::vector<std::uint32_t>& column, std::uint32_t r) {
  if (!column.empty()) {
    const std::uint32_t last = column.back() & ~kRunEnd;
    if (r < last) return false;
    if (r == last) return true;  // a duplicate
    if (r == last + 1) {
      // The run of the column's last source goes on one row.
      if (column.back() & kRunEnd) column.back() = r | kRunEnd;
      else column.push_back(r | kRunEnd);
      return true;
    }
  }
  column.push_back(r);
  return true;
}

void SourceDistance::add_rows(std::size_t row0, std::size_t nrows, const std::uint8_t* mask) {
  for (std::size_t r = 0; r < nrows; ++r)
    for (std::size_t c = 0; c < cols_; ++c)
      if (mask[r * cols_ + c]) add(row0 + r, c);
}

void SourceDistance::finish() {
  column_start_.assign(cols_ + 1, 0);
  std::size_t total = 0;
  for (std::size_t c = 0; c < pending_.size(); ++c) {
    auto& column = pending_[c];
    if (unsorted_[c]) {
      // Sources that came out of order: every row again, sorted, then runs.
      std::vector<std::uint32_t> all;
      for (std::size_t k = 0; k < column.size(); ++k) {
        if (column[k] & kRunEnd) {
          for (std::uint32_t r = (column[k - 1] & ~kRunEnd) + 1; r <= (column[k] & ~kRunEnd); ++r) all.push_back(r);
        } else {
          all.push_back(column[k]);
        }
      }
      std::sort(all.begin(), all.end());
      column.clear();
      unsorted_[c] = 0;
      for (std::uint32_t r : all) append_in_order(column, r);
    }
    total += column.size();
  }
  source_rows_.clear();
  source_rows_.reserve(total);
  for (std::size_t c = 0; c < cols_; ++c) {
    if (c < pending_.size()) {
      source_rows_.insert(source_rows_.end(), pending_[c].begin(), pending_[c].end());
      std::vector<std::uint32_t>().swap(pending_[c]);
    }
    column_start_[c + 1] = source_rows_.size();
  }
  std::vector<std::vector<std::uint32_t>>().swap(pending_);
  std::vector<std::uint8_t>().swap(unsorted_);
}

void SourceDistance::rows(std::size_t row0, std::size_t nrows, float* out) const {
  if (column_start_.size() != cols_ + 1) throw core::InternalError("SourceDistance: rows() before finish()");
  if (nrows == 0 || cols_ == 0) return;
  if (source_rows_.empty()) {
    std::fill(out, out + nrows * cols_, kInfF);
    return;
  }
  // Per column: the first entry (a source, or the end of a run of sources)
  // at or below the current row.
  std::vector<std::size_t> cursor(cols_);
  const auto row_of = [](std::uint32_t entry) { return entry & ~kRunEnd; };
  for (std::size_t c = 0; c < cols_; ++c) {
    const auto* begin = source_rows_.data() + column_start_[c];
    const auto* end = source_rows_.data() + column_start_[c + 1];
    cursor[c] = static_cast<std::size_t>(
        std::lower_bound(begin, end, static_cast<std::uint32_t>(row0),
                         [&](std::uint32_t entry, std::uint32_t row) { return row_of(entry) < row; }) -
        source_rows_.data());
  }
  Envelope envelope(cols_);
  std::vector<double> f(cols_), d(cols_);
  for (std::size_t r = row0; r < row0 + nrows; ++r) {
    for (std::size_t c = 0; c < cols_; ++c) {
      const std::size_t lo = column_start_[c], hi = column_start_[c + 1];
      std::size_t& k = cursor[c];
      while (k < hi && row_of(source_rows_[k]) < r) ++k;
      // The column pass of euclidean_distance: the vertical distance in
      // cells to the nearest source of the column (an integer, exact). The
      // entries are the first and last rows of runs of sources: a row up to
      // the end of a run lies inside it; otherwise the nearest sources are
      // the start of the next run and the end of the one before.
      double cells = kInf;
      if (k < hi) cells = (source_rows_[k] & kRunEnd) ? 0.0 : static_cast<double>(source_rows_[k] - r);
      if (k > lo) cells = std::min(cells, static_cast<double>(r - row_of(source_rows_[k - 1])));
      f[c] = cells * cells;
    }
    squared_distance_1d(f.data(), cols_, d.data(), envelope);
    float* line = out + (r - row0) * cols_;
    for (std::size_t c = 0; c < cols_; ++c) line[c] = static_cast<float>(std::sqrt(d[c]) * cell_size_m_);
  }
}

std::vector<float> cost_distance_from(const std::vector<float>& cost_per_m, std::size_t rows, std::size_t cols,
                                      double cell_size_m, std::vector<std::size_t> source_cells, double max_cost,
                                      core::Progress* progress) {
  check_geometry("cost_distance (friction)", cost_per_m.size(), rows, cols, cell_size_m);
  if (std::isnan(max_cost)) throw core::InternalError("cost_distance: the maximum cost is NaN");
  const std::size_t cells = rows * cols;
  std::size_t passable_cells = 0;
  for (std::size_t i = 0; i < cells; ++i) {
    const float c = cost_per_m[i];
    if (c < 0.0f)
      throw core::InternalError("cost_distance: negative cost " + std::to_string(c) + " per metre at row " +
                                std::to_string(i / cols) + ", column " + std::to_string(i % cols));
    if (std::isfinite(c)) ++passable_cells;
  }
  const auto passable = [&](std::size_t i) { return std::isfinite(cost_per_m[i]); };

  // One float a cell holds the whole search state: +inf = not reached yet;
  // negative (sign bit set, -0 included) = open, minus the best tentative
  // cost so far rounded to float; otherwise settled, with its final cost.
  // Exact double costs travel in the heap only; the float tentative merely
  // prunes pushes that are certainly worse than one already made.
  std::vector<float> result(cells, kInfF);
  const auto settled_at = [&](std::size_t i) { return std::isfinite(result[i]) && !std::signbit(result[i]); };
  RadixHeap frontier;
  std::sort(source_cells.begin(), source_cells.end());
  source_cells.erase(std::unique(source_cells.begin(), source_cells.end()), source_cells.end());
  if (max_cost >= 0.0) {
    for (std::size_t i : source_cells) {
      if (i >= cells) throw core::InternalError("cost_distance: source cell " + std::to_string(i) + " is outside the grid");
      if (!passable(i)) continue;
      result[i] = -0.0f;
      frontier.push(0.0, i);
    }
  }
  const double diagonal_m = cell_size_m * std::numbers::sqrt2;
  struct Move {
    int d_row, d_col;
  };
  constexpr Move kMoves[8] = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}};
  const std::size_t poll_every = std::max<std::size_t>(1, passable_cells / 100);
  std::size_t settled = 0;
  while (!frontier.empty()) {
    const auto [cost_here, i] = frontier.pop();
    // The first time a cell leaves the heap its cost is the least (Dijkstra);
    // later entries of it are stale.
    if (settled_at(i)) continue;
    result[i] = static_cast<float>(cost_here);
    ++settled;
    if (progress && settled % poll_every == 0)
      progress->update(static_cast<double>(settled) / static_cast<double>(passable_cells));
    const std::size_t r = i / cols;
    const std::size_t c = i % cols;
    const double friction_here = cost_per_m[i];
    for (const Move& m : kMoves) {
      const std::size_t nr = r + static_cast<std::size_t>(m.d_row);
      const std::size_t nc = c + static_cast<std::size_t>(m.d_col);
      if (nr >= rows || nc >= cols) continue;
      const std::size_t j = nr * cols + nc;
      // A settled neighbour is final: no path through i can be cheaper.
      if (!passable(j) || settled_at(j)) continue;
      const bool diagonal = m.d_row != 0 && m.d_col != 0;
      if (diagonal && !passable(nr * cols + c) && !passable(r * cols + nc)) continue;
      const double length_m = diagonal ? diagonal_m : cell_size_m;
      const double cost_there = cost_here + length_m * (friction_here + static_cast<double>(cost_per_m[j])) / 2.0;
      if (!(cost_there <= max_cost)) continue;
      const float state = result[j];
      if (std::signbit(state)) {
        // Open: the best tentative cost is within half a float step of -state,
        // so a cost beyond one step above it is certainly worse.
        const float best = -state;
        if (cost_there > static_cast<double>(std::nextafter(best, kInfF))) continue;
        if (cost_there < static_cast<double>(best)) result[j] = -static_cast<float>(cost_there);
      } else {
        result[j] = -static_cast<float>(cost_there);
      }
      frontier.push(cost_there, j);
    }
  }
  if (progress) progress->update(1.0);
  return result;
}

double min_finite_cost(const std::vector<float>& cost_per_m) {
  double lowest = kInf;
  for (float c : cost_per_m)
    if (std::isfinite(c) && c < lowest) lowest = c;
  return lowest;
}

double tobler_walking_speed_kmh(double slope_tan) { return 6.0 * std::exp(-3.5 * std::abs(slope_tan + 0.05)); }

double walking_minutes_per_m(double slope_deg) {
  const double t = std::tan(slope_deg * std::numbers::pi / 180.0);
  const double speed_kmh = (tobler_walking_speed_kmh(t) + tobler_walking_speed_kmh(-t)) / 2.0;
  return 60.0 / (1000.0 * speed_kmh);
}

}  // namespace relocplan::raster
