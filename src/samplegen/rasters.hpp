// relocplan-samplegen: derived rasters (fragility, land cover) and the class
// rasters behind the zoning polygons, all computed tile by tile from the
// written DEM so that memory stays bounded whatever the area.  Part of
// run.cpp (included inside its anonymous namespace).

// Shares of the area per class (thresholds on the scores below), tuned on the
// default sample: rocky desertification grades potential..extreme, geohazard
// susceptibility medium/high, ecological red line for soil conservation.
constexpr std::array<double, 5> kDesertT = {0.42, 0.57, 0.64, 0.74, 0.90};
constexpr std::array<double, 2> kSuscT = {0.25, 0.52};
constexpr double kSoilRedT = 0.76;

const std::array<const char*, 6> kGradeName = {"none", "potential", "light", "moderate", "severe", "extreme"};
const std::array<const char*, 4> kSuscName = {"", "low", "medium", "high"};

struct Model {
  const World& w;
  const Frame& fr;
  const Fields& fields;
  const std::vector<Hazard>& hazards;
  const std::vector<WaterBody>& water;
  const std::vector<Village>& vs;
  const std::vector<Town>& towns;
  uint64_t salt;

  // carbonate rock (karst) share: most of the area, all of the cone karst
  double carbonate(double x, double v) const {
    const double lith = smoothstep(-0.32, -0.08, fbm(x / 15000.0 + 3.1, v / 15000.0 - 7.4, 2, salt + 1));
    return std::max(lith, w.karst(x, v));
  }
  int grade(double d, double x, double v) const {
    const double s = d + 0.05 * gnoise(x / 260.0, v / 260.0, salt + 2);
    int g = 0;
    for (size_t k = 0; k < kDesertT.size(); ++k)
      if (s >= kDesertT[k]) g = static_cast<int>(k) + 1;
    return g;
  }
  int susc(double s, double x, double v) const {
    const double q = s + 0.04 * gnoise(x / 400.0, v / 400.0, salt + 3);
    return q >= kSuscT[1] ? 3 : q >= kSuscT[0] ? 2 : 1;
  }
};

// Reads windows of one band of a raster on the fragility grid (3 DEM cells),
// clamping at the edges, and samples it bilinearly at local coordinates.
class GridWindow {
 public:
  GridWindow(GDALDatasetH ds, int band, double cs) : band_(GDALGetRasterBand(ds, band)), cs_(cs) {
    nx_ = GDALGetRasterXSize(ds);
    ny_ = GDALGetRasterYSize(ds);
  }
  // loads the cells needed for local x in [x0, x1], v in [v0, v1]
  void load(double x0, double v0, double x1, double v1) {
    a0_ = std::clamp(static_cast<int>(std::floor(x0 / cs_ - 0.5)) - 1, 0, nx_ - 1);
    b0_ = std::clamp(static_cast<int>(std::floor(v0 / cs_ - 0.5)) - 1, 0, ny_ - 1);
    const int a1 = std::clamp(static_cast<int>(std::floor(x1 / cs_ - 0.5)) + 2, 0, nx_ - 1);
    const int b1 = std::clamp(static_cast<int>(std::floor(v1 / cs_ - 0.5)) + 2, 0, ny_ - 1);
    w_ = a1 - a0_ + 1;
    h_ = b1 - b0_ + 1;
    buf_.resize(static_cast<size_t>(w_) * static_cast<size_t>(h_));
    if (GDALRasterIO(band_, GF_Read, a0_, b0_, w_, h_, buf_.data(), w_, h_, GDT_Float32, 0, 0) != CE_None)
      failGdal("cannot read a score window");
  }
  double at(double x, double v) const {
    const double u = std::clamp(x / cs_ - 0.5 - a0_, 0.0, w_ - 1.000001);
    const double q = std::clamp(v / cs_ - 0.5 - b0_, 0.0, h_ - 1.000001);
    const int i = static_cast<int>(u);
    const int j = static_cast<int>(q);
    const int i1 = std::min(i + 1, w_ - 1);
    const int j1 = std::min(j + 1, h_ - 1);
    const double fu = u - i;
    const double fq = q - j;
    auto g = [&](int a, int b) {
      const float f = buf_[static_cast<size_t>(b) * static_cast<size_t>(w_) + static_cast<size_t>(a)];
      return f < -1000.0f ? 0.0 : static_cast<double>(f);
    };
    return (1 - fq) * ((1 - fu) * g(i, j) + fu * g(i1, j)) + fq * ((1 - fu) * g(i, j1) + fu * g(i1, j1));
  }

