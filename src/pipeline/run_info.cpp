// The run_info table and the GeoPackage metadata of a run (see run_info.hpp).

#include "relocplan/pipeline/run_info.hpp"
#include "relocplan/pipeline/text.hpp"

#include <cpl_string.h>
#include <gdal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "relocplan/core/version.hpp"
#include "relocplan/io/checksum.hpp"
#include "relocplan/raster/gdal_handles.hpp"

namespace relocplan::pipeline {

namespace fs = std::filesystem;

io::Table run_info_table() {
  io::Table info;
  info.name = "run_info";
  info.description = "How this GeoPackage was made: scenario, settings, software versions, input checksums, timings";
  info.columns = {{"key", io::ColumnType::text}, {"value", io::ColumnType::text}};
  return info;
}

void put_info(io::Table& info, const std::string& key, const std::string& value) { info.rows.push_back({key, value}); }

std::string add_run_settings(io::Table& info, const config::Scenario& s, const Plan& plan,
                             const std::string& started_utc, std::size_t sites_outside_boundary,
                             const allocation::AllocationResult* allocated) {
  const raster::Grid& grid = plan.grid;
  auto put = [&](const std::string& k, const std::string& v) { put_info(info, k, v); };
  for (const auto& lv : core::library_versions()) put("version." + lv.name, lv.version);
  put("scenario.file", s.file.string());
  const std::string scenario_sha256 = io::sha256_file(s.file);
  put("scenario.sha256", scenario_sha256);
  put("scenario.text", s.text);
  put("project.name", s.name);
  put("started_utc", started_utc);
  nlohmann::ordered_json settings;
  settings["working_crs"] = plan.working_crs.describe();
  settings["working_crs_reason"] = plan.crs_reason;
  settings["grid"] = {{"xmin", grid.xmin()}, {"ymin", grid.ymin()}, {"xmax", grid.xmax()}, {"ymax", grid.ymax()},
                      {"cell_size_m", grid.cell_size()}, {"rows", grid.rows()}, {"cols", grid.cols()}};
  settings["dem"] = {{"path", s.dem.path.string()}, {"band", s.dem.band}, {"resampling", s.dem.resampling},
                     {"read", plan.dem->info().resampled ? "warped" : "direct"}};
  settings["villages"] = {{"path", s.villages.path.string()}, {"layer", plan.villages.layer_name},
                          {"crs", plan.villages.source_crs.describe()}, {"count", plan.villages.villages.size()}};
  for (const auto& [kind, ts] : s.thresholds.all())
    for (const auto& [key, t] : ts) {
      settings["thresholds"][kind][key] = {{"value", t.value}, {"unit", t.unit}, {"source", t.source},
                                           {"from", t.overridden ? "scenario" : "default"}};
      put("threshold." + kind + "." + key,
          fixed(t.value, 3) + " " + t.unit + (t.overridden ? " (set by the scenario)" : " (default)") + "; source: " +
              t.source);
    }
  {
    const char* from = s.study_area.mode == config::ExtentMode::villages   ? "villages"
                       : s.study_area.mode == config::ExtentMode::boundary ? "boundary"
                                                                            : "bounds";
    nlohmann::ordered_json sa = {{"from", from}, {"margin_m", s.study_area.margin_m}, {"clip", s.study_area.clip}};
    if (plan.boundary) {
      sa["boundary"] = plan.boundary->path.string();
      sa["boundary_layer"] = plan.boundary->layer_name;
      if (s.study_area.boundary_field) {
        sa["boundary_field"] = *s.study_area.boundary_field;
        sa["boundary_value"] = *s.study_area.boundary_value;
      }
      if (s.study_area.boundary_group_field) {
        sa["boundary_group_field"] = *s.study_area.boundary_group_field;
        sa["boundary_group_value"] = *s.study_area.boundary_group_value;
      }
      sa["boundary_features"] = plan.boundary->features;
    }
    if (s.study_area.clip) {
      sa["villages_outside_left_out"] = plan.villages_outside_boundary;
      sa["sites_outside_left_out"] = sites_outside_boundary;
    }
    settings["study_area"] = sa;
    put("study_area", std::string(from) + (plan.boundary ? " " + plan.boundary->describe() : std::string()) +
                          (s.study_area.clip ? "; clip: " + std::to_string(plan.villages_outside_boundary) +
                                                   " villages and " + std::to_string(sites_outside_boundary) +
                                                   " sites outside left out"
                                             : std::string()));
  }
  settings["processing"] = {{"memory_mb", s.memory_mb}, {"block_rows", plan.block_rows}};
  put("settings", settings.dump(2));
  put("working_crs", plan.working_crs.describe());
  if (allocated) {
    const auto& sol = allocated->solution;
    put("allocation.mode", s.allocation->keep_villages_whole ? "whole villages" : "households may be split");
    put("allocation.exact", sol.exact ? "yes (optimal)" : "no (heuristic)");
    put("allocation.total_cost", fixed(sol.total_cost, 3) + " household-" + allocated->cost_unit);
    if (sol.lower_bound) put("allocation.lower_bound", fixed(*sol.lower_bound, 3));
    if (sol.gap) put("allocation.optimality_gap", fixed(100.0 * *sol.gap, 3) + " %");
    put("allocation.pairs", std::to_string(allocated->pairs.size()) + " (village, site) pairs within range");
    put("allocation.groups", std::to_string(allocated->components) +
                                 " independent groups solved; the largest " +
                                 std::to_string(allocated->largest_component_villages) + " villages x " +
                                 std::to_string(allocated->largest_component_sites) + " sites");
    const auto& searches = allocated->searches;
    if (searches.cells_searched > 0)
      put("allocation.cells_searched", std::to_string(searches.cells_searched) +
                                           " cells settled by the travel-time searches");
    if (searches.window_bytes > 0) {
      const auto mb = [](std::size_t bytes) { return fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 0); };
      put("allocation.search_threads",
          std::to_string(searches.share.threads) + " thread(s), each workspace " +
              (searches.share.limit_bytes > 0
                   ? "held to " + mb(std::max(searches.share.limit_bytes, searches.least_bytes)) + " MB (its window: " +
                         mb(searches.window_bytes) + " MB at most)"
                                              : "at most " + mb(searches.window_bytes) + " MB") +
              " (half the working budget for all)");
      put("allocation.tiles_spilled", std::to_string(searches.tiles_spilled) +
                                          " search tiles written to scratch files past the workspaces' limit");
    }
    put("allocation.urban_share", fixed(100.0 * allocated->urban_share, 1) + " % of allocated households at sites within " +
                                      fixed(s.allocation->urban_max_travel_min, 0) + " min of a town");
    if (s.allocation->urban_share)
      put("allocation.urban_target", fixed(100.0 * *s.allocation->urban_share, 1) + " %" +
                                         (allocated->urban_target_met ? " (reached or exceeded" : " (not reachable") +
                                         "; incentive " + fixed(allocated->urban_incentive, 2) + " " +
                                         allocated->cost_unit + " per household on other sites)");
  }
  return scenario_sha256;
}

