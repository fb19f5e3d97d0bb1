// Allocation that grows with the work: sparse pairs from windowed searches,
// solved group by group. Checked against the whole-grid, dense method it
// replaces: same costs, same optimum.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "relocplan/allocation/allocate.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/raster/distance.hpp"
#include "test_support.hpp"

using namespace relocplan;
using Catch::Matchers::Contains;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::int64_t allocated(const allocation::Solution& s) {
  std::int64_t n = 0;
  for (const auto& a : s.assignments) n += a.households;
  return n;
}

// A random instance made of `groups` independent blocks (villages of one
// block only reach sites of the same block), as counties are.
struct Instance {
  std::vector<allocation::Demand> demands;
  std::vector<allocation::Supply> supplies;
  std::vector<allocation::Pair> pairs;
  allocation::Problem dense;
};

Instance random_instance(std::mt19937& rng, std::size_t groups, std::size_t villages_per, std::size_t sites_per) {
  Instance in;
  std::uniform_int_distribution<std::int64_t> households(1, 30), capacity(0, 60);
  std::uniform_int_distribution<int> tenths(1, 600), allowed(0, 2);
  const std::size_t nv = groups * villages_per, ns = groups * sites_per;
  // Villages and sites interleaved across groups, so that a group's members
  // are not contiguous in the input.
  for (std::size_t v = 0; v < nv; ++v) in.demands.push_back({"V" + std::to_string(v), households(rng), ""});
  for (std::size_t s = 0; s < ns; ++s) in.supplies.push_back({"S" + std::to_string(s), capacity(rng), ""});
  in.dense.demands = in.demands;
  in.dense.supplies = in.supplies;
  in.dense.cost.assign(nv, std::vector<double>(ns, kInf));
  for (std::size_t v = 0; v < nv; ++v)
    for (std::size_t s = 0; s < ns; ++s) {
      if (v % groups != s % groups || allowed(rng) == 0) continue;
      const double c = tenths(rng) / 10.0;
      in.dense.cost[v][s] = c;
      in.pairs.push_back({v, s, c});
    }
  return in;
}

}  // namespace

TEST_CASE("Allocation by groups: the same optimum as the dense solver", "[allocation][scale]") {
  std::mt19937 rng(4242);
  for (int trial = 0; trial < 20; ++trial) {
    const auto in = random_instance(rng, 1 + static_cast<std::size_t>(trial % 4), 6, 3);
    INFO("trial " << trial);
    const auto dense = allocation::solve_split(in.dense);
    const auto grouped = allocation::solve_pairs(in.demands, in.supplies, in.pairs, false);
    CHECK(allocated(grouped) == allocated(dense));
    CHECK(grouped.total_cost == Approx(dense.total_cost).margin(1e-6));
    CHECK(grouped.exact);
    // Whole villages: both exact (small instances), so the same optimum.
    const auto dense_whole = allocation::solve_whole(in.dense);
    const auto grouped_whole = allocation::solve_pairs(in.demands, in.supplies, in.pairs, true);
    REQUIRE(dense_whole.exact);
    REQUIRE(grouped_whole.exact);
    CHECK(allocated(grouped_whole) == allocated(dense_whole));
    CHECK(grouped_whole.total_cost == Approx(dense_whole.total_cost).margin(1e-6));
    // The bound is summed over groups, each moving its own households: no
    // weaker than the dense bound (which may move them in other groups), and
    // still no more than the plan's cost.
    REQUIRE(grouped_whole.lower_bound);
    CHECK(*grouped_whole.lower_bound >= *dense_whole.lower_bound - 1e-6);
    CHECK(*grouped_whole.lower_bound <= grouped_whole.total_cost + 1e-6);
    // Everyone accounted for.
    std::int64_t demand = 0, unallocated = 0;
    for (const auto& d : in.demands) demand += d.households;
    for (const auto& u : grouped.unallocated) unallocated += u.households;
    CHECK(allocated(grouped) + unallocated == demand);
  }
}

