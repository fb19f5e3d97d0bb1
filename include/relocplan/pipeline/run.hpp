#pragma once
// One run of a scenario: resolve the inputs, the working CRS and the analysis
// grid; compute terrain block by block; attach terrain figures to every
// village; write the GeoPackage.

#include <filesystem>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "relocplan/config/scenario.hpp"
#include "relocplan/core/log.hpp"
#include "relocplan/core/memory.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/raster/raster_source.hpp"
#include "relocplan/vector/boundary.hpp"
#include "relocplan/vector/crs.hpp"
#include "relocplan/vector/geos.hpp"
#include "relocplan/vector/thematic.hpp"
#include "relocplan/vector/villages.hpp"

namespace relocplan::pipeline {

struct RunOptions {
  std::optional<std::filesystem::path> output;  // -o; else [output] path; else <scenario stem>.gpkg
  bool overwrite = false;
  std::optional<std::size_t> block_rows;  // force the strip height (tests); else from the memory budget
};

// Everything a run needs, resolved and checked, before any heavy work.
struct Plan {
  // First member: the GEOS context outlives every geometry of the plan.
  std::unique_ptr<vector::GeosContext> geos = std::make_unique<vector::GeosContext>();
  config::Scenario scenario;
  std::filesystem::path output;
  bool output_exists = false;
  vector::Crs working_crs;
  std::string crs_reason;  // why this CRS ("auto: centre 107.30E 26.00N ...")
  raster::Grid grid;
  vector::VillageLayer villages;
  std::unique_ptr<raster::RasterSource> dem;
  std::unique_ptr<raster::RasterSource> landcover, fragility;
  // Thematic vector layers by name ("roads", "reserve" ...), in the working CRS.
  std::map<std::string, vector::Features> thematic;
  const vector::Features* layer(const std::string& name) const {
    auto it = thematic.find(name);
    return it == thematic.end() ? nullptr : &it->second;
  }
  // Layers used only to burn them strip by strip (desertification), read
  // from their files strip by strip instead of held.
  std::map<std::string, std::unique_ptr<vector::ThematicStream>> streamed;
  const vector::ThematicStream* stream(const std::string& name) const {
    auto it = streamed.find(name);
    return it == streamed.end() ? nullptr : it->second.get();
  }
  // What the plan knows of a thematic layer, held or streamed (null when not given).
  const vector::Features* layer_info(const std::string& name) const {
    if (const auto* f = layer(name)) return f;
    const auto* st = stream(name);
    return st ? &st->info() : nullptr;
  }
  // The selected boundary polygon(s) (study_area.boundary with from =
  // "boundary" or clip = true), and how many villages clip left out.
  std::optional<vector::BoundarySelection> boundary;
  std::size_t villages_outside_boundary = 0;
  std::size_t relief_radius_rows = 0;
  // processing.memory_mb shared between what is held and what works in strips.
  core::MemoryBudget memory;
  std::size_t block_rows = 0;
  std::size_t site_block_rows = 0;  // strips of the site search
};

Plan resolve(const config::Scenario& scenario, const RunOptions& options, core::Log& log);
// Throws ScenarioError when `output` names one of the scenario's inputs or
// the scenario file itself (inputs are never written), however spelt.
void refuse_output_on_input(const config::Scenario& scenario, const std::filesystem::path& output);

// The plan as text for `relocplan validate`.
void print_plan(const Plan& plan, std::ostream& out);

struct RunSummary {
  std::filesystem::path output;
  std::size_t villages = 0;
  std::size_t villages_outside_boundary = 0;  // left out by study_area.clip
  std::size_t sites_outside_boundary = 0;
  std::map<std::string, std::size_t> by_class;  // relocate_whole, relocate_registered, review, stay
  std::int64_t relocating_people = 0, relocating_households = 0;
  std::optional<std::size_t> sites;  // when the scenario searches for sites
  std::int64_t site_capacity_people = 0;
  std::size_t villages_without_terrain = 0;
  std::size_t grid_rows = 0, grid_cols = 0;
  double seconds = 0;
  std::size_t warnings = 0;
};

RunSummary run(const config::Scenario& scenario, const RunOptions& options, core::Log& log, core::Progress& progress);

}  // namespace relocplan::pipeline
