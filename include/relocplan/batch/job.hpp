#pragma once
// One job of a batch: a scenario variant, optionally restricted to one county
// (or other polygon) of a split, optionally one Monte-Carlo perturbation of
// the weights. What the batch runner knows about a job after it ran is what
// the batch summary compares.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace relocplan::batch {

// Memory counted for each job besides its scenario's [processing] memory_mb
// (which covers the run's data, villages and layers included): the libraries
// (GDAL's drivers, PROJ's database, GEOS) and the process itself.
constexpr std::size_t kJobAllowanceMb = 256;

enum class JobStatus {
  done,       // ran and wrote its GeoPackage
  skipped,    // --resume: the output was complete and its inputs and settings unchanged
  failed,     // the run ended with an error (message, exit_code)
  cancelled,  // the batch was interrupted before or while the job ran
};

struct JobRecord {
  std::string id;       // unique and file-name safe; names the job's GeoPackage
  std::string variant;  // variant name ("base" for the base scenario)
  // Scenario keys set by the variant (and the split and the perturbation), as
  // dotted key -> TOML value text, in the order they were applied.
  std::vector<std::pair<std::string, std::string>> overrides;
  std::optional<std::string> split_value;  // the county (value of the split field) of a split job
  std::optional<std::string> split_group;  // its province ([split] group_field) in a national split
  std::optional<int> sample;               // sensitivity perturbation number (1..N); none for unperturbed jobs
  JobStatus status = JobStatus::cancelled;
  std::string message;  // why it failed
  int exit_code = 0;
  std::filesystem::path scenario;  // the job's generated scenario file
  std::filesystem::path output;    // the job's GeoPackage
  std::size_t memory_mb = 0;       // [processing] memory_mb of the job's scenario
  double seconds = 0;
};

inline const char* to_string(JobStatus status) {
  switch (status) {
    case JobStatus::done: return "done";
    case JobStatus::skipped: return "skipped";
    case JobStatus::failed: return "failed";
    case JobStatus::cancelled: return "cancelled";
  }
  return "cancelled";
}

}  // namespace relocplan::batch
