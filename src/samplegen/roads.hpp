// relocplan-samplegen: the road network, routed on the coarse DEM along low
// slopes.  Part of run.cpp (included inside its anonymous namespace).

struct Road {
  int level = 1;  // 1 trunk, 2 county, 3 township, 4 village
  std::vector<Pt> pts;
};

const std::array<const char*, 5> kRoadClass = {"", "trunk", "county", "township", "village"};
const std::array<double, 5> kRoadSpeed = {0.0, 60.0, 40.0, 30.0, 20.0};

class RoadBuilder {
 public:
  RoadBuilder(const World& w, const CoarseDem& cd, const std::vector<WaterBody>& water,
              const std::vector<Reserve>& reserves)
      : w_(w), cd_(cd), nx_(cd.nx), ny_(cd.ny), g_(cd.f * w.cell()) {
    const size_t n = static_cast<size_t>(nx_) * static_cast<size_t>(ny_);
    mult_.assign(n, 1.0f);
    slope_.assign(n, 0.0f);
    for (int j = 0; j < ny_; ++j)
      for (int i = 0; i < nx_; ++i) {
        const size_t id = at(i, j);
        const float z = cd.z[id];
        if (std::isnan(z)) {
          mult_[id] = kBlocked;
          continue;
        }
        auto zz = [&](int a, int b) {
          a = std::clamp(a, 0, nx_ - 1);
          b = std::clamp(b, 0, ny_ - 1);
          const float f = cd.z[at(a, b)];
          return std::isnan(f) ? static_cast<double>(z) : static_cast<double>(f);
        };
        const double dx = (zz(i + 1, j) - zz(i - 1, j)) / (2.0 * g_);
        const double dy = (zz(i, j + 1) - zz(i, j - 1)) / (2.0 * g_);
        slope_[id] = static_cast<float>(std::atan(std::sqrt(dx * dx + dy * dy)) * 180.0 / kPi);
        const Pt c = centre(static_cast<int>(id));
        const int zone = reserveZone(reserves, c.x, c.v);
        if (reserveZone(reserves, c.x, c.v, -1.5 * g_) >= 3) {
          mult_[id] = kBlocked;
        } else if (zone >= 2) {
          mult_[id] = 4.0f;
        } else if (zone == 1) {
          mult_[id] = 1.4f;
        }
      }
    for (const WaterBody& b : water) {
      const int i0 = std::max(0, b.c0 / cd.f - 1);
      const int i1 = std::min(nx_ - 1, (b.c0 + b.w) / cd.f + 1);
      const int j0 = std::max(0, b.r0 / cd.f - 1);
      const int j1 = std::min(ny_ - 1, (b.r0 + b.h) / cd.f + 1);
      for (int j = j0; j <= j1; ++j)
        for (int i = i0; i <= i1; ++i) {
          const Pt c = centre(static_cast<int>(at(i, j)));
          if (b.at(static_cast<int>(c.x / w.cell()), static_cast<int>(c.v / w.cell()))) mult_[at(i, j)] = kBlocked;
        }
    }
    river_.assign(n, 0);
    for (const Seg& s : w.segments()) {
      if (w.rivers()[static_cast<size_t>(s.river)].order > 2) continue;
      const double len = std::sqrt(s.len2);
      const int steps = std::max(1, static_cast<int>(len / (0.4 * g_)));
      for (int k = 0; k <= steps; ++k) {
        const double f = static_cast<double>(k) / steps;
        const int i = static_cast<int>(std::floor((s.ax + f * s.ux) / g_));
        const int j = static_cast<int>(std::floor((s.av + f * s.uv) / g_));
        if (i >= 0 && j >= 0 && i < nx_ && j < ny_) river_[at(i, j)] = 1;
      }
    }
  }

