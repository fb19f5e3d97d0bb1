// Travel-time searches with a memory limit: tiles past the limit go to a
// scratch file and come back when the search or its results need them. The
// costs must be those of the search without a limit, and of the whole-grid
// cost distance, cell for cell.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <random>
#include <vector>

#include "relocplan/core/error.hpp"
#include "relocplan/raster/distance.hpp"
#include "relocplan/raster/local_cost_distance.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using relocplan::raster::LocalCostDistance;
using relocplan::raster::SearchMemory;

namespace {

bool same_cost(float a, float b) { return a == b || (std::isinf(a) && std::isinf(b)); }

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

// Cells of the reached tiles whose cost differs from another search's.
std::size_t tile_mismatches(LocalCostDistance& limited, const LocalCostDistance& other) {
  std::size_t bad = 0;
  limited.visit_reached([&](const LocalCostDistance::ReachedTile& t) {
    for (std::size_t r = t.row0; r < t.row1; ++r)
      for (std::size_t c = t.col0; c < t.col1; ++c)
        if (!same_cost(t.cost(r, c), other.cost_at(r, c)) && ++bad <= 5) {
          INFO("row " << r << " col " << c);
          CHECK(t.cost(r, c) == other.cost_at(r, c));
        }
  });
  return bad;
}

TEST_CASE("A search with a memory limit gives the costs of one without, its tiles past the limit in a scratch file",
          "[distance][window][spill]") {
  // 1,024 x 4,096 cells: 16 x 8 tiles of 64 x 512, more than twice the
  // tiles a front across the grid can touch (2 x (16 + 8) + 8 = 56), the
  // least a limited workspace keeps.
  std::mt19937 rng(20261207);
  const std::size_t rows = 1024, cols = 4096;
  const double cell = 30.0;
  const auto friction = testsupport::random_friction(rng, rows * cols, 0.06);
  const double fmin = relocplan::raster::min_finite_cost(friction);
  testsupport::TempDir dir;
  LocalCostDistance free_search(friction.data(), rows, cols, cell, 1e9, fmin);
  LocalCostDistance limited(friction.data(), rows, cols, cell, 1e9, fmin);
  limited.limit_memory(SearchMemory{.max_bytes = 1, .spill_dir = dir.path()});  // the least it keeps
  const std::size_t least = LocalCostDistance::least_limited_bytes(limited.radius_cells(), rows, cols);
  CHECK(least == 56 * LocalCostDistance::tile_bytes());
  for (std::size_t at : {512 * cols + 2048, std::size_t{0}, 63 * cols + 511, rows * cols - 1}) {
    INFO("source " << at);
    REQUIRE(free_search.run(at / cols, at % cols));
    REQUIRE(limited.run(at / cols, at % cols));
    CHECK(limited.settled() == free_search.settled());
    // The pool never grows past the least it keeps; the tiles reached
    // beyond went to the scratch file.
    CHECK(limited.bytes_held() < least + 4 * 1024 * 1024);
    CHECK(free_search.bytes_held() > 2 * least);
    CHECK(limited.tiles_spilled() > 0);
    CHECK(limited.reached_tiles() == free_search.reached_tiles());
    // Tile by tile, every reached tile in memory while it is looked at; and
    // cell by cell (read from the scratch file where the tile is there) on
    // a row and a column across the grid.
    CHECK(tile_mismatches(limited, free_search) == 0);
    std::size_t bad = 0;
    for (std::size_t c = 0; c < cols; ++c) bad += same_cost(limited.cost_at(rows / 3, c), free_search.cost_at(rows / 3, c)) ? 0 : 1;
    for (std::size_t r = 0; r < rows; ++r) bad += same_cost(limited.cost_at(r, 1000), free_search.cost_at(r, 1000)) ? 0 : 1;
    CHECK(bad == 0);
  }
  // A bounded search on the same workspace: a smaller window, the same costs.
  LocalCostDistance bounded_free(friction.data(), rows, cols, cell, 40.0, fmin);
  LocalCostDistance bounded(friction.data(), rows, cols, cell, 40.0, fmin);
  bounded.limit_memory(SearchMemory{.max_bytes = 1, .spill_dir = dir.path()});
  REQUIRE(bounded_free.run(500, 3000));
  REQUIRE(bounded.run(500, 3000));
  CHECK(tile_mismatches(bounded, bounded_free) == 0);
  // The whole-grid search from one source agrees too.
  const std::size_t at = 700 * cols + 1500;
  std::vector<std::uint8_t> source(rows * cols, 0);
  source[at] = 1;
  const auto whole = relocplan::raster::cost_distance(friction, rows, cols, cell, source);
  REQUIRE(limited.run(at / cols, at % cols));
  std::size_t bad = 0, reached = 0;
  limited.visit_reached([&](const LocalCostDistance::ReachedTile& t) {
    for (std::size_t r = t.row0; r < t.row1; ++r)
      for (std::size_t c = t.col0; c < t.col1; ++c) {
        bad += same_cost(t.cost(r, c), whole[r * cols + c]) ? 0 : 1;
        reached += std::isfinite(t.cost(r, c)) ? 1 : 0;
      }
  });
  CHECK(bad == 0);
  std::size_t finite = 0;
  for (float v : whole) finite += std::isfinite(v) ? 1 : 0;
  CHECK(reached == finite);
  // The scratch file has no name: nothing is left in the folder, even while
  // a workspace still has it open.
  CHECK(files_in(dir.path()) == 0);
}

TEST_CASE("A search with a memory limit finds the same nearest target, from several sources",
          "[distance][window][spill]") {
  std::mt19937 rng(7);
  const std::size_t rows = 1024, cols = 2048;
  const auto friction = testsupport::random_friction(rng, rows * cols, 0.1);
  const double fmin = relocplan::raster::min_finite_cost(friction);
  testsupport::TempDir dir;
  LocalCostDistance free_search(friction.data(), rows, cols, 30.0, 1e9, fmin);
  LocalCostDistance limited(friction.data(), rows, cols, 30.0, 1e9, fmin);
  limited.limit_memory(SearchMemory{.max_bytes = 3 * 1024 * 1024, .spill_dir = dir.path()});
  for (int trial = 0; trial < 6; ++trial) {
    std::vector<std::size_t> sources;
    for (int k = 0; k < 3; ++k) sources.push_back(static_cast<std::size_t>(rng() % (rows * cols)));
    const std::size_t target_row = static_cast<std::size_t>(rng() % rows);
    // The target: a whole row of cells (a road, say), far from some sources.
    const auto is_target = [&](std::size_t i) { return i / cols == target_row; };
    const double want = free_search.nearest(sources, is_target);
    CHECK(limited.nearest(sources, is_target) == want);
    REQUIRE(limited.run_from(sources));
    REQUIRE(free_search.run_from(sources));
    CHECK(tile_mismatches(limited, free_search) == 0);
  }
}

TEST_CASE("A memory limit needs a folder for its scratch file, and a folder that cannot take one is an output error",
          "[distance][window][spill]") {
  // 16 x 4 tiles, more than the 48 a front across them can touch.
  const std::size_t rows = 1024, cols = 2048;
  const std::vector<float> friction(rows * cols, 0.01f);
  LocalCostDistance search(friction.data(), rows, cols, 30.0, 1e9, 0.01);
  CHECK_THROWS_AS(search.limit_memory(SearchMemory{.max_bytes = 1, .spill_dir = {}}), relocplan::core::InternalError);
  // No limit: nothing is written anywhere.
  search.limit_memory(SearchMemory{});
  REQUIRE(search.run(500, 1000));
  CHECK(search.tiles_spilled() == 0);
  // A folder that does not exist: the search fails when it first needs the file.
  testsupport::TempDir dir;
  search.limit_memory(SearchMemory{.max_bytes = 1, .spill_dir = dir / "missing"});
  CHECK_THROWS_WITH(search.run(500, 1000), Catch::Contains("scratch file") && Catch::Contains("missing"));
}
