#include "relocplan/pipeline/run.hpp"
#include "relocplan/pipeline/stage_io.hpp"
#include "relocplan/pipeline/text.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <limits>
#include <nlohmann/json.hpp>
#include <fstream>
#include <ostream>
#include <sstream>

#include "relocplan/core/error.hpp"
#include "relocplan/core/files.hpp"
#include "relocplan/core/memory.hpp"
#include "relocplan/core/version.hpp"
#include "relocplan/criteria/assessment.hpp"
#include "relocplan/criteria/territories.hpp"
#include "relocplan/criteria/village_terrain.hpp"
#include "relocplan/raster/burn.hpp"
#include "relocplan/sites/site_search.hpp"
#include "relocplan/allocation/allocate.hpp"
#include "relocplan/io/checksum.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/raster/block_plan.hpp"
#include "relocplan/terrain/terrain.hpp"
#include "relocplan/vector/boundary.hpp"

namespace relocplan::pipeline {

namespace fs = std::filesystem;

namespace {

// Longitude/latitude (WGS 84) of the villages' bounding-box centre.
std::pair<double, double> villages_centre_lonlat(const vector::VillageLayer& layer) {
  std::vector<double> xs, ys;
  for (const auto& v : layer.villages) {
    xs.push_back(v.src_x);
    ys.push_back(v.src_y);
  }
  vector::Transformer(layer.source_crs, vector::Crs::from_epsg(4326)).transform_in_place(xs, ys, true);
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i])) continue;
    x0 = std::min(x0, xs[i]);
    x1 = std::max(x1, xs[i]);
    y0 = std::min(y0, ys[i]);
    y1 = std::max(y1, ys[i]);
  }
  return {0.5 * (x0 + x1), 0.5 * (y0 + y1)};
}

constexpr std::size_t kMaxGridCells = std::size_t{1} << 34;  // 17 G cells: far beyond any province at 10 m

}  // namespace

// An input is never written: refuses an output path that names one of the
// scenario's inputs (or the scenario itself), whatever the spelling of the
// two paths, before anything is read.
void refuse_output_on_input(const config::Scenario& s, const fs::path& output) {
  std::vector<std::pair<std::string, fs::path>> inputs = {{"the scenario file", s.file},
                                                         {"inputs.dem.path", s.dem.path},
                                                         {"inputs.villages.path", s.villages.path}};
  if (s.landcover) inputs.emplace_back(s.landcover->key + ".path", s.landcover->path);
  if (s.fragility) inputs.emplace_back(s.fragility->key + ".path", s.fragility->path);
  for (const auto& [name, input] : config::vector_inputs(s))
    if (*input) inputs.emplace_back((*input)->key + ".path", (*input)->path);
  if (s.study_area.boundary_path) inputs.emplace_back("study_area.boundary", *s.study_area.boundary_path);
  std::error_code ec;
  const fs::path out = fs::weakly_canonical(output, ec);
  for (const auto& [key, path] : inputs) {
    std::error_code ec2;
    const fs::path in = fs::weakly_canonical(path, ec2);
    const bool same = fs::exists(output, ec2) && fs::exists(path, ec2) ? fs::equivalent(output, path, ec2)
                                                                          : (!ec && in == out);
    if (same)
      throw core::ScenarioError("output '" + output.string() + "' is the input " + key +
                                "; choose another output path (inputs are never overwritten)");
  }
}

