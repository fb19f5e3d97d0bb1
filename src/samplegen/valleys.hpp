#pragma once
// relocplan-samplegen: rivers, basins and valley segments: a river's
// polyline with its drainage area, bed and floor widths; the basins (wide
// flat valley floors); and the straight valley pieces (Seg) with the wall
// profile across them, which the DEM is carved from.

#include "common.hpp"
#include "noise.hpp"

namespace relocplan::samplegen {

// ---------------------------------------------------------------------------
// Rivers, valleys and basins

struct Pt {
  double x;
  double v;
};

struct River {
  int order = 4;  // 1: main river (>= 200 km2) ... 4: gully (< 3 km2)
  int parent = -1;
  size_t parentVertex = 0;
  std::vector<Pt> p;  // p[0] is the mouth (downstream end)
  std::vector<double> s;
  std::vector<double> area;  // drainage area (km2)
  std::vector<double> zf;    // filled coarse terrain along the path
  std::vector<double> bed;
  std::vector<double> hwL;
  std::vector<double> hwR;
  std::vector<double> T;
  std::vector<int> basinAt;  // basin index per vertex or -1
  double length() const { return s.empty() ? 0.0 : s.back(); }
};

inline int orderForArea(double a) { return a >= 200.0 ? 1 : a >= 20.0 ? 2 : a >= 3.0 ? 3 : 4; }

struct Basin {
  int river;
  double sc;
  double halfLen;
  double peak;
  double fL, fR;
  Pt centre;
};

// A straight piece of a valley: bed along the centre line plus a wall
// profile across it.
struct Seg {
  float ax, av, ux, uv;  // start point and direction (local metres)
  double len2;
  float bedA, bedB;      // bed elevation at both ends (m)
  float hwL, hwR;  // floor half-width left / right of the centre line (m)
  float T;         // width of the rounded wall foot (m)
  float S;         // wall gradient (m/m)
  float fs;        // cross gradient of the floor (m/m)
  float c, cw;     // channel depth and half-width (m)
  int river;
  int basin;
};

inline double wallf(double d, double hw, const Seg& g) {
  double r = g.fs * d;
  if (d < g.cw) {
    const double q = 1.0 - d / g.cw;
    r -= g.c * q * q;
  }
  const double e = d - hw;
  if (e > 0.0) r += (e < g.T) ? g.S * e * e / (2.0 * g.T) : g.S * (e - 0.5 * g.T);
  return r;
}

struct SegHit {
  double value;
  double d;
  double bed;
  double hw;
};

// pert: wall perturbation at (x, v) in metres, |pert| <= kWallPert; it
// shifts the distance on the walls only, making spurs and re-entrants.
inline constexpr double kWallPert = 110.0;

inline SegHit segEval(const Seg& g, double x, double v, double pert) {
  const double px = x - g.ax;
  const double pv = v - g.av;
  double t = (px * g.ux + pv * g.uv) / g.len2;
  t = std::clamp(t, 0.0, 1.0);
  const double qx = px - t * g.ux;
  const double qv = pv - t * g.uv;
  const double d = std::sqrt(qx * qx + qv * qv);
  // side of the centre line; blended over 60 m so that the width is
  // continuous where the line's extension passes beyond a vertex
  const double lateral = (g.ux * pv - g.uv * px) / std::sqrt(g.len2);
  const double side = std::clamp(lateral / 60.0, -1.0, 1.0);
  const double hw = 0.5 * (g.hwL + g.hwR) + 0.5 * side * (g.hwL - g.hwR);
  const double bed = g.bedA + t * (g.bedB - g.bedA);
  const double deff = std::max(0.0, d + pert * smoothstep(hw, hw + 150.0, d));
  return SegHit{bed + wallf(deff, hw, g), d, bed, hw};
}

inline double pointSegDist(const Seg& g, double x, double v) {
  const double px = x - g.ax;
  const double pv = v - g.av;
  double t = (px * g.ux + pv * g.uv) / g.len2;
  t = std::clamp(t, 0.0, 1.0);
  const double qx = px - t * g.ux;
  const double qv = pv - t * g.uv;
  return std::sqrt(qx * qx + qv * qv);
}

}  // namespace relocplan::samplegen
