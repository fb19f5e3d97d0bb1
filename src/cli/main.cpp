// relocplan command line: a thin layer over the library. Parses arguments,
// sets up logging, progress and cancellation, and maps errors to exit codes.

#include <gdal.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <csignal>
#include <filesystem>
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <streambuf>

#include "relocplan/batch/batch_file.hpp"
#include "relocplan/batch/runner.hpp"
#include "relocplan/batch/slurm.hpp"
#include "relocplan/batch/summary.hpp"
#include "relocplan/config/scenario.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/core/text.hpp"
#include "relocplan/core/log.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/core/version.hpp"
#include "relocplan/pipeline/run.hpp"

namespace {

using relocplan::core::ExitCode;

// The one piece of process-wide state: set from the signal handler, polled by
// the work loops through the CancelFlag.
relocplan::core::CancelFlag g_cancel;

extern "C" void on_signal(int sig) {
  g_cancel.request();
  // A second Ctrl-C ends the process at once.
  std::signal(sig, SIG_DFL);
}

const char* kExitCodes =
    "Exit codes:\n"
    "  0    success (warnings about suspicious input may have been printed)\n"
    "  2    usage error, or an invalid scenario (unknown key, wrong type, missing file or field, bad CRS)\n"
    "  3    input data error (unreadable file, invalid values, no usable villages)\n"
    "  4    output error (output exists without --overwrite, cannot write)\n"
    "  5    internal error\n"
    "  130  cancelled (Ctrl-C); no output is left behind\n";

const char* kBatchExitCodes =
    "Exit codes:\n"
    "  0    every job is done, or was skipped by --resume as complete and up to date\n"
    "  2    usage error, or an invalid batch file or job scenario (unknown key, wrong type, empty list,\n"
    "       a variant that sets a key the scenario does not know, a split value that names no feature)\n"
    "  3    input data error while preparing the batch (the split layer cannot be read)\n"
    "  4    output error: job outputs or the batch summary exist without --resume or --overwrite, or\n"
    "       cannot be written\n"
    "  5    internal error\n"
    "  6    one or more jobs failed; the others ran to the end (see the batch log and logs/<job id>.log);\n"
    "       with --status: a job has failed\n"
    "  7    --engine slurm: sbatch is not installed here, or Slurm refused the submission\n"
    "  130  cancelled (Ctrl-C); running jobs are stopped and leave no output behind\n";

const char* kBatchHelp =
    "Runs many scenarios: a base scenario, its named variants and a grid of settings, optionally one job\n"
    "per county (split) and Monte-Carlo perturbations of the weights (sensitivity). Each job runs as its\n"
    "own `relocplan run` process and writes its own GeoPackage.\n\n"
    "Batch file (TOML; relative paths resolve against the batch file's folder):\n"
    "  [batch]        name, base (the base scenario), output_dir, memory_mb (budget of the jobs running at\n"
    "                 once; default half the RAM), include_base (default true)\n"
    "  [variants.X]   \"dotted.scenario.key\" = value ...   a named variant of the base scenario\n"
    "  [grid]         \"dotted.scenario.key\" = [v1, v2] ... every combination is a variant\n"
    "  [split]        path, layer, field, margin_m (5000), values (optional): one job per polygon;\n"
    "                 group_field (a national split): one job per province and county\n"
    "  [sensitivity]  runs, spread (0.2), seed (42), of (\"base\", a list of variants, or \"all\")\n\n"
    "Output folder: jobs/<job id>.gpkg, scenarios/<job id>.toml (each runs alone with `relocplan run`),\n"
    "logs/<job id>.log, batch.log, and the comparison <name>_summary.gpkg.\n\n"
    "Engines: --engine local (default) runs the jobs on this machine, -j at once within memory_mb.\n"
    "--engine slurm submits them as a Slurm job array (sbatch), one array task per job, --mem per task\n"
    "from the job's memory_mb, and a summary job that runs after every task; it returns once submitted.\n"
    "--status shows each job's state (done, failed with its reason, queued, running, not run) from the\n"
    "job records and squeue; --resume submits only the jobs that are not done, queued or running.\n";

// relocplan batch --status: one line per job and a count of each state.
int show_status(const relocplan::batch::BatchPlan& plan, bool json) {
  using relocplan::batch::JobState;
  std::string note;
  const auto status = relocplan::batch::batch_status(plan, &note);
  std::map<JobState, std::size_t> counts;
  std::size_t width = 10;
  for (const auto& s : status) {
    ++counts[s.state];
    width = std::max(width, relocplan::core::display_width(s.id));
  }
  for (const auto& s : status) {
    if (json) {
      std::cout << nlohmann::ordered_json{{"job", s.id}, {"state", relocplan::batch::to_string(s.state)},
                                          {"exit_code", s.exit_code}, {"slurm_job", s.slurm_job},
                                          {"detail", s.detail}}
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
      continue;
    }
    std::cout << "  " << relocplan::core::fit_width(s.id, width) << "  " << std::left << std::setw(8)
              << relocplan::batch::to_string(s.state);
    if (s.state == JobState::failed && s.exit_code != 0) std::cout << "  exit code " << s.exit_code << ":";
    if (!s.detail.empty()) std::cout << (s.state == JobState::failed && s.exit_code != 0 ? " " : "  ") << s.detail;
    std::cout << "\n";
  }
  if (!json) {
    std::cout << "batch '" << plan.spec.name << "': " << status.size() << " job(s): " << counts[JobState::done]
              << " done, " << counts[JobState::failed] << " failed, " << counts[JobState::queued] << " queued, "
              << counts[JobState::running] << " running, " << counts[JobState::not_run] << " not run\n";
    if (!note.empty()) std::cout << "note: " << note << "\n";
  }
  return counts[JobState::failed] > 0 ? static_cast<int>(ExitCode::jobs_failed) : 0;
}

// relocplan batch --summary-only: the summary from the job outputs on disk.
int summary_only(const relocplan::batch::BatchPlan& plan, bool quiet) {
  const auto status = relocplan::batch::batch_status(plan);
  relocplan::batch::SummaryInput in;
  in.jobs = relocplan::batch::records_from_status(plan, status);
  in.batch_file = plan.spec.file;
  in.batch_text = plan.spec.text;
  std::ostringstream log;
  std::size_t failed = 0;
  for (const auto& s : status) {
    log << s.id << " " << relocplan::batch::to_string(s.state) << (s.detail.empty() ? "" : ": " + s.detail) << "\n";
    if (s.state != relocplan::batch::JobState::done) ++failed;
  }
  in.log_text = log.str();
  in.sensitivity = plan.spec.sensitivity.has_value();
  in.destination = plan.summary;
  in.overwrite = true;  // derived from the job outputs; written again whenever asked
  relocplan::core::Log lg(quiet ? relocplan::core::Verbosity::quiet : relocplan::core::Verbosity::normal);
  const auto sum = relocplan::batch::write_summary(in, lg);
  if (!quiet)
    std::cout << "wrote " << sum.output.string() << ": " << sum.jobs_compared << " job(s) compared, " << failed
              << " not done\n";
  return failed > 0 ? static_cast<int>(ExitCode::jobs_failed) : 0;
}

// An output stream on a file descriptor (for --progress-fd).
class FdStreamBuf : public std::streambuf {
 public:
  explicit FdStreamBuf(int fd) : fd_(fd) {}

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    const char ch = static_cast<char>(c);
    return write_all(&ch, 1) ? c : traits_type::eof();
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    return write_all(s, static_cast<std::size_t>(n)) ? n : 0;
  }

