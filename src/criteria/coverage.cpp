#include "relocplan/criteria/coverage.hpp"

#include <geos_c.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "relocplan/core/error.hpp"

// Method: Green's theorem, column by column. For a vertical line x the
// polygon's cross-section is a union of intervals; with exteriors
// counter-clockwise and holes clockwise, every interval's upper end lies on an
// edge traversed right-to-left and its lower end on an edge traversed
// left-to-right. So the area of the polygon inside a cell [x0, x1] x [ybot, ytop]
// is
//   sum over edges of sign(edge) * integral over the edge's x-overlap with
//   [x0, x1] of (clamp(y_edge(x), ybot, ytop) - ybot) dx,
// sign +1 for right-to-left edges, -1 for left-to-right, vertical edges 0.
// Each edge is cut at the column lines; on each piece the clamp of a linear
// function is integrated exactly. Rows wholly below a piece get the full cell
// height: they are not visited but added once to a per-column difference
// array and accumulated down the column at the end. The cost is
// O(edges x columns spanned x rows crossed) + O(window cells), and the result
// is exact up to floating-point rounding (no sampling).

namespace relocplan::criteria {

namespace {

// A vertex in window cell units: u counts columns to the right of the window's
// left edge, s counts rows down from the window's top edge. One unit is one
// cell side, so an area in these units is directly a fraction of a cell.
struct CellPoint {
  double u, s;
};

// A ring cleaned of repeated and closing vertices and oriented so that the
// Green's-theorem signs hold: exteriors counter-clockwise, holes clockwise
// (in the y-up world frame). Empty when the ring is degenerate.
Ring oriented_ring(const Ring& ring, bool exterior) {
  Ring out;
  out.reserve(ring.size());
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const auto& [x, y] = ring[i];
    if (!std::isfinite(x) || !std::isfinite(y)) {
      std::ostringstream msg;
      msg << "polygon coverage: vertex " << i << " of " << (exterior ? "an exterior" : "a hole")
          << " ring has a coordinate that is not finite (" << x << ", " << y << ")";
      throw core::InputError(msg.str());
    }
    if (out.empty() || out.back() != ring[i]) out.push_back(ring[i]);
  }
  while (out.size() > 1 && out.back() == out.front()) out.pop_back();  // closed rings repeat the first vertex
  if (out.size() < 3) return {};
  // Twice the signed area (shoelace), relative to the first vertex so that
  // large projected coordinates do not cancel away the small differences.
  const double x0 = out.front().first, y0 = out.front().second;
  double area2 = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto& [xa, ya] = out[i];
    const auto& [xb, yb] = out[(i + 1) % out.size()];
    area2 += (xa - x0) * (yb - y0) - (xb - x0) * (ya - y0);
  }
  // Zero area (all vertices on a line): the ring bounds nothing. A ring of
  // rounding-level area is harmless: its edges cancel to rounding level.
  if (area2 == 0 || !std::isfinite(area2)) return {};
  const bool ccw = area2 > 0;
  if (ccw != exterior) std::reverse(out.begin(), out.end());
  return out;
}

// The average over t in [0, 1] of clamp(a + (b - a) t, 0, 1), exactly: the
// clamped linear function is piecewise linear with breaks where it reaches 0
// and 1, and the trapezoid rule is exact on each piece.
double mean_clamp01(double a, double b) {
  if (a > b) std::swap(a, b);  // the average does not depend on the direction
  if (b <= 0) return 0.0;
  if (a >= 1) return 1.0;
  if (a == b) return a;  // 0 < a < 1 here
  const double m = b - a;
  const double t0 = a < 0 ? -a / m : 0.0;       // where the line rises through 0
  const double t1 = b > 1 ? (1 - a) / m : 1.0;  // where it rises through 1
  const double v0 = a < 0 ? 0.0 : a;
  const double v1 = b > 1 ? 1.0 : b;
  return 0.5 * (v0 + v1) * (t1 - t0) + (1.0 - t1);
}

// One edge's stretch across one window column: s at its left and right ends,
// and its width signed by the edge's direction (+ right-to-left, - left-to-right).
struct Piece {
  std::size_t col;
  double s_left, s_right, signed_dx;
};

