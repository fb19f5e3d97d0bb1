// The bad-input corpus: what planners' folders really hold (broken TOML,
// files that are not what their names say, spreadsheets in GBK, absurd
// populations, outputs pointed at inputs ...), each case built in code in a
// fresh folder from a small county (a 150 x 150 DEM and 12 villages), run
// through the command line, and checked for its exit code and for a message
// that names the culprit. Nothing is left behind by a refused run, and no
// input is ever modified.
//
// The README's "Bad input" table is generated from this list: with
// RELOCPLAN_BAD_INPUT_TABLE=FILE the test writes the table there
// (scripts/bad-input-table splices it into README.md); without it, the test
// checks that the README holds the table as this list gives it.

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "test_support.hpp"

namespace fs = std::filesystem;
using testsupport::run_command;

namespace {

const std::string kExe = RELOCPLAN_EXE;

// DEM: 150 x 150 cells of 30 m in EPSG:4545; villages 1.6 km inside it.
constexpr double kX0 = 414930, kY1 = 2892030;

std::string village_row(int i, const std::string& x, const std::string& y, const std::string& pop,
                        const std::string& hh = "30", const std::string& poor = "5") {
  char id[16];
  std::snprintf(id, sizeof id, "V%03d", i);
  return std::string(id) + ",村" + std::to_string(i) + "," + x + "," + y + "," + pop + "," + hh + "," + poor + "\n";
}
std::string num(double v) {
  std::ostringstream o;
  o.precision(10);
  o << v;
  return o.str();
}
const char* kHeader = "code,name,x,y,pop,hh,poor\n";
std::string good_rows(int n = 12) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += village_row(i, num(kX0 + 1600 + (i % 4) * 400), num(kY1 - 1600 - (i / 4) * 400), std::to_string(100 + i * 10));
  return s;
}

const char* kScenario = R"([project]
name = "bad input"

[grid]
crs = "EPSG:4545"
cell_size_m = 30

[study_area]
from = "villages"
margin_m = 600

[inputs.dem]
path = "dem.tif"

[inputs.villages]
path = "villages.csv"
crs = "EPSG:4545"
x_field = "x"
y_field = "y"

[inputs.villages.fields]
id = "code"
population = "pop"
households = "hh"
poor_households = "poor"

[processing]
memory_mb = 64

[output]
path = "out.gpkg"
)";

// One case's folder: the small county, a scenario to edit, files to add.
struct Workspace {
  testsupport::TempDir dir;
  std::string scenario = kScenario;
  std::vector<std::string> args;  // extra command-line arguments
  std::string command = "run";
  std::string scenario_name = "scenario.toml";
  std::function<void(const Workspace&)> after;  // extra checks after the run

  Workspace() {
    testsupport::write_geotiff(dir / "dem.tif", dem(), "EPSG:4545");
    testsupport::write_text(dir / "villages.csv", std::string(kHeader) + good_rows());
  }
  static testsupport::RasterData dem() {
    auto d = testsupport::synthetic_dem(150, 150, kX0, kY1, 30.0);
    d.nodata = -9999.0;
    return d;
  }
  fs::path operator/(const std::string& name) const { return dir / name; }
  // Replaces the first `from` in the scenario with `to` (the case fails if absent).
  void edit(const std::string& from, const std::string& to) {
    const auto p = scenario.find(from);
    REQUIRE(p != std::string::npos);
    scenario.replace(p, from.size(), to);
  }
  void append(const std::string& text) { scenario += "\n" + text; }
  void villages(const std::string& text) const { testsupport::write_text(dir / "villages.csv", text); }
  void bytes(const std::string& name, const std::string& data) const {
    std::ofstream(dir / name, std::ios::binary) << data;
  }
  // The scenario's villages from a GeoPackage layer written by `write`.
  void villages_gpkg(const std::function<void(OGRLayerH)>& write, OGRwkbGeometryType type) {
    write_layer("villages.gpkg", "villages", type, {"code", "pop"}, write);
    edit("path = \"villages.csv\"\ncrs = \"EPSG:4545\"\nx_field = \"x\"\ny_field = \"y\"", "path = \"villages.gpkg\"");
    edit("households = \"hh\"\npoor_households = \"poor\"\n", "");
  }
  void write_layer(const std::string& file, const std::string& layer, OGRwkbGeometryType type,
                   const std::vector<std::string>& fields, const std::function<void(OGRLayerH)>& write) const {
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    const fs::path path = dir / file;
    GDALDatasetH ds = fs::exists(path) ? GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr)
                                       : GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    REQUIRE(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, 4545);
    OGRLayerH l = GDALDatasetCreateLayer(ds, layer.c_str(), srs, type, nullptr);
    OSRRelease(srs);
    REQUIRE(l);
    for (const auto& f : fields) {
      OGRFieldDefnH fd = OGR_Fld_Create(f.c_str(), f == "pop" ? OFTInteger : OFTString);
      OGR_L_CreateField(l, fd, TRUE);
      OGR_Fld_Destroy(fd);
    }
    write(l);
    GDALClose(ds);
  }
};

