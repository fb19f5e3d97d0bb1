// The output tables of a run (see tables.hpp): villages with their terrain
// figures, assessment and allocation, territories, criteria, county and
// township summaries, public-notice lists, sites with their load, and
// allocations.

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

io::Value opt_value(const std::optional<bool>& v);
std::string csv_field(const std::string& s);

}  // namespace

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
namespace {

io::Value opt_value(const std::optional<bool>& v) {
  return v ? io::Value(static_cast<std::int64_t>(*v ? 1 : 0)) : io::Value(std::monostate{});
}

}  // namespace

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

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Public-notice lists, one CSV per township: identification ends in a public
// notice of who is to move and why.
}  // namespace

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


void add_allocation_columns(io::Table& t, const allocation::AllocationResult& a) {
  t.columns.push_back({"allocated_households", io::ColumnType::integer});
  t.columns.push_back({"main_site_id", io::ColumnType::text});
  t.columns.push_back({"unallocated_households", io::ColumnType::integer});
  t.columns.push_back({"unallocated_reason", io::ColumnType::text});
  std::vector<std::int64_t> got(t.rows.size(), 0), best(t.rows.size(), 0), left(t.rows.size(), 0);
  std::vector<std::string> main_site(t.rows.size()), reason(t.rows.size());
  for (const auto& as : a.solution.assignments) {
    const std::size_t vi = a.villages[as.village].index;
    got[vi] += as.households;
    if (as.households > best[vi]) {
      best[vi] = as.households;
      main_site[vi] = a.sites[as.site].id;
    }
  }
  for (const auto& u : a.solution.unallocated) {
    const std::size_t vi = a.villages[u.village].index;
    left[vi] += u.households;
    reason[vi] = u.reason;
  }
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    t.rows[i].push_back(got[i]);
    t.rows[i].push_back(main_site[i].empty() ? io::Value(std::monostate{}) : io::Value(main_site[i]));
    t.rows[i].push_back(left[i]);
    t.rows[i].push_back(reason[i].empty() ? io::Value(std::monostate{}) : io::Value(reason[i]));
  }
}

void add_site_load_columns(io::Table& t, const sites::SiteSearchResult& found, const allocation::AllocationResult& a) {
  t.columns.push_back({"allocated_households", io::ColumnType::integer});
  t.columns.push_back({"allocated_people", io::ColumnType::integer});
  t.columns.push_back({"utilisation_pct", io::ColumnType::real});
  std::vector<std::int64_t> hh(t.rows.size(), 0), people(t.rows.size(), 0);
  for (const auto& as : a.solution.assignments) {
    const std::size_t j = a.sites[as.site].index;
    hh[j] += as.households;
    people[j] += static_cast<std::int64_t>(
        std::llround(static_cast<double>(as.households) * a.villages[as.village].people_per_household));
  }
  for (std::size_t j = 0; j < t.rows.size(); ++j) {
    const auto cap = found.sites[j].capacity_households;
    t.rows[j].push_back(hh[j]);
    t.rows[j].push_back(people[j]);
    t.rows[j].push_back(cap > 0 ? io::Value(100.0 * static_cast<double>(hh[j]) / static_cast<double>(cap))
                                : io::Value(std::monostate{}));
  }
}

}  // namespace relocplan::pipeline
