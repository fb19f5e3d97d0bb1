// Grid stores (memory and scratch file) and the windowed cost-distance
// searches that read the travel cost surface from them.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <random>
#include <vector>

#include "relocplan/core/error.hpp"
#include "test_support.hpp"
#include "relocplan/raster/distance.hpp"
#include "relocplan/raster/local_cost_distance.hpp"
#include "relocplan/raster/grid_store.hpp"

namespace fs = std::filesystem;
using relocplan::raster::ArrayCostSurface;
using relocplan::raster::LocalCostDistance;
using relocplan::raster::MemoryGrid;
using relocplan::raster::ScratchFileGrid;

namespace {

constexpr float kInfF = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

bool same(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }


}  // namespace

TEST_CASE("Grid stores: rows and windows written and read back, in memory and in a scratch file", "[grid_store]") {
  testsupport::TempDir dir;
  const std::size_t rows = 37, cols = 23;
  MemoryGrid memory(rows, cols, kInfF);
  ScratchFileGrid file(dir.path() / "field.f32", rows, cols);
  REQUIRE(fs::exists(file.path()));
  CHECK(fs::file_size(file.path()) == rows * cols * sizeof(float));
  file.fill(kInfF, 5);
  std::mt19937 rng(7);
  // Rows in uneven strips, with NaN, +inf, -0 and ordinary values.
  std::vector<float> all(rows * cols);
  for (std::size_t k = 0; k < all.size(); ++k) all[k] = k % 11 == 0 ? kNaN : k % 13 == 0 ? kInfF : k % 17 == 0 ? -0.0f : static_cast<float>(k) * 0.25f;
  for (std::size_t r = 0; r < rows; r += 6) {
    const std::size_t n = std::min<std::size_t>(6, rows - r);
    memory.write_rows(r, n, all.data() + r * cols);
    file.write_rows(r, n, all.data() + r * cols);
  }
  // Windows written over them, with a stride wider than the window.
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t r0 = rng() % rows, r1 = r0 + 1 + rng() % (rows - r0);
    const std::size_t c0 = rng() % cols, c1 = c0 + 1 + rng() % (cols - c0);
    const std::size_t stride = (c1 - c0) + rng() % 4;
    std::vector<float> w((r1 - r0) * stride, -5.0f);
    for (std::size_t r = r0; r < r1; ++r)
      for (std::size_t c = c0; c < c1; ++c) {
        const float v = static_cast<float>(trial) + 0.5f;
        w[(r - r0) * stride + (c - c0)] = v;
        all[r * cols + c] = v;
      }
    memory.write_window(r0, r1, c0, c1, w.data(), stride);
    file.write_window(r0, r1, c0, c1, w.data(), stride);
  }
  std::vector<float> a(rows * cols), b(rows * cols);
  memory.read_rows(0, rows, a.data());
  file.read_rows(0, rows, b.data());
  std::size_t bad = 0;
  for (std::size_t k = 0; k < all.size(); ++k) bad += !same(a[k], all[k]) + !same(b[k], all[k]);
  CHECK(bad == 0);
  CHECK(std::signbit(b[17]));  // -0 kept
  // Windows read back.
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t r0 = rng() % rows, r1 = r0 + 1 + rng() % (rows - r0);
    const std::size_t c0 = rng() % cols, c1 = c0 + 1 + rng() % (cols - c0);
    const std::size_t stride = (c1 - c0) + 3;
    std::vector<float> wm((r1 - r0) * stride, 9.0f), wf((r1 - r0) * stride, 9.0f);
    memory.read(r0, r1, c0, c1, wm.data(), stride);
    file.read(r0, r1, c0, c1, wf.data(), stride);
    for (std::size_t r = r0; r < r1; ++r)
      for (std::size_t c = c0; c < c1; ++c) {
        bad += !same(wm[(r - r0) * stride + (c - c0)], all[r * cols + c]);
        bad += !same(wf[(r - r0) * stride + (c - c0)], all[r * cols + c]);
      }
    // Beyond each row's window the buffer is untouched.
    for (std::size_t r = 0; r < r1 - r0; ++r) bad += wf[r * stride + (c1 - c0)] != 9.0f;
  }
  CHECK(bad == 0);
  CHECK(file.min_finite() == 0.0);  // -0 is the smallest finite value written
  CHECK(file.most_negative() == 0.0);
}

