// relocplan-samplegen: evaluating the world: the DEM cell values (terrain
// carved by the valley segments that can be lowest in each fine bucket,
// with wall perturbation and slope texture), the probe used to place
// villages, and the NoData void (its shape, and where it is chosen).

#include "world.hpp"

namespace relocplan::samplegen {

void World::fillRows(int r0, int nr, std::vector<float>& buf) const {
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

float World::cellAt(int c, int r) const {
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

Probe World::probe(double x, double v) const {
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

// Segment candidates for the coarse bucket holding cell (c, r).
void World::coarseList(int c, int r, std::vector<int>& out) const {
  out.clear();
  const int i = std::clamp(c / kCoarse, 0, ncx_ - 1);
  const int j = std::clamp(r / kCoarse, 0, ncv_ - 1);
  for (const Run& run : coarse_[static_cast<size_t>(j) * static_cast<size_t>(ncx_) + static_cast<size_t>(i)])
    for (int k = 0; k < run.count; ++k) out.push_back(run.first + k);
}

// Segments that can be the lowest valley surface somewhere in the bucket.
void World::fineBucket(int bc, int br, std::vector<int>& kept) const {
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

double World::wallPert(double x, double v) const {
  return kWallPert * std::clamp(fbm(x / 900.0, v / 900.0, 3, wallSalt_), -1.0, 1.0);
}

// fine texture on slopes, none on valley floors (e: distance beyond the
// floor edge of the lowest valley)
double World::texture(double x, double v, double e) const {
  if (e <= 0.0) return 0.0;
  return 14.0 * smoothstep(0.0, 120.0, e) * fbm(x / 320.0, v / 320.0, 3, wallSalt_ + 9);
}

// Terrain at (x, v) carved by the valleys of the listed segments; the
// river `skip` is left out (-1: none).
double World::surface(double x, double v, const std::vector<int>& segIdx, int skip) const {
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

float World::cellValue(int c, int r, const std::vector<int>& kept) const {
  const double x = (c + 0.5) * cell_;
  const double v = (r + 0.5) * cell_;
  if (inVoid(x, v)) return static_cast<float>(kNoData);
  return static_cast<float>(surface(x, v, kept, -1));
}

// ---- NoData void

bool World::inVoid(double x, double v) const {
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
void World::chooseVoid() {
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

}  // namespace relocplan::samplegen
