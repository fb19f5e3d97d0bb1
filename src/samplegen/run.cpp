// relocplan-samplegen: the stages in order: the world and dem.tif, the
// villages (placed, published in lon/lat, organised into counties and
// townships, written), then the features computed from the written DEM
// (towns, reserves, water, roads, hazards, facilities), fragility.tif,
// layers.gpkg, landcover.tif and hazard_points.shp.  The feature code is in
// the parts included below, inside this file's anonymous namespace.

#include "run.hpp"

#include "common.hpp"
#include "dem.hpp"
#include "gdal_helpers.hpp"
#include "noise.hpp"
#include "villages.hpp"
#include "world.hpp"

namespace relocplan::samplegen {

namespace {

#include "gdalutil.hpp"
#include "features.hpp"
#include "water.hpp"
#include "roads.hpp"
#include "hazards.hpp"
#include "rasters.hpp"
#include "output.hpp"

}  // namespace

int run(const Options& opt) {
  // reproducible files: no timestamps, no side-car files
  CPLSetConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
  CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
  CPLSetConfigOption("GDAL_NUM_THREADS", "1");
  CPLSetConfigOption("OGR_SQLITE_JOURNAL", "DELETE");
  CPLSetConfigOption("CPL_LOG_ERRORS", "OFF");
  GDALSetCacheMax64(static_cast<GIntBig>(160) * 1024 * 1024);
  GDALAllRegister();
  const bool debug = std::getenv("RELOCPLAN_SAMPLEGEN_DEBUG") != nullptr;
  // stage timings on stderr, only when debugging (they never reach a file)
  const auto t0 = std::chrono::steady_clock::now();
  auto stage = [&](const char* name) {
    if (!debug) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "[%8.1f s] %s\n", s, name);
  };