Plan resolve(const config::Scenario& s, const RunOptions& options, core::Log& log) {
  // What the inputs kept through the run take is measured from here.
  const std::size_t heap_before = core::held_heap_bytes();
  Plan plan;
  plan.scenario = s;
  if (options.output) plan.output = fs::absolute(*options.output);
  else if (s.output) plan.output = *s.output;
  else plan.output = fs::absolute(s.file.stem().string() + ".gpkg");
  std::error_code ec;
  plan.output_exists = fs::exists(plan.output, ec);
  refuse_output_on_input(s, plan.output);

  core::check_input_file("inputs.dem.path", s.dem.path);

  plan.villages = vector::read_villages(s.villages);
  for (const auto& w : plan.villages.warnings) log.warn(w);

  // Working CRS.
  if (s.crs == "auto") {
    double lon = 0, lat = 0;
    if (s.study_area.mode == config::ExtentMode::boundary && s.study_area.boundary_group_field) {
      // A county of a national layer: the centre of its group (province), so
      // that the counties of a province share one CRS and their grids line up.
      config::StudyArea group = s.study_area;
      group.boundary_field = s.study_area.boundary_group_field;
      group.boundary_value = s.study_area.boundary_group_value;
      group.boundary_group_field.reset();
      group.boundary_group_value.reset();
      const raster::Extent e = vector::select_boundary(group, vector::Crs::from_epsg(4326), plan.geos->get()).extent;
      lon = 0.5 * (e.xmin + e.xmax);
      lat = 0.5 * (e.ymin + e.ymax);
    } else if (s.study_area.mode == config::ExtentMode::boundary) {
      const raster::Extent e =
          vector::boundary_extent(*s.study_area.boundary_path, s.study_area.boundary_layer, vector::Crs::from_epsg(4326));
      lon = 0.5 * (e.xmin + e.xmax);
      lat = 0.5 * (e.ymin + e.ymax);
    } else {
      std::tie(lon, lat) = villages_centre_lonlat(plan.villages);
    }
    plan.working_crs = vector::auto_working_crs(lon, lat);
    plan.crs_reason = "auto: the zone holding the study area's centre (" + fixed(lon, 4) + " E, " + fixed(lat, 4) + " N)";
  } else {
    plan.working_crs = vector::Crs::from_user_input(s.crs);
    plan.crs_reason = "set by the scenario (grid.crs = \"" + s.crs + "\")";
  }
  if (!plan.working_crs.is_projected())
    throw core::ScenarioError("grid.crs: " + plan.working_crs.describe() +
                              " is not a projected CRS; slope and distances need metres (use \"auto\" or a "
                              "Gauss-Kruger/UTM EPSG code)");
  if (std::abs(plan.working_crs.linear_unit_m() - 1.0) > 1e-9)
    throw core::ScenarioError("grid.crs: " + plan.working_crs.describe() + " is not in metres");

  vector::project_villages(plan.villages, plan.working_crs);
  if (!plan.villages.source_crs.same_as(plan.working_crs))
    log.detail("villages: reprojected from " + plan.villages.source_crs.describe() + " to " +
               plan.working_crs.describe());

  // The boundary: the selected feature(s), and with clip = true only the
  // villages inside them take part in the run.
  if (s.study_area.boundary_path && (s.study_area.mode == config::ExtentMode::boundary || s.study_area.clip)) {
    plan.boundary = vector::select_boundary(s.study_area, plan.working_crs, plan.geos->get());
    if (s.study_area.clip) {
      auto& vs = plan.villages.villages;
      const std::size_t before = vs.size();
      GEOSContextHandle_t gctx = plan.geos->get();
      vs.erase(std::remove_if(vs.begin(), vs.end(),
                              [&](const vector::Village& v) { return !plan.boundary->covers(gctx, v.x, v.y); }),
               vs.end());
      plan.villages_outside_boundary = before - vs.size();
      if (vs.empty())
        throw core::InputError("study_area.clip: none of the " + std::to_string(before) + " villages of '" +
                               plan.villages.path.string() + "' lies inside " + plan.boundary->describe());
      log.info("study area: " + std::to_string(vs.size()) + " villages inside " + plan.boundary->describe() + ", " +
               std::to_string(plan.villages_outside_boundary) + " outside left out (clip)");
    }
  }

  // Study area and grid.
  raster::Extent extent;
  switch (s.study_area.mode) {
    case config::ExtentMode::villages: {
      extent = {std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
                std::numeric_limits<double>::lowest(), std::numeric_limits<double>::lowest()};
      for (const auto& v : plan.villages.villages) extent = extent.united({v.x, v.y, v.x, v.y});
      extent = extent.expanded(std::max(s.study_area.margin_m, s.cell_size_m));
      break;
    }
    case config::ExtentMode::boundary:
      // A selected feature: its envelope; the whole layer: the envelope of its
      // densified edges (as before the selection existed).
      extent = (s.study_area.boundary_field
                    ? plan.boundary->extent
                    : vector::boundary_extent(*s.study_area.boundary_path, s.study_area.boundary_layer, plan.working_crs))
                   .expanded(s.study_area.margin_m);
      break;
    case config::ExtentMode::bounds:
      extent = {s.study_area.bounds[0], s.study_area.bounds[1], s.study_area.bounds[2], s.study_area.bounds[3]};
      break;
  }
  const double cells = (extent.width() / s.cell_size_m) * (extent.height() / s.cell_size_m);
  std::ostringstream cell_text;
  cell_text << s.cell_size_m;
  if (!(cells < static_cast<double>(kMaxGridCells)) || extent.width() / s.cell_size_m > 2.0e9 ||
      extent.height() / s.cell_size_m > 2.0e9)
    throw core::ScenarioError("the analysis grid would have " + fixed(cells, 0) + " cells (" +
                              fixed(extent.width() / 1000.0, 1) + " km x " + fixed(extent.height() / 1000.0, 1) +
                              " km at " + cell_text.str() + " m); check grid.cell_size_m and the study area");
  if (extent.width() / s.cell_size_m < 3 || extent.height() / s.cell_size_m < 3) {
    std::ostringstream m;
    m << "grid.cell_size_m = " << s.cell_size_m << " m leaves fewer than 3 x 3 cells on the study area ("
      << fixed(extent.width() / 1000.0, 1) << " km x " << fixed(extent.height() / 1000.0, 1)
      << " km); slope and relief need at least 3 x 3 cells";
    throw core::ScenarioError(m.str());
  }
  plan.grid = raster::Grid::covering(extent, s.cell_size_m, plan.working_crs.wkt());

  // The DEM, as it will be read onto the grid.
  plan.dem = std::make_unique<raster::RasterSource>("inputs.dem", s.dem.path, s.dem.band, plan.grid,
                                                    raster::parse_resampling(s.dem.resampling), s.dem.nodata);
  const auto& di = plan.dem->info();
  if (di.width < 3 || di.height < 3)
    throw core::InputError("inputs.dem: '" + di.path.string() + "' is " + std::to_string(di.width) + " x " +
                           std::to_string(di.height) + " cells; slope and relief need a DEM of at least 3 x 3 cells");
  if (di.geographic)
    log.info("inputs.dem: '" + di.path.filename().string() + "' is in a geographic CRS (" + di.crs_name +
             "); it is warped onto the projected analysis grid before slope is computed (no z-factor)");
  if (di.pixel_size_m > 1.5 * s.cell_size_m)
    log.warn("inputs.dem: the DEM's cells are about " + fixed(di.pixel_size_m, 0) + " m, coarser than the " +
             fixed(s.cell_size_m, 0) + " m analysis grid; slopes will be smoothed and steep land under-counted");
  const raster::Extent ge = plan.grid.extent();
  if (!di.footprint.intersects(ge))
    throw core::InputError("inputs.dem: '" + di.path.string() + "' does not overlap the study area (DEM covers " +
                           fixed(di.footprint.xmin, 0) + ", " + fixed(di.footprint.ymin, 0) + " - " +
                           fixed(di.footprint.xmax, 0) + ", " + fixed(di.footprint.ymax, 0) + " in " +
                           plan.working_crs.describe() + ")");
  if (di.footprint.xmin > ge.xmin + s.cell_size_m || di.footprint.ymin > ge.ymin + s.cell_size_m ||
      di.footprint.xmax < ge.xmax - s.cell_size_m || di.footprint.ymax < ge.ymax - s.cell_size_m)
    log.warn("inputs.dem: '" + di.path.filename().string() +
             "' does not cover the whole study area; cells outside it are NoData");

  // Thematic rasters on the same grid.
  auto thematic_raster = [&](const std::optional<config::RasterInput>& in) -> std::unique_ptr<raster::RasterSource> {
    if (!in) return nullptr;
    core::check_input_file(in->key + ".path", in->path);
    auto src = std::make_unique<raster::RasterSource>(in->key, in->path, in->band, plan.grid,
                                                      raster::parse_resampling(in->resampling), in->nodata);
    if (!src->info().footprint.intersects(ge))
      log.warn(in->key + ": '" + in->path.filename().string() + "' does not overlap the study area");
    return src;
  };
  plan.landcover = thematic_raster(s.landcover);
  plan.fragility = thematic_raster(s.fragility);
  // Thematic vector layers, in the working CRS.
  const auto vector_inputs = config::vector_inputs(s);
  for (const auto& [name, input] : vector_inputs) {
    if (!*input) continue;
    const auto warn = [&](const vector::Features& f, std::size_t count) {
      if (f.repaired > 0)
        log.warn((*input)->key + ": " + std::to_string(f.repaired) + " invalid geometr" +
                 (f.repaired == 1 ? "y was" : "ies were") + " repaired (GEOS MakeValid)");
      if (count == 0) log.warn((*input)->key + ": layer '" + f.layer_name + "' holds no features");
    };
    if (std::string_view(name) == "desertification") {
      // Only burnt onto the strips of the terrain stage: read again strip by
      // strip instead of held (a province's map has hundreds of thousands of polygons).
      // Its grade codes are checked in the first pass over it.
      const config::VectorInput& in = **input;
      auto st = std::make_unique<vector::ThematicStream>(
          in, plan.working_crs, plan.geos->get(),
          [&in](const std::map<std::string, std::string>& attrs, long long fid) {
            desertification_code(in, attrs.at("grade_code"), fid);
          });
      warn(st->info(), st->size());
      plan.streamed.emplace(name, std::move(st));
      continue;
    }
    if (std::string_view(name) == "susceptibility") {
      // Burnt strip by strip (terrain, sites) and looked up band by band at
      // the villages: read from its file when needed instead of held (a
      // province's map is the largest of its layers in memory).
      auto st = std::make_unique<vector::ThematicStream>(**input, plan.working_crs, plan.geos->get());
      warn(st->info(), st->size());
      plan.streamed.emplace(name, std::move(st));
      continue;
    }
    vector::Features f = vector::read_thematic(**input, plan.working_crs, plan.geos->get());
    warn(f, f.size());
    plan.thematic.emplace(name, std::move(f));
  }

  // The memory budget covers the whole run: what is held by count (the
  // villages with their territories and results, the thematic layers kept in
  // memory: the heap they take, measured now without GDAL's cached blocks)
  // comes off it, and the strips, GDAL's block cache and the travel-time
  // searches take what is left (see MemoryBudget).
  const std::size_t heap_now = core::held_heap_bytes();
  // The searches work in half the working budget and never keep less than
  // the tiles their front can touch.
  std::size_t least_search = 0;
  if (s.sites) least_search = sites::site_search_least_bytes(plan.grid, s);
  if (s.sites && s.allocation && s.allocation->cost != "distance")
    least_search = std::max(least_search, allocation::search_least_bytes(plan.grid, s.allocation->max_travel_min,
                                                                         sites::road_min_per_m(s)));
  plan.memory = core::MemoryBudget::for_run(s.memory_mb, heap_now > heap_before ? heap_now - heap_before : 0,
                                            plan.villages.villages.size(), 2 * least_search);
  if (plan.memory.short_of_budget())
    log.warn("processing.memory_mb = " + std::to_string(s.memory_mb) + ": the villages and thematic layers kept "
             "through the run take about " + std::to_string(plan.memory.held_mb()) +
             " MB, which leaves the strips and travel-time searches less than they need (a quarter of the budget, "
             "and twice the least a search keeps); the run's data will take about " +
             std::to_string(plan.memory.needed_mb()) + " MB; set memory_mb to at least " +
             std::to_string(plan.memory.suggested_mb()) + " to keep within it");

  // Strip height from the working budget. Per cell of a strip: the DEM (4
  // bytes), slope, aspect and relief (12), the write buffer of the output
  // rasters (4), land cover and fragility (8) and five burnt class layers (5):
  // 33 bytes, rounded up to 36. Half the working budget goes to strips, a
  // quarter to GDAL's block cache.
  const double relief_radius_m = s.thresholds.value("terrain", "relief_radius_m");
  plan.relief_radius_rows = static_cast<std::size_t>(std::floor(relief_radius_m / s.cell_size_m + 1e-9));
  const std::size_t halo = std::max<std::size_t>(1, plan.relief_radius_rows);
  const std::size_t budget = plan.memory.strip_bytes();
  plan.block_rows = options.block_rows ? *options.block_rows
                                       : raster::block_rows_for_budget(plan.grid.rows(), plan.grid.cols(), halo,
                                                                       36, budget, 256);
  plan.site_block_rows = options.block_rows ? *options.block_rows : sites::site_search_block_rows(plan.grid, budget);
  return plan;
}

