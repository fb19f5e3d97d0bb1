// Splitting large site patches: cutting a patch along the block lattice into
// pieces of one block each, finding which pieces share a block edge, and
// merging pieces that are too small into their largest neighbour.

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "relocplan/core/error.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/sites/geos_util.hpp"
#include "relocplan/sites/patch_steps.hpp"

namespace relocplan::sites {

using vector::GeomPtr;

namespace {

struct BlockRange {
  std::int64_t i0 = 0, i1 = 0, j0 = 0, j1 = 0;  // [i0, i1) x [j0, j1)
};

struct Interval {
  double lo = 0, hi = 0;
};

struct Piece {
  GeomPtr geom;
  std::int64_t bi = 0, bj = 0;  // block
  double area = 0;
  Envelope env;
  std::size_t key = 0;  // scan-order index of the first original piece it holds
  bool alive = true;
  // Where the boundary runs along the block's west, east, north and south edges.
  std::array<std::vector<Interval>, 4> sides;
};
enum Side { west = 0, east = 1, north = 2, south = 3 };

// Calls f(x1, y1, x2, y2) for every segment of every ring of a (multi)polygon.
template <typename F>
void for_each_segment(GEOSContextHandle_t ctx, const GEOSGeometry* g, F&& f) {
  const int parts = count_parts(ctx, g);
  for (int p = 0; p < parts; ++p) {
    const GEOSGeometry* poly = part_of(ctx, g, p);
    const int holes = GEOSGetNumInteriorRings_r(ctx, poly);
    if (holes < 0) throw core::InternalError("GEOS failed to count the holes of a polygon");
    for (int r = -1; r < holes; ++r) {
      const GEOSGeometry* ring = r < 0 ? GEOSGetExteriorRing_r(ctx, poly) : GEOSGetInteriorRingN_r(ctx, poly, r);
      if (!ring) throw core::InternalError("GEOS failed to access a ring");
      const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
      unsigned int n = 0;
      if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &n)) throw core::InternalError("GEOS failed to read a ring");
      double px = 0, py = 0;
      for (unsigned int i = 0; i < n; ++i) {
        double x = 0, y = 0;
        if (!GEOSCoordSeq_getXY_r(ctx, seq, i, &x, &y)) throw core::InternalError("GEOS failed to read a ring");
        if (i > 0) f(px, py, x, y);
        px = x;
        py = y;
      }
    }
  }
}

// Narrows `r` to the blocks the envelope reaches. `slack` (in blocks) keeps
// a vertex that rounding left a hair beyond a block edge from pulling in a
// block holding nothing of the geometry.
BlockRange blocks_of(const Envelope& e, const BlockLattice& lat, BlockRange r) {
  constexpr double slack = 1e-9;
  const double side = lat.side();
  const auto lo = [](double v) { return static_cast<std::int64_t>(std::floor(v + slack)); };
  const auto hi = [](double v) { return static_cast<std::int64_t>(std::ceil(v - slack)); };
  BlockRange out;
  out.i0 = std::max(r.i0, lo((lat.y0 - e.maxy) / side));
  out.i1 = std::min(r.i1, hi((lat.y0 - e.miny) / side));
  out.j0 = std::max(r.j0, lo((e.minx - lat.x0) / side));
  out.j1 = std::min(r.j1, hi((e.maxx - lat.x0) / side));
  out.i0 = std::min(out.i0, r.i1 - 1);
  out.j0 = std::min(out.j0, r.j1 - 1);
  out.i1 = std::max(out.i1, out.i0 + 1);
  out.j1 = std::max(out.j1, out.j0 + 1);
  return out;
}

// Cuts `g` recursively along block edges until each piece lies in one
// block. Each step cuts the block range into up to kFan x kFan sub-ranges:
// an intersection with a rectangle scans the whole parent but nodes only what
// falls inside, so few levels with several cuts each are cheaper than halving
// (O(vertices x log(blocks)) either way; clipping every block from the whole
// patch would cost O(vertices x blocks)). Only the cuts lie on block edges;
// the outer sides of the clipping rectangles reach beyond the geometry, so
// rounding there cannot shave anything off.
constexpr std::int64_t kFan = 4;

