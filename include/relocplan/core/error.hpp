#pragma once
// Errors carry the exit code that the command line reports for them. Every
// message names what failed: the file, layer, field or scenario key, and the
// offending value, so that a planner can fix the input without reading code.

#include <stdexcept>
#include <string>

namespace relocplan::core {

// Documented in README.md ("Exit codes") and in `relocplan --help`.
enum class ExitCode : int {
  ok = 0,
  usage = 2,      // bad command line, or a scenario/batch file that is invalid
  input = 3,      // an input data set cannot be read or holds invalid data
  output = 4,     // the output cannot be written (exists, no permission, disk full)
  internal = 5,   // a defect in relocplan or a library failure that is not the user's
  jobs_failed = 6, // batch: one or more jobs failed (the others ran to the end)
  cluster = 7,    // batch --engine slurm: the Slurm commands are missing or refused the submission
  cancelled = 130 // interrupted (Ctrl-C / SIGTERM); no output was left behind
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

// The scenario file or the command line is wrong (unknown key, wrong type, bad CRS ...).
class ScenarioError : public Error {
 public:
  explicit ScenarioError(const std::string& message) : Error(ExitCode::usage, message) {}
};

// An input data set is missing, unreadable, or holds values that cannot be used.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(ExitCode::input, message) {}
};

// The output cannot be written.
class OutputError : public Error {
 public:
  explicit OutputError(const std::string& message) : Error(ExitCode::output, message) {}
};

// A library call failed in a way that points at relocplan itself.
class InternalError : public Error {
 public:
  explicit InternalError(const std::string& message) : Error(ExitCode::internal, message) {}
};

// The cluster could not take the batch: sbatch or squeue is missing, or
// Slurm refused the submission.
class ClusterError : public Error {
 public:
  explicit ClusterError(const std::string& message) : Error(ExitCode::cluster, message) {}
};

// The user interrupted the run.
class Cancelled : public Error {
 public:
  Cancelled() : Error(ExitCode::cancelled, "cancelled by the user; no output was written") {}
};

// The last error GDAL reported on this thread, or an empty string.
std::string last_gdal_error();

}  // namespace relocplan::core
