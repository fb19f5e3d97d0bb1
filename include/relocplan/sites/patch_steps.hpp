#pragma once
// The steps from labelled patches to site polygons (see patches.hpp): the
// label raster polygonised, each patch's polygons united and its small holes
// filled, and large patches split along a lattice of blocks aligned with the
// analysis grid.

#include <geos_c.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "relocplan/raster/grid.hpp"
#include "relocplan/sites/patches.hpp"
#include "relocplan/vector/geos.hpp"

namespace relocplan::core {
class Progress;
}

namespace relocplan::sites {

// ---------------------------------------------------------------------------
// Polygons of the patches (patch_polygons.cpp)

// The polygons of every label, indexed by label (1..count): the runs of
// `runs` with their label `labels[k]` (0 leaves a run out). GDALPolygonize
// with 8-connectedness gives one polygon per component (components never
// touch, not even at a corner), but nothing here relies on it: every polygon
// goes to its label's list and they are united later. Progress goes from `lo`
// to `hi`.
//
// GDAL reads the label raster row by row from a band that expands each row
// from its runs, so no label raster is held: memory grows with the runs and
// the polygons, not with the grid.
std::vector<std::vector<vector::GeomPtr>> polygonize_labels(GEOSContextHandle_t ctx, const raster::Grid& grid,
                                                             const SuitableRuns& runs,
                                                             const std::vector<std::int32_t>& labels, std::int32_t count,
                                                             core::Progress* progress, double lo, double hi);

// The patch as one valid Polygon/MultiPolygon. GDALPolygonize joins cells
// that touch at a corner into one ring that touches itself, which GEOS calls
// invalid, so most patches need repair. The patch's area is known exactly
// (its cells), which checks the repair: the fast STRUCTURE method first, the
// LINEWORK method should it ever misread a ring.
vector::GeomPtr unite_patch(GEOSContextHandle_t ctx, const std::vector<vector::GeomPtr>& parts, double cells_m2,
                            std::size_t label);

// `g` with its holes smaller than min_hole_m2 filled; the filled holes (as
// polygons) are appended to `filled`. Edge policy: only interior rings are
// holes. Unsuitable cells enclosed by cells that touch one another only at
// corners are no polygon's hole (the parts around them meet at points, and a
// polygon's interior must be connected), so they are left unfilled.
vector::GeomPtr fill_small_holes(GEOSContextHandle_t ctx, const GEOSGeometry* g, double min_hole_m2,
                                 std::vector<vector::GeomPtr>& filled);

// ---------------------------------------------------------------------------
// Splitting large patches (patch_split.cpp)

// Square blocks of `k` cells a side, their corners on the analysis grid's
// origin plus multiples of k cells. Block (i, j) is row i from the north,
// column j from the west. Edges are computed like GDAL computes cell corners
// (origin + n * cell), so a block edge that follows cell edges coincides
// exactly with the polygonised boundary there.
struct BlockLattice {
  double x0 = 0, y0 = 0, cell = 1;
  std::int64_t k = 1;
  double side() const { return static_cast<double>(k) * cell; }
  double x_of(std::int64_t j) const { return x0 + static_cast<double>(j * k) * cell; }
  double y_of(std::int64_t i) const { return y0 - static_cast<double>(i * k) * cell; }
};

struct SplitContext {
  GEOSContextHandle_t ctx;
  BlockLattice lattice;
  double margin_m;  // how far rectangles reach beyond the geometry on uncut sides
  // Parts of a patch that touched at a corner may be up to twice the
  // simplification tolerance apart afterwards; pieces this close still count
  // as neighbours when a small piece has no neighbour along a line.
  double near_m;
  core::Progress* progress;
  double progress_at;
};

// Splits one patch geometry (area above max_site_area_m2) into pieces of at
// most one block each, then merges pieces below `small_m2` into their largest
// neighbour. Returns the surviving pieces in scan order of their first block.
std::vector<vector::GeomPtr> split_patch(const SplitContext& sc, const raster::Grid& grid, vector::GeomPtr patch,
                                         double small_m2);

}  // namespace relocplan::sites
