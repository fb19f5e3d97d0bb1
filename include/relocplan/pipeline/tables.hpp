#pragma once
// The output tables of a run, built from the stages' plain results: the
// villages with their terrain figures and assessment, territories, criteria,
// county and township summaries, the public-notice lists, sites, allocations
// and their summaries. The GeoPackage writer (io/) takes them as they are.

#include <filesystem>
#include <vector>

#include "relocplan/allocation/allocate.hpp"
#include "relocplan/core/scratch_file.hpp"
#include "relocplan/criteria/assessment.hpp"
#include "relocplan/criteria/territories.hpp"
#include "relocplan/criteria/village_terrain.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/pipeline/run.hpp"
#include "relocplan/sites/site_search.hpp"

namespace relocplan::pipeline {

// The layers of many rows are built row by row as they are written (see
// io::RowSource); they refer to the results they are given, which must
// outlive them.
//
// The villages with their identity, terrain figures and assessment and, with
// an allocation, the households allocated, the main site, what is left and why.
io::RowSource village_rows(const Plan& plan, const std::vector<criteria::VillageTerrain>& terrain,
                           const std::vector<criteria::Territory>& territories,
                           const std::vector<criteria::TerritoryStats>& zonal,
                           const std::vector<criteria::PointCriteria>& points,
                           const std::vector<criteria::VillageAssessment>& assessed,
                           const allocation::AllocationResult* allocated);
// The territories with their outlines as WKB, one record per village.
io::RowSource territory_rows(const Plan& plan, const std::vector<criteria::Territory>& territories,
                             const core::ScratchRecords& outlines, const std::vector<criteria::VillageAssessment>& as);
// The criteria with their thresholds, units and sources.
io::Table criteria_table(const config::Scenario& s);
// Per county, or per township.
io::Table summary_table(const Plan& plan, const std::vector<criteria::VillageAssessment>& as, bool by_township);
// One CSV per township of the villages proposed to move, for public notice.
void write_notices(const std::filesystem::path& dir, const Plan& plan,
                   const std::vector<criteria::VillageAssessment>& as);
// The sites with their capacity and access and, with an allocation, their load.
io::RowSource site_rows(const Plan& plan, const sites::SiteSearchResult& found,
                        const allocation::AllocationResult* allocated, GEOSContextHandle_t ctx);
io::Table site_summary_table(const sites::SiteSearchResult& found);
// One line per village and site it sends households to.
io::RowSource allocation_rows(const Plan& plan, const allocation::AllocationResult& a);
io::Table allocation_summary_table(const allocation::AllocationResult& a);

}  // namespace relocplan::pipeline
