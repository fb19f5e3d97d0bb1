// relocplan-samplegen: reservoirs, karst lakes and ponds, filled on the
// written DEM.  Part of run.cpp (included inside its anonymous namespace).

struct WaterBody {
  std::string kind;  // reservoir | lake | pond
  std::string name;
  int c0 = 0, r0 = 0, w = 0, h = 0;  // DEM-grid box of the mask
  std::vector<uint8_t> mask;
  double x = 0.0, v = 0.0;  // dam or lowest point (local m)
  double level = 0.0;
  long cells = 0;
  Geom geom;  // EPSG:4545
  bool at(int c, int r) const {
    if (c < c0 || r < r0 || c >= c0 + w || r >= r0 + h) return false;
    return mask[static_cast<size_t>(r - r0) * static_cast<size_t>(w) + static_cast<size_t>(c - c0)] != 0;
  }
};

struct FillResult {
  std::vector<uint8_t> mask;
  long cells = 0;
  bool open = false;  // reached the window's edge
};

// 4-connected fill of the cells below `level` from (sc, sr) in the window
// [c0, c0 + w) x [r0, r0 + h); `blocked(c, r)` excludes cells.
FillResult fillBelow(const std::vector<float>& z, int c0, int r0, int w, int h, int sc, int sr, double level,
                     const std::function<bool(int, int)>& blocked, long maxCells) {
  FillResult fr;
  fr.mask.assign(static_cast<size_t>(w) * static_cast<size_t>(h), 0);
  auto idx = [&](int c, int r) { return static_cast<size_t>(r - r0) * static_cast<size_t>(w) + static_cast<size_t>(c - c0); };
  if (sc < c0 || sr < r0 || sc >= c0 + w || sr >= r0 + h) {
    fr.open = true;
    return fr;
  }
  const float zs = z[idx(sc, sr)];
  if (!(zs < level) || blocked(sc, sr)) return fr;
  std::vector<std::pair<int, int>> stack{{sc, sr}};
  fr.mask[idx(sc, sr)] = 1;
  while (!stack.empty()) {
    const auto [c, r] = stack.back();
    stack.pop_back();
    ++fr.cells;
    if (fr.cells > maxCells) {
      fr.open = true;
      return fr;
    }
    if (c == c0 || r == r0 || c == c0 + w - 1 || r == r0 + h - 1) {
      fr.open = true;
      return fr;
    }
    static const int dc[4] = {1, -1, 0, 0};
    static const int dr[4] = {0, 0, 1, -1};
    for (int k = 0; k < 4; ++k) {
      const int nc = c + dc[k];
      const int nr = r + dr[k];
      const size_t i = idx(nc, nr);
      if (fr.mask[i] != 0) continue;
      const float zz = z[i];
      if (!(zz < level)) {
        if (std::isnan(zz)) {  // NoData or outside the DEM: leaks
          fr.open = true;
          return fr;
        }
        continue;
      }
      if (blocked(nc, nr)) continue;
      fr.mask[i] = 1;
      stack.emplace_back(nc, nr);
    }
  }
  return fr;
}

const std::vector<std::string> kWaterNames = {"红岩", "清水", "龙潭", "白马", "鱼洞", "桃花", "石门", "凉水",
                                              "黑山", "青龙", "梅花", "双河", "落水", "响水", "天生桥", "大塘",
                                              "小河", "沙坝", "银洞", "团结", "胜利", "红旗", "东风", "龙井"};

class WaterBuilder {
 public:
  WaterBuilder(const World& w, const Frame& fr, const DemReader& dem, const std::vector<Village>& vs,
               const std::vector<Town>& towns, const std::vector<Reserve>& reserves, uint64_t seed)
      : w_(w), fr_(fr), dem_(dem), vs_(vs), towns_(towns), reserves_(reserves), rng_(seed, 101),
        vidx_(w.width(), w.height(), 1000.0) {
    for (size_t i = 0; i < vs.size(); ++i) vidx_.add(static_cast<int>(i), vs[i].ox, vs[i].ov);
    for (size_t i = 0; i < towns.size(); ++i) vidx_.add(-1 - static_cast<int>(i), towns[i].x, towns[i].v);
  }

  std::vector<WaterBody> build() {
    const double areaFactor = w_.width() * w_.height() / (60000.0 * 60000.0);
    reservoirs(std::max(1L, std::lround(3.0 * areaFactor)));
    lakes(std::max(1L, std::lround(4.0 * areaFactor)));
    ponds(std::max(2L, std::lround(10.0 * areaFactor)));
    return std::move(out_);
  }

