#include "relocplan/pipeline/run.hpp"

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
#include <ostream>
#include <sstream>

#include "relocplan/core/error.hpp"
#include "relocplan/core/version.hpp"
#include "relocplan/criteria/village_terrain.hpp"
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
      extent = vector::boundary_extent(*s.study_area.boundary_path, s.study_area.boundary_layer, plan.working_crs)
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

  // Strip height from the memory budget: the DEM strip with its halo plus four
  // output rows (slope, aspect, relief, elevation copy) per cell, in float32.
  // Half the budget goes to strips, a quarter to GDAL's block cache.
  const double relief_radius_m = s.thresholds.value("terrain", "relief_radius_m");
  plan.relief_radius_rows = static_cast<std::size_t>(std::floor(relief_radius_m / s.cell_size_m + 1e-9));
  const std::size_t halo = std::max<std::size_t>(1, plan.relief_radius_rows);
  const std::size_t budget = s.memory_mb * 1024 * 1024 / 2;
  plan.block_rows = options.block_rows ? *options.block_rows
                                       : raster::block_rows_for_budget(plan.grid.rows(), plan.grid.cols(), halo,
                                                                       5 * sizeof(float), budget, 256);
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
  out << "output       " << p.output.string() << (p.output_exists ? " (exists: run needs --overwrite)" : "") << "\n";
}

namespace {

struct StageClock {
  std::vector<std::pair<std::string, double>> stages;
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  void lap(const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    stages.emplace_back(name, std::chrono::duration<double>(now - t).count());
    t = now;
  }
};

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
  auto taken = [&](const std::string& n) {
    for (const auto& c : t.columns)
      if (c.name == n) return true;
    return std::find(ours.begin(), ours.end(), n) != ours.end();
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
    slope_out->write_rows(b.row0, b.rows(), slope.data());
    relief_out->write_rows(b.row0, b.rows(), relief.data());
    elev_out->write_rows(b.row0, b.rows(), elev);
    progress.update(static_cast<double>(bi + 1) / static_cast<double>(blocks.size()));
  }
  progress.end();
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

  // The GeoPackage.
  progress.begin("writing rasters");
  core::Progress::Span thirds[3] = {{&progress, 0.0, 1.0 / 3}, {&progress, 1.0 / 3, 2.0 / 3}, {&progress, 2.0 / 3, 1.0}};
  output.add_raster(*elev_out, "elevation", "Elevation (m) on the analysis grid", &thirds[0]);
  output.add_raster(*slope_out, "slope", "Slope (degrees, Horn) on the analysis grid", &thirds[1]);
  output.add_raster(*relief_out, "relief",
                    "Local relief (m): max - min elevation within " +
                        fixed(s.thresholds.value("terrain", "relief_radius_m"), 0) + " m",
                    &thirds[2]);
  progress.end();
  progress.begin("writing villages");
  output.add_table(villages_table(plan, terrain));
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
  put("scenario.sha256", io::sha256_file(s.file));
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
  settings["processing"] = {{"memory_mb", s.memory_mb}, {"block_rows", plan.block_rows}};
  put("settings", settings.dump(2));
  put("working_crs", plan.working_crs.describe());
  auto checksum_files = [&](const std::string& what, const std::vector<fs::path>& files) {
    for (const auto& f : files) put("input." + what + "." + f.filename().string() + ".sha256", io::sha256_file(f));
  };
  checksum_files("villages", plan.villages.files);
  {
    std::vector<fs::path> dem_files;
    raster::DatasetPtr d(GDALOpenEx(s.dem.path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (d) {
      char** files = GDALGetFileList(d.get());
      for (char** p = files; p && *p; ++p) dem_files.emplace_back(*p);
      CSLDestroy(files);
    }
    if (dem_files.empty()) dem_files.push_back(s.dem.path);
    checksum_files("dem", dem_files);
  }
  for (std::size_t i = 0; i < log.warnings().size(); ++i) put("warning." + std::to_string(i + 1), log.warnings()[i]);
  clock.lap("checksums");
  for (const auto& [name, sec] : clock.stages) put("stage_seconds." + name, fixed(sec, 3));
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  put("total_seconds", fixed(total, 3));
  output.add_table(info);
  progress.cancel().throw_if_requested();
  output.commit();

  RunSummary sum;
  sum.output = plan.output;
  sum.villages = plan.villages.villages.size();
  sum.villages_without_terrain = outside.size() + nodata.size();
  sum.grid_rows = grid.rows();
  sum.grid_cols = grid.cols();
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  sum.warnings = log.warnings().size();
  return sum;
}

}  // namespace relocplan::pipeline
