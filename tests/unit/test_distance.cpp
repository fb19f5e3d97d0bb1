#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "relocplan/core/error.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/raster/distance.hpp"
#include "relocplan/raster/local_cost_distance.hpp"
#include "test_support.hpp"

using relocplan::raster::cost_distance;
using relocplan::raster::euclidean_distance;
using relocplan::raster::tobler_walking_speed_kmh;
using relocplan::raster::walking_minutes_per_m;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

std::size_t count_infinite(const std::vector<float>& values) {
  std::size_t n = 0;
  for (float v : values) n += std::isinf(v) ? 1 : 0;
  return n;
}

// ---- Euclidean distance -----------------------------------------------------

// The definition: the minimum over all sources of the distance between cell centres.
std::vector<double> brute_force_distance(const std::vector<std::uint8_t>& source, std::size_t rows, std::size_t cols,
                                         double cell_size_m) {
  std::vector<double> out(rows * cols, kInf);
  for (std::size_t s = 0; s < rows * cols; ++s) {
    if (source[s] == 0) continue;
    const double sr = static_cast<double>(s / cols), sc = static_cast<double>(s % cols);
    for (std::size_t i = 0; i < rows * cols; ++i) {
      const double dr = static_cast<double>(i / cols) - sr, dc = static_cast<double>(i % cols) - sc;
      out[i] = std::min(out[i], std::sqrt(dr * dr + dc * dc) * cell_size_m);
    }
  }
  return out;
}

// Compares with the brute force to 1e-4 m; returns the number of mismatches
// (0 expected), reporting the first few.
std::size_t edt_mismatches(const std::vector<std::uint8_t>& source, std::size_t rows, std::size_t cols,
                           double cell_size_m) {
  const std::vector<float> got = euclidean_distance(source, rows, cols, cell_size_m);
  const std::vector<double> want = brute_force_distance(source, rows, cols, cell_size_m);
  REQUIRE(got.size() == want.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const bool same = std::isinf(want[i]) ? std::isinf(got[i]) && got[i] > 0
                                          : std::abs(static_cast<double>(got[i]) - want[i]) <= 1e-4;
    if (!same && ++bad <= 5) {
      INFO("row " << i / cols << " col " << i % cols << ": got " << got[i] << ", brute force " << want[i]);
      CHECK(same);
    }
  }
  return bad;
}

// A random source mask: each cell is a source with probability `density`,
// with a random non-zero value (any non-zero value marks a source).
std::vector<std::uint8_t> random_sources(std::mt19937& rng, std::size_t cells, double density) {
  std::bernoulli_distribution is_source(density);
  std::uniform_int_distribution<int> value(1, 255);
  std::vector<std::uint8_t> s(cells, 0);
  for (auto& v : s)
    if (is_source(rng)) v = static_cast<std::uint8_t>(value(rng));
  return s;
}

// ---- Cost distance ----------------------------------------------------------

// An independent reference: Boost.Graph's Dijkstra on the explicit 8-neighbour
// graph (with the no-squeeze rule for diagonals), from a virtual vertex joined
// to every passable source at cost 0. Unreached cells come out +inf.
std::vector<double> boost_cost_distance(const std::vector<float>& cost, std::size_t rows, std::size_t cols,
                                        double cell_size_m, const std::vector<std::uint8_t>& source) {
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                      boost::property<boost::edge_weight_t, double>>;
  const std::size_t cells = rows * cols;
  const std::size_t origin = cells;
  Graph g(cells + 1);
  const auto open = [&](long r, long c) {
    return r >= 0 && c >= 0 && r < static_cast<long>(rows) && c < static_cast<long>(cols) &&
           std::isfinite(cost[static_cast<std::size_t>(r) * cols + static_cast<std::size_t>(c)]);
  };
  for (long r = 0; r < static_cast<long>(rows); ++r) {
    for (long c = 0; c < static_cast<long>(cols); ++c) {
      if (!open(r, c)) continue;
      const std::size_t a = static_cast<std::size_t>(r) * cols + static_cast<std::size_t>(c);
      if (source[a] != 0) boost::add_edge(origin, a, 0.0, g);
      for (long dr = -1; dr <= 1; ++dr) {
        for (long dc = -1; dc <= 1; ++dc) {
          if ((dr == 0 && dc == 0) || !open(r + dr, c + dc)) continue;
          const bool diagonal = dr != 0 && dc != 0;
          if (diagonal && !open(r + dr, c) && !open(r, c + dc)) continue;
          const std::size_t b = static_cast<std::size_t>(r + dr) * cols + static_cast<std::size_t>(c + dc);
          const double length = diagonal ? cell_size_m * std::sqrt(2.0) : cell_size_m;
          boost::add_edge(a, b, length * (static_cast<double>(cost[a]) + static_cast<double>(cost[b])) / 2.0, g);
        }
      }
    }
  }
  std::vector<double> dist(cells + 1);
  boost::dijkstra_shortest_paths(g, origin, boost::distance_map(dist.data()));
  dist.pop_back();
  for (double& d : dist)
    if (d == std::numeric_limits<double>::max()) d = kInf;
  return dist;
}

// Uniform friction everywhere.
std::vector<float> uniform(std::size_t cells, float cost_per_m) { return std::vector<float>(cells, cost_per_m); }

std::vector<std::uint8_t> one_source(std::size_t cells, std::size_t at) {
  std::vector<std::uint8_t> s(cells, 0);
  s[at] = 1;
  return s;
}

}  // namespace

// ---- Euclidean distance -----------------------------------------------------

