// From suitable cells to site polygons (see patches.hpp): the suitable cells
// as runs, connected-component labelling of the runs, and the flow from patches through
// polygons, filled holes and simplification to sites, split where too large.

#include "relocplan/sites/patches.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "relocplan/core/error.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/sites/geos_util.hpp"
#include "relocplan/sites/patch_steps.hpp"

namespace relocplan::sites {

namespace {

using vector::GeomPtr;

// ---------------------------------------------------------------------------
// Connected components

// Root of `x` in the union-find forest, halving the path on the way.
std::int32_t find_root(std::vector<std::int32_t>& parent, std::int32_t x) {
  while (parent[static_cast<std::size_t>(x)] != x) {
    const std::int32_t grand = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(x)])];
    parent[static_cast<std::size_t>(x)] = grand;
    x = grand;
  }
  return x;
}

// Joins the sets of a and b; the smaller provisional label becomes the root
// (any rule would do: final numbering happens in a separate scan).
void unite(std::vector<std::int32_t>& parent, std::int32_t a, std::int32_t b) {
  a = find_root(parent, a);
  b = find_root(parent, b);
  if (a < b)
    parent[static_cast<std::size_t>(b)] = a;
  else if (b < a)
    parent[static_cast<std::size_t>(a)] = b;
}

// ---------------------------------------------------------------------------
// Options

void check_option(const char* name, double value, bool zero_allowed, bool infinity_allowed) {
  const bool ok = !std::isnan(value) && (value > 0 || (zero_allowed && value == 0)) &&
                  (infinity_allowed || std::isfinite(value));
  if (!ok)
    throw core::ScenarioError(std::string("site patches: ") + name + " must be " +
                              (zero_allowed ? "zero or positive" : "positive") +
                              (infinity_allowed ? "" : " and finite") + ", got " + std::to_string(value));
}

void check_options(const PatchOptions& options) {
  check_option("min_area_m2", options.min_area_m2, true, false);
  check_option("min_hole_m2", options.min_hole_m2, true, false);
  check_option("max_site_area_m2", options.max_site_area_m2, false, true);
  check_option("simplify_m", options.simplify_m, true, false);
}

}  // namespace

SuitableRuns::SuitableRuns(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols), row_start_{0} {
  if (cols > std::numeric_limits<std::uint32_t>::max())
    throw core::InputError("site patches: a grid of " + std::to_string(cols) + " columns is too wide for 32-bit columns");
}

void SuitableRuns::add_rows(std::size_t row0, std::size_t nrows, const std::uint8_t* mask) {
  if (row0 != rows_added() || row0 + nrows > rows_)
    throw core::InternalError("site patches: rows " + std::to_string(row0) + "-" + std::to_string(row0 + nrows) +
                              " added after " + std::to_string(rows_added()) + " of " + std::to_string(rows_) + " rows");
  for (std::size_t r = 0; r < nrows; ++r) {
    const std::uint8_t* row = mask + r * cols_;
    for (std::size_t c = 0; c < cols_;) {
      if (!row[c]) {
        ++c;
        continue;
      }
      const std::size_t from = c;
      while (c < cols_ && row[c]) ++c;
      begin_.push_back(static_cast<std::uint32_t>(from));
      end_.push_back(static_cast<std::uint32_t>(c));
    }
    row_start_.push_back(begin_.size());
  }
}

std::size_t SuitableRuns::bytes() const {
  return row_start_.capacity() * sizeof(std::size_t) + (begin_.capacity() + end_.capacity()) * sizeof(std::uint32_t);
}

