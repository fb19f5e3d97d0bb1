// relocplan-samplegen: writes a deterministic, synthetic karst mountain county
// (southern Guizhou style) for demonstrations and tests of relocplan.
//
//   relocplan-samplegen OUTDIR [--seed N] [--size-km K] [--cell-m C] [--villages N]
//
// Output (see samples/README.md):
//   OUTDIR/dem.tif              Float32 GeoTIFF, EPSG:4545, NoData -9999
//   OUTDIR/villages.csv         villages, lon/lat in EPSG:4490
//   OUTDIR/villages_4544.gpkg   the same villages as points in EPSG:4544
//   OUTDIR/landcover.tif        GlobeLand30 classes, 30 m, EPSG:32648
//   OUTDIR/fragility.tif        ecological fragility 0-1, 90 m, EPSG:4545
//   OUTDIR/hazard_points.shp    geohazard points, EPSG:4490
//   OUTDIR/layers.gpkg          planning layers, EPSG:4545
//
// The generator is in namespace relocplan::samplegen, in these files:
//   common.hpp                 headers, constants, errors
//   noise.hpp                  random numbers and lattice noise
//   options.hpp/.cpp           command line
//   terrain.hpp/.cpp           the terrain before the valleys are carved
//   valleys.hpp                rivers, basins, valley segments
//   world.hpp                  the world: terrain + valley network + void
//   world_network.cpp          building the valley network
//   world.cpp                  evaluating DEM cells and probes
//   gdal_helpers.hpp/.cpp      GDAL/PROJ handles, error helpers, files
//   dem.hpp/.cpp               the grid origin and dem.tif
//   villages.hpp               villages, townships, the county line
//   village_placement.cpp      placing villages, sizes and poverty
//   village_admin.cpp          counties, townships, names and codes
//   village_names.cpp          syllables of the fictional names
//   village_files.cpp          villages.csv and villages_4544.gpkg
//   run.hpp/.cpp               the stages in order; run.cpp includes the
//                              parts gdalutil.hpp, features.hpp, water.hpp,
//                              roads.hpp, hazards.hpp, rasters.hpp, output.hpp
// Everything after the DEM and the villages is computed from the written DEM
// in tiles or windows, so memory stays bounded at province scale.
//
// Determinism: the same arguments give byte-identical files.  All randomness
// comes from our own splitmix64 / xoshiro256** generators and hash-based
// lattice noise; no std:: distributions, clocks, threads or unordered
// containers are used.  Every terrain value is a pure function of the cell's
// coordinates, so the DEM is written in independent strips of rows.

#include <cstdio>
#include <exception>

#include <cpl_error.h>

#include "common.hpp"
#include "options.hpp"
#include "run.hpp"

// The entry point: parses the options, runs the generator and reports a
// failure on stderr (exit status 1).

int main(int argc, char** argv) {
  using namespace relocplan::samplegen;
  const Options opt = parseArgs(argc, argv);
  CPLPushErrorHandler(errorHandler);
  int rc = 1;
  try {
    rc = run(opt);
  } catch (const Failure& f) {
    std::fprintf(stderr, "%s: %s: %s\n", kProg, f.what.c_str(), f.detail.c_str());
    rc = 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", kProg, e.what());
    rc = 1;
  }
  CPLPopErrorHandler();
  return rc;
}