// Adds a feature with the given WKT and string/integer fields.
void add_feature(OGRLayerH l, const std::string& wkt, const std::map<std::string, std::string>& values) {
  OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
  for (const auto& [k, v] : values) OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, k.c_str()), v.c_str());
  OGRGeometryH g = nullptr;
  std::string w = wkt;
  char* p = w.data();
  REQUIRE(OGR_G_CreateFromWkt(&p, nullptr, &g) == OGRERR_NONE);
  OGR_F_SetGeometryDirectly(f, g);
  REQUIRE(OGR_L_CreateFeature(l, f) == OGRERR_NONE);
  OGR_F_Destroy(f);
}

std::string square(double x, double y, double side) {
  return "POLYGON((" + num(x) + " " + num(y) + "," + num(x + side) + " " + num(y) + "," + num(x + side) + " " +
         num(y + side) + "," + num(x) + " " + num(y + side) + "," + num(x) + " " + num(y) + "))";
}

const char* kBatch = R"([batch]
name = "b"
base = "scenario.toml"
output_dir = "batch-out"
)";

struct Case {
  std::string group, what;
  std::function<void(Workspace&)> setup;
  int code;
  std::string message;  // must appear in stderr
};

std::vector<Case> corpus() {
  std::vector<Case> c;
  auto add = [&](std::string group, std::string what, int code, std::string message,
                 std::function<void(Workspace&)> setup) {
    c.push_back({std::move(group), std::move(what), std::move(setup), code, std::move(message)});
  };
  // ---- the scenario file
  add("scenario", "TOML syntax error (unterminated string)", 2, "scenario.toml:2:",
      [](Workspace& w) { w.edit("name = \"bad input\"", "name = \"bad input"); });
  add("scenario", "unknown key", 2, "unknown key 'grid.slop_deg' (known here: cell_size_m, crs)",
      [](Workspace& w) { w.edit("cell_size_m = 30", "cell_size_m = 30\nslop_deg = 25"); });
  add("scenario", "unknown table", 2, "unknown key 'outptu'", [](Workspace& w) { w.append("[outptu]\npath = \"x.gpkg\""); });
  add("scenario", "wrong type: a string for a number", 2, "study_area.margin_m: must be a number, got a string \"far\"",
      [](Workspace& w) { w.edit("margin_m = 600", "margin_m = \"far\""); });
  add("scenario", "wrong type: a string for an integer", 2, "processing.memory_mb",
      [](Workspace& w) { w.edit("memory_mb = 64", "memory_mb = \"lots\""); });
  add("scenario", "missing key: the DEM's path", 2, "required key 'inputs.dem.path' is missing",
      [](Workspace& w) { w.edit("[inputs.dem]\npath = \"dem.tif\"", "[inputs.dem]"); });
  add("scenario", "missing table: the villages", 2, "inputs.villages", [](Workspace& w) {
    w.scenario = w.scenario.substr(0, w.scenario.find("[inputs.villages]")) + "[output]\npath = \"out.gpkg\"\n";
  });
  add("scenario", "missing key: the village id field", 2, "inputs.villages.fields.id",
      [](Workspace& w) { w.edit("id = \"code\"\n", ""); });
  add("scenario", "a mapped field that is not in the layer", 2, "field 'habitants' not found in layer 'villages'",
      [](Workspace& w) { w.edit("population = \"pop\"", "population = \"habitants\""); });
  add("scenario", "a CRS that does not exist", 2, "'EPSG:999999' is not a coordinate reference system",
      [](Workspace& w) { w.edit("crs = \"EPSG:4545\"\ncell", "crs = \"EPSG:999999\"\ncell"); });
  add("scenario", "a geographic working CRS", 2, "is not a projected CRS",
      [](Workspace& w) { w.edit("crs = \"EPSG:4545\"\ncell", "crs = \"EPSG:4490\"\ncell"); });
  add("scenario", "an empty path", 2, "inputs.dem.path: must not be empty",
      [](Workspace& w) { w.edit("path = \"dem.tif\"", "path = \"\""); });
  add("scenario", "memory budget below 16 MB", 2, "processing.memory_mb: must be at least 16, got 1",
      [](Workspace& w) { w.edit("memory_mb = 64", "memory_mb = 1"); });
  // ---- paths that are not local files
  add("paths", "a /vsicurl/ path", 2, "is a GDAL virtual file system path; scenario paths name local files only",
      [](Workspace& w) { w.edit("path = \"dem.tif\"", "path = \"/vsicurl/http://example.com/dem.tif\""); });
  add("paths", "a /vsis3/ path", 2, "is a GDAL virtual file system path",
      [](Workspace& w) { w.edit("path = \"villages.csv\"", "path = \"/vsis3/bucket/villages.csv\""); });
  add("paths", "a URL", 2, "'https://example.com/dem.tif' is a URL",
      [](Workspace& w) { w.edit("path = \"dem.tif\"", "path = \"https://example.com/dem.tif\""); });
  add("paths", "a database connection string", 2, "is a data source connection string ('PG:')",
      [](Workspace& w) { w.append("[inputs.roads]\npath = \"PG:dbname=gis host=10.0.0.1\"\nlayer = \"roads\""); });
  add("paths", "an output on /vsimem/", 2, "output.path: '/vsimem/out.gpkg' is a GDAL virtual file system path",
      [](Workspace& w) { w.edit("path = \"out.gpkg\"", "path = \"/vsimem/out.gpkg\""); });
  // ---- the DEM
  add("DEM", "a missing file", 2, "inputs.dem.path: file '", [](Workspace& w) {
    w.edit("path = \"dem.tif\"", "path = \"missing.tif\"");
  });
  add("DEM", "a folder given as the file", 2, "is a folder, not a file", [](Workspace& w) {
    fs::create_directories(w / "dem_folder.tif");
    w.edit("path = \"dem.tif\"", "path = \"dem_folder.tif\"");
  });
  add("DEM", "a text file named .tif", 3, "as a raster: GDAL recognises no raster format in it", [](Workspace& w) {
    w.bytes("fake.tif", "this is not a raster\n");
    w.edit("path = \"dem.tif\"", "path = \"fake.tif\"");
  });
  add("DEM", "an empty file (0 bytes)", 3, "inputs.dem.path: file '", [](Workspace& w) {
    w.bytes("empty.tif", "");
    w.edit("path = \"dem.tif\"", "path = \"empty.tif\"");
  });
  add("DEM", "a truncated GeoTIFF", 3, "inputs.dem: reading '", [](Workspace& w) {
    const std::string full = testsupport::read_text(w / "dem.tif");
    w.bytes("truncated.tif", full.substr(0, full.size() / 3));
    w.edit("path = \"dem.tif\"", "path = \"truncated.tif\"");
  });
  add("DEM", "every cell NoData", 3, "none of the 12 villages lies on a DEM cell with data", [](Workspace& w) {
    auto d = Workspace::dem();
    std::fill(d.values.begin(), d.values.end(), -9999.0f);
    testsupport::write_geotiff(w / "dem.tif", d, "EPSG:4545");
  });
  add("DEM", "no CRS", 3, "has no coordinate reference system", [](Workspace& w) {
    testsupport::write_geotiff(w / "dem.tif", Workspace::dem(), "");
  });
  add("DEM", "a geographic DEM (lon/lat degrees): warped, no z-factor", 0, "is in a geographic CRS", [](Workspace& w) {
    auto d = testsupport::synthetic_dem(300, 300, 107.12, 26.14, 0.0003);
    testsupport::write_geotiff(w / "dem.tif", d, "EPSG:4490");
    w.args = {"-v"};
    w.after = [](const Workspace& ws) { CHECK(fs::exists(ws / "out.gpkg")); };
  });
  add("DEM", "1 x 1 cells", 3, "is 1 x 1 cells; slope and relief need a DEM of at least 3 x 3 cells", [](Workspace& w) {
    testsupport::RasterData d;
    d.rows = d.cols = 1;
    d.geotransform = {kX0 + 1600, 30, 0, kY1 - 1600, 0, -30};
    d.values = {1000.0f};
    testsupport::write_geotiff(w / "dem.tif", d, "EPSG:4545");
  });
  add("DEM", "a DEM of another area", 3, "does not overlap the study area", [](Workspace& w) {
    testsupport::write_geotiff(w / "dem.tif", testsupport::synthetic_dem(150, 150, kX0 + 90000, kY1, 30.0),
                               "EPSG:4545");
  });
  // ---- the villages
  add("villages", "some villages outside the DEM: nulls and a warning", 0, "lie outside the DEM or on its NoData cells",
      [](Workspace& w) { w.villages(kHeader + good_rows(8) + village_row(8, num(kX0 - 3000), num(kY1 - 2000), "90")); });
  add("villages", "a CSV row without coordinates", 3, "have no location (features 9)",
      [](Workspace& w) { w.villages(kHeader + good_rows(8) + village_row(8, "", "", "90")); });
  add("villages", "NaN coordinates", 3, "have no location (features 9)",
      [](Workspace& w) { w.villages(kHeader + good_rows(8) + village_row(8, "nan", "nan", "90")); });
  add("villages", "a population that is not a number", 3, "field 'pop' (population) of feature 9",
      [](Workspace& w) { w.villages(kHeader + good_rows(8) + village_row(8, num(kX0 + 1600), num(kY1 - 1600), "many")); });
  add("villages", "a negative population", 3, "is '-5': must not be negative",
      [](Workspace& w) { w.villages(kHeader + good_rows(8) + village_row(8, num(kX0 + 1600), num(kY1 - 1600), "-5")); });
  add("villages", "an absurd population (1e12)", 3, "is '1e12': more than 1000000, not the count of one village",
      [](Workspace& w) { w.villages(kHeader + good_rows(8) + village_row(8, num(kX0 + 1600), num(kY1 - 1600), "1e12")); });
  add("villages", "a fractional household count", 3, "field 'hh' (households) of feature 9",
      [](Workspace& w) {
        w.villages(kHeader + good_rows(8) + village_row(8, num(kX0 + 1600), num(kY1 - 1600), "90", "12.5"));
      });
  add("villages", "duplicate ids", 3, "id 'V001' (field 'code') appears twice", [](Workspace& w) {
    std::string rows = good_rows(8);
    w.villages(kHeader + rows + village_row(1, num(kX0 + 2000), num(kY1 - 2000), "90"));
  });
  add("villages", "an empty id", 3, "has an empty id (field 'code')",
      [](Workspace& w) { w.villages(kHeader + good_rows(8) + ",村,416530,2890430,90,30,5\n"); });
  add("villages", "an empty file", 3, "inputs.villages.path: file '", [](Workspace& w) { w.villages(""); });
  add("villages", "a header and no rows", 3, "holds no villages", [](Workspace& w) { w.villages(kHeader); });
  add("villages", "UTF-8 with a byte-order mark: read as UTF-8", 0, "wrote ", [](Workspace& w) {
    w.villages("\xEF\xBB\xBF" + std::string(kHeader) + good_rows());
    w.args = {"-v"};
    w.after = [](const Workspace& ws) {
      const auto rows = testsupport::read_features(ws / "out.gpkg", "villages");
      REQUIRE(rows.size() == 12);
      CHECK(rows[0].at("village_id") == "V000");
    };
  });
  add("villages", "GBK text without a declared encoding", 3, "is not valid UTF-8 text", [](Workspace& w) {
    // "黔山村" in GBK.
    w.villages(std::string(kHeader) + "V000,\xC7\xAD\xC9\xBD\xB4\xE5,416530,2890430,100,30,5\n");
  });
  add("villages", "a declared CRS that contradicts the coordinates", 3, "cannot be transformed from EPSG:4490",
      [](Workspace& w) { w.edit("crs = \"EPSG:4545\"\nx_field", "crs = \"EPSG:4490\"\nx_field"); });
  add("villages", "a CSV without a CRS", 2, "set inputs.villages.crs",
      [](Workspace& w) { w.edit("crs = \"EPSG:4545\"\nx_field", "x_field"); });
  add("villages", "village polygons: placed at a point inside each, with a warning", 0,
      "are polygons; each is placed at a point inside its polygon", [](Workspace& w) {
        w.villages_gpkg(
            [](OGRLayerH l) {
              for (int i = 0; i < 6; ++i)
                add_feature(l, square(kX0 + 1600 + i * 300, kY1 - 2000, 200),
                            {{"code", "P" + std::to_string(i)}, {"pop", "120"}});
            },
            wkbPolygon);
      });
  add("villages", "village lines: refused", 3, "is a LINESTRING; villages must be points", [](Workspace& w) {
    w.villages_gpkg(
        [](OGRLayerH l) {
          add_feature(l, "LINESTRING(416530 2890430, 416730 2890630)", {{"code", "L0"}, {"pop", "100"}});
        },
        wkbLineString);
  });
  add("villages", "more poor households than households: a warning", 0, "more registered poor households (40)",
      [](Workspace& w) {
        w.villages(kHeader + good_rows(8) + village_row(8, num(kX0 + 1600), num(kY1 - 1600), "90", "30", "40"));
      });
  add("villages", "a GeoPackage of two layers and no layer named", 2, "has 2 layers; name one with inputs.villages.layer",
      [](Workspace& w) {
        w.villages_gpkg([](OGRLayerH l) { add_feature(l, "POINT(416530 2890430)", {{"code", "A"}, {"pop", "1"}}); },
                        wkbPoint);
        w.write_layer("villages.gpkg", "other", wkbPoint, {"code"}, [](OGRLayerH) {});
      });
  // ---- thematic layers
  add("thematic", "a self-intersecting polygon: repaired with GEOS MakeValid", 0,
      "inputs.reserve: 1 invalid geometry was repaired (GEOS MakeValid)", [](Workspace& w) {
        w.write_layer("reserve.gpkg", "reserve", wkbPolygon, {"zone"}, [](OGRLayerH l) {
          add_feature(l, "POLYGON((416000 2889000,417000 2890000,417000 2889000,416000 2890000,416000 2889000))",
                      {{"zone", "core"}});
        });
        w.append("[inputs.reserve]\npath = \"reserve.gpkg\"\nfields = { zone = \"zone\" }");
      });
  add("thematic", "a desertification grade code that is not 0-5, refused by validate: the feature and its value", 3,
      "inputs.desertification: field 'grade' of feature 2 in", [](Workspace& w) {
        w.write_layer("desert.gpkg", "desert", wkbPolygon, {"grade"}, [](OGRLayerH l) {
          add_feature(l, "POLYGON((416000 2889000,417000 2889000,417000 2890000,416000 2890000,416000 2889000))",
                      {{"grade", "2"}});
          add_feature(l, "POLYGON((417000 2889000,418000 2889000,418000 2890000,417000 2890000,417000 2889000))",
                      {{"grade", "7"}});
        });
        w.append("[inputs.desertification]\npath = \"desert.gpkg\"\nfields = { grade_code = \"grade\" }");
        w.command = "validate";
      });
  add("thematic", "a self-intersecting desertification polygon (read strip by strip): repaired", 0,
      "inputs.desertification: 1 invalid geometry was repaired (GEOS MakeValid)", [](Workspace& w) {
        w.write_layer("desert.gpkg", "desert", wkbPolygon, {"grade"}, [](OGRLayerH l) {
          add_feature(l, "POLYGON((416000 2889000,417000 2890000,417000 2889000,416000 2890000,416000 2889000))",
                      {{"grade", "3"}});
        });
        w.append("[inputs.desertification]\npath = \"desert.gpkg\"\nfields = { grade_code = \"grade\" }");
      });
  add("thematic", "an empty layer: a warning", 0, "inputs.reserve: layer 'reserve' holds no features", [](Workspace& w) {
    w.write_layer("reserve.gpkg", "reserve", wkbPolygon, {"zone"}, [](OGRLayerH) {});
    w.append("[inputs.reserve]\npath = \"reserve.gpkg\"\nfields = { zone = \"zone\" }");
  });
  add("thematic", "a layer name that is not in the file", 2, "has no layer 'roadz'", [](Workspace& w) {
    w.write_layer("layers.gpkg", "roads", wkbLineString, {"class"}, [](OGRLayerH) {});
    w.append("[inputs.roads]\npath = \"layers.gpkg\"\nlayer = \"roadz\"");
  });
  add("thematic", "a raster that is not a raster", 3, "inputs.landcover: cannot open", [](Workspace& w) {
    w.bytes("landcover.tif", "GlobeLand30 tile, to be downloaded\n");
    w.append("[inputs.landcover]\npath = \"landcover.tif\"");
  });
  // ---- the grid
  add("grid", "cell size 0", 2, "grid.cell_size_m: must be a positive number of metres",
      [](Workspace& w) { w.edit("cell_size_m = 30", "cell_size_m = 0"); });
  add("grid", "a negative cell size", 2, "grid.cell_size_m: must be a positive number of metres",
      [](Workspace& w) { w.edit("cell_size_m = 30", "cell_size_m = -30"); });
  add("grid", "cell size 1e-6 m", 2, "the analysis grid would have", [](Workspace& w) {
    w.edit("cell_size_m = 30", "cell_size_m = 1e-6");
  });
  add("grid", "cell size 1e9 m", 2, "grid.cell_size_m = 1e+09 m leaves fewer than 3 x 3 cells",
      [](Workspace& w) { w.edit("cell_size_m = 30", "cell_size_m = 1e9"); });
  add("grid", "a grid too large for any memory, refused by validate", 2, "cells (2.4 km x 2.0 km at 0.001 m)",
      [](Workspace& w) {
        w.command = "validate";
        w.edit("cell_size_m = 30", "cell_size_m = 0.001");
      });
  // ---- weights and thresholds
  add("weights", "weights summing to zero", 2, "all weights are zero", [](Workspace& w) {
    w.append("[assessment.weights]\nsteep = 0\nrelief = 0\nelevation = 0\nfragility = 0\nremoteness = 0");
  });
  add("weights", "a weight of an unknown criterion", 2, "slope", [](Workspace& w) {
    w.append("[assessment.weights]\nslope = 1");
  });
  add("weights", "an AHP matrix that is not reciprocal", 2, "is not the reciprocal of entry [1][2] = 3",
      [](Workspace& w) { w.append("[assessment.ahp]\ncriteria = [\"steep\", \"relief\"]\nmatrix = [[1, 3], [3, 1]]"); });
  add("weights", "an inconsistent AHP matrix", 2, "consistency ratio", [](Workspace& w) {
    w.append("[assessment.ahp]\ncriteria = [\"steep\", \"relief\", \"fragility\"]\n"
             "matrix = [[1, 9, 0.111111], [0.111111, 1, 9], [9, 0.111111, 1]]");
  });
  add("thresholds", "a negative slope threshold", 2, "thresholds.terrain.steep_slope_deg: must be between 0 and 90",
      [](Workspace& w) { w.append("[thresholds.terrain]\nsteep_slope_deg = -5"); });
  add("thresholds", "a negative distance", 2, "thresholds.access.near_road_m: must be zero or positive (m), got -1000",
      [](Workspace& w) { w.append("[thresholds.access]\nnear_road_m = -1000"); });
  add("thresholds", "a share above 1", 2, "thresholds.settlement.poor_rate: must be between 0 and 1",
      [](Workspace& w) { w.append("[thresholds.settlement]\npoor_rate = 50"); });
  add("thresholds", "an unknown threshold", 2, "is not a threshold of layer kind 'terrain'",
      [](Workspace& w) { w.append("[thresholds.terrain]\nsteep_slope = 25"); });
  // ---- the output
  add("output", "a read-only place (/proc)", 4, "cannot create", [](Workspace& w) {
    w.args = {"-o", "/proc/relocplan-test.gpkg"};
  });
  add("output", "a missing output folder: created", 0, "wrote ", [](Workspace& w) {
    w.edit("path = \"out.gpkg\"", "path = \"results/2026/out.gpkg\"");
    w.args = {"-v"};
    w.after = [](const Workspace& ws) { CHECK(fs::is_regular_file(ws / "results/2026/out.gpkg")); };
  });
  add("output", "a folder that is a file", 4, "cannot create folder", [](Workspace& w) {
    w.edit("path = \"out.gpkg\"", "path = \"villages.csv/out.gpkg\"");
  });
  add("output", "the output is the village layer (with --overwrite)", 2,
      "is the input inputs.villages.path; choose another output path", [](Workspace& w) {
        w.edit("path = \"out.gpkg\"", "path = \"villages.csv\"");
        w.args = {"--overwrite"};
      });
  add("output", "the output is the DEM", 2, "is the input inputs.dem.path",
      [](Workspace& w) { w.args = {"-o", (w / "dem.tif").string()}; });
  add("output", "the output is the scenario file itself, spelt differently", 2, "is the input the scenario file",
      [](Workspace& w) {
        w.args = {"-o", (w.dir.path() / "." / "scenario.toml").string(), "--overwrite"};
      });
  add("output", "an existing output without --overwrite", 4, "already exists; pass --overwrite", [](Workspace& w) {
    w.bytes("out.gpkg", "an earlier result");
    w.after = [](const Workspace& ws) { CHECK(testsupport::read_text(ws / "out.gpkg") == "an earlier result"); };
  });
  add("output", "an output path that is a folder", 4, "is a folder, not a file", [](Workspace& w) {
    fs::create_directories(w / "out.gpkg");
    w.args = {"--overwrite"};
  });
  // ---- batches
  add("batch", "a split layer with no features: zero jobs", 3, "has no feature with a value in field 'name'",
      [](Workspace& w) {
        w.command = "batch";
        w.write_layer("counties.gpkg", "counties", wkbPolygon, {"name"}, [](OGRLayerH) {});
        w.bytes("batch.toml", std::string(kBatch) + "[split]\npath = \"counties.gpkg\"\nfield = \"name\"\n");
      });
  add("batch", "a variant setting an unknown key", 2, "variant 'x' (sets grid.slop_deg)", [](Workspace& w) {
    w.command = "batch";
    w.bytes("batch.toml", std::string(kBatch) + "[variants.x]\n\"grid.slop_deg\" = 20\n");
  });
  add("batch", "a variant of the wrong type", 2, "grid.cell_size_m: must be a number, got a string \"big\"",
      [](Workspace& w) {
        w.command = "batch";
        w.bytes("batch.toml", std::string(kBatch) + "[variants.x]\n\"grid.cell_size_m\" = \"big\"\n");
      });
  add("batch", "a base scenario on /vsis3/", 2, "batch.base: '/vsis3/b/s.toml' is a GDAL virtual file system path",
      [](Workspace& w) {
        w.command = "batch";
        std::string text = kBatch;
        text.replace(text.find("scenario.toml"), 13, "/vsis3/b/s.toml");
        w.bytes("batch.toml", text);
      });
  add("batch", "a missing base scenario", 2, "missing.toml", [](Workspace& w) {
    w.command = "batch";
    std::string text = kBatch;
    text.replace(text.find("scenario.toml"), 13, "missing.toml");
    w.bytes("batch.toml", text);
  });
  return c;
}