TEST_CASE("Grid stores: bounds, a negative value, and the scratch file's life", "[grid_store]") {
  testsupport::TempDir dir;
  const fs::path path = dir.path() / "scratch.f32";
  {
    ScratchFileGrid g(path, 4, 5);
    std::vector<float> v(5, 0.5f);
    v[2] = -1.5f;
    g.write_rows(3, 1, v.data());
    CHECK(g.most_negative() == -1.5);
    CHECK(g.min_finite() == -1.5);
    std::vector<float> out(25);
    CHECK_THROWS_AS(g.read(0, 5, 0, 5, out.data(), 5), relocplan::core::InternalError);
    CHECK_THROWS_AS(g.write_window(0, 1, 4, 6, v.data(), 5), relocplan::core::InternalError);
    // The path is taken: a second store there is refused, naming the file.
    try {
      ScratchFileGrid again(path, 4, 5);
      FAIL("a second scratch file at the same path was accepted");
    } catch (const relocplan::core::OutputError& e) {
      CHECK(std::string(e.what()).find(path.string()) != std::string::npos);
    }
  }
  CHECK_FALSE(fs::exists(path));  // removed with the store
  // A folder that does not exist: a clear error, not a crash.
  CHECK_THROWS_AS(ScratchFileGrid(dir.path() / "missing" / "x.f32", 2, 2), relocplan::core::OutputError);
}

TEST_CASE("Windowed cost distance over a scratch file equals the search over the array, single and multi-source",
          "[grid_store][distance][window]") {
  testsupport::TempDir dir;
  std::mt19937 rng(20261204);
  for (int trial = 0; trial < 8; ++trial) {
    const std::size_t rows = 25 + rng() % 40, cols = 25 + rng() % 40;
    const double cell = 30.0;
    const auto friction = testsupport::random_friction(rng, rows * cols, trial % 2 == 0 ? 0.2 : 0.03);
    ScratchFileGrid file(dir.path() / ("f" + std::to_string(trial) + ".f32"), rows, cols);
    for (std::size_t r = 0; r < rows; r += 7) file.write_rows(r, std::min<std::size_t>(7, rows - r), friction.data() + r * cols);
    const ArrayCostSurface array(friction.data(), rows, cols);
    REQUIRE(file.min_finite() == array.min_finite());
    REQUIRE(file.min_finite() == relocplan::raster::min_finite_cost(friction));
    const double max_cost = std::vector<double>{3.0, 10.0, 40.0, 1e6}[static_cast<std::size_t>(trial % 4)];
    INFO("trial " << trial << ": " << rows << " x " << cols << ", bound " << max_cost);
    LocalCostDistance over_array(friction.data(), rows, cols, cell, max_cost, array.min_finite());
    LocalCostDistance over_file(file, cell, max_cost, file.min_finite());
    std::size_t bad = 0;
    for (int k = 0; k < 6; ++k) {
      const std::size_t at = k == 0 ? 0 : k == 1 ? rows * cols - 1 : rng() % (rows * cols);
      REQUIRE(over_array.run(at / cols, at % cols));
      REQUIRE(over_file.run(at / cols, at % cols));
      CHECK(over_file.row0() == over_array.row0());
      CHECK(over_file.col1() == over_array.col1());
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) bad += !same(over_file.cost_at(r, c), over_array.cost_at(r, c));
    }
    CHECK(bad == 0);
    // Several sources at once: the whole-grid multi-source search with the
    // same bound, cell for cell (+inf where the window does not reach).
    std::vector<std::size_t> sources;
    const std::size_t r0 = rng() % rows, c0 = rng() % cols;
    for (int k = 0; k < 5; ++k) {
      const std::size_t r = std::min(rows - 1, r0 + rng() % 6), c = std::min(cols - 1, c0 + rng() % 6);
      sources.push_back(r * cols + c);
    }
    const auto whole = relocplan::raster::cost_distance_from(friction, rows, cols, cell, sources, max_cost);
    REQUIRE(over_file.run_from(sources));
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) {
        const float got = over_file.cost_at(r, c), want = whole[r * cols + c];
        if (!(got == want || (std::isinf(got) && std::isinf(want)))) ++bad;
      }
    CHECK(bad == 0);
  }
}
