// The tables of the batch summary: jobs compared per county with SQL over the
// working tables, villages' classes across jobs, and candidate sites grouped
// across jobs by overlap with GEOS.

#include "relocplan/batch/summary_tables.hpp"

#include <geos_c.h>
#include <ogr_api.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>

#include "relocplan/core/error.hpp"
#include "relocplan/core/union_find.hpp"
#include "relocplan/vector/geos.hpp"

namespace relocplan::batch {

using io::ColumnType;

namespace {

constexpr const char* kCandidateSql = "class IN ('relocate_whole','relocate_registered')";
// Classes in the order of the assessment, then anything unexpected by name.
constexpr const char* kClassRankSql =
    "CASE class WHEN 'relocate_whole' THEN 0 WHEN 'relocate_registered' THEN 1 WHEN 'review' THEN 2 "
    "WHEN 'stay' THEN 3 ELSE 4 END";

std::string overrides_text(const JobRecord& j) {
  std::string s;
  for (const auto& [k, v] : j.overrides) s += (s.empty() ? "" : "; ") + k + " = " + v;
  return s;
}

vector::GeomPtr geos_from_wkb(GEOSContextHandle_t ctx, const std::string& wkb, const std::string& context) {
  GEOSWKBReader* r = GEOSWKBReader_create_r(ctx);
  if (!r) throw core::InternalError("batch summary: cannot create a GEOS WKB reader");
  GEOSGeometry* g =
      GEOSWKBReader_read_r(ctx, r, reinterpret_cast<const unsigned char*>(wkb.data()), wkb.size());
  GEOSWKBReader_destroy_r(ctx, r);
  if (!g) throw core::InputError(context + ": a geometry cannot be read");
  return vector::wrap(ctx, g);
}

// The polygons of a geometry (GEOSMakeValid can add lines or points along
// collapsed parts), as a MultiPolygon; null when it has none.
vector::GeomPtr polygonal(GEOSContextHandle_t ctx, vector::GeomPtr g) {
  const int type = GEOSGeomTypeId_r(ctx, g.get());
  if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) return g;
  std::vector<GEOSGeometry*> parts;
  const int n = GEOSGetNumGeometries_r(ctx, g.get());
  for (int i = 0; i < n; ++i) {
    const GEOSGeometry* part = GEOSGetGeometryN_r(ctx, g.get(), i);
    const int pt = GEOSGeomTypeId_r(ctx, part);
    if (pt == GEOS_POLYGON) {
      parts.push_back(GEOSGeom_clone_r(ctx, part));
    } else if (pt == GEOS_MULTIPOLYGON) {
      for (int k = 0; k < GEOSGetNumGeometries_r(ctx, part); ++k)
        parts.push_back(GEOSGeom_clone_r(ctx, GEOSGetGeometryN_r(ctx, part, k)));
    }
  }
  if (parts.empty()) return vector::GeomPtr(nullptr, vector::GeomDeleter{ctx});
  return vector::wrap(ctx, GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts.data(),
                                                       static_cast<unsigned>(parts.size())));
}