std::string escape_md(std::string s) {
  for (std::size_t p = 0; (p = s.find('|', p)) != std::string::npos; p += 2) s.replace(p, 1, "\\|");
  return s;
}

// The README table: one row per case, and the counts per exit code.
std::string corpus_table(const std::vector<Case>& cases) {
  std::ostringstream t;
  std::map<int, int> per_code;
  for (const auto& c : cases) ++per_code[c.code];
  t << cases.size() << " cases:";
  for (const auto& [code, n] : per_code)
    t << " " << n << " with exit " << code
      << (code == 0 ? " (the run goes on, with a warning where the input is suspicious)" : "") << ",";
  t.seekp(-1, std::ios_base::end);
  t << ".\n\n| # | input | case | exit | the message says |\n|---|---|---|---|---|\n";
  int i = 0;
  for (const auto& c : cases)
    t << "| " << ++i << " | " << c.group << " | " << escape_md(c.what) << " | " << c.code << " | `"
      << escape_md(c.message) << "` |\n";
  return t.str();
}

const char* kBegin = "<!-- bad-input corpus: generated by scripts/bad-input-table -->\n";
const char* kEnd = "<!-- end of the bad-input corpus -->";

}  // namespace

TEST_CASE("the bad-input corpus: exit codes and messages that name the culprit", "[cli][errors][corpus]") {
  const auto cases = corpus();
  REQUIRE(cases.size() >= 50);
  int i = 0;
  for (const auto& c : cases) {
    ++i;
    Workspace w;
    c.setup(w);
    testsupport::write_text(w / w.scenario_name, w.scenario);
    // What the folder holds before the run: inputs are never modified.
    const bool existed = fs::exists(w / "out.gpkg");
    std::map<fs::path, std::string> before;
    for (const auto& e : fs::recursive_directory_iterator(w.dir.path()))
      if (e.is_regular_file()) before[e.path()] = testsupport::read_text(e.path());
    std::vector<std::string> argv = {kExe, w.command,
                                     (w / (w.command == "batch" ? "batch.toml" : w.scenario_name)).string()};
    if (w.command != "validate" && w.args.empty()) argv.push_back("-q");
    argv.insert(argv.end(), w.args.begin(), w.args.end());
    const auto r = run_command(argv);
    INFO("case " << i << ": " << c.group << ": " << c.what << "\n" << r.err);
    CHECK(r.exit_code == c.code);
    CHECK_THAT(r.err + r.out, Catch::Contains(c.message));
    if (c.code != 0) {
      CHECK_THAT(r.err, Catch::Contains("relocplan: error: "));
      CHECK(r.err.find("relocplan: error: ") == r.err.rfind("relocplan: error: "));  // one error, not a cascade
      CHECK_FALSE(testsupport::has_temp_files(w.dir.path()));
      if (!existed) CHECK_FALSE(fs::exists(w / "out.gpkg"));
    }
    for (const auto& [path, text] : before) {
      if (path.filename() == "out.gpkg" && c.code == 0) continue;
      CHECK(testsupport::read_text(path) == text);
    }
    if (w.after) w.after(w);
  }

  const std::string table = corpus_table(cases);
  if (const char* out = std::getenv("RELOCPLAN_BAD_INPUT_TABLE")) {
    std::ofstream(out) << table;
    return;
  }
  const std::string readme = testsupport::read_text(fs::path(RELOCPLAN_SOURCE_DIR) / "README.md");
  const auto b = readme.find(kBegin);
  const auto e = readme.find(kEnd);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  INFO("README.md's bad-input table is out of date: run scripts/bad-input-table");
  CHECK(readme.substr(b + std::string(kBegin).size(), e - b - std::string(kBegin).size()) == table);
}

