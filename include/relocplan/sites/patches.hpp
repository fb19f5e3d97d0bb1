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
