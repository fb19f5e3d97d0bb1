#pragma once
// relocplan-samplegen: villages and townships: the classes of place
// (basin, valley, gentle slope, mid-slope, mountain), the village and
// township records, the county boundary line, the syllable tables of the
// fictional names, and the stages that place, organise, name and write the
// villages.

#include "common.hpp"
#include "gdal_helpers.hpp"
#include "noise.hpp"
#include "world.hpp"

namespace relocplan::samplegen {

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

// Syllables of the fictional village and township names (village_names.cpp).
extern const std::vector<std::string> kCommonA;
extern const std::vector<std::string> kCommonB;
extern const std::vector<std::string> kMountainA;
extern const std::vector<std::string> kMountainB;
extern const std::vector<std::string> kValleyA;
extern const std::vector<std::string> kValleyB;
extern const std::vector<std::string> kBasinA;
extern const std::vector<std::string> kBasinB;
extern const std::vector<std::string> kSuffix;
extern const std::vector<std::string> kTownExtra;
extern const std::vector<std::string> kTownAnimals;

inline const std::array<const char*, 2> kCountyName = {"黔山县", "岩溪县"};

// A uniformly chosen entry of v.
const std::string& pick(const std::vector<std::string>& v, Rng& rng);
// A name for a village of class cls that is not in used.
std::string makeVillageName(int cls, Rng& rng, const std::set<std::string>& used);

// Villages of each class on the places the world offers them, with
// households, population and poor households (village_placement.cpp).
std::vector<Village> placeVillages(const World& w, uint64_t seed, long target);

// Counties (by the line) and the townships: seats, names and codes
// (village_admin.cpp).  Each village's township is assigned afterwards, with
// the administrative areas (buildAdmin in features.hpp).
void organise(const World& w, uint64_t seed, std::vector<Village>& vs, std::vector<Township>& towns,
              const CountyLine& line);
// Names and codes, then villages sorted by code (village_admin.cpp).
void finishVillages(uint64_t seed, std::vector<Village>& vs, std::vector<Township>& towns);

// villages.csv and villages_4544.gpkg (village_files.cpp).
void writeCsv(const std::vector<Village>& vs, const std::vector<Township>& towns, const fs::path& dir);
void writeGpkg(const std::vector<Village>& vs, const std::vector<Township>& towns, const fs::path& dir,
               const SrsHandle& geo, const SrsHandle& copySrs);

}  // namespace relocplan::samplegen
