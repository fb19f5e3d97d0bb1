#pragma once
// Distance rasters on the analysis grid: the straight-line distance to the
// nearest source cell, and the accumulated cost of travelling over a friction
// surface (walking time to a road, a town, a candidate site ...).
//
// Both work on row-major arrays of rows x cols square cells (row 0 at the top,
// as raster::Grid), measure between cell centres, and return one float per
// cell. They poll an optional core::Progress, whose update() throws
// core::Cancelled when the user interrupted the run.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include <memory>

#include "relocplan/core/progress.hpp"
#include "relocplan/raster/grid_store.hpp"
#include "relocplan/raster/radix_heap.hpp"

namespace relocplan::raster {

// Exact Euclidean distance transform.
//
// Returns the distance in metres from each cell centre to the nearest source
// cell centre (a source is a cell with source != 0): 0 on sources, and
// +infinity everywhere when there is no source at all. Cells outside the grid
// are neither sources nor obstacles: the grid edge simply ends the search, so
// the nearest source is always one inside the grid.
//
// Algorithm: Felzenszwalb & Huttenlocher (2012), "Distance Transforms of
// Sampled Functions", Theory of Computing 8, 415-428 -- the 1-D squared
// distance transform as the lower envelope of parabolas, applied to every
// column and then to every row. O(rows * cols) time; exact, because the
// squared distances in cell units are integers held in double.
//
// Throws core::InternalError when source.size() != rows * cols or the cell
// size is not a positive finite number.
std::vector<float> euclidean_distance(const std::vector<std::uint8_t>& source, std::size_t rows, std::size_t cols,
                                      double cell_size_m, core::Progress* progress = nullptr);

// Accumulated cost distance over a friction surface, as GRASS r.cost (and
// r.walk with a precomputed friction) compute it.
//
// cost_per_m[i] is the cost (e.g. minutes) of crossing one metre of cell i.
// NaN and +infinity mark impassable cells (NoData): they are never entered.
// A move between the centres of two adjacent cells a and b (8 neighbours) costs
//   move_length_m * (cost_per_m[a] + cost_per_m[b]) / 2
// with move_length_m = cell_size_m, or cell_size_m * sqrt(2) on a diagonal:
// half the step lies in each cell (the r.cost convention).
//
// Policies:
//  - sources (source != 0) start at cost 0; a source on an impassable cell is
//    ignored;
//  - a diagonal move is forbidden when BOTH cells it cuts across (the two
//    orthogonal neighbours shared by a and b) are impassable, so that a path
//    cannot squeeze between two blocked cells touching at a corner -- a one
//    cell thick diagonal line of NoData is a wall. (r.cost has no such rule.)
//    A diagonal past one blocked cell is allowed;
//  - the grid edge ends the search, as if surrounded by impassable cells;
//  - cells not reached, or whose cost would exceed max_cost (costs equal to
//    max_cost are kept), get +infinity; expansion stops at max_cost.
//
// Dijkstra's algorithm from all sources at once (cost_distance_from below).
// Costs accumulate in double and are rounded to float when a cell settles;
// they do not depend on the order in which equal costs settle.
//
// Throws core::InternalError when the sizes disagree, the cell size is not a
// positive finite number, max_cost is NaN, or a cost is negative (friction
// surfaces must be validated by whoever builds them).
std::vector<float> cost_distance(const std::vector<float>& cost_per_m, std::size_t rows, std::size_t cols,
                                 double cell_size_m, const std::vector<std::uint8_t>& source,
                                 double max_cost = std::numeric_limits<double>::infinity(),
                                 core::Progress* progress = nullptr);

// The exact Euclidean distance transform of euclidean_distance, row by row,
// from sparse sources: memory grows with the source cells (4 bytes each, plus
// 8 per column), not with the grid, and any range of rows can be produced
// without the others.
//
// Felzenszwalb & Huttenlocher's transform is separable: the column pass only
// needs, for each cell, the vertical distance to the nearest source of its
// column, which the sorted source rows of that column give directly; the row
// pass is the same lower envelope of parabolas over that row. The results
// are identical to euclidean_distance's, value for value.
class SourceDistance {
 public:
  SourceDistance(std::size_t rows, std::size_t cols, double cell_size_m);
  // Marks a source cell (any order; duplicates are fine). Call finish() once
  // all are added.
  void add(std::size_t row, std::size_t col);
  // Every non-zero cell of rows [row0, row0 + nrows) (full width) as sources.
  void add_rows(std::size_t row0, std::size_t nrows, const std::uint8_t* mask);
  void finish();
  std::size_t sources() const { return source_rows_.size(); }
  std::size_t bytes() const { return source_rows_.capacity() * sizeof(std::uint32_t) + column_start_.capacity() * sizeof(std::size_t); }
  // Distances in metres for rows [row0, row0 + nrows), full width, into out
  // (+infinity everywhere when there is no source).
  void rows(std::size_t row0, std::size_t nrows, float* out) const;