 private:
  GDALRasterBandH band_;
  double cs_;
  int nx_ = 0, ny_ = 0;
  int a0_ = 0, b0_ = 0, w_ = 1, h_ = 1;
  std::vector<float> buf_;
};

// ---------------------------------------------------------------------------
// Pass over the DEM in tiles: fragility.tif (90 m) and the scores behind the
// desertification and susceptibility zones (a temporary raster).

struct ScoreStats {
  std::vector<float> d, s, f;  // samples for the printed quantiles
};

void passScores(const Model& m, const DemReader& dem, const fs::path& fragTmp, const fs::path& scoreTmp,
                const SrsHandle& srs, ScoreStats* stats) {
  const Frame& fr = m.fr;
  const int F = 3;
  const int nx = (fr.ncols + F - 1) / F;
  const int ny = (fr.nrows + F - 1) / F;
  const double cs = F * fr.cell;
  GDALDatasetH frag = createTiff(fragTmp, nx, ny, 1, GDT_Float32, true);
  GDALDatasetH sc = createTiff(scoreTmp, nx, ny, 2, GDT_Float32, false);
  double gt[6] = {fr.oE, cs, 0.0, fr.oN, 0.0, -cs};
  GDALSetGeoTransform(frag, gt);
  GDALSetSpatialRef(frag, srs.h);
  GDALSetGeoTransform(sc, gt);
  GDALRasterBandH fb = GDALGetRasterBand(frag, 1);
  GDALSetRasterNoDataValue(fb, kNoData);
  GDALSetDescription(fb, "ecological fragility index (0-1, 1 = most fragile)");
  const int T = 680;
  std::vector<float> z;
  std::vector<float> sl;
  for (int J0 = 0; J0 < ny; J0 += T) {
    for (int I0 = 0; I0 < nx; I0 += T) {
      const int ni = std::min(T, nx - I0);
      const int nj = std::min(T, ny - J0);
      const int ww = F * ni + 2;
      dem.read(F * I0 - 1, F * J0 - 1, ww, F * nj + 2, z);
      hornSlope(z, F * ni, F * nj, fr.cell, sl);
      const size_t n = static_cast<size_t>(ni) * static_cast<size_t>(nj);
      std::vector<float> hz(n, 0.0f);
      const double tx0 = I0 * cs, tv0 = J0 * cs, tx1 = (I0 + ni) * cs, tv1 = (J0 + nj) * cs;
      for (const Hazard& h : m.hazards) {
        const double R = h.radius + 350.0;
        if (h.x + R < tx0 || h.x - R > tx1 || h.v + R < tv0 || h.v - R > tv1) continue;
        const int a0 = std::max(0, static_cast<int>((h.x - R - tx0) / cs));
        const int a1 = std::min(ni - 1, static_cast<int>((h.x + R - tx0) / cs));
        const int b0 = std::max(0, static_cast<int>((h.v - R - tv0) / cs));
        const int b1 = std::min(nj - 1, static_cast<int>((h.v + R - tv0) / cs));
        for (int b = b0; b <= b1; ++b)
          for (int a = a0; a <= a1; ++a) {
            const double q = dist2(tx0 + (a + 0.5) * cs, tv0 + (b + 0.5) * cs, h.x, h.v) / (R * R);
            if (q < 1.0) {
              float& f = hz[static_cast<size_t>(b) * static_cast<size_t>(ni) + static_cast<size_t>(a)];
              f = std::max(f, static_cast<float>(1.0 - 0.6 * q));
            }
          }
      }
      std::vector<float> fo(n), dOut(n), sOut(n);
      for (int b = 0; b < nj; ++b) {
        for (int a = 0; a < ni; ++a) {
          double zs = 0.0, ss = 0.0, smax = 0.0;
          int cnt = 0;
          for (int q = 0; q < F; ++q)
            for (int p = 0; p < F; ++p) {
              const int sc30 = F * a + p;
              const int sr30 = F * b + q;
              const float zz = z[static_cast<size_t>(sr30 + 1) * static_cast<size_t>(ww) + static_cast<size_t>(sc30 + 1)];
              const float s = sl[static_cast<size_t>(sr30) * static_cast<size_t>(F * ni) + static_cast<size_t>(sc30)];
              if (std::isnan(zz) || std::isnan(s)) continue;
              zs += zz;
              ss += s;
              smax = std::max(smax, static_cast<double>(s));
              ++cnt;
            }
          const size_t k = static_cast<size_t>(b) * static_cast<size_t>(ni) + static_cast<size_t>(a);
          if (cnt == 0) {
            fo[k] = static_cast<float>(kNoData);
            dOut[k] = static_cast<float>(kNoData);
            sOut[k] = static_cast<float>(kNoData);
            continue;
          }
          const double zm = zs / cnt;
          const double s = ss / cnt;
          const double x = (I0 + a + 0.5) * cs;
          const double v = (J0 + b + 0.5) * cs;
          const double carb = m.carbonate(x, v);
          const double km = m.w.karst(x, v);
          const double farm = m.fields.farm.at(x, v);
          const double steep = m.fields.steepFarm.at(x, v);
          const double sf = smoothstep(5.0, 38.0, s);
          const double n1 = fbm(x / 1800.0, v / 1800.0, 2, m.salt + 11);
          const double D = carb * (0.50 * sf + 0.20 * km + 0.28 * farm * smoothstep(8.0, 28.0, s) +
                                   0.32 * steep * smoothstep(15.0, 35.0, s) + 0.16 * n1);
          const double n2 = fbm(x / 2500.0, v / 2500.0, 2, m.salt + 12);
          const double S = 0.55 * smoothstep(8.0, 38.0, s) + 0.15 * smoothstep(25.0, 50.0, smax) +
                           0.10 * carb * km + 0.6 * hz[k] + 0.12 * n2;
          const double elevF = smoothstep(900.0, 1800.0, zm);
          const double n3 = fbm(x / 3000.0, v / 3000.0, 2, m.salt + 13);
          const double Fr = std::clamp(0.06 + 0.36 * sf + 0.18 * carb + 0.32 * std::min(1.0, std::max(0.0, D)) +
                                           0.08 * elevF + 0.06 * n3 - 0.12 * (1.0 - smoothstep(2.0, 8.0, s)),
                                       0.0, 1.0);
          fo[k] = static_cast<float>(std::round(Fr * 10000.0) / 10000.0);
          dOut[k] = static_cast<float>(D);
          sOut[k] = static_cast<float>(S);
          if (stats != nullptr && (k % 7) == 0) {
            stats->d.push_back(dOut[k]);
            stats->s.push_back(sOut[k]);
            stats->f.push_back(fo[k]);
          }
        }
      }
      if (GDALRasterIO(fb, GF_Write, I0, J0, ni, nj, fo.data(), ni, nj, GDT_Float32, 0, 0) != CE_None ||
          GDALRasterIO(GDALGetRasterBand(sc, 1), GF_Write, I0, J0, ni, nj, dOut.data(), ni, nj, GDT_Float32, 0, 0) !=
              CE_None ||
          GDALRasterIO(GDALGetRasterBand(sc, 2), GF_Write, I0, J0, ni, nj, sOut.data(), ni, nj, GDT_Float32, 0, 0) !=
              CE_None)
        failGdal("cannot write fragility");
    }
  }
  closeChecked(frag, "fragility.tif");
  closeChecked(sc, "scores");
}

