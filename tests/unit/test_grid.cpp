#include <catch2/catch.hpp>

#include "relocplan/raster/block_plan.hpp"
#include "relocplan/raster/grid.hpp"

using namespace relocplan::raster;

TEST_CASE("grid covering an extent snaps outward to the cell size", "[grid]") {
  const Grid g = Grid::covering({1003.0, 2011.0, 1095.0, 2071.0}, 30.0, "");
  CHECK(g.xmin() == 990.0);
  CHECK(g.ymin() == 2010.0);
  CHECK(g.xmax() == 1110.0);
  CHECK(g.ymax() == 2100.0);
  CHECK(g.cols() == 4);
  CHECK(g.rows() == 3);
  CHECK(g.cell_area() == 900.0);
  CHECK(g.x_of_col(0) == 1005.0);
  CHECK(g.y_of_row(0) == 2085.0);
  const auto gt = g.geotransform();
  CHECK(gt[0] == 990.0);
  CHECK(gt[1] == 30.0);
  CHECK(gt[3] == 2100.0);
  CHECK(gt[5] == -30.0);
}

TEST_CASE("cell_of locates points, edges belong to the cell right/below, outside has none", "[grid]") {
  const Grid g(0.0, 100.0, 10.0, 10, 10, "");
  CHECK(g.cell_of(5, 95) == std::make_pair<std::size_t, std::size_t>(0, 0));
  CHECK(g.cell_of(10, 90) == std::make_pair<std::size_t, std::size_t>(1, 1));
  CHECK(g.cell_of(99.9, 0.1) == std::make_pair<std::size_t, std::size_t>(9, 9));
  CHECK_FALSE(g.cell_of(100.0, 50).has_value());
  CHECK_FALSE(g.cell_of(-0.001, 50).has_value());
  CHECK_FALSE(g.cell_of(50, 100.001).has_value());
  CHECK(g.cell_of(0, 100) == std::make_pair<std::size_t, std::size_t>(0, 0));
}

TEST_CASE("grid alignment is tolerant to rounding but not to offsets", "[grid]") {
  const Grid a(0.0, 300.0, 30.0, 10, 10, "");
  CHECK(a.aligned_with(Grid(90.0, 600.0, 30.0, 5, 5, "")));
  CHECK(a.aligned_with(Grid(90.0 + 1e-9, 600.0, 30.0, 5, 5, "")));
  CHECK_FALSE(a.aligned_with(Grid(95.0, 600.0, 30.0, 5, 5, "")));
  CHECK_FALSE(a.aligned_with(Grid(90.0, 600.0, 25.0, 5, 5, "")));
}

TEST_CASE("extent helpers", "[grid]") {
  const Extent e{0, 0, 10, 20};
  CHECK(e.width() == 10);
  CHECK(e.height() == 20);
  CHECK(e.contains(10, 20));
  CHECK_FALSE(e.contains(10.1, 5));
  CHECK(e.intersects({9, 19, 30, 30}));
  CHECK_FALSE(e.intersects({10, 0, 20, 20}));  // touching edges do not overlap
  CHECK(e.expanded(5).xmin == -5);
  CHECK(Extent{-1, 0, 1, 1}.united({0, -2, 3, 0.5}).ymin == -2);
}

TEST_CASE("a block plan covers every row exactly once, for any block size", "[grid][blocks]") {
  for (std::size_t rows : {1u, 2u, 7u, 100u, 257u}) {
    for (std::size_t block : {1u, 2u, 3u, 16u, 64u, 256u, 1000u}) {
      for (std::size_t halo : {0u, 1u, 5u}) {
        const auto blocks = plan_row_blocks(rows, block, halo);
        std::vector<int> seen(rows, 0);
        std::size_t expect_next = 0;
        for (const auto& b : blocks) {
          CHECK(b.row0 == expect_next);
          CHECK(b.rows() >= 1);
          CHECK(b.rows() <= block);
          CHECK(b.read_row0 == (b.row0 >= halo ? b.row0 - halo : 0));
          CHECK(b.read_row1 == std::min(rows, b.row1 + halo));
          for (std::size_t r = b.row0; r < b.row1; ++r) ++seen[r];
          expect_next = b.row1;
        }
        CHECK(expect_next == rows);
        for (int s : seen) CHECK(s == 1);
      }
    }
  }
}

TEST_CASE("block rows follow the memory budget", "[grid][blocks]") {
  // 1000 columns x 20 bytes per cell = 20 kB a row; 2 MB holds 100 rows,
  // minus twice the halo of 10.
  CHECK(block_rows_for_budget(10000, 1000, 10, 20, 2'000'000) == 80);
  CHECK(block_rows_for_budget(10000, 1000, 10, 20, 2'000'000, 64) == 64);
  CHECK(block_rows_for_budget(50, 1000, 10, 20, 2'000'000) == 50);  // never more than the grid
  CHECK(block_rows_for_budget(10000, 1000, 10, 20, 100) == 1);      // never less than one row
}
