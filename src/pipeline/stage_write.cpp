// Writing the stages' results into the GeoPackage (see stages.hpp).

#include <string>

#include "relocplan/pipeline/stages.hpp"
#include "relocplan/pipeline/tables.hpp"
#include "relocplan/pipeline/text.hpp"

namespace relocplan::pipeline {

void write_stage_outputs(const Plan& plan, TerrainResult& terrain, const AssessmentResult& assessed,
                         SitesResult* sites, const allocation::AllocationResult* allocated,
                         io::OutputGeoPackage& output, core::Progress& progress) {
  const config::Scenario& s = plan.scenario;
  GEOSContextHandle_t ctx = plan.geos->get();
  progress.begin("writing rasters");
  core::Progress::Span thirds[3] = {{&progress, 0.0, 1.0 / 3}, {&progress, 1.0 / 3, 2.0 / 3}, {&progress, 2.0 / 3, 1.0}};
  output.add_raster(*terrain.elevation, {"elevation", "Elevation (m) on the analysis grid", "m"}, &thirds[0]);
  output.add_raster(*terrain.slope, {"slope", "Slope (degrees, Horn) on the analysis grid", "degree"}, &thirds[1]);
  output.add_raster(*terrain.relief,
                    {"relief",
                     "Local relief (m): max - min elevation within " +
                         fixed(s.thresholds.value("terrain", "relief_radius_m"), 0) + " m",
                     "m"},
                    &thirds[2]);
  progress.end();
  progress.begin("writing villages");
  // The village layers row by row, never held whole (see io::RowSource).
  core::Progress::Span halves[2] = {{&progress, 0.0, 0.5}, {&progress, 0.5, 1.0}};
  output.add_rows(village_rows(plan, terrain.terrain, terrain.territories.territories, terrain.zonal, assessed.points,
                               assessed.villages, allocated),
                  &halves[0]);
  output.add_rows(territory_rows(plan, terrain.territories.territories, *terrain.territory_wkb, assessed.villages),
                  &halves[1]);
  output.add_table(criteria_table(s));
  output.add_table(summary_table(plan, assessed.villages, false));
  output.add_table(summary_table(plan, assessed.villages, true));
  write_notices(output.notices_dir(), plan, assessed.villages);
  if (sites) {
    progress.begin("writing sites");
    // Neutral grey for unsuitable land, then yellow to green, so that the
    // suitable land stands out; NoData transparent.
    sites->classes->set_palette({{0, 0, 0, 0, 0, ""},
                                 {1, 225, 225, 225, 255, "unsuitable 不适宜"},
                                 {2, 254, 224, 139, 255, "marginal 较不适宜"},
                                 {3, 166, 217, 106, 255, "suitable 较适宜"},
                                 {4, 26, 150, 65, 255, "most suitable 最适宜"}});
    core::Progress::Span spans[3] = {{&progress, 0.0, 0.4}, {&progress, 0.4, 0.7}, {&progress, 0.7, 1.0}};
    output.add_raster(*sites->suitability,
                      {"suitability", "Resettlement-site suitability (0-1; 0 on excluded cells)", "score 0-1"},
                      &spans[0]);
    output.add_raster(
        *sites->classes,
        {"suitability_class", "Suitability class: 1 unsuitable, 2 marginal, 3 suitable, 4 most suitable (0 NoData)", ""},
        &spans[1]);
    output.add_raster(*sites->constraints,
                      {"constraints",
                       "Why cells are excluded (bits): 1 steep, 2 hazard, 4 reserve, 8 red line, 16 water, 32 flood, "
                       "64 best farmland, 128 elevation, 256 near a moving village, 512 extra exclusion, 1024 no terrain",
                       ""},
                      &spans[2]);
    output.add_rows(site_rows(plan, sites->found, allocated, ctx));
    if (allocated) {
      output.add_rows(allocation_rows(plan, *allocated));
      output.add_table(allocation_summary_table(*allocated));
    }
    output.add_table(site_summary_table(sites->found));
    progress.end();
  }
  progress.end();
}

}  // namespace relocplan::pipeline