// Cuts an edge at the column lines of the window and hands each piece to
// `sink`, from left to right. Columns outside the window
// are not reported and need nothing from the rest of the edge (the formula is
// local in x), so the edge is clipped to the window's columns.
template <typename PieceSink>
void cut_edge(const CellPoint& a, const CellPoint& b, std::size_t cols, PieceSink&& sink) {
  if (a.u == b.u) return;  // vertical: no x extent, no contribution
  const double sign = b.u < a.u ? 1.0 : -1.0;
  const CellPoint& left = a.u < b.u ? a : b;
  const CellPoint& right = a.u < b.u ? b : a;
  const double u_lo = std::max(left.u, 0.0);
  const double u_hi = std::min(right.u, static_cast<double>(cols));
  if (!(u_lo < u_hi)) return;
  // s on the edge; the end points are returned exactly so that pieces meet
  // the neighbouring edges at the shared vertex.
  auto s_at = [&](double u) {
    if (u == left.u) return left.s;
    if (u == right.u) return right.s;
    return left.s + (right.s - left.s) * ((u - left.u) / (right.u - left.u));
  };
  const auto c_first = static_cast<std::size_t>(std::floor(u_lo));
  const auto c_end = std::min(cols, static_cast<std::size_t>(std::ceil(u_hi)));
  for (std::size_t c = c_first; c < c_end; ++c) {
    const double ua = std::max(left.u, static_cast<double>(c));
    const double ub = std::min(right.u, static_cast<double>(c + 1));
    if (ub > ua) sink(Piece{c, s_at(ua), s_at(ub), sign * (ub - ua)});
  }
}

// Adds a piece's contribution to the rows of its column: `partial` for the
// rows it crosses, `full_diff` (a downward difference array) for the rows
// wholly below it.
void add_piece(const Piece& p, std::vector<double>& partial, std::vector<double>& full_diff) {
  const double rows = static_cast<double>(partial.size());
  const double s_min = std::min(p.s_left, p.s_right), s_max = std::max(p.s_left, p.s_right);
  // The first row whose top is at or below the whole piece: it and every row
  // under it get the full height. Rows above the window are folded into the
  // window's top row, so an edge above the grid still fills the grid rows
  // beneath it; rows below the window are cut off.
  const double first_full = std::ceil(s_max);
  if (first_full < rows) full_diff[first_full <= 0 ? 0 : static_cast<std::size_t>(first_full)] += p.signed_dx;
  // Rows the piece crosses, clipped to the window: the height of the part of
  // the cell below the edge, 1 - clamp(s - r, 0, 1), integrated exactly.
  const double r_lo = std::max(std::floor(s_min), 0.0);
  const double r_hi = std::min(first_full, rows);
  for (double r = r_lo; r < r_hi; r += 1.0)
    partial[static_cast<std::size_t>(r)] += p.signed_dx * (1.0 - mean_clamp01(p.s_left - r, p.s_right - r));
}

}  // namespace

CoverageWindow polygon_coverage(const raster::Grid& grid, const std::vector<PolygonRings>& polygons) {
  // Oriented rings; the holes of a degenerate exterior are dropped with it
  // (a valid hole lies inside its exterior, so it bounds nothing either).
  std::vector<Ring> rings;
  for (const PolygonRings& p : polygons) {
    Ring ext = oriented_ring(p.exterior, true);
    if (ext.empty()) continue;
    rings.push_back(std::move(ext));
    for (const Ring& h : p.holes) {
      Ring hole = oriented_ring(h, false);
      if (!hole.empty()) rings.push_back(std::move(hole));
    }
  }
  CoverageWindow out;
  if (rings.empty() || grid.rows() == 0 || grid.cols() == 0) return out;

  double bx0 = rings.front().front().first, bx1 = bx0;
  double by0 = rings.front().front().second, by1 = by0;
  for (const Ring& ring : rings)
    for (const auto& [x, y] : ring) {
      bx0 = std::min(bx0, x), bx1 = std::max(bx1, x);
      by0 = std::min(by0, y), by1 = std::max(by1, y);
    }
  // The cells the bounding box overlaps with positive area, clipped to the grid.
  const double cell_m = grid.cell_size();
  const double c0 = std::max(std::floor((bx0 - grid.xmin()) / cell_m), 0.0);
  const double c1 = std::min(std::ceil((bx1 - grid.xmin()) / cell_m), static_cast<double>(grid.cols()));
  const double r0 = std::max(std::floor((grid.ymax() - by1) / cell_m), 0.0);
  const double r1 = std::min(std::ceil((grid.ymax() - by0) / cell_m), static_cast<double>(grid.rows()));
  if (!(c0 < c1 && r0 < r1)) return out;

  out.col0 = static_cast<std::size_t>(c0);
  out.row0 = static_cast<std::size_t>(r0);
  out.cols = static_cast<std::size_t>(c1) - out.col0;
  out.rows = static_cast<std::size_t>(r1) - out.row0;

  // Window-local cell units keep the numbers small (projected coordinates are
  // ~1e6 m) and make cell lines integers.
  const double u_origin = grid.xmin() + c0 * cell_m;
  const double s_origin = grid.ymax() - r0 * cell_m;
  std::vector<std::vector<CellPoint>> cell_rings;
  for (const Ring& ring : rings) {
    std::vector<CellPoint>& pts = cell_rings.emplace_back();
    pts.reserve(ring.size());
    for (const auto& [x, y] : ring) pts.push_back({(x - u_origin) / cell_m, (s_origin - y) / cell_m});
  }
  auto for_each_piece = [&](auto&& sink) {
    for (const std::vector<CellPoint>& pts : cell_rings)
      for (std::size_t i = 0; i < pts.size(); ++i) cut_edge(pts[i], pts[(i + 1) % pts.size()], out.cols, sink);
  };

  // Group the pieces by column (cut the edges twice: count, then place; the
  // order within a column, and with it the rounding, is reproducible) and
  // accumulate one column at a time in two buffers of one column's height.
  // Whole-window double accumulators would be 16 bytes a cell allocated and
  // freed for every village territory, and the page faults of that cost more
  // than the arithmetic.
  std::vector<std::size_t> col_start(out.cols + 1, 0);
  for_each_piece([&](const Piece& p) { ++col_start[p.col + 1]; });
  for (std::size_t c = 0; c < out.cols; ++c) col_start[c + 1] += col_start[c];
  std::vector<Piece> by_col(col_start.back());
  {
    std::vector<std::size_t> next(col_start.begin(), col_start.end() - 1);
    for_each_piece([&](const Piece& p) { by_col[next[p.col]++] = p; });
  }
  out.fraction.assign(out.rows * out.cols, 0.0f);
  std::vector<double> partial(out.rows), full_diff(out.rows);
  for (std::size_t c = 0; c < out.cols; ++c) {
    if (col_start[c] == col_start[c + 1]) continue;  // no edge over this column: all zero
    std::fill(partial.begin(), partial.end(), 0.0);
    std::fill(full_diff.begin(), full_diff.end(), 0.0);
    for (std::size_t i = col_start[c]; i < col_start[c + 1]; ++i) add_piece(by_col[i], partial, full_diff);
    // Accumulate the full-height contributions down the column and add the
    // partial ones. Rounding can leave a hair below 0 or above 1: clamp.
    double full = 0;
    for (std::size_t r = 0; r < out.rows; ++r) {
      full += full_diff[r];
      out.fraction[r * out.cols + c] = static_cast<float>(std::clamp(full + partial[r], 0.0, 1.0));
    }
  }
  return out;
}

