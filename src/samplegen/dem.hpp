#pragma once
// relocplan-samplegen: the DEM: the grid origin (the area centred on
// 107.3 E, 26.0 N in EPSG:4545), writing dem.tif strip by strip from the
// world, and the coarse mean-elevation grid gathered on the way (the road
// network is routed on it).

#include "common.hpp"
#include "gdal_helpers.hpp"
#include "world.hpp"

namespace relocplan::samplegen {

struct DemInfo {
  double originE = 0.0;  // upper-left corner, EPSG:4545
  double originN = 0.0;
  double minZ = kInf;
  double maxZ = -kInf;
  long long nodata = 0;
};

// Mean elevation on a coarse grid (f x f DEM cells), gathered while the DEM
// is written: the road network is routed on it.  NaN where no cell is valid.
struct CoarseDem {
  int f = 2;
  int nx = 0, ny = 0;
  std::vector<float> z;
  std::vector<uint8_t> n;
  void init(int ncols, int nrows, int factor) {
    f = factor;
    nx = (ncols + f - 1) / f;
    ny = (nrows + f - 1) / f;
    z.assign(static_cast<size_t>(nx) * static_cast<size_t>(ny), 0.0f);
    n.assign(z.size(), 0);
  }
  void finish() {
    for (size_t i = 0; i < z.size(); ++i) z[i] = n[i] > 0 ? z[i] / static_cast<float>(n[i]) : std::nanf("");
    std::vector<uint8_t>().swap(n);
  }
  float at(int i, int j) const { return z[static_cast<size_t>(j) * static_cast<size_t>(nx) + static_cast<size_t>(i)]; }
};

// The upper-left corner of the grid, on whole cells, with the area centred
// on 107.3 E, 26.0 N.
DemInfo gridOrigin(const World& w, const SrsHandle& geo, const SrsHandle& demSrs);

// Writes dir/dem.tif (tiled, DEFLATE); fills in the elevation range and
// NoData count of info and sums the cells into cd (cd.finish() averages).
void writeDem(const World& w, const fs::path& dir, const SrsHandle& demSrs, DemInfo& info, CoarseDem& cd);

}  // namespace relocplan::samplegen