// ---------------------------------------------------------------------------
// Class rasters polygonized tile by tile

// Class grid of `step` DEM cells; fill(k0, l0, nk, nl, cls) fills a tile.
void classPass(const Frame& fr, int step, int tile, int sieve, bool eight,
               const std::function<bool(int, int, int, int, std::vector<uint8_t>&)>& fill,
               const std::function<void(int, Geom)>& emit) {
  const int nk = (fr.ncols + step - 1) / step;
  const int nl = (fr.nrows + step - 1) / step;
  const double cs = step * fr.cell;
  const bool overhang = nk * step != fr.ncols || nl * step != fr.nrows;
  Geom extent;
  if (overhang) extent = polygonFromLocal({{0, 0}, {fr.width(), 0}, {fr.width(), fr.height()}, {0, fr.height()}}, fr);
  std::vector<uint8_t> cls;
  for (int l0 = 0; l0 < nl; l0 += tile) {
    for (int k0 = 0; k0 < nk; k0 += tile) {
      const int tw = std::min(tile, nk - k0);
      const int th = std::min(tile, nl - l0);
      cls.assign(static_cast<size_t>(tw) * static_cast<size_t>(th), 0);
      if (!fill(k0, l0, tw, th, cls)) continue;
      const bool edge = overhang && (k0 + tw == nk || l0 + th == nl);
      polygonizeClasses(cls, tw, th, fr.E(k0 * cs), fr.N(l0 * cs), cs, sieve, eight, [&](int v, Geom g) {
        if (edge) g = Geom(OGR_G_Intersection(g.get(), extent.get()));
        emit(v, std::move(g));
      });
    }
  }
}

