#pragma once
// Work on a grid proceeds in strips of whole rows. Each strip reads `halo`
// extra rows above and below (clamped at the grid's edges) so that window
// operations near the strip's edges see the same neighbours as on the whole
// array. Memory is O(cols x (block_rows + 2 halo)), independent of the number
// of rows.

#include <cstddef>
#include <vector>

namespace relocplan::raster {

struct RowBlock {
  std::size_t row0 = 0;       // first row this block produces
  std::size_t row1 = 0;       // one past the last row it produces
  std::size_t read_row0 = 0;  // first row it must read (row0 - halo, clamped)
  std::size_t read_row1 = 0;  // one past the last row it must read (row1 + halo, clamped)

  std::size_t rows() const { return row1 - row0; }
  std::size_t read_rows() const { return read_row1 - read_row0; }
};

// Blocks of `block_rows` rows (the last may be shorter) covering [0, rows)
// exactly once, in order.
std::vector<RowBlock> plan_row_blocks(std::size_t rows, std::size_t block_rows, std::size_t halo);

// The number of rows per block that keeps `bytes_per_cell` bytes for every cell
// of a block and its halo within `budget_bytes`; at least 1, at most `rows`.
// When the budget allows, the result is rounded down to a multiple of
// `preferred_multiple` (the output tile height) so that tiles are written once.
std::size_t block_rows_for_budget(std::size_t rows, std::size_t cols, std::size_t halo, std::size_t bytes_per_cell,
                                  std::size_t budget_bytes, std::size_t preferred_multiple = 1);

}  // namespace relocplan::raster
