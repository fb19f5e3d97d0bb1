// relocplan-samplegen: writes a deterministic, synthetic karst mountain county
// (southern Guizhou style) for demonstrations and tests of relocplan.
//
//   relocplan-samplegen OUTDIR [--seed N] [--size-km K] [--cell-m C] [--villages N]
//
// Output (see samples/README.md):
//   OUTDIR/dem.tif              Float32 GeoTIFF, EPSG:4545, NoData -9999
//   OUTDIR/villages.csv         villages, lon/lat in EPSG:4490
//   OUTDIR/villages_4544.gpkg   the same villages as points in EPSG:4544
//   OUTDIR/landcover.tif        GlobeLand30 classes, 30 m, EPSG:32648
//   OUTDIR/fragility.tif        ecological fragility 0-1, 90 m, EPSG:4545
//   OUTDIR/hazard_points.shp    geohazard points, EPSG:4490
//   OUTDIR/layers.gpkg          planning layers, EPSG:4545
//
// The code is split into parts included below (gdalutil.hpp, features.hpp,
// water.hpp, roads.hpp, hazards.hpp, rasters.hpp, output.hpp).  Everything
// after the DEM and the villages is computed from the written DEM in tiles
// or windows, so memory stays bounded at province scale.
//
// Determinism: the same arguments give byte-identical files.  All randomness
// comes from our own splitmix64 / xoshiro256** generators and hash-based
// lattice noise; no std:: distributions, clocks, threads or unordered
// containers are used.  Every terrain value is a pure function of the cell's
// coordinates, so the DEM is written in independent strips of rows.

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>
#include <ogr_core.h>
#include <ogr_srs_api.h>

namespace {

constexpr const char* kProg = "relocplan-samplegen";
constexpr double kNoData = -9999.0;
constexpr double kPi = 3.14159265358979323846;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Coordinate reference systems of the outputs.  EPSG:4545 is "CGCS2000 /
// 3-degree Gauss-Kruger CM 108E", the zone of the area (107.3 E); EPSG:4544 is
// "... CM 105E", the neighbouring zone, for the projected copy of the villages
// (data delivered in another zone, as happens); EPSG:4490 is CGCS2000 lon/lat.
constexpr int kDemEpsg = 4545;
constexpr int kCopyEpsg = 4544;
constexpr int kGeoEpsg = 4490;

// ---------------------------------------------------------------------------
// Errors

struct Failure {
  std::string what;
  std::string detail;
};

[[noreturn]] void fail(const std::string& what, const std::string& detail) {
  throw Failure{what, detail};
}

std::string gdalMessage() {
  const char* m = CPLGetLastErrorMsg();
  if (m != nullptr && *m != '\0') return m;
  return "unknown GDAL error";
}

[[noreturn]] void failGdal(const std::string& what) { fail(what, gdalMessage()); }

void CPL_STDCALL errorHandler(CPLErr cls, CPLErrorNum /*num*/, const char* msg) {
  // Failures are reported by the caller (with context); warnings are shown.
  if (cls == CE_Warning && msg != nullptr)
    std::fprintf(stderr, "%s: GDAL warning: %s\n", kProg, msg);
}

// ---------------------------------------------------------------------------
// Deterministic random numbers

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline uint64_t splitmix64(uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  return mix64(state);
}

inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// xoshiro256** seeded through splitmix64; one independent stream per purpose.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t st = seed ^ mix64(stream + 0x632BE59BD9B4E019ULL);
    for (auto& w : s_) w = splitmix64(st);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // [0, 1)
  double uni() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double range(double lo, double hi) { return lo + (hi - lo) * uni(); }
  // integer in [lo, hi]
  int64_t irange(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(next() % span);
  }
  bool chance(double p) { return uni() < p; }
  // standard normal (Box-Muller, no caching)
  double normal() {
    const double u1 = 1.0 - uni();  // (0, 1]
    const double u2 = uni();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  }

 private:
  std::array<uint64_t, 4> s_{};
};

// ---------------------------------------------------------------------------
// Lattice noise: a pure function of (coordinates, salt).

inline uint64_t hash2(int64_t i, int64_t j, uint64_t salt) {
  return mix64(static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL +
               mix64(static_cast<uint64_t>(j) ^ salt));
}

struct GradTable {
  std::array<double, 16> gx{};
  std::array<double, 16> gy{};
  GradTable() {
    for (int k = 0; k < 16; ++k) {
      const double a = 2.0 * kPi * (k + 0.5) / 16.0;
      gx[static_cast<size_t>(k)] = std::cos(a);
      gy[static_cast<size_t>(k)] = std::sin(a);
    }
  }
};
const GradTable kGrad;

inline double fade(double t) { return t * t * t * (t * (t * 6.0 - 15.0) + 10.0); }

// 2-D gradient noise, roughly in [-1, 1].
double gnoise(double x, double y, uint64_t salt) {
  const double fx = std::floor(x);
  const double fy = std::floor(y);
  const auto ix = static_cast<int64_t>(fx);
  const auto iy = static_cast<int64_t>(fy);
  const double dx = x - fx;
  const double dy = y - fy;
  auto grad = [&](int64_t i, int64_t j, double px, double py) {
    const auto h = static_cast<size_t>(hash2(i, j, salt) & 15u);
    return kGrad.gx[h] * px + kGrad.gy[h] * py;
  };
  const double n00 = grad(ix, iy, dx, dy);
  const double n10 = grad(ix + 1, iy, dx - 1.0, dy);
  const double n01 = grad(ix, iy + 1, dx, dy - 1.0);
  const double n11 = grad(ix + 1, iy + 1, dx - 1.0, dy - 1.0);
  const double u = fade(dx);
  const double w = fade(dy);
  const double a = n00 + u * (n10 - n00);
  const double b = n01 + u * (n11 - n01);
  return 1.41 * (a + w * (b - a));
}

// 1-D gradient noise, roughly in [-1, 1].
double gnoise1(double x, uint64_t salt) {
  const double fx = std::floor(x);
  const auto ix = static_cast<int64_t>(fx);
  const double dx = x - fx;
  auto grad = [&](int64_t i) {
    return static_cast<double>(static_cast<int64_t>(hash2(i, 0, salt) & 0xFFFF) - 32768) / 32768.0;
  };
  const double n0 = grad(ix) * dx;
  const double n1 = grad(ix + 1) * (dx - 1.0);
  return 2.0 * (n0 + fade(dx) * (n1 - n0));
}

// fractional Brownian motion, normalised to roughly [-1, 1]
double fbm(double x, double y, int octaves, uint64_t salt, double gain = 0.5) {
  double sum = 0.0;
  double amp = 1.0;
  double norm = 0.0;
  for (int i = 0; i < octaves; ++i) {
    sum += amp * gnoise(x, y, salt + static_cast<uint64_t>(i) * 0x1000193ULL);
    norm += amp;
    amp *= gain;
    x = x * 2.03 + 17.13;
    y = y * 2.03 - 9.71;
  }
  return sum / norm;
}

// ridged noise: sharp crests, detail everywhere; roughly in [-0.5, 0.5]
double ridged(double x, double y, int octaves, uint64_t salt) {
  double sum = 0.0;
  double amp = 1.0;
  double norm = 0.0;
  for (int i = 0; i < octaves; ++i) {
    double n = 1.0 - std::fabs(gnoise(x, y, salt + static_cast<uint64_t>(i) * 0x51ED27ULL));
    sum += amp * (n * n - 0.45);
    norm += amp;
    amp *= 0.5;
    x = x * 2.03 + 31.7;
    y = y * 2.03 - 12.9;
  }
  return sum / norm;
}

inline double smoothstep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

// polynomial smooth minimum
inline double smin(double a, double b, double k) {
  const double h = std::max(k - std::fabs(a - b), 0.0);
  return std::min(a, b) - h * h / (4.0 * k);
}

inline double wrapAngle(double a) {
  while (a > kPi) a -= 2.0 * kPi;
  while (a < -kPi) a += 2.0 * kPi;
  return a;
}

// ---------------------------------------------------------------------------
// Options

struct Options {
  std::string outdir;
  uint64_t seed = 20161;
  double sizeKm = 60.0;
  double cellM = 30.0;
  long villages = -1;  // -1: 600 per 3600 km2
};

void usage(std::FILE* f) {
  std::fprintf(f,
               "usage: %s OUTDIR [--seed N] [--size-km K] [--cell-m C] [--villages N]\n"
               "Writes a synthetic karst county: OUTDIR/dem.tif, villages.csv, villages_4544.gpkg,\n"
               "landcover.tif, fragility.tif, hazard_points.shp and layers.gpkg (see samples/README.md).\n"
               "Defaults: --seed 20161 --size-km 60 --cell-m 30,\n"
               "--villages 600 per 3600 km2 of area.  The same arguments give identical files.\n",
               kProg);
}

[[noreturn]] void usageError(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", kProg, msg.c_str());
  usage(stderr);
  std::exit(2);
}

Options parseArgs(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto numArg = [&](size_t& i, const std::string& name, std::string& out) {
    const std::string& a = args[i];
    if (a.size() > name.size() && a.compare(0, name.size() + 1, name + "=") == 0) {
      out = a.substr(name.size() + 1);
      return true;
    }
    if (a == name) {
      if (i + 1 >= args.size()) usageError("missing value for " + name);
      out = args[++i];
      return true;
    }
    return false;
  };
  auto parseNumber = [](const std::string& name, const std::string& s) {
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (s.empty() || end == nullptr || *end != '\0' || !std::isfinite(d))
      usageError("invalid value for " + name + ": " + s);
    return d;
  };
  auto parseCount = [](const std::string& name, const std::string& s) {
    char* end = nullptr;
    if (s.empty() || s[0] == '-') usageError("invalid value for " + name + ": " + s);
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (end == nullptr || *end != '\0') usageError("invalid value for " + name + ": " + s);
    return static_cast<uint64_t>(v);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string val;
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      std::exit(0);
    } else if (numArg(i, "--seed", val)) {
      o.seed = parseCount("--seed", val);
    } else if (numArg(i, "--size-km", val)) {
      o.sizeKm = parseNumber("--size-km", val);
    } else if (numArg(i, "--cell-m", val)) {
      o.cellM = parseNumber("--cell-m", val);
    } else if (numArg(i, "--villages", val)) {
      o.villages = static_cast<long>(parseCount("--villages", val));
    } else if (!a.empty() && a[0] == '-') {
      usageError("unknown option " + a);
    } else if (o.outdir.empty()) {
      o.outdir = a;
    } else {
      usageError("more than one OUTDIR given");
    }
  }
  if (o.outdir.empty()) usageError("OUTDIR is required");
  if (o.sizeKm < 10.0 || o.sizeKm > 1000.0) usageError("--size-km must be between 10 and 1000");
  if (o.cellM < 5.0 || o.cellM > 500.0) usageError("--cell-m must be between 5 and 500");
  if (o.sizeKm * 1000.0 / o.cellM > 100000.0) usageError("raster would exceed 100000 x 100000 cells");
  const double areaKm2 = o.sizeKm * o.sizeKm;
  if (o.villages < 0) o.villages = std::lround(600.0 * areaKm2 / 3600.0);
  if (o.villages < 1) usageError("--villages must be at least 1");
  if (static_cast<double>(o.villages) > areaKm2 / 2.0)
    usageError("--villages too large for the area (at most one village per 2 km2)");
  return o;
}

// ---------------------------------------------------------------------------
// Terrain without valleys: regional surface, NW-SE ranges with the main
// valleys between them, ridged hills, karst cone clusters.  Local
// coordinates: x east, v south (metres from the upper-left corner of the
// DEM); a = (x + v)/sqrt2 runs NW -> SE, b = (x - v)/sqrt2 runs SW -> NE.

struct RangeDef {
  double b0;
  double amp;
  double width;
  uint64_t salt;
};

struct TroughDef {
  double b0;
  uint64_t salt;
};

struct TerrainParts {
  double macro;  // smooth regional surface + ranges + main valleys
  double stopH;  // macro + hills (no cones): drives the drainage network
  double t;      // full un-carved terrain
};