// The per-county aggregate of job_summary; `key` is the grouping expression
// for the county ("county", or the literal of the total row).
std::string job_summary_sql(const std::string& key, int is_total) {
  const std::string k = key;
  // Every compared job has its total row, even one with no village or site
  // in its scope; the per-county rows come from the counties seen.
  const std::string keys = is_total ? "SELECT job_rank, " + k + " AS county FROM job_info"
                                    : "SELECT job_rank, " + k + " AS county FROM village_obs UNION SELECT job_rank, " +
                                          k + " FROM site_obs";
  return "WITH keys AS (" + keys + "),\n"
         " v AS (SELECT job_rank, " + k + " AS county, COUNT(*) AS villages, SUM(" + kCandidateSql +
         ") AS candidates, SUM(class = 'relocate_whole') AS rw, SUM(class = 'relocate_registered') AS rr, "
         "SUM(class = 'review') AS rv, SUM(class = 'stay') AS st, SUM(relocating_people) AS rp, "
         "SUM(relocating_households) AS rh, SUM(unallocated_households) AS uh FROM village_obs GROUP BY 1, 2),\n"
         " s AS (SELECT job_rank, " + k + " AS county, COUNT(*) AS sites, SUM(capacity_people) AS cp, "
         "SUM(capacity_households) AS ch FROM site_obs GROUP BY 1, 2),\n"
         " a AS (SELECT o.job_rank, " + (is_total ? k : "o.county") + " AS county, SUM(a.households) AS ah, "
         "SUM(a.people) AS ap, SUM(a.cost * a.households) / SUM(CASE WHEN a.cost IS NOT NULL THEN a.households END) "
         "AS mean_cost, MAX(a.cost) AS max_cost, MIN(a.cost_unit) AS unit FROM alloc_obs a JOIN village_obs o "
         "ON o.job_rank = a.job_rank AND o.village_id = a.village_id GROUP BY 1, 2)\n"
         "SELECT j.job_rank, j.job_id, j.variant, j.split_value, j.sample, keys.county, " + std::to_string(is_total) +
         ", COALESCE(v.villages, 0), COALESCE(v.candidates, 0), COALESCE(v.rw, 0), COALESCE(v.rr, 0), "
         "COALESCE(v.rv, 0), COALESCE(v.st, 0), "
         "CASE WHEN j.relocating THEN COALESCE(v.rp, 0) END, CASE WHEN j.relocating THEN COALESCE(v.rh, 0) END, "
         "CASE WHEN j.sites THEN COALESCE(s.sites, 0) END, "
         "CASE WHEN j.site_capacity THEN COALESCE(s.cp, 0) END, CASE WHEN j.site_capacity THEN COALESCE(s.ch, 0) END, "
         "CASE WHEN j.allocations THEN COALESCE(a.ah, 0) END, "
         "CASE WHEN j.allocations AND j.alloc_people THEN COALESCE(a.ap, 0) END, "
         "CASE WHEN j.unallocated THEN COALESCE(v.uh, 0) END, "
         "CASE WHEN j.allocations THEN a.mean_cost END, CASE WHEN j.allocations THEN a.max_cost END, "
         "CASE WHEN j.allocations THEN COALESCE(a.unit, j.cost_unit) END "
         "FROM keys JOIN job_info j ON j.job_rank = keys.job_rank "
         "LEFT JOIN v ON v.job_rank = keys.job_rank AND v.county IS keys.county "
         "LEFT JOIN s ON s.job_rank = keys.job_rank AND s.county IS keys.county "
         "LEFT JOIN a ON a.job_rank = keys.job_rank AND a.county IS keys.county";
}

// Site groups: connected components of the "overlaps" relation.
struct SiteObs {
  std::int64_t rank = 0;
  std::string site_id, county_text;
  std::optional<std::string> county;
  std::optional<std::int64_t> capacity_people, capacity_households, allocated_households;
  vector::GeomPtr geom;
  double area = 0;
};

using core::UnionFind;

}  // namespace

io::Table jobs_table(const std::vector<JobState>& jobs) {
  io::Table t;
  t.name = "jobs";
  t.description = "Every job of the batch: variant, overrides, split value, sample, status, and whether it was compared";
  t.columns = {{"job_id", ColumnType::text},      {"variant", ColumnType::text},   {"overrides", ColumnType::text},
               {"split_value", ColumnType::text}, {"sample", ColumnType::integer}, {"status", ColumnType::text},
               {"exit_code", ColumnType::integer}, {"message", ColumnType::text},  {"seconds", ColumnType::real},
               {"peak_mb", ColumnType::integer},
               {"scenario", ColumnType::text},    {"output", ColumnType::text},    {"compared", ColumnType::integer},
               {"note", ColumnType::text}};
  for (const JobState& js : jobs) {
    const JobRecord& j = *js.record;
    std::vector<io::Value> row;
    row.emplace_back(j.id);
    row.emplace_back(j.variant);
    row.emplace_back(overrides_text(j));
    row.emplace_back(j.split_value ? io::Value(*j.split_value) : io::Value(std::monostate{}));
    row.emplace_back(j.sample ? io::Value(static_cast<std::int64_t>(*j.sample)) : io::Value(std::monostate{}));
    row.emplace_back(std::string(to_string(j.status)));
    row.emplace_back(static_cast<std::int64_t>(j.exit_code));
    row.emplace_back(j.message.empty() ? io::Value(std::monostate{}) : io::Value(j.message));
    row.emplace_back(j.seconds);
    row.emplace_back(js.layers.peak_mb ? io::Value(*js.layers.peak_mb) : io::Value(std::monostate{}));
    row.emplace_back(j.scenario.empty() ? io::Value(std::monostate{}) : io::Value(j.scenario.string()));
    row.emplace_back(j.output.empty() ? io::Value(std::monostate{}) : io::Value(j.output.string()));
    row.emplace_back(static_cast<std::int64_t>(js.compared ? 1 : 0));
    row.emplace_back(js.note.empty() ? io::Value(std::monostate{}) : io::Value(js.note));
    t.rows.push_back(std::move(row));
  }
  return t;
}

