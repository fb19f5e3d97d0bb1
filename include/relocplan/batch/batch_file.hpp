#pragma once
// The batch file: which scenarios to run, over which counties, with which
// perturbations. Parsed strictly, like the scenario file (unknown keys and
// wrong types name the key and its line), then expanded into jobs: one full,
// self-contained scenario per job, each checked by the scenario reader before
// anything runs.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "relocplan/batch/job.hpp"

namespace relocplan::batch {

// A scenario key override: dotted key -> TOML value text ("20", "\"sigmoid\"").
struct Override {
  std::string key;
  std::string value;
  int line = 0;  // in the batch file, for messages
};

struct Variant {
  std::string name;  // "base", a [variants.<name>] table, or a grid combination
  std::vector<Override> overrides;
  int line = 0;
};

// One job per polygon of a layer (counties), selected by a field's value.
struct SplitSpec {
  std::filesystem::path path;  // absolute
  std::optional<std::string> layer;
  std::string field;
  // A national split: the layer holds every county of the country and this
  // field names each one's province; a job per (province, county) pair, ids
  // <variant>.<province>.<county>, each province with its own working CRS.
  std::optional<std::string> group_field;
  double margin_m = 5000;
  std::vector<std::string> values;  // empty: every distinct value, in layer order
};

// Monte-Carlo perturbation of the weights in effect.
struct SensitivitySpec {
  int runs = 0;
  double spread = 0.2;  // each weight times (1 + spread * u), u uniform in [-1, 1], then renormalised
  std::uint64_t seed = 0;
  std::vector<std::string> of;  // variant names; {"*"} for every variant
};

struct BatchSpec {
  std::filesystem::path file;  // absolute
  std::string text;
  std::string name;
  std::filesystem::path base;        // the base scenario, absolute
  std::filesystem::path output_dir;  // absolute
  std::optional<std::size_t> memory_mb;
  bool include_base = true;
  std::vector<Variant> variants;  // base (unless include_base = false), named variants, grid combinations
  std::optional<SplitSpec> split;
  std::optional<SensitivitySpec> sensitivity;
};

// Throws core::ScenarioError (exit code 2) naming the file, line and key.
BatchSpec parse_batch(const std::string& text, const std::filesystem::path& file);
BatchSpec load_batch(const std::filesystem::path& file);

// A job, expanded: its record (id, variant, overrides ...) and the full text
// of its scenario.
struct JobSpec {
  JobRecord record;
  std::string scenario_text;
  std::vector<std::pair<std::string, double>> assessment_weights, site_weights;  // in effect (sensitivity jobs: perturbed)
};

struct BatchPlan {
  BatchSpec spec;
  std::vector<JobSpec> jobs;         // in the order they start
  std::filesystem::path summary;     // <output_dir>/<name>_summary.gpkg
  std::filesystem::path jobs_dir, scenarios_dir, logs_dir;
};

// Expands the variants, the split and the sensitivity samples into jobs, and
// parses every job's scenario with the scenario reader: an override of an
// unknown key, or a split value that names no feature, fails here, before
// any job runs (ScenarioError naming the variant and the key).
BatchPlan expand_batch(const BatchSpec& spec);

// "steep_slope_deg-20" style name parts and job ids: keeps letters (any
// script), digits, '-', '_', '.', '+'; anything else (slashes, spaces,
// control characters) becomes '_'.
std::string file_safe(const std::string& text);

// The weights a sensitivity sample uses: each weight times (1 + spread * u),
// u uniform in [-1, 1] from a generator seeded by (seed, sample), renormalised
// to sum 1 and rounded to 6 decimals. Weights that are zero stay zero.
// Reproducible on every platform (own uniform transform of std::mt19937_64).
std::vector<double> perturb_weights(const std::vector<double>& weights, double spread, std::uint64_t seed, int sample,
                                    std::uint64_t stream);

}  // namespace relocplan::batch