class Terrain {
 public:
  Terrain(double width, double height, uint64_t seed) : W_(width), H_(height) {
    salt_ = mix64(seed ^ 0x7E11A1ULL);
    diag_ = (W_ + H_) * kInvSqrt2;
    Rng rng(seed, 11);
    const double bMax = std::min(W_, H_) * kInvSqrt2;
    std::vector<double> bs;
    for (int k = -40; k <= 40; ++k) {
      const double b = 15000.0 + 30000.0 * k;
      if (std::fabs(b) < bMax - 5000.0) bs.push_back(b);
    }
    if (bs.empty()) {
      bs.push_back(-0.45 * bMax);
      bs.push_back(0.45 * bMax);
    }
    for (size_t i = 0; i < bs.size(); ++i) {
      RangeDef r{};
      r.b0 = bs[i] + rng.range(-2500.0, 2500.0);
      r.amp = rng.range(470.0, 590.0);
      r.width = rng.range(4800.0, 6200.0);
      r.salt = salt_ + 1000 + 17 * i;
      ranges_.push_back(r);
    }
    for (int k = -40; k <= 40; ++k) {
      const double b = 30000.0 * k;
      if (std::fabs(b) <= std::max(0.0, bMax - 20000.0))
        troughs_.push_back(TroughDef{b + rng.range(-3000.0, 3000.0), salt_ + 5000 + 31 * static_cast<uint64_t>(k + 40)});
    }
  }

  // upper bound of the un-carved terrain (m)
  static double maxBound() { return 2600.0; }

  TerrainParts eval(double x, double v, bool withCones = true) const {
    const double a = (x + v) * kInvSqrt2;
    const double b = (x - v) * kInvSqrt2;
    // regional surface: higher in the NW, lower towards the SE
    double macro = 1160.0 + 160.0 * (0.5 - a / diag_) + 110.0 * fbm(x / 26000.0, v / 26000.0, 3, salt_ + 1);
    double rangeProf = 0.0;
    for (const RangeDef& r : ranges_) {
      if (std::fabs(b - r.b0) > 3000.0 + 4.0 * 1.3 * r.width) continue;
      const double cb = r.b0 + 2600.0 * gnoise1(a / 19000.0 + 0.37, r.salt);
      const double w = r.width * (1.0 + 0.25 * gnoise1(a / 23000.0 + 5.1, r.salt + 1));
      const double db = (b - cb) / w;
      const double amp = r.amp * (0.80 + 0.25 * gnoise1(a / 27000.0 + 9.7, r.salt + 2));
      const double p = std::exp(-db * db);
      rangeProf += p;
      macro += amp * p;
    }
    double trough = 0.0;
    for (const TroughDef& tr : troughs_) {
      if (std::fabs(b - tr.b0) > 40000.0) continue;
      const double cb = tr.b0 + 2000.0 * gnoise1(a / 16000.0, tr.salt) + 800.0 * gnoise1(a / 7900.0 + 0.3, tr.salt + 3) +
                        450.0 * gnoise1(a / 3200.0, tr.salt + 9);
      const double db = (b - cb) / 7000.0;
      trough += std::exp(-db * db);
    }
    trough = std::min(trough, 1.0);
    macro -= 300.0 * trough;
    // ridged hills with a NW-SE grain, domain-warped
    const double wx = x + 1800.0 * fbm(x / 8000.0, v / 8000.0, 2, salt_ + 10);
    const double wv = v + 1800.0 * fbm(x / 8000.0 + 31.7, v / 8000.0 + 11.3, 2, salt_ + 12);
    const double aa = (wx + wv) * kInvSqrt2;
    const double bb = (wx - wv) * kInvSqrt2;
    const double rid = ridged(aa / 7000.0, bb / 5000.0, 6, salt_ + 20);
    const double relief = std::clamp(
        0.45 + 0.50 * rangeProf + 0.45 * fbm(x / 16000.0, v / 16000.0, 2, salt_ + 30) - 0.15 * trough, 0.12, 1.0);
    const double hills = relief * (480.0 * rid + 120.0 * fbm(x / 2400.0, v / 2400.0, 4, salt_ + 25)) +
                         200.0 * fbm(wx / 6500.0, wv / 6500.0, 2, salt_ + 27);
    TerrainParts p{};
    p.macro = macro;
    p.stopH = macro + hills;
    p.t = p.stopH;
    if (withCones) {
      // karst cone clusters (fengcong)
      const double kmask = karstMask(x, v);
      if (kmask > 0.0) p.t += kmask * coneField(x, v);
    }
    // never reached in practice; guarantees the bound the valley index uses
    p.t = std::min(p.t, maxBound());
    return p;
  }

  // 0 outside, 1 inside the fengcong (cone karst) clusters
  double karstMask(double x, double v) const {
    const double km = fbm(x / 11000.0 + 5.2, v / 11000.0 - 3.1, 2, salt_ + 40);
    return smoothstep(-0.05, 0.25, km);
  }

 private:
  // Cockpit karst (fengcong-wadi): closed depressions around jittered
  // centres 380-600 m apart; the rims between them rise into cone peaks
  // where three or more depressions meet.  Height is continuous (F1 field).
  double coneField(double x, double v) const {
    constexpr double sp = 470.0;
    const double gx = x / sp;
    const double gv = v / sp;
    const auto ix = static_cast<int64_t>(std::floor(gx));
    const auto iv = static_cast<int64_t>(std::floor(gv));
    double f1 = kInf;
    for (int64_t dj = -1; dj <= 1; ++dj) {
      for (int64_t di = -1; di <= 1; ++di) {
        const uint64_t h = hash2(ix + di, iv + dj, salt_ + 77);
        const double u1 = static_cast<double>(h & 0xFFFF) / 65535.0;
        const double u2 = static_cast<double>((h >> 16) & 0xFFFF) / 65535.0;
        const double px = static_cast<double>(ix + di) + 0.1 + 0.8 * u1;
        const double pv = static_cast<double>(iv + dj) + 0.1 + 0.8 * u2;
        const double dx = gx - px;
        const double dv = gv - pv;
        f1 = std::min(f1, dx * dx + dv * dv);
      }
    }
    const double u = std::min(1.0, std::sqrt(f1) / 0.72);
    const double hgt = 170.0 + 70.0 * gnoise(x / 1700.0, v / 1700.0, salt_ + 78);
    return hgt * u * u * (3.0 - 2.0 * u);
  }

  double W_, H_, diag_;
  uint64_t salt_;
  std::vector<RangeDef> ranges_;
  std::vector<TroughDef> troughs_;
};

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

int orderForArea(double a) { return a >= 200.0 ? 1 : a >= 20.0 ? 2 : a >= 3.0 ? 3 : 4; }

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
constexpr double kWallPert = 110.0;

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

// ---------------------------------------------------------------------------
// The world: terrain + valley network + NoData void; evaluates DEM cells.

struct Probe {
  bool valid = false;
  double h = 0.0;
  double slope = 0.0;   // degrees
  double hand = 0.0;    // height above the nearest river bed (m)
  double dRiver = 0.0;  // distance to the nearest river centre-line (m)
  int order = 0;        // order of the nearest river
  int basin = -1;       // basin index if on a basin floor
};

class World {
 public:
  explicit World(const Options& o)
      : opt_(o),
        cell_(o.cellM),
        ncols_(static_cast<int>(std::lround(o.sizeKm * 1000.0 / o.cellM))),
        nrows_(ncols_),
        W_(ncols_ * cell_),
        H_(nrows_ * cell_),
        ter_(W_, H_, o.seed),
        wallSalt_(mix64(o.seed ^ 0xA11ULL)) {}

  void build() {
    buildRivers();
    computeBeds();
    placeBasins();
    computeWidths();
    buildSegments();
    for (int pass = 0; pass < 2; ++pass) {
      settleBeds();
      buildSegments();
    }
    chooseVoid();
    // the segments carry everything the DEM needs; keep only what village
    // placement uses
    for (River& r : rivers_) {
      std::vector<double>().swap(r.area);
      std::vector<double>().swap(r.zf);
      std::vector<double>().swap(r.bed);
      std::vector<double>().swap(r.T);
      std::vector<int>().swap(r.basinAt);
    }
  }

  int ncols() const { return ncols_; }
  int nrows() const { return nrows_; }
  double cell() const { return cell_; }
  double width() const { return W_; }
  double height() const { return H_; }
  const std::vector<River>& rivers() const { return rivers_; }
  const std::vector<Basin>& basins() const { return basins_; }
  const std::vector<Seg>& segments() const { return segs_; }
  double karst(double x, double v) const { return ter_.karstMask(x, v); }

  // Writes the cell values of rows [r0, r0 + nr) into buf (nr * ncols).
  void fillRows(int r0, int nr, std::vector<float>& buf) const {
    buf.assign(static_cast<size_t>(nr) * static_cast<size_t>(ncols_), 0.0f);
    std::vector<int> kept;
    const int nbx = (ncols_ + kFine - 1) / kFine;
    for (int br = r0 / kFine; br * kFine < r0 + nr; ++br) {
      for (int bc = 0; bc < nbx; ++bc) {
        fineBucket(bc, br, kept);
        const int rs = std::max(r0, br * kFine);
        const int re = std::min({r0 + nr, (br + 1) * kFine, nrows_});
        const int cs = bc * kFine;
        const int ce = std::min(ncols_, cs + kFine);
        for (int r = rs; r < re; ++r) {
          float* row = buf.data() + static_cast<size_t>(r - r0) * static_cast<size_t>(ncols_);
          for (int c = cs; c < ce; ++c) row[c] = cellValue(c, r, kept);
        }
      }
    }
  }

