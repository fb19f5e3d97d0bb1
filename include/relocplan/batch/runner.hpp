#pragma once
// Running a batch: every job is a child process
//   relocplan run <job scenario> -o <job gpkg> --overwrite -q --progress=json --progress-fd 3
// started in the batch's job order, as many at once as -j and the memory
// budget allow. A failing job does not stop the others. The children's JSON
// progress feeds the batch's display (terminal), log lines, or JSON events.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "relocplan/batch/batch_file.hpp"
#include "relocplan/batch/job.hpp"
#include "relocplan/core/progress.hpp"

namespace relocplan::batch {


enum class BatchDisplay {
  quiet,     // failures and warnings only
  log,       // one plain line per job start and end (not a terminal)
  terminal,  // an overall bar and a status line per running job
  json,      // one JSON object per line on `out` (see README, "Batches")
};

struct BatchOptions {
  int jobs = 0;  // at most this many at once; 0: the number of cores
  bool resume = false;
  bool overwrite = false;
  BatchDisplay display = BatchDisplay::log;
  std::filesystem::path executable;  // relocplan itself; empty: /proc/self/exe
  std::ostream* out = nullptr;       // JSON events (default std::cout)
  std::ostream* err = nullptr;       // log lines and the terminal display (default std::cerr)
};

struct BatchResult {
  std::string name;
  std::filesystem::path batch_file;
  std::string batch_text;
  std::filesystem::path output_dir;
  std::vector<JobRecord> jobs;  // in job order
  std::string log_text;         // the plain-text batch log (also in <output_dir>/batch.log)
  bool sensitivity = false;     // the batch has [sensitivity] samples
  std::filesystem::path summary;  // <output_dir>/<name>_summary.gpkg
  int exit_code = 0;              // 0, 6 (jobs failed) or 130 (cancelled)
};

// Runs the jobs of an expanded batch. Throws core::OutputError (exit 4)
// before any job runs when job outputs exist and neither resume nor overwrite
// is set. `cancel` (Ctrl-C) stops the batch: running children are sent
// SIGTERM (SIGKILL after 10 s), and the result's exit code is 130.
BatchResult run_batch(const BatchPlan& plan, const BatchOptions& options, const core::CancelFlag& cancel);

// True when `gpkg` is the complete output of `job` and its inputs are
// unchanged: run_info has finished_utc, the same scenario text, and every
// input checksum equals the file's SHA-256 now. `why` says what differs.
// `hash_cache` keeps file checksums between calls.
bool job_up_to_date(const JobSpec& job, const std::filesystem::path& gpkg, std::string& why,
                    std::map<std::filesystem::path, std::string>* hash_cache = nullptr);

// Throws core::OutputError (exit 4) when job outputs exist and neither
// `resume` nor `overwrite` is set.
void check_existing_outputs(const BatchPlan& plan, bool resume, bool overwrite);

// Creates the batch's folders, removes the temporary files of jobs killed
// earlier (their process gone) and writes every job's scenario file (an
// unchanged one keeps its time stamp). Returns the temporaries removed.
std::vector<std::filesystem::path> prepare_job_files(const BatchPlan& plan);

// Writes `text` to `path` unless it already holds exactly that (so an
// unchanged file keeps its time stamp), atomically: a temporary file beside
// it, renamed into place. Throws core::OutputError.
void write_if_changed(const std::filesystem::path& path, const std::string& text);

// The last line of a job's log that reports an error (else its last line).
std::string last_error_line(const std::filesystem::path& log);

}  // namespace relocplan::batch