TEST_CASE("Euclidean distance: one source in the middle of a 5 x 5 grid", "[distance]") {
  const std::vector<float> d = euclidean_distance(one_source(25, 2 * 5 + 2), 5, 5, 30.0);
  REQUIRE(d.size() == 25);
  CHECK(d[2 * 5 + 2] == 0.0f);
  CHECK(d[0] == Approx(30.0 * std::sqrt(8.0)).margin(1e-4));           // corner: 2 rows, 2 columns away
  CHECK(d[24] == Approx(30.0 * std::sqrt(8.0)).margin(1e-4));          // opposite corner
  CHECK(d[1 * 5 + 2] == Approx(30.0).margin(1e-4));                    // orthogonal neighbour
  CHECK(d[1 * 5 + 1] == Approx(30.0 * std::sqrt(2.0)).margin(1e-4));   // diagonal neighbour
  CHECK(d[2 * 5 + 0] == Approx(60.0).margin(1e-4));                    // two columns away
  CHECK(d[0 * 5 + 1] == Approx(30.0 * std::sqrt(5.0)).margin(1e-4));   // knight's move
}

TEST_CASE("Euclidean distance: the nearer of two sources wins", "[distance]") {
  // 1 x 9: sources at columns 1 and 6 (10 m cells).
  std::vector<std::uint8_t> s(9, 0);
  s[1] = 1;
  s[6] = 7;
  const std::vector<float> d = euclidean_distance(s, 1, 9, 10.0);
  const std::vector<float> want = {10, 0, 10, 20, 20, 10, 0, 10, 20};
  for (std::size_t c = 0; c < 9; ++c) CHECK(d[c] == Approx(want[c]).margin(1e-4));
}

TEST_CASE("Euclidean distance: no source gives +infinity everywhere", "[distance]") {
  const std::vector<float> d = euclidean_distance(std::vector<std::uint8_t>(6 * 4, 0), 6, 4, 25.0);
  REQUIRE(d.size() == 24);
  for (float v : d) CHECK((std::isinf(v) && v > 0));
  CHECK(euclidean_distance({}, 0, 0, 25.0).empty());
}

TEST_CASE("Euclidean distance: brute force on random grids", "[distance]") {
  std::mt19937 rng(20240611);
  constexpr std::size_t rows = 37, cols = 53;
  SECTION("about 1 % sources") {
    for (int trial = 0; trial < 5; ++trial)
      CHECK(edt_mismatches(random_sources(rng, rows * cols, 0.01), rows, cols, 30.0) == 0);
  }
  SECTION("about 30 % sources") {
    for (int trial = 0; trial < 5; ++trial)
      CHECK(edt_mismatches(random_sources(rng, rows * cols, 0.30), rows, cols, 12.5) == 0);
  }
  SECTION("a single source anywhere") {
    std::uniform_int_distribution<std::size_t> cell(0, rows * cols - 1);
    for (int trial = 0; trial < 10; ++trial)
      CHECK(edt_mismatches(one_source(rows * cols, cell(rng)), rows, cols, 30.0) == 0);
  }
  SECTION("sources only on one edge") {
    std::vector<std::uint8_t> top(rows * cols, 0), right(rows * cols, 0);
    std::bernoulli_distribution pick(0.3);
    for (std::size_t c = 0; c < cols; ++c) top[c] = pick(rng) ? 1 : 0;
    for (std::size_t r = 0; r < rows; ++r) right[r * cols + cols - 1] = pick(rng) ? 1 : 0;
    top[cols / 2] = 1;  // at least one source on each
    right[(rows / 2) * cols + cols - 1] = 1;
    CHECK(edt_mismatches(top, rows, cols, 30.0) == 0);
    CHECK(edt_mismatches(right, rows, cols, 30.0) == 0);
  }
  SECTION("a larger grid, wider than tall and taller than wide") {
    CHECK(edt_mismatches(random_sources(rng, 61 * 207, 0.002), 61, 207, 5.0) == 0);
    CHECK(edt_mismatches(random_sources(rng, 211 * 17, 0.004), 211, 17, 5.0) == 0);
  }
}

TEST_CASE("Euclidean distance: 1 x N and N x 1 grids", "[distance]") {
  std::mt19937 rng(7);
  for (std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{17}, std::size_t{300}}) {
    const std::vector<std::uint8_t> s = random_sources(rng, n, 0.05);
    CHECK(edt_mismatches(s, 1, n, 10.0) == 0);
    CHECK(edt_mismatches(s, n, 1, 10.0) == 0);
  }
  // Hand values: a source at the left end of a 1 x 4 row, and the same as a column.
  const std::vector<float> row = euclidean_distance({1, 0, 0, 0}, 1, 4, 20.0);
  const std::vector<float> col = euclidean_distance({1, 0, 0, 0}, 4, 1, 20.0);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(row[i] == Approx(20.0 * static_cast<double>(i)).margin(1e-4));
    CHECK(col[i] == Approx(20.0 * static_cast<double>(i)).margin(1e-4));
  }
  CHECK(std::isinf(euclidean_distance({0}, 1, 1, 20.0)[0]));
  CHECK(euclidean_distance({3}, 1, 1, 20.0)[0] == 0.0f);
}

TEST_CASE("Euclidean distance: invalid arguments are rejected", "[distance]") {
  CHECK_THROWS_AS(euclidean_distance(std::vector<std::uint8_t>(11, 0), 3, 4, 10.0), relocplan::core::InternalError);
  CHECK_THROWS_AS(euclidean_distance(std::vector<std::uint8_t>(12, 0), 3, 4, 0.0), relocplan::core::InternalError);
  CHECK_THROWS_AS(euclidean_distance(std::vector<std::uint8_t>(12, 0), 3, 4, kInf), relocplan::core::InternalError);
  CHECK_NOTHROW(euclidean_distance(std::vector<std::uint8_t>(12, 0), 3, 4, 10.0));
}