 private:
  std::size_t rows_, cols_;
  double cell_size_m_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pending_;  // (col, row) until finish()
  std::vector<std::size_t> column_start_;  // cols + 1 offsets into source_rows_
  std::vector<std::uint32_t> source_rows_;  // per column, ascending
};

// Multi-source cost distance as cost_distance computes it, with sources given
// as cell indices and a compact search state: one float a cell (the result
// itself, which also marks open and settled cells) plus the heap, instead of
// a double accumulator beside the result. Exact costs travel in the heap
// (double), and the first time a cell leaves the heap its cost is final, so
// the costs are those of cost_distance, value for value.
std::vector<float> cost_distance_from(const std::vector<float>& cost_per_m, std::size_t rows, std::size_t cols,
                                      double cell_size_m, std::vector<std::size_t> source_cells,
                                      double max_cost = std::numeric_limits<double>::infinity(),
                                      core::Progress* progress = nullptr);

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
// Policies are those of cost_distance (impassable cells, corner squeezing,
// costs kept in double and read rounded to float). The friction surface is only read, so several workspaces may
// share it across threads.
class LocalCostDistance {
 public:
  // cost_per_m: rows * cols values (NaN or +inf impassable, none negative:
  // the caller validates the surface, as for cost_distance).
  LocalCostDistance(const float* cost_per_m, std::size_t rows, std::size_t cols, double cell_size_m,
                    double max_cost, double min_cost_per_m);
  // Over a surface read window by window (a scratch file, say): each run
  // reads the friction of its window once, so the surface need not be in
  // memory. `surface` must outlive the workspace; several workspaces may
  // share one surface across threads.
  LocalCostDistance(const CostSurface& surface, double cell_size_m, double max_cost, double min_cost_per_m);

  // The window's half-size in cells.
  std::size_t radius_cells() const { return radius_; }
  // The window's half-size in cells for a bound and the fastest cost on a
  // grid of rows x cols cells (the longest side when it is unbounded).
  static std::size_t radius_for(double max_cost, double min_cost_per_m, double cell_size_m, std::size_t rows,
                                std::size_t cols);
  // Bytes a workspace holds at most: every tile of the window reached.
  static std::size_t bytes_for_radius(std::size_t radius, std::size_t rows, std::size_t cols);
  // Bytes the workspace holds now: its pool of tiles (the most any run so far
  // reached), their index and the heap.
  std::size_t bytes_held() const;

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
  // or not reached.
  float cost_at(std::size_t row, std::size_t col) const;
  // Cells settled by the last run.
  std::size_t settled() const { return settled_; }
  // The tiles the last run reached, as grid rows and columns [r0, r1) x
  // [c0, c1), in the order they were reached: every cell with a finite
  // cost_at lies in one of them.
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
  static constexpr std::size_t kTileRows = 64, kTileCols = 512, kTileCells = kTileRows * kTileCols;
  static constexpr std::uint32_t kNoTile = std::numeric_limits<std::uint32_t>::max();
  struct Tile {
    float cost[kTileCells];          // friction (NaN beyond the window)
    double accumulated[kTileCells];  // +inf = not reached
  };
  // The tile holding window-local cell (local_row, local_col); null when not loaded.
  Tile* tile_at(std::size_t local_row, std::size_t local_col) const;
  // Takes a tile from the pool for window tile (tile_row, tile_col), reads
  // its friction and marks its cells unreached; nothing when it is loaded.
  void load_tile(std::size_t tile_row, std::size_t tile_col);
  std::vector<std::unique_ptr<Tile>> pool_;
  std::size_t pool_used_ = 0;
  std::vector<std::uint32_t> slot_;    // per tile of the window: its pool slot, or kNoTile
  std::vector<std::uint32_t> loaded_;  // tiles of the window loaded by this run, in order
  std::size_t tiles_across_ = 0;
  RadixHeap heap_;  // (cost, global cell index)
  std::size_t settled_ = 0;
};

// The smallest finite friction of a surface (+infinity when none is finite),
// for LocalCostDistance's window.
double min_finite_cost(const std::vector<float>& cost_per_m);

// Tobler's hiking function (Tobler 1993, "Three presentations on geographical
// analysis and modeling", NCGIA Technical Report 93-1): walking speed in km/h
// on a path of gradient slope_tan (rise over run, positive uphill):
//   6 exp(-3.5 |slope_tan + 0.05|)
// It is direction-dependent: fastest (6 km/h) slightly downhill, at
// slope_tan = -0.05 (about -2.86 degrees).
double tobler_walking_speed_kmh(double slope_tan);

// The friction of walking, in minutes per metre of map (horizontal) distance,
// on terrain of slope slope_deg (degrees, the unsigned steepness of a slope
// raster), for cost_distance.
//
// Simplification: a friction surface is undirected -- cost_distance charges
// a move the same whichever way it is walked -- while Tobler's function is
// not, and the direction of a move relative to the slope's aspect is unknown
// to a per-cell friction. Uphill and downhill of equal grade therefore cost
// the same here: the speed is the symmetric average of the two directions,
//   speed = (v(+t) + v(-t)) / 2,  t = tan(slope_deg),
// instead of the gentler direction getting its own, lower cost, which would
// need a directed graph over the DEM (as r.walk builds).
// Because Tobler's peak lies at -0.05, this average speed rises from
// 6 e^-0.175 = 5.036 km/h on the flat to 3 (1 + e^-0.35) = 5.114 km/h at
// tan = 0.05 (2.86 degrees), and only falls beyond that: the friction is
// about 1.5 % lower on gentle slopes than on the flat, and grows with the
// slope from 2.86 degrees on.
// Returns 60 / (1000 * speed); +infinity for a vertical slope; NaN for NaN.
double walking_minutes_per_m(double slope_deg);

}  // namespace relocplan::raster
