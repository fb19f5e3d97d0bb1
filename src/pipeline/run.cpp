// One run of a scenario (see run.hpp): the stages in order (resolve, terrain
// and zonal statistics by strips, assessment, sites, allocation, writing the
// GeoPackage, run_info), each timed, with progress reported.

#include "relocplan/pipeline/run.hpp"
#include "relocplan/pipeline/run_info.hpp"
#include "relocplan/pipeline/stage_io.hpp"
#include "relocplan/pipeline/tables.hpp"
#include "relocplan/pipeline/text.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include "relocplan/allocation/allocate.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/criteria/assessment.hpp"
#include "relocplan/criteria/territories.hpp"
#include "relocplan/criteria/village_terrain.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/raster/block_plan.hpp"
#include "relocplan/sites/site_search.hpp"
#include "relocplan/terrain/terrain.hpp"

namespace relocplan::pipeline {

namespace fs = std::filesystem;

namespace {

std::string utc_now_iso() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string list_ids(const std::vector<std::string>& ids, std::size_t most = 20) {
  std::string s;
  for (std::size_t i = 0; i < ids.size() && i < most; ++i) s += (i ? ", " : "") + ids[i];
  if (ids.size() > most) s += ", ... (" + std::to_string(ids.size() - most) + " more)";
  return s;
}

// The process's peak resident memory so far in MB (Linux: VmHWM of
// /proc/self/status), or -1 where it cannot be read. Read at the end of each
// stage, it shows which stage raised the peak.
double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  return -1;
}

// Wall time of each stage, and the peak memory at its end.
struct StageClock {
  struct Lap {
    std::string name;
    double seconds = 0, peak_mb = -1;
  };
  std::vector<Lap> stages;
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  void lap(const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    stages.push_back({name, std::chrono::duration<double>(now - t).count(), peak_rss_mb()});
    t = now;
#ifdef __GLIBC__
    // Hand the pages a stage freed back to the system: the many small
    // geometry allocations of a province leave free memory scattered through
    // the heap, which the next stage's large arrays would otherwise add to.
    malloc_trim(0);
#endif
  }
};

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

}  // namespace

