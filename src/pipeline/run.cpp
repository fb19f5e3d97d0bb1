#include "relocplan/pipeline/run.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
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

std::string fixed(double v, int digits) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

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

Plan resolve(const config::Scenario& s, const RunOptions& options, core::Log& log) {
  Plan plan;
  plan.scenario = s;
  if (options.output) plan.output = fs::absolute(*options.output);
  else if (s.output) plan.output = *s.output;
  else plan.output = fs::absolute(s.file.stem().string() + ".gpkg");
  std::error_code ec;
  plan.output_exists = fs::exists(plan.output, ec);

  if (!fs::exists(s.dem.path))
    throw core::ScenarioError("inputs.dem.path: file '" + s.dem.path.string() + "' does not exist");

  plan.villages = vector::read_villages(s.villages);
  for (const auto& w : plan.villages.warnings) log.warn(w);

  // Working CRS.
  if (s.crs == "auto") {
    double lon = 0, lat = 0;
    if (s.study_area.mode == config::ExtentMode::boundary) {
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
  if (!(cells < static_cast<double>(kMaxGridCells)) || extent.width() / s.cell_size_m > 2.0e9 ||
      extent.height() / s.cell_size_m > 2.0e9)
    throw core::ScenarioError("the analysis grid would have " + fixed(cells, 0) + " cells (" +
                              fixed(extent.width() / 1000.0, 1) + " km x " + fixed(extent.height() / 1000.0, 1) +
                              " km at " + fixed(s.cell_size_m, 1) + " m); check grid.cell_size_m and the study area");
  plan.grid = raster::Grid::covering(extent, s.cell_size_m, plan.working_crs.wkt());

  // The DEM, as it will be read onto the grid.
  plan.dem = std::make_unique<raster::RasterSource>("inputs.dem", s.dem.path, s.dem.band, plan.grid,
                                                    raster::parse_resampling(s.dem.resampling), s.dem.nodata);
  const auto& di = plan.dem->info();
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
    if (!fs::exists(in->path)) throw core::ScenarioError(in->key + ".path: file '" + in->path.string() + "' does not exist");
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
    vector::Features f = vector::read_thematic(**input, plan.working_crs, plan.geos->get());
    if (f.repaired > 0)
      log.warn((*input)->key + ": " + std::to_string(f.repaired) + " invalid geometr" + (f.repaired == 1 ? "y was" : "ies were") +
               " repaired (GEOS MakeValid)");
    if (f.size() == 0) log.warn((*input)->key + ": layer '" + f.layer_name + "' holds no features");
    plan.thematic.emplace(name, std::move(f));
  }

  // Strip height from the memory budget. Per cell of a strip: the DEM (4
  // bytes), slope, aspect and relief (12), the write buffer of the output
  // rasters (4), land cover and fragility (8) and five burnt class layers (5):
  // 33 bytes, rounded up to 36. Half the budget goes to strips, a quarter to
  // GDAL's block cache; the rest is left for territories and villages.
  const double relief_radius_m = s.thresholds.value("terrain", "relief_radius_m");
  plan.relief_radius_rows = static_cast<std::size_t>(std::floor(relief_radius_m / s.cell_size_m + 1e-9));
  const std::size_t halo = std::max<std::size_t>(1, plan.relief_radius_rows);
  const std::size_t budget = s.memory_mb * 1024 * 1024 / 2;
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
  for (const auto& [name, features] : p.thematic)
    out << std::left << std::setw(16) << name << features.path.filename().string() << " (layer '" << features.layer_name
        << "', " << features.size() << " features, " << features.source_crs.describe() << ")\n";
  const char* all_layers[] = {"hazard_points", "susceptibility", "flood_zone", "desertification", "reserve",
                              "redline",       "roads",          "towns",      "counties"};
  std::string missing;
  for (const char* n : all_layers)
    if (!p.thematic.count(n)) missing += std::string(missing.empty() ? "" : ", ") + n;
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
  out << "processing   memory budget " << s.memory_mb << " MB -> strips of " << p.block_rows << " rows\n";
  if (s.sites) {
    const double need_mb = sites::site_search_bytes(p.grid, p.site_block_rows) / (1024.0 * 1024.0);
    out << "sites        weights " << s.sites->weights_from << ":";
    for (std::size_t i = 0; i < s.sites->factors.size(); ++i)
      out << " " << s.sites->factors[i] << "=" << fixed(s.sites->weights[i], 3);
    out << "\n             " << (s.sites->owa_order_weights.empty() ? "weighted linear combination" : "ordered weighted averaging")
        << ", " << s.sites->membership << " membership; strips of " << p.site_block_rows
        << " rows; about " << fixed(need_mb, 0)
        << " MB with the whole-grid travel cost surface, travel time and patch labels\n";
  }
  out << "output       " << p.output.string() << (p.output_exists ? " (exists: run needs --overwrite)" : "") << "\n";
}

namespace {

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

// The assessment's fields on the villages layer, in order.
const std::vector<std::pair<std::string, io::ColumnType>>& assessment_columns() {
  using io::ColumnType;
  static const std::vector<std::pair<std::string, ColumnType>> cols = {
      {"terr_method", ColumnType::text},           {"terr_area_ha", ColumnType::real},
      {"terr_mean_slope_deg", ColumnType::real},   {"terr_max_slope_deg", ColumnType::real},
      {"terr_steep_pct", ColumnType::real},        {"terr_mean_relief_m", ColumnType::real},
      {"terr_max_relief_m", ColumnType::real},     {"terr_mean_elevation_m", ColumnType::real},
      {"cultivated_ha", ColumnType::real},         {"cultivable_ha", ColumnType::real},
      {"cultivable_m2_per_person", ColumnType::real}, {"steep_cultivated_pct", ColumnType::real},
      {"desert_potential_ha", ColumnType::real},   {"desert_light_ha", ColumnType::real},
      {"desert_moderate_ha", ColumnType::real},    {"desert_severe_ha", ColumnType::real},
      {"desert_extreme_ha", ColumnType::real},     {"desert_moderate_plus_pct", ColumnType::real},
      {"mean_fragility", ColumnType::real},        {"susc_high_pct", ColumnType::real},
      {"susc_medium_pct", ColumnType::real},       {"susc_low_pct", ColumnType::real},
      {"flood_pct", ColumnType::real},             {"reserve_core_pct", ColumnType::real},
      {"reserve_buffer_pct", ColumnType::real},    {"redline_pct", ColumnType::real},
      {"susceptibility", ColumnType::text},        {"in_flood_zone", ColumnType::integer},
      {"reserve_zone", ColumnType::text},          {"in_redline", ColumnType::integer},
      {"hazard_id", ColumnType::text},             {"hazard_kind", ColumnType::text},
      {"hazard_dist_m", ColumnType::real},         {"hazard_radius_m", ColumnType::real},
      {"dist_road_m", ColumnType::real},           {"dist_seat_m", ColumnType::real},
      {"nearest_seat", ColumnType::text},          {"poverty_rate", ColumnType::real},
      {"s_steep", ColumnType::real},               {"s_relief", ColumnType::real},
      {"s_elevation", ColumnType::real},           {"s_fragility", ColumnType::real},
      {"s_remoteness", ColumnType::real},          {"score", ColumnType::real},
      {"class", ColumnType::text},                 {"relocating_people", ColumnType::integer},
      {"relocating_households", ColumnType::integer}, {"reason_codes", ColumnType::text},
      {"reasons", ColumnType::text}};
  return cols;
}

io::Table villages_table(const Plan& plan, const std::vector<criteria::VillageTerrain>& terrain) {
  using io::Column;
  using io::ColumnType;
  io::Table t;
  t.name = "villages";
  t.description = "Villages of the scenario with terrain figures from the analysis grid";
  t.has_geometry = true;
  t.geometry_type = 1;  // wkbPoint
  t.crs_wkt = plan.grid.crs_wkt();
  t.columns = {{"village_id", ColumnType::text},       {"name", ColumnType::text},
               {"county", ColumnType::text},           {"township", ColumnType::text},
               {"population", ColumnType::integer},    {"households", ColumnType::integer},
               {"poor_households", ColumnType::integer}};
  std::vector<std::string> ours = {"lon",
                                   "lat",
                                   "elevation_m",
                                   "slope_deg",
                                   "aspect_deg",
                                   "relief_m",
                                   "nbhd_radius_m",
                                   "nbhd_mean_slope_deg",
                                   "nbhd_steep_pct",
                                   "nbhd_max_relief_m",
                                   "nbhd_mean_elevation_m",
                                   "nbhd_valid_pct",
                                   "terrain_note"};
  std::vector<std::string> reserved = ours;
  for (const auto& c : assessment_columns()) reserved.push_back(c.first);
  auto taken = [&](const std::string& n) {
    for (const auto& c : t.columns)
      if (c.name == n) return true;
    return std::find(reserved.begin(), reserved.end(), n) != reserved.end();
  };
  for (const auto& e : plan.villages.extra_fields) {
    std::string n = e.name;
    while (taken(n)) n = "src_" + n;
    t.columns.push_back({n, e.type == vector::AttributeType::integer ? ColumnType::integer
                            : e.type == vector::AttributeType::real  ? ColumnType::real
                                                                     : ColumnType::text});
  }
  for (const auto& n : ours) t.columns.push_back({n, n == "terrain_note" ? ColumnType::text : ColumnType::real});

  const double radius = plan.scenario.thresholds.value("terrain", "village_radius_m");
  auto opt_text = [](const std::optional<std::string>& s) -> io::Value {
    return s ? io::Value(*s) : io::Value(std::monostate{});
  };
  auto opt_int = [](const std::optional<std::int64_t>& v) -> io::Value {
    return v ? io::Value(*v) : io::Value(std::monostate{});
  };
  auto opt_real = [](const std::optional<double>& v) -> io::Value {
    return v ? io::Value(*v) : io::Value(std::monostate{});
  };
  for (std::size_t i = 0; i < plan.villages.villages.size(); ++i) {
    const auto& v = plan.villages.villages[i];
    const auto& tr = terrain[i];
    std::vector<io::Value> row = {v.id,           opt_text(v.name),      opt_text(v.county),
                                  opt_text(v.township), opt_int(v.population), opt_int(v.households),
                                  opt_int(v.poor_households)};
    for (const auto& e : v.extra) std::visit([&](const auto& x) { row.emplace_back(x); }, e);
    std::string note;
    if (tr.outside_grid) note = "outside the analysis grid";
    else if (!tr.elevation_m) note = "on DEM NoData or outside the DEM";
    else if (tr.nbhd_valid_pct < 99.0) note = "neighbourhood only " + fixed(tr.nbhd_valid_pct, 0) + " % covered by the DEM";
    row.insert(row.end(), {io::Value(v.lon), io::Value(v.lat), opt_real(tr.elevation_m), opt_real(tr.slope_deg),
                           opt_real(tr.aspect_deg), opt_real(tr.relief_m), io::Value(radius),
                           opt_real(tr.nbhd_mean_slope_deg), opt_real(tr.nbhd_steep_pct),
                           opt_real(tr.nbhd_max_relief_m), opt_real(tr.nbhd_mean_elevation_m),
                           io::Value(tr.nbhd_valid_pct),
                           note.empty() ? io::Value(std::monostate{}) : io::Value(note)});
    t.rows.push_back(std::move(row));
    t.wkb.push_back(io::point_wkb(v.x, v.y));
  }
  return t;
}

io::Value opt_value(const std::optional<double>& v) { return v ? io::Value(*v) : io::Value(std::monostate{}); }
io::Value opt_value(const std::optional<std::string>& v) { return v ? io::Value(*v) : io::Value(std::monostate{}); }
io::Value opt_value(const std::optional<bool>& v) {
  return v ? io::Value(static_cast<std::int64_t>(*v ? 1 : 0)) : io::Value(std::monostate{});
}

io::Table territories_table(const Plan& plan, const std::vector<criteria::Territory>& territories,
                            const std::vector<criteria::VillageAssessment>& as, GEOSContextHandle_t ctx) {
  io::Table t;
  t.name = "village_territories";
  t.description = "The land of each village used for its zonal statistics: given polygons, or Voronoi cells clipped "
                  "to the county and a maximum radius";
  t.has_geometry = true;
  t.geometry_type = 6;  // wkbMultiPolygon
  t.crs_wkt = plan.grid.crs_wkt();
  t.columns = {{"village_id", io::ColumnType::text}, {"name", io::ColumnType::text},
               {"county", io::ColumnType::text},     {"township", io::ColumnType::text},
               {"method", io::ColumnType::text},     {"area_ha", io::ColumnType::real},
               {"class", io::ColumnType::text}};
  for (std::size_t i = 0; i < territories.size(); ++i) {
    const auto& v = plan.villages.villages[i];
    t.rows.push_back({v.id, opt_value(v.name), opt_value(v.county), opt_value(v.township), territories[i].method,
                      territories[i].area_m2 / 10000.0, as[i].cls});
    const GEOSGeometry* g = territories[i].geometry.get();
    t.wkb.push_back((g && GEOSisEmpty_r(ctx, g) != 1) ? vector::to_wkb(ctx, g) : std::string());
  }
  return t;
}

io::Table criteria_table(const config::Scenario& s) {
  io::Table t;
  t.name = "criteria";
  t.description = "Every threshold and weight used by this run, with its unit and source";
  t.columns = {{"kind", io::ColumnType::text},   {"criterion", io::ColumnType::text}, {"value", io::ColumnType::real},
               {"unit", io::ColumnType::text},   {"weight", io::ColumnType::real},    {"set_by", io::ColumnType::text},
               {"assumption", io::ColumnType::integer}, {"description", io::ColumnType::text},
               {"source", io::ColumnType::text}};
  for (const auto& [kind, ts] : s.thresholds.all())
    for (const auto& [key, th] : ts)
      t.rows.push_back({kind, key, th.value, th.unit, io::Value(std::monostate{}),
                        th.overridden ? std::string("scenario") : std::string("default"),
                        static_cast<std::int64_t>(th.assumption ? 1 : 0), th.description, th.source});
  for (std::size_t i = 0; i < s.assessment.criteria.size(); ++i)
    t.rows.push_back({std::string("soft_weight"), s.assessment.criteria[i], io::Value(std::monostate{}),
                      std::string("share of the soft score"), s.assessment.weights[i], s.assessment.weights_from,
                      static_cast<std::int64_t>(s.assessment.weights_from.rfind("default", 0) == 0 ? 1 : 0),
                      std::string("weight of the soft criterion in the 0-100 score"),
                      std::string(s.assessment.weights_from.rfind("default", 0) == 0
                                      ? "assumption: equal weights unless the scenario sets them"
                                      : "the scenario")});
  return t;
}

// Per county (or per county and township): villages, people and who moves.
io::Table summary_table(const Plan& plan, const std::vector<criteria::VillageAssessment>& as, bool by_township) {
  struct Row {
    std::int64_t villages = 0, population = 0, households = 0, poor = 0, people = 0, hh = 0;
    std::int64_t incomplete = 0;  // villages whose population, households or poor households are unknown
    std::map<std::string, std::int64_t> classes;
  };
  std::map<std::pair<std::string, std::string>, Row> rows;
  for (std::size_t i = 0; i < as.size(); ++i) {
    const auto& v = plan.villages.villages[i];
    const std::string county = v.county.value_or("(unknown)");
    const std::string township = by_township ? v.township.value_or("(unknown)") : std::string();
    Row& r = rows[{county, township}];
    ++r.villages;
    r.population += v.population.value_or(0);
    r.households += v.households.value_or(0);
    r.poor += v.poor_households.value_or(0);
    if (!v.population || !v.households || !v.poor_households) ++r.incomplete;
    r.people += as[i].relocating_people;
    r.hh += as[i].relocating_households;
    ++r.classes[as[i].cls];
  }
  io::Table t;
  t.name = by_township ? "township_summary" : "county_summary";
  t.description = std::string("Villages, people and relocation candidates per ") + (by_township ? "township" : "county");
  t.columns = {{"county", io::ColumnType::text}};
  if (by_township) t.columns.push_back({"township", io::ColumnType::text});
  // Population, households and poor households are sums over the villages
  // where they are known; villages_incomplete counts the others.
  for (const char* c : {"villages", "population", "households", "poor_households", "villages_incomplete",
                        "relocating_people", "relocating_households", "relocate_whole", "relocate_registered",
                        "review", "stay"})
    t.columns.push_back({c, io::ColumnType::integer});
  for (const auto& [key, r] : rows) {
    std::vector<io::Value> row;
    row.emplace_back(std::in_place_type<std::string>, key.first);
    if (by_township) row.emplace_back(std::in_place_type<std::string>, key.second);
    for (std::int64_t x : {r.villages, r.population, r.households, r.poor, r.incomplete, r.people, r.hh})
      row.emplace_back(std::in_place_type<std::int64_t>, x);
    for (const char* c : {"relocate_whole", "relocate_registered", "review", "stay"}) {
      auto it = r.classes.find(c);
      row.emplace_back(std::in_place_type<std::int64_t>, it == r.classes.end() ? std::int64_t{0} : it->second);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Public-notice lists, one CSV per township: identification ends in a public
// notice of who is to move and why.
void write_notices(const fs::path& dir, const Plan& plan, const std::vector<criteria::VillageAssessment>& as) {
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> by_township;
  for (std::size_t i = 0; i < as.size(); ++i) {
    const auto& v = plan.villages.villages[i];
    by_township[{v.county.value_or("unknown-county"), v.township.value_or("unknown-township")}].push_back(i);
  }
  for (const auto& [key, idx] : by_township) {
    std::string name = key.first + "_" + key.second + ".csv";
    for (char& c : name)
      if (c == '/' || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' || c == '|') c = '_';
    std::ofstream out(dir / name, std::ios::binary);
    out << "\xEF\xBB\xBF";  // UTF-8 byte-order mark: spreadsheet programs then show Chinese text correctly
    out << "village_id,name,county,township,class,relocating_households,relocating_people,households,population,reasons\r\n";
    for (std::size_t i : idx) {
      const auto& v = plan.villages.villages[i];
      const auto& a = as[i];
      if (a.cls == "stay") continue;
      out << csv_field(v.id) << ',' << csv_field(v.name.value_or("")) << ',' << csv_field(key.first) << ','
          << csv_field(key.second) << ',' << a.cls << ',' << a.relocating_households << ',' << a.relocating_people << ','
          << (v.households ? std::to_string(*v.households) : "") << ','
          << (v.population ? std::to_string(*v.population) : "") << ',' << csv_field(a.reasons_text()) << "\r\n";
    }
    if (!out) throw core::OutputError("cannot write the public-notice list '" + (dir / name).string() + "'");
  }
}

// The assessment's fields on the villages layer.
void add_assessment_columns(io::Table& t, const std::vector<criteria::Territory>& territories,
                            const std::vector<criteria::TerritoryStats>& zs,
                            const std::vector<criteria::PointCriteria>& pc,
                            const std::vector<criteria::VillageAssessment>& as) {
  const auto& cols = assessment_columns();
  for (const auto& [name, type] : cols) t.columns.push_back({name, type});
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& z = zs[i];
    const auto& p = pc[i];
    const auto& a = as[i];
    auto& row = t.rows[i];
    auto desert = [&](int g) -> io::Value {
      return z.desertification_ha ? io::Value((*z.desertification_ha)[static_cast<std::size_t>(g)]) : io::Value(std::monostate{});
    };
    auto susc = [&](int c) -> io::Value {
      return z.susceptibility_pct ? io::Value((*z.susceptibility_pct)[static_cast<std::size_t>(c)]) : io::Value(std::monostate{});
    };
    const std::vector<io::Value> add = {
        territories[i].method, z.area_ha, opt_value(z.mean_slope_deg), opt_value(z.max_slope_deg),
        opt_value(z.steep_pct), opt_value(z.mean_relief_m), opt_value(z.max_relief_m), opt_value(z.mean_elevation_m),
        opt_value(z.cultivated_ha), opt_value(z.cultivable_ha), opt_value(a.cultivable_m2_per_person),
        opt_value(z.steep_cultivated_pct), desert(1), desert(2), desert(3), desert(4), desert(5),
        opt_value(z.desertification_moderate_pct), opt_value(z.mean_fragility), susc(3), susc(2), susc(1),
        opt_value(z.flood_pct), opt_value(z.reserve_core_pct), opt_value(z.reserve_buffer_pct), opt_value(z.redline_pct),
        opt_value(p.susceptibility), opt_value(p.in_flood_zone), opt_value(p.reserve_zone), opt_value(p.in_redline),
        p.hazards_assessed ? io::Value(p.hazard_id.value_or("none")) : io::Value(std::monostate{}),
        opt_value(p.hazard_kind), opt_value(p.hazard_dist_m), opt_value(p.hazard_radius_m), opt_value(p.dist_road_m),
        opt_value(p.dist_seat_m), opt_value(p.seat_name), opt_value(a.poverty_rate), opt_value(a.soft[0]),
        opt_value(a.soft[1]), opt_value(a.soft[2]), opt_value(a.soft[3]), opt_value(a.soft[4]), opt_value(a.score),
        a.cls, a.relocating_people, a.relocating_households, a.reason_codes(), a.reasons_text()};
    row.insert(row.end(), add.begin(), add.end());
  }
}

io::Table sites_table(const Plan& plan, const sites::SiteSearchResult& found, GEOSContextHandle_t ctx) {
  io::Table t;
  t.name = "sites";
  t.description = "Candidate resettlement sites: suitable patches (generated) and the planners' own (planned), "
                  "with capacity and access";
  t.has_geometry = true;
  t.geometry_type = 6;
  t.crs_wkt = plan.grid.crs_wkt();
  using io::ColumnType;
  t.columns = {{"site_id", ColumnType::text},           {"name", ColumnType::text},
               {"source", ColumnType::text},            {"area_ha", ColumnType::real},
               {"buildable_ha", ColumnType::real},      {"mean_suitability", ColumnType::real},
               {"min_suitability", ColumnType::real},   {"capacity_people", ColumnType::integer},
               {"capacity_households", ColumnType::integer}, {"nearest_town", ColumnType::text},
               {"travel_min", ColumnType::real},        {"dist_road_m", ColumnType::real},
               {"dist_school_m", ColumnType::real},     {"dist_clinic_m", ColumnType::real},
               {"county", ColumnType::text},            {"township", ColumnType::text},
               {"limiting_factor", ColumnType::text},   {"excluded_pct", ColumnType::real}};
  for (const auto& st : found.sites) {
    t.rows.push_back({st.id, st.name.empty() ? io::Value(std::monostate{}) : io::Value(st.name), st.source, st.area_ha,
                      st.buildable_ha, opt_value(st.mean_suitability), opt_value(st.min_suitability),
                      st.capacity_people, st.capacity_households, opt_value(st.nearest_town), opt_value(st.travel_min),
                      opt_value(st.dist_road_m), opt_value(st.dist_school_m), opt_value(st.dist_clinic_m),
                      opt_value(st.county), opt_value(st.township),
                      st.limiting_factor.empty() ? io::Value(std::monostate{}) : io::Value(st.limiting_factor),
                      st.excluded_pct});
    t.wkb.push_back(vector::to_wkb(ctx, st.geometry.get()));
  }
  return t;
}

io::Table site_summary_table(const sites::SiteSearchResult& found) {
  struct Row {
    std::int64_t sites = 0, people = 0, households = 0;
    double area = 0, buildable = 0;
  };
  std::map<std::string, Row> rows;
  for (const auto& st : found.sites) {
    Row& r = rows[st.county.value_or("(outside the counties)")];
    ++r.sites;
    r.people += st.capacity_people;
    r.households += st.capacity_households;
    r.area += st.area_ha;
    r.buildable += st.buildable_ha;
  }
  io::Table t;
  t.name = "site_summary";
  t.description = "Candidate resettlement sites and their capacity per county";
  t.columns = {{"county", io::ColumnType::text},          {"sites", io::ColumnType::integer},
               {"area_ha", io::ColumnType::real},         {"buildable_ha", io::ColumnType::real},
               {"capacity_people", io::ColumnType::integer}, {"capacity_households", io::ColumnType::integer}};
  for (const auto& [county, r] : rows) t.rows.push_back({county, r.sites, r.area, r.buildable, r.people, r.households});
  return t;
}

io::Table allocations_table(const Plan& plan, const allocation::AllocationResult& a) {
  io::Table t;
  t.name = "allocations";
  t.description = "Who goes where: one line from each village to each site it sends households to";
  t.has_geometry = true;
  t.geometry_type = 2;  // wkbLineString
  t.crs_wkt = plan.grid.crs_wkt();
  using io::ColumnType;
  t.columns = {{"village_id", ColumnType::text}, {"site_id", ColumnType::text},   {"households", ColumnType::integer},
               {"people", ColumnType::integer},  {"cost", ColumnType::real},       {"cost_unit", ColumnType::text},
               {"same_county", ColumnType::integer}};
  for (const auto& as : a.solution.assignments) {
    const auto& v = a.villages[as.village];
    const auto& st = a.sites[as.site];
    const auto people = static_cast<std::int64_t>(std::llround(static_cast<double>(as.households) * v.people_per_household));
    t.rows.push_back({v.id, st.id, as.households, people, as.cost_per_household, a.cost_unit,
                      static_cast<std::int64_t>(v.county == st.county ? 1 : 0)});
    std::string w(1, '\1');
    const std::uint32_t type = 2, n = 2;
    w.append(reinterpret_cast<const char*>(&type), 4).append(reinterpret_cast<const char*>(&n), 4);
    for (double c : {v.x, v.y, st.x, st.y}) w.append(reinterpret_cast<const char*>(&c), 8);
    t.wkb.push_back(w);
  }
  return t;
}

io::Table allocation_summary_table(const allocation::AllocationResult& a) {
  struct Row {
    std::int64_t demand = 0, capacity = 0, assigned = 0, unallocated = 0;
    double cost_sum = 0, cost_max = 0;
  };
  std::map<std::string, Row> rows;
  for (const auto& v : a.villages) rows[v.county].demand += v.households;
  for (const auto& st : a.sites) rows[st.county].capacity += st.households;
  for (const auto& as : a.solution.assignments) {
    Row& r = rows[a.villages[as.village].county];
    r.assigned += as.households;
    r.cost_sum += static_cast<double>(as.households) * as.cost_per_household;
    r.cost_max = std::max(r.cost_max, as.cost_per_household);
  }
  for (const auto& u : a.solution.unallocated) rows[a.villages[u.village].county].unallocated += u.households;
  io::Table t;
  t.name = "allocation_summary";
  t.description = "Per county: relocating households, site capacity, households assigned and unallocated, travel";
  using io::ColumnType;
  t.columns = {{"county", ColumnType::text},          {"demand_households", ColumnType::integer},
               {"capacity_households", ColumnType::integer}, {"assigned_households", ColumnType::integer},
               {"unallocated_households", ColumnType::integer}, {"mean_cost", ColumnType::real},
               {"max_cost", ColumnType::real},         {"cost_unit", ColumnType::text}};
  for (const auto& [county, r] : rows)
    t.rows.push_back({county, r.demand, r.capacity, r.assigned, r.unallocated,
                      r.assigned > 0 ? io::Value(r.cost_sum / static_cast<double>(r.assigned)) : io::Value(std::monostate{}),
                      r.assigned > 0 ? io::Value(r.cost_max) : io::Value(std::monostate{}), a.cost_unit});
  return t;
}

// The site search's terrain inputs, read back strip by strip from the
// rasters the terrain stage wrote (and land cover from its source).
class TerrainReader : public sites::GridInputs {
 public:
  TerrainReader(const io::RasterStrips& slope, const io::RasterStrips& elevation, const raster::RasterSource* landcover)
      : slope_(slope), elevation_(elevation), landcover_(landcover) {}
  bool has_landcover() const override { return landcover_ != nullptr; }
  void read(std::size_t row0, std::size_t nrows, float* slope_deg, float* elevation_m, float* landcover) const override {
    slope_.read_rows(row0, nrows, slope_deg);
    elevation_.read_rows(row0, nrows, elevation_m);
    if (landcover && landcover_) landcover_->read_rows(row0, nrows, landcover);
  }

 private:
  const io::RasterStrips& slope_;
  const io::RasterStrips& elevation_;
  const raster::RasterSource* landcover_;
};

// Scratch rows of the site search in a temporary raster beside the output.
class ScratchRows : public sites::RowStore {
 public:
  explicit ScratchRows(std::unique_ptr<io::RasterStrips> strips) : strips_(std::move(strips)) {}
  void write_rows(std::size_t row0, std::size_t nrows, const float* values) override {
    strips_->write_rows(row0, nrows, values);
  }
  void read_rows(std::size_t row0, std::size_t nrows, float* values) const override {
    strips_->read_rows(row0, nrows, values);
  }

 private:
  std::unique_ptr<io::RasterStrips> strips_;
};

// The site search's cell results, strip by strip, into the output rasters.
class SiteRasterWriter : public sites::SiteRasterSink {
 public:
  SiteRasterWriter(io::RasterStrips& suitability, io::RasterStrips& classes, io::RasterStrips& constraints,
                   std::size_t cols)
      : suitability_(suitability), classes_(classes), constraints_(constraints), cols_(cols) {}
  void write(std::size_t row0, std::size_t nrows, const float* suit, const std::uint8_t* cls,
             const std::uint16_t* con) override {
    const std::size_t n = nrows * cols_;
    suitability_.write_rows(row0, nrows, suit);
    values_.resize(n);
    for (std::size_t k = 0; k < n; ++k) values_[k] = cls[k];
    classes_.write_rows(row0, nrows, values_.data());
    for (std::size_t k = 0; k < n; ++k) values_[k] = con[k];
    constraints_.write_rows(row0, nrows, values_.data());
  }

 private:
  io::RasterStrips& suitability_;
  io::RasterStrips& classes_;
  io::RasterStrips& constraints_;
  std::size_t cols_;
  std::vector<float> values_;
};

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
  auto burner = [&](const char* name, auto code_of) -> std::unique_ptr<raster::PolygonBurner> {
    const vector::Features* f = plan.layer(name);
    if (!f) return nullptr;
    std::vector<std::uint8_t> codes(f->size());
    for (std::size_t i = 0; i < f->size(); ++i) codes[i] = code_of(*f, i);
    return std::make_unique<raster::PolygonBurner>(ctx, *f, codes, grid);
  };
  auto constant = [](const vector::Features&, std::size_t) -> std::uint8_t { return 1; };
  auto by_value = [](const std::map<std::string, std::string>& values, const std::string& role,
                     std::vector<std::pair<std::string, std::uint8_t>> ranks) {
    return [values, role, ranks](const vector::Features& f, std::size_t i) -> std::uint8_t {
      for (const auto& [meaning, code] : ranks)
        if (f.attrs[i].at(role) == values.at(meaning)) return code;
      return 0;
    };
  };
  auto desert_burner = burner("desertification", [&](const vector::Features& f, std::size_t i) -> std::uint8_t {
    const std::string& v = f.attrs[i].at("grade_code");
    char* end = nullptr;
    const long g = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || g < 0 || g > 5)
      throw core::InputError(f.what + ": field '" + s.desertification->fields.at("grade_code") + "' of feature " +
                             std::to_string(i + 1) + " in '" + f.path.string() + "' is '" + v +
                             "': expected a grade code 0-5");
    return static_cast<std::uint8_t>(g + 1);  // 0 is "not mapped"
  });
  auto susc_burner = s.susceptibility ? burner("susceptibility", by_value(s.susceptibility->values, "class",
                                                                          {{"low", criteria::kSuscLow},
                                                                           {"medium", criteria::kSuscMedium},
                                                                           {"high", criteria::kSuscHigh}}))
                                      : nullptr;
  auto reserve_burner = s.reserve ? burner("reserve", by_value(s.reserve->values, "zone",
                                                               {{"experimental", criteria::kReserveExperimental},
                                                                {"buffer", criteria::kReserveBuffer},
                                                                {"core", criteria::kReserveCore}}))
                                  : nullptr;
  auto flood_burner = burner("flood_zone", constant);
  auto redline_burner = burner("redline", constant);
  std::vector<float> landcover_rows, fragility_rows;
  std::vector<std::uint8_t> desert_rows, susc_rows, flood_rows, reserve_rows, redline_rows;

  auto slope_out = output.new_raster_strips("slope", grid);
  auto relief_out = output.new_raster_strips("relief", grid);
  auto elev_out = output.new_raster_strips("elevation", grid);
  const auto blocks = raster::plan_row_blocks(grid.rows(), plan.block_rows, halo);
  std::vector<float> dem, slope, aspect, relief;
  progress.begin("terrain");
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    const auto& b = blocks[bi];
    dem.resize(b.read_rows() * cols);
    plan.dem->read_rows(b.read_row0, b.read_rows(), dem.data());
    const terrain::RowStrip strip{dem.data(), cols, b.read_row0, b.read_rows()};
    slope.resize(b.rows() * cols);
    aspect.resize(b.rows() * cols);
    relief.resize(b.rows() * cols);
    terrain::horn_slope_aspect(strip, grid.rows(), b.row0, b.rows(), grid.cell_size(), slope.data(), aspect.data());
    terrain::local_relief(strip, grid.rows(), b.row0, b.rows(), window, relief.data());
    const float* elev = strip.row(b.row0);
    acc.add_rows(b.row0, b.rows(), elev, slope.data(), aspect.data(), relief.data());
    criteria::BlockLayers layers;
    layers.slope_deg = slope.data();
    layers.relief_m = relief.data();
    layers.elevation_m = elev;
    const std::size_t n = b.rows() * cols;
    if (plan.landcover) {
      landcover_rows.resize(n);
      plan.landcover->read_rows(b.row0, b.rows(), landcover_rows.data());
      layers.landcover = landcover_rows.data();
    }
    if (plan.fragility) {
      fragility_rows.resize(n);
      plan.fragility->read_rows(b.row0, b.rows(), fragility_rows.data());
      layers.fragility = fragility_rows.data();
    }
    auto burn = [&](const std::unique_ptr<raster::PolygonBurner>& br, std::vector<std::uint8_t>& rows) -> const std::uint8_t* {
      if (!br) return nullptr;
      rows.resize(n);
      br->burn(b.row0, b.rows(), 0, rows.data());
      return rows.data();
    };
    if (const std::uint8_t* d = burn(desert_burner, desert_rows)) {
      for (auto& v : desert_rows) v = v == 0 ? criteria::kNoClass : static_cast<std::uint8_t>(v - 1);
      layers.desertification = d;
    }
    layers.susceptibility = burn(susc_burner, susc_rows);
    layers.flood = burn(flood_burner, flood_rows);
    layers.reserve = burn(reserve_burner, reserve_rows);
    layers.redline = burn(redline_burner, redline_rows);
    zonal.add_rows(b.row0, b.rows(), layers);
    slope_out->write_rows(b.row0, b.rows(), slope.data());
    relief_out->write_rows(b.row0, b.rows(), relief.data());
    elev_out->write_rows(b.row0, b.rows(), elev);
    progress.update(static_cast<double>(bi + 1) / static_cast<double>(blocks.size()));
  }
  progress.end();
  // The strip buffers are the terrain stage's alone: their memory goes back
  // before the next stages take theirs.
  for (auto* v : {&dem, &slope, &aspect, &relief, &landcover_rows, &fragility_rows}) std::vector<float>().swap(*v);
  for (auto* v : {&desert_rows, &susc_rows, &flood_rows, &reserve_rows, &redline_rows})
    std::vector<std::uint8_t>().swap(*v);
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
  if (!nodata.empty())
    log.warn(std::to_string(nodata.size()) +
             " village(s) lie outside the DEM or on its NoData cells; their terrain fields are null: " + list_ids(nodata));
  if (!partial.empty())
    log.warn(std::to_string(partial.size()) + " village(s) have DEM data for only part of their " +
             fixed(vts.radius_m, 0) + " m neighbourhood (see nbhd_valid_pct): " + list_ids(partial));

  // The assessment.
  progress.begin("assessment");
  const auto zonal_stats = zonal.results();
  criteria::ThematicLayers thematic{plan.layer("hazard_points"), plan.layer("susceptibility"), plan.layer("flood_zone"),
                                    plan.layer("reserve"),       plan.layer("redline"),        plan.layer("roads"),
                                    plan.layer("towns")};
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
    // +infinity (beyond the search bound) must survive the round trip: a
    // NoData value that no travel time can take.
    ScratchRows seat_travel(output.new_raster_strips("scratch_seat_travel", grid, io::RasterStrips::Type::float32, -1.0));
    ScratchRows friction(output.new_raster_strips("scratch_friction", grid, io::RasterStrips::Type::float32, -1.0));
    sites::SiteLayers sl;
    sl.roads = plan.layer("roads");
    sl.towns = plan.layer("towns");
    sl.schools = plan.layer("schools");
    sl.clinics = plan.layer("clinics");
    sl.rivers = plan.layer("rivers");
    sl.water_bodies = plan.layer("water_bodies");
    sl.susceptibility = plan.layer("susceptibility");
    sl.hazard_points = plan.layer("hazard_points");
    sl.flood_zone = plan.layer("flood_zone");
    sl.reserve = plan.layer("reserve");
    sl.redline = plan.layer("redline");
    sl.exclusions = plan.layer("exclusions");
    sl.counties = plan.layer("counties");
    sl.townships = plan.layer("townships");
    sl.planned_sites = plan.layer("planned_sites");
    std::vector<std::pair<double, double>> moving;
    for (std::size_t i = 0; i < assessments.size(); ++i)
      if (assessments[i].cls == "relocate_whole" || assessments[i].cls == "relocate_registered")
        moving.emplace_back(plan.villages.villages[i].x, plan.villages.villages[i].y);
    found = sites::find_sites(ctx, grid, gi, sl, moving, s, log, progress, site_rasters, plan.site_block_rows,
                              &seat_travel, &friction);
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
      std::vector<allocation::Place> demand, supply;
      for (std::size_t i = 0; i < assessments.size(); ++i) {
        const auto& a = assessments[i];
        if (a.relocating_households <= 0) continue;
        const auto& v = plan.villages.villages[i];
        demand.push_back({i, v.id, v.county.value_or(""), v.x, v.y, a.relocating_households,
                          static_cast<double>(a.relocating_people) / static_cast<double>(a.relocating_households)});
      }
      for (std::size_t j = 0; j < found->sites.size(); ++j) {
        const auto& st = found->sites[j];
        vector::GeomPtr pt = vector::wrap(ctx, GEOSPointOnSurface_r(ctx, st.geometry.get()));
        double x = 0, y = 0;
        if (pt) {
          GEOSGeomGetX_r(ctx, pt.get(), &x);
          GEOSGeomGetY_r(ctx, pt.get(), &y);
        }
        allocation::Place place{j, st.id, st.county.value_or(""), x, y, st.capacity_households, 0.0};
        place.urban = st.travel_min && *st.travel_min <= s.allocation->urban_max_travel_min;
        supply.push_back(place);
      }
      allocated = allocation::allocate(grid, found->friction_min_per_m, std::move(demand), std::move(supply),
                                       *s.allocation, progress);
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
    if (allocated) {
      // Assignment fields on the villages: households allocated, the main site, what is left and why.
      vt.columns.push_back({"allocated_households", io::ColumnType::integer});
      vt.columns.push_back({"main_site_id", io::ColumnType::text});
      vt.columns.push_back({"unallocated_households", io::ColumnType::integer});
      vt.columns.push_back({"unallocated_reason", io::ColumnType::text});
      std::vector<std::int64_t> got(vt.rows.size(), 0), best(vt.rows.size(), 0), left(vt.rows.size(), 0);
      std::vector<std::string> main_site(vt.rows.size()), reason(vt.rows.size());
      for (const auto& as : allocated->solution.assignments) {
        const std::size_t vi = allocated->villages[as.village].index;
        got[vi] += as.households;
        if (as.households > best[vi]) {
          best[vi] = as.households;
          main_site[vi] = allocated->sites[as.site].id;
        }
      }
      for (const auto& u : allocated->solution.unallocated) {
        const std::size_t vi = allocated->villages[u.village].index;
        left[vi] += u.households;
        reason[vi] = u.reason;
      }
      for (std::size_t i = 0; i < vt.rows.size(); ++i) {
        vt.rows[i].push_back(got[i]);
        vt.rows[i].push_back(main_site[i].empty() ? io::Value(std::monostate{}) : io::Value(main_site[i]));
        vt.rows[i].push_back(left[i]);
        vt.rows[i].push_back(reason[i].empty() ? io::Value(std::monostate{}) : io::Value(reason[i]));
      }
    }
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
    if (allocated) {
      // Load and utilisation of each site.
      st.columns.push_back({"allocated_households", io::ColumnType::integer});
      st.columns.push_back({"allocated_people", io::ColumnType::integer});
      st.columns.push_back({"utilisation_pct", io::ColumnType::real});
      std::vector<std::int64_t> hh(st.rows.size(), 0), people(st.rows.size(), 0);
      for (const auto& as : allocated->solution.assignments) {
        const std::size_t j = allocated->sites[as.site].index;
        hh[j] += as.households;
        people[j] += static_cast<std::int64_t>(
            std::llround(static_cast<double>(as.households) * allocated->villages[as.village].people_per_household));
      }
      for (std::size_t j = 0; j < st.rows.size(); ++j) {
        const auto cap = found->sites[j].capacity_households;
        st.rows[j].push_back(hh[j]);
        st.rows[j].push_back(people[j]);
        st.rows[j].push_back(cap > 0 ? io::Value(100.0 * static_cast<double>(hh[j]) / static_cast<double>(cap))
                                     : io::Value(std::monostate{}));
      }
    }
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
  io::Table info;
  info.name = "run_info";
  info.description = "How this GeoPackage was made: scenario, settings, software versions, input checksums, timings";
  info.columns = {{"key", io::ColumnType::text}, {"value", io::ColumnType::text}};
  auto put = [&](const std::string& k, const std::string& v) { info.rows.push_back({k, v}); };
  for (const auto& lv : core::library_versions()) put("version." + lv.name, lv.version);
  put("scenario.file", s.file.string());
  const std::string scenario_sha256 = io::sha256_file(s.file);
  put("scenario.sha256", scenario_sha256);
  put("scenario.text", s.text);
  put("project.name", s.name);
  put("started_utc", started_utc);
  nlohmann::ordered_json settings;
  settings["working_crs"] = plan.working_crs.describe();
  settings["working_crs_reason"] = plan.crs_reason;
  settings["grid"] = {{"xmin", grid.xmin()}, {"ymin", grid.ymin()}, {"xmax", grid.xmax()}, {"ymax", grid.ymax()},
                      {"cell_size_m", grid.cell_size()}, {"rows", grid.rows()}, {"cols", grid.cols()}};
  settings["dem"] = {{"path", s.dem.path.string()}, {"band", s.dem.band}, {"resampling", s.dem.resampling},
                     {"read", plan.dem->info().resampled ? "warped" : "direct"}};
  settings["villages"] = {{"path", s.villages.path.string()}, {"layer", plan.villages.layer_name},
                          {"crs", plan.villages.source_crs.describe()}, {"count", plan.villages.villages.size()}};
  for (const auto& [kind, ts] : s.thresholds.all())
    for (const auto& [key, t] : ts) {
      settings["thresholds"][kind][key] = {{"value", t.value}, {"unit", t.unit}, {"source", t.source},
                                           {"from", t.overridden ? "scenario" : "default"}};
      put("threshold." + kind + "." + key,
          fixed(t.value, 3) + " " + t.unit + (t.overridden ? " (set by the scenario)" : " (default)") + "; source: " +
              t.source);
    }
  {
    const char* from = s.study_area.mode == config::ExtentMode::villages   ? "villages"
                       : s.study_area.mode == config::ExtentMode::boundary ? "boundary"
                                                                            : "bounds";
    nlohmann::ordered_json sa = {{"from", from}, {"margin_m", s.study_area.margin_m}, {"clip", s.study_area.clip}};
    if (plan.boundary) {
      sa["boundary"] = plan.boundary->path.string();
      sa["boundary_layer"] = plan.boundary->layer_name;
      if (s.study_area.boundary_field) {
        sa["boundary_field"] = *s.study_area.boundary_field;
        sa["boundary_value"] = *s.study_area.boundary_value;
      }
      sa["boundary_features"] = plan.boundary->features;
    }
    if (s.study_area.clip) {
      sa["villages_outside_left_out"] = plan.villages_outside_boundary;
      sa["sites_outside_left_out"] = sites_outside_boundary;
    }
    settings["study_area"] = sa;
    put("study_area", std::string(from) + (plan.boundary ? " " + plan.boundary->describe() : std::string()) +
                          (s.study_area.clip ? "; clip: " + std::to_string(plan.villages_outside_boundary) +
                                                   " villages and " + std::to_string(sites_outside_boundary) +
                                                   " sites outside left out"
                                             : std::string()));
  }
  settings["processing"] = {{"memory_mb", s.memory_mb}, {"block_rows", plan.block_rows}};
  put("settings", settings.dump(2));
  put("working_crs", plan.working_crs.describe());
  if (allocated) {
    const auto& sol = allocated->solution;
    put("allocation.mode", s.allocation->keep_villages_whole ? "whole villages" : "households may be split");
    put("allocation.exact", sol.exact ? "yes (optimal)" : "no (heuristic)");
    put("allocation.total_cost", fixed(sol.total_cost, 3) + " household-" + allocated->cost_unit);
    if (sol.lower_bound) put("allocation.lower_bound", fixed(*sol.lower_bound, 3));
    if (sol.gap) put("allocation.optimality_gap", fixed(100.0 * *sol.gap, 3) + " %");
    put("allocation.pairs", std::to_string(allocated->pairs.size()) + " (village, site) pairs within range");
    put("allocation.groups", std::to_string(allocated->components) +
                                 " independent groups solved; the largest " +
                                 std::to_string(allocated->largest_component_villages) + " villages x " +
                                 std::to_string(allocated->largest_component_sites) + " sites");
    if (allocated->cells_searched > 0)
      put("allocation.cells_searched", std::to_string(allocated->cells_searched) +
                                           " cells settled by the travel-time searches");
    put("allocation.urban_share", fixed(100.0 * allocated->urban_share, 1) + " % of allocated households at sites within " +
                                      fixed(s.allocation->urban_max_travel_min, 0) + " min of a town");
    if (s.allocation->urban_share)
      put("allocation.urban_target", fixed(100.0 * *s.allocation->urban_share, 1) + " %" +
                                         (allocated->urban_target_met ? " (reached or exceeded" : " (not reachable") +
                                         "; incentive " + fixed(allocated->urban_incentive, 2) + " " +
                                         allocated->cost_unit + " per household on other sites)");
  }
  // Every file of every input, each hashed once even when several inputs share it.
  std::map<fs::path, std::string> hashes;
  std::vector<std::string> sources;
  auto checksum_files = [&](const std::string& what, const std::vector<fs::path>& files) {
    for (const auto& f : files) {
      auto it = hashes.find(f);
      if (it == hashes.end()) it = hashes.emplace(f, io::sha256_file(f)).first;
      put("input." + what + "." + f.filename().string() + ".sha256", it->second);
      sources.push_back(what + ": " + f.string() + " (SHA-256 " + it->second + ")");
    }
  };
  auto raster_files = [](const fs::path& path) {
    std::vector<fs::path> files;
    raster::DatasetPtr d(GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (d) {
      char** list = GDALGetFileList(d.get());
      for (char** p = list; p && *p; ++p) files.emplace_back(*p);
      CSLDestroy(list);
    }
    if (files.empty()) files.push_back(path);
    return files;
  };
  checksum_files("villages", plan.villages.files);
  checksum_files("dem", raster_files(s.dem.path));
  if (s.landcover) checksum_files("landcover", raster_files(s.landcover->path));
  if (s.fragility) checksum_files("fragility", raster_files(s.fragility->path));
  for (const auto& [name, f] : plan.thematic) checksum_files(name, f.files);
  if (plan.boundary) checksum_files("boundary", plan.boundary->files);
  for (std::size_t i = 0; i < log.warnings().size(); ++i) put("warning." + std::to_string(i + 1), log.warnings()[i]);
  clock.lap("checksums");
  for (const auto& lap : clock.stages) put("stage_seconds." + lap.name, fixed(lap.seconds, 3));
  for (const auto& lap : clock.stages)
    if (lap.peak_mb >= 0) put("stage_peak_mb." + lap.name, fixed(lap.peak_mb, 0));
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  put("total_seconds", fixed(total, 3));
  // Written last: a run_info with finished_utc belongs to a complete run.
  put("finished_utc", utc_now_iso());
  output.add_table(info);
  // The GeoPackage's own metadata (gpkg_metadata): what, when, which scenario
  // and which sources; run_info has the details.
  {
    std::string source_list;
    for (const auto& line : sources) source_list += (source_list.empty() ? "" : "\n") + line;
    output.set_metadata({{"TITLE", s.name.empty() ? s.file.stem().string() : s.name},
                         {"DESCRIPTION", s.description},
                         {"ABSTRACT",
                          "Ex-situ relocation planning by relocplan: village assessment" +
                              std::string(found ? ", resettlement sites" : "") +
                              (allocated ? ", allocation of households to sites" : "") +
                              ". Layers, fields and criteria are described in the tables criteria and run_info."},
                         {"CREATED_UTC", started_utc},
                         {"SOFTWARE", "relocplan " + std::string(core::relocplan_version())},
                         {"SCENARIO_FILE", s.file.string()},
                         {"SCENARIO_SHA256", scenario_sha256},
                         {"CRS", plan.working_crs.describe()},
                         {"CELL_SIZE_M", fixed(grid.cell_size(), 3)},
                         {"SOURCES", source_list}});
  }
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
