// The run's memory budget: what is held by count comes off processing.memory_mb,
// the strips, block cache and searches work in what is left, never in less
// than a quarter of it; the searches' least is counted in what is needed.

#include <catch2/catch.hpp>

#include "relocplan/core/memory.hpp"

using relocplan::core::MemoryBudget;

TEST_CASE("The memory budget takes what is held off the top, the working budget gets the rest", "[memory]") {
  constexpr std::size_t MB = 1024 * 1024;
  SECTION("a county: little is held") {
    const auto b = MemoryBudget::for_run(512, 17 * MB, 600);
    CHECK(b.held_bytes() == 17 * MB + 600 * MemoryBudget::kHeldPerVillage);
    CHECK(b.work_bytes() == 512 * MB - b.held_bytes());
    CHECK(b.strip_bytes() == b.work_bytes() / 2);
    CHECK(b.search_bytes() == b.work_bytes() / 2);
    CHECK(b.cache_bytes() == b.work_bytes() / 4);
    CHECK_FALSE(b.short_of_budget());
    CHECK(b.held_mb() == 19);  // 18.76 MB, rounded up
  }
  SECTION("a province: 80,000 villages and 222 MB of layers") {
    const auto b = MemoryBudget::for_run(1024, 222 * MB, 80000);
    CHECK(b.held_mb() == 457);
    CHECK(b.work_mb() == 1024 - 457);
    CHECK_FALSE(b.short_of_budget());
    // The same province held to 512 MB: less than a quarter would be left,
    // so the working budget is that quarter and the budget is reported short,
    // with the smallest budget that holds it.
    const auto s = MemoryBudget::for_run(512, 222 * MB, 80000);
    CHECK(s.short_of_budget());
    CHECK(s.work_bytes() == 128 * MB);
    CHECK(s.suggested_mb() == 640);  // 457 * 4 / 3 = 610, rounded up to 64 MB
    const auto ok = MemoryBudget::for_run(s.suggested_mb(), 222 * MB, 80000);
    CHECK_FALSE(ok.short_of_budget());
    CHECK(ok.work_bytes() >= ok.suggested_mb() * MB / 4);
  }
  SECTION("the searches' least counts: a budget that holds it gives no warning") {
    // 17 MB held, searches that keep at least 30 MB each: 60 MB to work in.
    const auto b = MemoryBudget::for_run(64, 15 * MB, 600, 60 * MB);
    CHECK(b.short_of_budget());        // 64 - 17 = 47 MB left, less than 60
    CHECK(b.work_mb() == 64 - 17);     // the strips still get what is left
    CHECK(b.needed_mb() == 17 + 60);   // the searches keep their least
    CHECK(b.suggested_mb() == 128);    // 17 + 60 = 77, rounded up to 64 MB
    const auto ok = MemoryBudget::for_run(b.suggested_mb(), 15 * MB, 600, 60 * MB);
    CHECK_FALSE(ok.short_of_budget());
    CHECK(ok.needed_mb() <= 128);
    // Far too small: the strips get a quarter of the budget.
    const auto tiny = MemoryBudget::for_run(16, 15 * MB, 600, 60 * MB);
    CHECK(tiny.work_bytes() == 4 * MB);
    CHECK(tiny.needed_mb() == 17 + 60);
  }
  SECTION("exactly a quarter left is enough") {
    const auto b = MemoryBudget::for_run(400, 300 * MB, 0);
    CHECK_FALSE(b.short_of_budget());
    CHECK(b.work_mb() == 100);
    CHECK(MemoryBudget::for_run(400, 300 * MB + 1, 0).short_of_budget());
  }
}
