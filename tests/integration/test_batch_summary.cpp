// The batch summary: job GeoPackages made by `relocplan run` on variants of
// the sample county (one in another CRS, one without sites and allocation),
// and small hand-made job GeoPackages whose site groups are known. Every
// number of the summary is checked against sums computed here, directly on
// the job outputs, with SQLite.

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "relocplan/batch/summary.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/core/log.hpp"
#include "test_support.hpp"

using namespace relocplan;
using testsupport::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kExe = RELOCPLAN_EXE;
const fs::path kSampleDir = RELOCPLAN_TEST_SAMPLE_DIR;

// ---------------------------------------------------------------------------
// SQLite, for reading outputs independently of the code under test.

using Row = std::vector<std::optional<std::string>>;

std::vector<Row> query(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    FAIL("cannot open " << file);
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    const std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    FAIL("query failed on " << file << ": " << msg << "\n" << sql);
  }
  std::vector<Row> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    Row r;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      if (sqlite3_column_type(st, c) == SQLITE_NULL) {
        r.emplace_back(std::nullopt);
      } else if (sqlite3_column_type(st, c) == SQLITE_BLOB) {
        const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(st, c));
        std::string hex;
        static const char* digits = "0123456789abcdef";
        for (int i = 0; i < sqlite3_column_bytes(st, c); ++i) {
          hex += digits[p[i] >> 4];
          hex += digits[p[i] & 15];
        }
        r.emplace_back(hex);
      } else {
        r.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c))));
      }
    }
    rows.push_back(std::move(r));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

std::string str(const std::optional<std::string>& v) { return v ? *v : "NULL"; }

std::string dump(const fs::path& file, const std::string& table) {
  std::string s;
  for (const auto& r : query(file, "SELECT * FROM \"" + table + "\" ORDER BY 1")) {
    for (const auto& v : r) s += str(v) + "|";
    s += "\n";
  }
  return s;
}

std::set<std::string> tables_of(const fs::path& file) {
  std::set<std::string> t;
  for (const auto& r : query(file, "SELECT table_name FROM gpkg_contents")) t.insert(*r[0]);
  return t;
}

bool validator_available() {
  return testsupport::run_command({"/usr/bin/python3", "-c", "import osgeo_utils.samples.validate_gpkg"}).exit_code == 0;
}

