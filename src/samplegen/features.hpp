// relocplan-samplegen: administrative areas, towns, reserve, water bodies,
// roads, hazards, schools and clinics.  Part of run.cpp (included inside its
// anonymous namespace); no includes of its own.

// ---------------------------------------------------------------------------
// Spatial index of points (local metres)

class PointIndex {
 public:
  PointIndex(double w, double h, double cs) : cs_(cs) {
    nx_ = std::max(1, static_cast<int>(w / cs) + 1);
    ny_ = std::max(1, static_cast<int>(h / cs) + 1);
    cells_.resize(static_cast<size_t>(nx_) * static_cast<size_t>(ny_));
  }
  void add(int id, double x, double v) {
    cells_[slot(x, v)].push_back(Item{id, x, v});
  }
  // ids of the points within r of (x, v), in insertion order per bucket
  template <class F>
  void within(double x, double v, double r, F f) const {
    const int i0 = std::clamp(static_cast<int>(std::floor((x - r) / cs_)), 0, nx_ - 1);
    const int i1 = std::clamp(static_cast<int>(std::floor((x + r) / cs_)), 0, nx_ - 1);
    const int j0 = std::clamp(static_cast<int>(std::floor((v - r) / cs_)), 0, ny_ - 1);
    const int j1 = std::clamp(static_cast<int>(std::floor((v + r) / cs_)), 0, ny_ - 1);
    for (int j = j0; j <= j1; ++j)
      for (int i = i0; i <= i1; ++i)
        for (const Item& it : cells_[static_cast<size_t>(j) * static_cast<size_t>(nx_) + static_cast<size_t>(i)]) {
          const double dx = it.x - x;
          const double dv = it.v - v;
          if (dx * dx + dv * dv <= r * r) f(it.id, std::sqrt(dx * dx + dv * dv));
        }
  }

 private:
  struct Item {
    int id;
    double x, v;
  };
  size_t slot(double x, double v) const {
    const int i = std::clamp(static_cast<int>(std::floor(x / cs_)), 0, nx_ - 1);
    const int j = std::clamp(static_cast<int>(std::floor(v / cs_)), 0, ny_ - 1);
    return static_cast<size_t>(j) * static_cast<size_t>(nx_) + static_cast<size_t>(i);
  }
  double cs_;
  int nx_, ny_;
  std::vector<std::vector<Item>> cells_;
};

inline double dist2(double ax, double av, double bx, double bv) {
  return (ax - bx) * (ax - bx) + (av - bv) * (av - bv);
}

// ---------------------------------------------------------------------------
// Counties and townships

struct Admin {
  std::array<Geom, 2> county;
  std::vector<Geom> township;  // by township index
};

// keeps the part of a convex polygon with (p - m) . n <= 0
std::vector<Pt> clipHalfPlane(const std::vector<Pt>& poly, Pt m, Pt n) {
  std::vector<Pt> out;
  const size_t k = poly.size();
  for (size_t i = 0; i < k; ++i) {
    const Pt& a = poly[i];
    const Pt& b = poly[(i + 1) % k];
    const double da = (a.x - m.x) * n.x + (a.v - m.v) * n.v;
    const double db = (b.x - m.x) * n.x + (b.v - m.v) * n.v;
    if (da <= 0.0) out.push_back(a);
    if ((da < 0.0 && db > 0.0) || (da > 0.0 && db < 0.0)) {
      const double t = da / (da - db);
      out.push_back(Pt{a.x + t * (b.x - a.x), a.v + t * (b.v - a.v)});
    }
  }
  return out;
}

