#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "relocplan/allocation/solver.hpp"
#include "relocplan/core/error.hpp"

using relocplan::allocation::Demand;
using relocplan::allocation::Problem;
using relocplan::allocation::Solution;
using relocplan::allocation::solve_split;
using relocplan::allocation::solve_whole;
using relocplan::allocation::Supply;
using Catch::Matchers::Contains;

namespace {

constexpr double blocked = std::numeric_limits<double>::infinity();
constexpr double cost_tolerance = 1e-6;

Problem make_problem(const std::vector<std::int64_t>& households, const std::vector<std::int64_t>& capacity,
                     const std::vector<std::vector<double>>& cost) {
  Problem p;
  for (std::size_t v = 0; v < households.size(); ++v) {
    p.demands.push_back(Demand{"V" + std::to_string(v), households[v], "county"});
  }
  for (std::size_t s = 0; s < capacity.size(); ++s) {
    p.supplies.push_back(Supply{"S" + std::to_string(s), capacity[s], "county"});
  }
  p.cost = cost;
  return p;
}

// A random instance: costs on a 0.1 grid (exact at the solver's 0.001 resolution),
// about a quarter of the pairs disallowed.
Problem random_problem(std::mt19937& rng, std::size_t villages, std::size_t sites, std::int64_t max_households,
                       std::int64_t max_capacity) {
  std::uniform_int_distribution<std::int64_t> households(1, max_households);
  std::uniform_int_distribution<std::int64_t> capacity(0, max_capacity);
  std::uniform_int_distribution<int> tenths(1, 600);
  std::uniform_int_distribution<int> allowed(0, 3);
  std::vector<std::int64_t> h(villages), c(sites);
  for (auto& x : h) x = households(rng);
  for (auto& x : c) x = capacity(rng);
  std::vector<std::vector<double>> cost(villages, std::vector<double>(sites));
  for (auto& row : cost) {
    for (auto& x : row) x = allowed(rng) == 0 ? blocked : tenths(rng) / 10.0;
  }
  return make_problem(h, c, cost);
}

std::int64_t allocated_households(const Solution& s) {
  std::int64_t total = 0;
  for (const auto& a : s.assignments) total += a.households;
  return total;
}

// Capacities respected, only allowed pairs, every household accounted for,
// outputs sorted, total cost consistent.
void check_consistent(const Problem& p, const Solution& s, bool whole) {
  std::vector<std::int64_t> used(p.supplies.size(), 0), placed(p.demands.size(), 0), left(p.demands.size(), 0);
  double total = 0;
  for (std::size_t i = 0; i < s.assignments.size(); ++i) {
    const auto& a = s.assignments[i];
    REQUIRE(a.village < p.demands.size());
    REQUIRE(a.site < p.supplies.size());
    REQUIRE(a.households > 0);
    REQUIRE(std::isfinite(p.cost[a.village][a.site]));
    CHECK(a.cost_per_household == p.cost[a.village][a.site]);
    if (i > 0) {
      const auto& b = s.assignments[i - 1];
      CHECK(std::tie(b.village, b.site) < std::tie(a.village, a.site));
    }
    used[a.site] += a.households;
    placed[a.village] += a.households;
    total += static_cast<double>(a.households) * a.cost_per_household;
  }
  for (std::size_t i = 0; i < s.unallocated.size(); ++i) {
    const auto& u = s.unallocated[i];
    REQUIRE(u.village < p.demands.size());
    CHECK(u.households > 0);
    if (i > 0) CHECK(s.unallocated[i - 1].village < u.village);
    left[u.village] += u.households;
    const bool any_allowed = std::any_of(p.cost[u.village].begin(), p.cost[u.village].end(),
                                         [](double c) { return std::isfinite(c); });
    CHECK(u.reason == (any_allowed ? "capacity exhausted" : "no site within range"));
  }
  for (std::size_t s_i = 0; s_i < p.supplies.size(); ++s_i) CHECK(used[s_i] <= p.supplies[s_i].capacity_households);
  for (std::size_t v = 0; v < p.demands.size(); ++v) {
    CHECK(placed[v] + left[v] == p.demands[v].households);
    if (whole) CHECK((placed[v] == 0 || left[v] == 0));
  }
  if (whole) {
    std::set<std::size_t> villages;
    for (const auto& a : s.assignments) CHECK(villages.insert(a.village).second);
  }
  CHECK(s.total_cost == Approx(total).margin(cost_tolerance));
}

struct Best {
  std::int64_t allocated = -1;
  double cost = 0;
  void offer(std::int64_t a, double c) {
    if (a > allocated || (a == allocated && c < cost - 1e-9)) {
      allocated = a;
      cost = c;
    }
  }
};

// Every integral split: village v sends x[v][s] households to allowed site s.
void enumerate_splits(const Problem& p, std::size_t v, std::size_t s, std::int64_t left_in_village,
                      std::vector<std::int64_t>& room, std::int64_t allocated, double cost, Best& best) {
  if (v == p.demands.size()) {
    best.offer(allocated, cost);
    return;
  }
  if (s == p.supplies.size()) {
    const std::size_t next = v + 1;
    enumerate_splits(p, next, 0, next < p.demands.size() ? p.demands[next].households : 0, room, allocated,
                     cost, best);
    return;
  }
  const double c = p.cost[v][s];
  const std::int64_t most = std::isfinite(c) ? std::min(left_in_village, room[s]) : 0;
  for (std::int64_t x = 0; x <= most; ++x) {
    room[s] -= x;
    enumerate_splits(p, v, s + 1, left_in_village - x, room, allocated + x,
                     cost + static_cast<double>(x) * (x > 0 ? c : 0.0), best);
    room[s] += x;
  }
}

Best brute_force_split(const Problem& p) {
  Best best;
  std::vector<std::int64_t> room;
  for (const auto& s : p.supplies) room.push_back(s.capacity_households);
  enumerate_splits(p, 0, 0, p.demands.empty() ? 0 : p.demands[0].households, room, 0, 0.0, best);
  return best;
}

void enumerate_whole(const Problem& p, std::size_t v, std::vector<std::int64_t>& room, std::int64_t allocated,
                     double cost, Best& best) {
  if (v == p.demands.size()) {
    best.offer(allocated, cost);
    return;
  }
  enumerate_whole(p, v + 1, room, allocated, cost, best);  // left unallocated
  const std::int64_t h = p.demands[v].households;
  for (std::size_t s = 0; s < p.supplies.size(); ++s) {
    if (!std::isfinite(p.cost[v][s]) || room[s] < h) continue;
    room[s] -= h;
    enumerate_whole(p, v + 1, room, allocated + h, cost + static_cast<double>(h) * p.cost[v][s], best);
    room[s] += h;
  }
}

Best brute_force_whole(const Problem& p) {
  Best best;
  std::vector<std::int64_t> room;
  for (const auto& s : p.supplies) room.push_back(s.capacity_households);
  enumerate_whole(p, 0, room, 0, 0.0, best);
  return best;
}

// (village_id, site_id, households), independent of indices.
std::set<std::tuple<std::string, std::string, std::int64_t>> by_id(const Problem& p, const Solution& s) {
  std::set<std::tuple<std::string, std::string, std::int64_t>> out;
  for (const auto& a : s.assignments) {
    out.emplace(p.demands[a.village].village_id, p.supplies[a.site].site_id, a.households);
  }
  return out;
}

Problem permuted(const Problem& p, const std::vector<std::size_t>& village_order,
                 const std::vector<std::size_t>& site_order) {
  Problem q;
  for (std::size_t v : village_order) q.demands.push_back(p.demands[v]);
  for (std::size_t s : site_order) q.supplies.push_back(p.supplies[s]);
  for (std::size_t v : village_order) {
    std::vector<double> row;
    for (std::size_t s : site_order) row.push_back(p.cost[v][s]);
    q.cost.push_back(row);
  }
  return q;
}

}  // namespace

