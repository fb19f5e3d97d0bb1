// relocplan-samplegen: building the world's valley network: drainage on a
// coarse grid of the un-carved terrain (priority flood, D8), rivers traced
// from the outlets, their longitudinal bed profiles, basins, floor widths,
// the valley segments with their coarse bucket index, and the settling of
// beds below neighbouring valleys.

#include "world.hpp"

namespace relocplan::samplegen {

void World::build() {
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

// ---- drainage network -------------------------------------------------
// The network follows the terrain: D8 flow directions on a coarse grid of
// the un-carved surface (priority-flood, so every cell drains to the grid
// edge), channels where the drainage area exceeds kChannelArea.

void World::buildRivers() {
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

void World::arclength(River& r) {
  r.s.assign(r.p.size(), 0.0);
  for (size_t i = 1; i < r.p.size(); ++i) {
    const double dx = r.p[i].x - r.p[i - 1].x;
    const double dv = r.p[i].v - r.p[i - 1].v;
    r.s[i] = r.s[i - 1] + std::sqrt(dx * dx + dv * dv);
  }
}

// depth of the bed below the drainage surface: grows from zero at the
// channel head to a few hundred metres for the main river
double World::incision(double area) {
  const double a = std::max(0.0, area - kChannelArea);
  return 210.0 * (1.0 - std::exp(-a / 2.5)) + 30.0 * std::log10(1.0 + area);
}

// Longitudinal profiles: non-decreasing upstream, incised below the
// drainage surface (deeper for larger rivers), at least 8 m below the
// un-carved terrain, joining the parent at its bed.
void World::computeBeds() {
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

double World::bedAt(const River& r, double s) const {
  const size_t k = static_cast<size_t>(std::lower_bound(r.s.begin(), r.s.end(), s) - r.s.begin());
  if (k == 0) return r.bed.front();
  if (k >= r.s.size()) return r.bed.back();
  const double f = (s - r.s[k - 1]) / std::max(1e-9, r.s[k] - r.s[k - 1]);
  return r.bed[k - 1] + f * (r.bed[k] - r.bed[k - 1]);
}

// Basins (bazi): wide flat valley floors on larger rivers where the bed
// is gentle.
void World::placeBasins() {
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

void World::computeWidths() {
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

void World::buildSegments() {
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
void World::addRun(std::vector<Run>& runs, int si) {
  if (!runs.empty() && runs.back().first + runs.back().count == si) {
    ++runs.back().count;
  } else {
    runs.push_back(Run{si, 1});
  }
}

// A river must not run above the surface of a deeper neighbouring valley
// (e.g. along its wall): lower the bed there and keep the profile
// monotone, so that every valley descends to its confluence.
void World::settleBeds() {
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

}  // namespace relocplan::samplegen