  // Value of one DEM cell (identical to what fillRows writes).
  float cellAt(int c, int r) const {
    const int64_t key = static_cast<int64_t>(r / kFine) * 1000003LL + c / kFine;
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      if (cache_.size() > 4096) cache_.clear();
      std::vector<int> kept;
      fineBucket(c / kFine, r / kFine, kept);
      it = cache_.emplace(key, std::move(kept)).first;
    }
    return cellValue(c, r, it->second);
  }

  Probe probe(double x, double v) const {
    Probe pr;
    const int c = static_cast<int>(std::floor(x / cell_));
    const int r = static_cast<int>(std::floor(v / cell_));
    if (c < 1 || r < 1 || c >= ncols_ - 1 || r >= nrows_ - 1) return pr;
    double z[3][3];
    for (int j = -1; j <= 1; ++j) {
      for (int i = -1; i <= 1; ++i) {
        const float f = cellAt(c + i, r + j);
        if (f == static_cast<float>(kNoData)) return pr;
        z[j + 1][i + 1] = f;
      }
    }
    // Horn's method
    const double dzdx = ((z[0][2] + 2 * z[1][2] + z[2][2]) - (z[0][0] + 2 * z[1][0] + z[2][0])) / (8.0 * cell_);
    const double dzdv = ((z[2][0] + 2 * z[2][1] + z[2][2]) - (z[0][0] + 2 * z[0][1] + z[0][2])) / (8.0 * cell_);
    pr.valid = true;
    pr.h = z[1][1];
    pr.slope = std::atan(std::sqrt(dzdx * dzdx + dzdv * dzdv)) * 180.0 / kPi;
    // nearest river among the coarse candidates
    const double cx = (c + 0.5) * cell_;
    const double cv = (r + 0.5) * cell_;
    double best = kInf;
    const Seg* nearest = nullptr;
    std::vector<int> cand;
    coarseList(c, r, cand);
    for (int si : cand) {
      const Seg& g = segs_[static_cast<size_t>(si)];
      const double d = pointSegDist(g, cx, cv);
      if (d < best) {
        best = d;
        nearest = &g;
      }
    }
    if (nearest != nullptr) {
      const SegHit hit = segEval(*nearest, cx, cv, 0.0);
      pr.dRiver = hit.d;
      pr.hand = pr.h - hit.bed;
      pr.order = rivers_[static_cast<size_t>(nearest->river)].order;
      if (nearest->basin >= 0 && hit.d < hit.hw * 0.9) pr.basin = nearest->basin;
    } else {
      pr.dRiver = 1e6;
      pr.hand = 1e4;
      pr.order = 0;
    }
    return pr;
  }

  bool nearVoid(double x, double v, double dist) const {
    const double dx = x - voidX_;
    const double dv = v - voidV_;
    return dx * dx + dv * dv < dist * dist;
  }

 private:
  struct Run {
    int first;
    int count;
  };
  static constexpr int kFine = 8;     // cells per fine bucket side
  static constexpr int kCoarse = 64;  // cells per coarse bucket side
  static constexpr double kSmooth = 45.0;
  static constexpr double kFlowCell = 240.0;    // drainage grid spacing (m)
  static constexpr double kFlowMargin = 2400.0;  // drainage grid beyond the DEM (m)
  static constexpr double kChannelArea = 0.9;  // km2 that start a valley
  static constexpr double kMaxGrade = 0.08;    // steepest bed gradient near a confluence

  bool inside(const Pt& p, double margin) const {
    return p.x >= -margin && p.v >= -margin && p.x <= W_ + margin && p.v <= H_ + margin;
  }

  // ---- drainage network -------------------------------------------------
  // The network follows the terrain: D8 flow directions on a coarse grid of
  // the un-carved surface (priority-flood, so every cell drains to the grid
  // edge), channels where the drainage area exceeds kChannelArea.

  void buildRivers() {
    const double G = kFlowCell;
    const int gx = static_cast<int>(std::ceil((W_ + 2.0 * kFlowMargin) / G));
    const int gv = static_cast<int>(std::ceil((H_ + 2.0 * kFlowMargin) / G));
    const size_t n = static_cast<size_t>(gx) * static_cast<size_t>(gv);
    auto centre = [&](size_t idx) {
      const auto i = static_cast<double>(idx % static_cast<size_t>(gx));
      const auto j = static_cast<double>(idx / static_cast<size_t>(gx));
      return Pt{-kFlowMargin + (i + 0.5) * G, -kFlowMargin + (j + 0.5) * G};
    };
    std::vector<float> z(n);
    std::vector<float> minArea(n);  // karst drains underground: fewer valleys
    for (size_t idx = 0; idx < n; ++idx) {
      const Pt c = centre(idx);
      z[idx] = static_cast<float>(ter_.eval(c.x, c.v, false).stopH);
      minArea[idx] = static_cast<float>(kChannelArea * (1.0 + 3.5 * ter_.karstMask(c.x, c.v)));
    }
    // priority flood from the grid edge
    std::vector<double> zf(n, 0.0);
    std::vector<int> down(n, -2);
    std::vector<int> popped;
    popped.reserve(n);
    {
      struct QItem {
        double z;
        int idx;
      };
      auto cmp = [](const QItem& a, const QItem& b) { return a.z > b.z || (a.z == b.z && a.idx > b.idx); };
      std::vector<QItem> heap;
      auto push = [&](QItem q) {
        heap.push_back(q);
        std::push_heap(heap.begin(), heap.end(), cmp);
      };
      for (int j = 0; j < gv; ++j) {
        for (int i = 0; i < gx; ++i) {
          if (i != 0 && j != 0 && i != gx - 1 && j != gv - 1) continue;
          const int idx = j * gx + i;
          down[static_cast<size_t>(idx)] = -1;
          zf[static_cast<size_t>(idx)] = z[static_cast<size_t>(idx)];
          push(QItem{zf[static_cast<size_t>(idx)], idx});
        }
      }
      const uint64_t floodSalt = mix64(opt_.seed ^ 0xF100DULL);
      static const int di[8] = {1, -1, 0, 0, 1, 1, -1, -1};
      static const int dj[8] = {0, 0, 1, -1, 1, -1, 1, -1};
      while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), cmp);
        const QItem q = heap.back();
        heap.pop_back();
        popped.push_back(q.idx);
        const int i = q.idx % gx;
        const int j = q.idx / gx;
        for (int k = 0; k < 8; ++k) {
          const int ni = i + di[k];
          const int nj = j + dj[k];
          if (ni < 0 || nj < 0 || ni >= gx || nj >= gv) continue;
          const auto nidx = static_cast<size_t>(nj * gx + ni);
          if (down[nidx] != -2) continue;
          down[nidx] = q.idx;
          // flats (filled pits) get a small random gradient so that their
          // flow paths wander instead of running in straight lines
          const double eps = 0.01 + 0.5 * static_cast<double>(hash2(static_cast<int64_t>(nidx), 3, floodSalt) & 0xFFFF) / 65535.0;
          zf[nidx] = std::max(static_cast<double>(z[nidx]), q.z + eps);
          push(QItem{zf[nidx], static_cast<int>(nidx)});
        }
      }
    }
    // drainage area (km2)
    std::vector<float> acc(n, static_cast<float>(G * G / 1e6));
    for (size_t k = popped.size(); k-- > 0;) {
      const auto idx = static_cast<size_t>(popped[k]);
      if (down[idx] >= 0) acc[static_cast<size_t>(down[idx])] += acc[idx];
    }
    auto isChannel = [&](size_t idx) { return acc[idx] >= minArea[idx]; };
    // upstream channel neighbours (CSR)
    std::vector<int> upStart(n + 1, 0);
    for (size_t idx = 0; idx < n; ++idx)
      if (isChannel(idx) && down[idx] >= 0) ++upStart[static_cast<size_t>(down[idx]) + 1];
    for (size_t k = 0; k < n; ++k) upStart[k + 1] += upStart[k];
    std::vector<int> ups(static_cast<size_t>(upStart[n]));
    {
      std::vector<int> fillPos(upStart.begin(), upStart.end() - 1);
      for (size_t idx = 0; idx < n; ++idx)
        if (isChannel(idx) && down[idx] >= 0)
          ups[static_cast<size_t>(fillPos[static_cast<size_t>(down[idx])]++)] = static_cast<int>(idx);
    }
    // jittered vertex positions (pure function of the grid cell)
    auto vertexAt = [&](size_t idx) {
      Pt c = centre(idx);
      const uint64_t h = hash2(static_cast<int64_t>(idx), 7, mix64(opt_.seed ^ 0xD8D8ULL));
      c.x += G * 0.56 * (static_cast<double>(h & 0xFFFF) / 65535.0 - 0.5);
      c.v += G * 0.56 * (static_cast<double>((h >> 16) & 0xFFFF) / 65535.0 - 0.5);
      return c;
    };
    // trace rivers from the outlets upstream; the branch with the largest
    // area continues the river, others start new rivers
    struct Start {
      int junction;  // cell on the parent, -1 for outlets
      int first;
      int parent;
      size_t parentVertex;
    };
    std::vector<int> roots;
    for (size_t idx = 0; idx < n; ++idx)
      if (down[idx] == -1 && isChannel(idx)) roots.push_back(static_cast<int>(idx));
    std::stable_sort(roots.begin(), roots.end(), [&](int a, int b) {
      return acc[static_cast<size_t>(a)] > acc[static_cast<size_t>(b)];
    });
    std::vector<Start> queue;
    for (int r : roots) queue.push_back(Start{-1, r, -1, 0});
    for (size_t qi = 0; qi < queue.size(); ++qi) {
      const Start st = queue[qi];
      std::vector<int> cells;
      if (st.junction >= 0) cells.push_back(st.junction);
      int cur = st.first;
      std::vector<Start> pending;
      const int rid = static_cast<int>(rivers_.size());
      for (;;) {
        cells.push_back(cur);
        const int b = upStart[static_cast<size_t>(cur)];
        const int e = upStart[static_cast<size_t>(cur) + 1];
        int next = -1;
        for (int k = b; k < e; ++k) {
          const int u = ups[static_cast<size_t>(k)];
          if (next < 0 || acc[static_cast<size_t>(u)] > acc[static_cast<size_t>(next)]) next = u;
        }
        for (int k = b; k < e; ++k) {
          const int u = ups[static_cast<size_t>(k)];
          if (u != next) pending.push_back(Start{cur, u, rid, cells.size() - 1});
        }
        if (next < 0) break;
        cur = next;
      }
      const size_t ownCells = cells.size() - (st.junction >= 0 ? 1 : 0);
      if (ownCells < 2) continue;  // a single cell is a spur, not a valley
      River r;
      r.parent = st.parent;
      r.parentVertex = st.parentVertex;
      const float mouthArea = acc[static_cast<size_t>(st.first)];
      r.order = orderForArea(mouthArea);
      // vertices: cell positions plus Catmull-Rom midpoints
      std::vector<Pt> raw;
      std::vector<double> rawA;
      std::vector<double> rawZ;
      for (size_t k = 0; k < cells.size(); ++k) {
        const auto idx = static_cast<size_t>(cells[k]);
        raw.push_back(vertexAt(idx));
        rawA.push_back((k == 0 && st.junction >= 0) ? mouthArea : acc[idx]);
        rawZ.push_back(zf[idx]);
      }
      for (size_t k = 0; k < raw.size(); ++k) {
        r.p.push_back(raw[k]);
        r.area.push_back(rawA[k]);
        r.zf.push_back(rawZ[k]);
        if (k + 1 < raw.size()) {
          const Pt& p0 = raw[k == 0 ? 0 : k - 1];
          const Pt& p1 = raw[k];
          const Pt& p2 = raw[k + 1];
          const Pt& p3 = raw[std::min(k + 2, raw.size() - 1)];
          r.p.push_back(Pt{(-p0.x + 9.0 * p1.x + 9.0 * p2.x - p3.x) / 16.0,
                           (-p0.v + 9.0 * p1.v + 9.0 * p2.v - p3.v) / 16.0});
          r.area.push_back(0.5 * (rawA[k] + rawA[k + 1]));
          r.zf.push_back(0.5 * (rawZ[k] + rawZ[k + 1]));
        }
      }
      // children refer to vertex indices of this river: cell k -> vertex 2k
      for (Start& ps : pending) {
        ps.parentVertex *= 2;
        queue.push_back(ps);
      }
      arclength(r);
      rivers_.push_back(std::move(r));
    }
  }

  static void arclength(River& r) {
    r.s.assign(r.p.size(), 0.0);
    for (size_t i = 1; i < r.p.size(); ++i) {
      const double dx = r.p[i].x - r.p[i - 1].x;
      const double dv = r.p[i].v - r.p[i - 1].v;
      r.s[i] = r.s[i - 1] + std::sqrt(dx * dx + dv * dv);
    }
  }

  // depth of the bed below the drainage surface: grows from zero at the
  // channel head to a few hundred metres for the main river
  static double incision(double area) {
    const double a = std::max(0.0, area - kChannelArea);
    return 210.0 * (1.0 - std::exp(-a / 2.5)) + 30.0 * std::log10(1.0 + area);
  }

  // Longitudinal profiles: non-decreasing upstream, incised below the
  // drainage surface (deeper for larger rivers), at least 8 m below the
  // un-carved terrain, joining the parent at its bed.
  void computeBeds() {
    for (size_t ri = 0; ri < rivers_.size(); ++ri) {
      River& r = rivers_[ri];
      const size_t n = r.p.size();
      std::vector<double> cons(n, kInf);
      double runMin = kInf;
      for (size_t k = n; k-- > 0;) {
        runMin = std::min(runMin, ter_.eval(r.p[k].x, r.p[k].v).t - 8.0);
        cons[k] = runMin;
        if (k > 0) {
          const Pt& a = r.p[k - 1];
          const Pt& b = r.p[k];
          const double sl = r.s[k] - r.s[k - 1];
          const int ns = std::max(1, static_cast<int>(sl / 30.0));
          for (int j = 1; j < ns; ++j) {
            const double f = static_cast<double>(j) / ns;
            runMin = std::min(runMin, ter_.eval(b.x + f * (a.x - b.x), b.v + f * (a.v - b.v)).t - 8.0);
          }
        }
      }
      r.bed.assign(n, 0.0);
      const double b0 = (r.parent >= 0) ? rivers_[static_cast<size_t>(r.parent)].bed[r.parentVertex]
                                        : std::min(r.zf[0] - incision(r.area[0]), cons[0]);
      double prev = b0;
      for (size_t k = 0; k < n; ++k) {
        double b = (k == 0) ? b0 : std::max(prev, r.zf[k] - incision(r.area[k]));
        // graded towards the mouth: no hanging valleys above the parent
        b = std::min(b, b0 + kMaxGrade * r.s[k]);
        b = std::max(b0, std::min(b, cons[k]));
        r.bed[k] = b;
        prev = b;
      }
    }
  }

  double bedAt(const River& r, double s) const {
    const size_t k = static_cast<size_t>(std::lower_bound(r.s.begin(), r.s.end(), s) - r.s.begin());
    if (k == 0) return r.bed.front();
    if (k >= r.s.size()) return r.bed.back();
    const double f = (s - r.s[k - 1]) / std::max(1e-9, r.s[k] - r.s[k - 1]);
    return r.bed[k - 1] + f * (r.bed[k] - r.bed[k - 1]);
  }

  // Basins (bazi): wide flat valley floors on larger rivers where the bed
  // is gentle.
  void placeBasins() {
    Rng rng(opt_.seed, 31);
    const double areaFactor = (W_ * H_) / (60000.0 * 60000.0);
    const int want = std::max(2, static_cast<int>(std::lround(5.5 * areaFactor)));
    struct Cand {
      int river;
      size_t vi;
    };
    std::vector<Cand> bigC;
    std::vector<Cand> midC;
    for (size_t ri = 0; ri < rivers_.size(); ++ri) {
      const River& r = rivers_[ri];
      for (size_t k = 0; k < r.p.size(); k += 2) {
        if (!inside(r.p[k], -4500.0)) continue;
        if (r.area[k] >= 150.0) bigC.push_back({static_cast<int>(ri), k});
        else if (r.area[k] >= 25.0) midC.push_back({static_cast<int>(ri), k});
      }
    }
    for (int attempt = 0; attempt < 6000 && static_cast<int>(basins_.size()) < want; ++attempt) {
      const bool useBig = !bigC.empty() && (midC.empty() || rng.chance(0.5));
      const std::vector<Cand>& cs = useBig ? bigC : midC;
      if (cs.empty()) break;
      const Cand& cd = cs[static_cast<size_t>(rng.irange(0, static_cast<int64_t>(cs.size()) - 1))];
      const River& r = rivers_[static_cast<size_t>(cd.river)];
      Basin b{};
      b.river = cd.river;
      b.sc = r.s[cd.vi];
      b.centre = r.p[cd.vi];
      b.peak = useBig ? rng.range(900.0, 1500.0) : rng.range(700.0, 1100.0);
      b.halfLen = useBig ? rng.range(1800.0, 3000.0) : rng.range(1400.0, 2300.0);
      b.fL = rng.range(0.55, 1.25);
      b.fR = rng.range(0.55, 1.25);
      if (b.sc - b.halfLen < 200.0 || b.sc + b.halfLen > r.length() - 200.0) continue;
      const double grad = (bedAt(r, b.sc + b.halfLen) - bedAt(r, b.sc - b.halfLen)) / (2.0 * b.halfLen);
      if (grad > 0.012) continue;  // keep basin floors well below 3 degrees
      bool ok = true;
      for (const Basin& o : basins_) {
        const double dx = o.centre.x - b.centre.x;
        const double dv = o.centre.v - b.centre.v;
        if (dx * dx + dv * dv < 9000.0 * 9000.0) ok = false;
      }
      if (ok) basins_.push_back(b);
    }
  }

  void computeWidths() {
    for (size_t ri = 0; ri < rivers_.size(); ++ri) {
      River& r = rivers_[ri];
      const size_t n = r.p.size();
      const uint64_t salt = mix64(opt_.seed * 31 + ri);
      r.hwL.assign(n, 0.0);
      r.hwR.assign(n, 0.0);
      r.T.assign(n, 0.0);
      r.basinAt.assign(n, -1);
      for (size_t k = 0; k < n; ++k) {
        const double a = r.area[k];
        const double base = 7.0 * std::pow(a, 0.45) * (0.85 + 0.3 * gnoise(r.s[k] / 4000.0, 0.5, salt));
        r.hwL[k] = base;
        r.hwR[k] = base;
        r.T[k] = 40.0 + 40.0 * std::log10(1.0 + a);
      }
    }
    for (size_t bi = 0; bi < basins_.size(); ++bi) {
      const Basin& b = basins_[bi];
      River& r = rivers_[static_cast<size_t>(b.river)];
      const uint64_t salt = mix64(opt_.seed * 77 + bi);
      for (size_t k = 0; k < r.p.size(); ++k) {
        const double u = (r.s[k] - b.sc) / b.halfLen;
        if (std::fabs(u) >= 1.0) continue;
        const double q = 1.0 - u * u;
        const double bump = b.peak * q * std::sqrt(q) * (1.0 + 0.25 * gnoise(r.s[k] / 900.0, 0.5, salt));
        r.hwL[k] += bump * b.fL;
        r.hwR[k] += bump * b.fR;
        r.T[k] += 0.3 * bump;
        if (bump > 250.0) r.basinAt[k] = static_cast<int>(bi);
      }
    }
  }

  void buildSegments() {
    const double tmax = ter_.maxBound() + kSmooth;
    segs_.clear();
    ncx_ = (ncols_ + kCoarse - 1) / kCoarse;
    ncv_ = (nrows_ + kCoarse - 1) / kCoarse;
    coarse_.assign(static_cast<size_t>(ncx_) * static_cast<size_t>(ncv_), {});
    const double cs = kCoarse * cell_;
    for (size_t ri = 0; ri < rivers_.size(); ++ri) {
      const River& r = rivers_[ri];
      for (size_t k = 0; k + 1 < r.p.size(); ++k) {
        Seg g{};
        g.ax = static_cast<float>(r.p[k].x);
        g.av = static_cast<float>(r.p[k].v);
        g.ux = static_cast<float>(r.p[k + 1].x - r.p[k].x);
        g.uv = static_cast<float>(r.p[k + 1].v - r.p[k].v);
        g.len2 = static_cast<double>(g.ux) * g.ux + static_cast<double>(g.uv) * g.uv;
        if (g.len2 <= 0.0) continue;
        g.bedA = static_cast<float>(r.bed[k]);
        g.bedB = static_cast<float>(r.bed[k + 1]);
        g.hwL = static_cast<float>(0.5 * (r.hwL[k] + r.hwL[k + 1]));
        g.hwR = static_cast<float>(0.5 * (r.hwR[k] + r.hwR[k + 1]));
        g.T = static_cast<float>(0.5 * (r.T[k] + r.T[k + 1]));
        const double la = std::log10(1.0 + 0.5 * (r.area[k] + r.area[k + 1]));
        const double sn = gnoise(g.ax / 3000.0, g.av / 3000.0, wallSalt_ + 5);
        g.S = static_cast<float>(std::clamp(0.40 + 0.08 * la + 0.12 * sn, 0.32, 0.78));
        g.fs = static_cast<float>(std::max(0.012, 0.03 - 0.006 * la));
        g.c = static_cast<float>(0.6 + 0.6 * la);
        g.cw = static_cast<float>(4.0 + 7.0 * la);
        g.river = static_cast<int>(ri);
        g.basin = (r.basinAt[k] >= 0) ? r.basinAt[k] : r.basinAt[k + 1];
        const int si = static_cast<int>(segs_.size());
        segs_.push_back(g);
        // influence radius: beyond it the valley surface is above any terrain
        const double need = tmax - std::min(g.bedA, g.bedB);
        const double rinf = std::max(g.hwL, g.hwR) + 0.5 * g.T + std::max(0.0, need) / g.S + 50.0;
        const double ex = static_cast<double>(g.ax) + g.ux;
        const double ev = static_cast<double>(g.av) + g.uv;
        const double x0 = std::min<double>(g.ax, ex) - rinf;
        const double x1 = std::max<double>(g.ax, ex) + rinf;
        const double v0 = std::min<double>(g.av, ev) - rinf;
        const double v1 = std::max<double>(g.av, ev) + rinf;
        const int i0 = std::max(0, static_cast<int>(std::floor(x0 / cs)));
        const int i1 = std::min(ncx_ - 1, static_cast<int>(std::floor(x1 / cs)));
        const int j0 = std::max(0, static_cast<int>(std::floor(v0 / cs)));
        const int j1 = std::min(ncv_ - 1, static_cast<int>(std::floor(v1 / cs)));
        for (int j = j0; j <= j1; ++j)
          for (int i = i0; i <= i1; ++i)
            addRun(coarse_[static_cast<size_t>(j) * static_cast<size_t>(ncx_) + static_cast<size_t>(i)], si);
      }
    }
  }

  // The coarse index stores runs of consecutive segment numbers (segments
  // of one river are consecutive), which keeps it small.
  static void addRun(std::vector<Run>& runs, int si) {
    if (!runs.empty() && runs.back().first + runs.back().count == si) {
      ++runs.back().count;
    } else {
      runs.push_back(Run{si, 1});
    }
  }

  // Segment candidates for the coarse bucket holding cell (c, r).
  void coarseList(int c, int r, std::vector<int>& out) const {
    out.clear();
    const int i = std::clamp(c / kCoarse, 0, ncx_ - 1);
    const int j = std::clamp(r / kCoarse, 0, ncv_ - 1);
    for (const Run& run : coarse_[static_cast<size_t>(j) * static_cast<size_t>(ncx_) + static_cast<size_t>(i)])
      for (int k = 0; k < run.count; ++k) out.push_back(run.first + k);
  }

  // Segments that can be the lowest valley surface somewhere in the bucket.
  void fineBucket(int bc, int br, std::vector<int>& kept) const {
    kept.clear();
    std::vector<int>& cand = candScratch_;
    coarseList(bc * kFine, br * kFine, cand);
    if (cand.empty()) return;
    const double half = 0.5 * kFine * cell_;
    const double cx = bc * kFine * cell_ + half;
    const double cv = br * kFine * cell_ + half;
    const double hd = half * 1.41422;
    double upper = kInf;
    lbScratch_.resize(cand.size());
    for (size_t k = 0; k < cand.size(); ++k) {
      const Seg& g = segs_[static_cast<size_t>(cand[k])];
      const double dc = pointSegDist(g, cx, cv);
      const double bmin = std::min(g.bedA, g.bedB);
      const double bmax = std::max(g.bedA, g.bedB);
      const double hwMax = std::max(g.hwL, g.hwR);
      const double hwMin = std::min(g.hwL, g.hwR);
      const double lb = bmin + wallf(std::max(0.0, dc - hd - kWallPert), hwMax, g);
      const double ub = bmax + wallf(dc + hd + kWallPert, hwMin, g);
      lbScratch_[k] = lb;
      upper = std::min(upper, ub);
    }
    for (size_t k = 0; k < cand.size(); ++k)
      if (lbScratch_[k] <= upper + 1.0) kept.push_back(cand[k]);
  }

  double wallPert(double x, double v) const {
    return kWallPert * std::clamp(fbm(x / 900.0, v / 900.0, 3, wallSalt_), -1.0, 1.0);
  }

  // fine texture on slopes, none on valley floors (e: distance beyond the
  // floor edge of the lowest valley)
  double texture(double x, double v, double e) const {
    if (e <= 0.0) return 0.0;
    return 14.0 * smoothstep(0.0, 120.0, e) * fbm(x / 320.0, v / 320.0, 3, wallSalt_ + 9);
  }

  // Terrain at (x, v) carved by the valleys of the listed segments; the
  // river `skip` is left out (-1: none).
  double surface(double x, double v, const std::vector<int>& segIdx, int skip) const {
    const double t = ter_.eval(x, v).t;
    double vmin = kInf;
    double eMin = kInf;
    if (!segIdx.empty()) {
      const double pert = wallPert(x, v);
      for (int si : segIdx) {
        const Seg& g = segs_[static_cast<size_t>(si)];
        if (g.river == skip) continue;
        const SegHit hit = segEval(g, x, v, pert);
        if (hit.value < vmin) {
          vmin = hit.value;
          eMin = hit.d - hit.hw;
        }
      }
    }
    const double h = (vmin == kInf) ? t : smin(t, vmin, kSmooth);
    return h + texture(x, v, eMin);
  }

  float cellValue(int c, int r, const std::vector<int>& kept) const {
    const double x = (c + 0.5) * cell_;
    const double v = (r + 0.5) * cell_;
    if (inVoid(x, v)) return static_cast<float>(kNoData);
    return static_cast<float>(surface(x, v, kept, -1));
  }

  // A river must not run above the surface of a deeper neighbouring valley
  // (e.g. along its wall): lower the bed there and keep the profile
  // monotone, so that every valley descends to its confluence.
  void settleBeds() {
    for (size_t ri = 0; ri < rivers_.size(); ++ri) {
      River& r = rivers_[ri];
      if (r.parent >= 0) r.bed[0] = rivers_[static_cast<size_t>(r.parent)].bed[r.parentVertex];
      const double b0 = r.bed[0];
      bool changed = false;
      std::vector<int> cand;
      for (size_t k = 1; k < r.p.size(); ++k) {
        const Pt& p = r.p[k];
        if (!inside(p, 0.0)) continue;
        const int c = static_cast<int>(std::floor(p.x / cell_));
        const int rr = static_cast<int>(std::floor(p.v / cell_));
        coarseList(c, rr, cand);
        const double h = surface(p.x, p.v, cand, static_cast<int>(ri));
        const double lim = h - (5.0 + 0.7 * cell_);
        if (r.bed[k] > lim) {
          r.bed[k] = std::max(b0, lim);
          changed = true;
        }
      }
      if (changed)
        for (size_t k = r.p.size() - 1; k >= 1; --k) r.bed[k - 1] = std::min(r.bed[k - 1], r.bed[k]);
      r.bed[0] = b0;
    }
  }

  // ---- NoData void ------------------------------------------------------

  bool inVoid(double x, double v) const {
    const double dx = x - voidX_;
    const double dv = v - voidV_;
    const double d2 = dx * dx + dv * dv;
    if (d2 > voidRmax_ * voidRmax_) return false;
    const double ang = std::atan2(dv, dx);
    double f = 1.0;
    for (size_t k = 0; k < voidHarm_.size(); ++k)
      f += voidHarm_[k].first * std::sin(static_cast<double>(k + 2) * ang + voidHarm_[k].second);
    const double rr = voidR_ * f;
    return d2 < rr * rr;
  }

  // An SRTM-like void: a few hectares on a steep, high slope.
  void chooseVoid() {
    Rng rng(opt_.seed, 41);
    double bestScore = -kInf;
    Pt best{W_ * 0.5, H_ * 0.5};
    const double m = std::min(4000.0, 0.2 * W_);
    for (int i = 0; i < 500; ++i) {
      const Pt p{rng.range(m, W_ - m), rng.range(m, H_ - m)};
      const Probe pr = probe(p.x, p.v);
      if (!pr.valid) continue;
      const double score = std::min(pr.slope, 38.0) + std::min(pr.hand, 700.0) / 25.0;
      if (score > bestScore) {
        bestScore = score;
        best = p;
      }
    }
    voidX_ = best.x;
    voidV_ = best.v;
    voidR_ = rng.range(105.0, 125.0);
    for (auto& hmn : voidHarm_) hmn = {rng.range(0.05, 0.16), rng.range(0.0, 2.0 * kPi)};
    double sum = 1.0;
    for (const auto& hmn : voidHarm_) sum += hmn.first;
    voidRmax_ = voidR_ * sum + cell_;
    cache_.clear();
  }

  Options opt_;
  double cell_;
  int ncols_, nrows_;
  double W_, H_;
  Terrain ter_;
  std::vector<River> rivers_;
  std::vector<Basin> basins_;
  std::vector<Seg> segs_;
  int ncx_ = 0, ncv_ = 0;
  std::vector<std::vector<Run>> coarse_;
  double voidX_ = -1e9, voidV_ = -1e9, voidR_ = 0.0, voidRmax_ = 0.0;
  std::array<std::pair<double, double>, 4> voidHarm_{};
  mutable std::map<int64_t, std::vector<int>> cache_;
  mutable std::vector<double> lbScratch_;
  mutable std::vector<int> candScratch_;
  uint64_t wallSalt_ = 0;
};

