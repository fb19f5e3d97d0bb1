#pragma once
// The tables of the batch summary, built from the working database: every job
// (`jobs`), per job and county (`job_summary`), per village across jobs
// (`village_robustness`), site groups by overlap (`site_frequency`), and the
// batch file and log as they were.

#include <geos_c.h>

#include <string>
#include <vector>

#include "relocplan/batch/summary.hpp"
#include "relocplan/batch/summary_jobs.hpp"
#include "relocplan/io/output.hpp"

namespace relocplan::batch {

io::Table jobs_table(const std::vector<JobState>& jobs);
io::Table job_summary_table(Database& db);
// `by_rank` holds the jobs by rank (index 0 unused); `sensitivity` fills the
// sensitivity fields, else they are null.
io::Table village_robustness_table(Database& db, const std::vector<JobState*>& by_rank, Geometries& geoms,
                                   bool sensitivity);
// `geos_error` is the GEOS context's last message, for error messages.
io::Table site_frequency_table(Database& db, const std::vector<JobState*>& by_rank, Geometries& geoms,
                               GEOSContextHandle_t ctx, const std::string& geos_error);
io::Table batch_file_table(const SummaryInput& in);
// One row per line of the batch log.
io::Table batch_log_table(const SummaryInput& in);

}  // namespace relocplan::batch