std::vector<std::string> add_input_checksums(io::Table& info, const config::Scenario& s, const Plan& plan) {
  auto put = [&](const std::string& k, const std::string& v) { put_info(info, k, v); };
  std::map<fs::path, std::string> hashes;
  std::vector<std::string> sources;
  auto checksum_files = [&](const std::string& what, const std::vector<fs::path>& files) {
    for (const auto& f : files) {
      auto it = hashes.find(f);
      if (it == hashes.end()) it = hashes.emplace(f, io::sha256_file(f)).first;
      put("input." + what + "." + f.filename().string() + ".sha256", it->second);
      sources.push_back(what + ": " + f.string() + " (SHA-256 " + it->second + ")");
    }
  };
  auto raster_files = [](const fs::path& path) {
    std::vector<fs::path> files;
    raster::DatasetPtr d(GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (d) {
      char** list = GDALGetFileList(d.get());
      for (char** p = list; p && *p; ++p) files.emplace_back(*p);
      CSLDestroy(list);
    }
    if (files.empty()) files.push_back(path);
    return files;
  };
  checksum_files("villages", plan.villages.files);
  checksum_files("dem", raster_files(s.dem.path));
  if (s.landcover) checksum_files("landcover", raster_files(s.landcover->path));
  if (s.fragility) checksum_files("fragility", raster_files(s.fragility->path));
  {
    std::map<std::string, const std::vector<std::filesystem::path>*> files;  // by name, as the sources are listed
    for (const auto& [name, f] : plan.thematic) files[name] = &f.files;
    for (const auto& [name, st] : plan.streamed) files[name] = &st->info().files;
    for (const auto& [name, f] : files) checksum_files(name, *f);
  }
  if (plan.boundary) checksum_files("boundary", plan.boundary->files);
  return sources;
}

std::vector<std::pair<std::string, std::string>> run_metadata(const config::Scenario& s, const Plan& plan,
                                                              const std::string& started_utc,
                                                              const std::string& scenario_sha256,
                                                              const std::vector<std::string>& sources,
                                                              bool with_sites, bool with_allocation) {
  std::string source_list;
  for (const auto& line : sources) source_list += (source_list.empty() ? "" : "\n") + line;
  return {{"TITLE", s.name.empty() ? s.file.stem().string() : s.name},
          {"DESCRIPTION", s.description},
          {"ABSTRACT",
           "Ex-situ relocation planning by relocplan: village assessment" +
               std::string(with_sites ? ", resettlement sites" : "") +
               (with_allocation ? ", allocation of households to sites" : "") +
               ". Layers, fields and criteria are described in the tables criteria and run_info."},
          {"CREATED_UTC", started_utc},
          {"SOFTWARE", "relocplan " + std::string(core::relocplan_version())},
          {"SCENARIO_FILE", s.file.string()},
          {"SCENARIO_SHA256", scenario_sha256},
          {"CRS", plan.working_crs.describe()},
          {"CELL_SIZE_M", fixed(plan.grid.cell_size(), 3)},
          {"SOURCES", source_list}};
}

}  // namespace relocplan::pipeline
