#include <gdal.h>
#include <gdal_utils.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "relocplan/criteria/village_terrain.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/terrain/terrain.hpp"
#include "test_support.hpp"

using namespace relocplan::terrain;
using testsupport::RasterData;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Runs gdaldem (the library entry point of the command-line tool) on a raster.
RasterData gdaldem(const std::string& mode, const RasterData& dem, const std::string& crs) {
  testsupport::write_geotiff("/vsimem/relocplan_dem.tif", dem, crs);
  GDALDatasetH src = GDALOpen("/vsimem/relocplan_dem.tif", GA_ReadOnly);
  char* args[] = {const_cast<char*>("-of"), const_cast<char*>("GTiff"), const_cast<char*>("-alg"),
                  const_cast<char*>("Horn"), nullptr};
  GDALDEMProcessingOptions* opts = GDALDEMProcessingOptionsNew(args, nullptr);
  int usage = 0;
  GDALDatasetH out = GDALDEMProcessing("/vsimem/relocplan_out.tif", src, mode.c_str(), nullptr, opts, &usage);
  GDALDEMProcessingOptionsFree(opts);
  REQUIRE(out != nullptr);
  GDALClose(out);
  GDALClose(src);
  RasterData r = testsupport::read_raster("/vsimem/relocplan_out.tif");
  VSIUnlink("/vsimem/relocplan_dem.tif");
  VSIUnlink("/vsimem/relocplan_out.tif");
  return r;
}

double angle_diff(double a, double b) {
  const double d = std::fmod(std::abs(a - b), 360.0);
  return std::min(d, 360.0 - d);
}

void compare_with_gdaldem(const RasterData& dem, double cell) {
  const RowStrip strip{dem.values.data(), dem.cols, 0, dem.rows};
  std::vector<float> slope(dem.values.size()), aspect(dem.values.size());
  horn_slope_aspect(strip, dem.rows, 0, dem.rows, cell, slope.data(), aspect.data());
  const RasterData ref_slope = gdaldem("slope", dem, "EPSG:4545");
  const RasterData ref_aspect = gdaldem("aspect", dem, "EPSG:4545");
  double worst_slope = 0, worst_aspect = 0;
  std::size_t compared = 0;
  for (std::size_t r = 1; r + 1 < dem.rows; ++r)
    for (std::size_t c = 1; c + 1 < dem.cols; ++c) {
      const std::size_t k = r * dem.cols + c;
      worst_slope = std::max(worst_slope, std::abs(double(slope[k]) - ref_slope.values[k]));
      if (ref_aspect.values[k] != -9999.0f) {
        REQUIRE_FALSE(std::isnan(aspect[k]));
        worst_aspect = std::max(worst_aspect, angle_diff(aspect[k], ref_aspect.values[k]));
      } else {
        CHECK(std::isnan(aspect[k]));
      }
      ++compared;
    }
  CHECK(compared == (dem.rows - 2) * (dem.cols - 2));
  CHECK(worst_slope < 1e-4);
  CHECK(worst_aspect < 1e-4);
}

}  // namespace

TEST_CASE("Horn slope and aspect equal gdaldem on interior cells (synthetic DEM)", "[terrain][gdaldem]") {
  const RasterData dem = testsupport::synthetic_dem(90, 130, 500000.0, 2900000.0, 30.0, 600.0);
  compare_with_gdaldem(dem, 30.0);
}

TEST_CASE("Horn slope and aspect equal gdaldem on flat and planar surfaces", "[terrain][gdaldem]") {
  RasterData dem = testsupport::synthetic_dem(20, 25, 500000.0, 2900000.0, 10.0);
  // A tilted plane facing east-south-east, and a flat patch (aspect undefined).
  for (std::size_t r = 0; r < dem.rows; ++r)
    for (std::size_t c = 0; c < dem.cols; ++c)
      dem.values[r * dem.cols + c] = (c < 12) ? static_cast<float>(500.0 - 3.0 * c + 1.0 * r) : 440.0f;
  compare_with_gdaldem(dem, 10.0);
  const RowStrip strip{dem.values.data(), dem.cols, 0, dem.rows};
  std::vector<float> slope(dem.values.size()), aspect(dem.values.size());
  horn_slope_aspect(strip, dem.rows, 0, dem.rows, 10.0, slope.data(), aspect.data());
  // Hand-computed: dz/dx = -0.3, dz/dy (southward) = +0.1 -> slope atan(sqrt(0.1)).
  CHECK(slope[5 * dem.cols + 5] == Approx(std::atan(std::sqrt(0.09 + 0.01)) * 180.0 / M_PI).epsilon(1e-6));
  CHECK(std::isnan(aspect[5 * dem.cols + 20]));
  CHECK(slope[5 * dem.cols + 20] == 0.0f);
}

