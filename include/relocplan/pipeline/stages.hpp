#pragma once
// The stages of a run, each a unit with one life cycle: it takes the plan
// (with its memory budget) and what the stages before it handed on, works
// strip by strip or search by search within that budget, and hands its
// result to the next. Data flows one way:
//
//   resolve (run.hpp) -> terrain -> assessment -> sites -> allocation -> write
//
// run() in run.cpp only orders them, times them and reports.

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "relocplan/allocation/allocate.hpp"
#include "relocplan/core/log.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/core/scratch_file.hpp"
#include "relocplan/criteria/assessment.hpp"
#include "relocplan/criteria/territories.hpp"
#include "relocplan/criteria/village_terrain.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/pipeline/run.hpp"
#include "relocplan/raster/grid_store.hpp"
#include "relocplan/sites/site_search.hpp"

namespace relocplan::pipeline {

// Terrain and zonal statistics: the villages' territories, then the DEM strip
// by strip (strips of plan.block_rows rows in half the working budget, see
// plan.memory), slope, relief and elevation written to the output's
// temporary rasters, the villages' terrain figures, and every territory's
// zonal statistics over the terrain and the thematic layers burnt strip by
// strip; the territories' outlines then wait for the output in a scratch
// file. Warns about villages outside the grid or on NoData; throws
// InputError when no village has terrain.
struct TerrainResult {
  criteria::TerritoryResult territories;  // their geometries released once the zonal statistics are done
  std::unique_ptr<core::ScratchRecords> territory_wkb;  // each territory's outline (WKB; empty: none)
  std::vector<criteria::TerritoryStats> zonal;  // per village
  std::vector<criteria::VillageTerrain> terrain;  // per village
  std::unique_ptr<io::RasterStrips> slope, relief, elevation;
  std::size_t villages_without_terrain = 0;  // outside the grid or on NoData
};
TerrainResult run_terrain_stage(const Plan& plan, io::OutputGeoPackage& output, core::Log& log,
                                core::Progress& progress);

// The village assessment: the point criteria (hazards, zones, roads, towns)
// and each village's criteria, score, class and reasons.
struct AssessmentResult {
  std::vector<criteria::PointCriteria> points;
  std::vector<criteria::VillageAssessment> villages;
};
AssessmentResult run_assessment_stage(const Plan& plan, const TerrainResult& terrain, core::Progress& progress);

// Resettlement sites: the site search over the terrain rasters (strips of
// plan.site_block_rows rows; its travel-time searches held to half the working budget,
// tiles beyond it in the output's work folder), its cell results written to
// the output's temporary rasters; with a clipped study area, the sites whose
// centroid lies outside it are left out. The travel cost surface stays in
// its scratch file for the allocation.
struct SitesResult {
  sites::SiteSearchResult found;
  std::size_t outside_boundary = 0;
  std::unique_ptr<io::RasterStrips> suitability, classes, constraints;
  std::unique_ptr<raster::ScratchFileGrid> friction;
};
SitesResult run_sites_stage(const Plan& plan, const TerrainResult& terrain, const AssessmentResult& assessed,
                            io::OutputGeoPackage& output, core::Log& log, core::Progress& progress);

// Allocation of the relocating households to the sites: travel-time searches
// from each site or village over the sites' travel cost surface (their
// workspaces sharing half the working budget), then the solver. Warns about households
// left without a site and an urban target out of reach.
allocation::AllocationResult run_allocation_stage(const Plan& plan, const AssessmentResult& assessed,
                                                  const SitesResult& sites, io::OutputGeoPackage& output,
                                                  core::Log& log, core::Progress& progress);

// Writes the rasters and tables of the stages into the GeoPackage (not yet
// committed: run_info comes last) and the public-notice lists.
void write_stage_outputs(const Plan& plan, TerrainResult& terrain, const AssessmentResult& assessed,
                         SitesResult* sites, const allocation::AllocationResult* allocated,
                         io::OutputGeoPackage& output, core::Progress& progress);

}  // namespace relocplan::pipeline
