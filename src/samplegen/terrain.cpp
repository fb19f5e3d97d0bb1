// relocplan-samplegen: the un-carved terrain: placement of the ranges and
// troughs from the seed, the elevation at a point, the karst mask and the
// cone-karst height field.

#include "terrain.hpp"

#include "noise.hpp"

namespace relocplan::samplegen {

Terrain::Terrain(double width, double height, uint64_t seed) : W_(width), H_(height) {
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

TerrainParts Terrain::eval(double x, double v, bool withCones) const {
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

double Terrain::karstMask(double x, double v) const {
  const double km = fbm(x / 11000.0 + 5.2, v / 11000.0 - 3.1, 2, salt_ + 40);
  return smoothstep(-0.05, 0.25, km);
}

// Cockpit karst (fengcong-wadi): closed depressions around jittered
// centres 380-600 m apart; the rims between them rise into cone peaks
// where three or more depressions meet.  Height is continuous (F1 field).
double Terrain::coneField(double x, double v) const {
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

}  // namespace relocplan::samplegen
