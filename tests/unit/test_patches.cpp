#include <catch2/catch.hpp>
#include <geos_c.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "relocplan/core/error.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/sites/patches.hpp"
#include "relocplan/vector/geos.hpp"

using relocplan::raster::Grid;
using relocplan::sites::label_components;
using relocplan::sites::PatchOptions;
using relocplan::sites::SitePolygon;
using relocplan::sites::suitable_patches_to_sites;
using relocplan::vector::GeomPtr;
using relocplan::vector::GeosContext;
using relocplan::vector::wrap;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A mask from text rows: '#' suitable, anything else not.
std::vector<std::uint8_t> mask_of(const std::vector<std::string>& rows) {
  std::vector<std::uint8_t> m;
  for (const std::string& r : rows)
    for (char ch : r) m.push_back(ch == '#' ? 1 : 0);
  return m;
}

// A filled rectangle of rows [r0, r1) and columns [c0, c1).
void fill(std::vector<std::uint8_t>& m, std::size_t cols, std::size_t r0, std::size_t r1, std::size_t c0,
          std::size_t c1, std::uint8_t v = 1) {
  for (std::size_t r = r0; r < r1; ++r)
    for (std::size_t c = c0; c < c1; ++c) m[r * cols + c] = v;
}

// Deterministic blobs: uniform noise from an LCG, box-smoothed twice with
// the given radius, thresholded at `level` (fraction of cells about above).
std::vector<std::uint8_t> blobs(std::size_t rows, std::size_t cols, std::uint64_t seed, int radius, double level) {
  std::vector<double> v(rows * cols);
  std::uint64_t s = seed;
  for (double& x : v) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    x = static_cast<double>(s >> 11) / 9007199254740992.0;
  }
  const auto blur = [&](const std::vector<double>& in) {
    std::vector<double> out(in.size());
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) {
        double sum = 0;
        int n = 0;
        for (int dr = -radius; dr <= radius; ++dr)
          for (int dc = -radius; dc <= radius; ++dc) {
            const auto rr = static_cast<long>(r) + dr, cc = static_cast<long>(c) + dc;
            if (rr < 0 || cc < 0 || rr >= static_cast<long>(rows) || cc >= static_cast<long>(cols)) continue;
            sum += in[static_cast<std::size_t>(rr) * cols + static_cast<std::size_t>(cc)];
            ++n;
          }
        out[r * cols + c] = sum / n;
      }
    return out;
  };
  v = blur(blur(v));
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  const double cut = sorted[static_cast<std::size_t>((1.0 - level) * static_cast<double>(sorted.size() - 1))];
  std::vector<std::uint8_t> m(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) m[i] = v[i] > cut ? 1 : 0;
  return m;
}

double area(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  double a = -1;
  REQUIRE(GEOSArea_r(ctx, g, &a) == 1);
  return a;
}

GeomPtr cell_square(GEOSContextHandle_t ctx, const Grid& grid, std::size_t r, std::size_t c) {
  const double x0 = grid.xmin() + static_cast<double>(c) * grid.cell_size();
  const double y1 = grid.ymax() - static_cast<double>(r) * grid.cell_size();
  return wrap(ctx, GEOSGeom_createRectangle_r(ctx, x0, y1 - grid.cell_size(), x0 + grid.cell_size(), y1));
}

// Union of a list of geometries (borrowed).
GeomPtr union_of(GEOSContextHandle_t ctx, const std::vector<const GEOSGeometry*>& geoms) {
  std::vector<GEOSGeometry*> copies;
  for (const GEOSGeometry* g : geoms) copies.push_back(GEOSGeom_clone_r(ctx, g));
  GeomPtr all = wrap(ctx, GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, copies.data(),
                                                      static_cast<unsigned>(copies.size())));
  REQUIRE(all);
  GeomPtr u = wrap(ctx, GEOSUnaryUnion_r(ctx, all.get()));
  REQUIRE(u);
  return u;
}

GeomPtr suitable_union(GEOSContextHandle_t ctx, const Grid& grid, const std::vector<std::uint8_t>& m) {
  std::vector<GeomPtr> squares;
  std::vector<const GEOSGeometry*> raw;
  for (std::size_t r = 0; r < grid.rows(); ++r)
    for (std::size_t c = 0; c < grid.cols(); ++c)
      if (m[r * grid.cols() + c]) {
        squares.push_back(cell_square(ctx, grid, r, c));
        raw.push_back(squares.back().get());
      }
  return union_of(ctx, raw);
}