TEST_CASE("Euclidean distance: progress is reported and cancellation stops it", "[distance]") {
  const std::vector<std::uint8_t> s = one_source(200 * 150, 1234);
  relocplan::core::CancelFlag flag;
  relocplan::core::Progress quiet(false, flag);
  const std::vector<float> with_progress = euclidean_distance(s, 200, 150, 10.0, &quiet);
  CHECK(with_progress == euclidean_distance(s, 200, 150, 10.0));
  flag.request();
  CHECK_THROWS_AS(euclidean_distance(s, 200, 150, 10.0, &quiet), relocplan::core::Cancelled);
}

// ---- Cost distance ----------------------------------------------------------

TEST_CASE("Cost distance: uniform friction gives step lengths", "[distance]") {
  // 5 x 5, 10 m cells, 1 per metre, source in the middle.
  const std::vector<float> d = cost_distance(uniform(25, 1.0f), 5, 5, 10.0, one_source(25, 12));
  const double diag = 10.0 * std::sqrt(2.0);
  CHECK(d[12] == 0.0f);
  CHECK(d[7] == Approx(10.0).epsilon(1e-6));          // orthogonal neighbour
  CHECK(d[13] == Approx(10.0).epsilon(1e-6));
  CHECK(d[6] == Approx(diag).epsilon(1e-6));          // diagonal neighbour
  CHECK(d[18] == Approx(diag).epsilon(1e-6));
  CHECK(d[2] == Approx(20.0).epsilon(1e-6));          // two cells away
  CHECK(d[14] == Approx(20.0).epsilon(1e-6));
  CHECK(d[1] == Approx(10.0 + diag).epsilon(1e-6));   // knight's move: one diagonal + one orthogonal step
  CHECK(d[0] == Approx(2.0 * diag).epsilon(1e-6));    // corner
  CHECK(count_infinite(d) == 0);
}

TEST_CASE("Cost distance: half of each step is charged in each cell", "[distance]") {
  // 1 x 4, 10 m cells, friction 1, 3, 5, 0 per metre, source at the left.
  const std::vector<float> d = cost_distance({1.0f, 3.0f, 5.0f, 0.0f}, 1, 4, 10.0, {1, 0, 0, 0});
  CHECK(d[0] == 0.0f);
  CHECK(d[1] == Approx(10.0 * (1 + 3) / 2.0).epsilon(1e-6));
  CHECK(d[2] == Approx(20.0 + 10.0 * (3 + 5) / 2.0).epsilon(1e-6));
  CHECK(d[3] == Approx(60.0 + 10.0 * (5 + 0) / 2.0).epsilon(1e-6));
  // The same as a column (vertical moves), from the other end.
  const std::vector<float> up = cost_distance({1.0f, 3.0f, 5.0f, 0.0f}, 4, 1, 10.0, {0, 0, 0, 1});
  CHECK(up[2] == Approx(25.0).epsilon(1e-6));
  CHECK(up[1] == Approx(65.0).epsilon(1e-6));
  CHECK(up[0] == Approx(85.0).epsilon(1e-6));
}

TEST_CASE("Cost distance: agrees with Boost.Graph's Dijkstra on random friction grids", "[distance]") {
  std::mt19937 rng(93);
  constexpr std::size_t rows = 23, cols = 31, cells = rows * cols;
  std::uniform_real_distribution<float> friction(0.5f, 5.0f);
  std::bernoulli_distribution blocked(0.10);
  std::bernoulli_distribution nan_or_inf(0.5);
  std::uniform_int_distribution<int> source_count(1, 3);
  std::uniform_int_distribution<std::size_t> cell(0, cells - 1);
  std::size_t reached_total = 0, unreached_total = 0;
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<float> cost(cells);
    for (float& c : cost)
      c = blocked(rng) ? (nan_or_inf(rng) ? kNaN : std::numeric_limits<float>::infinity()) : friction(rng);
    std::vector<std::uint8_t> src(cells, 0);
    for (int k = source_count(rng); k > 0; --k) src[cell(rng)] = 1;
    const double cell_size_m = trial % 2 == 0 ? 30.0 : 12.5;
    const std::vector<float> got = cost_distance(cost, rows, cols, cell_size_m, src);
    const std::vector<double> want = boost_cost_distance(cost, rows, cols, cell_size_m, src);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < cells; ++i) {
      const bool same = std::isinf(want[i])
                            ? std::isinf(got[i]) && got[i] > 0
                            : std::abs(static_cast<double>(got[i]) - want[i]) <= 1e-4 * std::max(1.0, want[i]);
      if (!same && ++bad <= 5) {
        INFO("trial " << trial << ", row " << i / cols << " col " << i % cols << ": got " << got[i] << ", Boost "
                      << want[i]);
        CHECK(same);
      }
      (std::isinf(want[i]) ? unreached_total : reached_total) += 1;
    }
    CHECK(bad == 0);
  }
  // The comparison covered both reached cells and unreached ones (blocked or cut off).
  CHECK(reached_total > 10000);
  CHECK(unreached_total > 1000);
}