TEST_CASE("allocation: hand-made instance, split and whole optimum", "[allocation]") {
  // A (10 households) is cheap at both sites, B (5) is much cheaper at X.
  // Split: B -> X, A fills X's rest and goes partly to Y: 5x2 + 5x1 + 5x3 = 30.
  // Whole: A -> Y (30) and B -> X (10) = 40 beats A -> X, B -> Y (10 + 50 = 60).
  const Problem p = make_problem({10, 5}, {10, 10}, {{1.0, 3.0}, {2.0, 10.0}});
  const Solution split = solve_split(p);
  check_consistent(p, split, false);
  CHECK(split.total_cost == Approx(30.0));
  REQUIRE(split.assignments.size() == 3);
  CHECK(split.assignments[0].village == 0);
  CHECK(split.assignments[0].site == 0);
  CHECK(split.assignments[0].households == 5);
  CHECK(split.assignments[1].village == 0);
  CHECK(split.assignments[1].site == 1);
  CHECK(split.assignments[1].households == 5);
  CHECK(split.assignments[2].village == 1);
  CHECK(split.assignments[2].site == 0);
  CHECK(split.assignments[2].households == 5);
  CHECK(split.unallocated.empty());
  CHECK(split.exact);

  const Solution whole = solve_whole(p);
  check_consistent(p, whole, true);
  CHECK(whole.exact);
  CHECK(whole.total_cost == Approx(40.0));
  REQUIRE(whole.assignments.size() == 2);
  CHECK(whole.assignments[0].site == 1);
  CHECK(whole.assignments[1].site == 0);
  REQUIRE(whole.lower_bound);
  CHECK(*whole.lower_bound == Approx(30.0));
  REQUIRE(whole.gap);
  CHECK(*whole.gap == 0.0);
}