void cut_into_blocks(const SplitContext& sc, GeomPtr g, BlockRange range, std::vector<Piece>& out) {
  GEOSContextHandle_t ctx = sc.ctx;
  const Envelope e = envelope_of(ctx, g.get());
  range = blocks_of(e, sc.lattice, range);
  const std::int64_t rows = range.i1 - range.i0, cols = range.j1 - range.j0;
  if (rows == 1 && cols == 1) {
    if (sc.progress) sc.progress->update(sc.progress_at);  // lets Ctrl-C stop a huge patch
    const int parts = count_parts(ctx, g.get());
    for (int p = 0; p < parts; ++p) {
      const GEOSGeometry* poly = part_of(ctx, g.get(), p);
      if (GEOSGeomTypeId_r(ctx, poly) != GEOS_POLYGON || is_empty(ctx, poly)) continue;
      Piece piece;
      piece.geom = clone(ctx, poly);
      piece.bi = range.i0;
      piece.bj = range.j0;
      piece.area = area_of(ctx, poly);
      piece.env = envelope_of(ctx, poly);
      if (piece.area > 0) out.push_back(std::move(piece));
    }
    return;
  }
  const Envelope outer = e.expanded(sc.margin_m);
  const std::int64_t row_groups = std::min(kFan, rows), col_groups = std::min(kFan, cols);
  for (std::int64_t gi = 0; gi < row_groups; ++gi) {
    for (std::int64_t gj = 0; gj < col_groups; ++gj) {
      BlockRange sub;
      sub.i0 = range.i0 + rows * gi / row_groups;
      sub.i1 = range.i0 + rows * (gi + 1) / row_groups;
      sub.j0 = range.j0 + cols * gj / col_groups;
      sub.j1 = range.j0 + cols * (gj + 1) / col_groups;
      Envelope box = outer;
      if (gi > 0) box.maxy = sc.lattice.y_of(sub.i0);
      if (gi + 1 < row_groups) box.miny = sc.lattice.y_of(sub.i1);
      if (gj > 0) box.minx = sc.lattice.x_of(sub.j0);
      if (gj + 1 < col_groups) box.maxx = sc.lattice.x_of(sub.j1);
      if (box.minx >= box.maxx || box.miny >= box.maxy) continue;  // the geometry does not reach it
      const GeomPtr rect = rectangle(ctx, box);
      const GeomPtr clipped = checked(ctx, GEOSIntersection_r(ctx, g.get(), rect.get()), "cut a patch into blocks");
      GeomPtr part = polygonal_part(ctx, clipped.get());
      if (!is_empty(ctx, part.get())) cut_into_blocks(sc, std::move(part), sub, out);
    }
  }
}

// Sorts and joins overlapping intervals.
void normalise(std::vector<Interval>& v) {
  std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) {
    return a.lo < b.lo || (a.lo == b.lo && a.hi < b.hi);
  });
  std::vector<Interval> out;
  for (const Interval& i : v) {
    if (!out.empty() && i.lo <= out.back().hi)
      out.back().hi = std::max(out.back().hi, i.hi);
    else
      out.push_back(i);
  }
  v = std::move(out);
}

// Total length two normalised interval lists have in common.
double common_length(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  double total = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const double lo = std::max(a[i].lo, b[j].lo), hi = std::min(a[i].hi, b[j].hi);
    if (hi > lo) total += hi - lo;
    if (a[i].hi < b[j].hi)
      ++i;
    else
      ++j;
  }
  return total;
}

// Records where a piece's boundary runs along its block's edges. Two pieces
// of one patch can only share a boundary line along a block edge: within a
// block they are separate polygons of one clipping result, which touch at
// most at points.
void find_sides(GEOSContextHandle_t ctx, Piece& piece, const BlockLattice& lat, double eps_m) {
  const double xw = lat.x_of(piece.bj), xe = lat.x_of(piece.bj + 1);
  const double yn = lat.y_of(piece.bi), ys = lat.y_of(piece.bi + 1);
  const auto on = [eps_m](double v, double line) { return std::abs(v - line) <= eps_m; };
  for_each_segment(ctx, piece.geom.get(), [&](double x1, double y1, double x2, double y2) {
    const Interval along_y{std::min(y1, y2), std::max(y1, y2)}, along_x{std::min(x1, x2), std::max(x1, x2)};
    if (on(x1, xw) && on(x2, xw)) piece.sides[west].push_back(along_y);
    if (on(x1, xe) && on(x2, xe)) piece.sides[east].push_back(along_y);
    if (on(y1, yn) && on(y2, yn)) piece.sides[north].push_back(along_x);
    if (on(y1, ys) && on(y2, ys)) piece.sides[south].push_back(along_x);
  });
  for (auto& s : piece.sides) normalise(s);
}

}  // namespace

