// Cost distance against GRASS r.cost on a small raster. Runs only where
// GRASS GIS is installed (`grass` on the PATH); exits 77 (skipped for ctest)
// otherwise.

#define CATCH_CONFIG_RUNNER
#include <gdal.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <random>

#include "relocplan/raster/distance.hpp"
#include "test_support.hpp"

namespace {

bool grass_available() { return std::system("command -v grass >/dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("cost distance equals GRASS r.cost on a random friction raster", "[grass]") {
  testsupport::TempDir dir;
  const std::size_t rows = 21, cols = 27;
  const double cell = 30.0;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(0.5f, 5.0f);
  // GRASS reads a cost per cell crossed; ours is per metre.
  testsupport::RasterData per_cell;
  per_cell.rows = rows;
  per_cell.cols = cols;
  per_cell.geotransform = {500000.0, cell, 0, 2900000.0, 0, -cell};
  per_cell.values.resize(rows * cols);
  for (auto& v : per_cell.values) v = u(rng);
  testsupport::write_geotiff(dir / "friction.tif", per_cell, "EPSG:4545");
  testsupport::RasterData start = per_cell;
  std::fill(start.values.begin(), start.values.end(), -9999.0f);
  start.nodata = -9999.0;
  std::vector<std::uint8_t> source(rows * cols, 0);
  for (std::size_t k : {std::size_t{3 * cols + 4}, std::size_t{15 * cols + 20}}) {
    start.values[k] = 1.0f;
    source[k] = 1;
  }
  testsupport::write_geotiff(dir / "start.tif", start, "EPSG:4545");
  const std::string script =
      "set -e\n"
      "r.in.gdal -o input=" + (dir / "friction.tif").string() + " output=friction --quiet\n"
      "r.in.gdal -o input=" + (dir / "start.tif").string() + " output=start --quiet\n"
      "g.region raster=friction\n"
      "r.cost input=friction start_raster=start output=cost --quiet\n"
      "r.out.gdal input=cost output=" + (dir / "cost.tif").string() + " type=Float64 --quiet\n";
  testsupport::write_text(dir / "run.sh", script);
  const auto r = testsupport::run_command(
      {"/bin/sh", "-c",
       "grass -c " + (dir / "friction.tif").string() + " " + (dir / "loc").string() + " --exec sh " + (dir / "run.sh").string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto grass = testsupport::read_raster((dir / "cost.tif").string());
  std::vector<float> per_m(per_cell.values.size());
  for (std::size_t k = 0; k < per_m.size(); ++k) per_m[k] = static_cast<float>(per_cell.values[k] / cell);
  const auto ours = relocplan::raster::cost_distance(per_m, rows, cols, cell, source);
  double worst = 0;
  for (std::size_t k = 0; k < ours.size(); ++k)
    worst = std::max(worst, std::abs(static_cast<double>(ours[k]) - grass.values[k]) / std::max(1.0, static_cast<double>(grass.values[k])));
  CHECK(worst < 1e-4);
}

int main(int argc, char** argv) {
  if (!grass_available()) {
    std::cout << "skipped: GRASS GIS (grass) is not installed\n";
    return 77;
  }
  GDALAllRegister();
  CPLSetErrorHandler(CPLQuietErrorHandler);
  return Catch::Session().run(argc, argv);
}