 private:
  std::string uniqueName(const std::string& suffix) {
    for (int k = 0; k < 200; ++k) {
      std::string n = pick(kWaterNames, rng_) + suffix;
      if (k >= 20) n = pick(kCommonA, rng_) + pick(kWaterNames, rng_) + suffix;
      if (used_.insert(n).second) return n;
    }
    for (int k = 2;; ++k) {
      const std::string n = pick(kWaterNames, rng_) + std::to_string(k) + suffix;
      if (used_.insert(n).second) return n;
    }
  }

  bool overlapsExisting(int c0, int r0, int wd, int ht) const {
    for (const WaterBody& b : out_)
      if (c0 < b.c0 + b.w + 4 && b.c0 < c0 + wd + 4 && r0 < b.r0 + b.h + 4 && b.r0 < r0 + ht + 4) return true;
    return false;
  }

  // false if a village or town is within `clear` metres of a filled cell
  bool clearOfSettlements(const FillResult& f, int c0, int r0, int wd, int ht, double clear) const {
    const double cell = fr_.cell;
    const double cx = (c0 + 0.5 * wd) * cell;
    const double cv = (r0 + 0.5 * ht) * cell;
    const double rad = 0.75 * std::max(wd, ht) * cell + clear;
    bool ok = true;
    const int k = static_cast<int>(std::ceil(clear / cell));
    vidx_.within(cx, cv, rad, [&](int id, double) {
      if (!ok) return;
      const double x = id >= 0 ? vs_[static_cast<size_t>(id)].ox : towns_[static_cast<size_t>(-1 - id)].x;
      const double v = id >= 0 ? vs_[static_cast<size_t>(id)].ov : towns_[static_cast<size_t>(-1 - id)].v;
      const int pc = static_cast<int>(std::floor(x / cell));
      const int pr = static_cast<int>(std::floor(v / cell));
      for (int r = pr - k; r <= pr + k && ok; ++r)
        for (int c = pc - k; c <= pc + k && ok; ++c) {
          if (c < c0 || r < r0 || c >= c0 + wd || r >= r0 + ht) continue;
          if (f.mask[static_cast<size_t>(r - r0) * static_cast<size_t>(wd) + static_cast<size_t>(c - c0)] != 0)
            ok = false;
        }
    });
    return ok;
  }

  void accept(FillResult f, int c0, int r0, int wd, int ht, const std::string& kind, const std::string& name, double x,
              double v, double level) {
    // crop the mask to its filled cells
    int cmin = wd, cmax = -1, rmin = ht, rmax = -1;
    for (int r = 0; r < ht; ++r)
      for (int c = 0; c < wd; ++c)
        if (f.mask[static_cast<size_t>(r) * static_cast<size_t>(wd) + static_cast<size_t>(c)] != 0) {
          cmin = std::min(cmin, c);
          cmax = std::max(cmax, c);
          rmin = std::min(rmin, r);
          rmax = std::max(rmax, r);
        }
    if (cmax < 0) return;
    WaterBody b;
    b.kind = kind;
    b.name = name;
    b.c0 = c0 + cmin;
    b.r0 = r0 + rmin;
    b.w = cmax - cmin + 1;
    b.h = rmax - rmin + 1;
    b.mask.assign(static_cast<size_t>(b.w) * static_cast<size_t>(b.h), 0);
    for (int r = 0; r < b.h; ++r)
      for (int c = 0; c < b.w; ++c)
        b.mask[static_cast<size_t>(r) * static_cast<size_t>(b.w) + static_cast<size_t>(c)] =
            f.mask[static_cast<size_t>(r + rmin) * static_cast<size_t>(wd) + static_cast<size_t>(c + cmin)];
    b.x = x;
    b.v = v;
    b.level = level;
    b.cells = f.cells;
    std::vector<uint8_t> m = b.mask;
    Geom all(OGR_G_CreateGeometry(wkbMultiPolygon));
    polygonizeClasses(m, b.w, b.h, fr_.E(b.c0 * fr_.cell), fr_.N(b.r0 * fr_.cell), fr_.cell, 0, false,
                      [&](int, Geom g) { OGR_G_AddGeometryDirectly(all.get(), g.release()); });
    b.geom = cleanPolygonal(std::move(all), 0.35 * fr_.cell, 0.0);
    if (!b.geom) return;
    out_.push_back(std::move(b));
  }

