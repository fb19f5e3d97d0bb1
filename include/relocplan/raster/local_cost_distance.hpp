#pragma once
// Bounded cost-distance searches over a travel cost surface: the travel time
// from one place (a site, a village, a county seat, a group of cells) to
// everything within a maximum cost, with a workspace whose memory has a
// limit. The whole-grid searches they equal are in raster/distance.hpp.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "relocplan/core/progress.hpp"
#include "relocplan/raster/grid_store.hpp"
#include "relocplan/raster/radix_heap.hpp"

namespace relocplan::raster {

// What a search workspace may hold in memory. With max_bytes 0 nothing is
// limited. Otherwise the workspace keeps at most max_bytes of tiles and moves
// the least recently used tile beyond that to a scratch file in spill_dir,
// from which it is read back when the search or its results come to it
// again: memory stays within the limit whatever the search reaches, and the
// costs are the same. (GRASS r.cost does the same with its segment files.)
// The limit never goes below the tiles a search front can touch at once
// (LocalCostDistance::least_limited_bytes: it grows with the window's side,
// not its area), since below that the same tiles would be written out and
// read back at every step.
struct SearchMemory {
  std::size_t max_bytes = 0;
  std::filesystem::path spill_dir = {};  // required with max_bytes; the scratch file is unnamed (removed at once)
};

// Cost distance from one source cell, bounded by a maximum cost, searched
// only in the window that the bound allows: the same costs as cost_distance
// with that single source and max_cost, at a cost that grows with the cells
// reached instead of the whole grid.
//
// Window: every move of length L costs at least L * min_cost_per_m, and a path
// is at least as long as the straight line between its ends, so no cell
// farther than max_cost / min_cost_per_m metres from the source can be reached
// within max_cost. The search runs in a (2R + 1)^2 window around the source,
// R that distance in cells plus one. Its state (the friction read, the
// accumulated cost) lives in tiles of 64 x 512 cells of the window, taken
// from a pool when the search first comes near a tile and given back to the
// pool for the next run: memory grows with the tiles a search reaches (at
// most those of the window), not with the window, and one workspace serves
// many sources (one per thread). When min_cost_per_m is 0 or max_cost is
// infinite, the window is the whole grid.
//
// With a memory limit (limit_memory), the pool holds at most that many
// tiles; past it, the tile used longest ago goes to a scratch file. A
// Dijkstra search grows as a front, so the tiles behind the front are done
// with and those ahead of it are not reached yet: the tiles written out are
// rarely read again before the results are.
//
// Policies are those of cost_distance (impassable cells, corner squeezing,
// costs kept in double and read rounded to float). The friction surface is
// only read, so several workspaces may share it across threads.
class LocalCostDistance {
 public:
  static constexpr std::size_t kTileRows = 64, kTileCols = 512, kTileCells = kTileRows * kTileCols;
  // Tiles a limited workspace keeps beyond those of the search front: the
  // 2 x 2 tiles a cell's neighbourhood can span, twice.
  static constexpr std::size_t kMinTiles = 8;

  // cost_per_m: rows * cols values (NaN or +inf impassable, none negative:
  // the caller validates the surface, as for cost_distance).
  LocalCostDistance(const float* cost_per_m, std::size_t rows, std::size_t cols, double cell_size_m,
                    double max_cost, double min_cost_per_m);
  // Over a surface read window by window (a scratch file, say): each run
  // reads the friction of its window once, so the surface need not be in
  // memory. `surface` must outlive the workspace; several workspaces may
  // share one surface across threads.
  LocalCostDistance(const CostSurface& surface, double cell_size_m, double max_cost, double min_cost_per_m);
  ~LocalCostDistance();
  LocalCostDistance(LocalCostDistance&&) noexcept;
  LocalCostDistance& operator=(LocalCostDistance&&) noexcept;

  // Limits the tiles held from the next run on (see SearchMemory). Throws
  // core::OutputError when the scratch file cannot be made or written.
  void limit_memory(const SearchMemory& memory);

  // The window's half-size in cells.
  std::size_t radius_cells() const { return radius_; }
  // The window's half-size in cells for a bound and the fastest cost on a
  // grid of rows x cols cells (the longest side when it is unbounded).
  static std::size_t radius_for(double max_cost, double min_cost_per_m, double cell_size_m, std::size_t rows,
                                std::size_t cols);
  // Bytes a workspace without a limit holds at most: every tile of the
  // window reached.
  static std::size_t bytes_for_radius(std::size_t radius, std::size_t rows, std::size_t cols);
  // Bytes of one tile of the workspace (its friction and accumulated cost).
  static std::size_t tile_bytes();
  // The least a workspace with a limit keeps in its pool for a window of
  // that radius: the tiles a front across the window can touch (a convex
  // front crosses each row and each column of tiles at most twice), plus
  // kMinTiles; all of the window's tiles when that is fewer.
  static std::size_t least_limited_bytes(std::size_t radius, std::size_t rows, std::size_t cols);
  // Bytes the workspace holds now: its pool of tiles (the most any run so far
  // held), their index and the heap.
  std::size_t bytes_held() const;
  // Tiles the last run wrote to the scratch file (0 without a limit, or
  // when the limit was never reached).
  std::size_t tiles_spilled() const { return spilled_; }

  // Runs from the cell source_row, source_col (nothing is reached when it is
  // impassable). Polls `cancel` (may be null) every few thousand cells and
  // returns false when it was set; it is safe to poll from any thread.
  bool run(std::size_t source_row, std::size_t source_col, const core::CancelFlag* cancel = nullptr);
  // From several source cells at once (all at cost 0; cell indices). The
  // window spans the sources' bounding box plus the radius.
  bool run_from(const std::vector<std::size_t>& source_cells, const core::CancelFlag* cancel = nullptr);