Admin buildAdmin(const Frame& fr, const CountyLine& line, std::vector<Village>& vs, const std::vector<Township>& towns,
                 uint64_t seed) {
  Admin ad;
  const double W = fr.width();
  const double H = fr.height();
  {
    std::vector<Pt> west{{0.0, 0.0}};
    std::vector<Pt> east;
    for (size_t k = 0; k < line.xs.size(); ++k) west.push_back(Pt{line.xs[k], std::min(H, k * line.step)});
    west.push_back(Pt{0.0, H});
    east.push_back(Pt{W, 0.0});
    east.push_back(Pt{W, H});
    for (size_t k = line.xs.size(); k-- > 0;) east.push_back(Pt{line.xs[k], std::min(H, k * line.step)});
    ad.county[0] = cleanPolygonal(polygonFromLocal(west, fr), 0.0, 0.0);
    ad.county[1] = cleanPolygonal(polygonFromLocal(east, fr), 0.0, 0.0);
    if (!ad.county[0] || !ad.county[1]) fail("cannot build the county polygons", "degenerate boundary");
  }
  // Voronoi cells of the seats within each county, their boundaries bent by
  // a smooth warp (which leaves the seats in place), cut to the county.
  const uint64_t salt = mix64(seed ^ 0x70A5ULL);
  const double margin = 6000.0;
  ad.township.resize(towns.size());
  for (int c = 0; c < 2; ++c) {
    std::vector<size_t> ids;
    for (size_t t = 0; t < towns.size(); ++t)
      if (towns[t].county == c) ids.push_back(t);
    auto seatPt = [&](size_t t) {
      const Village& s = vs[static_cast<size_t>(towns[t].seat)];
      return Pt{s.ox, s.ov};
    };
    auto warp = [&](Pt p) {
      double dmin = kInf;
      for (size_t t : ids) {
        const Pt s = seatPt(t);
        dmin = std::min(dmin, dist2(p.x, p.v, s.x, s.v));
      }
      const double g = smoothstep(300.0, 2600.0, std::sqrt(dmin));
      const double a = 600.0 * g;
      return Pt{p.x + a * fbm(p.x / 12000.0, p.v / 12000.0, 2, salt),
                p.v + a * fbm(p.x / 12000.0 + 7.7, p.v / 12000.0 - 3.3, 2, salt + 1)};
    };
    for (size_t t : ids) {
      const Pt s = seatPt(t);
      std::vector<Pt> poly{{-margin, -margin}, {W + margin, -margin}, {W + margin, H + margin}, {-margin, H + margin}};
      std::vector<std::pair<double, size_t>> others;
      for (size_t o : ids)
        if (o != t) {
          const Pt q = seatPt(o);
          others.emplace_back(dist2(s.x, s.v, q.x, q.v), o);
        }
      std::stable_sort(others.begin(), others.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [d2, o] : others) {
        double rmax = 0.0;
        for (const Pt& p : poly) rmax = std::max(rmax, dist2(p.x, p.v, s.x, s.v));
        if (d2 > 4.0 * rmax) break;
        const Pt q = seatPt(o);
        poly = clipHalfPlane(poly, Pt{0.5 * (s.x + q.x), 0.5 * (s.v + q.v)}, Pt{q.x - s.x, q.v - s.v});
      }
      // densify each edge from its canonical end, so that neighbours agree
      std::vector<Pt> dense;
      for (size_t i = 0; i < poly.size(); ++i) {
        const Pt a = poly[i];
        const Pt b = poly[(i + 1) % poly.size()];
        const bool fwd = (a.x < b.x) || (a.x == b.x && a.v <= b.v);
        const Pt c0 = fwd ? a : b;
        const Pt c1 = fwd ? b : a;
        const double len = std::sqrt(dist2(a.x, a.v, b.x, b.v));
        const int n = std::max(1, static_cast<int>(std::ceil(len / 100.0)));
        for (int k = 0; k < n; ++k) {
          const int kk = fwd ? k : n - k;
          const double f = static_cast<double>(kk) / n;
          dense.push_back(warp(Pt{c0.x + f * (c1.x - c0.x), c0.v + f * (c1.v - c0.v)}));
        }
      }
      Geom cell = polygonFromLocal(dense, fr);
      if (!isValidQuiet(cell.get())) cell = cleanPolygonal(std::move(cell), 0.0, 0.0);
      Geom inter(OGR_G_Intersection(cell.get(), ad.county[static_cast<size_t>(c)].get()));
      ad.township[t] = cleanPolygonal(std::move(inter), 0.0, 0.0);
      if (!ad.township[t]) fail("cannot build township " + towns[t].name, "empty polygon");
    }
  }
  // every village goes to the township polygon that holds its published point
  std::vector<OGREnvelope> env(towns.size());
  for (size_t t = 0; t < towns.size(); ++t) OGR_G_GetEnvelope(ad.township[t].get(), &env[t]);
  int fallback = 0;
  for (Village& vil : vs) {
    const double e = fr.E(vil.ox);
    const double n = fr.N(vil.ov);
    Geom pt = pointGeom(e, n);
    int found = -1;
    for (size_t t = 0; t < towns.size() && found < 0; ++t) {
      if (towns[t].county != vil.county) continue;
      if (e < env[t].MinX || e > env[t].MaxX || n < env[t].MinY || n > env[t].MaxY) continue;
      if (OGR_G_Contains(ad.township[t].get(), pt.get())) found = static_cast<int>(t);
    }
    if (found < 0) {
      ++fallback;
      double best = kInf;
      for (size_t t = 0; t < towns.size(); ++t) {
        if (towns[t].county != vil.county) continue;
        const Village& s = vs[static_cast<size_t>(towns[t].seat)];
        const double d = dist2(vil.ox, vil.ov, s.ox, s.ov);
        if (d < best) {
          best = d;
          found = static_cast<int>(t);
        }
      }
    }
    vil.town = found;
  }
  if (fallback > 0) std::fprintf(stderr, "%s: warning: %d villages outside every township polygon\n", kProg, fallback);
  return ad;
}