GeomPtr sites_union(GEOSContextHandle_t ctx, const std::vector<SitePolygon>& sites) {
  std::vector<const GEOSGeometry*> raw;
  for (const SitePolygon& s : sites) raw.push_back(s.geometry.get());
  return union_of(ctx, raw);
}

double symmetric_difference_area(GEOSContextHandle_t ctx, const GEOSGeometry* a, const GEOSGeometry* b) {
  GeomPtr d = wrap(ctx, GEOSSymDifference_r(ctx, a, b));
  REQUIRE(d);
  return area(ctx, d.get());
}

// Valid, polygonal, sorted by (patch, part), parts numbered 1..n per patch,
// area_m2 the geometry's area, and no two sites overlapping.
void check_sites(GEOSContextHandle_t ctx, const std::vector<SitePolygon>& sites) {
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const SitePolygon& s = sites[i];
    REQUIRE(s.geometry);
    CHECK(GEOSisValid_r(ctx, s.geometry.get()) == 1);
    const int type = GEOSGeomTypeId_r(ctx, s.geometry.get());
    CHECK((type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON));
    CHECK(s.area_m2 == Approx(area(ctx, s.geometry.get())).epsilon(1e-12));
    CHECK(s.area_m2 > 0);
    if (i == 0 || sites[i - 1].patch_id != s.patch_id) {
      CHECK(s.part == 1);
      if (i > 0) CHECK(sites[i - 1].patch_id < s.patch_id);
    } else {
      CHECK(s.part == sites[i - 1].part + 1);
    }
  }
  for (std::size_t i = 0; i < sites.size(); ++i)
    for (std::size_t j = i + 1; j < sites.size(); ++j) {
      GeomPtr x = wrap(ctx, GEOSIntersection_r(ctx, sites[i].geometry.get(), sites[j].geometry.get()));
      REQUIRE(x);
      CHECK(area(ctx, x.get()) < 1e-6);
    }
}

std::vector<std::string> wkbs(GEOSContextHandle_t ctx, const std::vector<SitePolygon>& sites) {
  std::vector<std::string> out;
  for (const SitePolygon& s : sites)
    out.push_back(relocplan::vector::to_wkb(ctx, s.geometry.get()) + "|" + std::to_string(s.patch_id) + "|" +
                  std::to_string(s.part));
  return out;
}

int interior_rings(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  int total = 0;
  for (int i = 0; i < GEOSGetNumGeometries_r(ctx, g); ++i)
    total += GEOSGetNumInteriorRings_r(ctx, GEOSGetGeometryN_r(ctx, g, i));
  return total;
}

// Projected coordinates of the size CGCS2000 3-degree zones use.
Grid grid_of(std::size_t rows, std::size_t cols, double cell = 30.0) {
  return Grid(500010.0, 3300000.0, cell, rows, cols, "");
}

}  // namespace