  // From several source cells at once (all at cost 0): the least cost of
  // reaching a cell for which is_target(cell index) holds, stopping there;
  // +infinity when none lies within max_cost, NaN when cancelled. The window
  // spans the sources' bounding box plus the radius. By symmetry of the
  // moves, this is the least cost from any target to any source.
  double nearest(const std::vector<std::size_t>& source_cells, const std::function<bool(std::size_t)>& is_target,
                 const core::CancelFlag* cancel = nullptr);

  // The window of the last run, in grid rows and columns [row0, row1) x [col0, col1).
  std::size_t row0() const { return row0_; }
  std::size_t row1() const { return row1_; }
  std::size_t col0() const { return col0_; }
  std::size_t col1() const { return col1_; }
  // Cost from the last run's source to a cell (rounded to float, as
  // cost_distance returns it); +infinity outside the window, beyond max_cost
  // or not reached. A cell of a tile in the scratch file is read from there:
  // to read many cells, visit_reached is the way.
  float cost_at(std::size_t row, std::size_t col) const;
  // Cells settled by the last run.
  std::size_t settled() const { return settled_; }

  // One tile the last run reached: grid rows [row0, row1) x columns
  // [col0, col1), every cell with a finite cost in one of them.
  struct ReachedTile {
    std::size_t row0, row1, col0, col1;
    // The cost at a cell of the tile, as cost_at gives it.
    float cost(std::size_t row, std::size_t col) const {
      return static_cast<float>(accumulated[(row - row0) * kTileCols + (col - col0)]);
    }
    const double* accumulated;  // kTileCols apart from row to row
  };
  // The tiles the last run reached, in the order it reached them, each in
  // memory while `visit` looks at it (a tile in the scratch file is read
  // back for it).
  void visit_reached(const std::function<void(const ReachedTile&)>& visit);
  // The same tiles' extents, as {row0, row1, col0, col1}.
  std::vector<std::array<std::size_t, 4>> reached_tiles() const;

 private:
  // The window's half-size and sides from the bound and the fastest cost.
  void set_window_size();
  void check_arguments() const;
  // From sources anywhere: their bounding box, then search().
  double search_from(const std::vector<std::size_t>& sources, const std::function<bool(std::size_t)>* is_target,
                     const core::CancelFlag* cancel);
  // Sources within rows [min_row, max_row] and columns [min_col, max_col];
  // the cost of the first target settled, +inf, or NaN when cancelled.
  double search(const std::vector<std::size_t>& sources, std::size_t min_row, std::size_t max_row, std::size_t min_col,
                std::size_t max_col, const std::function<bool(std::size_t)>* is_target, const core::CancelFlag* cancel);

  std::unique_ptr<ArrayCostSurface> own_surface_;  // when built over an array
  const CostSurface* surface_;
  std::size_t rows_, cols_;
  double cell_size_m_, max_cost_;
  double min_cost_per_m_ = 0;
  std::size_t radius_ = 0, side_rows_ = 0, side_cols_ = 0;
  std::size_t row0_ = 0, row1_ = 0, col0_ = 0, col1_ = 0;
  // Tiles of kTileRows x kTileCols cells, aligned on the window's corner:
  // wide, since a scratch file is read a tile row at a time (one system call
  // each).
  static constexpr std::uint32_t kNoTile = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::uint32_t kSpilledTile = kNoTile - 1;  // in the scratch file
  struct Tile {
    float cost[kTileCells];          // friction (NaN beyond the window)
    double accumulated[kTileCells];  // +inf = not reached
  };
  class SpillFile;
  // The tile holding window-local cell (local_row, local_col); null when it
  // is not in memory.
  Tile* tile_at(std::size_t local_row, std::size_t local_col) const {
    const std::uint32_t slot = slot_[(local_row / kTileRows) * tiles_across_ + local_col / kTileCols];
    return slot >= kSpilledTile ? nullptr : pool_[slot].get();
  }
  // Brings window tile (tile_row, tile_col) into memory: a new tile (its
  // friction read, its cells unreached) or one read back from the scratch
  // file; with a limit, it is marked used now, so that it is not the one
  // written out while the current cell is worked on.
  void load_tile(std::size_t tile_row, std::size_t tile_col);
  // A pool slot for a tile: a free one, a new one, or (at the limit) the one
  // used longest ago, written to the scratch file.
  std::uint32_t free_slot();
  std::vector<std::unique_ptr<Tile>> pool_;
  std::size_t pool_used_ = 0;
  std::vector<std::uint32_t> slot_;    // per tile of the window: its pool slot, kNoTile or kSpilledTile
  std::vector<std::uint32_t> loaded_;  // tiles of the window reached by this run, in order
  std::size_t tiles_across_ = 0;
  RadixHeap heap_;  // (cost, global cell index)
  std::size_t settled_ = 0;
  // The memory limit: the most tiles in the pool (0: no limit), per slot the
  // window tile it holds and when it was last used, and the scratch file.
  static std::size_t front_tiles(std::size_t tiles_down, std::size_t tiles_across);
  std::size_t limit_tiles_ = 0;  // from limit_memory; 0: none
  std::size_t max_tiles_ = 0;    // this run's: at least the front's tiles
  std::vector<std::uint32_t> owner_;
  std::vector<std::uint64_t> used_at_;
  std::uint64_t clock_ = 0;
  std::filesystem::path spill_dir_;
  std::unique_ptr<SpillFile> spill_;
  std::size_t spilled_ = 0;
};

}  // namespace relocplan::raster