  const fs::path dir(opt.outdir);
  {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) fail("cannot create directory " + dir.string(), ec.message());
  }

  SrsHandle geo(kGeoEpsg);
  SrsHandle demSrs(kDemEpsg);
  SrsHandle copySrs(kCopyEpsg);

  World world(opt);
  world.build();

  DemInfo info = gridOrigin(world, geo, demSrs);
  CoarseDem coarse;
  coarse.init(world.ncols(), world.nrows(), world.ncols() <= 4096 ? 2 : 4);
  writeDem(world, dir, demSrs, info, coarse);
  coarse.finish();
  const double voidHa = static_cast<double>(info.nodata) * world.cell() * world.cell() / 10000.0;
  std::printf("dem.tif: %d x %d cells of %g m, EPSG:4545, elevation %.1f to %.1f m, %lld NoData cells (%.1f ha)\n",
              world.ncols(), world.nrows(), world.cell(), info.minZ, info.maxZ, info.nodata, voidHa);
  std::fflush(stdout);
  stage("dem.tif");
  Frame fr;
  fr.oE = info.originE;
  fr.oN = info.originN;
  fr.cell = world.cell();
  fr.ncols = world.ncols();
  fr.nrows = world.nrows();

  std::vector<Village> vs = placeVillages(world, opt.seed, opt.villages);
  // local metres -> EPSG:4545 -> EPSG:4490 lon/lat, rounded as published,
  // and back: counties and townships are decided on the published points
  {
    std::vector<double> xs;
    std::vector<double> ys;
    for (const Village& v : vs) {
      xs.push_back(info.originE + v.x);
      ys.push_back(info.originN - v.v);
    }
    TransformHandle ct(demSrs, geo, "cannot create transformation EPSG:4545 -> EPSG:4490");
    ct.apply(xs, ys, "cannot transform villages to EPSG:4490");
    for (size_t i = 0; i < vs.size(); ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6f", xs[i]);
      vs[i].lon = std::strtod(buf, nullptr);
      std::snprintf(buf, sizeof buf, "%.6f", ys[i]);
      vs[i].lat = std::strtod(buf, nullptr);
      xs[i] = vs[i].lon;
      ys[i] = vs[i].lat;
    }
    TransformHandle back(geo, demSrs, "cannot create transformation EPSG:4490 -> EPSG:4545");
    back.apply(xs, ys, "cannot transform villages to EPSG:4545");
    for (size_t i = 0; i < vs.size(); ++i) {
      vs[i].ox = fr.lx(xs[i]);
      vs[i].ov = fr.lv(ys[i]);
    }
  }
  const CountyLine line(world, opt.seed);
  std::vector<Township> towns;
  organise(world, opt.seed, vs, towns, line);
  const Admin admin = buildAdmin(fr, line, vs, towns, opt.seed);
  finishVillages(opt.seed, vs, towns);
  writeCsv(vs, towns, dir);
  int smallPoor = 0;
  for (const Village& v : vs)
    if (v.households < 50 && 2 * v.poor > v.households) ++smallPoor;
  std::printf("villages.csv: %zu villages (EPSG:4490 lon/lat) in 2 counties, %zu townships; %d small (<50 households) with poverty rate > 0.5\n",
              vs.size(), towns.size(), smallPoor);
  writeGpkg(vs, towns, dir, geo, copySrs);
  std::printf("villages_4544.gpkg: layer villages, %zu points, EPSG:4544\n", vs.size());
  std::fflush(stdout);

  stage("villages written");
  const std::vector<Town> tw = makeTowns(world, opt.seed, vs, towns, line);
  const std::vector<Reserve> reserves = placeReserves(world, opt.seed, vs, tw);
  const Fields fields = makeFields(world, vs, tw);
  std::vector<WaterBody> water;
  {
    DemReader dem(dir / "dem.tif", fr.ncols, fr.nrows);
    WaterBuilder wb(world, fr, dem, vs, tw, reserves, opt.seed);
    water = wb.build();
  }
  stage("water bodies");
  std::vector<Road> roads;
  {
    RoadBuilder rb(world, coarse, water, reserves);
    roads = rb.build(tw, vs, reserves);
  }
  stage("roads");
  std::vector<float>().swap(coarse.z);
  const std::vector<Hazard> hazards = makeHazards(world, opt.seed, vs);
  std::vector<Facility> schools;
  std::vector<Facility> clinics;
  makeFacilities(world, opt.seed, vs, towns, tw, schools, clinics);

  stage("hazards, facilities");
  const Model model{world, fr, fields, hazards, water, vs, tw, mix64(opt.seed ^ 0x5C0DEULL)};
  const fs::path fragTmp = dir / ".tmp-fragility.tif";
  const fs::path scoreTmp = dir / ".tmp-scores.tif";
  removeIfExists(fragTmp);
  removeIfExists(scoreTmp);
  {
    DemReader dem(dir / "dem.tif", fr.ncols, fr.nrows);
    ScoreStats stats;
    passScores(model, dem, fragTmp, scoreTmp, demSrs, debug ? &stats : nullptr);
    if (debug) {
      for (auto* arr : {&stats.d, &stats.s, &stats.f}) {
        std::sort(arr->begin(), arr->end());
        std::printf("quantiles:");
        for (double q : {0.3, 0.5, 0.65, 0.7, 0.8, 0.85, 0.9, 0.92, 0.95, 0.97, 0.99})
          std::printf(" %.2f:%.3f", q, (*arr)[static_cast<size_t>(q * static_cast<double>(arr->size() - 1))]);
        std::printf("\n");
      }
    }
  }
  stage("fragility");
  renameInto(fragTmp, dir / "fragility.tif");
  std::printf("fragility.tif: %d x %d cells of %g m, EPSG:4545\n", (fr.ncols + 2) / 3, (fr.nrows + 2) / 3, 3 * fr.cell);
  std::fflush(stdout);
  {
    GDALDatasetH sc = GDALOpen(scoreTmp.string().c_str(), GA_ReadOnly);
    GDALDatasetH frag = GDALOpen((dir / "fragility.tif").string().c_str(), GA_ReadOnly);
    if (sc == nullptr || frag == nullptr) failGdal("cannot reopen the score rasters");
    {
      const LayersInput in{world, fr, line, admin, towns, tw, roads, water, reserves, schools, clinics, model, sc,
                           frag, opt.seed};
      writeLayers(in, dir, demSrs);
    }
  stage("layers.gpkg");
    std::fflush(stdout);
    {
      DemReader dem(dir / "dem.tif", fr.ncols, fr.nrows);
      const fs::path lcTmp = dir / ".tmp-landcover.tif";
      removeIfExists(lcTmp);
      std::array<long long, 256> hist{};
      passLandcover(model, dem, sc, lcTmp, demSrs, hist);
      renameInto(lcTmp, dir / "landcover.tif");
      long long tot = 0;
      for (int k = 0; k < 255; ++k) tot += hist[static_cast<size_t>(k)];
      std::printf("landcover.tif: EPSG:32648, 30 m;");
      for (int k : {10, 20, 30, 40, 50, 60, 80, 90})
        std::printf(" %d:%.1f%%", k, 100.0 * static_cast<double>(hist[static_cast<size_t>(k)]) / std::max(1LL, tot));
      std::printf("\n");
    }
    GDALClose(frag);
    GDALClose(sc);
  }
  stage("landcover");
  removeIfExists(scoreTmp);
  writeHazards(hazards, fr, dir, demSrs, geo);
  int threatening = 0;
  for (const Hazard& h : hazards)
    if (h.village >= 0) ++threatening;
  std::printf("hazard_points.shp: %zu points (EPSG:4490), %d placed above villages\n", hazards.size(), threatening);
  return 0;
}

}  // namespace relocplan::samplegen