std::vector<GeomPtr> split_patch(const SplitContext& sc, const raster::Grid& grid, GeomPtr patch, double small_m2) {
  GEOSContextHandle_t ctx = sc.ctx;
  const double eps_m = 1e-6 * grid.cell_size();

  std::vector<Piece> pieces;
  constexpr auto open = std::numeric_limits<std::int64_t>::max() / 4;
  cut_into_blocks(sc, std::move(patch), BlockRange{-open, open, -open, open}, pieces);
  // Scan order: block rows from the north, blocks from the west, and within
  // a block the piece reaching furthest north (then west) first.
  // (Stable: exact ties keep the deterministic order the cutting made.)
  std::stable_sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) {
    if (a.bi != b.bi) return a.bi < b.bi;
    if (a.bj != b.bj) return a.bj < b.bj;
    if (a.env.maxy != b.env.maxy) return a.env.maxy > b.env.maxy;
    return a.env.minx < b.env.minx;
  });
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    pieces[i].key = i;
    find_sides(ctx, pieces[i], sc.lattice, eps_m);
  }

  // Neighbours sharing a boundary line, with the length they share: only
  // pieces of the block to the east and to the south need checking.
  std::vector<std::map<std::size_t, double>> shared(pieces.size());
  const auto block_less = [](const Piece& p, std::pair<std::int64_t, std::int64_t> b) {
    return std::make_pair(p.bi, p.bj) < b;
  };
  const auto link = [&](std::size_t a, std::int64_t bi, std::int64_t bj, Side from, Side to) {
    auto it = std::lower_bound(pieces.begin(), pieces.end(), std::make_pair(bi, bj), block_less);
    for (; it != pieces.end() && it->bi == bi && it->bj == bj; ++it) {
      const auto b = static_cast<std::size_t>(it - pieces.begin());
      const double length = common_length(pieces[a].sides[from], it->sides[to]);
      if (length > eps_m) {
        shared[a][b] += length;
        shared[b][a] += length;
      }
    }
  };
  for (std::size_t a = 0; a < pieces.size(); ++a) {
    link(a, pieces[a].bi, pieces[a].bj + 1, east, west);
    link(a, pieces[a].bi + 1, pieces[a].bj, south, north);
  }

  const auto merge = [&](std::size_t from, std::size_t into) {
    Piece& s = pieces[from];
    Piece& t = pieces[into];
    GeomPtr united = checked(ctx, GEOSUnion_r(ctx, t.geom.get(), s.geom.get()), "merge a small site piece");
    t.geom = valid_polygonal(ctx, polygonal_part(ctx, united.get()));
    t.area = area_of(ctx, t.geom.get());
    t.env = t.env.united(s.env);
    t.key = std::min(t.key, s.key);
    for (const auto& [n, length] : shared[from]) {
      if (n == into) continue;
      shared[into][n] += length;
      shared[n].erase(from);
      shared[n][into] += length;
    }
    shared[into].erase(from);
    shared[from].clear();
    s.alive = false;
    s.geom.reset();
  };

  // Small pieces join their largest neighbour sharing a boundary line (ties:
  // the lowest piece index, i.e. first in scan order); a piece sharing no
  // line with another joins the largest piece that touches it at a point or
  // lies within near_m (a part of the patch that simplification pulled away).
  // Passes repeat until nothing changes, since a merge can leave a piece
  // still small.
  for (bool merged = true; merged;) {
    merged = false;
    for (std::size_t s = 0; s < pieces.size(); ++s) {
      if (!pieces[s].alive || pieces[s].area >= small_m2) continue;
      std::size_t best = pieces.size();
      for (const auto& [n, length] : shared[s])
        if (best == pieces.size() || pieces[n].area > pieces[best].area) best = n;
      if (best == pieces.size()) {
        const double near_m = std::max(sc.near_m, eps_m);
        const Envelope near = pieces[s].env.expanded(near_m);
        for (std::size_t n = 0; n < pieces.size(); ++n) {
          if (n == s || !pieces[n].alive || !near.intersects(pieces[n].env)) continue;
          double distance = 0;
          if (!GEOSDistance_r(ctx, pieces[s].geom.get(), pieces[n].geom.get(), &distance))
            throw core::InternalError("GEOS failed to measure the distance between site pieces");
          if (distance <= near_m && (best == pieces.size() || pieces[n].area > pieces[best].area)) best = n;
        }
      }
      if (best == pieces.size()) continue;  // isolated: dropped below if still small
      merge(s, best);
      merged = true;
    }
  }

  std::vector<Piece*> kept;
  for (Piece& p : pieces)
    if (p.alive && p.area >= small_m2) kept.push_back(&p);
  std::sort(kept.begin(), kept.end(), [](const Piece* a, const Piece* b) { return a->key < b->key; });
  std::vector<GeomPtr> out;
  out.reserve(kept.size());
  for (Piece* p : kept) out.push_back(std::move(p->geom));
  return out;
}

}  // namespace relocplan::sites
