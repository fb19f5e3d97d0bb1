#include "relocplan/pipeline/run.hpp"
#include "relocplan/pipeline/tables.hpp"
#include "relocplan/pipeline/text.hpp"

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