io::Table job_summary_table(Database& db) {
  io::Table t;
  t.name = "job_summary";
  t.description = "Per job and county (and a total row per job, county '(all)'): candidate villages, relocating "
                  "people and households, sites and capacity, allocated and unallocated households, travel";
  t.columns = {{"job_id", ColumnType::text},
               {"variant", ColumnType::text},
               {"split_value", ColumnType::text},
               {"sample", ColumnType::integer},
               {"county", ColumnType::text},
               {"is_total", ColumnType::integer},
               {"villages", ColumnType::integer},
               {"candidate_villages", ColumnType::integer},
               {"relocate_whole", ColumnType::integer},
               {"relocate_registered", ColumnType::integer},
               {"review", ColumnType::integer},
               {"stay", ColumnType::integer},
               {"relocating_people", ColumnType::integer},
               {"relocating_households", ColumnType::integer},
               {"sites", ColumnType::integer},
               {"capacity_people", ColumnType::integer},
               {"capacity_households", ColumnType::integer},
               {"allocated_households", ColumnType::integer},
               {"allocated_people", ColumnType::integer},
               {"unallocated_households", ColumnType::integer},
               {"mean_travel", ColumnType::real},
               {"max_travel", ColumnType::real},
               {"travel_unit", ColumnType::text}};
  const std::string all = std::string("'") + kAllCounties + "'";
  const std::string sql = "SELECT * FROM (" + job_summary_sql("county", 0) + ") UNION ALL SELECT * FROM (" +
                          job_summary_sql(all, 1) + ") ORDER BY 1, 7, 6";
  Statement st(db, sql, "job_summary");
  while (st.step()) {
    std::vector<io::Value> row;
    for (std::size_t c = 0; c < t.columns.size(); ++c) row.push_back(st.value(static_cast<int>(c) + 1, t.columns[c].type));
    t.rows.push_back(std::move(row));
  }
  return t;
}