TEST_CASE("Allocation by groups: a village without any pair is unallocated, with its reason", "[allocation][scale]") {
  const std::vector<allocation::Demand> d = {{"A", 5, ""}, {"B", 7, ""}};
  const std::vector<allocation::Supply> s = {{"S", 3, ""}};
  const auto sol = allocation::solve_pairs(d, s, {{0, 0, 2.0}}, false);
  REQUIRE(sol.unallocated.size() == 2);
  CHECK(sol.unallocated[0].village == 0);
  CHECK(sol.unallocated[0].households == 2);
  CHECK(sol.unallocated[0].reason == allocation::reason_capacity);
  CHECK(sol.unallocated[1].village == 1);
  CHECK(sol.unallocated[1].reason == allocation::reason_no_site);
}

namespace {

// The method the windowed searches replace: one whole-grid cost distance per
// site, and a dense cost matrix.
allocation::Problem whole_grid_problem(const raster::Grid& grid, const std::vector<float>& friction,
                                       const std::vector<allocation::Place>& villages,
                                       const std::vector<allocation::Place>& sites, double max_min) {
  allocation::Problem p;
  for (const auto& v : villages) p.demands.push_back({v.id, v.households, v.county});
  for (const auto& s : sites) p.supplies.push_back({s.id, s.households, s.county});
  p.cost.assign(villages.size(), std::vector<double>(sites.size(), kInf));
  for (std::size_t j = 0; j < sites.size(); ++j) {
    const auto sc = grid.cell_of(sites[j].x, sites[j].y);
    REQUIRE(sc);
    std::vector<std::uint8_t> src(grid.cells(), 0);
    src[sc->first * grid.cols() + sc->second] = 1;
    const auto minutes = raster::cost_distance(friction, grid.rows(), grid.cols(), grid.cell_size(), src, max_min);
    for (std::size_t i = 0; i < villages.size(); ++i) {
      const auto vc = grid.cell_of(villages[i].x, villages[i].y);
      if (!vc) continue;
      const float m = minutes[vc->first * grid.cols() + vc->second];
      if (m <= max_min && villages[i].county == sites[j].county) p.cost[i][j] = m;
    }
  }
  return p;
}

}  // namespace