TEST_CASE("Cost distance: a wall of impassable cells cuts the grid in two", "[distance]") {
  constexpr std::size_t rows = 6, cols = 7;
  const std::vector<float> nodata_values = {kNaN, std::numeric_limits<float>::infinity()};
  for (const float nodata : nodata_values) {
    INFO("impassable cells hold " << nodata);
    std::vector<float> cost = uniform(rows * cols, 2.0f);
    for (std::size_t r = 0; r < rows; ++r) cost[r * cols + 3] = nodata;
    const std::vector<float> d = cost_distance(cost, rows, cols, 10.0, one_source(rows * cols, 2 * cols + 1));
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) {
        INFO("row " << r << " col " << c);
        if (c < 3)
          CHECK(std::isfinite(d[r * cols + c]));
        else
          CHECK((std::isinf(d[r * cols + c]) && d[r * cols + c] > 0));
      }
    }
    // A gap of one cell in the wall lets the search through, around the wall's end.
    cost[(rows - 1) * cols + 3] = 2.0f;
    const std::vector<float> gap = cost_distance(cost, rows, cols, 10.0, one_source(rows * cols, 2 * cols + 1));
    CHECK(count_infinite(gap) == rows - 1);
    CHECK(gap[2 * cols + 5] > gap[2 * cols + 2]);
  }
}

TEST_CASE("Cost distance: no squeezing diagonally between two impassable cells", "[distance]") {
  const double diag = 10.0 * std::sqrt(2.0);
  SECTION("2 x 2: both cut-across cells blocked") {
    const std::vector<float> d = cost_distance({1.0f, kNaN, kNaN, 3.0f}, 2, 2, 10.0, {1, 0, 0, 0});
    CHECK(d[0] == 0.0f);
    CHECK(std::isinf(d[3]));
  }
  SECTION("2 x 2: one cut-across cell blocked, the diagonal is allowed") {
    const std::vector<float> d = cost_distance({1.0f, 100.0f, kNaN, 3.0f}, 2, 2, 10.0, {1, 0, 0, 0});
    CHECK(d[3] == Approx(diag * (1 + 3) / 2.0).epsilon(1e-6));  // not via the costly cell 1
    const std::vector<float> e = cost_distance({1.0f, kNaN, 100.0f, 3.0f}, 2, 2, 10.0, {1, 0, 0, 0});
    CHECK(e[3] == Approx(diag * (1 + 3) / 2.0).epsilon(1e-6));
  }
  SECTION("a one-cell thick diagonal line of NoData is a wall") {
    constexpr std::size_t n = 6;
    std::vector<float> cost = uniform(n * n, 1.0f);
    for (std::size_t r = 0; r < n; ++r) cost[r * n + (n - 1 - r)] = kNaN;  // the anti-diagonal
    const std::vector<float> d = cost_distance(cost, n, n, 10.0, one_source(n * n, 0));
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t c = 0; c < n; ++c) {
        INFO("row " << r << " col " << c);
        if (r + c < n - 1)
          CHECK(std::isfinite(d[r * n + c]));
        else
          CHECK(std::isinf(d[r * n + c]));
      }
    }
  }
}

TEST_CASE("Cost distance: max_cost cuts the search", "[distance]") {
  // 7 x 7, 10 m cells, 1 per metre, source in the middle (3, 3).
  constexpr std::size_t n = 7;
  const auto at = [](std::size_t r, std::size_t c) { return r * n + c; };
  const std::vector<float> full = cost_distance(uniform(n * n, 1.0f), n, n, 10.0, one_source(n * n, at(3, 3)));
  const std::vector<float> cut = cost_distance(uniform(n * n, 1.0f), n, n, 10.0, one_source(n * n, at(3, 3)), 25.0);
  CHECK(count_infinite(full) == 0);
  CHECK(cut[at(3, 3)] == 0.0f);
  CHECK(cut[at(2, 3)] == Approx(10.0).epsilon(1e-6));
  CHECK(cut[at(2, 2)] == Approx(10.0 * std::sqrt(2.0)).epsilon(1e-6));
  CHECK(cut[at(1, 3)] == Approx(20.0).epsilon(1e-6));
  CHECK(cut[at(1, 2)] == Approx(10.0 + 10.0 * std::sqrt(2.0)).epsilon(1e-6));  // 24.14 <= 25
  CHECK(std::isinf(cut[at(1, 1)]));                                             // 28.28 > 25
  CHECK(std::isinf(cut[at(0, 3)]));                                             // 30 > 25
  // Everything kept is unchanged, everything beyond 25 is dropped.
  for (std::size_t i = 0; i < n * n; ++i) {
    INFO("cell " << i << ": full " << full[i] << ", cut " << cut[i]);
    if (full[i] <= 25.0f)
      CHECK(cut[i] == full[i]);
    else
      CHECK(std::isinf(cut[i]));
  }
  // max_cost itself is kept; a negative max_cost leaves nothing, not even the source.
  const std::vector<float> exact = cost_distance(uniform(n * n, 1.0f), n, n, 10.0, one_source(n * n, at(3, 3)), 20.0);
  CHECK(exact[at(1, 3)] == Approx(20.0).epsilon(1e-6));
  CHECK(count_infinite(cost_distance(uniform(n * n, 1.0f), n, n, 10.0, one_source(n * n, at(3, 3)), -1.0)) == n * n);
}