// ---------------------------------------------------------------------------
// GDAL helpers

struct SrsHandle {
  OGRSpatialReferenceH h = nullptr;
  explicit SrsHandle(int epsg) {
    h = OSRNewSpatialReference(nullptr);
    if (h == nullptr) failGdal("cannot create spatial reference");
    if (OSRImportFromEPSG(h, epsg) != OGRERR_NONE) failGdal("cannot import EPSG:" + std::to_string(epsg));
    OSRSetAxisMappingStrategy(h, OAMS_TRADITIONAL_GIS_ORDER);
  }
  ~SrsHandle() {
    if (h != nullptr) OSRRelease(h);
  }
  SrsHandle(const SrsHandle&) = delete;
  SrsHandle& operator=(const SrsHandle&) = delete;
};

struct TransformHandle {
  OGRCoordinateTransformationH h = nullptr;
  TransformHandle(const SrsHandle& src, const SrsHandle& dst, const std::string& what) {
    h = OCTNewCoordinateTransformation(src.h, dst.h);
    if (h == nullptr) failGdal(what);
  }
  ~TransformHandle() {
    if (h != nullptr) OCTDestroyCoordinateTransformation(h);
  }
  TransformHandle(const TransformHandle&) = delete;
  TransformHandle& operator=(const TransformHandle&) = delete;
  void apply(std::vector<double>& xs, std::vector<double>& ys, const std::string& what) const {
    if (xs.empty()) return;
    std::vector<int> ok(xs.size(), 0);
    if (!OCTTransformEx(h, static_cast<int>(xs.size()), xs.data(), ys.data(), nullptr, ok.data()))
      failGdal(what);
    for (int f : ok)
      if (!f) failGdal(what);
  }
};

