// The output tables of a run (see tables.hpp): villages with their terrain
// figures, assessment and allocation, territories, criteria, county and
// township summaries, public-notice lists, sites with their load, and
// allocations.

#include "relocplan/pipeline/tables.hpp"
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

io::Value opt_value(const std::optional<double>& v) { return v ? io::Value(*v) : io::Value(std::monostate{}); }
io::Value opt_value(const std::optional<std::int64_t>& v) { return v ? io::Value(*v) : io::Value(std::monostate{}); }
io::Value opt_value(const std::optional<std::string>& v) { return v ? io::Value(*v) : io::Value(std::monostate{}); }
io::Value opt_value(const std::optional<bool>& v) {
  return v ? io::Value(static_cast<std::int64_t>(*v ? 1 : 0)) : io::Value(std::monostate{});
}
std::string csv_field(const std::string& s);

// The assessment's fields of one village, appended to its row.
void append_assessment(std::vector<io::Value>& row, const criteria::Territory& territory,
                       const criteria::TerritoryStats& z, const criteria::PointCriteria& p,
                       const criteria::VillageAssessment& a) {
  auto desert = [&](int g) -> io::Value {
    return z.desertification_ha ? io::Value((*z.desertification_ha)[static_cast<std::size_t>(g)])
                                : io::Value(std::monostate{});
  };
  auto susc = [&](int c) -> io::Value {
    return z.susceptibility_pct ? io::Value((*z.susceptibility_pct)[static_cast<std::size_t>(c)])
                                : io::Value(std::monostate{});
  };
  row.insert(
      row.end(),
      {io::Value(territory.method), io::Value(z.area_ha), opt_value(z.mean_slope_deg), opt_value(z.max_slope_deg),
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
       io::Value(a.cls), io::Value(a.relocating_people), io::Value(a.relocating_households),
       io::Value(a.reason_codes()), io::Value(a.reasons_text())});
}

}  // namespace

io::RowSource village_rows(const Plan& plan, const std::vector<criteria::VillageTerrain>& terrain,
                           const std::vector<criteria::Territory>& territories,
                           const std::vector<criteria::TerritoryStats>& zonal,
                           const std::vector<criteria::PointCriteria>& points,
                           const std::vector<criteria::VillageAssessment>& assessed,
                           const allocation::AllocationResult* allocated) {
  using io::Column;
  using io::ColumnType;
  io::RowSource src;
  io::LayerSchema& t = src.schema;
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
  for (const auto& [name, type] : assessment_columns()) t.columns.push_back({name, type});
  // The allocation's fields: households allocated, the main site (the one
  // taking most of the village's households), what is left and why; kept as
  // indexes per village until each row is written.
  struct Allocated {
    std::vector<std::int64_t> got, left;
    std::vector<std::int64_t> main_site, reason;  // index into sites / solution.unallocated, or -1
  };
  auto al = std::make_shared<Allocated>();
  if (allocated) {
    t.columns.insert(t.columns.end(), {{"allocated_households", ColumnType::integer},
                                       {"main_site_id", ColumnType::text},
                                       {"unallocated_households", ColumnType::integer},
                                       {"unallocated_reason", ColumnType::text}});
    const std::size_t n = plan.villages.villages.size();
    al->got.assign(n, 0);
    al->left.assign(n, 0);
    std::vector<std::int64_t> best(n, 0);  // households going to the main site so far
    al->main_site.assign(n, -1);
    al->reason.assign(n, -1);
    for (const auto& as : allocated->solution.assignments) {
      const std::size_t vi = allocated->villages[as.village].index;
      al->got[vi] += as.households;
      if (as.households > best[vi]) {
        best[vi] = as.households;
        al->main_site[vi] = static_cast<std::int64_t>(as.site);
      }
    }
    for (std::size_t k = 0; k < allocated->solution.unallocated.size(); ++k) {
      const auto& u = allocated->solution.unallocated[k];
      const std::size_t vi = allocated->villages[u.village].index;
      al->left[vi] += u.households;
      al->reason[vi] = static_cast<std::int64_t>(k);
    }
  }

  const double radius = plan.scenario.thresholds.value("terrain", "village_radius_m");
  src.size = plan.villages.villages.size();
  src.row = [&plan, &terrain, &territories, &zonal, &points, &assessed, allocated, al, radius](
                std::size_t i, std::vector<io::Value>& row, std::string& wkb) {
    const auto& v = plan.villages.villages[i];
    const auto& tr = terrain[i];
    row.insert(row.end(), {io::Value(v.id), opt_value(v.name), opt_value(v.county), opt_value(v.township),
                           opt_value(v.population), opt_value(v.households), opt_value(v.poor_households)});
    for (const auto& e : v.extra) std::visit([&](const auto& x) { row.emplace_back(x); }, e);
    std::string note;
    if (tr.outside_grid) note = "outside the analysis grid";
    else if (!tr.elevation_m) note = "on DEM NoData or outside the DEM";
    else if (tr.nbhd_valid_pct < 99.0) note = "neighbourhood only " + fixed(tr.nbhd_valid_pct, 0) + " % covered by the DEM";
    row.insert(row.end(), {io::Value(v.lon), io::Value(v.lat), opt_value(tr.elevation_m), opt_value(tr.slope_deg),
                           opt_value(tr.aspect_deg), opt_value(tr.relief_m), io::Value(radius),
                           opt_value(tr.nbhd_mean_slope_deg), opt_value(tr.nbhd_steep_pct),
                           opt_value(tr.nbhd_max_relief_m), opt_value(tr.nbhd_mean_elevation_m),
                           io::Value(tr.nbhd_valid_pct),
                           note.empty() ? io::Value(std::monostate{}) : io::Value(note)});
    append_assessment(row, territories[i], zonal[i], points[i], assessed[i]);
    if (allocated) {
      auto idx_text = [](std::int64_t k, auto&& text) -> io::Value {
        return k < 0 ? io::Value(std::monostate{}) : io::Value(text(static_cast<std::size_t>(k)));
      };
      row.emplace_back(al->got[i]);
      row.push_back(idx_text(al->main_site[i], [&](std::size_t k) { return allocated->sites[k].id; }));
      row.emplace_back(al->left[i]);
      row.push_back(idx_text(al->reason[i], [&](std::size_t k) { return allocated->solution.unallocated[k].reason; }));
    }
    wkb = io::point_wkb(v.x, v.y);
  };
  return src;
}