TEST_CASE("label_components: cells touching at a corner are one component", "[patches]") {
  std::int32_t n = -1;
  const auto l = label_components(mask_of({"#..", ".#.", "..#"}), 3, 3, &n);
  CHECK(n == 1);
  CHECK(l == std::vector<std::int32_t>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  // Anti-diagonal: the component is reached through NE.
  const auto a = label_components(mask_of({"..#", ".#.", "#.."}), 3, 3, &n);
  CHECK(n == 1);
  CHECK(a == std::vector<std::int32_t>{0, 0, 1, 0, 1, 0, 1, 0, 0});
}

TEST_CASE("label_components: an L shape, a U shape and a ring with a hole", "[patches]") {
  std::int32_t n = -1;
  const auto l = label_components(mask_of({"#...", "#...", "###."}), 3, 4, &n);
  CHECK(n == 1);
  CHECK(l == std::vector<std::int32_t>{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0});
  // A U: two provisional labels that meet at the bottom become one.
  const auto u = label_components(mask_of({"#.#", "#.#", "###"}), 3, 3, &n);
  CHECK(n == 1);
  CHECK(u == std::vector<std::int32_t>{1, 0, 1, 1, 0, 1, 1, 1, 1});
  // A ring around a hole holding an island two cells from the ring.
  const auto r = label_components(mask_of({"#####", "#...#", "#.#.#", "#...#", "#####"}), 5, 5, &n);
  CHECK(n == 2);
  CHECK(r[0] == 1);
  CHECK(r[2 * 5 + 2] == 2);
  CHECK(r[1 * 5 + 1] == 0);
  CHECK(r[4 * 5 + 4] == 1);
}

TEST_CASE("label_components: numbering follows the scan order of first cells", "[patches]") {
  std::int32_t n = -1;
  // The second component's first cell (row 0, col 3) comes before the first
  // cell of the third (row 1, col 0), though the latter's left column is smaller.
  const auto l = label_components(mask_of({"#..#.", "....#", "#...#", "#.#.."}), 4, 5, &n);
  CHECK(n == 4);
  CHECK(l == std::vector<std::int32_t>{1, 0, 0, 2, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 2, 3, 0, 4, 0, 0});
  // A component whose lowest provisional label is not its first cell's: the
  // right arm of a V starts a label before the bottom joins them.
  const auto v = label_components(mask_of({".#...#", "..#.#.", "...#.."}), 3, 6, &n);
  CHECK(n == 1);
  CHECK(v == std::vector<std::int32_t>{0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0});
  const auto e = label_components(std::vector<std::uint8_t>(6, 0), 2, 3, &n);
  CHECK(n == 0);
  CHECK(e == std::vector<std::int32_t>(6, 0));
  CHECK_THROWS_AS(label_components(std::vector<std::uint8_t>(5, 1), 2, 3), relocplan::core::InternalError);
}

TEST_CASE("patches below min_area are dropped; exact outline area before simplification", "[patches]") {
  GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const Grid grid = grid_of(10, 10);
  std::vector<std::uint8_t> m(100, 0);
  fill(m, 10, 0, 1, 8, 10);  // the 2-cell patch comes first in scan order: label 1
  fill(m, 10, 3, 9, 1, 7);   // 36 cells
  fill(m, 10, 2, 3, 0, 1);   // + 1 cell touching (3, 1) at a corner
  fill(m, 10, 5, 6, 7, 9);   // + 2 cells, edge-adjacent
  PatchOptions o;
  o.min_area_m2 = 3 * grid.cell_area();
  o.min_hole_m2 = 0;
  o.max_site_area_m2 = kInf;
  o.simplify_m = 1e-9;
  const auto sites = suitable_patches_to_sites(ctx, grid, m, o);
  REQUIRE(sites.size() == 1);
  CHECK(sites[0].patch_id == 2);
  CHECK(sites[0].part == 1);
  CHECK(sites[0].area_m2 == Approx(39 * grid.cell_area()).epsilon(1e-12));
  check_sites(ctx, sites);
  GeomPtr expected = suitable_union(ctx, grid, m);
  GeomPtr small = cell_square(ctx, grid, 0, 8);
  GeomPtr small2 = cell_square(ctx, grid, 0, 9);
  GeomPtr without = wrap(ctx, GEOSDifference_r(ctx, expected.get(), small.get()));
  without = wrap(ctx, GEOSDifference_r(ctx, without.get(), small2.get()));
  CHECK(symmetric_difference_area(ctx, sites[0].geometry.get(), without.get()) < 1e-6);

  // With a threshold of 2 cells both survive (at the threshold is kept).
  o.min_area_m2 = 2 * grid.cell_area();
  const auto both = suitable_patches_to_sites(ctx, grid, m, o);
  REQUIRE(both.size() == 2);
  CHECK(both[0].patch_id == 1);
  CHECK(both[0].area_m2 == Approx(2 * grid.cell_area()).epsilon(1e-12));
  CHECK(both[1].patch_id == 2);
}

TEST_CASE("holes below min_hole are filled, larger ones kept", "[patches]") {
  GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const Grid grid = grid_of(20, 30);
  std::vector<std::uint8_t> m(grid.cells(), 0);
  fill(m, 30, 1, 8, 1, 8);          // patch 1: 7x7 ...
  fill(m, 30, 3, 5, 3, 5, 0);       // ... with a 2x2 hole (4 cells)
  fill(m, 30, 1, 12, 12, 23);       // patch 2: 11x11 ...
  fill(m, 30, 3, 10, 14, 21, 0);    // ... with a 7x7 hole (49 cells)
  PatchOptions o;
  o.min_area_m2 = 2 * grid.cell_area();
  o.min_hole_m2 = 10 * grid.cell_area();
  o.max_site_area_m2 = kInf;
  o.simplify_m = 1e-9;
  const auto sites = suitable_patches_to_sites(ctx, grid, m, o);
  REQUIRE(sites.size() == 2);
  check_sites(ctx, sites);
  CHECK(interior_rings(ctx, sites[0].geometry.get()) == 0);
  CHECK(sites[0].area_m2 == Approx(49 * grid.cell_area()).epsilon(1e-12));
  CHECK(interior_rings(ctx, sites[1].geometry.get()) == 1);
  CHECK(sites[1].area_m2 == Approx((121 - 49) * grid.cell_area()).epsilon(1e-12));

  SECTION("a patch inside a filled hole becomes part of the enclosing site") {
    fill(m, 30, 6, 7, 17, 18);  // a one-cell island in the middle of the big hole
    o.min_area_m2 = 1 * grid.cell_area();
    o.min_hole_m2 = 60 * grid.cell_area();  // now the big hole is filled too
    const auto absorbed = suitable_patches_to_sites(ctx, grid, m, o);
    REQUIRE(absorbed.size() == 2);
    check_sites(ctx, absorbed);
    CHECK(absorbed[1].patch_id == 2);
    CHECK(interior_rings(ctx, absorbed[1].geometry.get()) == 0);
    CHECK(absorbed[1].area_m2 == Approx(121 * grid.cell_area()).epsilon(1e-12));
  }
}

TEST_CASE("with a tiny tolerance the sites are exactly the suitable cells", "[patches]") {
  GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const Grid grid = grid_of(60, 70);
  const auto m = blobs(60, 70, 7, 2, 0.45);
  PatchOptions o;
  o.min_area_m2 = 0;
  o.min_hole_m2 = 0;
  o.max_site_area_m2 = kInf;
  o.simplify_m = 1e-9;
  const auto sites = suitable_patches_to_sites(ctx, grid, m, o);
  std::int32_t n = 0;
  label_components(m, 60, 70, &n);
  REQUIRE(n > 3);
  CHECK(sites.size() == static_cast<std::size_t>(n));  // one site per patch, none split
  check_sites(ctx, sites);
  GeomPtr expected = suitable_union(ctx, grid, m);
  GeomPtr got = sites_union(ctx, sites);
  CHECK(symmetric_difference_area(ctx, expected.get(), got.get()) < 1e-6);
}

TEST_CASE("simplified sites stay within half a cell of the suitable cells", "[patches]") {
  GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const Grid grid = grid_of(60, 70);
  const auto m = blobs(60, 70, 11, 2, 0.5);
  PatchOptions o;
  o.min_area_m2 = 0;
  o.min_hole_m2 = 0;
  o.max_site_area_m2 = kInf;  // default tolerance: half a cell
  const auto sites = suitable_patches_to_sites(ctx, grid, m, o);
  REQUIRE(!sites.empty());
  check_sites(ctx, sites);
  GeomPtr got = sites_union(ctx, sites);
  const auto at = [&](long r, long c) {
    if (r < 0 || c < 0 || r >= 60 || c >= 70) return false;
    return m[static_cast<std::size_t>(r) * 70 + static_cast<std::size_t>(c)] != 0;
  };
  int outside_checked = 0, inside_checked = 0;
  for (long r = 0; r < 60; ++r)
    for (long c = 0; c < 70; ++c) {
      bool any = false, all = true;
      for (long dr = -1; dr <= 1; ++dr)
        for (long dc = -1; dc <= 1; ++dc) {
          any = any || at(r + dr, c + dc);
          all = all && at(r + dr, c + dc);
        }
      GeomPtr centre = wrap(ctx, GEOSGeom_createPointFromXY_r(ctx, grid.x_of_col(static_cast<std::size_t>(c)),
                                                             grid.y_of_row(static_cast<std::size_t>(r))));
      if (!any) {  // a non-suitable cell with no suitable neighbour is outside every site
        CHECK(GEOSContains_r(ctx, got.get(), centre.get()) == 0);
        ++outside_checked;
      }
      if (all) {  // a suitable cell with only suitable neighbours is inside one
        CHECK(GEOSContains_r(ctx, got.get(), centre.get()) == 1);
        ++inside_checked;
      }
    }
  CHECK(outside_checked > 100);
  CHECK(inside_checked > 100);
}

TEST_CASE("a large patch is split into pieces of about max_site_area", "[patches]") {
  GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const Grid grid = grid_of(50, 50);  // 30 m cells
  std::vector<std::uint8_t> m(grid.cells(), 0);
  fill(m, 50, 3, 43, 5, 45);  // 40 x 40 cells = 144 ha, not aligned with the 23-cell blocks
  PatchOptions o;               // min_area 2 ha, max_site_area 50 ha
  o.simplify_m = 1e-9;
  const auto sites = suitable_patches_to_sites(ctx, grid, m, o);
  REQUIRE(sites.size() >= 3);
  check_sites(ctx, sites);
  double total = 0;
  for (const SitePolygon& s : sites) {
    CHECK(s.patch_id == 1);
    CHECK(s.area_m2 <= o.max_site_area_m2 * 1.5);
    CHECK(s.area_m2 >= o.min_area_m2);
    total += s.area_m2;
  }
  CHECK(total == Approx(1600 * grid.cell_area()).epsilon(1e-6));
  GeomPtr got = sites_union(ctx, sites);
  GeomPtr expected = suitable_union(ctx, grid, m);
  CHECK(symmetric_difference_area(ctx, expected.get(), got.get()) < 1e-6);
  // Part 1 is the north-west piece: it holds the patch's north-west corner cell.
  GeomPtr nw = wrap(ctx, GEOSGeom_createPointFromXY_r(ctx, grid.x_of_col(5), grid.y_of_row(3)));
  CHECK(GEOSContains_r(ctx, sites[0].geometry.get(), nw.get()) == 1);
  GeomPtr se = wrap(ctx, GEOSGeom_createPointFromXY_r(ctx, grid.x_of_col(44), grid.y_of_row(42)));
  CHECK(GEOSContains_r(ctx, sites.back().geometry.get(), se.get()) == 1);
}

TEST_CASE("a sliver piece is merged into its largest neighbour", "[patches]") {
  GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const Grid grid(0.0, 1500.0, 30.0, 50, 50, "");
  std::vector<std::uint8_t> m(grid.cells(), 0);
  // 47 x 20 cells from the grid origin: blocks of 23 cells cut it into
  // 23 + 23 + 1 columns; the 1-column piece (1.8 ha) is below 2 ha.
  fill(m, 50, 0, 20, 0, 47);
  PatchOptions o;
  o.simplify_m = 1e-9;
  const auto sites = suitable_patches_to_sites(ctx, grid, m, o);
  REQUIRE(sites.size() == 2);
  check_sites(ctx, sites);
  CHECK(sites[0].area_m2 == Approx(23 * 20 * 900.0).epsilon(1e-9));
  CHECK(sites[1].area_m2 == Approx(24 * 20 * 900.0).epsilon(1e-9));
  CHECK(GEOSGeomTypeId_r(ctx, sites[1].geometry.get()) == GEOS_POLYGON);
}

TEST_CASE("splitting simplified blobby patches keeps their area and validity", "[patches]") {
  GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const Grid grid = grid_of(150, 160);
  // Seeds 9 and 15 (radius 2) have parts that touched their patch at a corner
  // and that simplification pulls a little away: they must still join a piece.
  const auto [seed, radius, level] = GENERATE(table<std::uint64_t, int, double>({{3, 4, 0.55}, {9, 2, 0.45}, {15, 2, 0.55}}));
  CAPTURE(seed, radius, level);
  const auto m = blobs(150, 160, seed, radius, level);
  PatchOptions whole;
  whole.max_site_area_m2 = kInf;
  const auto unsplit = suitable_patches_to_sites(ctx, grid, m, whole);
  PatchOptions o;  // defaults: split at 50 ha
  const auto split = suitable_patches_to_sites(ctx, grid, m, o);
  check_sites(ctx, split);
  REQUIRE(split.size() > unsplit.size());
  std::size_t j = 0;
  for (const SitePolygon& patch : unsplit) {
    double sum = 0;
    for (; j < split.size() && split[j].patch_id == patch.patch_id; ++j) {
      if (patch.area_m2 > o.max_site_area_m2) CHECK(split[j].area_m2 >= o.min_area_m2);
      sum += split[j].area_m2;
    }
    CHECK(sum == Approx(patch.area_m2).epsilon(1e-6));
  }
  CHECK(j == split.size());
}

TEST_CASE("site polygons are valid and deterministic", "[patches]") {
  GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const Grid grid = grid_of(120, 130);
  const auto m = blobs(120, 130, 5, 3, 0.5);
  PatchOptions o;
  o.max_site_area_m2 = 200000;
  const auto a = suitable_patches_to_sites(ctx, grid, m, o);
  const auto b = suitable_patches_to_sites(ctx, grid, m, o);
  REQUIRE(!a.empty());
  check_sites(ctx, a);
  CHECK(wkbs(ctx, a) == wkbs(ctx, b));
  // A fresh GEOS context gives the same bytes too.
  GeosContext other;
  const auto c = suitable_patches_to_sites(other.get(), grid, m, o);
  CHECK(wkbs(ctx, a) == wkbs(other.get(), c));
}

TEST_CASE("patches: no suitable cells, invalid options, cancellation", "[patches]") {
  GeosContext geos;
  const Grid grid = grid_of(8, 8);
  CHECK(suitable_patches_to_sites(geos.get(), grid, std::vector<std::uint8_t>(64, 0), PatchOptions{}).empty());
  std::vector<std::uint8_t> m(64, 1);
  PatchOptions bad;
  bad.min_area_m2 = -1;
  CHECK_THROWS_AS(suitable_patches_to_sites(geos.get(), grid, m, bad), relocplan::core::ScenarioError);
  bad = PatchOptions{};
  bad.max_site_area_m2 = 0;
  CHECK_THROWS_AS(suitable_patches_to_sites(geos.get(), grid, m, bad), relocplan::core::ScenarioError);
  bad = PatchOptions{};
  bad.simplify_m = std::nan("");
  CHECK_THROWS_AS(suitable_patches_to_sites(geos.get(), grid, m, bad), relocplan::core::ScenarioError);
  CHECK_THROWS_AS(suitable_patches_to_sites(geos.get(), grid, std::vector<std::uint8_t>(63, 1), PatchOptions{}),
                  relocplan::core::InternalError);

  relocplan::core::CancelFlag flag;
  relocplan::core::Progress progress(false, flag);
  PatchOptions o;
  o.min_area_m2 = 0;
  CHECK(suitable_patches_to_sites(geos.get(), grid, m, o, &progress).size() == 1);
  flag.request();
  CHECK_THROWS_AS(suitable_patches_to_sites(geos.get(), grid, m, o, &progress), relocplan::core::Cancelled);
}

namespace {

// Reference labelling: a flood fill from each unlabelled cell in scan order,
// 8-connected, numbering components by their first cell.
std::vector<std::int32_t> flood_labels(const std::vector<std::uint8_t>& m, std::size_t rows, std::size_t cols,
                                       std::int32_t& count) {
  std::vector<std::int32_t> l(m.size(), 0);
  count = 0;
  std::vector<std::size_t> stack;
  for (std::size_t start = 0; start < m.size(); ++start) {
    if (!m[start] || l[start]) continue;
    l[start] = ++count;
    stack.push_back(start);
    while (!stack.empty()) {
      const std::size_t k = stack.back();
      stack.pop_back();
      const auto r = static_cast<long>(k / cols), c = static_cast<long>(k % cols);
      for (long dr = -1; dr <= 1; ++dr)
        for (long dc = -1; dc <= 1; ++dc) {
          const long nr = r + dr, nc = c + dc;
          if (nr < 0 || nc < 0 || nr >= static_cast<long>(rows) || nc >= static_cast<long>(cols)) continue;
          const auto j = static_cast<std::size_t>(nr) * cols + static_cast<std::size_t>(nc);
          if (m[j] && !l[j]) {
            l[j] = count;
            stack.push_back(j);
          }
        }
    }
  }
  return l;
}

}  // namespace

TEST_CASE("runs of suitable cells: labels equal a flood fill's on random masks", "[patches][runs]") {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    const std::size_t rows = 20 + seed * 3, cols = 15 + seed * 5;
    // Blobs of several sizes, and salt-and-pepper masks whose runs touch only at corners.
    std::vector<std::uint8_t> m = seed % 3 == 0 ? std::vector<std::uint8_t>(rows * cols, 0)
                                                : blobs(rows, cols, seed, static_cast<int>(1 + seed % 4), 0.5);
    if (seed % 3 == 0) {
      std::uint64_t x = seed * 0x9E3779B97F4A7C15ull;
      for (auto& v : m) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        v = (x % 100) < 45;
      }
    }
    INFO("seed " << seed << ", " << rows << " x " << cols);
    std::int32_t want_n = 0, got_n = -1;
    const auto want = flood_labels(m, rows, cols, want_n);
    CHECK(label_components(m, rows, cols, &got_n) == want);
    CHECK(got_n == want_n);
    CHECK(want_n > 1);
    // Runs added strip by strip are the runs of the whole mask.
    relocplan::sites::SuitableRuns whole(rows, cols), strips(rows, cols);
    whole.add_rows(0, rows, m.data());
    for (std::size_t r = 0; r < rows; r += 7) strips.add_rows(r, std::min<std::size_t>(7, rows - r), m.data() + r * cols);
    REQUIRE(strips.size() == whole.size());
    std::size_t cells = 0;
    for (std::size_t k = 0; k < whole.size(); ++k) {
      CHECK(strips.begin(k) == whole.begin(k));
      CHECK(strips.end(k) == whole.end(k));
      cells += whole.end(k) - whole.begin(k);
    }
    CHECK(cells == static_cast<std::size_t>(std::count(m.begin(), m.end(), 1)));
    CHECK(relocplan::sites::label_runs(strips).size() == strips.size());
  }
}