  // A dam across river `ri` at vertex k, water up to bed + height.
  bool dam(size_t ri, size_t k, double height, double radius, double minArea, double maxArea, const std::string& kind,
           const std::string& suffix) {
    const River& r = w_.rivers()[ri];
    if (k < 2 || k + 3 >= r.p.size()) return false;
    const Pt P = r.p[k];
    const double m = radius + 1500.0;
    if (P.x < m || P.v < m || P.x > w_.width() - m || P.v > w_.height() - m) return false;
    if (reserveZone(reserves_, P.x, P.v, -500.0) >= 2) return false;
    const Probe pr = w_.probe(P.x, P.v);
    if (!pr.valid || pr.basin >= 0) return false;
    double ux = r.p[k + 1].x - P.x;
    double uv = r.p[k + 1].v - P.v;
    const double ul = std::sqrt(ux * ux + uv * uv);
    if (ul <= 0.0) return false;
    ux /= ul;
    uv /= ul;
    const double cell = fr_.cell;
    const int rc = static_cast<int>(std::ceil(radius / cell));
    const int pc = static_cast<int>(std::floor(P.x / cell));
    const int prr = static_cast<int>(std::floor(P.v / cell));
    const int c0 = pc - rc;
    const int r0 = prr - rc;
    const int wd = 2 * rc + 1;
    if (overlapsExisting(c0, r0, wd, wd)) return false;
    std::vector<float> z;
    dem_.read(c0, r0, wd, wd, z);
    // bed: lowest cell within 2 cells of the dam
    double bed = kInf;
    for (int r2 = prr - 2; r2 <= prr + 2; ++r2)
      for (int c2 = pc - 2; c2 <= pc + 2; ++c2) {
        const float f = z[static_cast<size_t>(r2 - r0) * static_cast<size_t>(wd) + static_cast<size_t>(c2 - c0)];
        if (std::isfinite(f)) bed = std::min(bed, static_cast<double>(f));
      }
    if (!std::isfinite(bed)) return false;
    const double level = bed + height;
    auto blocked = [&](int c, int rr) {
      const double x = (c + 0.5) * cell - P.x;
      const double v = (rr + 0.5) * cell - P.v;
      const double s = x * ux + v * uv;
      const double lat = std::fabs(x * uv - v * ux);
      return s < 0.6 * cell && lat < 1200.0;
    };
    // seed: the lowest cell a little upstream
    const double sx = P.x + ux * 3.0 * cell;
    const double sv = P.v + uv * 3.0 * cell;
    int bc = static_cast<int>(std::floor(sx / cell));
    int br = static_cast<int>(std::floor(sv / cell));
    {
      double zb = kInf;
      const int bc0 = bc, br0 = br;
      for (int r2 = br0 - 2; r2 <= br0 + 2; ++r2)
        for (int c2 = bc0 - 2; c2 <= bc0 + 2; ++c2) {
          if (c2 <= c0 || r2 <= r0 || c2 >= c0 + wd - 1 || r2 >= r0 + wd - 1) continue;
          const float f = z[static_cast<size_t>(r2 - r0) * static_cast<size_t>(wd) + static_cast<size_t>(c2 - c0)];
          if (std::isfinite(f) && f < zb && !blocked(c2, r2)) {
            zb = f;
            bc = c2;
            br = r2;
          }
        }
    }
    const long maxCells = static_cast<long>(maxArea / (cell * cell)) + 1;
    FillResult f = fillBelow(z, c0, r0, wd, wd, bc, br, level, blocked, maxCells);
    if (f.open) return false;
    const double area = static_cast<double>(f.cells) * cell * cell;
    if (area < minArea || area > maxArea) return false;
    if (!clearOfSettlements(f, c0, r0, wd, wd, kind == "pond" ? 90.0 : 160.0)) return false;
    accept(std::move(f), c0, r0, wd, wd, kind, uniqueName(suffix), P.x, P.v, level);
    return true;
  }

  void reservoirs(long want) {
    std::vector<size_t> cand;
    for (size_t ri = 0; ri < w_.rivers().size(); ++ri)
      if (w_.rivers()[ri].order == 2 || w_.rivers()[ri].order == 3) cand.push_back(ri);
    if (cand.empty()) return;
    long got = 0;
    for (long att = 0; att < 400 * want && got < want; ++att) {
      const size_t ri = cand[static_cast<size_t>(rng_.irange(0, static_cast<int64_t>(cand.size()) - 1))];
      const River& r = w_.rivers()[ri];
      if (r.p.size() < 8) continue;
      const size_t k = static_cast<size_t>(rng_.irange(2, static_cast<int64_t>(r.p.size()) - 4));
      const double hw = 0.5 * (r.hwL[k] + r.hwR[k]);
      if (hw > 60.0) continue;
      const bool big = r.order == 2;
      const double height = big ? rng_.range(28.0, 48.0) : rng_.range(18.0, 32.0);
      if (dam(ri, k, height, big ? 5000.0 : 3000.0, big ? 40.0e4 : 12.0e4, big ? 900.0e4 : 300.0e4, "reservoir", "水库"))
        ++got;
    }
  }

