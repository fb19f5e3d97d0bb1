// The terrain stage and the assessment (see stages.hpp).

#include <algorithm>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "relocplan/core/error.hpp"
#include "relocplan/pipeline/stage_io.hpp"
#include "relocplan/pipeline/stages.hpp"
#include "relocplan/pipeline/text.hpp"
#include "relocplan/raster/block_plan.hpp"
#include "relocplan/terrain/terrain.hpp"
#include "relocplan/vector/geos.hpp"

namespace relocplan::pipeline {

namespace {

std::string list_ids(const std::vector<std::string>& ids, std::size_t most = 20) {
  std::string s;
  for (std::size_t i = 0; i < ids.size() && i < most; ++i) s += (i ? ", " : "") + ids[i];
  if (ids.size() > most) s += ", ... (" + std::to_string(ids.size() - most) + " more)";
  return s;
}

// Runs `helper` on a thread of its own while `here` runs on this one, and
// returns when both are done; an exception from either is rethrown (this
// thread's first). With a single core they run one after the other. The
// lanes must not share a GDAL dataset or the GEOS context: GDAL allows a
// dataset to move between threads, not to be used by two at once (and binds
// a coordinate transformation's PROJ object to the calling thread's context,
// so a warped raster may be read on either thread).
template <class Helper, class Here>
void both_lanes(Helper&& helper, Here&& here) {
  if (std::thread::hardware_concurrency() < 2) {
    helper();
    here();
    return;
  }
  std::future<void> done = std::async(std::launch::async, std::forward<Helper>(helper));
  try {
    here();
  } catch (...) {
    done.wait();
    throw;
  }
  done.get();
}

// Warnings about villages without terrain (outside the grid, on NoData, or
// with part of their neighbourhood on NoData); InputError when none has any.
// Returns how many have none.
std::size_t check_village_terrain(const Plan& plan, const std::vector<criteria::VillageTerrain>& terrain,
                                  double radius_m, core::Log& log) {
  std::vector<std::string> outside, nodata, partial;
  for (std::size_t i = 0; i < terrain.size(); ++i) {
    const auto& id = plan.villages.villages[i].id;
    if (terrain[i].outside_grid) outside.push_back(id);
    else if (!terrain[i].elevation_m) nodata.push_back(id);
    else if (terrain[i].nbhd_valid_pct < 99.0) partial.push_back(id);
  }
  if (!outside.empty())
    log.warn(std::to_string(outside.size()) + " village(s) lie outside the analysis grid and have no terrain values: " +
             list_ids(outside));
  if (outside.size() + nodata.size() == terrain.size())
    throw core::InputError("inputs.dem: none of the " + std::to_string(terrain.size()) +
                           " villages lies on a DEM cell with data: '" + plan.scenario.dem.path.string() +
                           "' is NoData under all of them, or covers another area");
  if (!nodata.empty())
    log.warn(std::to_string(nodata.size()) +
             " village(s) lie outside the DEM or on its NoData cells; their terrain fields are null: " + list_ids(nodata));
  if (!partial.empty())
    log.warn(std::to_string(partial.size()) + " village(s) have DEM data for only part of their " + fixed(radius_m, 0) +
             " m neighbourhood (see nbhd_valid_pct): " + list_ids(partial));
  return outside.size() + nodata.size();
}

}  // namespace

TerrainResult run_terrain_stage(const Plan& plan, io::OutputGeoPackage& output, core::Log& log,
                                core::Progress& progress) {
  const config::Scenario& s = plan.scenario;
  const raster::Grid& grid = plan.grid;
  const std::size_t cols = grid.cols();
  const terrain::CircleWindow window(s.thresholds.value("terrain", "relief_radius_m") / grid.cell_size());
  const std::size_t halo = std::max<std::size_t>(1, static_cast<std::size_t>(window.radius_rows));
  std::vector<double> xs, ys;
  for (const auto& v : plan.villages.villages) {
    xs.push_back(v.x);
    ys.push_back(v.y);
  }
  criteria::VillageTerrainSettings vts;
  vts.radius_m = s.thresholds.value("terrain", "village_radius_m");
  vts.steep_slope_deg = s.thresholds.value("terrain", "steep_slope_deg");
  criteria::VillageTerrainAccumulator acc(grid, xs, ys, vts);

  // Territories, and the thematic polygons burnt strip by strip.
  TerrainResult r;
  GEOSContextHandle_t ctx = plan.geos->get();
  progress.begin("territories");
  r.territories = criteria::build_territories(ctx, plan.villages.villages, grid.extent(),
                                              s.thresholds.value("settlement", "territory_max_radius_m"),
                                              plan.layer("counties"), plan.layer("territories"));
  for (const auto& w : r.territories.warnings) log.warn(w);
  progress.end();
  std::vector<const GEOSGeometry*> territory_geoms;
  for (const auto& t : r.territories.territories) territory_geoms.push_back(t.geometry.get());
  criteria::TerritoryAccumulator zonal(grid, ctx, territory_geoms, s.thresholds);
  ThematicRows thematic_rows(s, plan, ctx);
  std::vector<float> landcover_rows, fragility_rows;

  r.slope = output.new_raster_strips("slope", grid);
  r.relief = output.new_raster_strips("relief", grid);
  r.elevation = output.new_raster_strips("elevation", grid);
  const auto blocks = raster::plan_row_blocks(grid.rows(), plan.block_rows, halo);
  std::vector<float> dem, slope, aspect, relief;
  progress.begin("terrain");
  // Each strip in two lanes at once (see both_lanes): a helper thread reads
  // the DEM, computes slope, the villages' aspect, relief and the villages'
  // terrain, and brings land cover onto the grid, while this thread brings
  // fragility onto the grid and burns the thematic polygons; then the helper
  // writes the slope and relief rasters while this thread writes the
  // elevation and adds the strip to the zonal statistics. (The split keeps
  // the lanes about equally long.) The lanes fill disjoint buffers, and each
  // GDAL dataset and the GEOS context are used by one thread at a time, so
  // the results do not depend on the timing.
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    const auto& b = blocks[bi];
    const std::size_t n = b.rows() * cols;
    dem.resize(b.read_rows() * cols);
    slope.resize(n);
    aspect.resize(n);
    relief.resize(n);
    const terrain::RowStrip strip{dem.data(), cols, b.read_row0, b.read_rows()};
    const float* elev = strip.row(b.row0);
    criteria::BlockLayers layers;
    layers.slope_deg = slope.data();
    layers.relief_m = relief.data();
    layers.elevation_m = elev;
    if (plan.landcover) {
      landcover_rows.resize(n);
      layers.landcover = landcover_rows.data();
    }
    if (plan.fragility) {
      fragility_rows.resize(n);
      layers.fragility = fragility_rows.data();
    }
    both_lanes(
        [&] {
          plan.dem->read_rows(b.read_row0, b.read_rows(), dem.data());
          terrain::horn_slope_aspect(strip, grid.rows(), b.row0, b.rows(), grid.cell_size(), slope.data(), nullptr);
          // The aspect is reported at the villages' cells only: computed there only.
          for (const auto& [row, col] : acc.point_cells(b.row0, b.rows()))
            aspect[(row - b.row0) * cols + col] = terrain::horn_aspect_at(strip, grid.rows(), row, col);
          terrain::local_relief(strip, grid.rows(), b.row0, b.rows(), window, relief.data());
          acc.add_rows(b.row0, b.rows(), elev, slope.data(), aspect.data(), relief.data());
          if (plan.landcover) plan.landcover->read_rows(b.row0, b.rows(), landcover_rows.data());
        },
        [&] {
          if (plan.fragility) plan.fragility->read_rows(b.row0, b.rows(), fragility_rows.data());
          thematic_rows.burn(b.row0, b.rows(), cols, layers);
        });
    both_lanes(
        [&] {
          r.slope->write_rows(b.row0, b.rows(), slope.data());
          r.relief->write_rows(b.row0, b.rows(), relief.data());
        },
        [&] {
          r.elevation->write_rows(b.row0, b.rows(), elev);
          zonal.add_rows(b.row0, b.rows(), layers);
        });
    progress.update(static_cast<double>(bi + 1) / static_cast<double>(blocks.size()));
  }
  progress.end();
  r.terrain = acc.results();
  r.zonal = zonal.results();
  // The territories' outlines are needed again only for their output layer:
  // they wait for it as WKB in a scratch file (8 bytes of memory a village)
  // instead of as GEOS geometries (about 2 KB a village).
  r.territory_wkb = std::make_unique<core::ScratchRecords>(output.work_dir(), "the village territories");
  for (auto& t : r.territories.territories) {
    const GEOSGeometry* g = t.geometry.get();
    r.territory_wkb->append(g && GEOSisEmpty_r(ctx, g) != 1 ? vector::to_wkb(ctx, g) : std::string());
    t.geometry.reset();
  }
  r.villages_without_terrain = check_village_terrain(plan, r.terrain, vts.radius_m, log);
  // The strip buffers and burners are the stage's alone: their memory goes
  // back as it returns, before the next stages take theirs.
  return r;
}

AssessmentResult run_assessment_stage(const Plan& plan, const TerrainResult& terrain, core::Progress& progress) {
  progress.begin("assessment");
  criteria::ThematicLayers thematic;
  thematic.hazard_points = plan.layer("hazard_points");
  thematic.susceptibility_stream = plan.stream("susceptibility");
  thematic.flood_zone = plan.layer("flood_zone");
  thematic.reserve = plan.layer("reserve");
  thematic.redline = plan.layer("redline");
  thematic.roads = plan.layer("roads");
  thematic.towns = plan.layer("towns");
  AssessmentResult r;
  r.points = criteria::point_criteria(plan.geos->get(), plan.villages.villages, thematic, plan.scenario);
  for (std::size_t i = 0; i < plan.villages.villages.size(); ++i)
    r.villages.push_back(criteria::assess(plan.villages.villages[i], terrain.zonal[i], terrain.terrain[i].elevation_m,
                                          r.points[i], plan.scenario));
  progress.end();
  return r;
}

}  // namespace relocplan::pipeline