TEST_CASE("slope edge and NoData policy: centre NoData gives NoData, missing neighbours take the centre", "[terrain]") {
  // 5 x 5, a plane z = 2x (x in cells of 1 m) with one NoData cell at (1,1).
  std::vector<float> z(25);
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 5; ++c) z[r * 5 + c] = static_cast<float>(2 * c);
  z[1 * 5 + 1] = kNaN;
  std::vector<float> slope(25), aspect(25);
  horn_slope_aspect({z.data(), 5, 0, 5}, 5, 0, 5, 1.0, slope.data(), aspect.data());
  CHECK(std::isnan(slope[6]));
  CHECK(std::isnan(aspect[6]));
  // Interior cell (3,3), all neighbours valid: gradient 2, facing west (270).
  CHECK(slope[3 * 5 + 3] == Approx(std::atan(2.0) * 180.0 / M_PI));
  CHECK(aspect[3 * 5 + 3] == Approx(270.0));
  // Corner (4,4): the missing row below and column to the right take the
  // centre's 8. West minus east = (6+12+8) - (8+16+8) = -6, south minus north
  // = (8+16+8) - (6+16+8) = 2; divided by 8: 0.75 and 0.25.
  CHECK(slope[24] == Approx(std::atan(std::sqrt(0.75 * 0.75 + 0.25 * 0.25)) * 180.0 / M_PI));
  // Cell (0,0): the NoData neighbour (1,1) and the missing row and column take
  // the centre's 0; only (0,1) = 2 is seen: west minus east = -4, /8 = 0.5.
  CHECK(slope[0] == Approx(std::atan(0.5) * 180.0 / M_PI));
  // Every valid cell has a value.
  for (int k = 0; k < 25; ++k)
    if (k != 6) CHECK_FALSE(std::isnan(slope[k]));
}

namespace {

// Horn cell by cell with the edge and NoData policy spelt out, the sums in
// gdaldem's float order: the reference for horn_slope_aspect's row loops.
void horn_reference(const std::vector<float>& z, std::size_t rows, std::size_t cols, double cell, float* slope,
                    float* aspect) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const float zc = z[r * cols + c];
      if (std::isnan(zc)) {
        slope[r * cols + c] = aspect[r * cols + c] = kNaN;
        continue;
      }
      auto at = [&](long long rr, long long cc) -> float {
        if (rr < 0 || cc < 0 || rr >= static_cast<long long>(rows) || cc >= static_cast<long long>(cols)) return zc;
        const float v = z[static_cast<std::size_t>(rr) * cols + static_cast<std::size_t>(cc)];
        return std::isnan(v) ? zc : v;
      };
      const long long ri = static_cast<long long>(r), ci = static_cast<long long>(c);
      const float w0 = at(ri - 1, ci - 1), w1 = at(ri - 1, ci), w2 = at(ri - 1, ci + 1);
      const float w3 = at(ri, ci - 1), w5 = at(ri, ci + 1);
      const float w6 = at(ri + 1, ci - 1), w7 = at(ri + 1, ci), w8 = at(ri + 1, ci + 1);
      const float wme = (w0 + w3 + w3 + w6) - (w2 + w5 + w5 + w8);
      const float smn = (w6 + w7 + w7 + w8) - (w0 + w1 + w1 + w2);
      const double gx = wme / cell, gy = smn / cell;
      slope[r * cols + c] = static_cast<float>(std::atan(std::sqrt(gx * gx + gy * gy) / 8.0) * 180.0 / M_PI);
      if (wme == 0.0f && smn == 0.0f) {
        aspect[r * cols + c] = kNaN;
      } else {
        float az = static_cast<float>(std::atan2(static_cast<double>(smn), static_cast<double>(wme)) /
                                      (M_PI / 180.0));
        az = az > 90.0f ? 450.0f - az : 90.0f - az;
        aspect[r * cols + c] = az == 360.0f ? 0.0f : az;
      }
    }
}