TEST_CASE("allocation: split maximises allocated households before cost", "[allocation]") {
  // 7 places for 8 households: B (only allowed at S0) must take 3 of S0's 4 places,
  // so A takes the last one and 3 places at the expensive S1 rather than saving cost.
  const Problem p = make_problem({5, 3}, {4, 3}, {{1.0, 50.0}, {1.0, blocked}});
  const Solution s = solve_split(p);
  check_consistent(p, s, false);
  CHECK(allocated_households(s) == 7);
  // (Which village keeps the unplaced household is a tie: both plans cost 154.)
  REQUIRE(s.unallocated.size() == 1);
  CHECK(s.unallocated[0].households == 1);
  CHECK(s.unallocated[0].reason == "capacity exhausted");
  CHECK(s.total_cost == Approx(4 * 1.0 + 3 * 50.0));
}

TEST_CASE("allocation: split matches brute force on small random instances", "[allocation]") {
  std::mt19937 rng(20240611);
  for (int instance = 0; instance < 60; ++instance) {
    const std::size_t villages = instance % 2 == 0 ? 3 : 4;
    const std::size_t sites = villages == 3 ? 3 : 2;
    const Problem p = random_problem(rng, villages, sites, villages == 3 ? 5 : 6, 10);
    INFO("instance " << instance);
    const Solution s = solve_split(p);
    check_consistent(p, s, false);
    const Best best = brute_force_split(p);
    CHECK(allocated_households(s) == best.allocated);
    CHECK(s.total_cost == Approx(best.cost).margin(cost_tolerance));
  }
}