 private:
  bool write_all(const char* s, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, s, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      s += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }
  int fd_;
};

void print_versions() {
  for (const auto& v : relocplan::core::library_versions()) std::cout << v.name << " " << v.version << "\n";
}

int report(const relocplan::core::Error& e) {
  std::cerr << "relocplan: error: " << e.what() << "\n";
  return static_cast<int>(e.code());
}

}  // namespace

int main(int argc, char** argv) {
  GDALAllRegister();
  CPLSetErrorHandler(CPLQuietErrorHandler);  // GDAL's messages reach the user through our errors

  CLI::App app{
      "relocplan: plans ex-situ poverty-alleviation relocation. It overlays villages with terrain and other\n"
      "layers, explains which villages are relocation candidates and why, and writes one GeoPackage that\n"
      "opens in QGIS."};
  app.footer(std::string(kExitCodes) + "  6    relocplan batch: one or more jobs failed (the others ran to the end)\n");
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the versions of relocplan, GDAL, PROJ, GEOS and SQLite");

  std::string scenario_path;
  std::string output_path;
  bool overwrite = false, quiet = false, verbose = false;
  CLI::App* run = app.add_subcommand("run", "Run a scenario and write its GeoPackage");
  run->add_option("scenario", scenario_path, "Scenario file (TOML)")->required()->check(CLI::ExistingFile);
  run->add_option("-o,--output", output_path, "Output GeoPackage (default: [output] path of the scenario)");
  run->add_flag("--overwrite", overwrite, "Replace the output if it exists");
  run->add_flag("-q,--quiet", quiet, "No progress bar and no information messages (warnings still show)");
  run->add_flag("-v,--verbose", verbose, "More detail");
  std::string progress_mode = "bar";
  int progress_fd = 2;
  run->add_option("--progress", progress_mode,
                  "bar: a progress bar when stderr is a terminal (default); json: one JSON object per line, "
                  "{\"stage\": ..., \"fraction\": ...}, for other programs (also with -q)")
      ->check(CLI::IsMember({"bar", "json"}));
  run->add_option("--progress-fd", progress_fd, "File descriptor for --progress=json (default 2, stderr)")
      ->check(CLI::Range(1, 1023));
  run->footer(kExitCodes);

  std::string validate_path;
  CLI::App* validate =
      app.add_subcommand("validate", "Check a scenario and print the plan (inputs, CRSs, grid, fields); writes nothing");
  validate->add_option("scenario", validate_path, "Scenario file (TOML)")->required()->check(CLI::ExistingFile);
  validate->footer(kExitCodes);

  std::string batch_path;
  int batch_jobs = 0;
  bool batch_resume = false, batch_quiet = false, batch_overwrite = false;
  std::string batch_progress = "auto";
  CLI::App* batch = app.add_subcommand("batch", "Run a batch of scenarios (variants x counties x samples)");
  batch->description(std::string("Run a batch of scenarios (variants x counties x samples)\n\n") + kBatchHelp);
  batch->add_option("batch", batch_path, "Batch file (TOML)")->required()->check(CLI::ExistingFile);
  batch->add_option("-j,--jobs", batch_jobs, "Jobs at once (default: the number of cores), within memory_mb")
      ->check(CLI::Range(1, 256));
  batch->add_flag("--resume", batch_resume,
                  "Skip jobs whose GeoPackage is complete and whose scenario and input checksums are unchanged; "
                  "run the others");
  batch->add_flag("--overwrite", batch_overwrite, "Run every job again, replacing existing job outputs");
  batch->add_flag("-q,--quiet", batch_quiet, "Only failures, warnings and the final line");
  batch->add_option("--progress", batch_progress,
                    "auto: a bar and job lines on a terminal, else log lines; json: one JSON object per line on "
                    "stdout (batch_start, job_start, progress, job_end, batch_end, summary)")
      ->check(CLI::IsMember({"auto", "json"}));
  std::string batch_engine = "local";
  batch->add_option("--engine", batch_engine,
                    "local: run the jobs on this machine (default); slurm: submit them as a Slurm job array and "
                    "return")
      ->check(CLI::IsMember({"local", "slurm"}));
  relocplan::batch::SlurmOptions slurm;
  batch->add_option("--partition", slurm.partition, "--engine slurm: the Slurm partition (sbatch --partition)");
  batch->add_option("--time", slurm.time, "--engine slurm: time limit per job (sbatch --time), e.g. 02:00:00");
  batch->add_option("--mem", slurm.mem_mb,
                    "--engine slurm: memory per job in MB (sbatch --mem; default: the jobs' memory_mb + 256)")
      ->check(CLI::Range(64, 16 * 1024 * 1024));
  bool batch_status = false, batch_summary_only = false;
  batch->add_flag("--status", batch_status,
                  "Show each job's state (done, failed and why, queued, running, not run); runs nothing");
  batch->add_flag("--summary-only", batch_summary_only,
                  "Write the batch summary from the job outputs there are, running no job (the Slurm engine's "
                  "final job)");
  batch->footer(kBatchExitCodes);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  if (show_version) {
    print_versions();
    return 0;
  }
  if (!run->parsed() && !validate->parsed() && !batch->parsed()) {
    std::cout << app.help();
    return static_cast<int>(ExitCode::usage);
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    if (validate->parsed()) {
      relocplan::core::Log log(relocplan::core::Verbosity::normal);
      const auto scenario = relocplan::config::load_scenario(validate_path);
      const auto plan = relocplan::pipeline::resolve(scenario, {}, log);
      relocplan::pipeline::print_plan(plan, std::cout);
      std::cout << "valid: nothing was written\n";
      return 0;
    }
    if (batch->parsed()) {
      using relocplan::batch::BatchDisplay;
      const auto spec = relocplan::batch::load_batch(batch_path);
      const auto plan = relocplan::batch::expand_batch(spec);
      if (batch_status + batch_summary_only + (batch_engine == "slurm") > 1)
        throw relocplan::core::ScenarioError("--status, --summary-only and --engine slurm go one at a time");
      if (batch_engine != "slurm" && (slurm.partition || slurm.time || slurm.mem_mb))
        throw relocplan::core::ScenarioError("--partition, --time and --mem need --engine slurm");
      if (batch_status) return show_status(plan, batch_progress == "json");
      if (batch_summary_only) return summary_only(plan, batch_quiet);
      if (batch_engine == "slurm") {
        slurm.resume = batch_resume;
        slurm.overwrite = batch_overwrite;
        slurm.max_running = batch_jobs;
        const auto sub = relocplan::batch::submit_slurm(plan, slurm, std::cerr);
        if (sub.array_job.empty() && sub.summary_job.empty())
          std::cout << "batch '" << spec.name << "': nothing submitted; the jobs not done are still in the queue\n";
        else if (sub.array_job.empty())
          std::cout << "batch '" << spec.name << "': every job is done, queued or running; summary job "
                    << sub.summary_job << " submitted\n";
        else
          std::cout << "batch '" << spec.name << "': " << sub.tasks.size() << " of " << plan.jobs.size()
                    << " job(s) submitted as Slurm array job " << sub.array_job << " (--mem " << sub.mem_mb
                    << "M per job), summary job " << sub.summary_job << " after it\n";
        std::cout << "  follow it with: relocplan batch " << spec.file.string() << " --status\n";
        return 0;
      }
      relocplan::batch::BatchOptions options;
      options.jobs = batch_jobs;
      options.resume = batch_resume;
      options.overwrite = batch_overwrite;
      options.display = batch_progress == "json" ? BatchDisplay::json
                        : batch_quiet            ? BatchDisplay::quiet
                        : ::isatty(STDERR_FILENO) ? BatchDisplay::terminal
                                                  : BatchDisplay::log;
      if (batch_quiet && batch_progress == "json") options.display = BatchDisplay::json;
      // The summary is derived from the job outputs: a resumed batch rewrites
      // it; otherwise an existing one needs --overwrite, checked before any job runs.
      const bool replace_summary = batch_overwrite || batch_resume;
      if (!replace_summary && std::filesystem::exists(plan.summary))
        throw relocplan::core::OutputError("batch summary '" + plan.summary.string() +
                                           "' already exists; pass --resume to bring the batch up to date, or "
                                           "--overwrite to run every job again");
      const auto result = relocplan::batch::run_batch(plan, options, g_cancel);
      if (result.exit_code == static_cast<int>(ExitCode::cancelled)) return result.exit_code;
      relocplan::core::Log log(batch_quiet || batch_progress == "json" ? relocplan::core::Verbosity::quiet
                                                                        : relocplan::core::Verbosity::normal);
      relocplan::batch::SummaryInput in;
      in.jobs = result.jobs;
      in.batch_file = result.batch_file;
      in.batch_text = result.batch_text;
      in.log_text = result.log_text;
      in.sensitivity = result.sensitivity;
      in.destination = result.summary;
      in.overwrite = replace_summary;
      const auto sum = relocplan::batch::write_summary(in, log);
      if (batch_progress == "json")
        std::cout << nlohmann::ordered_json{{"event", "summary"},
                                            {"path", sum.output.string()},
                                            {"jobs_compared", sum.jobs_compared},
                                            {"jobs_left_out", sum.jobs_left_out}}
                         .dump()
                  << std::endl;
      if (!batch_quiet && batch_progress != "json")
        std::cerr << "batch log: " << (result.output_dir / "batch.log").string() << "\n"
                  << "job outputs: " << (result.output_dir / "jobs").string() << "\n";
      return result.exit_code;
    }
    relocplan::core::Log log(quiet     ? relocplan::core::Verbosity::quiet
                             : verbose ? relocplan::core::Verbosity::verbose
                                       : relocplan::core::Verbosity::normal);
    std::unique_ptr<FdStreamBuf> progress_buf;
    std::unique_ptr<std::ostream> progress_stream;
    std::ostream* progress_sink = &std::cerr;
    if (progress_mode == "json" && progress_fd != 2) {
      if (::fcntl(progress_fd, F_GETFD) < 0) {
        std::cerr << "relocplan: error: --progress-fd " << progress_fd << ": not an open file descriptor\n";
        return static_cast<int>(ExitCode::usage);
      }
      progress_buf = std::make_unique<FdStreamBuf>(progress_fd);
      progress_stream = std::make_unique<std::ostream>(progress_buf.get());
      progress_sink = progress_stream.get();
    }
    relocplan::core::Progress progress(progress_mode == "json"                  ? relocplan::core::ProgressStyle::json
                                       : !quiet && ::isatty(STDERR_FILENO) ? relocplan::core::ProgressStyle::bar
                                                                          : relocplan::core::ProgressStyle::none,
                                       g_cancel, progress_sink);
    log.set_before_message([&progress] { progress.clear_line(); });
    const auto scenario = relocplan::config::load_scenario(scenario_path);
    relocplan::pipeline::RunOptions options;
    if (!output_path.empty()) options.output = output_path;
    options.overwrite = overwrite;
    const auto summary = relocplan::pipeline::run(scenario, options, log, progress);
    if (!quiet) {
      std::cout << "wrote " << summary.output.string() << "\n"
                << "  villages: " << summary.villages << " (" << summary.villages_without_terrain
                << " without terrain values)\n";
      for (const char* cls : {"relocate_whole", "relocate_registered", "review", "stay"}) {
        auto it = summary.by_class.find(cls);
        std::cout << "    " << std::left << std::setw(20) << cls << (it == summary.by_class.end() ? 0 : it->second)
                  << "\n";
      }
      std::cout << "  relocating: " << summary.relocating_people << " people in " << summary.relocating_households
                << " households\n";
      if (summary.sites)
        std::cout << "  candidate sites: " << *summary.sites << ", capacity " << summary.site_capacity_people
                  << " people\n"
                << "  grid: " << summary.grid_rows << " x " << summary.grid_cols << " cells\n"
                << "  warnings: " << summary.warnings << "\n"
                << "  time: " << std::fixed << std::setprecision(1) << summary.seconds << " s\n";
    }
    return 0;
  } catch (const relocplan::core::Error& e) {
    return report(e);
  } catch (const std::bad_alloc&) {
    std::cerr << "relocplan: error: out of memory; lower [processing] memory_mb or the grid size\n";
    return static_cast<int>(ExitCode::internal);
  } catch (const std::exception& e) {
    std::cerr << "relocplan: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::internal);
  }
}