void check_validator(const fs::path& file) {
  if (!validator_available()) {
    WARN("GDAL's GeoPackage validator (python3-gdal) is not installed; validation skipped");
    return;
  }
  const auto r = testsupport::run_command({"/usr/bin/python3", "-m", "osgeo_utils.samples.validate_gpkg", file.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
}

batch::JobRecord job(const std::string& id, const std::string& variant, const fs::path& output,
                     batch::JobStatus status = batch::JobStatus::done) {
  batch::JobRecord j;
  j.id = id;
  j.variant = variant;
  j.output = output;
  j.status = status;
  j.seconds = 1.5;
  j.scenario = output.parent_path() / (id + ".toml");
  return j;
}

// ---------------------------------------------------------------------------
// Job outputs from the sample county: made once per test program.

struct SampleJobs {
  TempDir dir;
  fs::path base, steep_utm, no_sites;
};

std::string sample_scenario_text(const std::string& crs, const std::string& bounds) {
  std::string text = testsupport::read_text(fs::path(RELOCPLAN_SOURCE_DIR) / "samples/sample-county/scenario.toml");
  auto replace = [&](const std::string& from, const std::string& to) {
    const auto p = text.find(from);
    REQUIRE(p != std::string::npos);
    text.replace(p, from.size(), to);
  };
  const std::string data = (kSampleDir / "data").string();
  for (std::size_t p = text.find("path = \"data/"); p != std::string::npos; p = text.find("path = \"data/", p + 1))
    text.replace(p, std::string("path = \"data/").size(), "path = \"" + data + "/");
  replace("crs = \"auto\"", "crs = \"" + crs + "\"");
  // A 15 km x 16 km window across the border of the two counties: quick, and
  // both counties have villages inside it.
  replace("from = \"villages\"", "from = \"bounds\"\nbounds = " + bounds);
  replace("path = \"../../out/sample.gpkg\"", "path = \"unused.gpkg\"");
  return text;
}

void run_job(const fs::path& scenario, const fs::path& out) {
  const auto r = testsupport::run_command({kExe, "run", scenario.string(), "-o", out.string(), "--overwrite", "-q"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

void make_sample_jobs(SampleJobs& j) {
  {
    const std::string gk_bounds = "[425000, 2868000, 440000, 2884000]";
    // The same window in UTM zone 48N (the sample's land-cover CRS).
    const std::string utm_bounds = "[726000, 2869000, 739000, 2883000]";

    const fs::path a = j.dir / "base.toml";
    testsupport::write_text(a, sample_scenario_text("EPSG:4545", gk_bounds));
    j.base = j.dir / "base.gpkg";
    run_job(a, j.base);

    // Another CRS, a stricter steep-land rule and a stricter site slope limit.
    std::string text = sample_scenario_text("EPSG:32648", utm_bounds);
    text.replace(text.find("steep_slope_deg = 25"), std::string("steep_slope_deg = 25").size(), "steep_slope_deg = 20");
    text += "\n[thresholds.sites]\nmax_slope_deg = 15\n";
    const fs::path b = j.dir / "steep.toml";
    testsupport::write_text(b, text);
    j.steep_utm = j.dir / "steep.gpkg";
    run_job(b, j.steep_utm);

    // Assessment only: no [sites], no [allocation].
    text = sample_scenario_text("EPSG:4545", gk_bounds);
    const auto s0 = text.find("[sites]");
    const auto s1 = text.find("[processing]");
    REQUIRE(s0 != std::string::npos);
    REQUIRE(s1 != std::string::npos);
    text.erase(s0, s1 - s0);
    const fs::path c = j.dir / "nosites.toml";
    testsupport::write_text(c, text);
    j.no_sites = j.dir / "nosites.gpkg";
    run_job(c, j.no_sites);
  }
}

const SampleJobs& sample_jobs() {
  static SampleJobs jobs;
  static const bool made = (make_sample_jobs(jobs), true);
  REQUIRE(made);
  return jobs;
}

// The jobs of the e2e batch: three variants, a split job on the base output,
// a failed job, a done job whose output is missing and one whose output is
// not a GeoPackage.
constexpr const char* kSplitCounty = "黔山县";

struct Batch {
  batch::SummaryInput input;
  fs::path corrupt;
};

Batch make_batch(const SampleJobs& s, const fs::path& dest) {
  Batch b;
  b.corrupt = s.dir / "corrupt.gpkg";
  testsupport::write_text(b.corrupt, "this is not a GeoPackage\n");
  auto& jobs = b.input.jobs;
  jobs.push_back(job("j10-nosites", "nosites", s.no_sites));
  jobs.back().overrides = {{"sites", "(removed)"}};
  jobs.push_back(job("j2-steep", "steep", s.steep_utm));
  jobs.back().overrides = {{"grid.crs", "\"EPSG:32648\""}, {"thresholds.terrain.steep_slope_deg", "20"}};
  jobs.back().sample = 1;
  jobs.push_back(job("j1-base", "base", s.base));
  jobs.push_back(job("j3-base-qianshan", "base", s.base));
  jobs.back().split_value = kSplitCounty;
  jobs.back().status = batch::JobStatus::skipped;
  jobs.push_back(job("j4-broken", "broken", s.dir / "broken.gpkg", batch::JobStatus::failed));
  jobs.back().exit_code = 3;
  jobs.back().message = "villages: field 'pop' not found";
  jobs.push_back(job("j5-missing", "base", s.dir / "missing.gpkg"));
  jobs.push_back(job("j6-corrupt", "base", b.corrupt));
  b.input.batch_file = s.dir / "batch.toml";
  b.input.batch_text = "[batch]\nname = \"test\"\n";
  b.input.log_text = "job j1-base: done\njob j4-broken: failed\n";
  b.input.sensitivity = true;
  b.input.destination = dest;
  b.input.overwrite = true;
  return b;
}

// Independent per-county figures of one job output: county -> values, with
// "(all)" for the total. Columns as in job_summary.
std::map<std::string, Row> expected_job_rows(const fs::path& gpkg, const std::optional<std::string>& split) {
  const auto tables = tables_of(gpkg);
  const bool sites = tables.count("sites") > 0;
  const bool alloc = tables.count("allocations") > 0;
  const std::string where = split ? " WHERE county = '" + *split + "'" : "";
  std::map<std::string, Row> out;
  for (const bool total : {false, true}) {
    const std::string key = total ? "'(all)'" : "county";
    std::string sql =
        "SELECT k, (SELECT COUNT(*) FROM villages v WHERE (" + key + ") IS k" + (split ? " AND county = '" + *split + "'" : "") +
        "), (SELECT COUNT(*) FROM villages v WHERE class LIKE 'relocate_%' AND (" + key + ") IS k" +
        (split ? " AND county = '" + *split + "'" : "") + "), (SELECT SUM(relocating_people) FROM villages v WHERE (" + key +
        ") IS k" + (split ? " AND county = '" + *split + "'" : "") +
        "), (SELECT SUM(relocating_households) FROM villages v WHERE (" + key + ") IS k" +
        (split ? " AND county = '" + *split + "'" : "") + ")";
    if (sites)
      sql += ", (SELECT COUNT(*) FROM sites s WHERE (" + key + ") IS k" + (split ? " AND county = '" + *split + "'" : "") +
             "), (SELECT SUM(capacity_people) FROM sites s WHERE (" + key + ") IS k" +
             (split ? " AND county = '" + *split + "'" : "") + "), (SELECT SUM(capacity_households) FROM sites s WHERE (" +
             key + ") IS k" + (split ? " AND county = '" + *split + "'" : "") + ")";
    else
      sql += ", NULL, NULL, NULL";
    if (alloc)
      sql += ", (SELECT SUM(a.households) FROM allocations a JOIN villages v USING (village_id) WHERE (" + key +
             ") IS k" + (split ? " AND v.county = '" + *split + "'" : "") +
             "), (SELECT SUM(a.people) FROM allocations a JOIN villages v USING (village_id) WHERE (" + key +
             ") IS k" + (split ? " AND v.county = '" + *split + "'" : "") +
             "), (SELECT SUM(unallocated_households) FROM villages v WHERE (" + key + ") IS k" +
             (split ? " AND county = '" + *split + "'" : "") +
             "), (SELECT MAX(a.cost) FROM allocations a JOIN villages v USING (village_id) WHERE (" + key +
             ") IS k" + (split ? " AND v.county = '" + *split + "'" : "") + ")";
    else
      sql += ", NULL, NULL, NULL, NULL";
    sql += " FROM (SELECT DISTINCT " + key + " AS k FROM villages" + where +
           (sites ? " UNION SELECT DISTINCT " + key + " FROM sites" + where : std::string()) + ")";
    for (auto& r : query(gpkg, sql)) {
      const std::string k = str(r[0]);
      // Sums over no rows are 0 where the layer exists.
      for (std::size_t c : {3, 4}) if (!r[c]) r[c] = "0";
      if (sites)
        for (std::size_t c : {6, 7}) if (!r[c]) r[c] = "0";
      if (alloc)
        for (std::size_t c : {8, 9, 10}) if (!r[c]) r[c] = "0";
      out[k] = r;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("batch summary of sample-county variants equals the sums over the job outputs", "[batch][summary]") {
  const SampleJobs& s = sample_jobs();
  TempDir out;
  ::setenv("OGR_CURRENT_DATE", "2024-05-01T00:00:00Z", 1);
  Batch b = make_batch(s, out / "summary.gpkg");
  std::ostringstream log_text;
  core::Log log(core::Verbosity::quiet, &log_text);
  const auto result = batch::write_summary(b.input, log);
  const fs::path sum = out / "summary.gpkg";
  REQUIRE(fs::exists(sum));
  CHECK(result.jobs_listed == 7);
  CHECK(result.jobs_compared == 4);
  CHECK(result.jobs_left_out == 2);
  CHECK(result.jobs_failed == 1);
  // The left-out files are named in the warnings.
  CHECK_THAT(log_text.str(), Catch::Contains("missing.gpkg") && Catch::Contains("corrupt.gpkg"));

  SECTION("layers") {
    const auto t = tables_of(sum);
    for (const char* name : {"jobs", "job_summary", "village_robustness", "site_frequency", "batch_file", "batch_log",
                             "summary_info"})
      CHECK(t.count(name) == 1);
    const auto geom = query(sum, "SELECT table_name, geometry_type_name, srs_id FROM gpkg_geometry_columns ORDER BY 1");
    REQUIRE(geom.size() == 3);
    CHECK(*geom[0][0] == "contested_villages");  // a view of village_robustness
    CHECK(*geom[0][1] == "POINT");
    CHECK(*geom[1][0] == "site_frequency");
    CHECK(*geom[1][1] == "MULTIPOLYGON");
    CHECK(*geom[1][2] == "4545");  // the first compared job's CRS (j1-base)
    CHECK(*geom[2][0] == "village_robustness");
    CHECK(*geom[2][1] == "POINT");
    CHECK(*query(sum, "SELECT type FROM sqlite_master WHERE name = 'contested_villages'")[0][0] == "view");
    CHECK(dump(sum, "batch_file") == "1|" + (s.dir / "batch.toml").string() + "|[batch]\nname = \"test\"\n|\n");
    CHECK(dump(sum, "batch_log") == "1|1|job j1-base: done|\n2|2|job j4-broken: failed|\n");
    const auto info = query(sum, "SELECT value FROM summary_info WHERE key = 'created_utc'");
    REQUIRE(info.size() == 1);
    CHECK(*info[0][0] == "2024-05-01T00:00:00Z");
  }

  SECTION("jobs: every job, in natural id order, failed and left-out ones with their message") {
    const auto rows = query(sum, "SELECT job_id, status, exit_code, message, compared, note, split_value, sample, "
                                 "overrides FROM jobs ORDER BY fid");
    REQUIRE(rows.size() == 7);
    std::vector<std::string> ids;
    for (const auto& r : rows) ids.push_back(*r[0]);
    CHECK(ids == std::vector<std::string>{"j1-base", "j2-steep", "j3-base-qianshan", "j4-broken", "j5-missing",
                                          "j6-corrupt", "j10-nosites"});
    CHECK(str(rows[3][1]) == "failed");
    CHECK(str(rows[3][2]) == "3");
    CHECK(str(rows[3][3]) == "villages: field 'pop' not found");
    CHECK(str(rows[3][4]) == "0");
    CHECK(str(rows[4][4]) == "0");
    CHECK_THAT(str(rows[4][5]), Catch::Contains("does not exist"));
    CHECK(str(rows[5][4]) == "0");
    CHECK_THAT(str(rows[5][5]), Catch::Contains("corrupt.gpkg"));
    CHECK(str(rows[0][4]) == "1");
    CHECK(str(rows[2][1]) == "skipped");
    CHECK(str(rows[2][6]) == kSplitCounty);
    CHECK(str(rows[1][7]) == "1");
    CHECK(str(rows[1][8]) == "grid.crs = \"EPSG:32648\"; thresholds.terrain.steep_slope_deg = 20");
    // Peak memory from each read job's run_info; none for a failed job.
    const auto peaks = query(sum, "SELECT job_id, peak_mb FROM jobs ORDER BY fid");
    CHECK(std::stol(str(peaks[0][1])) > 0);
    CHECK(std::stol(str(peaks[2][1])) > 0);
    CHECK(str(peaks[3][1]) == "NULL");
  }

  SECTION("job_summary equals the sums over each job's layers") {
    struct Expect {
      std::string id;
      fs::path file;
      std::optional<std::string> split;
    };
    for (const Expect& e : {Expect{"j1-base", s.base, std::nullopt}, Expect{"j2-steep", s.steep_utm, std::nullopt},
                            Expect{"j3-base-qianshan", s.base, std::string(kSplitCounty)},
                            Expect{"j10-nosites", s.no_sites, std::nullopt}}) {
      INFO("job " << e.id);
      const auto expected = expected_job_rows(e.file, e.split);
      const auto got = query(sum,
                             "SELECT county, villages, candidate_villages, relocating_people, relocating_households, "
                             "sites, capacity_people, capacity_households, allocated_households, allocated_people, "
                             "unallocated_households, max_travel, is_total, mean_travel, travel_unit FROM job_summary "
                             "WHERE job_id = '" + e.id + "' ORDER BY fid");
      REQUIRE(got.size() == expected.size());
      std::size_t totals = 0;
      for (const auto& r : got) {
        const std::string county = str(r[0]);
        INFO("county " << county);
        REQUIRE(expected.count(county) == 1);
        const Row& x = expected.at(county);
        for (std::size_t c = 1; c <= 10; ++c) {
          INFO("column " << c);
          CHECK(str(r[c]) == str(x[c]));
        }
        if (x[11]) {
          REQUIRE(r[11]);
          CHECK(std::stod(*r[11]) == Approx(std::stod(*x[11])));
        } else {
          CHECK(!r[11]);
        }
        if (str(r[12]) == "1") {
          ++totals;
          CHECK(county == "(all)");
        }
      }
      CHECK(totals == 1);
      if (e.id == "j10-nosites") {
        // No sites and no allocation: NULL, not 0.
        for (const auto& r : got)
          for (std::size_t c : {5, 6, 7, 8, 9, 10, 11, 13, 14}) CHECK(!r[c]);
      }
      if (e.split) {
        CHECK(got.size() == 2);  // the split county and the total
      }
    }
    // Household-weighted mean travel of one job, computed here.
    const auto mean = query(s.base, "SELECT SUM(cost * households) / SUM(households), MIN(cost_unit) FROM allocations");
    const auto got = query(sum, "SELECT mean_travel, travel_unit FROM job_summary WHERE job_id = 'j1-base' AND is_total = 1");
    REQUIRE(got.size() == 1);
    REQUIRE(mean[0][0]);
    CHECK(std::stod(*got[0][0]) == Approx(std::stod(*mean[0][0])));
    CHECK(str(got[0][1]) == str(mean[0][1]));
  }

  SECTION("village_robustness: every village once, with the right counts") {
    // Independent counts: (village_id -> [assessed, candidate, sensitivity runs, sensitivity candidate]).
    struct Counts {
      int assessed = 0, candidate = 0, sens = 0, sens_candidate = 0;
      std::set<std::string> variants;
    };
    std::map<std::string, Counts> expect;
    auto add = [&](const fs::path& f, const std::string& variant, bool sens, const std::string& where) {
      for (const auto& r : query(f, "SELECT village_id, class FROM villages" + where)) {
        Counts& c = expect[*r[0]];
        const bool cand = str(r[1]) == "relocate_whole" || str(r[1]) == "relocate_registered";
        ++c.assessed;
        c.candidate += cand;
        if (sens) {
          ++c.sens;
          c.sens_candidate += cand;
        }
        if (cand) c.variants.insert(variant);
      }
    };
    add(s.base, "base", false, "");
    add(s.steep_utm, "steep", true, "");
    add(s.base, "base", false, std::string(" WHERE county = '") + kSplitCounty + "'");
    add(s.no_sites, "nosites", false, "");
    const auto rows = query(sum, "SELECT village_id, jobs_assessed, jobs_candidate, candidate_share, sensitivity_runs, "
                                 "sensitivity_candidate_share, candidate_variants, classes_seen, geom IS NOT NULL "
                                 "FROM village_robustness ORDER BY fid");
    REQUIRE(rows.size() == expect.size());
    std::set<std::string> seen;
    bool some_differ = false;
    for (const auto& r : rows) {
      const std::string id = *r[0];
      INFO("village " << id);
      CHECK(seen.insert(id).second);
      REQUIRE(expect.count(id) == 1);
      const Counts& c = expect.at(id);
      CHECK(std::stoi(*r[1]) == c.assessed);
      CHECK(std::stoi(*r[2]) == c.candidate);
      CHECK(std::stod(*r[3]) == Approx(static_cast<double>(c.candidate) / c.assessed));
      CHECK(std::stoi(*r[4]) == c.sens);
      if (c.sens > 0) CHECK(std::stod(*r[5]) == Approx(static_cast<double>(c.sens_candidate) / c.sens));
      else CHECK(!r[5]);
      std::string variants;
      for (const auto& v : c.variants) variants += (variants.empty() ? "" : ", ") + v;
      CHECK(str(r[6]) == (variants.empty() ? "NULL" : variants));
      CHECK(str(r[8]) == "1");
      if (c.candidate > 0 && c.candidate < c.assessed) some_differ = true;
    }
    CHECK(some_differ);  // the variants do disagree somewhere
  }

  SECTION("site_frequency: sites of the two CRSs meet in shared groups") {
    const auto base_sites = query(s.base, "SELECT COUNT(*) FROM sites");
    const auto rows = query(sum, "SELECT jobs_selected, jobs_compared, share_of_jobs, sites, member_sites, "
                                 "jobs_with_people FROM site_frequency ORDER BY fid");
    REQUIRE(!rows.empty());
    std::size_t members = 0, shared = 0;
    for (const auto& r : rows) {
      members += std::stoul(*r[3]);
      const auto selected = std::stoi(*r[0]);
      CHECK(selected >= 1);
      CHECK(selected <= std::stoi(*r[1]));
      CHECK(std::stod(*r[2]) == Approx(static_cast<double>(selected) / std::stoi(*r[1])));
      const std::string m = *r[4];
      if (m.find("j1-base:") != std::string::npos && m.find("j2-steep:") != std::string::npos) ++shared;
    }
    // Every site of every compared job with sites is a member once (the split
    // job adds its county's sites of the base output).
    const auto n_base = std::stoul(*base_sites[0][0]);
    const auto n_steep = std::stoul(*query(s.steep_utm, "SELECT COUNT(*) FROM sites")[0][0]);
    const auto n_split = std::stoul(
        *query(s.base, std::string("SELECT COUNT(*) FROM sites WHERE county = '") + kSplitCounty + "'")[0][0]);
    CHECK(members == n_base + n_steep + n_split);
    // Transformed from UTM, the stricter variant's sites overlap the base sites.
    CHECK(shared > 0);
  }

  SECTION("deterministic, and valid for GDAL") {
    b.input.destination = out / "again.gpkg";
    std::ostringstream quiet;
    core::Log log2(core::Verbosity::quiet, &quiet);
    batch::write_summary(b.input, log2);
    for (const char* t : {"jobs", "job_summary", "village_robustness", "site_frequency", "batch_file", "batch_log",
                          "summary_info", "gpkg_contents"}) {
      INFO(t);
      CHECK(dump(sum, t) == dump(out / "again.gpkg", t));
    }
    check_validator(sum);
  }

  SECTION("an existing summary is kept without overwrite") {
    b.input.overwrite = false;
    std::ostringstream quiet;
    core::Log log2(core::Verbosity::quiet, &quiet);
    CHECK_THROWS_AS(batch::write_summary(b.input, log2), core::OutputError);
  }
}

// ---------------------------------------------------------------------------
// Hand-made job outputs: sites whose grouping is known.

namespace {

struct HandSite {
  std::string id;
  double x0, y0, x1, y1;
  std::optional<std::int64_t> capacity, allocated;
  std::string county = "A县";
};
struct HandVillage {
  std::string id, cls, county = "A县";
  double x, y;
};

// A GeoPackage with `villages` and (unless sites is null) `sites` in EPSG:4545.
void write_job(const fs::path& path, const std::vector<HandVillage>& villages,
               const std::optional<std::vector<HandSite>>& sites) {
  GDALDriverH drv = GDALGetDriverByName("GPKG");
  REQUIRE(drv);
  GDALDatasetH ds = GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  REQUIRE(ds);
  OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
  OSRImportFromEPSG(srs, 4545);
  auto field = [](OGRLayerH l, const char* name, OGRFieldType t) {
    OGRFieldDefnH f = OGR_Fld_Create(name, t);
    REQUIRE(OGR_L_CreateField(l, f, TRUE) == OGRERR_NONE);
    OGR_Fld_Destroy(f);
  };
  OGRLayerH vl = GDALDatasetCreateLayer(ds, "villages", srs, wkbPoint, nullptr);
  REQUIRE(vl);
  field(vl, "village_id", OFTString);
  field(vl, "county", OFTString);
  field(vl, "class", OFTString);
  field(vl, "relocating_people", OFTInteger64);
  field(vl, "relocating_households", OFTInteger64);
  for (const auto& v : villages) {
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(vl));
    OGR_F_SetFieldString(f, 0, v.id.c_str());
    OGR_F_SetFieldString(f, 1, v.county.c_str());
    OGR_F_SetFieldString(f, 2, v.cls.c_str());
    const bool cand = v.cls.rfind("relocate", 0) == 0;
    OGR_F_SetFieldInteger64(f, 3, cand ? 40 : 0);
    OGR_F_SetFieldInteger64(f, 4, cand ? 10 : 0);
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, v.x, v.y);
    OGR_F_SetGeometryDirectly(f, g);
    REQUIRE(OGR_L_CreateFeature(vl, f) == OGRERR_NONE);
    OGR_F_Destroy(f);
  }
  if (sites) {
    OGRLayerH sl = GDALDatasetCreateLayer(ds, "sites", srs, wkbMultiPolygon, nullptr);
    REQUIRE(sl);
    field(sl, "site_id", OFTString);
    field(sl, "county", OFTString);
    field(sl, "capacity_people", OFTInteger64);
    field(sl, "capacity_households", OFTInteger64);
    field(sl, "allocated_households", OFTInteger64);
    for (const auto& s : *sites) {
      OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(sl));
      OGR_F_SetFieldString(f, 0, s.id.c_str());
      OGR_F_SetFieldString(f, 1, s.county.c_str());
      if (s.capacity) {
        OGR_F_SetFieldInteger64(f, 2, *s.capacity);
        OGR_F_SetFieldInteger64(f, 3, *s.capacity / 4);
      }
      if (s.allocated) OGR_F_SetFieldInteger64(f, 4, *s.allocated);
      const std::string wkt = "MULTIPOLYGON (((" + std::to_string(s.x0) + " " + std::to_string(s.y0) + ", " +
                              std::to_string(s.x1) + " " + std::to_string(s.y0) + ", " + std::to_string(s.x1) + " " +
                              std::to_string(s.y1) + ", " + std::to_string(s.x0) + " " + std::to_string(s.y1) + ", " +
                              std::to_string(s.x0) + " " + std::to_string(s.y0) + ")))";
      OGRGeometryH g = nullptr;
      char* p = const_cast<char*>(wkt.c_str());
      REQUIRE(OGR_G_CreateFromWkt(&p, srs, &g) == OGRERR_NONE);
      OGR_F_SetGeometryDirectly(f, g);
      REQUIRE(OGR_L_CreateFeature(sl, f) == OGRERR_NONE);
      OGR_F_Destroy(f);
    }
  }
  OSRRelease(srs);
  CPLErrorReset();
  GDALClose(ds);
  REQUIRE(CPLGetLastErrorType() != CE_Failure);
}

// A run_info table as relocplan run writes it (key, value), added to a job's
// GeoPackage.
void put_run_info(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& rows) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  std::string sql = "CREATE TABLE run_info (fid INTEGER PRIMARY KEY, key TEXT, value TEXT);";
  for (const auto& [k, v] : rows) sql += "INSERT INTO run_info (key, value) VALUES ('" + k + "', '" + v + "');";
  CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("site groups and village counts on hand-made job outputs", "[batch][summary]") {
  TempDir dir;
  constexpr double X = 500000, Y = 2800000;
  const std::vector<HandVillage> v1 = {{"V1", "relocate_whole", "A县", X, Y}, {"V2", "stay", "A县", X + 500, Y}};
  const std::vector<HandVillage> v2 = {{"V1", "review", "A县", X, Y}, {"V2", "relocate_registered", "A县", X + 500, Y},
                                       {"V3", "stay", "B县", X + 900, Y}};
  // J1: S1 and S2. J2: T1 covers 90 % of S1; T3 covers 10 % of S2 (too
  // little); T2 is alone. J3: U1 and U2 are the two halves of S1.
  write_job(dir / "j1.gpkg", v1,
            std::vector<HandSite>{{"S1", X, Y, X + 100, Y + 100, 400, 10}, {"S2", X + 1000, Y, X + 1100, Y + 100, 200, 0}});
  write_job(dir / "j2.gpkg", v2,
            std::vector<HandSite>{{"T1", X + 10, Y, X + 110, Y + 100, 360, 0},
                                  {"T2", X + 2000, Y, X + 2100, Y + 100, 100, 3},
                                  {"T3", X + 1090, Y, X + 1190, Y + 100, 50, 0}});
  write_job(dir / "j3.gpkg", v1,
            std::vector<HandSite>{{"U1", X, Y, X + 50, Y + 100, 120, 5}, {"U2", X + 50, Y, X + 100, Y + 100, 80, 0}});
  write_job(dir / "j4.gpkg", v2, std::nullopt);  // assessment only
  write_job(dir / "j6.gpkg", {}, std::nullopt);  // a county without villages

  // Peak memory as relocplan run records it: j1 went past what the batch
  // counts for it (memory_mb 512 + 256), j2 did not, j3 has no run_info.
  put_run_info(dir / "j1.gpkg", {{"stage_peak_mb.terrain", "300"}, {"stage_peak_mb.sites", "2000"},
                                 {"stage_seconds.sites", "4.5"}});
  put_run_info(dir / "j2.gpkg", {{"stage_peak_mb.terrain", "100"}, {"stage_peak_mb.write", "120"}});

  batch::SummaryInput in;
  in.jobs = {job("j1", "a", dir / "j1.gpkg"), job("j2", "b", dir / "j2.gpkg"), job("j3", "c", dir / "j3.gpkg"),
             job("j4", "d", dir / "j4.gpkg"), job("j5", "e", dir / "j5.gpkg", batch::JobStatus::cancelled),
             job("j6", "f", dir / "j6.gpkg")};
  for (auto& j : in.jobs) j.memory_mb = 512;
  in.destination = dir / "summary.gpkg";
  std::ostringstream quiet;
  core::Log log(core::Verbosity::quiet, &quiet);
  const auto result = batch::write_summary(in, log);
  CHECK(result.jobs_compared == 5);
  // The job that needed more memory than the batch counts is named, once.
  CHECK_THAT(quiet.str(), Catch::Contains("job 'j1' peaked at 2000 MB, more than the 768 MB"));
  CHECK_THAT(quiet.str(), !Catch::Contains("job 'j2' peaked"));
  const auto peaks = query(dir / "summary.gpkg", "SELECT job_id, peak_mb FROM jobs ORDER BY fid");
  REQUIRE(peaks.size() == 6);
  CHECK(str(peaks[0][1]) == "2000");
  CHECK(str(peaks[1][1]) == "120");
  CHECK(str(peaks[2][1]) == "NULL");  // no run_info
  CHECK(str(peaks[4][1]) == "NULL");  // cancelled: never read
  // Every compared job has its total row, even one with nothing in it.
  CHECK(result.site_groups == 4);
  const fs::path sum = dir / "summary.gpkg";
  const auto j6 = query(sum, "SELECT county, is_total, villages FROM job_summary WHERE job_id = 'j6'");
  REQUIRE(j6.size() == 1);
  CHECK(str(j6[0][0]) == "(all)");
  CHECK(str(j6[0][1]) == "1");
  CHECK(str(j6[0][2]) == "0");

  const auto groups = query(sum, "SELECT group_id, jobs_selected, jobs_compared, share_of_jobs, jobs_with_people, sites, "
                                 "min_capacity_people, max_capacity_people, member_sites, round(area_ha, 6) "
                                 "FROM site_frequency ORDER BY fid");
  REQUIRE(groups.size() == 4);
  // j4 has no sites layer: three jobs could have selected each group.
  CHECK(str(groups[0][1]) == "3");
  CHECK(str(groups[0][2]) == "3");
  CHECK(std::stod(*groups[0][3]) == Approx(1.0));
  CHECK(str(groups[0][4]) == "2");  // S1 (10 households) and U1 (5)
  CHECK(str(groups[0][5]) == "4");
  CHECK(str(groups[0][6]) == "80");
  CHECK(str(groups[0][7]) == "400");
  CHECK(str(groups[0][8]) == "j1:S1; j2:T1; j3:U1; j3:U2");
  CHECK(std::stod(*groups[0][9]) == Approx(1.1));  // 110 m x 100 m
  CHECK(str(groups[1][8]) == "j1:S2");
  CHECK(str(groups[1][4]) == "0");
  CHECK(str(groups[2][8]) == "j2:T2");
  CHECK(str(groups[2][4]) == "1");
  CHECK(str(groups[3][8]) == "j2:T3");
  for (std::size_t g = 1; g < 4; ++g) CHECK(str(groups[g][1]) == "1");

  const auto villages = query(sum, "SELECT village_id, jobs_assessed, jobs_candidate, classes_seen, candidate_variants, "
                                   "jobs_stay, sensitivity_runs FROM village_robustness ORDER BY fid");
  REQUIRE(villages.size() == 3);
  CHECK(str(villages[0][0]) == "V1");
  CHECK(str(villages[0][1]) == "4");
  CHECK(str(villages[0][2]) == "2");  // j1, j3
  CHECK(str(villages[0][3]) == "relocate_whole, review");
  CHECK(str(villages[0][4]) == "a, c");
  CHECK(str(villages[1][2]) == "2");  // j2, j4
  CHECK(str(villages[1][3]) == "relocate_registered, stay");
  CHECK(str(villages[1][5]) == "2");
  CHECK(str(villages[2][0]) == "V3");
  CHECK(str(villages[2][1]) == "2");
  CHECK(str(villages[2][4]) == "NULL");
  CHECK(str(villages[0][6]) == "NULL");  // not a sensitivity batch
  // The view of the villages whose decision depends on the job: V1 and V2
  // (candidates in 2 of 4 jobs), not V3 (never a candidate).
  const auto contested = query(sum, "SELECT village_id, candidate_share FROM contested_villages ORDER BY village_id");
  REQUIRE(contested.size() == 2);
  CHECK(str(contested[0][0]) == "V1");
  CHECK(str(contested[1][0]) == "V2");
  CHECK(std::stod(*contested[0][1]) == Approx(0.5));

  // Per county: j2 has sites only in A县 and a village in B县.
  const auto j2 = query(sum, "SELECT county, villages, candidate_villages, sites, capacity_people, relocating_households, "
                             "allocated_households, unallocated_households FROM job_summary WHERE job_id = 'j2' "
                             "ORDER BY fid");
  REQUIRE(j2.size() == 3);
  CHECK(str(j2[0][0]) == "A县");
  CHECK(str(j2[0][3]) == "3");
  CHECK(str(j2[0][4]) == "510");
  CHECK(str(j2[0][5]) == "10");
  CHECK(str(j2[0][6]) == "NULL");  // no allocations layer
  CHECK(str(j2[0][7]) == "NULL");  // no unallocated_households field
  CHECK(str(j2[1][0]) == "B县");
  CHECK(str(j2[1][3]) == "0");     // a sites layer, none in this county
  CHECK(str(j2[2][0]) == "(all)");
  CHECK(str(j2[2][1]) == "3");
  const auto j4 = query(sum, "SELECT sites, capacity_people FROM job_summary WHERE job_id = 'j4'");
  for (const auto& r : j4) {
    CHECK(!r[0]);
    CHECK(!r[1]);
  }
  const auto cancelled = query(sum, "SELECT status, compared FROM jobs WHERE job_id = 'j5'");
  REQUIRE(cancelled.size() == 1);
  CHECK(str(cancelled[0][0]) == "cancelled");
  CHECK(str(cancelled[0][1]) == "0");
  check_validator(sum);
}

TEST_CASE("duplicate job ids are refused, and a batch with no compared job still lists its jobs", "[batch][summary]") {
  TempDir dir;
  std::ostringstream quiet;
  core::Log log(core::Verbosity::quiet, &quiet);
  batch::SummaryInput in;
  in.jobs = {job("j1", "a", dir / "x.gpkg"), job("j1", "b", dir / "y.gpkg")};
  in.destination = dir / "summary.gpkg";
  CHECK_THROWS_AS(batch::write_summary(in, log), core::ScenarioError);
  CHECK(!fs::exists(in.destination));

  // An SQLite file that is not a GeoPackage, and a GeoPackage without villages.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "plain.sqlite").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE villages (village_id TEXT, class TEXT)", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(db);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), (dir / "empty.gpkg").c_str(), 0, 0, 0, GDT_Unknown,
                                 nullptr);
    REQUIRE(ds);
    GDALClose(ds);
  }
  in.jobs = {job("j1", "a", dir / "x.gpkg", batch::JobStatus::failed), job("j2", "b", dir / "y.gpkg"),
             job("j3", "c", dir / "plain.sqlite"), job("j4", "d", dir / "empty.gpkg", batch::JobStatus::skipped)};
  std::ostringstream warnings;
  core::Log log2(core::Verbosity::quiet, &warnings);
  const auto r = batch::write_summary(in, log2);
  CHECK(r.jobs_compared == 0);
  CHECK(r.jobs_left_out == 3);
  CHECK_THAT(warnings.str(), Catch::Contains("y.gpkg"));
  CHECK_THAT(warnings.str(), Catch::Contains("plain.sqlite': not a GeoPackage"));
  CHECK_THAT(warnings.str(), Catch::Contains("empty.gpkg': has no 'villages' layer"));
  const auto notes = query(in.destination, "SELECT job_id, compared, note FROM jobs ORDER BY fid");
  REQUIRE(notes.size() == 4);
  CHECK(str(notes[0][2]) == "NULL");  // failed: its message says why
  CHECK_THAT(str(notes[2][2]), Catch::Contains("not a GeoPackage"));
  CHECK_THAT(str(notes[3][2]), Catch::Contains("no 'villages' layer"));
  CHECK(query(in.destination, "SELECT COUNT(*) FROM job_summary")[0][0] == std::optional<std::string>("0"));
  check_validator(in.destination);
}

TEST_CASE("job ids sort naturally", "[batch][summary]") {
  CHECK(batch::natural_less("s2", "s10"));
  CHECK(!batch::natural_less("s10", "s2"));
  CHECK(batch::natural_less("a", "b"));
  CHECK(batch::natural_less("base", "base-1"));
  CHECK(!batch::natural_less("x", "x"));
}
