#pragma once
// How a run's GeoPackage was made: the run_info table (software versions,
// the scenario and its settings, the study area, allocation figures, input
// checksums; the run adds warnings and timings) and the GeoPackage's own
// metadata (gpkg_metadata).

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "relocplan/allocation/allocate.hpp"
#include "relocplan/config/scenario.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/pipeline/run.hpp"

namespace relocplan::pipeline {

// The run_info table (key, value), without rows.
io::Table run_info_table();
void put_info(io::Table& info, const std::string& key, const std::string& value);

// Rows of what was run, on what and with what: versions, the scenario file
// (its SHA-256 and text), the start time, the settings as JSON, thresholds,
// the study area, the working CRS and, when allocated, the allocation's
// figures. Returns the scenario file's SHA-256.
std::string add_run_settings(io::Table& info, const config::Scenario& s, const Plan& plan,
                             const std::string& started_utc, std::size_t sites_outside_boundary,
                             const allocation::AllocationResult* allocated);

// A SHA-256 row for every file of every input, each file hashed once even
// when several inputs share it. Returns the inputs as lines
// "what: path (SHA-256 ...)".
std::vector<std::string> add_input_checksums(io::Table& info, const config::Scenario& s, const Plan& plan);

// The GeoPackage's metadata: what, when, which scenario and which sources;
// run_info has the details.
std::vector<std::pair<std::string, std::string>> run_metadata(const config::Scenario& s, const Plan& plan,
                                                              const std::string& started_utc,
                                                              const std::string& scenario_sha256,
                                                              const std::vector<std::string>& sources,
                                                              bool with_sites, bool with_allocation);

}  // namespace relocplan::pipeline