namespace fs = std::filesystem;

void removeIfExists(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
  if (ec) fail("cannot remove " + p.string(), ec.message());
}

void renameInto(const fs::path& tmp, const fs::path& dst) {
  std::error_code ec;
  fs::rename(tmp, dst, ec);
  if (ec) fail("cannot rename " + tmp.string() + " to " + dst.string(), ec.message());
}

// ---------------------------------------------------------------------------
// DEM

struct DemInfo {
  double originE = 0.0;  // upper-left corner, EPSG:4545
  double originN = 0.0;
  double minZ = kInf;
  double maxZ = -kInf;
  long long nodata = 0;
};

// Mean elevation on a coarse grid (f x f DEM cells), gathered while the DEM
// is written: the road network is routed on it.  NaN where no cell is valid.
struct CoarseDem {
  int f = 2;
  int nx = 0, ny = 0;
  std::vector<float> z;
  std::vector<uint8_t> n;
  void init(int ncols, int nrows, int factor) {
    f = factor;
    nx = (ncols + f - 1) / f;
    ny = (nrows + f - 1) / f;
    z.assign(static_cast<size_t>(nx) * static_cast<size_t>(ny), 0.0f);
    n.assign(z.size(), 0);
  }
  void finish() {
    for (size_t i = 0; i < z.size(); ++i) z[i] = n[i] > 0 ? z[i] / static_cast<float>(n[i]) : std::nanf("");
    std::vector<uint8_t>().swap(n);
  }
  float at(int i, int j) const { return z[static_cast<size_t>(j) * static_cast<size_t>(nx) + static_cast<size_t>(i)]; }
};

DemInfo gridOrigin(const World& w, const SrsHandle& geo, const SrsHandle& demSrs) {
  TransformHandle ct(geo, demSrs, "cannot transform the area centre to EPSG:4545");
  std::vector<double> xs{107.3};
  std::vector<double> ys{26.0};
  ct.apply(xs, ys, "cannot transform the area centre to EPSG:4545");
  DemInfo d;
  d.originE = std::round((xs[0] - 0.5 * w.width()) / w.cell()) * w.cell();
  d.originN = std::round((ys[0] + 0.5 * w.height()) / w.cell()) * w.cell();
  return d;
}

void writeDem(const World& w, const fs::path& dir, const SrsHandle& demSrs, DemInfo& info, CoarseDem& cd) {
  const fs::path dst = dir / "dem.tif";
  const fs::path tmp = dir / ".tmp-dem.tif";
  removeIfExists(tmp);
  GDALDriverH drv = GDALGetDriverByName("GTiff");
  if (drv == nullptr) failGdal("GTiff driver not available");
  char** opts = nullptr;
  opts = CSLSetNameValue(opts, "TILED", "YES");
  opts = CSLSetNameValue(opts, "BLOCKXSIZE", "256");
  opts = CSLSetNameValue(opts, "BLOCKYSIZE", "256");
  opts = CSLSetNameValue(opts, "COMPRESS", "DEFLATE");
  opts = CSLSetNameValue(opts, "PREDICTOR", "3");
  opts = CSLSetNameValue(opts, "BIGTIFF", "IF_SAFER");
  CPLErrorReset();
  GDALDatasetH ds = GDALCreate(drv, tmp.string().c_str(), w.ncols(), w.nrows(), 1, GDT_Float32, opts);
  CSLDestroy(opts);
  if (ds == nullptr) failGdal("cannot create " + tmp.string());
  struct Closer {
    GDALDatasetH& h;
    ~Closer() {
      if (h != nullptr) GDALClose(h);
    }
  } closer{ds};
  double gt[6] = {info.originE, w.cell(), 0.0, info.originN, 0.0, -w.cell()};
  if (GDALSetGeoTransform(ds, gt) != CE_None) failGdal("cannot set geotransform of dem.tif");
  if (GDALSetSpatialRef(ds, demSrs.h) != CE_None) failGdal("cannot set CRS of dem.tif");
  GDALRasterBandH band = GDALGetRasterBand(ds, 1);
  if (band == nullptr) failGdal("cannot access band of dem.tif");
  if (GDALSetRasterNoDataValue(band, kNoData) != CE_None) failGdal("cannot set NoData of dem.tif");
  if (GDALSetRasterUnitType(band, "m") != CE_None) failGdal("cannot set unit of dem.tif");
  GDALSetDescription(band, "elevation");
  std::vector<float> buf;
  constexpr int kStrip = 256;
  for (int r0 = 0; r0 < w.nrows(); r0 += kStrip) {
    const int nr = std::min(kStrip, w.nrows() - r0);
    w.fillRows(r0, nr, buf);
    for (int r = 0; r < nr; ++r) {
      const size_t crow = static_cast<size_t>((r0 + r) / cd.f) * static_cast<size_t>(cd.nx);
      for (int c = 0; c < w.ncols(); ++c) {
        const float f = buf[static_cast<size_t>(r) * static_cast<size_t>(w.ncols()) + static_cast<size_t>(c)];
        if (f == static_cast<float>(kNoData)) {
          ++info.nodata;
        } else {
          info.minZ = std::min(info.minZ, static_cast<double>(f));
          info.maxZ = std::max(info.maxZ, static_cast<double>(f));
          const size_t ci = crow + static_cast<size_t>(c / cd.f);
          cd.z[ci] += f;
          ++cd.n[ci];
        }
      }
    }
    if (GDALRasterIO(band, GF_Write, 0, r0, w.ncols(), nr, buf.data(), w.ncols(), nr, GDT_Float32, 0, 0) !=
        CE_None)
      failGdal("cannot write rows of dem.tif");
  }
  CPLErrorReset();
  GDALClose(ds);
  ds = nullptr;
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
    failGdal("cannot finish dem.tif");
  renameInto(tmp, dst);
}

// ---------------------------------------------------------------------------
// Villages

enum VClass { kBasin = 0, kValley, kGentle, kMid, kMountain, kNumClasses };

struct Village {
  double x = 0.0, v = 0.0;  // local metres
  int cls = 0;
  Probe pr;
  int households = 0;
  int population = 0;
  int poor = 0;
  int county = 0;
  int town = -1;
  std::string name;
  std::string code;
  double lon = 0.0, lat = 0.0;
  // the point as published (lon/lat rounded to 6 decimals) back in local
  // metres: county and township are decided on it
  double ox = 0.0, ov = 0.0;
};

struct Township {
  int county;
  int seat;  // village index
  std::string name;
  int code;  // 3 digits
};

class VillageGrid {
 public:
  VillageGrid(double w, double h) {
    nx_ = static_cast<int>(w / kCell) + 1;
    nv_ = static_cast<int>(h / kCell) + 1;
    cells_.resize(static_cast<size_t>(nx_) * static_cast<size_t>(nv_));
  }
  bool free(double x, double v, double r) const {
    const int ci = static_cast<int>(x / kCell);
    const int cj = static_cast<int>(v / kCell);
    for (int j = cj - 1; j <= cj + 1; ++j) {
      if (j < 0 || j >= nv_) continue;
      for (int i = ci - 1; i <= ci + 1; ++i) {
        if (i < 0 || i >= nx_) continue;
        for (const Pt& p : cells_[static_cast<size_t>(j) * static_cast<size_t>(nx_) + static_cast<size_t>(i)]) {
          const double dx = p.x - x;
          const double dv = p.v - v;
          if (dx * dx + dv * dv < r * r) return false;
        }
      }
    }
    return true;
  }
  void add(double x, double v) {
    const int ci = static_cast<int>(x / kCell);
    const int cj = static_cast<int>(v / kCell);
    cells_[static_cast<size_t>(cj) * static_cast<size_t>(nx_) + static_cast<size_t>(ci)].push_back(Pt{x, v});
  }