  std::vector<Road> build(const std::vector<Town>& towns, const std::vector<Village>& vs,
                          const std::vector<Reserve>& reserves) {
    const size_t n = static_cast<size_t>(nx_) * static_cast<size_t>(ny_);
    net_.assign(n, 0);
    // level 1: trunk roads from the county seats
    std::vector<int> seats;
    for (const Town& t : towns)
      if (t.kind == "county_seat") seats.push_back(cellOf(t.x, t.v));
    for (int s : seats) mult_[static_cast<size_t>(s)] = std::min(mult_[static_cast<size_t>(s)], 1.0f);
    std::vector<int16_t> label;
    dijkstra(seats, &label);
    for (int s : seats) net_[static_cast<size_t>(s)] = 1;
    if (seats.size() == 2) bridge(label);
    exits();
    {
      std::vector<std::pair<long, size_t>> central;
      for (size_t t = 0; t < towns.size(); ++t)
        if (towns[t].kind == "township_seat") central.emplace_back(towns[t].population, t);
      std::stable_sort(central.begin(), central.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      central.resize(static_cast<size_t>(std::lround(0.4 * static_cast<double>(central.size()))));
      std::vector<size_t> ids;
      for (const auto& c : central) ids.push_back(c.second);
      std::sort(ids.begin(), ids.end());
      for (size_t t : ids) traceTarget(cellOf(towns[t].x, towns[t].v), Pt{towns[t].x, towns[t].v}, 1);
    }
    // level 2: county roads to the other township seats and the parks
    runFromNetwork();
    for (const Town& t : towns)
      if (t.kind != "county_seat") traceTarget(cellOf(t.x, t.v), Pt{t.x, t.v}, 2);
    // level 3: township roads to the larger villages
    runFromNetwork();
    std::vector<char> done(vs.size(), 0);
    for (size_t i = 0; i < vs.size(); ++i) {
      const Village& vi = vs[i];
      if (reserveZone(reserves, vi.ox, vi.ov) >= 3) {
        done[i] = 1;
        continue;
      }
      if (vi.households >= 120 || vi.cls == kBasin) {
        traceTarget(cellOf(vi.ox, vi.ov), Pt{vi.ox, vi.ov}, 3);
        done[i] = 1;
      }
    }
    // level 4: village roads, except to the most remote mountain villages
    runFromNetwork();
    std::vector<std::pair<float, size_t>> mountain;
    for (size_t i = 0; i < vs.size(); ++i)
      if (!done[i] && vs[i].cls == kMountain) mountain.emplace_back(dist_[static_cast<size_t>(cellOf(vs[i].ox, vs[i].ov))], i);
    std::stable_sort(mountain.begin(), mountain.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t k = 0; k < mountain.size() * 3 / 10; ++k) done[mountain[k].second] = 1;
    for (size_t i = 0; i < vs.size(); ++i)
      if (!done[i]) traceTarget(cellOf(vs[i].ox, vs[i].ov), Pt{vs[i].ox, vs[i].ov}, 4);
    return polylines();
  }

 private:
  static constexpr float kBlocked = std::numeric_limits<float>::infinity();
  static constexpr int kDx[8] = {1, -1, 0, 0, 1, 1, -1, -1};
  static constexpr int kDy[8] = {0, 0, 1, -1, 1, -1, 1, -1};

  struct Path {
    std::vector<int> cells;
    int level;
    bool hasStart;
    Pt start;
  };

  size_t at(int i, int j) const { return static_cast<size_t>(j) * static_cast<size_t>(nx_) + static_cast<size_t>(i); }
  Pt centre(int id) const {
    const int i = id % nx_;
    const int j = id / nx_;
    return Pt{std::clamp((i + 0.5) * g_, 1.0, w_.width() - 1.0), std::clamp((j + 0.5) * g_, 1.0, w_.height() - 1.0)};
  }
  int cellOf(double x, double v) const {
    const int i = std::clamp(static_cast<int>(std::floor(x / g_)), 0, nx_ - 1);
    const int j = std::clamp(static_cast<int>(std::floor(v / g_)), 0, ny_ - 1);
    return static_cast<int>(at(i, j));
  }

  double stepCost(int a, int b, int k) const {
    const float m = mult_[static_cast<size_t>(b)];
    if (m == kBlocked) return kInf;
    const double len = g_ * (k < 4 ? 1.0 : 1.41421356);
    const double dz = static_cast<double>(cd_.z[static_cast<size_t>(b)]) - cd_.z[static_cast<size_t>(a)];
    const double grade = std::fabs(dz) / len;
    const double s = slope_[static_cast<size_t>(b)] / 15.0;
    double c = len * (1.0 + (grade / 0.07) * (grade / 0.07) + 0.4 * s * s) * m;
    if (river_[static_cast<size_t>(b)] != 0) c *= 2.5;
    return c;
  }

  void dijkstra(const std::vector<int>& sources, std::vector<int16_t>* label) {
    const size_t n = static_cast<size_t>(nx_) * static_cast<size_t>(ny_);
    dist_.assign(n, std::numeric_limits<float>::infinity());
    from_.assign(n, -1);
    if (label != nullptr) label->assign(n, -1);
    struct Item {
      float d;
      int id;
    };
    auto cmp = [](const Item& a, const Item& b) { return a.d > b.d || (a.d == b.d && a.id > b.id); };
    std::vector<Item> heap;
    for (size_t s = 0; s < sources.size(); ++s) {
      const auto id = static_cast<size_t>(sources[s]);
      if (dist_[id] == 0.0f) continue;
      dist_[id] = 0.0f;
      if (label != nullptr) (*label)[id] = static_cast<int16_t>(s);
      heap.push_back(Item{0.0f, sources[s]});
      std::push_heap(heap.begin(), heap.end(), cmp);
    }
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), cmp);
      const Item it = heap.back();
      heap.pop_back();
      if (it.d > dist_[static_cast<size_t>(it.id)]) continue;
      const int i = it.id % nx_;
      const int j = it.id / nx_;
      for (int k = 0; k < 8; ++k) {
        const int ni = i + kDx[k];
        const int nj = j + kDy[k];
        if (ni < 0 || nj < 0 || ni >= nx_ || nj >= ny_) continue;
        const int nb = static_cast<int>(at(ni, nj));
        const double c = stepCost(it.id, nb, k);
        if (c == kInf) continue;
        const auto nd = static_cast<float>(static_cast<double>(it.d) + c);
        if (nd < dist_[static_cast<size_t>(nb)]) {
          dist_[static_cast<size_t>(nb)] = nd;
          from_[static_cast<size_t>(nb)] = static_cast<int8_t>(k);
          if (label != nullptr) (*label)[static_cast<size_t>(nb)] = (*label)[static_cast<size_t>(it.id)];
          heap.push_back(Item{nd, nb});
          std::push_heap(heap.begin(), heap.end(), cmp);
        }
      }
    }
  }

  int parent(int id) const {
    const int k = from_[static_cast<size_t>(id)];
    if (k < 0) return -1;
    const int i = id % nx_ - kDx[k];
    const int j = id / nx_ - kDy[k];
    return static_cast<int>(at(i, j));
  }

  // cells from `id` back along the tree until the network (or a source)
  std::vector<int> walk(int id, bool stopAtNet) const {
    std::vector<int> cells{id};
    int cur = id;
    while (!(stopAtNet && net_[static_cast<size_t>(cur)] != 0 && cur != id)) {
      const int p = parent(cur);
      if (p < 0) break;
      cells.push_back(p);
      cur = p;
    }
    return cells;
  }

  void runFromNetwork() {
    std::vector<int> src;
    for (size_t i = 0; i < net_.size(); ++i)
      if (net_[i] != 0) src.push_back(static_cast<int>(i));
    dijkstra(src, nullptr);
  }

  void addPath(std::vector<int> cells, int level, bool hasStart, Pt start) {
    for (int c : cells) net_[static_cast<size_t>(c)] = 1;
    paths_.push_back(Path{std::move(cells), level, hasStart, start});
  }

  void traceTarget(int cell, Pt start, int level) {
    if (net_[static_cast<size_t>(cell)] != 0) return;
    if (!std::isfinite(dist_[static_cast<size_t>(cell)])) return;
    std::vector<int> cells = walk(cell, true);
    if (cells.size() < 2) return;
    addPath(std::move(cells), level, true, start);
  }

  // the cheapest link between the two county seats' trees
  void bridge(const std::vector<int16_t>& label) {
    double best = kInf;
    int ba = -1, bb = -1;
    for (int j = 0; j < ny_; ++j)
      for (int i = 0; i < nx_; ++i) {
        const int a = static_cast<int>(at(i, j));
        if (label[static_cast<size_t>(a)] != 0) continue;
        for (int k = 0; k < 8; ++k) {
          const int ni = i + kDx[k];
          const int nj = j + kDy[k];
          if (ni < 0 || nj < 0 || ni >= nx_ || nj >= ny_) continue;
          const int b = static_cast<int>(at(ni, nj));
          if (label[static_cast<size_t>(b)] != 1) continue;
          const double c = static_cast<double>(dist_[static_cast<size_t>(a)]) + stepCost(a, b, k) + dist_[static_cast<size_t>(b)];
          if (c < best) {
            best = c;
            ba = a;
            bb = b;
          }
        }
      }
    if (ba < 0) return;
    std::vector<int> left = walk(ba, false);
    std::reverse(left.begin(), left.end());
    const std::vector<int> right = walk(bb, false);
    left.insert(left.end(), right.begin(), right.end());
    addPath(std::move(left), 1, false, Pt{});
  }

  // trunk roads leaving the area: the cheapest edge cell of each side section
  void exits() {
    const int per = std::max(1, static_cast<int>(std::lround(w_.width() / 100000.0)));
    for (int side = 0; side < 4; ++side) {
      const int len = (side < 2) ? nx_ : ny_;
      for (int s = 0; s < per; ++s) {
        const int a0 = len * s / per + len / (5 * per);
        const int a1 = len * (s + 1) / per - len / (5 * per);
        double best = kInf;
        int bid = -1;
        for (int a = a0; a < a1; ++a) {
          int i = 0, j = 0;
          if (side == 0) { i = a; j = 0; }
          if (side == 1) { i = a; j = ny_ - 1; }
          if (side == 2) { i = 0; j = a; }
          if (side == 3) { i = nx_ - 1; j = a; }
          const int id = static_cast<int>(at(i, j));
          if (dist_[static_cast<size_t>(id)] < best) {
            best = dist_[static_cast<size_t>(id)];
            bid = id;
          }
        }
        if (bid < 0 || net_[static_cast<size_t>(bid)] != 0) continue;
        std::vector<int> cells = walk(bid, true);
        if (cells.size() >= 2) addPath(std::move(cells), 1, false, Pt{});
      }
    }
  }

  static std::vector<Pt> chaikin(const std::vector<Pt>& p) {
    if (p.size() < 3) return p;
    std::vector<Pt> q{p.front()};
    for (size_t i = 0; i + 1 < p.size(); ++i) {
      const Pt& a = p[i];
      const Pt& b = p[i + 1];
      if (i > 0) q.push_back(Pt{0.75 * a.x + 0.25 * b.x, 0.75 * a.v + 0.25 * b.v});
      if (i + 2 < p.size()) q.push_back(Pt{0.25 * a.x + 0.75 * b.x, 0.25 * a.v + 0.75 * b.v});
    }
    q.push_back(p.back());
    return q;
  }

  static void douglasPeucker(const std::vector<Pt>& p, double tol, std::vector<Pt>& out) {
    if (p.size() < 3) {
      out = p;
      return;
    }
    std::vector<char> keep(p.size(), 0);
    keep.front() = keep.back() = 1;
    std::vector<std::pair<size_t, size_t>> stack{{0, p.size() - 1}};
    while (!stack.empty()) {
      const auto [a, b] = stack.back();
      stack.pop_back();
      const double ux = p[b].x - p[a].x;
      const double uv = p[b].v - p[a].v;
      const double ul = std::sqrt(ux * ux + uv * uv);
      double dmax = -1.0;
      size_t im = a;
      for (size_t i = a + 1; i < b; ++i) {
        const double d = ul > 0.0 ? std::fabs((p[i].x - p[a].x) * uv - (p[i].v - p[a].v) * ux) / ul
                                  : std::sqrt(dist2(p[i].x, p[i].v, p[a].x, p[a].v));
        if (d > dmax) {
          dmax = d;
          im = i;
        }
      }
      if (dmax > tol) {
        keep[im] = 1;
        stack.emplace_back(a, im);
        stack.emplace_back(im, b);
      }
    }
    out.clear();
    for (size_t i = 0; i < p.size(); ++i)
      if (keep[i]) out.push_back(p[i]);
  }

  // paths split where other paths join them; smoothed with fixed ends
  std::vector<Road> polylines() const {
    std::vector<uint8_t> junction(net_.size(), 0);
    for (const Path& p : paths_) {
      junction[static_cast<size_t>(p.cells.front())] = 1;
      junction[static_cast<size_t>(p.cells.back())] = 1;
    }
    std::vector<Road> out;
    for (const Path& p : paths_) {
      size_t startIdx = 0;
      for (size_t k = 1; k < p.cells.size(); ++k) {
        if (k + 1 < p.cells.size() && junction[static_cast<size_t>(p.cells[k])] == 0) continue;
        std::vector<Pt> pts;
        for (size_t q = startIdx; q <= k; ++q) pts.push_back(centre(p.cells[q]));
        if (startIdx == 0 && p.hasStart) pts.front() = p.start;
        pts = chaikin(chaikin(pts));
        Road r;
        r.level = p.level;
        douglasPeucker(pts, 0.12 * g_, r.pts);
        if (r.pts.size() >= 2) out.push_back(std::move(r));
        startIdx = k;
      }
    }
    return out;
  }

  const World& w_;
  const CoarseDem& cd_;
  int nx_, ny_;
  double g_;
  std::vector<float> mult_;
  std::vector<float> slope_;
  std::vector<uint8_t> river_;
  std::vector<uint8_t> net_;
  std::vector<float> dist_;
  std::vector<int8_t> from_;
  std::vector<Path> paths_;
};