TEST_CASE("Allocation on the map: windowed searches give the whole-grid costs and optimum, on any thread count",
          "[allocation][scale]") {
  std::mt19937 rng(777);
  for (int trial = 0; trial < 6; ++trial) {
    const std::size_t rows = 60, cols = 80;
    const double cell = 30.0;
    const raster::Grid grid(0, rows * cell, cell, rows, cols, "");
    // Walking friction with fast "road" rows and NoData holes.
    std::uniform_real_distribution<float> walk(0.010f, 0.030f);
    std::bernoulli_distribution hole(0.06);
    std::vector<float> friction(grid.cells());
    for (std::size_t k = 0; k < friction.size(); ++k)
      friction[k] = hole(rng) ? std::numeric_limits<float>::quiet_NaN() : (k / cols) % 15 == 7 ? 0.002f : walk(rng);
    std::uniform_real_distribution<double> x(1, cols * cell - 1), y(1, rows * cell - 1);
    std::uniform_int_distribution<std::int64_t> households(1, 40), capacity(10, 120);
    std::vector<allocation::Place> villages, sites;
    for (std::size_t i = 0; i < 40; ++i) {
      const double vx = x(rng);
      villages.push_back({i, "V" + std::to_string(i), vx < cols * cell / 2 ? "west" : "east", vx, y(rng),
                          households(rng), 4.0, false});
    }
    for (std::size_t j = 0; j < 9; ++j) {
      const double sx = x(rng);
      sites.push_back({j, "S" + std::to_string(j), sx < cols * cell / 2 ? "west" : "east", sx, y(rng),
                       capacity(rng), 0, false});
    }
    // Make every site's cell passable, as a site's cells are.
    for (const auto& s : sites) {
      const auto rc = grid.cell_of(s.x, s.y);
      friction[rc->first * cols + rc->second] = 0.02f;
    }
    config::AllocationSpec spec;
    spec.cost = "travel_time";
    spec.max_travel_min = std::vector<double>{10.0, 25.0, 60.0}[static_cast<std::size_t>(trial % 3)];
    INFO("trial " << trial << ", max travel " << spec.max_travel_min << " min");
    const auto reference = allocation::solve_split(whole_grid_problem(grid, friction, villages, sites, spec.max_travel_min));
    core::CancelFlag cancel;
    core::Progress progress(false, cancel);
    const auto one = allocation::allocate(grid, friction, villages, sites, spec, progress, {.threads = 1});
    const auto two = allocation::allocate(grid, friction, villages, sites, spec, progress, {.threads = 2});
    // A memory budget of one workspace: one thread, the same plan.
    const std::size_t window = allocation::search_window_bytes(grid, spec.max_travel_min, raster::min_finite_cost(friction));
    const auto tight = allocation::allocate(grid, friction, villages, sites, spec, progress,
                                            {.threads = 2, .memory_bytes = window + window / 2});
    CHECK(one.searches.share.threads == 1);
    CHECK(two.searches.share.threads == 2);
    CHECK(tight.searches.share.threads == 1);
    CHECK(tight.searches.share.limit_bytes == 0);  // no scratch folder: no limit, one thread
    CHECK(tight.searches.window_bytes == window);
    CHECK(tight.pairs.size() == two.pairs.size());
    CHECK(tight.solution.total_cost == two.solution.total_cost);
    // Same costs pair by pair.
    const auto dense = whole_grid_problem(grid, friction, villages, sites, spec.max_travel_min);
    std::size_t finite = 0;
    for (const auto& row : dense.cost)
      for (double c : row) finite += std::isfinite(c) ? 1 : 0;
    CHECK(one.pairs.size() == finite);
    for (const auto& p : one.pairs) CHECK(p.cost == dense.cost[p.village][p.site]);
    // Same optimum (within 0.1 %; in fact equal).
    CHECK(allocated(one.solution) == allocated(reference));
    CHECK(one.solution.total_cost == Approx(reference.total_cost).epsilon(1e-3));
    CHECK(one.solution.total_cost == Approx(reference.total_cost).margin(1e-6));
    // The thread count changes nothing.
    REQUIRE(two.solution.assignments.size() == one.solution.assignments.size());
    for (std::size_t k = 0; k < one.solution.assignments.size(); ++k) {
      CHECK(two.solution.assignments[k].village == one.solution.assignments[k].village);
      CHECK(two.solution.assignments[k].site == one.solution.assignments[k].site);
      CHECK(two.solution.assignments[k].households == one.solution.assignments[k].households);
    }
    CHECK(two.searches.cells_searched == one.searches.cells_searched);
    CHECK(one.searches.cells_searched > 0);
  }
}

TEST_CASE("Allocation on the map: Ctrl-C during the travel-time searches cancels", "[allocation][scale]") {
  const raster::Grid grid(0, 3000, 30, 100, 100, "");
  std::vector<float> friction(grid.cells(), 0.02f);
  std::vector<allocation::Place> villages = {{0, "V", "c", 100, 100, 5, 4.0, false}, {1, "W", "c", 900, 900, 5, 4.0, false}};
  std::vector<allocation::Place> sites = {{0, "S", "c", 1500, 1500, 10, 0, false}};
  config::AllocationSpec spec;
  spec.cost = "travel_time";
  spec.max_travel_min = 1e6;
  core::CancelFlag cancel;
  cancel.request();
  core::Progress progress(false, cancel);
  CHECK_THROWS_AS(allocation::allocate(grid, friction, villages, sites, spec, progress, {.threads = 2}), core::Cancelled);
}