RunSummary run(const config::Scenario& s, const RunOptions& options, core::Log& log, core::Progress& progress) {
  const auto t_start = std::chrono::steady_clock::now();
  const std::string started_utc = utc_now_iso();
  StageClock clock;
  // Reproducible GeoPackages: GDAL stamps gpkg_contents.last_change with this
  // instead of the wall clock; run_info records the real time.
  CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
  GDALSetCacheMax64(static_cast<GIntBig>(s.memory_mb) * 1024 * 1024 / 4);

  // Fail before any work if the output may not be written.
  {
    fs::path out = options.output ? fs::absolute(*options.output) : (s.output ? *s.output : fs::absolute(s.file.stem().string() + ".gpkg"));
    refuse_output_on_input(s, out);
    io::check_destination(out, options.overwrite);
  }
  progress.begin("resolving inputs");
  Plan plan = resolve(s, options, log);
  progress.end();
  io::OutputGeoPackage output(plan.output, options.overwrite);
  output.set_alias_language(io::parse_alias_language(s.output_aliases).value_or(io::AliasLanguage::both));
  clock.lap("resolve");

  // Terrain, strip by strip.
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
  GEOSContextHandle_t ctx = plan.geos->get();
  progress.begin("territories");
  auto territories = criteria::build_territories(ctx, plan.villages.villages, grid.extent(),
                                                 s.thresholds.value("settlement", "territory_max_radius_m"),
                                                 plan.layer("counties"), plan.layer("territories"));
  for (const auto& w : territories.warnings) log.warn(w);
  progress.end();
  std::vector<const GEOSGeometry*> territory_geoms;
  for (const auto& t : territories.territories) territory_geoms.push_back(t.geometry.get());
  criteria::TerritoryAccumulator zonal(grid, ctx, territory_geoms, s.thresholds);
  ThematicRows thematic_rows(s, plan, ctx);
  std::vector<float> landcover_rows, fragility_rows;

  auto slope_out = output.new_raster_strips("slope", grid);
  auto relief_out = output.new_raster_strips("relief", grid);
  auto elev_out = output.new_raster_strips("elevation", grid);
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
          for (const auto& [r, c] : acc.point_cells(b.row0, b.rows()))
            aspect[(r - b.row0) * cols + c] = terrain::horn_aspect_at(strip, grid.rows(), r, c);
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
          slope_out->write_rows(b.row0, b.rows(), slope.data());
          relief_out->write_rows(b.row0, b.rows(), relief.data());
        },
        [&] {
          elev_out->write_rows(b.row0, b.rows(), elev);
          zonal.add_rows(b.row0, b.rows(), layers);
        });
    progress.update(static_cast<double>(bi + 1) / static_cast<double>(blocks.size()));
  }
  progress.end();
  // The strip buffers are the terrain stage's alone: their memory goes back
  // before the next stages take theirs.
  for (auto* v : {&dem, &slope, &aspect, &relief, &landcover_rows, &fragility_rows}) std::vector<float>().swap(*v);
  thematic_rows.release_rows();
  clock.lap("terrain");

  const auto terrain = acc.results();
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
                           " villages lies on a DEM cell with data: '" + s.dem.path.string() +
                           "' is NoData under all of them, or covers another area");
  if (!nodata.empty())
    log.warn(std::to_string(nodata.size()) +
             " village(s) lie outside the DEM or on its NoData cells; their terrain fields are null: " + list_ids(nodata));
  if (!partial.empty())
    log.warn(std::to_string(partial.size()) + " village(s) have DEM data for only part of their " +
             fixed(vts.radius_m, 0) + " m neighbourhood (see nbhd_valid_pct): " + list_ids(partial));

  // The assessment.
  progress.begin("assessment");
  const auto zonal_stats = zonal.results();
  criteria::ThematicLayers thematic;
  thematic.hazard_points = plan.layer("hazard_points");
  thematic.susceptibility_stream = plan.stream("susceptibility");
  thematic.flood_zone = plan.layer("flood_zone");
  thematic.reserve = plan.layer("reserve");
  thematic.redline = plan.layer("redline");
  thematic.roads = plan.layer("roads");
  thematic.towns = plan.layer("towns");
  const auto points = criteria::point_criteria(ctx, plan.villages.villages, thematic, s);
  std::vector<criteria::VillageAssessment> assessments;
  for (std::size_t i = 0; i < plan.villages.villages.size(); ++i)
    assessments.push_back(criteria::assess(plan.villages.villages[i], zonal_stats[i], terrain[i].elevation_m, points[i], s));
  progress.end();
  clock.lap("assessment");

  // Resettlement sites.
  std::optional<sites::SiteSearchResult> found;
  std::optional<allocation::AllocationResult> allocated;
  std::size_t sites_outside_boundary = 0;
  std::unique_ptr<io::RasterStrips> suit_out, cls_out, con_out;
  if (s.sites) {
    // The site search streams the terrain back from the rasters the terrain
    // stage wrote, and writes its cell results strip by strip.
    TerrainReader gi(*slope_out, *elev_out, plan.landcover.get());
    suit_out = output.new_raster_strips("suitability", grid);
    cls_out = output.new_raster_strips("suitability_class", grid, io::RasterStrips::Type::byte_classes, 0);
    con_out = output.new_raster_strips("constraints", grid, io::RasterStrips::Type::uint16, 65535);
    SiteRasterWriter site_rasters(*suit_out, *cls_out, *con_out, cols);
    // The travel cost surface and the seat travel time in scratch files:
    // the searches read them window by window.
    const auto seat_travel = output.new_scratch_grid("scratch_seat_travel", grid);
    const auto friction = output.new_scratch_grid("scratch_friction", grid);
    const sites::SiteLayers sl = site_layers(plan);
    const std::vector<std::pair<double, double>> moving = moving_villages(plan, assessments);
    // The searches over the surface run after the strips of the inputs pass
    // and before those of the suitability pass: they take the strips' half
    // of the budget, and write tiles beyond it to the work folder.
    const raster::SearchMemory search_memory{.max_bytes = s.memory_mb * 1024 * 1024 / 2,
                                             .spill_dir = output.work_dir()};
    found = sites::find_sites(ctx, grid, gi, sl, moving, s, log, progress, site_rasters, plan.site_block_rows,
                              seat_travel.get(), friction.get(), search_memory);
    if (s.study_area.clip && plan.boundary) {
      // Sites whose centroid lies outside the selected boundary belong to the
      // neighbouring area's run.
      const std::size_t before = found->sites.size();
      std::erase_if(found->sites, [&](const sites::Site& st) {
        vector::GeomPtr c = vector::wrap(ctx, GEOSGetCentroid_r(ctx, st.geometry.get()));
        double x = 0, y = 0;
        if (!c || !GEOSGeomGetX_r(ctx, c.get(), &x) || !GEOSGeomGetY_r(ctx, c.get(), &y)) return true;
        return !plan.boundary->covers(ctx, x, y);
      });
      sites_outside_boundary = before - found->sites.size();
      if (sites_outside_boundary > 0)
        log.info("sites: " + std::to_string(sites_outside_boundary) + " site(s) with their centroid outside " +
                 plan.boundary->describe() + " left out (clip)");
    }
    clock.lap("sites");
    if (s.allocation) {
      std::vector<allocation::Place> demand = allocation_demand(plan, assessments);
      std::vector<allocation::Place> supply = allocation_supply(ctx, *found, s.allocation->urban_max_travel_min);
      // The sites' strips are gone by now: the searches' workspaces take the
      // strips' half of the budget.
      allocated = allocation::allocate(grid, friction.get(), std::move(demand), std::move(supply), *s.allocation,
                                       progress, {.threads = 0, .memory_bytes = s.memory_mb * 1024 * 1024 / 2,
                                                  .spill_dir = output.work_dir()});
      std::size_t unallocated = 0;
      for (const auto& u : allocated->solution.unallocated) unallocated += static_cast<std::size_t>(u.households);
      if (s.allocation->urban_share && !allocated->urban_target_met)
        log.warn("allocation: the urban-resettlement target of " + fixed(100.0 * *s.allocation->urban_share, 0) +
                 " % cannot be reached; " + fixed(100.0 * allocated->urban_share, 1) + " % of households go to urban sites");
      if (unallocated > 0)
        log.warn(std::to_string(unallocated) + " relocating household(s) could not be allocated to a site (see "
                 "allocation_summary and the villages' unallocated_reason)");
      clock.lap("allocation");
    }
  }

  // The GeoPackage.
  progress.begin("writing rasters");
  core::Progress::Span thirds[3] = {{&progress, 0.0, 1.0 / 3}, {&progress, 1.0 / 3, 2.0 / 3}, {&progress, 2.0 / 3, 1.0}};
  output.add_raster(*elev_out, {"elevation", "Elevation (m) on the analysis grid", "m"}, &thirds[0]);
  output.add_raster(*slope_out, {"slope", "Slope (degrees, Horn) on the analysis grid", "degree"}, &thirds[1]);
  output.add_raster(*relief_out,
                    {"relief",
                     "Local relief (m): max - min elevation within " +
                         fixed(s.thresholds.value("terrain", "relief_radius_m"), 0) + " m",
                     "m"},
                    &thirds[2]);
  progress.end();
  progress.begin("writing villages");
  {
    io::Table vt = villages_table(plan, terrain);
    add_assessment_columns(vt, territories.territories, zonal_stats, points, assessments);
    if (allocated) add_allocation_columns(vt, *allocated);
    output.add_table(vt);
  }
  output.add_table(territories_table(plan, territories.territories, assessments, ctx));
  output.add_table(criteria_table(s));
  output.add_table(summary_table(plan, assessments, false));
  output.add_table(summary_table(plan, assessments, true));
  write_notices(output.notices_dir(), plan, assessments);
  if (found) {
    progress.begin("writing sites");
    auto& suit = suit_out;
    auto& cls = cls_out;
    auto& con = con_out;
    // Neutral grey for unsuitable land, then yellow to green, so that the
    // suitable land stands out; NoData transparent.
    cls->set_palette({{0, 0, 0, 0, 0, ""},
                      {1, 225, 225, 225, 255, "unsuitable 不适宜"},
                      {2, 254, 224, 139, 255, "marginal 较不适宜"},
                      {3, 166, 217, 106, 255, "suitable 较适宜"},
                      {4, 26, 150, 65, 255, "most suitable 最适宜"}});
    core::Progress::Span spans[3] = {{&progress, 0.0, 0.4}, {&progress, 0.4, 0.7}, {&progress, 0.7, 1.0}};
    output.add_raster(*suit, {"suitability", "Resettlement-site suitability (0-1; 0 on excluded cells)", "score 0-1"},
                      &spans[0]);
    output.add_raster(
        *cls,
        {"suitability_class", "Suitability class: 1 unsuitable, 2 marginal, 3 suitable, 4 most suitable (0 NoData)", ""},
        &spans[1]);
    output.add_raster(*con,
                      {"constraints",
                       "Why cells are excluded (bits): 1 steep, 2 hazard, 4 reserve, 8 red line, 16 water, 32 flood, "
                       "64 best farmland, 128 elevation, 256 near a moving village, 512 extra exclusion, 1024 no terrain",
                       ""},
                      &spans[2]);
    io::Table st = sites_table(plan, *found, ctx);
    if (allocated) add_site_load_columns(st, *found, *allocated);
    output.add_table(st);
    if (allocated) {
      output.add_table(allocations_table(plan, *allocated));
      output.add_table(allocation_summary_table(*allocated));
    }
    output.add_table(site_summary_table(*found));
    progress.end();
  }
  progress.end();
  clock.lap("write");

  // run_info: what was run, on what, with what, and when.
  io::Table info = run_info_table();
  auto put = [&](const std::string& k, const std::string& v) { put_info(info, k, v); };
  const std::string scenario_sha256 =
      add_run_settings(info, s, plan, started_utc, sites_outside_boundary, allocated ? &*allocated : nullptr);
  const std::vector<std::string> sources = add_input_checksums(info, s, plan);
  for (std::size_t i = 0; i < log.warnings().size(); ++i) put("warning." + std::to_string(i + 1), log.warnings()[i]);
  clock.lap("checksums");
  for (const auto& lap : clock.stages) put("stage_seconds." + lap.name, fixed(lap.seconds, 3));
  if (found)
    for (const auto& [part, sec] : found->seconds) put("stage_seconds.sites." + part, fixed(sec, 3));
  if (allocated) {
    put("stage_seconds.allocation.costs", fixed(allocated->cost_seconds, 3));
    put("stage_seconds.allocation.solve", fixed(allocated->solve_seconds, 3));
  }
  for (const auto& lap : clock.stages)
    if (lap.peak_mb >= 0) put("stage_peak_mb." + lap.name, fixed(lap.peak_mb, 0));
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  put("total_seconds", fixed(total, 3));
  // Written last: a run_info with finished_utc belongs to a complete run.
  put("finished_utc", utc_now_iso());
  output.add_table(info);
  // The GeoPackage's own metadata (gpkg_metadata); run_info has the details.
  output.set_metadata(
      run_metadata(s, plan, started_utc, scenario_sha256, sources, found.has_value(), allocated.has_value()));
  progress.cancel().throw_if_requested();
  output.commit();

  RunSummary sum;
  sum.output = plan.output;
  sum.villages = plan.villages.villages.size();
  sum.villages_outside_boundary = plan.villages_outside_boundary;
  sum.sites_outside_boundary = sites_outside_boundary;
  sum.villages_without_terrain = outside.size() + nodata.size();
  sum.grid_rows = grid.rows();
  sum.grid_cols = grid.cols();
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  sum.warnings = log.warnings().size();
  if (found) {
    sum.sites = found->sites.size();
    for (const auto& st : found->sites) sum.site_capacity_people += st.capacity_people;
  }
  for (const auto& a : assessments) {
    ++sum.by_class[a.cls];
    sum.relocating_people += a.relocating_people;
    sum.relocating_households += a.relocating_households;
  }
  return sum;
}

}  // namespace relocplan::pipeline