io::Table village_robustness_table(Database& db, const std::vector<JobState*>& by_rank, Geometries& geoms,
                                   bool sensitivity) {
  io::Table t;
  t.name = "village_robustness";
  t.description = "Per village across the compared jobs: how often it is a relocation candidate, the classes seen, "
                  "the variants in which it is a candidate";
  t.has_geometry = true;
  t.geometry_type = wkbPoint;
  t.crs_wkt = geoms.target->wkt();
  t.columns = {{"village_id", ColumnType::text},
               {"name", ColumnType::text},
               {"county", ColumnType::text},
               {"jobs_assessed", ColumnType::integer},
               {"jobs_candidate", ColumnType::integer},
               {"candidate_share", ColumnType::real},
               {"jobs_relocate_whole", ColumnType::integer},
               {"jobs_relocate_registered", ColumnType::integer},
               {"jobs_review", ColumnType::integer},
               {"jobs_stay", ColumnType::integer},
               {"sensitivity_runs", ColumnType::integer},
               {"sensitivity_candidate_share", ColumnType::real},
               {"classes_seen", ColumnType::text},
               {"candidate_variants", ColumnType::text}};

  // Ordered lists, built from ordered queries (group_concat's order is not defined).
  std::map<std::string, std::string> classes, variants;
  {
    Statement st(db,
                 std::string("SELECT DISTINCT village_id, class, ") + kClassRankSql +
                     " AS r FROM village_obs WHERE class IS NOT NULL ORDER BY village_id, r, class",
                 "village_robustness");
    while (st.step()) {
      std::string& s = classes[st.text(0)];
      s += (s.empty() ? "" : ", ") + st.text(1);
    }
  }
  {
    Statement st(db,
                 std::string("SELECT DISTINCT o.village_id, j.variant FROM village_obs o JOIN job_info j "
                             "ON j.job_rank = o.job_rank WHERE o.") +
                     kCandidateSql + " ORDER BY 1, 2",
                 "village_robustness");
    while (st.step()) {
      std::string& s = variants[st.text(0)];
      s += (s.empty() ? "" : ", ") + st.text(1);
    }
  }

  const std::string cand = std::string("o.") + kCandidateSql;
  const std::string sql =
      "WITH r AS (SELECT o.village_id, COUNT(DISTINCT o.job_rank) AS assessed, "
      "COUNT(DISTINCT CASE WHEN " + cand + " THEN o.job_rank END) AS candidate, "
      "COUNT(DISTINCT CASE WHEN o.class = 'relocate_whole' THEN o.job_rank END) AS rw, "
      "COUNT(DISTINCT CASE WHEN o.class = 'relocate_registered' THEN o.job_rank END) AS rr, "
      "COUNT(DISTINCT CASE WHEN o.class = 'review' THEN o.job_rank END) AS rv, "
      "COUNT(DISTINCT CASE WHEN o.class = 'stay' THEN o.job_rank END) AS st, "
      "COUNT(DISTINCT CASE WHEN j.sample IS NOT NULL THEN o.job_rank END) AS sens, "
      "COUNT(DISTINCT CASE WHEN j.sample IS NOT NULL AND " + cand + " THEN o.job_rank END) AS sens_candidate, "
      "MIN(o.rowid) AS first_row FROM village_obs o JOIN job_info j ON j.job_rank = o.job_rank "
      "GROUP BY o.village_id) "
      "SELECT r.village_id, f.name, f.county, r.assessed, r.candidate, CAST(r.candidate AS REAL) / r.assessed, "
      "r.rw, r.rr, r.rv, r.st, r.sens, "
      "CASE WHEN r.sens > 0 THEN CAST(r.sens_candidate AS REAL) / r.sens END, f.job_rank, f.geom "
      "FROM r JOIN village_obs f ON f.rowid = r.first_row ORDER BY r.village_id";
  Statement st(db, sql, "village_robustness");
  while (st.step()) {
    std::vector<io::Value> row;
    for (int c = 0; c < 10; ++c) row.push_back(st.value(c, t.columns[static_cast<std::size_t>(c)].type));
    if (sensitivity) {
      row.push_back(st.value(10, ColumnType::integer));
      row.push_back(st.value(11, ColumnType::real));
    } else {
      row.emplace_back(std::monostate{});
      row.emplace_back(std::monostate{});
    }
    const std::string id = st.text(0);
    auto ci = classes.find(id);
    row.push_back(ci != classes.end() ? io::Value(ci->second) : io::Value(std::monostate{}));
    auto vi = variants.find(id);
    row.push_back(vi != variants.end() ? io::Value(vi->second) : io::Value(std::monostate{}));
    const JobState& job = *by_rank.at(static_cast<std::size_t>(st.integer(12)));
    t.wkb.push_back(geoms.wkb(job, "villages", *job.layers.villages_crs, st.blob(13)));
    t.rows.push_back(std::move(row));
  }
  return t;
}