// ---------------------------------------------------------------------------
// Water, settlements and land cover on windows of the DEM grid

// 1 river channel, 2 water body; windows [c0, c0 + w) x [r0, r0 + h)
void waterMask(const Model& m, int c0, int r0, int w, int h, std::vector<uint8_t>& out) {
  out.assign(static_cast<size_t>(w) * static_cast<size_t>(h), 0);
  const double cell = m.fr.cell;
  const double x0 = c0 * cell, v0 = r0 * cell, x1 = (c0 + w) * cell, v1 = (r0 + h) * cell;
  for (const Seg& s : m.w.segments()) {
    const int order = m.w.rivers()[static_cast<size_t>(s.river)].order;
    if (order > 2) continue;
    const double half = order == 1 ? std::max<double>(s.cw, 21.0) : std::max<double>(s.cw, 15.0);
    const double ex = static_cast<double>(s.ax) + s.ux;
    const double ev = static_cast<double>(s.av) + s.uv;
    const double bx0 = std::min<double>(s.ax, ex) - half, bx1 = std::max<double>(s.ax, ex) + half;
    const double bv0 = std::min<double>(s.av, ev) - half, bv1 = std::max<double>(s.av, ev) + half;
    if (bx1 < x0 || bx0 > x1 || bv1 < v0 || bv0 > v1) continue;
    const int cs = std::max(c0, static_cast<int>(std::floor(bx0 / cell)));
    const int ce = std::min(c0 + w - 1, static_cast<int>(std::floor(bx1 / cell)));
    const int rs = std::max(r0, static_cast<int>(std::floor(bv0 / cell)));
    const int re = std::min(r0 + h - 1, static_cast<int>(std::floor(bv1 / cell)));
    for (int r = rs; r <= re; ++r)
      for (int c = cs; c <= ce; ++c)
        if (pointSegDist(s, (c + 0.5) * cell, (r + 0.5) * cell) <= half)
          out[static_cast<size_t>(r - r0) * static_cast<size_t>(w) + static_cast<size_t>(c - c0)] = 1;
  }
  for (const WaterBody& b : m.water) {
    if (b.c0 >= c0 + w || b.c0 + b.w <= c0 || b.r0 >= r0 + h || b.r0 + b.h <= r0) continue;
    for (int r = std::max(r0, b.r0); r < std::min(r0 + h, b.r0 + b.h); ++r)
      for (int c = std::max(c0, b.c0); c < std::min(c0 + w, b.c0 + b.w); ++c)
        if (b.at(c, r)) out[static_cast<size_t>(r - r0) * static_cast<size_t>(w) + static_cast<size_t>(c - c0)] = 2;
  }
}