 private:
  static constexpr double kCell = 310.0;
  int nx_, nv_;
  std::vector<std::vector<Pt>> cells_;
};

const std::vector<std::string> kCommonA = {
    "岩", "坡", "大", "小", "高", "新", "老", "水", "石", "龙", "马", "牛", "羊", "平", "上",
    "下", "中", "沙", "白", "黑", "红", "青", "干", "麻", "杨", "王", "李", "陈", "罗", "吴",
    "韦", "蒙", "岑", "花", "竹", "松", "茶", "桃", "梨", "鸡", "纳", "者", "板", "拉", "弄",
    "打", "摆", "甲", "董", "谷", "那", "坝", "冷", "凉", "长", "双", "三", "半", "银", "金"};
const std::vector<std::string> kCommonB = {
    "脚", "头", "坪", "井", "寨", "湾", "坡", "冲", "坝", "洞", "山", "岭", "田", "塘", "桥",
    "口", "坳", "垭", "箐", "槽", "窝", "场", "屯", "堡", "林", "庄", "河", "沟", "岗", "院",
    "边", "阳", "峰", "岩", "关", "洒", "翁", "纳", "平", "合"};
const std::vector<std::string> kMountainA = {"高", "上", "岩", "坡", "石", "冷", "凉", "半", "鹰",
                                             "猴", "云", "雾", "青", "顶", "尖", "陡", "老"};
const std::vector<std::string> kMountainB = {"坡", "岭", "坳", "垭", "箐", "山", "顶", "岩",
                                             "洞", "窝", "峰", "梁", "崖", "关"};
const std::vector<std::string> kValleyA = {"河", "水", "沙", "下", "大", "龙", "渡", "柳",
                                           "溪", "滩", "桥", "清", "湾", "鱼"};
const std::vector<std::string> kValleyB = {"坝", "湾", "口", "边", "桥", "井", "田", "塘",
                                           "滩", "沟", "溪", "渡", "坪"};
const std::vector<std::string> kBasinA = {"大", "新", "平", "中", "龙", "马", "王", "杨",
                                          "长", "坝", "田", "和", "丰", "兴"};
const std::vector<std::string> kBasinB = {"坝", "场", "坪", "田", "堡", "屯", "院", "庄", "街"};
const std::vector<std::string> kSuffix = {"寨", "湾", "冲", "坪", "坡", "坝", "沟"};
const std::vector<std::string> kTownExtra = {"岚坪", "雾岭", "松坳", "云洞", "杉坪", "梨坝", "茶岭", "竹垭",
                                             "凤岭", "鹰岩", "石笋", "银溪", "金竹", "桃坳", "青杠", "白岩",
                                             "枫坳", "柳坪", "纳坳", "板溪", "谷岚", "翁岭", "岩门", "沙坳"};
const std::vector<std::string> kTownAnimals = {"龙", "羊", "马", "牛", "鸡", "兔", "猴", "猪", "狗", "鼠", "虎", "蛇"};

const std::string& pick(const std::vector<std::string>& v, Rng& rng) {
  return v[static_cast<size_t>(rng.irange(0, static_cast<int64_t>(v.size()) - 1))];
}

std::string makeVillageName(int cls, Rng& rng, const std::set<std::string>& used) {
  for (int attempt = 0; attempt < 60; ++attempt) {
    const bool special = rng.chance(0.55);
    std::string a;
    std::string b;
    if (special && cls == kMountain) {
      a = pick(kMountainA, rng);
      b = pick(kMountainB, rng);
    } else if (special && cls == kValley) {
      a = pick(kValleyA, rng);
      b = pick(kValleyB, rng);
    } else if (special && cls == kBasin) {
      a = pick(kBasinA, rng);
      b = pick(kBasinB, rng);
    } else {
      a = pick(kCommonA, rng);
      b = pick(kCommonB, rng);
    }
    if (a == b) continue;
    std::string name;
    if (rng.chance(0.78)) {
      name = a + b + "村";
    } else {
      const std::string& s = pick(kSuffix, rng);
      if (s == b || s == a) continue;
      name = a + b + s;
    }
    if (attempt >= 30) name = a + b + pick(kCommonB, rng) + "村";
    if (used.count(name) == 0) return name;
  }
  // fall back on a numbered name
  for (int k = 2;; ++k) {
    const std::string name = pick(kCommonA, rng) + pick(kCommonB, rng) + std::to_string(k) + "村";
    if (used.count(name) == 0) return name;
  }
}

double lognormalClamp(Rng& rng, double median, double sigma, double lo, double hi) {
  return std::clamp(median * std::exp(sigma * rng.normal()), lo, hi);
}

std::vector<Village> placeVillages(const World& w, uint64_t seed, long target) {
  Rng rng(seed ^ mix64(static_cast<uint64_t>(target)), 51);
  std::vector<Village> out;
  VillageGrid grid(w.width(), w.height());
  const double margin = 1500.0 + 2.0 * w.cell();
  const double x0 = margin;
  const double x1 = w.width() - margin;
  const double v0 = margin;
  const double v1 = w.height() - margin;
  auto inBounds = [&](double x, double v) { return x >= x0 && x <= x1 && v >= v0 && v <= v1; };

  const std::array<double, kNumClasses> frac = {0.09, 0.33, 0.25, 0.18, 0.15};
  std::array<long, kNumClasses> quota{};
  long assigned = 0;
  for (int k = 0; k < kNumClasses; ++k) {
    quota[static_cast<size_t>(k)] = std::lround(frac[static_cast<size_t>(k)] * static_cast<double>(target));
    assigned += quota[static_cast<size_t>(k)];
  }
  quota[kValley] += target - assigned;

  // rivers usable for valley villages, weighted by length inside the area
  std::vector<std::pair<int, double>> rw;
  double rwSum = 0.0;
  for (size_t ri = 0; ri < w.rivers().size(); ++ri) {
    const River& r = w.rivers()[ri];
    if (r.order > 3) continue;
    const double wt = r.length() * (r.order == 1 ? 3.0 : r.order == 2 ? 1.5 : 0.6);
    rwSum += wt;
    rw.emplace_back(static_cast<int>(ri), rwSum);
  }

  auto tryAccept = [&](double x, double v, int cls) -> bool {
    if (!inBounds(x, v)) return false;
    if (w.nearVoid(x, v, 2500.0)) return false;
    if (!grid.free(x, v, 305.0)) return false;
    const Probe pr = w.probe(x, v);
    if (!pr.valid) return false;
    bool ok = false;
    switch (cls) {
      case kBasin:
        ok = pr.basin >= 0 && pr.slope < 5.0;
        break;
      case kValley:
        ok = pr.basin < 0 && pr.slope < 14.0 && pr.hand < 70.0 && pr.dRiver > 25.0;
        break;
      case kGentle:
        ok = pr.basin < 0 && pr.slope >= 2.0 && pr.slope < 12.0 && pr.hand >= 30.0 && pr.hand < 300.0;
        break;
      case kMid:
        ok = pr.slope >= 12.0 && pr.slope < 25.0 && pr.hand >= 80.0 && pr.hand < 450.0;
        break;
      case kMountain:
        ok = pr.hand >= 250.0 && ((pr.slope >= 20.0 && pr.slope < 40.0) || (pr.slope < 20.0 && pr.hand >= 400.0));
        break;
      default:
        break;
    }
    if (!ok) return false;
    Village vil;
    vil.x = x;
    vil.v = v;
    vil.cls = cls;
    vil.pr = pr;
    grid.add(x, v);
    out.push_back(vil);
    return true;
  };

  auto candidate = [&](int cls, double& x, double& v) {
    if (cls == kBasin && !w.basins().empty()) {
      const Basin& b = w.basins()[static_cast<size_t>(rng.irange(0, static_cast<int64_t>(w.basins().size()) - 1))];
      const River& r = w.rivers()[static_cast<size_t>(b.river)];
      const double s = b.sc + b.halfLen * rng.range(-0.8, 0.8);
      size_t k = static_cast<size_t>(std::lower_bound(r.s.begin(), r.s.end(), s) - r.s.begin());
      k = std::clamp<size_t>(k, 1, r.p.size() - 1);
      const double tx = r.p[k].x - r.p[k - 1].x;
      const double tv = r.p[k].v - r.p[k - 1].v;
      const double tl = std::sqrt(tx * tx + tv * tv);
      const bool left = rng.chance(0.5);
      const double hw = left ? r.hwL[k] : r.hwR[k];
      const double off = hw * rng.range(0.15, 0.9) * (left ? 1.0 : -1.0);
      // left of the direction a->b (cross > 0) is (-tv, tx) in (x, v)
      x = r.p[k].x + off * (-tv / tl);
      v = r.p[k].v + off * (tx / tl);
      return;
    }
    if (cls == kValley && rwSum > 0.0) {
      const double u = rng.uni() * rwSum;
      size_t idx = 0;
      while (idx + 1 < rw.size() && rw[idx].second <= u) ++idx;
      const River& r = w.rivers()[static_cast<size_t>(rw[idx].first)];
      const size_t k = static_cast<size_t>(rng.irange(1, static_cast<int64_t>(r.p.size()) - 1));
      const double tx = r.p[k].x - r.p[k - 1].x;
      const double tv = r.p[k].v - r.p[k - 1].v;
      const double tl = std::sqrt(tx * tx + tv * tv);
      const bool left = rng.chance(0.5);
      const double hw = left ? r.hwL[k] : r.hwR[k];
      const double off = (hw * rng.range(0.35, 1.05) + rng.range(0.0, 90.0)) * (left ? 1.0 : -1.0);
      x = r.p[k].x + off * (-tv / tl);
      v = r.p[k].v + off * (tx / tl);
      return;
    }
    x = rng.range(x0, x1);
    v = rng.range(v0, v1);
  };

  const std::array<int, kNumClasses> order = {kBasin, kValley, kMountain, kMid, kGentle};
  long deficit = 0;
  for (int cls : order) {
    long want = quota[static_cast<size_t>(cls)];
    if (cls == kGentle) want += deficit;  // gentle land takes up what others lacked
    long got = 0;
    const long maxAttempts = 400 * want + 2000;
    for (long att = 0; att < maxAttempts && got < want; ++att) {
      double x = 0.0;
      double v = 0.0;
      candidate(cls, x, v);
      if (tryAccept(x, v, cls)) ++got;
    }
    deficit += want - got;
    if (cls == kGentle) deficit = want - got;
  }
  // anything still missing: any valid place with spacing
  for (long att = 0; att < 200000 && deficit > 0; ++att) {
    const double x = rng.range(x0, x1);
    const double v = rng.range(v0, v1);
    if (!inBounds(x, v) || w.nearVoid(x, v, 2500.0) || !grid.free(x, v, 305.0)) continue;
    const Probe pr = w.probe(x, v);
    if (!pr.valid) continue;
    Village vil;
    vil.x = x;
    vil.v = v;
    vil.cls = pr.slope < 12.0 ? kGentle : kMid;
    vil.pr = pr;
    grid.add(x, v);
    out.push_back(vil);
    --deficit;
  }

  // sizes and poverty
  for (Village& vil : out) {
    const Probe& pr = vil.pr;
    double hh = 0.0;
    double rate = 0.0;
    switch (vil.cls) {
      case kBasin:
        hh = lognormalClamp(rng, 230.0, 0.45, 100.0, 600.0);
        rate = 0.02 + 0.10 * rng.uni() + 0.02 * std::fabs(rng.normal());
        break;
      case kValley:
        hh = lognormalClamp(rng, 130.0, 0.40, 50.0, 320.0);
        rate = 0.05 + 0.18 * rng.uni() + 0.0004 * pr.hand;
        break;
      case kGentle:
        hh = lognormalClamp(rng, 85.0, 0.40, 35.0, 220.0);
        rate = 0.10 + 0.25 * rng.uni() + 0.0002 * pr.hand;
        break;
      case kMid:
        hh = lognormalClamp(rng, 55.0, 0.35, 25.0, 130.0);
        rate = 0.18 + 0.28 * rng.uni() + 0.004 * (pr.slope - 12.0);
        break;
      default: {
        hh = 10.0 + 30.0 * std::pow(rng.uni(), 1.2);
        const double sev = 0.5 * std::clamp((pr.hand - 250.0) / 500.0, 0.0, 1.0) +
                           0.5 * std::clamp((pr.slope - 15.0) / 20.0, 0.0, 1.0);
        rate = 0.30 + 0.50 * (0.55 * rng.uni() + 0.45 * sev);
        break;
      }
    }
    vil.households = std::max(1, static_cast<int>(std::lround(hh)));
    rate = std::clamp(rate, 0.0, vil.cls == kMountain ? 0.8 : 0.6);
    vil.poor = std::clamp(static_cast<int>(std::lround(rate * vil.households)), 0, vil.households);
    const double perHh = 3.3 + 1.3 * rng.uni();
    const auto hhD = static_cast<double>(vil.households);
    vil.population = static_cast<int>(std::clamp(std::lround(perHh * hhD), static_cast<long>(std::ceil(3.3 * hhD)),
                                                 static_cast<long>(std::floor(4.6 * hhD))));
  }
  return out;
}

