#pragma once
// Distance rasters on the analysis grid: the straight-line distance to the
// nearest source cell, and the accumulated cost of travelling over a friction
// surface (walking time to a road, a town, a candidate site ...).
//
// Both work on row-major arrays of rows x cols square cells (row 0 at the top,
// as raster::Grid), measure between cell centres, and return one float per
// cell. They poll an optional core::Progress, whose update() throws
// core::Cancelled when the user interrupted the run.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "relocplan/core/progress.hpp"

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
// from sparse sources: memory grows with the runs of source cells down each
// column (4 bytes for a lone source, 8 for a run of any length, plus 8 per
// column), not with the grid nor with the area the sources cover, and any
// range of rows can be produced without the others.
//
// Felzenszwalb & Huttenlocher's transform is separable: the column pass only
// needs, for each cell, the vertical distance to the nearest source of its
// column, which the first and last rows of the column's runs of sources give
// directly (a zone or a lake is two rows a column, however tall); the row
// pass is the same lower envelope of parabolas over that row. The results
// are identical to euclidean_distance's, value for value.
class SourceDistance {
 public:
  SourceDistance(std::size_t rows, std::size_t cols, double cell_size_m);
  // Marks a source cell (any order; duplicates are fine; rows in increasing
  // order down a column keep their runs as they come, others are sorted in
  // finish()). Call finish() once all are added.
  void add(std::size_t row, std::size_t col);
  // Every non-zero cell of rows [row0, row0 + nrows) (full width) as sources.
  void add_rows(std::size_t row0, std::size_t nrows, const std::uint8_t* mask);
  void finish();
  // Entries kept: a lone source or the start of a run is one, a run's end another.
  std::size_t sources() const { return source_rows_.size(); }
  std::size_t bytes() const { return source_rows_.capacity() * sizeof(std::uint32_t) + column_start_.capacity() * sizeof(std::size_t); }
  // Distances in metres for rows [row0, row0 + nrows), full width, into out
  // (+infinity everywhere when there is no source).
  void rows(std::size_t row0, std::size_t nrows, float* out) const;

 private:
  // Marks an entry as the last row of a run begun by the entry before it
  // (rows are below 2^24).
  static constexpr std::uint32_t kRunEnd = std::uint32_t{1} << 31;
  // Adds row r to a column's runs when it is not above the column's last
  // source (a duplicate is dropped); false, and nothing added, when it is.
  static bool append_in_order(std::vector<std::uint32_t>& column, std::uint32_t r);
  std::size_t rows_, cols_;
  double cell_size_m_;
  std::vector<std::vector<std::uint32_t>> pending_;  // per column until finish()
  std::vector<std::uint8_t> unsorted_;               // per column: a source came out of order
  std::vector<std::size_t> column_start_;  // cols + 1 offsets into source_rows_
  std::vector<std::uint32_t> source_rows_;  // per column, ascending: lone rows, run starts, run ends | kRunEnd
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


// The smallest finite friction of a surface (+infinity when none is finite),
// for LocalCostDistance's window (raster/local_cost_distance.hpp).
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