bool same_bits(float a, float b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0; }

// Random terrain: smooth, stepped (flat patches, exact zero gradients) or
// noise, with NoData holes, on the edges too.
std::vector<float> random_dem(std::mt19937& rng, std::size_t rows, std::size_t cols, int kind, int holes) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> z(rows * cols);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const float smooth = 800.0f + 40.0f * std::sin(0.3f * static_cast<float>(r)) * std::cos(0.2f * static_cast<float>(c));
      z[r * cols + c] = kind == 0 ? smooth + u(rng) : kind == 1 ? std::floor(smooth / 10.0f) * 10.0f : 1000.0f * u(rng);
    }
  for (int k = 0; k < holes && !z.empty(); ++k) z[rng() % z.size()] = kNaN;
  return z;
}

}  // namespace

TEST_CASE("Horn: the row loops equal the cell-by-cell reference bit for bit, edges and holes included", "[terrain]") {
  std::mt19937 rng(11);
  const std::pair<std::size_t, std::size_t> shapes[] = {{1, 1}, {1, 6}, {6, 1}, {2, 2}, {2, 7}, {7, 2},
                                                        {3, 3}, {4, 5}, {33, 47}, {64, 3}};
  for (auto [rows, cols] : shapes)
    for (int kind = 0; kind < 3; ++kind) {
      const std::vector<float> z = random_dem(rng, rows, cols, kind, static_cast<int>(rows * cols / 12));
      std::vector<float> slope(z.size()), aspect(z.size()), ref_slope(z.size()), ref_aspect(z.size());
      horn_reference(z, rows, cols, 30.0, ref_slope.data(), ref_aspect.data());
      horn_slope_aspect({z.data(), cols, 0, rows}, rows, 0, rows, 30.0, slope.data(), aspect.data());
      std::size_t flat = 0;
      for (std::size_t k = 0; k < z.size(); ++k) {
        INFO(rows << " x " << cols << ", kind " << kind << ", cell " << k);
        REQUIRE(same_bits(slope[k], ref_slope[k]));
        REQUIRE(same_bits(aspect[k], ref_aspect[k]));
        flat += !std::isnan(z[k]) && std::isnan(aspect[k]);
        const float one = horn_aspect_at({z.data(), cols, 0, rows}, rows, k / cols, k % cols);
        REQUIRE(same_bits(one, ref_aspect[k]));
      }
      if (kind == 1 && rows * cols > 100) CHECK(flat > 0);  // the stepped terrain has flat cells
      // Rows of a strip that holds them and one row more on each side.
      for (std::size_t r0 = 0; r0 < rows; r0 += 5) {
        const std::size_t n = std::min<std::size_t>(5, rows - r0);
        const std::size_t first = r0 == 0 ? 0 : r0 - 1, last = std::min(rows, r0 + n + 1);
        const RowStrip strip{z.data() + first * cols, cols, first, last - first};
        std::vector<float> s(n * cols), a(n * cols);
        horn_slope_aspect(strip, rows, r0, n, 30.0, s.data(), a.data());
        for (std::size_t k = 0; k < n * cols; ++k) {
          REQUIRE(same_bits(s[k], ref_slope[r0 * cols + k]));
          REQUIRE(same_bits(a[k], ref_aspect[r0 * cols + k]));
        }
        for (std::size_t k = 0; k < n * cols; ++k)
          REQUIRE(same_bits(horn_aspect_at(strip, rows, r0 + k / cols, k % cols), ref_aspect[r0 * cols + k]));
      }
    }
  const std::vector<float> z(12, 1.0f);
  CHECK_THROWS(horn_aspect_at({z.data(), 4, 0, 3}, 3, 3, 0));
  CHECK_THROWS(horn_aspect_at({z.data(), 4, 0, 3}, 3, 0, 4));
  CHECK_THROWS(horn_aspect_at({z.data() + 4, 4, 1, 1}, 3, 1, 0));  // the rows above and below are not held
}