// The boundary between the two counties: a wavy north-south line, sampled
// at every DEM row; x < at(v) is the western county (index 0).  Counties are
// decided by this polyline, so the county polygons hold their villages.
struct CountyLine {
  double step = 30.0;
  std::vector<double> xs;  // x at v = k * step
  CountyLine(const World& w, uint64_t seed) {
    Rng rng(seed, 61);
    const double phase = rng.range(0.0, 2.0 * kPi);
    const uint64_t salt = mix64(seed ^ 0xC0C0ULL);
    step = w.cell();
    const int n = w.nrows();
    for (int k = 0; k <= n; ++k) {
      const double v = k * step;
      xs.push_back(0.5 * w.width() + 0.06 * w.width() * std::sin(2.0 * kPi * 1.5 * v / w.height() + phase) +
                   1500.0 * gnoise(v / 5000.0, 0.5, salt));
    }
  }
  double at(double v) const {
    const double u = std::clamp(v / step, 0.0, static_cast<double>(xs.size() - 1));
    const auto k = std::min(static_cast<size_t>(u), xs.size() - 2);
    const double f = u - static_cast<double>(k);
    return xs[k] + f * (xs[k + 1] - xs[k]);
  }
  int county(double x, double v) const { return x < at(v) ? 0 : 1; }
};

void organise(const World& w, uint64_t seed, std::vector<Village>& vs, std::vector<Township>& towns,
              const CountyLine& line) {
  (void)w;
  Rng rng(seed, 61);
  for (Village& vil : vs) vil.county = line.county(vil.ox, vil.ov);

  // township names: a shuffled pool, then syllable pairs
  std::vector<std::string> pool;
  for (const std::string& a : kTownAnimals) pool.push_back(a + "场");
  for (const std::string& e : kTownExtra) pool.push_back(e);
  for (size_t i = pool.size(); i-- > 1;) {
    const size_t j = static_cast<size_t>(rng.irange(0, static_cast<int64_t>(i)));
    std::swap(pool[i], pool[j]);
  }
  std::set<std::string> usedTown;
  size_t poolPos = 0;
  auto townName = [&]() {
    while (poolPos < pool.size()) {
      const std::string n = pool[poolPos++];
      if (usedTown.insert(n).second) return n;
    }
    for (;;) {
      const std::string n = pick(kCommonA, rng) + pick(kCommonB, rng);
      if (usedTown.insert(n).second) return n;
    }
  };

  for (int county = 0; county < 2; ++county) {
    std::vector<int> idx;
    for (size_t i = 0; i < vs.size(); ++i)
      if (vs[i].county == county) idx.push_back(static_cast<int>(i));
    if (idx.empty()) continue;
    const long nTowns = std::min<long>(static_cast<long>(idx.size()),
                                       std::max<long>(rng.irange(4, 6), static_cast<long>((idx.size() + 99) / 100)));
    std::vector<int> cands = idx;
    std::stable_sort(cands.begin(), cands.end(), [&](int a, int b) {
      return vs[static_cast<size_t>(a)].households > vs[static_cast<size_t>(b)].households;
    });
    cands.resize(std::max<size_t>(static_cast<size_t>(nTowns), cands.size() * 2 / 5));
    // farthest-point selection among the larger villages
    std::vector<int> seats{cands[0]};
    std::vector<double> dmin(cands.size(), kInf);
    while (static_cast<long>(seats.size()) < nTowns) {
      const Village& last = vs[static_cast<size_t>(seats.back())];
      double bestD = -1.0;
      int best = -1;
      for (size_t k = 0; k < cands.size(); ++k) {
        const double dx = vs[static_cast<size_t>(cands[k])].x - last.x;
        const double dv = vs[static_cast<size_t>(cands[k])].v - last.v;
        dmin[k] = std::min(dmin[k], dx * dx + dv * dv);
        if (dmin[k] > bestD) {
          bestD = dmin[k];
          best = cands[k];
        }
      }
      seats.push_back(best);
    }
    // a few Lloyd iterations even out the township sizes; each seat is then
    // the large village nearest to its township's centre
    for (int iter = 0; iter < 6; ++iter) {
      std::vector<double> sx(seats.size(), 0.0);
      std::vector<double> sv(seats.size(), 0.0);
      std::vector<int> cnt(seats.size(), 0);
      for (int i : idx) {
        const Village& vi = vs[static_cast<size_t>(i)];
        double bestD = kInf;
        size_t best = 0;
        for (size_t k = 0; k < seats.size(); ++k) {
          const double dx = vi.x - vs[static_cast<size_t>(seats[k])].x;
          const double dv = vi.v - vs[static_cast<size_t>(seats[k])].v;
          if (dx * dx + dv * dv < bestD) {
            bestD = dx * dx + dv * dv;
            best = k;
          }
        }
        sx[best] += vi.x;
        sv[best] += vi.v;
        ++cnt[best];
      }
      std::set<int> taken;
      for (size_t k = 0; k < seats.size(); ++k) {
        if (cnt[k] == 0) {
          taken.insert(seats[k]);
          continue;
        }
        const double mx = sx[k] / cnt[k];
        const double mv = sv[k] / cnt[k];
        double bestD = kInf;
        int best = seats[k];
        for (int c : cands) {
          if (taken.count(c) != 0) continue;
          const double dx = vs[static_cast<size_t>(c)].x - mx;
          const double dv = vs[static_cast<size_t>(c)].v - mv;
          if (dx * dx + dv * dv < bestD) {
            bestD = dx * dx + dv * dv;
            best = c;
          }
        }
        seats[k] = best;
        taken.insert(best);
      }
    }
    // order seats north to south so codes read naturally
    std::stable_sort(seats.begin(), seats.end(), [&](int a, int b) {
      return vs[static_cast<size_t>(a)].v < vs[static_cast<size_t>(b)].v;
    });
    // the larger seats (and all basin seats) are towns (镇), the rest 乡
    const long nZhen = std::max<long>(1, std::lround(0.65 * static_cast<double>(nTowns)));
    std::vector<int> bySize = seats;
    std::stable_sort(bySize.begin(), bySize.end(), [&](int a, int b) {
      return vs[static_cast<size_t>(a)].households > vs[static_cast<size_t>(b)].households;
    });
    const std::set<int> zhenSeats(bySize.begin(), bySize.begin() + nZhen);
    int zhenCode = 100;
    int xiangCode = 200;
    const size_t firstTown = towns.size();
    for (long k = 0; k < nTowns; ++k) {
      Township t;
      t.county = county;
      t.seat = seats[static_cast<size_t>(k)];
      const bool zhen = zhenSeats.count(t.seat) != 0 || vs[static_cast<size_t>(t.seat)].cls == kBasin;
      t.name = townName() + (zhen ? "镇" : "乡");
      // towns (zhen) get 1xx codes, townships (xiang) 2xx; very large
      // samples continue with 3xx/5xx/7xx and 4xx/6xx/8xx
      int& counter = zhen ? zhenCode : xiangCode;
      ++counter;
      if (counter % 100 == 0) counter += 101;
      if (counter > 899) fail("too many townships in one county", "use fewer villages or a smaller area");
      t.code = counter;
      towns.push_back(t);
    }
    (void)firstTown;
  }
}

// Names and codes, once every village knows its township.
void finishVillages(uint64_t seed, std::vector<Village>& vs, std::vector<Township>& towns) {
  // names
  Rng nameRng(seed, 71);
  std::set<std::string> used;
  for (Village& vil : vs) {
    vil.name = makeVillageName(vil.cls, nameRng, used);
    used.insert(vil.name);
  }

  // codes: county (6) + township (3) + village (3, from 201, north to south)
  const std::array<const char*, 2> countyCode = {"522798", "522799"};
  for (size_t t = 0; t < towns.size(); ++t) {
    std::vector<int> members;
    for (size_t i = 0; i < vs.size(); ++i)
      if (vs[i].town == static_cast<int>(t)) members.push_back(static_cast<int>(i));
    std::stable_sort(members.begin(), members.end(), [&](int a, int b) {
      const Village& va = vs[static_cast<size_t>(a)];
      const Village& vb = vs[static_cast<size_t>(b)];
      if (va.v != vb.v) return va.v < vb.v;
      return va.x < vb.x;
    });
    if (members.size() > 798) fail("too many villages in one township", "use fewer villages");
    for (size_t k = 0; k < members.size(); ++k) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%03d%03d", countyCode[static_cast<size_t>(towns[t].county)],
                    towns[t].code, static_cast<int>(201 + k));
      vs[static_cast<size_t>(members[k])].code = buf;
    }
  }
  std::vector<size_t> perm(vs.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  std::stable_sort(perm.begin(), perm.end(), [&](size_t a, size_t b) { return vs[a].code < vs[b].code; });
  std::vector<int> newIndex(vs.size());
  std::vector<Village> sorted;
  sorted.reserve(vs.size());
  for (size_t k = 0; k < perm.size(); ++k) {
    newIndex[perm[k]] = static_cast<int>(k);
    sorted.push_back(std::move(vs[perm[k]]));
  }
  vs = std::move(sorted);
  for (Township& t : towns) t.seat = newIndex[static_cast<size_t>(t.seat)];
}

const std::array<const char*, 2> kCountyName = {"黔山县", "岩溪县"};

std::string rateString(const Village& v) {
  char buf[32];
  const double rate = static_cast<double>(v.poor) / static_cast<double>(v.households);
  std::snprintf(buf, sizeof buf, "%.4f", rate);
  return buf;
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

void writeCsv(const std::vector<Village>& vs, const std::vector<Township>& towns, const fs::path& dir) {
  const fs::path dst = dir / "villages.csv";
  const fs::path tmp = dir / ".tmp-villages.csv";
  removeIfExists(tmp);
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail("cannot create " + tmp.string(), std::strerror(errno));
    f << "code,name,county,township,lon,lat,population,households,poor_households,poverty_rate\n";
    for (const Village& v : vs) {
      char ll[64];
      std::snprintf(ll, sizeof ll, "%.6f,%.6f", v.lon, v.lat);
      f << v.code << ',' << csvField(v.name) << ',' << csvField(kCountyName[static_cast<size_t>(v.county)]) << ','
        << csvField(towns[static_cast<size_t>(v.town)].name) << ',' << ll << ',' << v.population << ','
        << v.households << ',' << v.poor << ',' << rateString(v) << '\n';
    }
    f.flush();
    if (!f) fail("cannot write " + tmp.string(), std::strerror(errno));
  }
  renameInto(tmp, dst);
}