// built-up land of villages and towns
void settlementMask(const Model& m, int c0, int r0, int w, int h, std::vector<uint8_t>& out) {
  out.assign(static_cast<size_t>(w) * static_cast<size_t>(h), 0);
  const double cell = m.fr.cell;
  auto stamp = [&](double x, double v, double R) {
    const double Rm = 1.35 * R;
    const int cs = std::max(c0, static_cast<int>(std::floor((x - Rm) / cell)));
    const int ce = std::min(c0 + w - 1, static_cast<int>(std::floor((x + Rm) / cell)));
    const int rs = std::max(r0, static_cast<int>(std::floor((v - Rm) / cell)));
    const int re = std::min(r0 + h - 1, static_cast<int>(std::floor((v + Rm) / cell)));
    for (int r = rs; r <= re; ++r)
      for (int c = cs; c <= ce; ++c) {
        const double px = (c + 0.5) * cell, pv = (r + 0.5) * cell;
        const double rr = R * (1.0 + 0.35 * gnoise(px / 140.0, pv / 140.0, m.salt + 21));
        if (dist2(px, pv, x, v) <= rr * rr)
          out[static_cast<size_t>(r - r0) * static_cast<size_t>(w) + static_cast<size_t>(c - c0)] = 1;
      }
  };
  const double x0 = c0 * cell - 2500.0, v0 = r0 * cell - 2500.0;
  const double x1 = (c0 + w) * cell + 2500.0, v1 = (r0 + h) * cell + 2500.0;
  for (const Village& vi : m.vs)
    if (vi.ox > x0 && vi.ox < x1 && vi.ov > v0 && vi.ov < v1)
      stamp(vi.ox, vi.ov, std::sqrt(vi.households * 260.0 / kPi) + 15.0);
  for (const Town& t : m.towns) {
    if (t.x < x0 || t.x > x1 || t.v < v0 || t.v > v1) continue;
    const double area = t.kind == "industrial_park" ? t.jobs * 300.0 : t.population * 45.0;
    stamp(t.x, t.v, std::min(2200.0, std::sqrt(area / kPi)));
  }
}

// GlobeLand30 classes of the DEM cells [c0, c0 + w) x [r0, r0 + h)
void classifyLandcover(const Model& m, const DemReader& dem, GridWindow& dScore, int c0, int r0, int w, int h,
                       std::vector<uint8_t>& out) {
  const double cell = m.fr.cell;
  std::vector<float> z;
  std::vector<float> sl;
  dem.read(c0 - 1, r0 - 1, w + 2, h + 2, z);
  hornSlope(z, w, h, cell, sl);
  std::vector<uint8_t> wat;
  std::vector<uint8_t> set;
  waterMask(m, c0 - 3, r0 - 3, w + 6, h + 6, wat);
  settlementMask(m, c0, r0, w, h, set);
  dScore.load(c0 * cell, r0 * cell, (c0 + w) * cell, (r0 + h) * cell);
  out.assign(static_cast<size_t>(w) * static_cast<size_t>(h), 255);
  const size_t ww = static_cast<size_t>(w) + 6;
  for (int r = 0; r < h; ++r) {
    for (int c = 0; c < w; ++c) {
      const size_t k = static_cast<size_t>(r) * static_cast<size_t>(w) + static_cast<size_t>(c);
      const double x = (c0 + c + 0.5) * cell;
      const double v = (r0 + r + 0.5) * cell;
      const uint8_t wv = wat[static_cast<size_t>(r + 3) * ww + static_cast<size_t>(c + 3)];
      if (wv != 0) {
        out[k] = 60;
        continue;
      }
      double s = sl[k];
      const double zz = z[static_cast<size_t>(r + 1) * static_cast<size_t>(w + 2) + static_cast<size_t>(c + 1)];
      if (std::isnan(s)) s = 30.0;
      if (set[k] != 0 && s < 30.0) {
        out[k] = 80;
        continue;
      }
      // wetland: flat cells beside water
      if (s < 3.0) {
        bool nearWater = false;
        for (int q = -2; q <= 2 && !nearWater; ++q)
          for (int p = -2; p <= 2 && !nearWater; ++p)
            if (wat[static_cast<size_t>(r + 3 + q) * ww + static_cast<size_t>(c + 3 + p)] != 0) nearWater = true;
        if (nearWater && gnoise(x / 90.0, v / 90.0, m.salt + 31) > 0.25) {
          out[k] = 50;
          continue;
        }
      }
      const int g = m.grade(dScore.at(x, v), x, v);
      const double u = std::clamp(0.5 + 0.8 * fbm(x / 420.0, v / 420.0, 3, m.salt + 32), 0.0, 1.0);  // patches
      const double u2 = 0.5 + 0.5 * gnoise(x / 170.0, v / 170.0, m.salt + 33);
      if (g >= 4 && u2 < (g == 5 ? 0.85 : 0.55)) {
        out[k] = 90;
        continue;
      }
      const double farm = m.fields.farm.at(x, v);
      const double steep = m.fields.steepFarm.at(x, v);
      const double base = s < 6.0 ? 0.9 : s < 15.0 ? 0.7 : s < 25.0 ? 0.45 : 0.18;
      double pc = base * smoothstep(0.0, 0.6, farm);
      if (s >= 25.0 && s < 45.0) pc = std::max(pc, 0.75 * steep);
      if (g >= 4) pc *= 0.3;
      if (u < pc) {
        out[k] = 10;
        continue;
      }
      if (g >= 2) {
        out[k] = u2 < 0.6 ? 40 : (u2 < 0.9 || g == 2 ? 30 : 90);
        continue;
      }
      if (std::isfinite(zz) && zz > 1650.0 && s < 15.0) {
        out[k] = u2 < 0.6 ? 30 : 40;
        continue;
      }
      if (s >= 25.0) {
        out[k] = u2 < 0.68 ? 20 : 40;
        continue;
      }
      out[k] = u2 < 0.5 ? 20 : (u2 < 0.8 ? 40 : 30);
    }
  }
}