// ---------------------------------------------------------------------------
// Towns: county seats, township seats, industrial parks

struct Town {
  std::string name;
  std::string kind;  // county_seat | township_seat | industrial_park
  int county = 0;
  int township = -1;
  double x = 0.0, v = 0.0;
  long population = 0;
  long jobs = 0;
};

std::vector<Town> makeTowns(const World& w, uint64_t seed, const std::vector<Village>& vs,
                            const std::vector<Township>& towns, const CountyLine& line) {
  Rng rng(seed, 81);
  std::vector<Town> out;
  std::array<int, 2> countySeat{-1, -1};
  for (int c = 0; c < 2; ++c) {
    int best = -1;
    double bestScore = -kInf;
    for (size_t t = 0; t < towns.size(); ++t) {
      if (towns[t].county != c) continue;
      const Village& s = vs[static_cast<size_t>(towns[t].seat)];
      const double score = s.households + (s.cls == kBasin ? 400.0 : 0.0);
      if (score > bestScore) {
        bestScore = score;
        best = static_cast<int>(t);
      }
    }
    countySeat[static_cast<size_t>(c)] = best;
  }
  for (size_t t = 0; t < towns.size(); ++t) {
    const Village& s = vs[static_cast<size_t>(towns[t].seat)];
    Town tw;
    tw.name = towns[t].name;
    tw.county = towns[t].county;
    tw.township = static_cast<int>(t);
    tw.x = s.ox;
    tw.v = s.ov;
    if (countySeat[static_cast<size_t>(tw.county)] == static_cast<int>(t)) {
      tw.kind = "county_seat";
      tw.population = static_cast<long>(std::lround(rng.range(38000.0, 72000.0)));
      tw.jobs = static_cast<long>(std::lround(static_cast<double>(tw.population) * rng.range(0.32, 0.42)));
    } else {
      tw.kind = "township_seat";
      tw.population = static_cast<long>(std::lround(1800.0 + 11.0 * s.households + rng.range(0.0, 2500.0)));
      tw.jobs = static_cast<long>(std::lround(static_cast<double>(tw.population) * rng.range(0.12, 0.22)));
    }
    out.push_back(tw);
  }
  // industrial parks: one near each county seat on flat land, more on
  // larger areas near the largest towns
  const double areaFactor = w.width() * w.height() / (60000.0 * 60000.0);
  std::vector<int> hosts{countySeat[0], countySeat[1]};
  {
    std::vector<int> bySize;
    for (size_t t = 0; t < towns.size(); ++t)
      if (static_cast<int>(t) != countySeat[0] && static_cast<int>(t) != countySeat[1])
        bySize.push_back(static_cast<int>(t));
    std::stable_sort(bySize.begin(), bySize.end(), [&](int a, int b) {
      return vs[static_cast<size_t>(towns[static_cast<size_t>(a)].seat)].households >
             vs[static_cast<size_t>(towns[static_cast<size_t>(b)].seat)].households;
    });
    const long extra = std::max(0L, std::lround(areaFactor / 2.0) - 1);
    for (long k = 0; k < extra && k < static_cast<long>(bySize.size()); ++k) hosts.push_back(bySize[static_cast<size_t>(k)]);
  }
  PointIndex vidx(w.width(), w.height(), 2000.0);
  for (size_t i = 0; i < vs.size(); ++i) vidx.add(static_cast<int>(i), vs[i].ox, vs[i].ov);
  for (size_t h = 0; h < hosts.size(); ++h) {
    if (hosts[h] < 0) continue;
    const Town& host = out[static_cast<size_t>(hosts[h])];
    double bestScore = kInf;
    Pt best{host.x, host.v};
    for (int ring = 0; ring < 4; ++ring) {
      for (int a = 0; a < 24; ++a) {
        const double r = 1500.0 + 800.0 * ring;
        const double ang = 2.0 * kPi * (a + 0.5 * ring) / 24.0;
        const double x = host.x + r * std::cos(ang);
        const double v = host.v + r * std::sin(ang);
        if (x < 2000.0 || v < 2000.0 || x > w.width() - 2000.0 || v > w.height() - 2000.0) continue;
        if (line.county(x, v) != host.county) continue;
        const Probe pr = w.probe(x, v);
        if (!pr.valid || pr.dRiver < 120.0) continue;
        bool clear = true;
        vidx.within(x, v, 450.0, [&](int, double) { clear = false; });
        if (!clear) continue;
        const double score = pr.slope + 0.002 * r + 0.02 * pr.hand;
        if (score < bestScore) {
          bestScore = score;
          best = Pt{x, v};
        }
      }
    }
    if (bestScore == kInf) continue;
    Town p;
    std::string base = host.name;
    if (h < 2) {
      base = kCountyName[static_cast<size_t>(host.county)];
      base = base.substr(0, base.size() - std::string("县").size());
      p.name = base + "工业园区";
    } else {
      base = base.substr(0, base.size() - std::string("镇").size());
      p.name = base + "产业园区";
    }
    p.kind = "industrial_park";
    p.county = host.county;
    p.township = host.township;
    p.x = best.x;
    p.v = best.v;
    p.population = 0;
    p.jobs = static_cast<long>(std::lround(h < 2 ? rng.range(3000.0, 7500.0) : rng.range(900.0, 3000.0)));
    out.push_back(p);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Nature reserves: nested zones around a remote mountain area

struct Reserve {
  std::string name;
  double cx = 0.0, cv = 0.0;
  std::array<double, 3> radius{};  // core, buffer, experimental (mean, m)
  std::array<double, 3> amp{};
  std::array<double, 3> phase{};
  double factor(double ang) const {
    double f = 1.0;
    for (size_t k = 0; k < 3; ++k) f += amp[k] * std::sin(static_cast<double>(k + 2) * ang + phase[k]);
    return f;
  }
  // 3 core, 2 buffer, 1 experimental, 0 outside
  int zoneAt(double x, double v, double slack = 0.0) const {
    const double d = std::sqrt(dist2(x, v, cx, cv));
    const double f = factor(std::atan2(v - cv, x - cx));
    for (int z = 0; z < 3; ++z)
      if (d < radius[static_cast<size_t>(z)] * f - slack) return 3 - z;
    return 0;
  }
  std::vector<Pt> ring(int z) const {
    std::vector<Pt> pts;
    for (int k = 0; k < 360; ++k) {
      const double ang = 2.0 * kPi * k / 360.0;
      const double r = radius[static_cast<size_t>(z)] * factor(ang);
      pts.push_back(Pt{cx + r * std::cos(ang), cv + r * std::sin(ang)});
    }
    return pts;
  }
};

const std::vector<std::string> kReserveNames = {"岩溪", "云雾山", "黔山", "董岭", "纳雍河", "茶山", "麻阳河",
                                                "雷公坪", "石笋", "青杠林", "鹰岩", "杉木箐", "猴子岩",
                                                "白岩河", "大箐", "凉风坳"};

std::vector<Reserve> placeReserves(const World& w, uint64_t seed, const std::vector<Village>& vs,
                                   const std::vector<Town>& towns) {
  Rng rng(seed, 91);
  const double areaFactor = w.width() * w.height() / (60000.0 * 60000.0);
  const long want = std::max(1L, std::lround(areaFactor * 0.9));
  PointIndex vidx(w.width(), w.height(), 2000.0);
  for (size_t i = 0; i < vs.size(); ++i) vidx.add(static_cast<int>(i), vs[i].ox, vs[i].ov);
  struct Cand {
    double score;
    int village;
  };
  std::vector<Cand> cands;
  const double edge = 10500.0;
  for (size_t i = 0; i < vs.size(); ++i) {
    const Village& vi = vs[i];
    if (vi.cls != kMountain) continue;
    if (vi.ox < edge || vi.ov < edge || vi.ox > w.width() - edge || vi.ov > w.height() - edge) continue;
    double dTown = kInf;
    for (const Town& t : towns) dTown = std::min(dTown, dist2(vi.ox, vi.ov, t.x, t.v));
    dTown = std::sqrt(dTown);
    if (dTown < 11000.0) continue;
    int nCore = 0;
    vidx.within(vi.ox, vi.ov, 5600.0, [&](int, double) { ++nCore; });
    if (nCore < 4) continue;
    const double score = dTown / 1000.0 - 0.6 * nCore + 0.01 * vi.pr.hand;
    cands.push_back(Cand{score, static_cast<int>(i)});
  }
  std::stable_sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) { return a.score > b.score; });
  std::vector<Reserve> out;
  for (const Cand& c : cands) {
    if (static_cast<long>(out.size()) >= want) break;
    const Village& vi = vs[static_cast<size_t>(c.village)];
    bool ok = true;
    for (const Reserve& r : out)
      if (dist2(r.cx, r.cv, vi.ox, vi.ov) < 40000.0 * 40000.0) ok = false;
    if (!ok) continue;
    Reserve r;
    r.cx = vi.ox;
    r.cv = vi.ov;
    r.radius = {6000.0, 7600.0, 9500.0};
    for (size_t k = 0; k < 3; ++k) {
      r.amp[k] = rng.range(0.015, 0.04);
      r.phase[k] = rng.range(0.0, 2.0 * kPi);
    }
    const size_t ni = out.size();
    r.name = (ni < kReserveNames.size() ? kReserveNames[ni] : kReserveNames[ni % kReserveNames.size()] +
                                                                   std::to_string(ni / kReserveNames.size() + 1)) +
             "自然保护区";
    // no town inside the reserve
    for (const Town& t : towns)
      if (r.zoneAt(t.x, t.v, -1500.0) != 0) ok = false;
    if (ok) out.push_back(r);
  }
  return out;
}