namespace {

Ring ring_coordinates(GEOSContextHandle_t ctx, const GEOSGeometry* ring) {
  const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
  unsigned int n = 0;
  if (seq == nullptr || GEOSCoordSeq_getSize_r(ctx, seq, &n) == 0)
    throw core::InternalError("GEOS could not give the coordinates of a polygon ring");
  Ring out;
  out.reserve(n);
  for (unsigned int i = 0; i < n; ++i) {
    double x = 0, y = 0;
    if (GEOSCoordSeq_getXY_r(ctx, seq, i, &x, &y) == 0)
      throw core::InternalError("GEOS could not give vertex " + std::to_string(i) + " of a polygon ring");
    out.emplace_back(x, y);
  }
  return out;
}

PolygonRings polygon_rings(GEOSContextHandle_t ctx, const GEOSGeometry* polygon) {
  PolygonRings out;
  const GEOSGeometry* exterior = GEOSGetExteriorRing_r(ctx, polygon);
  const int holes = GEOSGetNumInteriorRings_r(ctx, polygon);
  if (exterior == nullptr || holes < 0) throw core::InternalError("GEOS could not give the rings of a polygon");
  out.exterior = ring_coordinates(ctx, exterior);
  for (int i = 0; i < holes; ++i) {
    const GEOSGeometry* hole = GEOSGetInteriorRingN_r(ctx, polygon, i);
    if (hole == nullptr) throw core::InternalError("GEOS could not give hole " + std::to_string(i) + " of a polygon");
    out.holes.push_back(ring_coordinates(ctx, hole));
  }
  return out;
}

}  // namespace

std::vector<PolygonRings> rings_from_geos(GEOSContextHandle_t ctx, const GEOSGeometry* geometry) {
  std::vector<PolygonRings> out;
  if (geometry == nullptr) return out;
  const char empty = GEOSisEmpty_r(ctx, geometry);
  if (empty == 2) throw core::InternalError("GEOS could not tell whether a territory polygon is empty");
  if (empty == 1) return out;
  const int type = GEOSGeomTypeId_r(ctx, geometry);
  if (type == GEOS_POLYGON) {
    out.push_back(polygon_rings(ctx, geometry));
  } else if (type == GEOS_MULTIPOLYGON) {
    const int parts = GEOSGetNumGeometries_r(ctx, geometry);
    if (parts < 0) throw core::InternalError("GEOS could not count the parts of a multipolygon");
    for (int i = 0; i < parts; ++i) {
      const GEOSGeometry* part = GEOSGetGeometryN_r(ctx, geometry, i);
      if (part == nullptr)
        throw core::InternalError("GEOS could not give part " + std::to_string(i) + " of a multipolygon");
      const char part_empty = GEOSisEmpty_r(ctx, part);
      if (part_empty == 2) throw core::InternalError("GEOS could not tell whether a multipolygon part is empty");
      if (part_empty == 1) continue;
      out.push_back(polygon_rings(ctx, part));
    }
  }
  return out;
}

}  // namespace relocplan::criteria
