// A thematic layer read from its file strip by strip (vector::ThematicStream,
// raster::StreamedPolygonBurner) burns the same cells as the layer held in
// memory (read_thematic, raster::PolygonBurner), across a CRS
// transformation, with overlapping polygons of different codes, an invalid
// polygon, and strips of any height.
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "relocplan/core/error.hpp"
#include "test_support.hpp"
#include "relocplan/raster/burn.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/vector/crs.hpp"
#include "relocplan/vector/geos.hpp"
#include "relocplan/vector/thematic.hpp"

namespace fs = std::filesystem;
using namespace relocplan;

namespace {


// A GeoPackage layer of polygons in `epsg` with an integer field "grade".
void write_polygons(const fs::path& path, int epsg, const std::vector<std::pair<std::string, int>>& wkt_grade) {
  GDALAllRegister();
  GDALDriverH drv = GDALGetDriverByName("GPKG");
  REQUIRE(drv);
  GDALDatasetH ds = GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  REQUIRE(ds);
  OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
  OSRImportFromEPSG(srs, epsg);
  OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
  OGRLayerH layer = GDALDatasetCreateLayer(ds, "grades", srs, wkbPolygon, nullptr);
  REQUIRE(layer);
  OGRFieldDefnH field = OGR_Fld_Create("grade", OFTInteger);
  OGR_L_CreateField(layer, field, TRUE);
  OGR_Fld_Destroy(field);
  for (const auto& [wkt, grade] : wkt_grade) {
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    OGRGeometryH g = nullptr;
    char* text = const_cast<char*>(wkt.c_str());
    REQUIRE(OGR_G_CreateFromWkt(&text, srs, &g) == OGRERR_NONE);
    OGR_F_SetGeometryDirectly(f, g);
    OGR_F_SetFieldInteger(f, 0, grade);
    REQUIRE(OGR_L_CreateFeature(layer, f) == OGRERR_NONE);
    OGR_F_Destroy(f);
  }
  OSRDestroySpatialReference(srs);
  GDALClose(ds);
}

std::string square(double x0, double y0, double side) {
  const auto n = [](double v) { return std::to_string(v); };
  return "POLYGON((" + n(x0) + " " + n(y0) + ", " + n(x0 + side) + " " + n(y0) + ", " + n(x0 + side) + " " +
         n(y0 + side) + ", " + n(x0) + " " + n(y0 + side) + ", " + n(x0) + " " + n(y0) + "))";
}

}  // namespace

TEST_CASE("streamed burning equals burning the layer held in memory", "[burn][streamed]") {
  testsupport::TempDir dir;
  const fs::path file = dir.path() / "grades.gpkg";
  // Squares in lon/lat (EPSG:4326) over a UTM grid (EPSG:32648): overlapping
  // squares with different grades, small ones, one crossing the grid edge,
  // and a self-intersecting bow tie (repaired by GEOS MakeValid).
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> lon(105.0, 105.07), lat(26.0, 26.06), side(0.001, 0.02);
  std::vector<std::pair<std::string, int>> features;
  for (int i = 0; i < 60; ++i) features.emplace_back(square(lon(rng), lat(rng), side(rng)), static_cast<int>(rng() % 6));
  features.emplace_back(square(104.99, 26.02, 0.03), 4);
  features.emplace_back("POLYGON((105.01 26.01, 105.03 26.03, 105.03 26.01, 105.01 26.03, 105.01 26.01))", 2);
  write_polygons(file, 4326, features);

  config::VectorInput input;
  input.key = "inputs.desertification";
  input.path = file;
  input.fields = {{"grade_code", "grade"}};
  const vector::Crs working = vector::Crs::from_user_input("EPSG:32648");
  vector::GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();

  const vector::Features held = vector::read_thematic(input, working, ctx);
  const vector::ThematicStream stream(input, working, ctx);
  REQUIRE(held.size() == features.size());
  CHECK(stream.size() == held.size());
  CHECK(stream.info().repaired == held.repaired);
  CHECK(held.repaired >= 1);
  CHECK(stream.info().layer_name == "grades");

  // A 30 m grid over the squares (UTM 48N, about 603 km E, 2876 km N).
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;
  GEOSGeom_getExtent_r(ctx, held.geoms[0].get(), &xmin, &ymin, &xmax, &ymax);
  const raster::Grid grid(std::floor(xmin / 1000) * 1000 - 2000, std::ceil(ymax / 1000) * 1000 + 6000, 30, 300, 280, "");
  std::vector<std::uint8_t> codes;
  for (const auto& attrs : held.attrs) codes.push_back(static_cast<std::uint8_t>(std::atoi(attrs.at("grade_code").c_str()) + 1));
  const raster::PolygonBurner memory(ctx, held, codes, grid);
  const raster::StreamedPolygonBurner streamed(
      ctx, stream,
      [](const std::map<std::string, std::string>& attrs, long long) {
        return static_cast<std::uint8_t>(std::atoi(attrs.at("grade_code").c_str()) + 1);
      },
      grid);
  std::vector<std::uint8_t> whole(grid.cells());
  memory.burn(0, grid.rows(), 0, whole.data());
  std::size_t burnt = 0, high = 0;
  for (auto v : whole) burnt += v != 0, high += v == 6;
  CHECK(burnt > grid.cells() / 20);  // the comparison covers many cells
  CHECK(high > 0);
  for (std::size_t strip : {300, 1, 7, 64}) {
    INFO("strips of " << strip << " rows");
    std::vector<std::uint8_t> got(grid.cells());
    for (std::size_t r = 0; r < grid.rows(); r += strip) {
      const std::size_t n = std::min(strip, grid.rows() - r);
      streamed.burn(r, n, 0, got.data() + r * grid.cols());
    }
    std::size_t differ = 0;
    for (std::size_t k = 0; k < got.size(); ++k) differ += got[k] != whole[k];
    CHECK(differ == 0);
  }

  // A box reads at least the features that reach it, and fewer than all.
  std::size_t in_box = 0;
  stream.read_box(grid.xmin(), grid.ymax() - 600, grid.xmin() + 900, grid.ymax(),
                  [&](vector::GeomPtr, const std::map<std::string, std::string>&, long long) { ++in_box; });
  CHECK(in_box < held.size());
  std::size_t all = 0;
  stream.read_all([&](vector::GeomPtr g, const std::map<std::string, std::string>& attrs, long long) {
    CHECK(GEOSEqualsExact_r(ctx, g.get(), held.geoms[all].get(), 0.0) == 1);
    CHECK(attrs == held.attrs[all]);
    ++all;
  });
  CHECK(all == held.size());
}

TEST_CASE("a streamed layer is checked when it is opened", "[burn][streamed]") {
  testsupport::TempDir dir;
  vector::GeosContext geos;
  config::VectorInput input;
  input.key = "inputs.desertification";
  input.path = dir.path() / "missing.gpkg";
  input.fields = {{"grade_code", "grade"}};
  const vector::Crs working = vector::Crs::from_user_input("EPSG:32648");
  CHECK_THROWS_AS(vector::ThematicStream(input, working, geos.get()), core::Error);
  const fs::path file = dir.path() / "grades.gpkg";
  write_polygons(file, 4326, {{square(105.0, 26.0, 0.01), 1}});
  input.path = file;
  input.fields = {{"grade_code", "no_such_field"}};
  try {
    vector::ThematicStream st(input, working, geos.get());
    FAIL("a missing field was accepted");
  } catch (const core::ScenarioError& e) {
    CHECK(std::string(e.what()).find("no_such_field") != std::string::npos);
  }
}