io::RowSource territory_rows(const Plan& plan, const std::vector<criteria::Territory>& territories,
                             const core::ScratchRecords& outlines, const std::vector<criteria::VillageAssessment>& as) {
  io::RowSource src;
  io::LayerSchema& t = src.schema;
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
  src.size = territories.size();
  src.row = [&plan, &territories, &outlines, &as](std::size_t i, std::vector<io::Value>& row, std::string& wkb) {
    const auto& v = plan.villages.villages[i];
    row.insert(row.end(), {io::Value(v.id), opt_value(v.name), opt_value(v.county), opt_value(v.township),
                           io::Value(territories[i].method), io::Value(territories[i].area_m2 / 10000.0),
                           io::Value(as[i].cls)});
    outlines.read(i, wkb);
  };
  return src;
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

io::RowSource site_rows(const Plan& plan, const sites::SiteSearchResult& found,
                        const allocation::AllocationResult* allocated, GEOSContextHandle_t ctx) {
  io::RowSource src;
  io::LayerSchema& t = src.schema;
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
  // Each site's load: households and people allocated to it.
  struct Load {
    std::vector<std::int64_t> hh, people;
  };
  auto load = std::make_shared<Load>();
  if (allocated) {
    t.columns.push_back({"allocated_households", ColumnType::integer});
    t.columns.push_back({"allocated_people", ColumnType::integer});
    t.columns.push_back({"utilisation_pct", ColumnType::real});
    load->hh.assign(found.sites.size(), 0);
    load->people.assign(found.sites.size(), 0);
    for (const auto& as : allocated->solution.assignments) {
      const std::size_t j = allocated->sites[as.site].index;
      load->hh[j] += as.households;
      load->people[j] += static_cast<std::int64_t>(
          std::llround(static_cast<double>(as.households) * allocated->villages[as.village].people_per_household));
    }
  }
  src.size = found.sites.size();
  src.row = [&found, allocated, load, ctx](std::size_t j, std::vector<io::Value>& row, std::string& wkb) {
    const auto& st = found.sites[j];
    row.insert(row.end(),
               {io::Value(st.id), st.name.empty() ? io::Value(std::monostate{}) : io::Value(st.name),
                io::Value(st.source), io::Value(st.area_ha), io::Value(st.buildable_ha), opt_value(st.mean_suitability),
                opt_value(st.min_suitability), io::Value(st.capacity_people), io::Value(st.capacity_households),
                opt_value(st.nearest_town), opt_value(st.travel_min), opt_value(st.dist_road_m),
                opt_value(st.dist_school_m), opt_value(st.dist_clinic_m), opt_value(st.county), opt_value(st.township),
                st.limiting_factor.empty() ? io::Value(std::monostate{}) : io::Value(st.limiting_factor),
                io::Value(st.excluded_pct)});
    if (allocated) {
      const auto cap = st.capacity_households;
      row.emplace_back(load->hh[j]);
      row.emplace_back(load->people[j]);
      row.push_back(cap > 0 ? io::Value(100.0 * static_cast<double>(load->hh[j]) / static_cast<double>(cap))
                            : io::Value(std::monostate{}));
    }
    wkb = vector::to_wkb(ctx, st.geometry.get());
  };
  return src;
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

io::RowSource allocation_rows(const Plan& plan, const allocation::AllocationResult& a) {
  io::RowSource src;
  io::LayerSchema& t = src.schema;
  t.name = "allocations";
  t.description = "Who goes where: one line from each village to each site it sends households to";
  t.has_geometry = true;
  t.geometry_type = 2;  // wkbLineString
  t.crs_wkt = plan.grid.crs_wkt();
  using io::ColumnType;
  t.columns = {{"village_id", ColumnType::text}, {"site_id", ColumnType::text},   {"households", ColumnType::integer},
               {"people", ColumnType::integer},  {"cost", ColumnType::real},       {"cost_unit", ColumnType::text},
               {"same_county", ColumnType::integer}};
  src.size = a.solution.assignments.size();
  src.row = [&a](std::size_t k, std::vector<io::Value>& row, std::string& wkb) {
    const auto& as = a.solution.assignments[k];
    const auto& v = a.villages[as.village];
    const auto& st = a.sites[as.site];
    const auto people =
        static_cast<std::int64_t>(std::llround(static_cast<double>(as.households) * v.people_per_household));
    row.insert(row.end(), {io::Value(v.id), io::Value(st.id), io::Value(as.households), io::Value(people),
                           io::Value(as.cost_per_household), io::Value(a.cost_unit),
                           io::Value(static_cast<std::int64_t>(v.county == st.county ? 1 : 0))});
    wkb.assign(1, '\1');
    const std::uint32_t type = 2, n = 2;
    wkb.append(reinterpret_cast<const char*>(&type), 4).append(reinterpret_cast<const char*>(&n), 4);
    for (double c : {v.x, v.y, st.x, st.y}) wkb.append(reinterpret_cast<const char*>(&c), 8);
  };
  return src;
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


}  // namespace relocplan::pipeline
