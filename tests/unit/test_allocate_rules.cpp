// Allocation rules on the map: same county, maximum distance, urban share.

#include <catch2/catch.hpp>

#include "relocplan/allocation/allocate.hpp"

using namespace relocplan;

namespace {

allocation::AllocationResult run(const config::AllocationSpec& spec, std::int64_t urban_capacity = 10) {
  const raster::Grid grid(-100, 100, 10, 20, 200, "");
  std::vector<allocation::Place> villages = {{0, "V", "A", 0, 0, 10, 4.0, false}};
  std::vector<allocation::Place> sites = {{0, "RURAL", "A", 100, 0, 10, 0, false},
                                          {1, "URBAN", "A", 1000, 0, urban_capacity, 0, true},
                                          {2, "OTHER", "B", 50, 0, 10, 0, false}};
  core::CancelFlag cancel;
  core::Progress progress(false, cancel);
  return allocation::allocate(grid, {}, villages, sites, spec, progress);
}

std::int64_t to_site(const allocation::AllocationResult& r, const std::string& id) {
  std::int64_t n = 0;
  for (const auto& a : r.solution.assignments)
    if (r.sites[a.site].id == id) n += a.households;
  return n;
}

}  // namespace

TEST_CASE("allocation rules: same county, maximum distance, crossing penalty", "[allocation][rules]") {
  config::AllocationSpec spec;
  spec.cost = "distance";
  spec.max_distance_m = 5000;
  auto r = run(spec);
  CHECK(to_site(r, "RURAL") == 10);  // OTHER is nearer but in another county
  CHECK(to_site(r, "OTHER") == 0);
  CHECK(r.solution.total_cost == Approx(1000.0));
  spec.same_county = false;
  spec.cross_county_penalty = 0;
  CHECK(to_site(run(spec), "OTHER") == 10);
  spec.cross_county_penalty = 100;  // 50 m + 100 > 100 m
  CHECK(to_site(run(spec), "RURAL") == 10);
  spec.same_county = true;
  spec.max_distance_m = 80;  // nothing within range
  r = run(spec);
  REQUIRE(r.solution.unallocated.size() == 1);
  CHECK(r.solution.unallocated[0].households == 10);
  CHECK(r.solution.unallocated[0].reason == "no site within range");
}

TEST_CASE("allocation rules: an urban-resettlement target is reached by the smallest incentive", "[allocation][rules]") {
  config::AllocationSpec spec;
  spec.cost = "distance";
  spec.max_distance_m = 5000;
  auto r = run(spec);
  CHECK(r.urban_share == 0.0);
  spec.urban_share = 0.5;
  r = run(spec);
  CHECK(r.urban_target_met);
  CHECK(r.urban_share >= 0.5);
  // The one village's households all cost the same, so they switch together
  // once the incentive passes the difference in distance (900 m).
  CHECK(to_site(r, "URBAN") == 10);
  CHECK(r.urban_incentive == Approx(900.0).epsilon(1e-6));
  CHECK(r.solution.total_cost == Approx(10 * 1000.0));  // true costs, not the incentive
  spec.urban_share = 1.0;
  CHECK(to_site(run(spec), "URBAN") == 10);
  // Unreachable: the urban site holds 3 households.
  spec.urban_share = 0.5;
  r = run(spec, 3);
  CHECK_FALSE(r.urban_target_met);
  CHECK(to_site(r, "URBAN") == 3);
  CHECK(to_site(r, "RURAL") == 7);  // everyone still allocated
}