void print_plan(const Plan& p, std::ostream& out) {
  const auto& s = p.scenario;
  const auto& g = p.grid;
  out << "scenario     " << s.file.string() << "\n";
  out << "project      " << s.name << "\n";
  out << "working CRS  " << p.working_crs.describe() << "\n             " << p.crs_reason << "\n";
  out << "grid         " << g.rows() << " rows x " << g.cols() << " cols = " << g.cells() << " cells of "
      << fixed(g.cell_size(), 2) << " m\n";
  out << "             extent " << fixed(g.xmin(), 1) << ", " << fixed(g.ymin(), 1) << " - " << fixed(g.xmax(), 1) << ", "
      << fixed(g.ymax(), 1) << " (" << fixed((g.xmax() - g.xmin()) / 1000.0, 1) << " km x "
      << fixed((g.ymax() - g.ymin()) / 1000.0, 1) << " km)\n";
  const char* mode = s.study_area.mode == config::ExtentMode::villages   ? "villages plus margin"
                     : s.study_area.mode == config::ExtentMode::boundary ? "boundary layer plus margin"
                                                                          : "explicit bounds";
  out << "             study area from " << mode;
  if (s.study_area.mode != config::ExtentMode::bounds) out << " (" << fixed(s.study_area.margin_m, 0) << " m)";
  out << "\n";
  if (p.boundary) {
    out << "boundary     " << p.boundary->describe() << ", " << p.boundary->features << " feature(s)\n";
    if (s.study_area.clip)
      out << "             clip: " << p.villages.villages.size() << " villages inside, " << p.villages_outside_boundary
          << " outside left out; sites whose centroid is outside are dropped\n";
  }
  const auto& d = p.dem->info();
  out << "DEM          " << d.path.string() << "\n";
  out << "             " << d.width << " x " << d.height << " " << d.data_type << ", " << d.crs_name << ", cells about "
      << fixed(d.pixel_size_m, 1) << " m, NoData " << (d.nodata ? fixed(*d.nodata, 3) : std::string("none")) << "\n";
  out << "             " << (d.resampled ? "warped onto the grid (" + s.dem.resampling + ")" : std::string("read directly (already on the grid)"))
      << "\n";
  const auto& v = p.villages;
  out << "villages     " << v.path.string() << " (layer '" << v.layer_name << "', " << v.driver << ")\n";
  out << "             " << v.villages.size() << " villages, " << v.source_crs.describe();
  if (!v.source_crs.same_as(p.working_crs)) out << ", reprojected";
  out << "\n";
  const auto& f = s.villages.fields;
  auto map = [&](const char* role, const std::optional<std::string>& src) {
    out << "             " << std::left << std::setw(16) << role << " <- " << (src ? "'" + *src + "'" : "(not given)")
        << "\n";
  };
  map("village_id", f.id);
  map("name", f.name);
  map("county", f.county);
  map("township", f.township);
  map("population", f.population);
  map("households", f.households);
  map("poor_households", f.poor_households);
  if (!v.extra_fields.empty()) {
    out << "             kept as they are:";
    for (const auto& e : v.extra_fields) out << " " << e.name;
    out << "\n";
  }
  if (p.landcover)
    out << "land cover   " << p.landcover->info().path.string() << " (" << p.landcover->info().crs_name << ", "
        << (p.landcover->info().resampled ? "warped, " + s.landcover->resampling : std::string("read directly")) << ")\n";
  if (p.fragility)
    out << "fragility    " << p.fragility->info().path.string() << " (" << p.fragility->info().crs_name << ", "
        << (p.fragility->info().resampled ? "warped, " + s.fragility->resampling : std::string("read directly")) << ")\n";
  std::map<std::string, std::pair<const vector::Features*, std::size_t>> layers;
  for (const auto& [name, features] : p.thematic) layers[name] = {&features, features.size()};
  for (const auto& [name, st] : p.streamed) layers[name] = {&st->info(), st->size()};
  for (const auto& [name, layer] : layers)
    out << std::left << std::setw(16) << name << layer.first->path.filename().string() << " (layer '"
        << layer.first->layer_name << "', " << layer.second << " features, " << layer.first->source_crs.describe()
        << ")\n";
  const char* all_layers[] = {"hazard_points", "susceptibility", "flood_zone", "desertification", "reserve",
                              "redline",       "roads",          "towns",      "counties"};
  std::string missing;
  for (const char* n : all_layers)
    if (!p.layer_info(n)) missing += std::string(missing.empty() ? "" : ", ") + n;
  if (!s.landcover) missing += std::string(missing.empty() ? "" : ", ") + "landcover";
  if (!s.fragility) missing += std::string(missing.empty() ? "" : ", ") + "fragility";
  if (!missing.empty()) out << "not given    " << missing << " (criteria that need them are not assessed)\n";
  out << "weights      " << s.assessment.weights_from << ":";
  for (std::size_t i = 0; i < s.assessment.criteria.size(); ++i)
    out << " " << s.assessment.criteria[i] << "=" << fixed(s.assessment.weights[i], 3);
  out << "\n";
  out << "terrain      relief within " << fixed(s.thresholds.value("terrain", "relief_radius_m"), 0) << " m ("
      << p.relief_radius_rows << " cells); village neighbourhood " << fixed(s.thresholds.value("terrain", "village_radius_m"), 0)
      << " m; steep above " << fixed(s.thresholds.value("terrain", "steep_slope_deg"), 1) << " deg\n";
  out << "thresholds\n";
  for (const auto& [kind, ts] : s.thresholds.all())
    for (const auto& [key, t] : ts)
      out << "             " << kind << "." << key << " = " << t.value << " " << t.unit
          << (t.overridden ? " (scenario; default " + fixed(t.default_value, 3) + ")" : " (default)")
          << (t.assumption ? " [assumption]" : "") << "\n";
  out << "processing   memory budget " << s.memory_mb << " MB: about " << p.memory.held_mb()
      << " MB held (villages with their territories and results, thematic layers), " << p.memory.work_mb()
      << " MB for strips, block cache and searches -> strips of " << p.block_rows << " rows\n";
  if (s.sites) {
    const double need_mb =
        sites::site_search_bytes(p.grid, p.site_block_rows, s, p.memory.search_bytes()) / (1024.0 * 1024.0);
    out << "sites        weights " << s.sites->weights_from << ":";
    for (std::size_t i = 0; i < s.sites->factors.size(); ++i)
      out << " " << s.sites->factors[i] << "=" << fixed(s.sites->weights[i], 3);
    out << "\n             " << (s.sites->owa_order_weights.empty() ? "weighted linear combination" : "ordered weighted averaging")
        << ", " << s.sites->membership << " membership; strips of " << p.site_block_rows
        << " rows; about " << fixed(need_mb, 0)
        << " MB at most for strips and searches, plus the runs of suitable cells (the travel cost surface, the travel "
           "time and search tiles past half the working budget go to scratch files)\n";
  }
  if (s.sites && s.allocation) {
    const auto& a = *s.allocation;
    out << "allocation   " << (a.keep_villages_whole ? "whole villages" : "households may be split") << ", cost ";
    if (a.cost == "distance") {
      out << "straight-line distance up to " << fixed(a.max_distance_m, 0) << " m\n";
    } else {
      // The window at road speed, the fastest move on the travel cost surface.
      const std::size_t window = allocation::search_window_bytes(p.grid, a.max_travel_min, sites::road_min_per_m(s));
      const std::size_t least = allocation::search_least_bytes(p.grid, a.max_travel_min, sites::road_min_per_m(s));
      const std::size_t budget = p.memory.search_bytes();
      // A run has a work folder for the searches' scratch files.
      const auto share = allocation::share_searches(0, budget, true, std::numeric_limits<std::size_t>::max(), window,
                                                    least);
      const auto mb = [](std::size_t bytes) { return fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 0); };
      out << "travel time up to " << fixed(a.max_travel_min, 0) << " min; one search per site or village in a window of "
          << "at most " << mb(window) << " MB, " << share.threads << " at a time";
      if (share.limit_bytes == 0)
        out << " (within half the working budget)\n";
      else
        out << ", each held to " << mb(std::max(share.limit_bytes, least)) << " MB ("
            << (share.threads * std::max(share.limit_bytes, least) > budget ? "above" : "within")
            << " half the working budget; tiles past it go to a scratch file)\n";
    }
  }
  out << "output       " << p.output.string() << (p.output_exists ? " (exists: run needs --overwrite)" : "") << "\n";
}

}  // namespace relocplan::pipeline