TEST_CASE("Cost distance: sources on impassable cells are ignored", "[distance]") {
  const std::vector<float> cost = {1.0f, 1.0f, kNaN, 1.0f, 1.0f, 1.0f};  // 2 x 3
  CHECK(count_infinite(cost_distance(cost, 2, 3, 10.0, {0, 0, 1, 0, 0, 0})) == 6);
  CHECK(count_infinite(cost_distance(cost, 2, 3, 10.0, {0, 0, 0, 0, 0, 0})) == 6);
  // With a second, passable source the blocked one still does not count.
  const std::vector<float> d = cost_distance(cost, 2, 3, 10.0, {0, 0, 1, 1, 0, 0});
  CHECK(std::isinf(d[2]));
  CHECK(d[3] == 0.0f);
  CHECK(d[5] == Approx(20.0).epsilon(1e-6));                       // two steps along the bottom row
  CHECK(d[1] == Approx(10.0 * std::sqrt(2.0)).epsilon(1e-6));
}

TEST_CASE("Cost distance: invalid arguments are rejected", "[distance]") {
  using relocplan::core::InternalError;
  const std::vector<std::uint8_t> src = one_source(6, 0);
  CHECK_THROWS_AS(cost_distance(uniform(5, 1.0f), 2, 3, 10.0, src), InternalError);
  CHECK_THROWS_AS(cost_distance(uniform(6, 1.0f), 2, 3, 10.0, one_source(5, 0)), InternalError);
  CHECK_THROWS_AS(cost_distance(uniform(6, 1.0f), 2, 3, -10.0, src), InternalError);
  CHECK_THROWS_AS(cost_distance(uniform(6, 1.0f), 2, 3, 10.0, src, std::nan("")), InternalError);
  std::vector<float> negative = uniform(6, 1.0f);
  negative[4] = -0.5f;
  CHECK_THROWS_AS(cost_distance(negative, 2, 3, 10.0, src), InternalError);
  negative[4] = -std::numeric_limits<float>::infinity();
  CHECK_THROWS_AS(cost_distance(negative, 2, 3, 10.0, src), InternalError);
  CHECK_NOTHROW(cost_distance(uniform(6, 1.0f), 2, 3, 10.0, src));
  CHECK(cost_distance({}, 0, 0, 10.0, {}).empty());
}

TEST_CASE("Cost distance: progress is reported and cancellation stops it", "[distance]") {
  const std::vector<float> cost = uniform(120 * 90, 1.5f);
  const std::vector<std::uint8_t> src = one_source(120 * 90, 5000);
  relocplan::core::CancelFlag flag;
  relocplan::core::Progress quiet(false, flag);
  CHECK(cost_distance(cost, 120, 90, 10.0, src, kInf, &quiet) == cost_distance(cost, 120, 90, 10.0, src));
  flag.request();
  CHECK_THROWS_AS(cost_distance(cost, 120, 90, 10.0, src, kInf, &quiet), relocplan::core::Cancelled);
}

// ---- Tobler's hiking function -----------------------------------------------

TEST_CASE("Tobler: the directed speed peaks at 6 km/h slightly downhill", "[distance]") {
  CHECK(tobler_walking_speed_kmh(-0.05) == Approx(6.0).epsilon(1e-12));
  CHECK(tobler_walking_speed_kmh(0.0) == Approx(6.0 * std::exp(-0.175)).epsilon(1e-12));  // 5.036 km/h
  CHECK(tobler_walking_speed_kmh(0.0) == Approx(5.0367).margin(1e-4));
  // The peak, in degrees: atan(0.05) = 2.862 degrees downhill.
  const auto speed_at_deg = [](double deg) { return tobler_walking_speed_kmh(std::tan(deg * kPi / 180.0)); };
  double best_deg = 0, best = 0;
  for (double deg = -10.0; deg <= 10.0; deg += 0.01) {
    if (speed_at_deg(deg) > best) {
      best = speed_at_deg(deg);
      best_deg = deg;
    }
  }
  CHECK(best_deg == Approx(-2.86).margin(0.011));
  CHECK(speed_at_deg(-2.0) < speed_at_deg(-2.86));
  CHECK(speed_at_deg(-4.0) < speed_at_deg(-2.86));
  // Uphill is slower than downhill of the same grade.
  CHECK(tobler_walking_speed_kmh(0.2) < tobler_walking_speed_kmh(-0.2));
  CHECK(tobler_walking_speed_kmh(0.2) == Approx(6.0 * std::exp(-3.5 * 0.25)).epsilon(1e-12));
}

TEST_CASE("Tobler: walking minutes per metre on the undirected friction surface", "[distance]") {
  // On the flat both directions give 6 e^-0.175 = 5.036 km/h: 60 / 5036 min/m.
  CHECK(walking_minutes_per_m(0.0) == Approx(60.0 / (1000.0 * 6.0 * std::exp(-0.175))).epsilon(1e-12));
  CHECK(walking_minutes_per_m(0.0) == Approx(0.0119125).margin(1e-7));
  // The symmetric average of both directions at 10 degrees.
  const double t = std::tan(10.0 * kPi / 180.0);
  const double speed = 3.0 * (std::exp(-3.5 * (t + 0.05)) + std::exp(-3.5 * (t - 0.05)));
  CHECK(walking_minutes_per_m(10.0) == Approx(60.0 / (1000.0 * speed)).epsilon(1e-12));
  // Uphill and downhill of equal grade cost the same.
  CHECK(walking_minutes_per_m(-15.0) == Approx(walking_minutes_per_m(15.0)).epsilon(1e-12));
  // It grows with the slope from 2.86 degrees (Tobler's peak) on ...
  double previous = walking_minutes_per_m(2.87);
  for (double deg = 3.0; deg <= 85.0; deg += 0.5) {
    INFO("slope " << deg << " degrees");
    const double now = walking_minutes_per_m(deg);
    CHECK(now > previous);
    previous = now;
  }
  CHECK(walking_minutes_per_m(30.0) > 3.0 * walking_minutes_per_m(0.0));
  // ... but dips by about 1.5 % between the flat and 2.86 degrees, because the
  // averaged downhill direction speeds up there (3 (1 + e^-0.35) = 5.114 km/h).
  const double at_peak = walking_minutes_per_m(std::atan(0.05) * 180.0 / kPi);
  CHECK(at_peak == Approx(60.0 / (1000.0 * 3.0 * (1.0 + std::exp(-0.35)))).epsilon(1e-12));
  CHECK(at_peak < walking_minutes_per_m(0.0));
  // A vertical wall cannot be walked; NaN stays NaN (NoData).
  CHECK(std::isinf(walking_minutes_per_m(90.0)));
  CHECK(std::isnan(walking_minutes_per_m(std::nan(""))));
}

