#include "relocplan/raster/block_plan.hpp"

#include <algorithm>

namespace relocplan::raster {

std::vector<RowBlock> plan_row_blocks(std::size_t rows, std::size_t block_rows, std::size_t halo) {
  std::vector<RowBlock> blocks;
  block_rows = std::max<std::size_t>(block_rows, 1);
  for (std::size_t r0 = 0; r0 < rows; r0 += block_rows) {
    RowBlock b;
    b.row0 = r0;
    b.row1 = std::min(rows, r0 + block_rows);
    b.read_row0 = r0 >= halo ? r0 - halo : 0;
    b.read_row1 = std::min(rows, b.row1 + halo);
    blocks.push_back(b);
  }
  return blocks;
}

std::size_t block_rows_for_budget(std::size_t rows, std::size_t cols, std::size_t halo, std::size_t bytes_per_cell,
                                  std::size_t budget_bytes, std::size_t preferred_multiple) {
  if (rows == 0) return 1;
  const std::size_t row_bytes = std::max<std::size_t>(cols * bytes_per_cell, 1);
  const std::size_t budget_rows = budget_bytes / row_bytes;
  std::size_t n = budget_rows > 2 * halo ? budget_rows - 2 * halo : 1;
  n = std::clamp<std::size_t>(n, 1, rows);
  if (preferred_multiple > 1 && n >= preferred_multiple && n < rows) n -= n % preferred_multiple;
  return n;
}

}  // namespace relocplan::raster