TEST_CASE("circle window half-widths", "[terrain][relief]") {
  const CircleWindow w(2.5);
  CHECK(w.radius_rows == 2);
  CHECK(w.half_width == std::vector<int>{1, 2, 2, 2, 1});
  const CircleWindow w0(0.0);
  CHECK(w0.radius_rows == 0);
  CHECK(w0.half_width == std::vector<int>{0});
  const CircleWindow w1(1.0);
  CHECK(w1.half_width == std::vector<int>{0, 1, 0});
}

TEST_CASE("relief on a hand-checked 3x3 grid", "[terrain][relief]") {
  std::vector<float> z = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<float> rel(9);
  local_relief({z.data(), 3, 0, 3}, 3, 0, 3, CircleWindow(1.0), rel.data());
  // Centre: plus-shape 2,4,5,6,8 -> 6. Corner (0,0): 1,2,4 -> 3. Edge (0,1): 1,2,3,5 -> 4.
  CHECK(rel[4] == 6.0f);
  CHECK(rel[0] == 3.0f);
  CHECK(rel[1] == 4.0f);
  CHECK(rel[8] == 9.0f - 6.0f);
}

TEST_CASE("relief: the row-extrema method equals the direct scan on random terrain with holes", "[terrain][relief]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.0f, 1000.0f);
  const std::size_t rows = 41, cols = 53;
  std::vector<float> z(rows * cols);
  for (auto& v : z) v = u(rng);
  for (int k = 0; k < 80; ++k) z[rng() % z.size()] = kNaN;
  for (double radius : {0.0, 1.0, 1.5, 2.0, 3.7, 6.2, 30.0}) {
    const CircleWindow w(radius);
    std::vector<float> fast(z.size()), direct(z.size());
    local_relief({z.data(), cols, 0, rows}, rows, 0, rows, w, fast.data());
    local_relief_direct({z.data(), cols, 0, rows}, rows, 0, rows, w, direct.data());
    for (std::size_t k = 0; k < z.size(); ++k) {
      if (std::isnan(direct[k])) CHECK(std::isnan(fast[k]));
      else REQUIRE(fast[k] == direct[k]);
    }
  }
}

TEST_CASE("relief equals the direct scan on narrow grids, at strip edges, with every radius", "[terrain][relief]") {
  std::mt19937 rng(23);
  // Widths around the 16-column blocks and below the window; rows around the radius.
  const std::pair<std::size_t, std::size_t> shapes[] = {{1, 1},  {1, 40}, {40, 1}, {5, 15}, {9, 16},
                                                        {12, 17}, {3, 33}, {26, 47}, {70, 64}};
  for (auto [rows, cols] : shapes)
    for (int kind = 0; kind < 3; ++kind) {
      std::vector<float> z = random_dem(rng, rows, cols, kind, static_cast<int>(rows * cols / 9));
      if (kind == 1 && rows > 3)  // a NoData row, and zeros of both signs
        for (std::size_t c = 0; c < cols; ++c) {
          z[2 * cols + c] = kNaN;
          z[(rows - 1) * cols + c] = (c % 2) ? -0.0f : 0.0f;
        }
      for (double radius : {0.0, 0.7, 1.0, 1.5, 2.9, 4.0, 5.5, 8.3, 16.67, 40.0}) {
        const CircleWindow w(radius);
        std::vector<float> direct(z.size()), whole(z.size());
        local_relief_direct({z.data(), cols, 0, rows}, rows, 0, rows, w, direct.data());
        local_relief({z.data(), cols, 0, rows}, rows, 0, rows, w, whole.data());
        for (std::size_t k = 0; k < z.size(); ++k) {
          INFO(rows << " x " << cols << ", kind " << kind << ", radius " << radius << ", cell " << k);
          if (std::isnan(direct[k])) REQUIRE(std::isnan(whole[k]));
          else REQUIRE(whole[k] == direct[k]);
        }
        // Strips of 7 rows holding exactly the rows they need, at the grid's
        // top and bottom edges and inside: the same bits as the whole grid.
        const auto R = static_cast<std::size_t>(w.radius_rows);
        for (std::size_t r0 = 0; r0 < rows; r0 += 7) {
          const std::size_t n = std::min<std::size_t>(7, rows - r0);
          const std::size_t first = r0 > R ? r0 - R : 0, last = std::min(rows, r0 + n + R);
          std::vector<float> part(n * cols);
          local_relief({z.data() + first * cols, cols, first, last - first}, rows, r0, n, w, part.data());
          REQUIRE(std::memcmp(part.data(), whole.data() + r0 * cols, part.size() * sizeof(float)) == 0);
        }
      }
    }
}

