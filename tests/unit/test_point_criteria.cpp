// The villages' point criteria on a layer larger than the assessment keeps
// prepared at once: the prepared polygons are built on demand and dropped
// least recently used first, and every answer equals a plain GEOS test of
// every polygon.
#include <catch2/catch.hpp>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <random>
#include <string>
#include <vector>

#include "relocplan/config/scenario.hpp"
#include "relocplan/criteria/assessment.hpp"
#include "relocplan/vector/geos.hpp"
#include "relocplan/vector/thematic.hpp"
#include "test_support.hpp"

using namespace relocplan;

namespace {

const char* kScenario = R"([project]
name = "t"
[grid]
crs = "EPSG:32648"
cell_size_m = 30
[inputs.dem]
path = "dem.tif"
[inputs.villages]
path = "v.csv"
crs = "EPSG:32648"
x_field = "x"
y_field = "y"
[inputs.villages.fields]
id = "id"
population = "pop"
[inputs.susceptibility]
path = "x.gpkg"
fields = { class = "class" }
[inputs.flood_zone]
path = "x.gpkg"
[output]
path = "out.gpkg"
)";

vector::GeomPtr polygon(GEOSContextHandle_t ctx, const std::string& wkt) {
  GEOSWKTReader* r = GEOSWKTReader_create_r(ctx);
  vector::GeomPtr g = vector::wrap(ctx, GEOSWKTReader_read_r(ctx, r, wkt.c_str()));
  GEOSWKTReader_destroy_r(ctx, r);
  REQUIRE(g);
  return g;
}

}  // namespace

TEST_CASE("point criteria: thousands of polygons, prepared on demand, answer as a plain test",
          "[assessment][points]") {
  vector::GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  // 90 x 90 = 8,100 overlapping diamonds (more than are kept prepared at
  // once), of three classes, and villages scattered over them.
  vector::Features susc, flood;
  susc.what = "inputs.susceptibility";
  flood.what = "inputs.flood_zone";
  std::mt19937 rng(17);
  const char* classes[] = {"low", "medium", "high"};
  for (int i = 0; i < 90; ++i)
    for (int j = 0; j < 90; ++j) {
      const double cx = 100.0 * j, cy = 100.0 * i, r = 40.0 + static_cast<double>(rng() % 50);
      const std::string wkt = "POLYGON((" + std::to_string(cx - r) + " " + std::to_string(cy) + ", " +
                              std::to_string(cx) + " " + std::to_string(cy - r) + ", " + std::to_string(cx + r) + " " +
                              std::to_string(cy) + ", " + std::to_string(cx) + " " + std::to_string(cy + r) + ", " +
                              std::to_string(cx - r) + " " + std::to_string(cy) + "))";
      susc.geoms.push_back(polygon(ctx, wkt));
      susc.attrs.push_back({{"class", classes[rng() % 3]}});
      if ((i + j) % 7 == 0) {
        flood.geoms.push_back(polygon(ctx, wkt));
        flood.attrs.push_back({});
      }
    }
  std::vector<vector::Village> villages(20000);
  std::uniform_real_distribution<double> coord(-100.0, 9000.0);
  for (std::size_t k = 0; k < villages.size(); ++k) {
    villages[k].id = "V" + std::to_string(k);
    villages[k].x = coord(rng);
    villages[k].y = coord(rng);
  }
  const auto s = config::parse_scenario(kScenario, "/tmp/s.toml");
  criteria::ThematicLayers L;
  L.susceptibility = &susc;
  L.flood_zone = &flood;
  const auto got = criteria::point_criteria(ctx, villages, L, s);
  REQUIRE(got.size() == villages.size());
  const auto rank = [](const std::string& c) { return c == "high" ? 3 : c == "medium" ? 2 : c == "low" ? 1 : 0; };
  std::size_t bad = 0, in_some = 0, in_flood = 0;
  for (std::size_t k = 0; k < villages.size(); k += 7) {  // a sample: the plain test is slow
    vector::GeomPtr pt = vector::wrap(ctx, GEOSGeom_createPointFromXY_r(ctx, villages[k].x, villages[k].y));
    int best = 0;
    bool flooded = false;
    for (std::size_t i = 0; i < susc.size(); ++i)
      if (GEOSIntersects_r(ctx, susc.geoms[i].get(), pt.get()) == 1) best = std::max(best, rank(susc.attrs[i].at("class")));
    for (std::size_t i = 0; i < flood.size(); ++i) flooded = flooded || GEOSIntersects_r(ctx, flood.geoms[i].get(), pt.get()) == 1;
    const std::string want = best == 3 ? "high" : best == 2 ? "medium" : best == 1 ? "low" : "none";
    bad += got[k].susceptibility != want;
    bad += got[k].in_flood_zone != flooded;
    in_some += best > 0;
    in_flood += flooded;
  }
  CHECK(bad == 0);
  CHECK(in_some > 1000);
  CHECK(in_flood > 100);
}