TEST_CASE("allocation: whole matches brute force on small random instances", "[allocation]") {
  std::mt19937 rng(7);
  for (int instance = 0; instance < 200; ++instance) {
    const std::size_t villages = 3 + static_cast<std::size_t>(instance % 4);  // 3..6
    const std::size_t sites = 2 + static_cast<std::size_t>(instance % 2);    // 2..3
    const Problem p = random_problem(rng, villages, sites, 6, 12);
    INFO("instance " << instance);
    const Best best = brute_force_whole(p);
    const Solution s = solve_whole(p);
    check_consistent(p, s, true);
    CHECK(s.exact);
    CHECK(allocated_households(s) == best.allocated);
    CHECK(s.total_cost == Approx(best.cost).margin(cost_tolerance));
    REQUIRE(s.lower_bound);
    CHECK(*s.lower_bound <= s.total_cost + cost_tolerance);

    // The heuristic is feasible and never better than the optimum.
    const Solution h = solve_whole(p, 0);
    check_consistent(p, h, true);
    CHECK(!h.exact);
    const std::int64_t h_allocated = allocated_households(h);
    CHECK(h_allocated <= best.allocated);
    if (h_allocated == best.allocated) CHECK(h.total_cost >= best.cost - cost_tolerance);
    REQUIRE(h.lower_bound);
    CHECK(*h.lower_bound <= h.total_cost + cost_tolerance);
    if (h.gap) CHECK(*h.gap >= 0.0);
  }
}

TEST_CASE("allocation: results do not depend on input order", "[allocation]") {
  std::mt19937 rng(99);
  for (int instance = 0; instance < 30; ++instance) {
    Problem p = random_problem(rng, 7, 4, 9, 15);
    // Integer costs make ties likely; ties are broken by id, not by position.
    for (auto& row : p.cost) {
      for (auto& c : row) {
        if (std::isfinite(c)) c = std::round(c / 10.0);
      }
    }
    std::vector<std::size_t> vo(p.demands.size()), so(p.supplies.size());
    std::iota(vo.begin(), vo.end(), std::size_t{0});
    std::iota(so.begin(), so.end(), std::size_t{0});
    std::shuffle(vo.begin(), vo.end(), rng);
    std::shuffle(so.begin(), so.end(), rng);
    const Problem q = permuted(p, vo, so);
    INFO("instance " << instance);
    for (const bool whole : {false, true}) {
      for (const std::size_t max_pairs : {std::size_t{200000}, std::size_t{0}}) {
        if (!whole && max_pairs == 0) continue;
        const Solution a = whole ? solve_whole(p, max_pairs) : solve_split(p);
        const Solution b = whole ? solve_whole(q, max_pairs) : solve_split(q);
        check_consistent(p, a, whole);
        check_consistent(q, b, whole);
        CHECK(a.total_cost == Approx(b.total_cost).margin(cost_tolerance));
        CHECK(by_id(p, a) == by_id(q, b));
      }
    }
  }
}

TEST_CASE("allocation: same input gives the same output", "[allocation]") {
  std::mt19937 rng(3);
  const Problem p = random_problem(rng, 12, 5, 20, 40);
  const Solution a = solve_whole(p, 0);
  const Solution b = solve_whole(p, 0);
  CHECK(by_id(p, a) == by_id(p, b));
  CHECK(a.total_cost == b.total_cost);
  const Solution c = solve_split(p);
  const Solution d = solve_split(p);
  CHECK(by_id(p, c) == by_id(p, d));
}