  void lakes(long want) {
    long got = 0;
    const double cell = fr_.cell;
    for (long att = 0; att < 300 * want && got < want; ++att) {
      const double x = rng_.range(3000.0, w_.width() - 3000.0);
      const double v = rng_.range(3000.0, w_.height() - 3000.0);
      if (w_.karst(x, v) < 0.6) continue;
      if (reserveZone(reserves_, x, v) >= 3) continue;
      const int rc = static_cast<int>(std::ceil(450.0 / cell));
      const int c0 = static_cast<int>(std::floor(x / cell)) - rc;
      const int r0 = static_cast<int>(std::floor(v / cell)) - rc;
      const int wd = 2 * rc + 1;
      if (overlapsExisting(c0, r0, wd, wd)) continue;
      std::vector<float> z;
      dem_.read(c0, r0, wd, wd, z);
      // lowest cell of the inner half of the window
      double zmin = kInf;
      int mc = -1, mr = -1;
      for (int r = rc / 2; r < wd - rc / 2; ++r)
        for (int c = rc / 2; c < wd - rc / 2; ++c) {
          const float f = z[static_cast<size_t>(r) * static_cast<size_t>(wd) + static_cast<size_t>(c)];
          if (std::isfinite(f) && f < zmin) {
            zmin = f;
            mc = c0 + c;
            mr = r0 + r;
          }
        }
      if (mc < 0) continue;
      const double level = zmin + rng_.range(3.0, 9.0);
      FillResult f = fillBelow(z, c0, r0, wd, wd, mc, mr, level, [](int, int) { return false; }, 5000);
      if (f.open) continue;
      const double area = static_cast<double>(f.cells) * cell * cell;
      if (area < 1.5e4 || area > 60.0e4) continue;
      if (!clearOfSettlements(f, c0, r0, wd, wd, 120.0)) continue;
      accept(std::move(f), c0, r0, wd, wd, "lake", uniqueName(rng_.chance(0.5) ? "海子" : "湖"), (mc + 0.5) * cell,
             (mr + 0.5) * cell, level);
      ++got;
    }
  }

  void ponds(long want) {
    // small dams on gullies near villages
    std::vector<std::pair<size_t, size_t>> verts;
    PointIndex gidx(w_.width(), w_.height(), 1000.0);
    for (size_t ri = 0; ri < w_.rivers().size(); ++ri) {
      const River& r = w_.rivers()[ri];
      if (r.order < 3) continue;
      for (size_t k = 2; k + 3 < r.p.size(); ++k) {
        if (r.p[k].x < 0 || r.p[k].v < 0 || r.p[k].x > w_.width() || r.p[k].v > w_.height()) continue;
        gidx.add(static_cast<int>(verts.size()), r.p[k].x, r.p[k].v);
        verts.emplace_back(ri, k);
      }
    }
    if (verts.empty() || vs_.empty()) return;
    long got = 0;
    for (long att = 0; att < 200 * want && got < want; ++att) {
      const Village& vi = vs_[static_cast<size_t>(rng_.irange(0, static_cast<int64_t>(vs_.size()) - 1))];
      if (vi.cls == kBasin || vi.cls == kMountain) continue;
      int bestId = -1;
      double bestD = kInf;
      gidx.within(vi.ox, vi.ov, 1200.0, [&](int id, double d) {
        if (d > 250.0 && d < bestD) {
          bestD = d;
          bestId = id;
        }
      });
      if (bestId < 0) continue;
      const auto [ri, k] = verts[static_cast<size_t>(bestId)];
      if (dam(ri, k, rng_.range(6.0, 11.0), 750.0, 1.0e4, 12.0e4, "pond", "塘")) ++got;
    }
  }

  const World& w_;
  const Frame& fr_;
  const DemReader& dem_;
  const std::vector<Village>& vs_;
  const std::vector<Town>& towns_;
  const std::vector<Reserve>& reserves_;
  Rng rng_;
  PointIndex vidx_;
  std::set<std::string> used_;
  std::vector<WaterBody> out_;
};
