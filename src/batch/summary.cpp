// The batch summary GeoPackage (see summary.hpp): jobs in natural id order,
// their outputs read into the working database, the comparison tables and
// views written, and how the summary was made (summary_info).

#include "relocplan/batch/summary.hpp"

#include <cpl_conv.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <sstream>

#include "relocplan/batch/summary_jobs.hpp"
#include "relocplan/batch/summary_tables.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/core/version.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/vector/crs.hpp"
#include "relocplan/vector/geos.hpp"

namespace relocplan::batch {

bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && digit(a[i2])) ++i2;
      while (j2 < b.size() && digit(b[j2])) ++j2;
      // Compare the runs as numbers: strip leading zeros, then length, then digits.
      std::size_t ia = i, jb = j;
      while (ia + 1 < i2 && a[ia] == '0') ++ia;
      while (jb + 1 < j2 && b[jb] == '0') ++jb;
      if (i2 - ia != j2 - jb) return i2 - ia < j2 - jb;
      const int c = a.compare(ia, i2 - ia, b, jb, j2 - jb);
      if (c != 0) return c < 0;
      if (i2 - i != j2 - j) return i2 - i < j2 - j;  // "01" after "1": still a strict order
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

namespace {

std::string utc_now_iso() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

// Sets a thread-local GDAL option for the lifetime of the object and puts the
// previous value back afterwards.
class ScopedThreadOption {
 public:
  ScopedThreadOption(const char* key, const char* value) : key_(key) {
    if (const char* old = CPLGetThreadLocalConfigOption(key, nullptr)) old_ = old;
    CPLSetThreadLocalConfigOption(key, value);
  }
  ~ScopedThreadOption() { CPLSetThreadLocalConfigOption(key_, old_ ? old_->c_str() : nullptr); }
  ScopedThreadOption(const ScopedThreadOption&) = delete;
  ScopedThreadOption& operator=(const ScopedThreadOption&) = delete;

 private:
  const char* key_;
  std::optional<std::string> old_;
};

}  // namespace

SummaryResult write_summary(const SummaryInput& in, core::Log& log) {
  // Reproducible GeoPackage: gpkg_contents.last_change as in every run output.
  // The creation time recorded in summary_info is the clock's, unless the
  // environment fixes it with OGR_CURRENT_DATE.
  const char* env_date = std::getenv("OGR_CURRENT_DATE");
  const std::string created = env_date && *env_date ? std::string(env_date) : utc_now_iso();
  ScopedThreadOption fixed_date("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");

  // Jobs in natural id order; ids must be unique (they name the GeoPackages).
  std::vector<JobState> jobs(in.jobs.size());
  for (std::size_t i = 0; i < in.jobs.size(); ++i) jobs[i].record = &in.jobs[i];
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const JobState& a, const JobState& b) { return natural_less(a.record->id, b.record->id); });
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].rank = static_cast<std::int64_t>(i + 1);
    if (i > 0 && jobs[i].record->id == jobs[i - 1].record->id)
      throw core::ScenarioError("batch summary: job id '" + jobs[i].record->id + "' appears more than once");
  }
  std::vector<JobState*> by_rank(jobs.size() + 1, nullptr);
  for (auto& j : jobs) by_rank[static_cast<std::size_t>(j.rank)] = &j;

  // Fails at once if the summary may not be written.
  io::OutputGeoPackage output(in.destination, in.overwrite);

  Database db;
  SummaryResult result;
  result.jobs_listed = jobs.size();
  read_job_outputs(db, jobs, result, log);

  output.add_table(jobs_table(jobs));

  // The summary's CRS: that of the first compared job's villages.
  const JobState* reference = nullptr;
  for (const JobState& j : jobs)
    if (j.compared) {
      reference = &j;
      break;
    }
  std::string target_crs_text = "none (no job compared)";
  if (reference) {
    const vector::Crs& target = *reference->layers.villages_crs;
    target_crs_text = target.describe();
    for (const JobState& j : jobs)
      if (j.compared && (!j.layers.villages_crs->same_as(target) ||
                         (j.layers.sites_crs && !j.layers.sites_crs->same_as(target))))
        log.info("batch summary: job '" + j.record->id + "' is in another CRS; its geometries are transformed to " +
                 target.describe());
    Geometries geoms;
    geoms.target = &target;
    vector::GeosContext geos;
    output.add_table(job_summary_table(db));
    io::Table robustness = village_robustness_table(db, by_rank, geoms, in.sensitivity);
    result.villages = robustness.rows.size();
    output.add_table(robustness);
    io::Table frequency = site_frequency_table(db, by_rank, geoms, geos.get(), geos.last_error());
    result.site_groups = frequency.rows.size();
    output.add_table(frequency);
    // Views for the questions planners ask first; QGIS opens them as layers.
    output.add_view("contested_villages",
                    "Villages that are relocation candidates in some jobs but not in all: where the decision depends "
                    "on the scenario",
                    "village_robustness", "candidate_share > 0 AND candidate_share < 1");
    output.add_view("job_totals", "One row per job: the total row of job_summary", "job_summary", "is_total = 1");
  } else {
    log.warn("batch summary: no job output could be compared; the summary lists the jobs only");
    output.add_table(job_summary_table(db));
  }
  output.add_table(batch_file_table(in));
  output.add_table(batch_log_table(in));

  io::Table info;
  info.name = "summary_info";
  info.description = "How this batch summary was made: versions, time, job counts, the CRS and overlap rule";
  info.columns = {{"key", io::ColumnType::text}, {"value", io::ColumnType::text}};
  auto put = [&](const std::string& k, const std::string& v) {
    std::vector<io::Value> row;
    row.emplace_back(k);
    row.emplace_back(v);
    info.rows.push_back(std::move(row));
  };
  for (const auto& lv : core::library_versions()) put("version." + lv.name, lv.version);
  put("created_utc", created);
  put("batch.file", in.batch_file.string());
  put("batch.sensitivity", in.sensitivity ? "yes" : "no");
  put("jobs.listed", std::to_string(result.jobs_listed));
  put("jobs.compared", std::to_string(result.jobs_compared));
  put("jobs.left_out", std::to_string(result.jobs_left_out));
  put("jobs.failed_or_cancelled", std::to_string(result.jobs_failed));
  put("crs", target_crs_text);
  put("site_groups.overlap_share", fixed(kSiteOverlapShare, 2) + " of the smaller site's area");
  put("village_robustness.villages", std::to_string(result.villages));
  put("site_frequency.groups", std::to_string(result.site_groups));
  output.add_table(info);
  output.commit();

  result.output = output.destination();
  log.info("batch summary: " + std::to_string(result.jobs_compared) + " of " + std::to_string(result.jobs_listed) +
           " jobs compared, " + std::to_string(result.villages) + " villages, " + std::to_string(result.site_groups) +
           " site groups: " + result.output.string());
  return result;
}

}  // namespace relocplan::batch