#pragma once
// From suitable cells to candidate resettlement-site polygons.
//
// The suitability step leaves a yes/no mask on the analysis grid. A planner
// needs sites: areas of land that are large enough to build a settlement on,
// without pin-holes of unsuitable cells, with boundaries that do not follow
// every cell edge, and not so large that one "site" is a whole valley. This
// module turns the mask into such polygons:
//   1. 8-connected components of suitable cells ("patches");
//   2. patches of fewer cells than min_area are dropped;
//   3. the label raster is polygonised and the polygons of each patch united;
//   4. holes smaller than min_hole are filled;
//   5. boundaries are simplified (topology preserving) and repaired if needed;
//   6. patches larger than max_site_area are cut along a square lattice of
//      blocks aligned with the analysis grid, and pieces smaller than min_area
//      are merged into their largest neighbouring piece.
// Everything is deterministic: the same input gives the same output bytes.

#include <geos_c.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "relocplan/raster/grid.hpp"
#include "relocplan/vector/geos.hpp"

namespace relocplan::core {
class Progress;
}

namespace relocplan::sites {

struct PatchOptions {
  // Patches of a smaller area (cells x cell area, before any simplification)
  // are dropped; split pieces smaller than this are merged into a neighbour.
  double min_area_m2 = 20000;  // 2 ha
  // Holes (inner rings) of a smaller area are filled; the unsuitable cells in
  // them become part of the site.
  double min_hole_m2 = 20000;
  // Larger patches are split into sites of at most about this size (the block
  // side is sqrt(max_site_area_m2) rounded down to whole cells; merged
  // slivers can make a piece somewhat larger). +infinity: never split.
  double max_site_area_m2 = 500000;  // 50 ha
  // Topology-preserving simplification tolerance; 0 = half a cell. Up to half
  // a cell, sites of different patches cannot overlap (patches are at least
  // one cell apart); a larger tolerance may let neighbouring sites overlap.
  double simplify_m = 0;
};

struct SitePolygon {
  vector::GeomPtr geometry;  // valid Polygon or MultiPolygon in the grid's CRS
  int patch_id = 0;          // 1-based id of the connected component it comes from (label_components' label)
  int part = 0;              // 1-based index of the piece within its patch (1 when not split)
  double area_m2 = 0;        // area of `geometry`
};

// The suitable cells as runs: for each row, the maximal runs of suitable
// cells [begin, end) in column order. A province's mask costs 8 bytes a run
// (and 8 a row) instead of a byte a cell; the patches are labelled and
// polygonised from the runs.
class SuitableRuns {
 public:
  SuitableRuns(std::size_t rows, std::size_t cols);
  // The next rows [row0, row0 + nrows), in order from row 0: nonzero = suitable.
  void add_rows(std::size_t row0, std::size_t nrows, const std::uint8_t* mask);
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t rows_added() const { return row_start_.size() - 1; }
  std::size_t size() const { return begin_.size(); }
  // Runs of row r: indices [row_begin(r), row_begin(r + 1)).
  std::size_t row_begin(std::size_t r) const { return row_start_[r]; }
  std::uint32_t begin(std::size_t k) const { return begin_[k]; }
  std::uint32_t end(std::size_t k) const { return end_[k]; }
  std::size_t bytes() const;

 private:
  std::size_t rows_, cols_;
  std::vector<std::size_t> row_start_;
  std::vector<std::uint32_t> begin_, end_;
};

// 8-connected components of the runs: a label per run, 1..count in raster
// scan order of each component's first cell (as label_components).
std::vector<std::int32_t> label_runs(const SuitableRuns& runs, std::int32_t* count = nullptr);

// Runs -> site polygons, ordered by patch_id then part (see below).
std::vector<SitePolygon> suitable_patches_to_sites(GEOSContextHandle_t ctx, const raster::Grid& grid,
                                                   const SuitableRuns& suitable, const PatchOptions& options,
                                                   core::Progress* progress = nullptr);

// `suitable` (rows*cols, row-major, nonzero = suitable) -> site polygons,
// ordered by patch_id then part.
//
// patch_id is the label label_components(suitable) gives the patch, so ids of
// dropped patches are missing from the output. A patch that lies entirely in
// a hole that another patch fills becomes part of that patch's site and gets
// no site of its own. Throws core::ScenarioError for invalid options,
// core::Cancelled when `progress` reports cancellation, core::InternalError
// when GDAL or GEOS fail.
std::vector<SitePolygon> suitable_patches_to_sites(GEOSContextHandle_t ctx, const raster::Grid& grid,
                                                   const std::vector<std::uint8_t>& suitable,
                                                   const PatchOptions& options, core::Progress* progress = nullptr);

// Connected components of the nonzero cells of `mask` (rows*cols, row-major),
// 8-connected (cells touching at a corner belong together). Labels are
// 1..count, numbered in raster scan order of each component's first cell;
// 0 = not in the mask. Throws core::InternalError if mask.size() != rows*cols,
// core::InputError if the grid has more cells than int32 labels can number.
std::vector<std::int32_t> label_components(const std::vector<std::uint8_t>& mask, std::size_t rows, std::size_t cols,
                                           std::int32_t* count = nullptr);

}  // namespace relocplan::sites