TEST_CASE("runs of suitable cells: rows must come in order, and sites from runs equal sites from the mask",
          "[patches][runs]") {
  relocplan::sites::SuitableRuns runs(4, 3);
  const std::vector<std::uint8_t> row(3, 1);
  CHECK_THROWS_AS(runs.add_rows(1, 1, row.data()), relocplan::core::InternalError);
  runs.add_rows(0, 1, row.data());
  CHECK_THROWS_AS(runs.add_rows(0, 1, row.data()), relocplan::core::InternalError);
  CHECK_THROWS_AS(runs.add_rows(1, 4, row.data()), relocplan::core::InternalError);

  GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const Grid grid = grid_of(50, 60);
  const auto m = blobs(50, 60, 11, 3, 0.5);
  PatchOptions o;
  o.min_area_m2 = 4 * grid.cell_area();
  o.min_hole_m2 = 6 * grid.cell_area();
  o.max_site_area_m2 = 120 * grid.cell_area();
  relocplan::sites::SuitableRuns strips(50, 60);
  for (std::size_t r = 0; r < 50; r += 9) strips.add_rows(r, std::min<std::size_t>(9, 50 - r), m.data() + r * 60);
  const auto from_mask = suitable_patches_to_sites(ctx, grid, m, o);
  const auto from_runs = suitable_patches_to_sites(ctx, grid, strips, o);
  REQUIRE(from_mask.size() > 3);
  REQUIRE(from_runs.size() == from_mask.size());
  for (std::size_t i = 0; i < from_mask.size(); ++i) {
    CHECK(from_runs[i].patch_id == from_mask[i].patch_id);
    CHECK(from_runs[i].part == from_mask[i].part);
    CHECK(GEOSEqualsExact_r(ctx, from_runs[i].geometry.get(), from_mask[i].geometry.get(), 0.0) == 1);
  }
  // Runs that do not cover the grid are refused.
  relocplan::sites::SuitableRuns partial(50, 60);
  partial.add_rows(0, 10, m.data());
  CHECK_THROWS_AS(suitable_patches_to_sites(ctx, grid, partial, o), relocplan::core::InternalError);
}