void writeGpkg(const std::vector<Village>& vs, const std::vector<Township>& towns, const fs::path& dir,
               const SrsHandle& geo, const SrsHandle& copySrs) {
  const fs::path dst = dir / "villages_4544.gpkg";
  const fs::path tmp = dir / ".tmp-villages_4544.gpkg";
  removeIfExists(tmp);
  removeIfExists(dir / ".tmp-villages_4544.gpkg-journal");
  std::vector<double> xs;
  std::vector<double> ys;
  for (const Village& v : vs) {
    // start from the rounded CSV coordinates so both copies agree
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", v.lon);
    xs.push_back(std::strtod(buf, nullptr));
    std::snprintf(buf, sizeof buf, "%.6f", v.lat);
    ys.push_back(std::strtod(buf, nullptr));
  }
  TransformHandle ct(geo, copySrs, "cannot create transformation EPSG:4490 -> EPSG:4544");
  ct.apply(xs, ys, "cannot transform villages to EPSG:4544");

  GDALDriverH drv = GDALGetDriverByName("GPKG");
  if (drv == nullptr) failGdal("GPKG driver not available");
  CPLErrorReset();
  GDALDatasetH ds = GDALCreate(drv, tmp.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  if (ds == nullptr) failGdal("cannot create " + tmp.string());
  struct Closer {
    GDALDatasetH& h;
    ~Closer() {
      if (h != nullptr) GDALClose(h);
    }
  } closer{ds};
  char** lopts = nullptr;
  lopts = CSLSetNameValue(lopts, "GEOMETRY_NAME", "geom");
  lopts = CSLSetNameValue(lopts, "FID", "fid");
  lopts = CSLSetNameValue(lopts, "SPATIAL_INDEX", "YES");
  OGRLayerH lyr = GDALDatasetCreateLayer(ds, "villages", copySrs.h, wkbPoint, lopts);
  CSLDestroy(lopts);
  if (lyr == nullptr) failGdal("cannot create layer villages");
  struct FieldDef {
    const char* name;
    OGRFieldType type;
  };
  const std::array<FieldDef, 8> fields = {{{"code", OFTString},
                                           {"name", OFTString},
                                           {"county", OFTString},
                                           {"township", OFTString},
                                           {"population", OFTInteger},
                                           {"households", OFTInteger},
                                           {"poor_households", OFTInteger},
                                           {"poverty_rate", OFTReal}}};
  for (const FieldDef& fd : fields) {
    OGRFieldDefnH fdef = OGR_Fld_Create(fd.name, fd.type);
    if (fdef == nullptr) failGdal("cannot create field definition");
    const OGRErr e = OGR_L_CreateField(lyr, fdef, TRUE);
    OGR_Fld_Destroy(fdef);
    if (e != OGRERR_NONE) failGdal(std::string("cannot create field ") + fd.name);
  }
  if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE) failGdal("cannot start transaction");
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
  for (size_t i = 0; i < vs.size(); ++i) {
    const Village& v = vs[i];
    OGRFeatureH feat = OGR_F_Create(defn);
    if (feat == nullptr) failGdal("cannot create feature");
    OGR_F_SetFieldString(feat, 0, v.code.c_str());
    OGR_F_SetFieldString(feat, 1, v.name.c_str());
    OGR_F_SetFieldString(feat, 2, kCountyName[static_cast<size_t>(v.county)]);
    OGR_F_SetFieldString(feat, 3, towns[static_cast<size_t>(v.town)].name.c_str());
    OGR_F_SetFieldInteger(feat, 4, v.population);
    OGR_F_SetFieldInteger(feat, 5, v.households);
    OGR_F_SetFieldInteger(feat, 6, v.poor);
    OGR_F_SetFieldDouble(feat, 7, std::strtod(rateString(v).c_str(), nullptr));
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    if (pt == nullptr) {
      OGR_F_Destroy(feat);
      failGdal("cannot create point");
    }
    OGR_G_SetPoint_2D(pt, 0, xs[i], ys[i]);
    const OGRErr ge = OGR_F_SetGeometryDirectly(feat, pt);
    const OGRErr fe = (ge == OGRERR_NONE) ? OGR_L_CreateFeature(lyr, feat) : ge;
    OGR_F_Destroy(feat);
    if (fe != OGRERR_NONE) failGdal("cannot write village " + v.code);
  }
  if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE) failGdal("cannot commit villages_4544.gpkg");
  CPLErrorReset();
  GDALClose(ds);
  ds = nullptr;
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
    failGdal("cannot finish villages_4544.gpkg");
  renameInto(tmp, dst);
}

#include "gdalutil.hpp"
#include "features.hpp"
#include "water.hpp"
#include "roads.hpp"
#include "hazards.hpp"
#include "rasters.hpp"
#include "output.hpp"

int run(const Options& opt) {
  // reproducible files: no timestamps, no side-car files
  CPLSetConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
  CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
  CPLSetConfigOption("GDAL_NUM_THREADS", "1");
  CPLSetConfigOption("OGR_SQLITE_JOURNAL", "DELETE");
  CPLSetConfigOption("CPL_LOG_ERRORS", "OFF");
  GDALSetCacheMax64(static_cast<GIntBig>(160) * 1024 * 1024);
  GDALAllRegister();
  const bool debug = std::getenv("RELOCPLAN_SAMPLEGEN_DEBUG") != nullptr;
  // stage timings on stderr, only when debugging (they never reach a file)
  const auto t0 = std::chrono::steady_clock::now();
  auto stage = [&](const char* name) {
    if (!debug) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "[%8.1f s] %s\n", s, name);
  };

  const fs::path dir(opt.outdir);
  {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) fail("cannot create directory " + dir.string(), ec.message());
  }

  SrsHandle geo(kGeoEpsg);
  SrsHandle demSrs(kDemEpsg);
  SrsHandle copySrs(kCopyEpsg);

  World world(opt);
  world.build();

  DemInfo info = gridOrigin(world, geo, demSrs);
  CoarseDem coarse;
  coarse.init(world.ncols(), world.nrows(), world.ncols() <= 4096 ? 2 : 4);
  writeDem(world, dir, demSrs, info, coarse);
  coarse.finish();
  const double voidHa = static_cast<double>(info.nodata) * world.cell() * world.cell() / 10000.0;
  std::printf("dem.tif: %d x %d cells of %g m, EPSG:4545, elevation %.1f to %.1f m, %lld NoData cells (%.1f ha)\n",
              world.ncols(), world.nrows(), world.cell(), info.minZ, info.maxZ, info.nodata, voidHa);
  std::fflush(stdout);
  stage("dem.tif");
  Frame fr;
  fr.oE = info.originE;
  fr.oN = info.originN;
  fr.cell = world.cell();
  fr.ncols = world.ncols();
  fr.nrows = world.nrows();

  std::vector<Village> vs = placeVillages(world, opt.seed, opt.villages);
  // local metres -> EPSG:4545 -> EPSG:4490 lon/lat, rounded as published,
  // and back: counties and townships are decided on the published points
  {
    std::vector<double> xs;
    std::vector<double> ys;
    for (const Village& v : vs) {
      xs.push_back(info.originE + v.x);
      ys.push_back(info.originN - v.v);
    }
    TransformHandle ct(demSrs, geo, "cannot create transformation EPSG:4545 -> EPSG:4490");
    ct.apply(xs, ys, "cannot transform villages to EPSG:4490");
    for (size_t i = 0; i < vs.size(); ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6f", xs[i]);
      vs[i].lon = std::strtod(buf, nullptr);
      std::snprintf(buf, sizeof buf, "%.6f", ys[i]);
      vs[i].lat = std::strtod(buf, nullptr);
      xs[i] = vs[i].lon;
      ys[i] = vs[i].lat;
    }
    TransformHandle back(geo, demSrs, "cannot create transformation EPSG:4490 -> EPSG:4545");
    back.apply(xs, ys, "cannot transform villages to EPSG:4545");
    for (size_t i = 0; i < vs.size(); ++i) {
      vs[i].ox = fr.lx(xs[i]);
      vs[i].ov = fr.lv(ys[i]);
    }
  }
  const CountyLine line(world, opt.seed);
  std::vector<Township> towns;
  organise(world, opt.seed, vs, towns, line);
  const Admin admin = buildAdmin(fr, line, vs, towns, opt.seed);
  finishVillages(opt.seed, vs, towns);
  writeCsv(vs, towns, dir);
  int smallPoor = 0;
  for (const Village& v : vs)
    if (v.households < 50 && 2 * v.poor > v.households) ++smallPoor;
  std::printf("villages.csv: %zu villages (EPSG:4490 lon/lat) in 2 counties, %zu townships; %d small (<50 households) with poverty rate > 0.5\n",
              vs.size(), towns.size(), smallPoor);
  writeGpkg(vs, towns, dir, geo, copySrs);
  std::printf("villages_4544.gpkg: layer villages, %zu points, EPSG:4544\n", vs.size());
  std::fflush(stdout);

  stage("villages written");
  const std::vector<Town> tw = makeTowns(world, opt.seed, vs, towns, line);
  const std::vector<Reserve> reserves = placeReserves(world, opt.seed, vs, tw);
  const Fields fields = makeFields(world, vs, tw);
  std::vector<WaterBody> water;
  {
    DemReader dem(dir / "dem.tif", fr.ncols, fr.nrows);
    WaterBuilder wb(world, fr, dem, vs, tw, reserves, opt.seed);
    water = wb.build();
  }
  stage("water bodies");
  std::vector<Road> roads;
  {
    RoadBuilder rb(world, coarse, water, reserves);
    roads = rb.build(tw, vs, reserves);
  }
  stage("roads");
  std::vector<float>().swap(coarse.z);
  const std::vector<Hazard> hazards = makeHazards(world, opt.seed, vs);
  std::vector<Facility> schools;
  std::vector<Facility> clinics;
  makeFacilities(world, opt.seed, vs, towns, tw, schools, clinics);

  stage("hazards, facilities");
  const Model model{world, fr, fields, hazards, water, vs, tw, mix64(opt.seed ^ 0x5C0DEULL)};
  const fs::path fragTmp = dir / ".tmp-fragility.tif";
  const fs::path scoreTmp = dir / ".tmp-scores.tif";
  removeIfExists(fragTmp);
  removeIfExists(scoreTmp);
  {
    DemReader dem(dir / "dem.tif", fr.ncols, fr.nrows);
    ScoreStats stats;
    passScores(model, dem, fragTmp, scoreTmp, demSrs, debug ? &stats : nullptr);
    if (debug) {
      for (auto* arr : {&stats.d, &stats.s, &stats.f}) {
        std::sort(arr->begin(), arr->end());
        std::printf("quantiles:");
        for (double q : {0.3, 0.5, 0.65, 0.7, 0.8, 0.85, 0.9, 0.92, 0.95, 0.97, 0.99})
          std::printf(" %.2f:%.3f", q, (*arr)[static_cast<size_t>(q * static_cast<double>(arr->size() - 1))]);
        std::printf("\n");
      }
    }
  }
  stage("fragility");
  renameInto(fragTmp, dir / "fragility.tif");
  std::printf("fragility.tif: %d x %d cells of %g m, EPSG:4545\n", (fr.ncols + 2) / 3, (fr.nrows + 2) / 3, 3 * fr.cell);
  std::fflush(stdout);
  {
    GDALDatasetH sc = GDALOpen(scoreTmp.string().c_str(), GA_ReadOnly);
    GDALDatasetH frag = GDALOpen((dir / "fragility.tif").string().c_str(), GA_ReadOnly);
    if (sc == nullptr || frag == nullptr) failGdal("cannot reopen the score rasters");
    {
      const LayersInput in{world, fr, line, admin, towns, tw, roads, water, reserves, schools, clinics, model, sc,
                           frag, opt.seed};
      writeLayers(in, dir, demSrs);
    }
  stage("layers.gpkg");
    std::fflush(stdout);
    {
      DemReader dem(dir / "dem.tif", fr.ncols, fr.nrows);
      const fs::path lcTmp = dir / ".tmp-landcover.tif";
      removeIfExists(lcTmp);
      std::array<long long, 256> hist{};
      passLandcover(model, dem, sc, lcTmp, demSrs, hist);
      renameInto(lcTmp, dir / "landcover.tif");
      long long tot = 0;
      for (int k = 0; k < 255; ++k) tot += hist[static_cast<size_t>(k)];
      std::printf("landcover.tif: EPSG:32648, 30 m;");
      for (int k : {10, 20, 30, 40, 50, 60, 80, 90})
        std::printf(" %d:%.1f%%", k, 100.0 * static_cast<double>(hist[static_cast<size_t>(k)]) / std::max(1LL, tot));
      std::printf("\n");
    }
    GDALClose(frag);
    GDALClose(sc);
  }
  stage("landcover");
  removeIfExists(scoreTmp);
  writeHazards(hazards, fr, dir, demSrs, geo);
  int threatening = 0;
  for (const Hazard& h : hazards)
    if (h.village >= 0) ++threatening;
  std::printf("hazard_points.shp: %zu points (EPSG:4490), %d placed above villages\n", hazards.size(), threatening);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parseArgs(argc, argv);
  CPLPushErrorHandler(errorHandler);
  int rc = 1;
  try {
    rc = run(opt);
  } catch (const Failure& f) {
    std::fprintf(stderr, "%s: %s: %s\n", kProg, f.what.c_str(), f.detail.c_str());
    rc = 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", kProg, e.what());
    rc = 1;
  }
  CPLPopErrorHandler();
  return rc;
}
