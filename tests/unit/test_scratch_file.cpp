// Scratch records: what a run puts aside on disk (the villages' territory
// outlines between the zonal statistics and the output) comes back byte for
// byte, and the file leaves nothing behind.

#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "relocplan/core/error.hpp"
#include "relocplan/core/scratch_file.hpp"
#include "test_support.hpp"

using relocplan::core::ScratchRecords;
using testsupport::TempDir;
namespace fs = std::filesystem;

TEST_CASE("Scratch records come back byte for byte, in any order, and leave no file", "[scratch]") {
  TempDir dir;
  std::mt19937 rng(7);
  std::vector<std::string> kept;
  {
    ScratchRecords records(dir.path(), "the test records");
    for (std::size_t i = 0; i < 3000; ++i) {
      // Empty records (a territory without an outline), short ones and
      // some of several hundred kilobytes, with every byte value.
      const std::size_t n = i % 17 == 0 ? 0 : i % 500 == 3 ? 300000 + i : rng() % 2000;
      std::string r(n, '\0');
      for (auto& c : r) c = static_cast<char>(rng() & 0xff);
      CHECK(records.append(r) == i);
      kept.push_back(std::move(r));
    }
    CHECK(records.size() == kept.size());
    // Nothing is visible in the folder while the records are kept.
    CHECK(fs::is_empty(dir.path()));
    std::string out = "left over";
    std::vector<std::size_t> order(kept.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t i : order) {
      records.read(i, out);
      REQUIRE(out == kept[i]);
    }
    CHECK_THROWS_AS(records.read(kept.size(), out), relocplan::core::InternalError);
  }
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("Scratch records in a missing folder fail with an output error naming it", "[scratch]") {
  TempDir dir;
  CHECK_THROWS_WITH(ScratchRecords(dir / "gone", "the village territories"),
                    Catch::Contains("the village territories") && Catch::Contains("gone"));
  CHECK_THROWS_AS(ScratchRecords(dir / "gone", "x"), relocplan::core::OutputError);
}
