#pragma once
// The batch summary: one GeoPackage that compares the jobs of a batch (scenario
// variants x counties of a split x Monte-Carlo weight perturbations).
//
// Every job wrote its own GeoPackage with the normal run outputs. The summary
// attaches each of them read-only to an in-memory SQLite database, copies the
// few fields it compares, and aggregates with SQL: per job and county
// (`job_summary`), per village across jobs (`village_robustness`). Site
// polygons differ between jobs, so they are grouped by overlap with GEOS
// (`site_frequency`). The layers and fields are listed in README.md ("Batch
// summary"); their names are stable.
//
// Which jobs are compared: status done or skipped, with an output file that
// opens as a GeoPackage holding a `villages` layer (village_id, class) with a
// defined CRS. Any other done/skipped job is left out with a warning naming
// its file, and the `jobs` table says why. Failed and cancelled jobs are only
// listed.
//
// CRSs: the geometries of every compared job are transformed (OGR/PROJ) to the
// CRS of the first compared job in job-id order; that CRS is the summary's.
//
// Deterministic: the same job records and job outputs give the same tables
// (rows sorted, jobs in natural job-id order). Only `summary_info.created_utc`
// follows the clock, unless the environment sets OGR_CURRENT_DATE.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "relocplan/batch/job.hpp"
#include "relocplan/core/log.hpp"

namespace relocplan::batch {

// Two sites of different jobs belong to the same site group when their
// intersection covers more than this share of the smaller site's area.
// Half: a site that lost or gained a fringe between variants, or that was cut
// into pieces of at most max_site_ha in one job and not in another, stays in
// its group; sites that merely touch or share a sliver do not join.
inline constexpr double kSiteOverlapShare = 0.5;

// The total row of each job in job_summary has this county value.
inline constexpr const char* kAllCounties = "(all)";

struct SummaryInput {
  std::vector<JobRecord> jobs;
  std::filesystem::path batch_file;
  std::string batch_text;  // stored in the summary
  std::string log_text;    // the plain-text batch log, stored too
  bool sensitivity = false;  // whether the batch had Monte-Carlo runs
  std::filesystem::path destination;
  bool overwrite = false;
};

struct SummaryResult {
  std::filesystem::path output;
  std::size_t jobs_listed = 0;    // every job record
  std::size_t jobs_compared = 0;  // done/skipped jobs whose output was read
  std::size_t jobs_left_out = 0;  // done/skipped jobs whose output was missing or unreadable
  std::size_t jobs_failed = 0;    // failed or cancelled
  std::size_t villages = 0;       // features of village_robustness
  std::size_t site_groups = 0;    // features of site_frequency
};

// Writes the summary GeoPackage atomically (io::OutputGeoPackage). Throws
// core::OutputError when the destination exists without `overwrite` or cannot
// be written, core::ScenarioError for duplicate job ids.
SummaryResult write_summary(const SummaryInput& in, core::Log& log);

// Compares job ids with digit runs as numbers ("s2" before "s10"); the order
// of jobs everywhere in the summary.
bool natural_less(const std::string& a, const std::string& b);

}  // namespace relocplan::batch