namespace {

// A small tmpfs mounted for the test (root or CAP_SYS_ADMIN only), unmounted after.
struct TinyFilesystem {
  fs::path dir;
  bool mounted = false;
  std::string why;
  explicit TinyFilesystem(const fs::path& at, const std::string& size) : dir(at) {
    fs::create_directories(dir);
    const auto r = run_command({"/bin/mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.string()});
    mounted = r.exit_code == 0;
    why = r.err;
  }
  ~TinyFilesystem() {
    if (mounted) run_command({"/bin/umount", dir.string()});
  }
};

}  // namespace

TEST_CASE("a full disk: exit 4, the previous output untouched, nothing left behind", "[cli][output][disk]") {
  Workspace w;
  TinyFilesystem disk(w / "disk", "1200k");
  if (!disk.mounted) {
    WARN("skipped: cannot mount a tmpfs here (" << disk.why << ")");
    return;
  }
  w.edit("path = \"out.gpkg\"", "path = \"" + (disk.dir / "out.gpkg").string() + "\"");
  testsupport::write_text(w / "scenario.toml", w.scenario);
  const std::vector<std::string> argv = {kExe, "run", (w / "scenario.toml").string(), "-q", "--overwrite"};
  const auto first = run_command(argv);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  const std::string previous = testsupport::read_text(disk.dir / "out.gpkg");
  const std::string notices = testsupport::read_text(disk.dir / "out_notices" / fs::directory_iterator(disk.dir / "out_notices")->path().filename());

  // Fill the disk up to the last 64 kB: too little for another output.
  {
    std::ofstream filler(disk.dir / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), block.size())) {
    }
  }
  const auto space = fs::space(disk.dir);
  fs::resize_file(disk.dir / "filler", fs::file_size(disk.dir / "filler") - 16 * 4096);
  INFO("free before the run: " << fs::space(disk.dir).available << " bytes (was " << space.available << ")");

  const auto r = run_command(argv);
  INFO(r.err);
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains("relocplan: error: ") && Catch::Contains(disk.dir.string()));
  CHECK(testsupport::read_text(disk.dir / "out.gpkg") == previous);
  CHECK(testsupport::read_text(disk.dir / "out_notices" / fs::directory_iterator(disk.dir / "out_notices")->path().filename()) == notices);
  CHECK_FALSE(testsupport::has_temp_files(disk.dir));
}
