// One run of a scenario (see run.hpp): the stages in order (resolve, terrain
// and zonal statistics by strips, assessment, sites, allocation, writing the
// GeoPackage, run_info; see stages.hpp), each timed, with progress reported.

#include "relocplan/pipeline/run.hpp"
#include "relocplan/pipeline/run_info.hpp"
#include "relocplan/pipeline/stages.hpp"
#include "relocplan/pipeline/tables.hpp"
#include "relocplan/pipeline/text.hpp"

#include <cpl_conv.h>
#include <gdal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <string>

#include "relocplan/allocation/allocate.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/core/memory.hpp"
#include "relocplan/io/output.hpp"

namespace relocplan::pipeline {

namespace fs = std::filesystem;

namespace {

std::string utc_now_iso() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Wall time of each stage, and the peak memory at its end.
struct StageClock {
  struct Lap {
    std::string name;
    double seconds = 0, peak_mb = -1;
    double held_mb = 0;  // heap in use when the stage ends, without GDAL's cache: what it hands on
  };
  std::vector<Lap> stages;
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  void lap(const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    stages.push_back({name, std::chrono::duration<double>(now - t).count(), core::peak_rss_mb(),
                      static_cast<double>(core::held_heap_bytes()) / (1024.0 * 1024.0)});
    t = now;
    // Hand the pages a stage freed back to the system: the many small
    // geometry allocations of a province leave free memory scattered through
    // the heap, which the next stage's large arrays would otherwise add to.
    core::release_free_memory();
  }
};

}  // namespace

RunSummary run(const config::Scenario& s, const RunOptions& options, core::Log& log, core::Progress& progress) {
  const auto t_start = std::chrono::steady_clock::now();
  const std::string started_utc = utc_now_iso();
  StageClock clock;
  // Reproducible GeoPackages: GDAL stamps gpkg_contents.last_change with this
  // instead of the wall clock; run_info records the real time.
  CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
  GDALSetCacheMax64(static_cast<GIntBig>(s.memory_mb) * 1024 * 1024 / 4);

  // Fail before any work if the output may not be written.
  {
    fs::path out = options.output ? fs::absolute(*options.output) : (s.output ? *s.output : fs::absolute(s.file.stem().string() + ".gpkg"));
    refuse_output_on_input(s, out);
    io::check_destination(out, options.overwrite);
  }
  progress.begin("resolving inputs");
  Plan plan = resolve(s, options, log);
  progress.end();
  GDALSetCacheMax64(static_cast<GIntBig>(plan.memory.cache_bytes()));
  io::OutputGeoPackage output(plan.output, options.overwrite);
  output.set_alias_language(io::parse_alias_language(s.output_aliases).value_or(io::AliasLanguage::both));
  clock.lap("resolve");

  TerrainResult terrain = run_terrain_stage(plan, output, log, progress);
  clock.lap("terrain");
  const AssessmentResult assessed = run_assessment_stage(plan, terrain, progress);
  clock.lap("assessment");
  std::optional<SitesResult> sites;
  std::optional<allocation::AllocationResult> allocated;
  if (s.sites) {
    sites = run_sites_stage(plan, terrain, assessed, output, log, progress);
    clock.lap("sites");
    if (s.allocation) {
      allocated = run_allocation_stage(plan, assessed, *sites, output, log, progress);
      clock.lap("allocation");
    }
  }
  write_stage_outputs(plan, terrain, assessed, sites ? &*sites : nullptr, allocated ? &*allocated : nullptr, output,
                      progress);
  clock.lap("write");

  // run_info: what was run, on what, with what, and when.
  io::Table info = run_info_table();
  auto put = [&](const std::string& k, const std::string& v) { put_info(info, k, v); };
  const std::string scenario_sha256 =
      add_run_settings(info, s, plan, started_utc, sites ? sites->outside_boundary : 0, allocated ? &*allocated : nullptr);
  const std::vector<std::string> sources = add_input_checksums(info, s, plan);
  for (std::size_t i = 0; i < log.warnings().size(); ++i) put("warning." + std::to_string(i + 1), log.warnings()[i]);
  clock.lap("checksums");
  for (const auto& lap : clock.stages) put("stage_seconds." + lap.name, fixed(lap.seconds, 3));
  if (sites)
    for (const auto& [part, sec] : sites->found.seconds) put("stage_seconds.sites." + part, fixed(sec, 3));
  if (allocated) {
    put("stage_seconds.allocation.costs", fixed(allocated->cost_seconds, 3));
    put("stage_seconds.allocation.solve", fixed(allocated->solve_seconds, 3));
  }
  for (const auto& lap : clock.stages)
    if (lap.peak_mb >= 0) put("stage_peak_mb." + lap.name, fixed(lap.peak_mb, 0));
  for (const auto& lap : clock.stages)
    if (lap.held_mb > 0) put("stage_held_mb." + lap.name, fixed(lap.held_mb, 0));
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  put("total_seconds", fixed(total, 3));
  // Written last: a run_info with finished_utc belongs to a complete run.
  put("finished_utc", utc_now_iso());
  output.add_table(info);
  // The GeoPackage's own metadata (gpkg_metadata); run_info has the details.
  output.set_metadata(
      run_metadata(s, plan, started_utc, scenario_sha256, sources, sites.has_value(), allocated.has_value()));
  progress.cancel().throw_if_requested();
  output.commit();

  RunSummary sum;
  sum.output = plan.output;
  sum.villages = plan.villages.villages.size();
  sum.villages_outside_boundary = plan.villages_outside_boundary;
  sum.sites_outside_boundary = sites ? sites->outside_boundary : 0;
  sum.villages_without_terrain = terrain.villages_without_terrain;
  sum.grid_rows = plan.grid.rows();
  sum.grid_cols = plan.grid.cols();
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  sum.warnings = log.warnings().size();
  if (sites) {
    sum.sites = sites->found.sites.size();
    for (const auto& st : sites->found.sites) sum.site_capacity_people += st.capacity_people;
  }
  for (const auto& a : assessed.villages) {
    ++sum.by_class[a.cls];
    sum.relocating_people += a.relocating_people;
    sum.relocating_households += a.relocating_households;
  }
  return sum;
}

}  // namespace relocplan::pipeline