io::Table site_frequency_table(Database& db, const std::vector<JobState*>& by_rank, Geometries& geoms,
                               GEOSContextHandle_t ctx, const std::string& geos_error) {
  io::Table t;
  t.name = "site_frequency";
  t.description = "Candidate sites grouped across jobs by overlap (more than half of the smaller site): how many "
                  "jobs selected each group, and with which capacity";
  t.has_geometry = true;
  t.geometry_type = wkbMultiPolygon;
  t.crs_wkt = geoms.target->wkt();
  t.columns = {{"group_id", ColumnType::integer},
               {"jobs_selected", ColumnType::integer},
               {"jobs_compared", ColumnType::integer},
               {"share_of_jobs", ColumnType::real},
               {"jobs_with_people", ColumnType::integer},
               {"sites", ColumnType::integer},
               {"min_capacity_people", ColumnType::integer},
               {"max_capacity_people", ColumnType::integer},
               {"min_capacity_households", ColumnType::integer},
               {"max_capacity_households", ColumnType::integer},
               {"area_ha", ColumnType::real},
               {"counties", ColumnType::text},
               {"member_sites", ColumnType::text}};

  std::vector<SiteObs> sites;
  {
    Statement st(db,
                 "SELECT job_rank, site_id, county, capacity_people, capacity_households, allocated_households, geom "
                 "FROM site_obs ORDER BY job_rank, site_id, rowid",
                 "site_frequency");
    while (st.step()) {
      const JobState& job = *by_rank.at(static_cast<std::size_t>(st.integer(0)));
      const std::string wkb = geoms.wkb(job, "sites", *job.layers.sites_crs, st.blob(6));
      if (wkb.empty()) continue;  // a site without geometry cannot overlap anything
      const std::string where = "job '" + job.record->id + "': '" + job.record->output.string() + "', site '" +
                                st.text(1) + "'";
      vector::GeomPtr g = geos_from_wkb(ctx, wkb, where);
      if (GEOSisValid_r(ctx, g.get()) != 1) {
        GEOSGeometry* fixed_geom = GEOSMakeValid_r(ctx, g.get());
        if (!fixed_geom) throw core::InputError(where + ": invalid polygon that GEOS cannot repair: " + geos_error);
        g = vector::wrap(ctx, fixed_geom);
      }
      g = polygonal(ctx, std::move(g));
      if (!g || GEOSisEmpty_r(ctx, g.get()) == 1) continue;
      SiteObs s;
      s.rank = st.integer(0);
      s.site_id = st.text(1);
      s.county = st.opt_text(2);
      if (!st.is_null(3)) s.capacity_people = st.integer(3);
      if (!st.is_null(4)) s.capacity_households = st.integer(4);
      if (!st.is_null(5)) s.allocated_households = st.integer(5);
      if (GEOSArea_r(ctx, g.get(), &s.area) != 1) throw core::InternalError("batch summary: GEOS area failed");
      s.geom = std::move(g);
      sites.push_back(std::move(s));
    }
  }

  // Candidate pairs from an STRtree of the site envelopes, kept when the
  // intersection covers more than kSiteOverlapShare of the smaller site.
  UnionFind groups(sites.size());
  if (!sites.empty()) {
    GEOSSTRtree* tree = GEOSSTRtree_create_r(ctx, 10);
    if (!tree) throw core::InternalError("batch summary: cannot create a GEOS STRtree");
    std::unique_ptr<GEOSSTRtree, std::function<void(GEOSSTRtree*)>> tree_guard(
        tree, [ctx](GEOSSTRtree* p) { GEOSSTRtree_destroy_r(ctx, p); });
    std::vector<std::size_t> index(sites.size());
    std::iota(index.begin(), index.end(), std::size_t{0});
    for (std::size_t i = 0; i < sites.size(); ++i) GEOSSTRtree_insert_r(ctx, tree, sites[i].geom.get(), &index[i]);
    struct Query {
      std::size_t self;
      std::vector<std::size_t> hits;
    } q{0, {}};
    for (std::size_t i = 0; i < sites.size(); ++i) {
      q.self = i;
      q.hits.clear();
      GEOSSTRtree_query_r(
          ctx, tree, sites[i].geom.get(),
          [](void* item, void* user) {
            auto* qq = static_cast<Query*>(user);
            const std::size_t j = *static_cast<std::size_t*>(item);
            if (j > qq->self) qq->hits.push_back(j);
          },
          &q);
      std::sort(q.hits.begin(), q.hits.end());
      for (std::size_t j : q.hits) {
        if (groups.find(i) == groups.find(j)) continue;
        if (GEOSIntersects_r(ctx, sites[i].geom.get(), sites[j].geom.get()) != 1) continue;
        vector::GeomPtr inter(GEOSIntersection_r(ctx, sites[i].geom.get(), sites[j].geom.get()),
                              vector::GeomDeleter{ctx});
        if (!inter)
          throw core::InputError("sites '" + sites[i].site_id + "' and '" + sites[j].site_id +
                                 "': GEOS cannot intersect them: " + geos_error);
        double area = 0;
        if (GEOSArea_r(ctx, inter.get(), &area) != 1) throw core::InternalError("batch summary: GEOS area failed");
        const double smaller = std::min(sites[i].area, sites[j].area);
        if (smaller > 0 && area > kSiteOverlapShare * smaller) groups.unite(i, j);
      }
    }
  }

  std::map<std::size_t, std::vector<std::size_t>> members;  // root (first site) -> sites, in site order
  for (std::size_t i = 0; i < sites.size(); ++i) members[groups.find(i)].push_back(i);

  const double unit_m = geoms.target->is_projected() ? geoms.target->linear_unit_m() : 0.0;
  std::int64_t group_id = 0;
  for (const auto& [root, list] : members) {
    std::set<std::int64_t> jobs_selected, jobs_with_people;
    bool any_allocated_field = false;
    std::set<std::string> counties;
    std::optional<std::int64_t> min_cp, max_cp, min_ch, max_ch;
    std::string member_text;
    std::vector<GEOSGeometry*> parts;
    for (std::size_t i : list) {
      const SiteObs& s = sites[i];
      const JobState& job = *by_rank.at(static_cast<std::size_t>(s.rank));
      jobs_selected.insert(s.rank);
      if (job.layers.site_allocated) any_allocated_field = true;
      if (s.allocated_households && *s.allocated_households > 0) jobs_with_people.insert(s.rank);
      if (s.county) counties.insert(*s.county);
      if (s.capacity_people) {
        min_cp = min_cp ? std::min(*min_cp, *s.capacity_people) : *s.capacity_people;
        max_cp = max_cp ? std::max(*max_cp, *s.capacity_people) : *s.capacity_people;
      }
      if (s.capacity_households) {
        min_ch = min_ch ? std::min(*min_ch, *s.capacity_households) : *s.capacity_households;
        max_ch = max_ch ? std::max(*max_ch, *s.capacity_households) : *s.capacity_households;
      }
      member_text += (member_text.empty() ? "" : "; ") + job.record->id + ":" + s.site_id;
      parts.push_back(GEOSGeom_clone_r(ctx, s.geom.get()));
    }
    // Jobs that could have selected the group: compared jobs with a sites
    // layer, unperturbed by a split or split on one of the group's counties.
    std::int64_t could = 0;
    for (std::size_t r = 1; r < by_rank.size(); ++r) {
      const JobState* job = by_rank[r];
      if (!job || !job->compared || !job->layers.sites) continue;
      if (job->record->split_value && !counties.count(*job->record->split_value) && !jobs_selected.count(job->rank))
        continue;
      ++could;
    }
    vector::GeomPtr collection(
        GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, parts.data(), static_cast<unsigned>(parts.size())),
        vector::GeomDeleter{ctx});
    if (!collection) throw core::InternalError("batch summary: GEOS cannot collect site polygons: " + geos_error);
    vector::GeomPtr merged(GEOSUnaryUnion_r(ctx, collection.get()), vector::GeomDeleter{ctx});
    if (!merged) throw core::InputError("site group " + member_text + ": GEOS cannot merge the sites: " + geos_error);
    merged = polygonal(ctx, std::move(merged));
    double area = 0;
    if (merged && GEOSArea_r(ctx, merged.get(), &area) != 1) throw core::InternalError("batch summary: GEOS area failed");

    std::string county_text;
    for (const auto& c : counties) county_text += (county_text.empty() ? "" : ", ") + c;
    auto opt = [](const std::optional<std::int64_t>& v) { return v ? io::Value(*v) : io::Value(std::monostate{}); };
    std::vector<io::Value> row;
    row.emplace_back(++group_id);
    row.emplace_back(static_cast<std::int64_t>(jobs_selected.size()));
    row.emplace_back(could);
    row.emplace_back(could > 0 ? io::Value(static_cast<double>(jobs_selected.size()) / static_cast<double>(could))
                               : io::Value(std::monostate{}));
    row.emplace_back(any_allocated_field ? io::Value(static_cast<std::int64_t>(jobs_with_people.size()))
                                         : io::Value(std::monostate{}));
    row.emplace_back(static_cast<std::int64_t>(list.size()));
    row.push_back(opt(min_cp));
    row.push_back(opt(max_cp));
    row.push_back(opt(min_ch));
    row.push_back(opt(max_ch));
    row.emplace_back(unit_m > 0 ? io::Value(area * unit_m * unit_m / 10000.0) : io::Value(std::monostate{}));
    row.emplace_back(county_text.empty() ? io::Value(std::monostate{}) : io::Value(county_text));
    row.emplace_back(member_text);
    t.rows.push_back(std::move(row));
    t.wkb.push_back(merged ? vector::to_wkb(ctx, merged.get()) : std::string());
  }
  return t;
}

io::Table batch_file_table(const SummaryInput& in) {
  io::Table t;
  t.name = "batch_file";
  t.description = "The batch file this summary was made from";
  t.columns = {{"path", ColumnType::text}, {"text", ColumnType::text}};
  std::vector<io::Value> row;
  row.emplace_back(in.batch_file.string());
  row.emplace_back(in.batch_text);
  t.rows.push_back(std::move(row));
  return t;
}

io::Table batch_log_table(const SummaryInput& in) {
  io::Table t;
  t.name = "batch_log";
  t.description = "The batch log, one row per line";
  t.columns = {{"line", ColumnType::integer}, {"text", ColumnType::text}};
  std::size_t start = 0;
  std::int64_t n = 0;
  const std::string& s = in.log_text;
  while (start < s.size()) {
    std::size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    std::string line = s.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<io::Value> row;
    row.emplace_back(++n);
    row.emplace_back(std::move(line));
    t.rows.push_back(std::move(row));
    start = end + 1;
  }
  return t;
}

}  // namespace relocplan::batch
