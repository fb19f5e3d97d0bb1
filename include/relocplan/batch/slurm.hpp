#pragma once
// Slurm as the engine of a batch: one array task per job, each running
//   relocplan run <job scenario> -o <job gpkg> --overwrite -q
// on a compute node, and a final job (dependency afterany on the array) that
// writes the batch summary with `relocplan batch BATCH --summary-only`.
//
// Everything the engine knows is kept in files under <output_dir>/slurm/, so
// that --status and --resume work from any login node of the cluster:
//   jobs.txt          job ids, one per line: line N+1 is array task N
//   task.sh           the array script; summary.sh, the summary job's script
//   submissions.tsv   one line per submission: time, array job id, summary
//                     job id, the array's task indices
//   records/<id>.start, records/<id>.exit   written by the task itself: the
//                     Slurm job id and start time; the exit code and seconds
//   logs/<array id>_<task>.log   Slurm's own output of the task (the reason
//                     when Slurm ends a task: time limit, memory, node failure)
// The job's own log stays logs/<job id>.log, as with the local engine.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "relocplan/batch/batch_file.hpp"
#include "relocplan/batch/job.hpp"

namespace relocplan::batch {

struct SlurmOptions {
  std::optional<std::string> partition;  // sbatch --partition
  std::optional<std::string> time;       // sbatch --time, e.g. "02:00:00"
  std::optional<std::size_t> mem_mb;     // sbatch --mem per task; default: the jobs' memory_mb + allowance
  int max_running = 0;                   // array throttle (%N); 0: Slurm decides
  bool resume = false;
  bool overwrite = false;
  std::filesystem::path executable;  // relocplan itself; empty: /proc/self/exe
  std::string sbatch = "sbatch";     // looked up on PATH
};

struct SlurmSubmission {
  std::string array_job;    // Slurm job id of the array; empty when nothing needed to run
  std::string summary_job;  // Slurm job id of the summary job
  std::vector<std::size_t> tasks;  // job indices submitted (array task ids)
  std::size_t mem_mb = 0;          // --mem per task
};

// Writes the job files and the scripts, and submits the jobs that need to
// run: all of them, or with `resume` those that are neither done (complete
// and up to date) nor queued or running. Throws core::ClusterError (exit 7)
// when sbatch is missing or refuses, core::OutputError as the local engine.
SlurmSubmission submit_slurm(const BatchPlan& plan, const SlurmOptions& options, std::ostream& log);

enum class JobState { done, failed, queued, running, not_run };
const char* to_string(JobState state);

struct JobStatusLine {
  std::string id;
  JobState state = JobState::not_run;
  std::string detail;      // why it failed, what it waits for, which Slurm job runs it
  int exit_code = 0;       // of a failed job
  double seconds = 0;      // of a finished job
  std::string slurm_job;   // "<array id>_<task>" when submitted to Slurm
};

// The state of every job, in job order, from the job records, the outputs
// and logs, and (for submitted jobs without an exit record) squeue and the
// Slurm task logs. Works for batches run by the local engine as well.
std::vector<JobStatusLine> batch_status(const BatchPlan& plan, std::string* queue_note = nullptr);

// Job records for the batch summary, built from batch_status(): done jobs as
// done, failed as failed, the rest as cancelled ("not finished: queued").
std::vector<JobRecord> records_from_status(const BatchPlan& plan, const std::vector<JobStatusLine>& status);

}  // namespace relocplan::batch