std::vector<std::int32_t> label_runs(const SuitableRuns& runs, std::int32_t* count) {
  if (runs.size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw core::InputError("site patches: " + std::to_string(runs.size()) + " runs of suitable cells are too many for 32-bit patch labels");
  // Pass 1: provisional labels, a run joined to every run of the row above
  // that touches it, at a corner included (8-connectedness): [b0, b1) above
  // touches [a0, a1) when b0 <= a1 and b1 >= a0. Equivalences go to a
  // union-find forest.
  std::vector<std::int32_t> labels(runs.size(), 0);
  std::vector<std::int32_t> parent{0};  // parent[0] is the background, never used
  for (std::size_t r = 0; r < runs.rows_added(); ++r) {
    const std::size_t above0 = r > 0 ? runs.row_begin(r - 1) : 0, above1 = runs.row_begin(r);
    std::size_t j = above0;
    for (std::size_t k = runs.row_begin(r); k < runs.row_begin(r + 1); ++k) {
      const std::uint32_t a0 = runs.begin(k), a1 = runs.end(k);
      // Runs above that end before this one's corner touch neither it nor a later run.
      while (j < above1 && runs.end(j) < a0) ++j;
      std::int32_t label = 0;
      for (std::size_t i = j; i < above1 && runs.begin(i) <= a1; ++i) {
        if (label == 0)
          label = labels[i];
        else if (labels[i] != label)
          unite(parent, label, labels[i]);
      }
      if (label == 0) {
        label = static_cast<std::int32_t>(parent.size());
        parent.push_back(label);
      }
      labels[k] = label;
    }
  }
  // Pass 2: final labels in scan order of first runs, which is the scan
  // order of first cells: a component's first cell begins its first run.
  std::vector<std::int32_t> final_of_root(parent.size(), 0);
  std::int32_t next = 0;
  for (std::int32_t& l : labels) {
    const auto root = static_cast<std::size_t>(find_root(parent, l));
    if (final_of_root[root] == 0) final_of_root[root] = ++next;
    l = final_of_root[root];
  }
  if (count) *count = next;
  return labels;
}

std::vector<std::int32_t> label_components(const std::vector<std::uint8_t>& mask, std::size_t rows, std::size_t cols,
                                           std::int32_t* count) {
  if (rows != 0 && cols > std::numeric_limits<std::size_t>::max() / rows)
    throw core::InputError("label_components: a grid of " + std::to_string(rows) + " x " + std::to_string(cols) +
                           " cells is too large");
  const std::size_t cells = rows * cols;
  if (mask.size() != cells)
    throw core::InternalError("label_components: the mask holds " + std::to_string(mask.size()) +
                              " cells, the grid " + std::to_string(rows) + " x " + std::to_string(cols));
  SuitableRuns runs(rows, cols);
  runs.add_rows(0, rows, mask.data());
  const std::vector<std::int32_t> run_labels = label_runs(runs, count);
  std::vector<std::int32_t> labels(cells, 0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = runs.row_begin(r); k < runs.row_begin(r + 1); ++k)
      std::fill(labels.begin() + static_cast<std::ptrdiff_t>(r * cols + runs.begin(k)),
                labels.begin() + static_cast<std::ptrdiff_t>(r * cols + runs.end(k)), run_labels[k]);
  return labels;
}

std::vector<SitePolygon> suitable_patches_to_sites(GEOSContextHandle_t ctx, const raster::Grid& grid,
                                                   const std::vector<std::uint8_t>& suitable,
                                                   const PatchOptions& options, core::Progress* progress) {
  check_options(options);
  if (suitable.size() != grid.cells())
    throw core::InternalError("site patches: the suitability mask holds " + std::to_string(suitable.size()) +
                              " cells, the grid " + std::to_string(grid.cells()));
  SuitableRuns runs(grid.rows(), grid.cols());
  runs.add_rows(0, grid.rows(), suitable.data());
  return suitable_patches_to_sites(ctx, grid, runs, options, progress);
}

std::vector<SitePolygon> suitable_patches_to_sites(GEOSContextHandle_t ctx, const raster::Grid& grid,
                                                   const SuitableRuns& runs, const PatchOptions& options,
                                                   core::Progress* progress) {
  check_options(options);
  if (runs.rows() != grid.rows() || runs.cols() != grid.cols() || runs.rows_added() != grid.rows())
    throw core::InternalError("site patches: the suitable runs cover " + std::to_string(runs.rows_added()) + " of " +
                              std::to_string(runs.rows()) + " x " + std::to_string(runs.cols()) + " cells, the grid " +
                              std::to_string(grid.rows()) + " x " + std::to_string(grid.cols()));
  const auto report = [progress](double fraction) {
    if (progress) progress->update(fraction);
  };
  report(0.0);

  std::int32_t count = 0;
  std::vector<std::int32_t> labels = label_runs(runs, &count);
  report(0.05);

  // Cells and first cell of every label; labels are in scan order of first
  // cells, so first_cell ascends with the label.
  const auto n_labels = static_cast<std::size_t>(count) + 1;
  std::vector<std::int64_t> cells_of(n_labels, 0);
  std::vector<std::size_t> first_cell(n_labels, 0);
  for (std::size_t r = 0; r < runs.rows(); ++r)
    for (std::size_t k = runs.row_begin(r); k < runs.row_begin(r + 1); ++k) {
      const auto l = static_cast<std::size_t>(labels[k]);
      if (cells_of[l] == 0) first_cell[l] = r * runs.cols() + runs.begin(k);
      cells_of[l] += runs.end(k) - runs.begin(k);
    }
  // Patches below min_area are dropped by cell count, before any geometry, so
  // that simplification cannot tip a patch at the threshold either way.
  std::vector<char> keep(n_labels, 0);
  std::int64_t kept_cells = 0;
  for (std::size_t l = 1; l < n_labels; ++l) {
    keep[l] = static_cast<double>(cells_of[l]) * grid.cell_area() >= options.min_area_m2;
    if (keep[l]) kept_cells += cells_of[l];
  }
  if (kept_cells == 0) return {};
  for (std::int32_t& l : labels)
    if (l != 0 && !keep[static_cast<std::size_t>(l)]) l = 0;

  std::vector<std::vector<GeomPtr>> polygons = polygonize_labels(ctx, grid, runs, labels, count, progress, 0.05, 0.5);
  std::vector<std::int32_t>().swap(labels);  // the labels are not needed any more

  const double tolerance_m = options.simplify_m > 0 ? options.simplify_m : grid.cell_size() / 2;
  const bool may_split = std::isfinite(options.max_site_area_m2);
  SplitContext sc{ctx, {}, grid.cell_size(), 2 * tolerance_m, progress, 0.5};
  if (may_split) {
    // The largest whole number of cells whose square fits in max_site_area,
    // so that a block never exceeds it; at least one cell.
    const double cells_per_side = std::floor(std::sqrt(options.max_site_area_m2) / grid.cell_size() + 1e-9);
    sc.lattice = BlockLattice{grid.xmin(), grid.ymax(), grid.cell_size(),
                              std::max<std::int64_t>(1, static_cast<std::int64_t>(cells_per_side))};
  }
  // Pieces of zero-ish area (rounding slivers along block edges) are never
  // sites, even with min_area 0.
  const double small_m2 = std::max(options.min_area_m2, 1e-6 * grid.cell_area());

  std::vector<char> absorbed(n_labels, 0);
  std::vector<SitePolygon> sites;
  std::int64_t done_cells = 0;
  for (std::size_t l = 1; l < n_labels; ++l) {
    if (!keep[l]) continue;
    done_cells += cells_of[l];
    const double at = 0.5 + 0.5 * static_cast<double>(done_cells) / static_cast<double>(kept_cells);
    if (absorbed[l] || polygons[l].empty()) {
      polygons[l].clear();
      continue;
    }
    GeomPtr patch = unite_patch(ctx, polygons[l], static_cast<double>(cells_of[l]) * grid.cell_area(), l);
    std::vector<GeomPtr>().swap(polygons[l]);
    if (is_empty(ctx, patch.get())) continue;

    // Holes are filled on the exact cell-edge outline, before simplification.
    std::vector<GeomPtr> filled;
    if (options.min_hole_m2 > 0) patch = fill_small_holes(ctx, patch.get(), options.min_hole_m2, filled);
    // A later patch whose first cell lies in a filled hole lies wholly in it
    // (patches are disjoint and holes follow cell edges): it is now covered by
    // this site and gets none of its own. Its label is larger, since the hole
    // lies below this patch's first row.
    for (const GeomPtr& hole : filled) {
      const Envelope e = envelope_of(ctx, hole.get());
      const auto row0 = static_cast<std::size_t>(std::max(0.0, std::floor(grid.row_f(e.maxy))));
      const auto row1 = std::min(grid.rows(), static_cast<std::size_t>(std::max(0.0, std::ceil(grid.row_f(e.miny)))));
      const double col0 = std::floor(grid.col_f(e.minx)), col1 = std::ceil(grid.col_f(e.maxx));
      auto it = std::lower_bound(first_cell.begin() + static_cast<std::ptrdiff_t>(l) + 1, first_cell.end(),
                                 row0 * grid.cols());
      for (; it != first_cell.end() && *it < row1 * grid.cols(); ++it) {
        const auto other = static_cast<std::size_t>(it - first_cell.begin());
        const std::size_t col = *it % grid.cols();
        if (!keep[other] || absorbed[other] || static_cast<double>(col) < col0 || static_cast<double>(col) >= col1)
          continue;
        const GeomPtr centre = checked(
            ctx, GEOSGeom_createPointFromXY_r(ctx, grid.x_of_col(col), grid.y_of_row(*it / grid.cols())),
            "create a cell centre");
        const char inside = GEOSContains_r(ctx, hole.get(), centre.get());
        if (inside == 2) throw core::InternalError("GEOS failed to test a patch against a filled hole");
        if (inside) absorbed[other] = 1;
      }
    }

    GeomPtr simplified =
        checked(ctx, GEOSTopologyPreserveSimplify_r(ctx, patch.get(), tolerance_m), "simplify a patch");
    // Should simplification collapse the patch, the exact outline (valid,
    // and never further than the tolerance from itself) is kept instead.
    if (GeomPtr repaired = valid_polygonal(ctx, std::move(simplified)); !is_empty(ctx, repaired.get()))
      patch = std::move(repaired);

    const double area_m2 = area_of(ctx, patch.get());
    if (!may_split || area_m2 <= options.max_site_area_m2) {
      sites.push_back(SitePolygon{std::move(patch), static_cast<int>(l), 1, area_m2});
    } else {
      sc.progress_at = at;
      std::vector<GeomPtr> pieces = split_patch(sc, grid, std::move(patch), small_m2);
      int part = 0;
      for (GeomPtr& piece : pieces) {
        GeomPtr site = valid_polygonal(ctx, std::move(piece));
        const double a = area_of(ctx, site.get());
        sites.push_back(SitePolygon{std::move(site), static_cast<int>(l), ++part, a});
      }
    }
    report(at);
  }
  report(1.0);
  return sites;
}

}  // namespace relocplan::sites