// ---- Windowed cost distance from one source --------------------------------

namespace {

// A random friction surface: minutes per metre between fast (road-like) and
// slow (steep) values, with a share of impassable NoData cells.
// Every cell of the grid compared: the window's cost (or +inf outside it)
// against the whole-grid search from the same source with the same bound.
std::size_t windowed_mismatches(const std::vector<float>& friction, std::size_t rows, std::size_t cols, double cell,
                                std::size_t at, double max_cost,
                                relocplan::raster::LocalCostDistance& search) {
  const auto whole = cost_distance(friction, rows, cols, cell, one_source(rows * cols, at), max_cost);
  REQUIRE(search.run(at / cols, at % cols));
  std::size_t bad = 0;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const float got = search.cost_at(r, c), want = whole[r * cols + c];
      if (!(got == want || (std::isinf(got) && std::isinf(want))) && ++bad <= 5) {
        INFO("source " << at << ", row " << r << " col " << c << ": window " << got << ", whole grid " << want);
        CHECK(got == want);
      }
    }
  return bad;
}

}  // namespace

TEST_CASE("Windowed cost distance equals the whole-grid search on random friction", "[distance][window]") {
  std::mt19937 rng(20261203);
  for (int trial = 0; trial < 12; ++trial) {
    const std::size_t rows = 20 + static_cast<std::size_t>(rng() % 40), cols = 20 + static_cast<std::size_t>(rng() % 40);
    const double cell = 30.0;
    const auto friction = testsupport::random_friction(rng, rows * cols, trial % 3 == 0 ? 0.25 : 0.05);
    const double fmin = relocplan::raster::min_finite_cost(friction);
    // Bounds from a few cells' reach to beyond the whole grid.
    const double max_cost = std::vector<double>{2.0, 8.0, 25.0, 400.0}[static_cast<std::size_t>(trial % 4)];
    relocplan::raster::LocalCostDistance search(friction.data(), rows, cols, cell, max_cost, fmin);
    INFO("trial " << trial << ": " << rows << " x " << cols << ", max cost " << max_cost << ", window radius "
                  << search.radius_cells());
    // Sources in the middle, on the edges and in the corners (where the
    // window is cut by the grid), and a few random ones; one workspace for all.
    std::vector<std::size_t> at = {0, cols - 1, (rows - 1) * cols, rows * cols - 1, (rows / 2) * cols + cols / 2,
                                   (rows / 2) * cols, (rows / 2) * cols + cols - 1, cols / 3};
    for (int k = 0; k < 6; ++k) at.push_back(static_cast<std::size_t>(rng() % (rows * cols)));
    for (std::size_t a : at) CHECK(windowed_mismatches(friction, rows, cols, cell, a, max_cost, search) == 0);
  }
}

TEST_CASE("Windowed cost distance across many tiles of its search state equals the whole-grid search",
          "[distance][window][tiles]") {
  // The search state lives in tiles of 64 x 512 cells: grids and windows
  // spanning several tiles each way, sources on tile edges and corners,
  // one workspace reused (tiles taken from its pool in another order each run).
  std::mt19937 rng(20261206);
  const std::size_t rows = 200, cols = 1300;
  const double cell = 30.0;
  const auto friction = testsupport::random_friction(rng, rows * cols, 0.08);
  const double fmin = relocplan::raster::min_finite_cost(friction);
  for (double max_cost : {40.0, 150.0, 1e9}) {
    relocplan::raster::LocalCostDistance search(friction.data(), rows, cols, cell, max_cost, fmin);
    INFO("max cost " << max_cost << ", window radius " << search.radius_cells());
    for (std::size_t at : {std::size_t{0}, 63 * cols + 511, 64 * cols + 512, 127 * cols + 1023, 128 * cols + 1024,
                           100 * cols + 650, rows * cols - 1, static_cast<std::size_t>(rng() % (rows * cols))})
      CHECK(windowed_mismatches(friction, rows, cols, cell, at, max_cost, search) == 0);
    std::size_t in_tiles = 0;
    for (const auto& [r0, r1, c0, c1] : search.reached_tiles()) {
      CHECK(r0 >= search.row0());
      CHECK(r1 <= search.row1());
      CHECK(c0 >= search.col0());
      CHECK(c1 <= search.col1());
      for (std::size_t r = r0; r < r1; ++r)
        for (std::size_t c = c0; c < c1; ++c) in_tiles += std::isfinite(search.cost_at(r, c)) ? 1 : 0;
    }
    // Every reached cell lies in a reached tile.
    std::size_t reached = 0;
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) reached += std::isfinite(search.cost_at(r, c)) ? 1 : 0;
    CHECK(in_tiles == reached);
  }
}