int reserveZone(const std::vector<Reserve>& rs, double x, double v, double slack = 0.0) {
  int z = 0;
  for (const Reserve& r : rs) z = std::max(z, r.zoneAt(x, v, slack));
  return z;
}

// ---------------------------------------------------------------------------
// Smooth fields on a coarse grid (farming pressure around villages)

struct FieldGrid {
  double cs = 240.0;
  int nx = 0, ny = 0;
  std::vector<float> val;
  FieldGrid(double w, double h, double cellSize) : cs(cellSize) {
    nx = static_cast<int>(std::ceil(w / cs)) + 1;
    ny = static_cast<int>(std::ceil(h / cs)) + 1;
    val.assign(static_cast<size_t>(nx) * static_cast<size_t>(ny), 0.0f);
  }
  // max-stamps amp * (1 - (d/R)^2)^2
  void stamp(double x, double v, double R, double amp) {
    const int i0 = std::max(0, static_cast<int>(std::floor((x - R) / cs)));
    const int i1 = std::min(nx - 1, static_cast<int>(std::ceil((x + R) / cs)));
    const int j0 = std::max(0, static_cast<int>(std::floor((v - R) / cs)));
    const int j1 = std::min(ny - 1, static_cast<int>(std::ceil((v + R) / cs)));
    for (int j = j0; j <= j1; ++j)
      for (int i = i0; i <= i1; ++i) {
        const double d2v = dist2(i * cs, j * cs, x, v) / (R * R);
        if (d2v >= 1.0) continue;
        const double k = (1.0 - d2v) * (1.0 - d2v) * amp;
        float& f = val[static_cast<size_t>(j) * static_cast<size_t>(nx) + static_cast<size_t>(i)];
        f = std::max(f, static_cast<float>(k));
      }
  }
  // bilinear between lattice points at (i * cs, j * cs)
  double at(double x, double v) const {
    const double u = std::clamp(x / cs, 0.0, nx - 1.000001);
    const double q = std::clamp(v / cs, 0.0, ny - 1.000001);
    const int i = static_cast<int>(u);
    const int j = static_cast<int>(q);
    const double fu = u - i;
    const double fq = q - j;
    auto g = [&](int a, int b) {
      return static_cast<double>(val[static_cast<size_t>(b) * static_cast<size_t>(nx) + static_cast<size_t>(a)]);
    };
    const int i1 = std::min(i + 1, nx - 1);
    const int j1 = std::min(j + 1, ny - 1);
    return (1 - fq) * ((1 - fu) * g(i, j) + fu * g(i1, j)) + fq * ((1 - fu) * g(i, j1) + fu * g(i1, j1));
  }
};

struct Fields {
  FieldGrid farm;       // cultivation pressure around every village (0-1)
  FieldGrid steepFarm;  // pressure to farm steep land: poor mountain villages
  Fields(double w, double h) : farm(w, h, 240.0), steepFarm(w, h, 240.0) {}
};

Fields makeFields(const World& w, const std::vector<Village>& vs, const std::vector<Town>& towns) {
  Fields f(w.width(), w.height());
  for (const Village& vi : vs) {
    const double R = std::clamp(1200.0 + 4.0 * vi.households, 1300.0, 3000.0);
    f.farm.stamp(vi.ox, vi.ov, R, 1.0);
    const double rate = static_cast<double>(vi.poor) / vi.households;
    if ((vi.cls == kMountain || vi.cls == kMid) && rate > 0.25)
      f.steepFarm.stamp(vi.ox, vi.ov, 1800.0, std::clamp(0.5 + rate, 0.0, 1.0));
  }
  for (const Town& t : towns)
    if (t.kind != "industrial_park") f.farm.stamp(t.x, t.v, 3000.0, 1.0);
  return f;
}