void setLandcoverColors(GDALRasterBandH b) {
  GDALColorTableH ct = GDALCreateColorTable(GPI_RGB);
  const std::array<std::pair<int, std::array<short, 3>>, 8> cols = {{{10, {{249, 160, 255}}},
                                                                       {20, {{0, 99, 0}}},
                                                                       {30, {{99, 255, 0}}},
                                                                       {40, {{0, 255, 119}}},
                                                                       {50, {{0, 99, 255}}},
                                                                       {60, {{0, 0, 255}}},
                                                                       {80, {{255, 0, 0}}},
                                                                       {90, {{191, 191, 191}}}}};
  for (int i = 0; i < 256; ++i) {
    GDALColorEntry e{0, 0, 0, i == 255 ? short{0} : short{255}};
    for (const auto& [code, rgb] : cols)
      if (code == i) e = GDALColorEntry{rgb[0], rgb[1], rgb[2], 255};
    GDALSetColorEntry(ct, i, &e);
  }
  GDALSetRasterColorTable(b, ct);
  GDALDestroyColorTable(ct);
}

// landcover.tif in UTM 48N: each output block maps to a window of the DEM
// grid, classified there and sampled at the nearest cell.
void passLandcover(const Model& m, const DemReader& dem, GDALDatasetH scores, const fs::path& tmp,
                   const SrsHandle& demSrs, std::array<long long, 256>& hist) {
  const Frame& fr = m.fr;
  SrsHandle utm(32648);
  TransformHandle toUtm(demSrs, utm, "cannot create transformation EPSG:4545 -> EPSG:32648");
  TransformHandle toDem(utm, demSrs, "cannot create transformation EPSG:32648 -> EPSG:4545");
  std::vector<double> xs, ys;
  for (int k = 0; k <= 200; ++k) {
    const double f = k / 200.0;
    const double W = fr.width(), H = fr.height();
    const std::array<Pt, 4> pts = {Pt{f * W, 0.0}, Pt{f * W, H}, Pt{0.0, f * H}, Pt{W, f * H}};
    for (const Pt& p : pts) {
      xs.push_back(fr.E(p.x));
      ys.push_back(fr.N(p.v));
    }
  }
  toUtm.apply(xs, ys, "cannot transform the DEM extent to EPSG:32648");
  const double cs = fr.cell;
  const double minE = std::floor(*std::min_element(xs.begin(), xs.end()) / cs) * cs;
  const double maxE = std::ceil(*std::max_element(xs.begin(), xs.end()) / cs) * cs;
  const double minN = std::floor(*std::min_element(ys.begin(), ys.end()) / cs) * cs;
  const double maxN = std::ceil(*std::max_element(ys.begin(), ys.end()) / cs) * cs;
  const int nc = static_cast<int>(std::lround((maxE - minE) / cs));
  const int nr = static_cast<int>(std::lround((maxN - minN) / cs));
  GDALDatasetH ds = createTiff(tmp, nc, nr, 1, GDT_Byte, true);
  double gt[6] = {minE, cs, 0.0, maxN, 0.0, -cs};
  GDALSetGeoTransform(ds, gt);
  GDALSetSpatialRef(ds, utm.h);
  GDALRasterBandH band = GDALGetRasterBand(ds, 1);
  GDALSetRasterNoDataValue(band, 255);
  GDALSetDescription(band, "land cover (GlobeLand30 codes)");
  setLandcoverColors(band);
  GridWindow dScore(scores, 1, 3.0 * fr.cell);
  const int B = 512;
  const int L = 64;
  std::vector<uint8_t> blk;
  std::vector<uint8_t> cls;
  for (int br = 0; br < nr; br += B) {
    for (int bc = 0; bc < nc; bc += B) {
      const int bw = std::min(B, nc - bc);
      const int bh = std::min(B, nr - br);
      const int na = (bw + L - 1) / L + 1;
      const int nb = (bh + L - 1) / L + 1;
      std::vector<double> lx, lv;
      for (int b = 0; b < nb; ++b)
        for (int a = 0; a < na; ++a) {
          lx.push_back(minE + (bc + a * L + 0.5) * cs);
          lv.push_back(maxN - (br + b * L + 0.5) * cs);
        }
      toDem.apply(lx, lv, "cannot transform land-cover cells to EPSG:4545");
      for (size_t i = 0; i < lx.size(); ++i) {
        lx[i] = fr.lx(lx[i]);
        lv[i] = fr.lv(lv[i]);
      }
      const double x0 = *std::min_element(lx.begin(), lx.end()), x1 = *std::max_element(lx.begin(), lx.end());
      const double v0 = *std::min_element(lv.begin(), lv.end()), v1 = *std::max_element(lv.begin(), lv.end());
      blk.assign(static_cast<size_t>(bw) * static_cast<size_t>(bh), 255);
      const int c0 = std::max(0, static_cast<int>(std::floor(x0 / fr.cell)) - 2);
      const int r0 = std::max(0, static_cast<int>(std::floor(v0 / fr.cell)) - 2);
      const int c1 = std::min(fr.ncols - 1, static_cast<int>(std::floor(x1 / fr.cell)) + 2);
      const int r1 = std::min(fr.nrows - 1, static_cast<int>(std::floor(v1 / fr.cell)) + 2);
      if (c0 <= c1 && r0 <= r1) {
        const int w = c1 - c0 + 1;
        const int h = r1 - r0 + 1;
        classifyLandcover(m, dem, dScore, c0, r0, w, h, cls);
        for (int r = 0; r < bh; ++r) {
          const double fb = static_cast<double>(r) / L;
          const int b = std::min(static_cast<int>(fb), nb - 2);
          const double tb = fb - b;
          for (int c = 0; c < bw; ++c) {
            const double fa = static_cast<double>(c) / L;
            const int a = std::min(static_cast<int>(fa), na - 2);
            const double ta = fa - a;
            auto li = [&](const std::vector<double>& arr) {
              const size_t i00 = static_cast<size_t>(b) * static_cast<size_t>(na) + static_cast<size_t>(a);
              const size_t i10 = i00 + 1;
              const size_t i01 = i00 + static_cast<size_t>(na);
              const size_t i11 = i01 + 1;
              return (1 - tb) * ((1 - ta) * arr[i00] + ta * arr[i10]) + tb * ((1 - ta) * arr[i01] + ta * arr[i11]);
            };
            const double x = li(lx);
            const double v = li(lv);
            if (x < 0.0 || v < 0.0 || x >= fr.width() || v >= fr.height()) continue;
            const int dc = static_cast<int>(x / fr.cell) - c0;
            const int dr = static_cast<int>(v / fr.cell) - r0;
            if (dc < 0 || dr < 0 || dc >= w || dr >= h) continue;
            const uint8_t val = cls[static_cast<size_t>(dr) * static_cast<size_t>(w) + static_cast<size_t>(dc)];
            blk[static_cast<size_t>(r) * static_cast<size_t>(bw) + static_cast<size_t>(c)] = val;
          }
        }
      }
      for (uint8_t q : blk) ++hist[q];
      if (GDALRasterIO(band, GF_Write, bc, br, bw, bh, blk.data(), bw, bh, GDT_Byte, 0, 0) != CE_None)
        failGdal("cannot write landcover.tif");
    }
  }
  closeChecked(ds, "landcover.tif");
}