TEST_CASE("relief and slope of a strip equal the whole-array result bit for bit", "[terrain][blocks]") {
  const RasterData dem = testsupport::synthetic_dem(60, 37, 0.0, 0.0, 30.0);
  const CircleWindow w(4.3);
  std::vector<float> whole_relief(dem.values.size()), whole_slope(dem.values.size());
  local_relief({dem.values.data(), dem.cols, 0, dem.rows}, dem.rows, 0, dem.rows, w, whole_relief.data());
  horn_slope_aspect({dem.values.data(), dem.cols, 0, dem.rows}, dem.rows, 0, dem.rows, 30.0, whole_slope.data(),
                    nullptr);
  // Rows 20..29 from a strip that holds exactly rows 16..33 (halo 4).
  const std::size_t r0 = 20, n = 10, halo = 4;
  const RowStrip strip{dem.values.data() + (r0 - halo) * dem.cols, dem.cols, r0 - halo, n + 2 * halo};
  std::vector<float> relief(n * dem.cols), slope(n * dem.cols);
  local_relief(strip, dem.rows, r0, n, w, relief.data());
  horn_slope_aspect(strip, dem.rows, r0, n, 30.0, slope.data(), nullptr);
  for (std::size_t k = 0; k < n * dem.cols; ++k) {
    REQUIRE(relief[k] == whole_relief[r0 * dem.cols + k]);
    REQUIRE(slope[k] == whole_slope[r0 * dem.cols + k]);
  }
  // A strip missing a needed row is a programming error, reported, not read out of bounds.
  const RowStrip short_strip{dem.values.data() + r0 * dem.cols, dem.cols, r0, n};
  CHECK_THROWS(local_relief(short_strip, dem.rows, r0, n, w, relief.data()));
}

TEST_CASE("village terrain: the aspect computed at the villages' cells only gives the whole raster's values",
          "[terrain][blocks]") {
  std::mt19937 rng(5);
  const std::size_t rows = 30, cols = 40;
  const std::vector<float> z = random_dem(rng, rows, cols, 0, 40);
  const relocplan::raster::Grid grid(500000.0, 2900000.0, 30.0, rows, cols, "");
  std::vector<double> xs, ys;
  for (std::size_t r : {0, 3, 9, 10, 17, 29})
    for (std::size_t c : {0, 5, 21, 39}) {
      xs.push_back(grid.x_of_col(c));
      ys.push_back(grid.y_of_row(r));
    }
  xs.push_back(grid.xmin() - 100.0);  // off the grid
  ys.push_back(grid.ymax() - 100.0);
  const RowStrip whole{z.data(), cols, 0, rows};
  std::vector<float> slope(z.size()), aspect(z.size());
  horn_slope_aspect(whole, rows, 0, rows, 30.0, slope.data(), aspect.data());
  relocplan::criteria::VillageTerrainAccumulator full(grid, xs, ys, {});
  full.add_rows(0, rows, z.data(), slope.data(), aspect.data(), z.data());
  // Strips of 10 rows; the aspect only where point_cells asks for it.
  relocplan::criteria::VillageTerrainAccumulator sparse(grid, xs, ys, {});
  std::size_t cells = 0;
  for (std::size_t r0 = 0; r0 < rows; r0 += 10) {
    std::vector<float> only(10 * cols, 12345.0f);
    for (const auto& [r, c] : sparse.point_cells(r0, 10)) {
      REQUIRE((r >= r0 && r < r0 + 10 && c < cols));
      only[(r - r0) * cols + c] = horn_aspect_at(whole, rows, r, c);
      ++cells;
    }
    sparse.add_rows(r0, 10, z.data() + r0 * cols, slope.data() + r0 * cols, only.data(), z.data() + r0 * cols);
  }
  CHECK(cells == xs.size() - 1);
  const auto a = full.results(), b = sparse.results();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].aspect_deg.has_value() == b[i].aspect_deg.has_value());
    if (a[i].aspect_deg) CHECK(*a[i].aspect_deg == *b[i].aspect_deg);
    CHECK(a[i].slope_deg == b[i].slope_deg);
  }
}