TEST_CASE("Windowed cost distance holds the tiles a search reaches, not its whole window", "[distance][window][tiles]") {
  // A search that stops at a target a few cells away holds a tile or two of a
  // window of 2,001 x 2,001 cells (64 MB at worst).
  const std::size_t rows = 2001, cols = 2001;
  const auto friction = uniform(rows * cols, 0.01f);
  relocplan::raster::LocalCostDistance search(friction.data(), rows, cols, 10.0, 1e9, 0.01);
  const std::size_t target = 1003 * cols + 1004;
  const double d = search.nearest({1000 * cols + 1000}, [&](std::size_t i) { return i == target; });
  CHECK(d == Approx(0.1 * (1 + 3 * std::numbers::sqrt2)));
  CHECK(search.reached_tiles().size() <= 2);
  CHECK(search.bytes_held() < 2 * 1024 * 1024);
  CHECK(relocplan::raster::LocalCostDistance::bytes_for_radius(search.radius_cells(), rows, cols) > 64u * 1000 * 1000);
  // A search over the whole grid reaches every tile; a later short search
  // reuses the pool without growing it.
  REQUIRE(search.run(0, 0));
  const std::size_t whole = search.bytes_held();
  CHECK(search.reached_tiles().size() == ((rows + 63) / 64) * ((cols + 511) / 512));
  search.nearest({5 * cols + 5}, [&](std::size_t i) { return i == 6 * cols + 6; });
  CHECK(search.bytes_held() == whole);
  CHECK(std::isinf(search.cost_at(1000, 1000)));  // the earlier run's costs are gone
}

TEST_CASE("Windowed cost distance: the window is as small as the bound allows and its edge is exact",
          "[distance][window]") {
  // Uniform friction 0.01 min/m, 10 m cells: a straight step costs 0.1, so a
  // bound of 1.0 reaches exactly 10 cells along a row.
  const std::size_t rows = 41, cols = 41;
  const auto friction = uniform(rows * cols, 0.01f);
  relocplan::raster::LocalCostDistance search(friction.data(), rows, cols, 10.0, 1.0, 0.01);
  CHECK(search.radius_cells() == 11);
  REQUIRE(search.run(20, 20));
  CHECK(search.row0() == 9);
  CHECK(search.row1() == 32);
  CHECK(search.cost_at(20, 30) == Approx(1.0));  // costs equal to the bound are kept
  CHECK(std::isinf(search.cost_at(20, 31)));
  CHECK(std::isinf(search.cost_at(0, 0)));  // outside the window
  CHECK(windowed_mismatches(friction, rows, cols, 10.0, 20 * cols + 20, 1.0, search) == 0);
  // In a corner the window is cut by the grid.
  REQUIRE(search.run(0, 0));
  CHECK(search.row0() == 0);
  CHECK(search.col1() == 12);
  // Only the cells within the bound are settled: a disc of radius 10 cells.
  CHECK(search.settled() < 400);
  // Without a positive minimum friction the window is the whole grid.
  relocplan::raster::LocalCostDistance unbounded(friction.data(), rows, cols, 10.0, 1.0, 0.0);
  CHECK(unbounded.radius_cells() == 41);
}

TEST_CASE("Windowed cost distance: an impassable source reaches nothing, and cancellation stops a run",
          "[distance][window]") {
  const std::size_t rows = 200, cols = 200;
  auto friction = uniform(rows * cols, 0.01f);
  friction[5 * cols + 5] = kNaN;
  relocplan::raster::LocalCostDistance search(friction.data(), rows, cols, 10.0, 1e9, 0.01);
  REQUIRE(search.run(5, 5));
  CHECK(search.settled() == 0);
  CHECK(std::isinf(search.cost_at(5, 6)));
  relocplan::core::CancelFlag cancel;
  cancel.request();
  CHECK_FALSE(search.run(100, 100, &cancel));
}

TEST_CASE("Distance from sparse sources equals the whole-grid transform, in any strip of rows", "[distance][strips]") {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 10; ++trial) {
    const std::size_t rows = 1 + static_cast<std::size_t>(rng() % 70), cols = 1 + static_cast<std::size_t>(rng() % 70);
    const double density = std::vector<double>{0.0, 0.001, 0.02, 0.3}[static_cast<std::size_t>(trial % 4)];
    const auto source = random_sources(rng, rows * cols, density);
    const auto whole = euclidean_distance(source, rows, cols, 30.0);
    relocplan::raster::SourceDistance sparse(rows, cols, 30.0);
    // Sources added strip by strip, bottom strip first: the order does not matter.
    for (std::size_t r0 = (rows - 1) / 7 * 7 + 7; r0 >= 7; r0 -= 7) {
      const std::size_t start = r0 - 7, n = std::min<std::size_t>(7, rows - start);
      sparse.add_rows(start, n, source.data() + start * cols);
    }
    sparse.finish();
    INFO("trial " << trial << ": " << rows << " x " << cols << ", " << sparse.sources() << " sources");
    // Strips of 1, 5 and all rows, in order and out of order.
    for (std::size_t strip : {std::size_t{1}, std::size_t{5}, rows}) {
      std::vector<float> got(rows * cols, -1.0f);
      for (std::size_t r0 = 0; r0 < rows; r0 += strip) {
        const std::size_t start = rows - std::min(rows, r0 + strip);  // last strip first
        const std::size_t n = std::min(strip, rows - r0);
        sparse.rows(start, n, got.data() + start * cols);
      }
      std::size_t bad = 0;
      for (std::size_t k = 0; k < got.size(); ++k)
        if (!(got[k] == whole[k] || (std::isinf(got[k]) && std::isinf(whole[k])))) ++bad;
      CHECK(bad == 0);
    }
  }
}

