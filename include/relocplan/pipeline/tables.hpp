#pragma once
// The output tables of a run, built from the stages' plain results: the
// villages with their terrain figures and assessment, territories, criteria,
// county and township summaries, the public-notice lists, sites, allocations
// and their summaries. The GeoPackage writer (io/) takes them as they are.

#include <filesystem>
#include <vector>

#include "relocplan/allocation/allocate.hpp"
#include "relocplan/criteria/assessment.hpp"
#include "relocplan/criteria/territories.hpp"
#include "relocplan/criteria/village_terrain.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/pipeline/run.hpp"
#include "relocplan/sites/site_search.hpp"

namespace relocplan::pipeline {

// The villages with their identity and terrain figures.
io::Table villages_table(const Plan& plan, const std::vector<criteria::VillageTerrain>& terrain);
// The assessment's fields, appended to the villages table.
void add_assessment_columns(io::Table& t, const std::vector<criteria::Territory>& territories,
                            const std::vector<criteria::TerritoryStats>& zs,
                            const std::vector<criteria::PointCriteria>& pc,
                            const std::vector<criteria::VillageAssessment>& as);
io::Table territories_table(const Plan& plan, const std::vector<criteria::Territory>& territories,
                            const std::vector<criteria::VillageAssessment>& as, GEOSContextHandle_t ctx);
// The criteria with their thresholds, units and sources.
io::Table criteria_table(const config::Scenario& s);
// Per county, or per township.
io::Table summary_table(const Plan& plan, const std::vector<criteria::VillageAssessment>& as, bool by_township);
// One CSV per township of the villages proposed to move, for public notice.
void write_notices(const std::filesystem::path& dir, const Plan& plan,
                   const std::vector<criteria::VillageAssessment>& as);
io::Table sites_table(const Plan& plan, const sites::SiteSearchResult& found, GEOSContextHandle_t ctx);
io::Table site_summary_table(const sites::SiteSearchResult& found);
// The allocation's fields, appended to the villages table: households
// allocated, the main site, what is left and why.
void add_allocation_columns(io::Table& t, const allocation::AllocationResult& a);
// Load and utilisation of each site, appended to the sites table.
void add_site_load_columns(io::Table& t, const sites::SiteSearchResult& found, const allocation::AllocationResult& a);
io::Table allocations_table(const Plan& plan, const allocation::AllocationResult& a);
io::Table allocation_summary_table(const allocation::AllocationResult& a);

}  // namespace relocplan::pipeline