TEST_CASE("point criteria: a susceptibility map read band by band from its file equals the held map",
          "[assessment][points][stream]") {
  testsupport::TempDir dir;
  vector::GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  // 30 x 30 diamonds over 90 km (several bands of villages), some of them
  // spanning a band's edge, written to a GeoPackage.
  const auto path = dir / "susc.gpkg";
  {
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    GDALDatasetH ds = GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    REQUIRE(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, 32648);
    OGRLayerH layer = GDALDatasetCreateLayer(ds, "susc", srs, wkbPolygon, nullptr);
    OSRDestroySpatialReference(srs);
    OGRFieldDefnH fd = OGR_Fld_Create("class", OFTString);
    OGR_L_CreateField(layer, fd, TRUE);
    OGR_Fld_Destroy(fd);
    std::mt19937 rng(23);
    const char* classes[] = {"low", "medium", "high"};
    for (int i = 0; i < 30; ++i)
      for (int j = 0; j < 30; ++j) {
        const double cx = 3000.0 * j, cy = 3000.0 * i, r = 1200.0 + static_cast<double>(rng() % 1500);
        const std::string wkt = "POLYGON((" + std::to_string(cx - r) + " " + std::to_string(cy) + ", " +
                                std::to_string(cx) + " " + std::to_string(cy - r) + ", " + std::to_string(cx + r) +
                                " " + std::to_string(cy) + ", " + std::to_string(cx) + " " + std::to_string(cy + r) +
                                ", " + std::to_string(cx - r) + " " + std::to_string(cy) + "))";
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        OGR_F_SetFieldString(f, 0, classes[rng() % 3]);
        OGRGeometryH g = nullptr;
        char* w = const_cast<char*>(wkt.c_str());
        REQUIRE(OGR_G_CreateFromWkt(&w, nullptr, &g) == OGRERR_NONE);
        OGR_F_SetGeometryDirectly(f, g);
        REQUIRE(OGR_L_CreateFeature(layer, f) == OGRERR_NONE);
        OGR_F_Destroy(f);
      }
    GDALClose(ds);
  }
  std::string text = kScenario;
  text.replace(text.find("path = \"x.gpkg\""), std::string("path = \"x.gpkg\"").size(), "path = \"" + path.string() + "\"");
  const auto s = config::parse_scenario(text, (dir / "s.toml").string());
  const auto working = vector::Crs::from_user_input("EPSG:32648");
  const vector::Features held = vector::read_thematic(*s.susceptibility, working, ctx);
  const vector::ThematicStream stream(*s.susceptibility, working, ctx);
  REQUIRE(held.size() == 900);
  std::mt19937 rng(29);
  std::uniform_real_distribution<double> coord(-2000.0, 90000.0);
  std::vector<vector::Village> villages(6000);
  for (std::size_t k = 0; k < villages.size(); ++k) {
    villages[k].id = "V" + std::to_string(k);
    villages[k].x = coord(rng);
    villages[k].y = coord(rng);
  }
  // Villages on a band's edge (20 km) too.
  villages[0].y = 20000.0;
  villages[1].y = 40000.0;
  criteria::ThematicLayers from_held, from_stream;
  from_held.susceptibility = &held;
  from_stream.susceptibility_stream = &stream;
  const auto a = criteria::point_criteria(ctx, villages, from_held, s);
  const auto b = criteria::point_criteria(ctx, villages, from_stream, s);
  REQUIRE(a.size() == b.size());
  std::size_t differ = 0, in_some = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    differ += a[k].susceptibility != b[k].susceptibility;
    in_some += a[k].susceptibility && *a[k].susceptibility != "none";
  }
  CHECK(differ == 0);
  CHECK(in_some > 2000);
}