TEST_CASE("allocation: infeasible instances leave everything unallocated", "[allocation]") {
  SECTION("zero capacity everywhere") {
    const Problem p = make_problem({3, 4}, {0, 0}, {{1.0, 2.0}, {3.0, blocked}});
    for (const Solution& s : {solve_split(p), solve_whole(p), solve_whole(p, 0)}) {
      check_consistent(p, s, true);
      CHECK(s.assignments.empty());
      REQUIRE(s.unallocated.size() == 2);
      CHECK(s.unallocated[0].reason == "capacity exhausted");
      CHECK(s.unallocated[1].households == 4);
      CHECK(s.total_cost == 0.0);
    }
  }
  SECTION("no allowed pair") {
    const Problem p = make_problem({3, 4}, {10, 10}, {{blocked, blocked}, {std::nan(""), blocked}});
    for (const Solution& s : {solve_split(p), solve_whole(p), solve_whole(p, 0)}) {
      check_consistent(p, s, true);
      CHECK(s.assignments.empty());
      REQUIRE(s.unallocated.size() == 2);
      CHECK(s.unallocated[0].reason == "no site within range");
      CHECK(s.unallocated[1].reason == "no site within range");
    }
  }
  SECTION("no sites, no villages, villages without households") {
    const Problem no_sites = make_problem({2}, {}, {{}});
    const Solution s = solve_whole(no_sites);
    REQUIRE(s.unallocated.size() == 1);
    CHECK(s.unallocated[0].reason == "no site within range");
    CHECK(solve_split(make_problem({}, {5}, {})).assignments.empty());
    const Problem empty_village = make_problem({0, 2}, {5}, {{1.0}, {2.0}});
    for (const Solution& e : {solve_split(empty_village), solve_whole(empty_village)}) {
      check_consistent(empty_village, e, true);
      CHECK(e.unallocated.empty());
      CHECK(e.total_cost == Approx(4.0));
    }
  }
  SECTION("a village too large for any site stays whole in whole mode") {
    const Problem p = make_problem({8}, {5, 5}, {{1.0, 2.0}});
    const Solution split = solve_split(p);
    check_consistent(p, split, false);
    CHECK(allocated_households(split) == 8);
    const Solution whole = solve_whole(p);
    check_consistent(p, whole, true);
    CHECK(whole.assignments.empty());
    REQUIRE(whole.unallocated.size() == 1);
    CHECK(whole.unallocated[0].reason == "capacity exhausted");
    REQUIRE(whole.lower_bound);
    CHECK(*whole.lower_bound == 0.0);  // nothing moved, nothing to bound
  }
}

TEST_CASE("allocation: heuristic reports a gap against the split lower bound", "[allocation]") {
  std::mt19937 rng(42);
  const Problem p = random_problem(rng, 40, 6, 30, 150);
  const Solution exact_split = solve_split(p);
  const Solution h = solve_whole(p, 1);
  check_consistent(p, h, true);
  CHECK(!h.exact);
  REQUIRE(h.lower_bound);
  CHECK(*h.lower_bound <= h.total_cost + cost_tolerance);
  REQUIRE(h.gap);
  CHECK(*h.gap >= 0.0);
  if (allocated_households(h) == allocated_households(exact_split)) {
    CHECK(*h.lower_bound == Approx(exact_split.total_cost).margin(cost_tolerance));
  }
  CHECK(*h.gap == Approx((h.total_cost - *h.lower_bound) / *h.lower_bound).margin(1e-9));
}

TEST_CASE("allocation: invalid input is reported with the offending id", "[allocation]") {
  Problem p = make_problem({3, -1}, {5}, {{1.0}, {1.0}});
  CHECK_THROWS_WITH(solve_split(p), Contains("V1"));
  CHECK_THROWS_AS(solve_whole(p), relocplan::core::ScenarioError);
  p = make_problem({3}, {-5}, {{1.0}});
  CHECK_THROWS_WITH(solve_split(p), Contains("S0"));
  p = make_problem({3}, {5}, {{1.0, 2.0}});
  CHECK_THROWS_AS(solve_split(p), relocplan::core::ScenarioError);
  p = make_problem({3, 4}, {5}, {{1.0}});
  CHECK_THROWS_AS(solve_whole(p), relocplan::core::ScenarioError);
  p = make_problem({3}, {5}, {{-1.0}});
  CHECK_THROWS_WITH(solve_split(p), Contains("V0") && Contains("S0"));
}

