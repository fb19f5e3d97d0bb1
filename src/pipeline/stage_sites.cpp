// The site search and the allocation stages (see stages.hpp).

#include <string>
#include <utility>
#include <vector>

#include "relocplan/pipeline/stage_io.hpp"
#include "relocplan/pipeline/stages.hpp"
#include "relocplan/pipeline/text.hpp"
#include "relocplan/raster/local_cost_distance.hpp"

namespace relocplan::pipeline {

SitesResult run_sites_stage(const Plan& plan, const TerrainResult& terrain, const AssessmentResult& assessed,
                            io::OutputGeoPackage& output, core::Log& log, core::Progress& progress) {
  const config::Scenario& s = plan.scenario;
  const raster::Grid& grid = plan.grid;
  GEOSContextHandle_t ctx = plan.geos->get();
  SitesResult r;
  // The site search streams the terrain back from the rasters the terrain
  // stage wrote, and writes its cell results strip by strip.
  TerrainReader inputs(*terrain.slope, *terrain.elevation, plan.landcover.get());
  r.suitability = output.new_raster_strips("suitability", grid);
  r.classes = output.new_raster_strips("suitability_class", grid, io::RasterStrips::Type::byte_classes, 0);
  r.constraints = output.new_raster_strips("constraints", grid, io::RasterStrips::Type::uint16, 65535);
  SiteRasterWriter site_rasters(*r.suitability, *r.classes, *r.constraints, grid.cols());
  // The travel cost surface and the seat travel time in scratch files: the
  // searches read them window by window.
  const auto seat_travel = output.new_scratch_grid("scratch_seat_travel", grid);
  r.friction = output.new_scratch_grid("scratch_friction", grid);
  // The searches over the surface run after the strips of the inputs pass
  // and before those of the suitability pass: they take the strips' half of
  // the budget, and write tiles beyond it to the work folder.
  const raster::SearchMemory search_memory{.max_bytes = plan.memory.search_bytes(), .spill_dir = output.work_dir()};
  r.found = sites::find_sites(ctx, grid, inputs, site_layers(plan), moving_villages(plan, assessed.villages), s, log,
                              progress, site_rasters, plan.site_block_rows, seat_travel.get(), r.friction.get(),
                              search_memory);
  if (s.study_area.clip && plan.boundary) {
    // Sites whose centroid lies outside the selected boundary belong to the
    // neighbouring area's run.
    const std::size_t before = r.found.sites.size();
    std::erase_if(r.found.sites, [&](const sites::Site& st) {
      vector::GeomPtr c = vector::wrap(ctx, GEOSGetCentroid_r(ctx, st.geometry.get()));
      double x = 0, y = 0;
      if (!c || !GEOSGeomGetX_r(ctx, c.get(), &x) || !GEOSGeomGetY_r(ctx, c.get(), &y)) return true;
      return !plan.boundary->covers(ctx, x, y);
    });
    r.outside_boundary = before - r.found.sites.size();
    if (r.outside_boundary > 0)
      log.info("sites: " + std::to_string(r.outside_boundary) + " site(s) with their centroid outside " +
               plan.boundary->describe() + " left out (clip)");
  }
  return r;
}

allocation::AllocationResult run_allocation_stage(const Plan& plan, const AssessmentResult& assessed,
                                                  const SitesResult& sites, io::OutputGeoPackage& output,
                                                  core::Log& log, core::Progress& progress) {
  const config::Scenario& s = plan.scenario;
  const config::AllocationSpec& spec = *s.allocation;
  std::vector<allocation::Place> demand = allocation_demand(plan, assessed.villages);
  std::vector<allocation::Place> supply = allocation_supply(plan.geos->get(), sites.found, spec.urban_max_travel_min);
  // The sites' strips are gone by now: the searches' workspaces take the
  // strips' half of the budget, tiles beyond it in the work folder.
  auto allocated = allocation::allocate(plan.grid, sites.friction.get(), std::move(demand), std::move(supply), spec,
                                        progress,
                                        {.threads = 0, .memory_bytes = plan.memory.search_bytes(),
                                         .spill_dir = output.work_dir()});
  std::size_t unallocated = 0;
  for (const auto& u : allocated.solution.unallocated) unallocated += static_cast<std::size_t>(u.households);
  if (spec.urban_share && !allocated.urban_target_met)
    log.warn("allocation: the urban-resettlement target of " + fixed(100.0 * *spec.urban_share, 0) +
             " % cannot be reached; " + fixed(100.0 * allocated.urban_share, 1) + " % of households go to urban sites");
  if (unallocated > 0)
    log.warn(std::to_string(unallocated) + " relocating household(s) could not be allocated to a site (see "
             "allocation_summary and the villages' unallocated_reason)");
  return allocated;
}

}  // namespace relocplan::pipeline
