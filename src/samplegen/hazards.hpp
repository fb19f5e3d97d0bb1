// relocplan-samplegen: geohazard points, schools and clinics.  Part of
// run.cpp (included inside its anonymous namespace).

struct Hazard {
  int kind = 0;  // 0 landslide, 1 debris_flow, 2 collapse
  double x = 0.0, v = 0.0;
  double radius = 100.0;
  long people = 0;
  long households = 0;
  int village = -1;  // the village it was placed above, if any
};

const std::array<const char*, 3> kHazardKind = {"landslide", "debris_flow", "collapse"};
const std::array<const char*, 3> kHazardKindZh = {"滑坡", "泥石流", "崩塌"};

std::vector<Hazard> makeHazards(const World& w, uint64_t seed, const std::vector<Village>& vs) {
  Rng rng(seed, 111);
  const double areaFactor = w.width() * w.height() / (60000.0 * 60000.0);
  const long total = std::max(12L, std::lround(72.0 * areaFactor));
  const long nVillage = std::lround(0.35 * static_cast<double>(total));
  const long nDebris = std::lround(0.2 * static_cast<double>(total));
  std::vector<Hazard> out;
  PointIndex hidx(w.width(), w.height(), 1000.0);
  auto spaced = [&](double x, double v) {
    bool ok = true;
    hidx.within(x, v, 350.0, [&](int, double) { ok = false; });
    return ok;
  };
  auto add = [&](Hazard h) {
    hidx.add(static_cast<int>(out.size()), h.x, h.v);
    out.push_back(h);
  };
  const double edge = 1600.0;
  auto inArea = [&](double x, double v) {
    return x > edge && v > edge && x < w.width() - edge && v < w.height() - edge;
  };
  // 1. above villages on slopes: the village lies within the threat radius
  {
    std::vector<size_t> cand;
    for (size_t i = 0; i < vs.size(); ++i)
      if (vs[i].cls != kBasin && vs[i].pr.slope >= 12.0) cand.push_back(i);
    for (size_t i = cand.size(); i-- > 1;) {
      const size_t j = static_cast<size_t>(rng.irange(0, static_cast<int64_t>(i)));
      std::swap(cand[i], cand[j]);
    }
    long got = 0;
    for (size_t ci = 0; ci < cand.size() && got < nVillage; ++ci) {
      const Village& vi = vs[cand[ci]];
      double bestRise = 15.0;
      Pt best{};
      double bestD = 0.0;
      Probe bestPr;
      for (double d : {110.0, 180.0, 260.0, 350.0}) {
        for (int a = 0; a < 16; ++a) {
          const double ang = 2.0 * kPi * a / 16.0;
          const double x = vi.ox + d * std::cos(ang);
          const double v = vi.ov + d * std::sin(ang);
          if (!inArea(x, v)) continue;
          const Probe pr = w.probe(x, v);
          if (!pr.valid || pr.slope < 24.0) continue;
          const double rise = (pr.h - vi.pr.h) * 150.0 / d;
          if (rise > bestRise) {
            bestRise = rise;
            best = Pt{x, v};
            bestD = d;
            bestPr = pr;
          }
        }
      }
      if (bestD <= 0.0 || !spaced(best.x, best.v)) continue;
      Hazard h;
      h.kind = bestPr.slope >= 40.0 ? 2 : (bestPr.dRiver < 150.0 && rng.chance(0.5) ? 1 : 0);
      h.x = best.x;
      h.v = best.v;
      h.radius = std::clamp(std::round(bestD + rng.range(70.0, 260.0)), 100.0, 800.0);
      h.village = static_cast<int>(cand[ci]);
      add(h);
      ++got;
    }
  }
  // 2. debris flows at the mouths of steep side valleys
  {
    std::vector<size_t> cand;
    for (size_t ri = 0; ri < w.rivers().size(); ++ri) {
      const River& r = w.rivers()[ri];
      if (r.order < 3 || r.parent < 0 || r.p.size() < 6) continue;
      if (!inArea(r.p[0].x, r.p[0].v)) continue;
      cand.push_back(ri);
    }
    for (size_t i = cand.size(); i-- > 1;) {
      const size_t j = static_cast<size_t>(rng.irange(0, static_cast<int64_t>(i)));
      std::swap(cand[i], cand[j]);
    }
    long got = 0;
    for (size_t ci = 0; ci < cand.size() && got < nDebris; ++ci) {
      const River& r = w.rivers()[cand[ci]];
      // point ~150 m up the gully, drop over its first kilometre
      size_t k1 = 0;
      while (k1 + 1 < r.p.size() && r.s[k1] < 150.0) ++k1;
      size_t k2 = k1;
      while (k2 + 1 < r.p.size() && r.s[k2] < 1100.0) ++k2;
      const Probe a = w.probe(r.p[k1].x, r.p[k1].v);
      const Probe b = w.probe(r.p[k2].x, r.p[k2].v);
      if (!a.valid || !b.valid) continue;
      if (b.h - a.h < 110.0) continue;
      if (!spaced(r.p[k1].x, r.p[k1].v)) continue;
      Hazard h;
      h.kind = 1;
      h.x = r.p[k1].x;
      h.v = r.p[k1].v;
      h.radius = std::round(rng.range(220.0, 650.0));
      add(h);
      ++got;
    }
  }
  // 3. landslides and rock falls on steep valley sides
  {
    long guard = 0;
    while (static_cast<long>(out.size()) < total && guard++ < 400 * total) {
      const double x = rng.range(edge, w.width() - edge);
      const double v = rng.range(edge, w.height() - edge);
      const Probe pr = w.probe(x, v);
      if (!pr.valid || pr.slope < 28.0 || pr.hand < 30.0 || pr.hand > 500.0 || pr.dRiver > 1500.0) continue;
      if (!spaced(x, v)) continue;
      Hazard h;
      h.kind = pr.slope >= 40.0 || rng.chance(0.2) ? 2 : 0;
      h.x = x;
      h.v = v;
      h.radius = std::round(h.kind == 2 ? rng.range(100.0, 300.0) : rng.range(120.0, 450.0));
      add(h);
    }
  }
  // threatened people: households of the villages within the radius
  PointIndex vidx(w.width(), w.height(), 1000.0);
  for (size_t i = 0; i < vs.size(); ++i) vidx.add(static_cast<int>(i), vs[i].ox, vs[i].ov);
  for (Hazard& h : out) {
    long hh = 0;
    long ppl = 0;
    std::vector<int> near;
    vidx.within(h.x, h.v, h.radius, [&](int id, double) { near.push_back(id); });
    std::sort(near.begin(), near.end());
    for (int id : near) {
      const Village& vi = vs[static_cast<size_t>(id)];
      const long part = std::clamp<long>(std::lround(vi.households * rng.range(0.15, 0.6)), 1, vi.households);
      hh += part;
      ppl += std::lround(static_cast<double>(part) * vi.population / vi.households);
    }
    if (near.empty()) {
      hh = static_cast<long>(rng.irange(0, 6));
      ppl = std::lround(static_cast<double>(hh) * rng.range(3.4, 4.5));
    }
    h.households = hh;
    h.people = ppl;
  }
  std::stable_sort(out.begin(), out.end(), [](const Hazard& a, const Hazard& b) {
    if (a.v != b.v) return a.v < b.v;
    return a.x < b.x;
  });
  return out;
}

