// relocplan-samplegen: placing the villages: quotas per class of place,
// candidates along rivers, on basin floors or anywhere, accepted by slope,
// height above the river and spacing; then households, population and
// poverty per village.

#include "villages.hpp"

namespace relocplan::samplegen {

namespace {

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

double lognormalClamp(Rng& rng, double median, double sigma, double lo, double hi) {
  return std::clamp(median * std::exp(sigma * rng.normal()), lo, hi);
}

}  // namespace

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

}  // namespace relocplan::samplegen