TEST_CASE("Allocation on the map: the searches' threads fit the memory budget", "[allocation][scale]") {
  using allocation::share_searches;
  CHECK(share_searches(4, 0, false, 100, 1000, 300).threads == 4);
  CHECK(share_searches(4, 0, false, 100, 1000, 300).limit_bytes == 0);
  CHECK(share_searches(4, 0, false, 3, 1000, 300).threads == 3);  // no more than the sources
  CHECK(share_searches(4, 0, false, 0, 1000, 300).threads == 1);
  CHECK(share_searches(0, 0, false, 100, 1000, 300).threads >= 1);  // one per core
  // Without a scratch folder: as many whole windows as fit, at least one.
  CHECK(share_searches(4, 2500, false, 100, 1000, 300).threads == 2);
  CHECK(share_searches(4, 500, false, 100, 1000, 300).threads == 1);
  CHECK(share_searches(4, 500, false, 100, 1000, 300).limit_bytes == 0);
  // With one: as many as the least a limited workspace keeps allows, each
  // held to its share when that is less than the window.
  const auto four = share_searches(4, 2500, true, 100, 1000, 300);
  CHECK(four.threads == 4);
  CHECK(four.limit_bytes == 625);
  const auto two = share_searches(2, 2500, true, 100, 1000, 300);
  CHECK(two.threads == 2);
  CHECK(two.limit_bytes == 0);  // the whole window fits
  const auto tiny = share_searches(4, 200, true, 100, 1000, 300);
  CHECK(tiny.threads == 1);
  CHECK(tiny.limit_bytes == 200);
  // The window: (2R + 1)^2 cells of 28 bytes, R the reach in cells plus one,
  // clipped to the grid.
  const raster::Grid grid(0, 3000, 30, 100, 100, "");
  // 0.3 min at 0.001 min/m: 300 m, 10 cells, R = 11, a side of 23 cells.
  CHECK(allocation::search_window_bytes(grid, 0.3, 0.001) == 23u * 23u * 28u);
  CHECK(allocation::search_window_bytes(grid, 1e6, 0.001) == 100u * 100u * 28u);
}

TEST_CASE("Allocation on the map: workspaces held to a tiny budget give the same pairs and plan",
          "[allocation][scale][spill]") {
  // 1,024 x 2,048 cells (16 x 4 tiles of the searches' state, more than the
  // 48 a limited workspace keeps), travel times over the whole grid.
  std::mt19937 rng(20261207);
  const std::size_t rows = 1024, cols = 2048;
  const double cell = 30.0;
  const raster::Grid grid(0, rows * cell, cell, rows, cols, "");
  const auto friction = testsupport::random_friction(rng, grid.cells(), 0.05);
  std::uniform_real_distribution<double> x(1, cols * cell - 1), y(1, rows * cell - 1);
  std::vector<allocation::Place> villages, sites;
  for (std::size_t i = 0; i < 30; ++i) villages.push_back({i, "V" + std::to_string(i), "c", x(rng), y(rng), 20, 4.0, false});
  for (std::size_t j = 0; j < 3; ++j) sites.push_back({j, "S" + std::to_string(j), "c", x(rng), y(rng), 150, 0, false});
  config::AllocationSpec spec;
  spec.cost = "travel_time";
  spec.max_travel_min = 1e6;
  core::CancelFlag cancel;
  core::Progress progress(false, cancel);
  testsupport::TempDir dir;
  const auto free_run = allocation::allocate(grid, friction, villages, sites, spec, progress, {.threads = 1});
  const auto held = allocation::allocate(grid, friction, villages, sites, spec, progress,
                                         {.threads = 2, .memory_bytes = 1, .spill_dir = dir.path()});
  CHECK(free_run.searches.tiles_spilled == 0);
  CHECK(held.searches.share.threads == 1);
  CHECK(held.searches.share.limit_bytes == 1);
  CHECK(held.searches.tiles_spilled > 0);
  CHECK(held.searches.cells_searched == free_run.searches.cells_searched);
  REQUIRE(held.pairs.size() == free_run.pairs.size());
  for (std::size_t k = 0; k < held.pairs.size(); ++k) {
    CHECK(held.pairs[k].village == free_run.pairs[k].village);
    CHECK(held.pairs[k].site == free_run.pairs[k].site);
    CHECK(held.pairs[k].cost == free_run.pairs[k].cost);
  }
  CHECK(held.solution.total_cost == free_run.solution.total_cost);
  CHECK(std::filesystem::is_empty(dir.path()));
}