struct Facility {
  std::string name;
  std::string level;
  long pupils = 0;
  double x = 0.0, v = 0.0;
};

std::string stem(const std::string& name, const std::string& suffix) {
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return name.substr(0, name.size() - suffix.size());
  return name;
}

void makeFacilities(const World& w, uint64_t seed, const std::vector<Village>& vs, const std::vector<Township>& towns,
                    const std::vector<Town>& tw, std::vector<Facility>& schools, std::vector<Facility>& clinics) {
  Rng rng(seed, 121);
  auto near = [&](double x, double v, double lo, double hi) {
    for (int k = 0; k < 8; ++k) {
      const double d = rng.range(lo, hi);
      const double a = rng.range(0.0, 2.0 * kPi);
      const double px = x + d * std::cos(a);
      const double pv = v + d * std::sin(a);
      if (px < 0 || pv < 0 || px > w.width() || pv > w.height()) continue;
      const Probe pr = w.probe(px, pv);
      if (pr.valid && pr.slope < 25.0 && pr.dRiver > 30.0) return Pt{px, pv};
    }
    return Pt{x, v};
  };
  std::vector<long> townPop(towns.size(), 0);
  for (const Village& vi : vs) townPop[static_cast<size_t>(vi.town)] += vi.population;
  for (const Town& t : tw) {
    if (t.kind == "industrial_park") continue;
    const Township& ts = towns[static_cast<size_t>(t.township)];
    const std::string base = ts.name;
    const double pop = static_cast<double>(townPop[static_cast<size_t>(t.township)]);
    if (t.kind == "county_seat") {
      const std::string cn = stem(kCountyName[static_cast<size_t>(t.county)], "县");
      for (const char* nm : {"第一中学", "第二中学"}) {
        const Pt p = near(t.x, t.v, 250.0, 900.0);
        schools.push_back(Facility{cn + nm, "middle", std::lround(rng.range(2200.0, 3800.0)), p.x, p.v});
      }
    } else {
      const Pt p = near(t.x, t.v, 150.0, 400.0);
      schools.push_back(Facility{base + "中学", "middle",
                                 std::clamp<long>(std::lround(0.05 * pop * rng.range(0.85, 1.15)), 120, 2600), p.x, p.v});
    }
    const Pt q = near(t.x, t.v, 100.0, 350.0);
    schools.push_back(Facility{base + "中心小学", "primary",
                               std::clamp<long>(std::lround(0.03 * pop * rng.range(0.8, 1.2)) + 200, 150, 2200), q.x, q.v});
    const Pt c = near(t.x, t.v, 80.0, 300.0);
    clinics.push_back(Facility{base + "卫生院", "township_hospital", 0, c.x, c.v});
  }
  for (const Village& vi : vs) {
    const std::string base = stem(vi.name, "村");
    const bool seat = towns[static_cast<size_t>(vi.town)].seat >= 0 &&
                      &vs[static_cast<size_t>(towns[static_cast<size_t>(vi.town)].seat)] == &vi;
    if (!seat && (vi.households >= 90 || (vi.households >= 35 && rng.chance(0.4)))) {
      const Pt p = near(vi.ox, vi.ov, 60.0, 200.0);
      schools.push_back(Facility{base + "小学", "primary",
                                 std::max<long>(12, std::lround(0.085 * vi.population * rng.range(0.8, 1.2))), p.x, p.v});
    }
    if (rng.chance(0.85)) {
      const Pt p = near(vi.ox, vi.ov, 30.0, 90.0);
      clinics.push_back(Facility{base + "村卫生室", "village_clinic", 0, p.x, p.v});
    }
  }
}