TEST_CASE("Distance from sparse sources keeps runs down each column, in any order of adding", "[distance][strips]") {
  // Zones and lakes: discs and rectangles of sources, tall in their columns,
  // added strip by strip from the top, from the bottom, and cell by cell at
  // random (duplicates included).
  std::mt19937 rng(2026);
  const std::size_t rows = 90, cols = 70;
  std::vector<std::uint8_t> source(rows * cols, 0);
  for (std::size_t r = 10; r < 40; ++r)
    for (std::size_t c = 5; c < 20; ++c) source[r * cols + c] = 1;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const double dr = static_cast<double>(r) - 60, dc = static_cast<double>(c) - 45;
      if (dr * dr + dc * dc <= 15 * 15) source[r * cols + c] = 1;
    }
  source[89 * cols + 69] = source[0] = source[41 * cols + 6] = 1;  // lone cells, one just below the rectangle
  const auto whole = euclidean_distance(source, rows, cols, 30.0);
  std::vector<std::size_t> cells;
  for (std::size_t k = 0; k < source.size(); ++k)
    if (source[k]) cells.push_back(k);
  for (int order = 0; order < 3; ++order) {
    INFO("order " << order);
    relocplan::raster::SourceDistance sparse(rows, cols, 30.0);
    if (order == 0) {
      for (std::size_t r0 = 0; r0 < rows; r0 += 8) sparse.add_rows(r0, std::min<std::size_t>(8, rows - r0), source.data() + r0 * cols);
    } else if (order == 1) {
      for (std::size_t r0 = (rows - 1) / 8 * 8 + 8; r0 >= 8; r0 -= 8)
        sparse.add_rows(r0 - 8, std::min<std::size_t>(8, rows - (r0 - 8)), source.data() + (r0 - 8) * cols);
    } else {
      auto shuffled = cells;
      shuffled.insert(shuffled.end(), cells.begin(), cells.begin() + 40);
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      for (std::size_t k : shuffled) sparse.add(k / cols, k % cols);
    }
    sparse.finish();
    // Two entries a column of a run, whatever its height: far fewer than the cells.
    CHECK(sparse.sources() < cells.size() / 5);
    std::vector<float> got(rows * cols, -1.0f);
    for (std::size_t r0 = 0; r0 < rows; r0 += 7) sparse.rows(r0, std::min<std::size_t>(7, rows - r0), got.data() + r0 * cols);
    std::size_t bad = 0;
    for (std::size_t k = 0; k < got.size(); ++k) bad += got[k] == whole[k] ? 0 : 1;
    CHECK(bad == 0);
  }
}

TEST_CASE("Cost distance from a list of source cells equals the mask version", "[distance]") {
  std::mt19937 rng(5);
  const std::size_t rows = 40, cols = 33;
  std::uniform_real_distribution<float> speed(0.002f, 0.05f);
  std::bernoulli_distribution hole(0.1);
  std::vector<float> friction(rows * cols);
  for (auto& v : friction) v = hole(rng) ? kNaN : speed(rng);
  const auto mask = random_sources(rng, rows * cols, 0.01);
  std::vector<std::size_t> cells;
  for (std::size_t k = 0; k < mask.size(); ++k)
    if (mask[k]) cells.push_back(k);
  cells.push_back(cells.front());  // a duplicate is harmless
  const auto reference = boost_cost_distance(friction, rows, cols, 30.0, mask);
  const auto got = relocplan::raster::cost_distance_from(friction, rows, cols, 30.0, cells);
  for (std::size_t k = 0; k < got.size(); ++k) {
    if (std::isinf(reference[k])) CHECK(std::isinf(got[k]));
    else CHECK(got[k] == Approx(reference[k]).epsilon(1e-6));
  }
}

TEST_CASE("Windowed search from several cells to the nearest target equals the whole-grid search from the targets",
          "[distance][window]") {
  std::mt19937 rng(8);
  for (int trial = 0; trial < 8; ++trial) {
    const std::size_t rows = 50, cols = 45;
    const auto friction = testsupport::random_friction(rng, rows * cols, 0.08);
    const auto targets = random_sources(rng, rows * cols, trial % 2 ? 0.002 : 0.02);
    std::vector<std::size_t> target_cells;
    for (std::size_t k = 0; k < targets.size(); ++k)
      if (targets[k]) target_cells.push_back(k);
    const double max_cost = trial % 3 == 0 ? 5.0 : 60.0;
    const auto from_targets = cost_distance(friction, rows, cols, 30.0, targets, max_cost);
    relocplan::raster::LocalCostDistance search(friction.data(), rows, cols, 30.0, max_cost,
                                                relocplan::raster::min_finite_cost(friction));
    const std::function<bool(std::size_t)> is_target = [&](std::size_t k) { return targets[k] != 0; };
    for (int site = 0; site < 10; ++site) {
      // A small block of source cells, as a site's cells.
      const std::size_t r0 = static_cast<std::size_t>(rng() % (rows - 4)), c0 = static_cast<std::size_t>(rng() % (cols - 4));
      std::vector<std::size_t> cells;
      float want = std::numeric_limits<float>::infinity();
      for (std::size_t r = r0; r < r0 + 4; ++r)
        for (std::size_t c = c0; c < c0 + 3; ++c) {
          cells.push_back(r * cols + c);
          want = std::min(want, from_targets[r * cols + c]);
        }
      const float got = static_cast<float>(search.nearest(cells, is_target));
      INFO("trial " << trial << ", block at " << r0 << ", " << c0);
      if (std::isinf(want)) CHECK(std::isinf(got));
      else CHECK(got == Approx(want).epsilon(1e-6));
    }
  }
}
