#pragma once
// relocplan-samplegen: the terrain before the valleys are carved: a regional
// surface, NW-SE ranges with the main valleys (troughs) between them, ridged
// hills and cone-karst (fengcong) clusters.  Every value is a pure function
// of the coordinates and the seed.

#include "common.hpp"

namespace relocplan::samplegen {

// ---------------------------------------------------------------------------
// Terrain without valleys: regional surface, NW-SE ranges with the main
// valleys between them, ridged hills, karst cone clusters.  Local
// coordinates: x east, v south (metres from the upper-left corner of the
// DEM); a = (x + v)/sqrt2 runs NW -> SE, b = (x - v)/sqrt2 runs SW -> NE.

struct RangeDef {
  double b0;
  double amp;
  double width;
  uint64_t salt;
};

struct TroughDef {
  double b0;
  uint64_t salt;
};

struct TerrainParts {
  double macro;  // smooth regional surface + ranges + main valleys
  double stopH;  // macro + hills (no cones): drives the drainage network
  double t;      // full un-carved terrain
};

class Terrain {
 public:
  Terrain(double width, double height, uint64_t seed);

  // upper bound of the un-carved terrain (m)
  static double maxBound() { return 2600.0; }

  TerrainParts eval(double x, double v, bool withCones = true) const;

  // 0 outside, 1 inside the fengcong (cone karst) clusters
  double karstMask(double x, double v) const;

 private:
  double coneField(double x, double v) const;

  double W_, H_, diag_;
  uint64_t salt_;
  std::vector<RangeDef> ranges_;
  std::vector<TroughDef> troughs_;
};

}  // namespace relocplan::samplegen