TEST_CASE("allocation: whole matches brute force when capacity is short", "[allocation]") {
  // Up to 8 villages and 3 sites (4^8 plans): deeper branch and bound trees
  // where the capacity-aware bound and the "leave unallocated" branch matter.
  std::mt19937 rng(2024);
  for (int instance = 0; instance < 40; ++instance) {
    const std::size_t villages = 6 + static_cast<std::size_t>(instance % 3);  // 6..8
    Problem p = random_problem(rng, villages, 3, 9, 20);
    INFO("instance " << instance);
    const Best best = brute_force_whole(p);
    const Solution s = solve_whole(p);
    check_consistent(p, s, true);
    CHECK(s.exact);
    CHECK(allocated_households(s) == best.allocated);
    CHECK(s.total_cost == Approx(best.cost).margin(cost_tolerance));
    const Solution h = solve_whole(p, 0);
    check_consistent(p, h, true);
    CHECK(allocated_households(h) <= best.allocated);
    REQUIRE(h.lower_bound);
    CHECK(*h.lower_bound <= h.total_cost + cost_tolerance);
    if (h.gap) CHECK(*h.gap >= 0.0);
  }
}

TEST_CASE("allocation: the whole-village lower bound is the split optimum when allocations agree", "[allocation]") {
  std::mt19937 rng(11);
  for (int instance = 0; instance < 20; ++instance) {
    const Problem p = random_problem(rng, 25, 5, 20, 200);  // ample capacity
    INFO("instance " << instance);
    const Solution split = solve_split(p);
    for (const std::size_t max_pairs : {std::size_t{200000}, std::size_t{0}}) {
      const Solution whole = solve_whole(p, max_pairs);
      check_consistent(p, whole, true);
      REQUIRE(whole.lower_bound);
      if (allocated_households(whole) == allocated_households(split)) {
        CHECK(*whole.lower_bound == Approx(split.total_cost).margin(cost_tolerance));
      }
      CHECK(*whole.lower_bound <= whole.total_cost + cost_tolerance);
      REQUIRE(whole.gap);
      CHECK(*whole.gap >= 0.0);
      if (whole.exact) CHECK(*whole.gap == 0.0);
    }
  }
}

TEST_CASE("allocation: costs finer than the 0.001 resolution", "[allocation]") {
  // The solvers optimise costs rounded to 0.001; the reported costs are the
  // exact inputs, within 0.0005 per household of the rounded optimum.
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> minutes(1.0, 90.0);
  for (int instance = 0; instance < 20; ++instance) {
    Problem p = random_problem(rng, 5, 3, 6, 14);
    for (auto& row : p.cost) {
      for (auto& c : row) {
        if (std::isfinite(c)) c = minutes(rng);
      }
    }
    INFO("instance " << instance);
    const Best split_best = brute_force_split(p);
    const Solution split = solve_split(p);
    check_consistent(p, split, false);
    CHECK(allocated_households(split) == split_best.allocated);
    const double slack = 0.001 * static_cast<double>(split_best.allocated);
    CHECK(split.total_cost <= split_best.cost + slack);
    const Best whole_best = brute_force_whole(p);
    const Solution whole = solve_whole(p);
    check_consistent(p, whole, true);
    CHECK(allocated_households(whole) == whole_best.allocated);
    CHECK(whole.total_cost <= whole_best.cost + slack);
    REQUIRE(whole.lower_bound);
    CHECK(*whole.lower_bound <= whole.total_cost + slack);
  }
}

TEST_CASE("allocation: a county-sized instance is solved quickly and consistently", "[allocation]") {
  std::mt19937 rng(8);
  const Problem p = random_problem(rng, 150, 12, 120, 1500);
  const Solution split = solve_split(p);
  check_consistent(p, split, false);
  const Solution whole = solve_whole(p);
  check_consistent(p, whole, true);
  REQUIRE(whole.lower_bound);
  CHECK(*whole.lower_bound <= whole.total_cost + cost_tolerance);
  REQUIRE((whole.exact || whole.gap));
  const Solution heuristic = solve_whole(p, 0);
  check_consistent(p, heuristic, true);
  // Branch and bound starts from the heuristic plan and only accepts improvements.
  CHECK(allocated_households(whole) >= allocated_households(heuristic));
  if (allocated_households(whole) == allocated_households(heuristic)) {
    CHECK(whole.total_cost <= heuristic.total_cost + cost_tolerance);
  }
}
