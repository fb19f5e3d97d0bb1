// The sample-county generator: determinism, consistency of villages with the
// layers, CRSs and fields of every output, and the sample scenario end to end.

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace fs = std::filesystem;
using testsupport::run_command;
using testsupport::TempDir;

namespace {

const fs::path kData = fs::path(RELOCPLAN_TEST_SAMPLE_DIR) / "data";

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::set<std::string> file_names(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

struct DsCloser {
  void operator()(void* h) const {
    if (h != nullptr) GDALClose(static_cast<GDALDatasetH>(h));
  }
};
using DsPtr = std::unique_ptr<void, DsCloser>;

DsPtr open_vector(const fs::path& p) {
  return DsPtr(GDALOpenEx(p.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
}
DsPtr open_raster(const fs::path& p) {
  return DsPtr(GDALOpenEx(p.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
}

// EPSG code of a spatial reference (identified if the file lacks it)
int epsg_of(OGRSpatialReferenceH srs) {
  if (srs == nullptr) return 0;
  OGRSpatialReferenceH c = OSRClone(srs);
  const char* name = OSRIsProjected(c) ? "PROJCS" : "GEOGCS";
  const char* code = OSRGetAuthorityCode(c, name);
  if (code == nullptr) {
    OSRAutoIdentifyEPSG(c);
    code = OSRGetAuthorityCode(c, name);
  }
  if (code == nullptr) {
    int n = 0;
    int* conf = nullptr;
    OGRSpatialReferenceH* m = OSRFindMatches(c, nullptr, &n, &conf);
    int out = 0;
    if (n > 0 && conf[0] >= 90) {
      const char* mc = OSRGetAuthorityCode(m[0], nullptr);
      if (mc != nullptr) out = std::atoi(mc);
    }
    OSRFreeSRSArray(m);
    CPLFree(conf);
    OSRRelease(c);
    return out;
  }
  const int out = std::atoi(code);
  OSRRelease(c);
  return out;
}

struct Village {
  std::string code, name, county, township;
  double lon = 0, lat = 0;
  long population = 0, households = 0, poor = 0;
  std::string rate;
  double e = 0, n = 0;  // EPSG:4545
};

std::vector<Village> read_villages() {
  std::ifstream in(kData / "villages.csv");
  std::string line;
  std::getline(in, line);
  REQUIRE(line == "code,name,county,township,lon,lat,population,households,poor_households,poverty_rate");
  std::vector<Village> out;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    REQUIRE(f.size() == 10);
    Village v;
    v.code = f[0];
    v.name = f[1];
    v.county = f[2];
    v.township = f[3];
    v.lon = std::stod(f[4]);
    v.lat = std::stod(f[5]);
    v.population = std::stol(f[6]);
    v.households = std::stol(f[7]);
    v.poor = std::stol(f[8]);
    v.rate = f[9];
    out.push_back(v);
  }
  // published lon/lat -> EPSG:4545
  OGRSpatialReferenceH geo = OSRNewSpatialReference(nullptr);
  OGRSpatialReferenceH dem = OSRNewSpatialReference(nullptr);
  OSRImportFromEPSG(geo, 4490);
  OSRImportFromEPSG(dem, 4545);
  OSRSetAxisMappingStrategy(geo, OAMS_TRADITIONAL_GIS_ORDER);
  OSRSetAxisMappingStrategy(dem, OAMS_TRADITIONAL_GIS_ORDER);
  OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(geo, dem);
  for (Village& v : out) {
    double x = v.lon, y = v.lat;
    REQUIRE(OCTTransform(ct, 1, &x, &y, nullptr));
    v.e = x;
    v.n = y;
  }
  OCTDestroyCoordinateTransformation(ct);
  OSRRelease(geo);
  OSRRelease(dem);
  return out;
}

// features of a layer: attributes (as text) and an owned geometry
struct Feature {
  std::map<std::string, std::string> attr;
  OGRGeometryH geom = nullptr;
};
struct Features {
  std::vector<Feature> items;
  ~Features() {
    for (Feature& f : items)
      if (f.geom != nullptr) OGR_G_DestroyGeometry(f.geom);
  }
};

void read_layer(const fs::path& path, const std::string& layer, Features& out) {
  DsPtr ds = open_vector(path);
  REQUIRE(ds);
  OGRLayerH l = GDALDatasetGetLayerByName(ds.get(), layer.c_str());
  REQUIRE(l != nullptr);
  OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
  OGR_L_ResetReading(l);
  for (OGRFeatureH f = OGR_L_GetNextFeature(l); f != nullptr; f = OGR_L_GetNextFeature(l)) {
    Feature ft;
    for (int i = 0; i < OGR_FD_GetFieldCount(d); ++i)
      ft.attr[OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i))] = OGR_F_GetFieldAsString(f, i);
    ft.geom = OGR_F_StealGeometry(f);
    out.items.push_back(std::move(ft));
    OGR_F_Destroy(f);
  }
}

OGRGeometryH point(double x, double y) {
  OGRGeometryH p = OGR_G_CreateGeometry(wkbPoint);
  OGR_G_SetPoint_2D(p, 0, x, y);
  return p;
}

}  // namespace

TEST_CASE("generating the default sample again gives byte-identical files", "[samplegen]") {
  TempDir tmp;
  const auto r = run_command({RELOCPLAN_SAMPLEGEN_EXE, (tmp.path() / "data").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::set<std::string> names{"dem.tif",           "villages.csv",      "villages_4544.gpkg", "landcover.tif",
                                    "fragility.tif",     "hazard_points.shp", "hazard_points.shx",  "hazard_points.dbf",
                                    "hazard_points.prj", "hazard_points.cpg", "layers.gpkg"};
  // exactly these files, no temporary ones left behind
  CHECK(file_names(tmp.path() / "data") == names);
  for (const std::string& n : names) {
    INFO(n);
    CHECK(file_bytes(kData / n) == file_bytes(tmp.path() / "data" / n));
  }
  // and a different seed gives a different county
  const auto r2 = run_command({RELOCPLAN_SAMPLEGEN_EXE, (tmp.path() / "other").string(), "--size-km", "20", "--seed", "7"});
  REQUIRE(r2.exit_code == 0);
  CHECK(file_bytes(tmp.path() / "other" / "villages.csv") != file_bytes(kData / "villages.csv"));
}

TEST_CASE("village attributes are consistent and each village lies in its township and county", "[samplegen]") {
  const std::vector<Village> vs = read_villages();
  REQUIRE(vs.size() == 600);
  std::set<std::string> codes;
  for (const Village& v : vs) {
    INFO(v.code);
    CHECK(v.code.size() == 12);
    CHECK(codes.insert(v.code).second);
    CHECK(v.households >= 1);
    CHECK(v.poor >= 0);
    CHECK(v.poor <= v.households);
    CHECK(v.households <= v.population);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(v.poor) / static_cast<double>(v.households));
    CHECK(v.rate == buf);
  }
  Features counties, townships;
  read_layer(kData / "layers.gpkg", "counties", counties);
  read_layer(kData / "layers.gpkg", "townships", townships);
  REQUIRE(counties.items.size() == 2);
  std::map<std::string, OGRGeometryH> county, township;
  for (const Feature& f : counties.items) county[f.attr.at("county_name")] = f.geom;
  std::set<std::string> tcodes;
  for (const Feature& f : townships.items) {
    township[f.attr.at("county_name") + "/" + f.attr.at("township_name")] = f.geom;
    CHECK(f.attr.at("township_code").size() == 9);
    CHECK(tcodes.insert(f.attr.at("township_code")).second);
  }
  for (const Village& v : vs) {
    INFO(v.code << " " << v.name << " " << v.county << " " << v.township);
    REQUIRE(county.count(v.county) == 1);
    REQUIRE(township.count(v.county + "/" + v.township) == 1);
    OGRGeometryH p = point(v.e, v.n);
    CHECK(OGR_G_Contains(county[v.county], p));
    CHECK(OGR_G_Contains(township[v.county + "/" + v.township], p));
    OGR_G_DestroyGeometry(p);
    // the township code is the village code's first 9 digits
    bool codeMatches = false;
    for (const Feature& f : townships.items)
      if (f.attr.at("township_name") == v.township && f.attr.at("county_name") == v.county)
        codeMatches = f.attr.at("township_code") == v.code.substr(0, 9);
    CHECK(codeMatches);
  }
}

TEST_CASE("every file and layer has its CRS, its fields and valid polygons", "[samplegen]") {
  struct RasterSpec {
    const char* file;
    int epsg;
    GDALDataType type;
    double cell;
    double nodata;
  };
  for (const RasterSpec& s : {RasterSpec{"dem.tif", 4545, GDT_Float32, 30.0, -9999.0},
                              RasterSpec{"landcover.tif", 32648, GDT_Byte, 30.0, 255.0},
                              RasterSpec{"fragility.tif", 4545, GDT_Float32, 90.0, -9999.0}}) {
    INFO(s.file);
    DsPtr ds = open_raster(kData / s.file);
    REQUIRE(ds);
    CHECK(epsg_of(const_cast<OGRSpatialReferenceH>(GDALGetSpatialRef(ds.get()))) == s.epsg);
    GDALRasterBandH b = GDALGetRasterBand(ds.get(), 1);
    CHECK(GDALGetRasterDataType(b) == s.type);
    double gt[6];
    REQUIRE(GDALGetGeoTransform(ds.get(), gt) == CE_None);
    CHECK(gt[1] == Approx(s.cell));
    CHECK(gt[5] == Approx(-s.cell));
    int has = 0;
    CHECK(GDALGetRasterNoDataValue(b, &has) == s.nodata);
    CHECK(has);
  }
  {
    DsPtr ds = open_raster(kData / "fragility.tif");
    const auto f = testsupport::read_raster((kData / "fragility.tif").string());
    size_t valid = 0;
    for (float v : f.values) {
      if (v == -9999.0f) continue;
      ++valid;
      CHECK((v >= 0.0f && v <= 1.0f));
    }
    CHECK(valid > f.values.size() * 9 / 10);
  }
  struct LayerSpec {
    const char* file;
    const char* layer;
    int epsg;
    std::vector<std::string> fields;
  };
  const fs::path gpkg = kData / "layers.gpkg";
  const std::vector<LayerSpec> specs = {
      {"hazard_points.shp", "hazard_points", 4490, {"hz_id", "kind", "kind_zh", "radius_m", "people", "households"}},
      {"layers.gpkg", "counties", 4545, {"county_code", "county_name"}},
      {"layers.gpkg", "townships", 4545, {"township_code", "township_name", "county_name"}},
      {"layers.gpkg", "rivers", 4545, {"river_id", "name", "stream_order", "is_main"}},
      {"layers.gpkg", "water_bodies", 4545, {"kind", "name"}},
      {"layers.gpkg", "roads", 4545, {"road_id", "class", "speed_kmh"}},
      {"layers.gpkg", "towns", 4545, {"town_id", "name", "kind", "county_name", "population", "jobs"}},
      {"layers.gpkg", "schools", 4545, {"name", "level", "pupils"}},
      {"layers.gpkg", "clinics", 4545, {"name", "level"}},
      {"layers.gpkg", "desertification", 4545, {"grade", "grade_code"}},
      {"layers.gpkg", "susceptibility", 4545, {"class"}},
      {"layers.gpkg", "flood_zone", 4545, {"return_period"}},
      {"layers.gpkg", "reserve", 4545, {"name", "zone"}},
      {"layers.gpkg", "redline", 4545, {"name", "kind"}},
      {"villages_4544.gpkg", "villages", 4544, {"code", "name", "county", "township", "population", "households",
                                                 "poor_households", "poverty_rate"}},
  };
  for (const LayerSpec& s : specs) {
    INFO(s.file << " " << s.layer);
    DsPtr ds = open_vector(kData / s.file);
    REQUIRE(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds.get(), s.layer);
    REQUIRE(l != nullptr);
    CHECK(epsg_of(OGR_L_GetSpatialRef(l)) == s.epsg);
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    for (const std::string& f : s.fields) {
      INFO(f);
      CHECK(OGR_FD_GetFieldIndex(d, f.c_str()) >= 0);
    }
    CHECK(OGR_L_GetFeatureCount(l, TRUE) > 0);
    const OGRwkbGeometryType gt = wkbFlatten(OGR_L_GetGeomType(l));
    if (gt == wkbPolygon || gt == wkbMultiPolygon) {
      OGR_L_ResetReading(l);
      int invalid = 0;
      double smallest = 1e300;
      for (OGRFeatureH f = OGR_L_GetNextFeature(l); f != nullptr; f = OGR_L_GetNextFeature(l)) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g == nullptr || !OGR_G_IsValid(g)) ++invalid;
        if (g != nullptr) smallest = std::min(smallest, OGR_G_Area(g));
        OGR_F_Destroy(f);
      }
      CHECK(invalid == 0);
      // no slivers: zones of a few hectares at least, ponds of one
      if (std::string(s.layer) == "water_bodies") CHECK(smallest >= 0.9e4);
      else if (std::string(s.layer) != "townships" && std::string(s.layer) != "counties") CHECK(smallest >= 2.0e4);
    }
  }
  CHECK(testsupport::read_text(kData / "hazard_points.cpg").find("UTF-8") != std::string::npos);
  // attribute domains
  const auto hz = testsupport::read_features(kData / "hazard_points.shp", "hazard_points");
  CHECK(hz.size() >= 30);
  for (const auto& h : hz) {
    const std::string k = h.at("kind");
    CHECK((k == "landslide" || k == "debris_flow" || k == "collapse"));
    const std::string zh = h.at("kind_zh");
    CHECK(zh == (k == "landslide" ? "滑坡" : k == "debris_flow" ? "泥石流" : "崩塌"));
    const double r = std::stod(h.at("radius_m"));
    CHECK((r >= 100.0 && r <= 800.0));
    CHECK(std::stol(h.at("people")) >= std::stol(h.at("households")));
  }
  const auto towns = testsupport::read_features(gpkg, "towns");
  std::map<std::string, int> kinds;
  std::map<std::string, int> seats;
  for (const auto& t : towns) {
    ++kinds[t.at("kind")];
    if (t.at("kind") == "county_seat") ++seats[t.at("county_name")];
  }
  CHECK(seats["黔山县"] == 1);
  CHECK(seats["岩溪县"] == 1);
  CHECK(kinds["industrial_park"] >= 1);
  CHECK(kinds["township_seat"] >= 4);
  for (const auto& r : testsupport::read_features(gpkg, "roads")) {
    const std::string c = r.at("class");
    CHECK((c == "trunk" || c == "county" || c == "township" || c == "village"));
  }
  std::set<std::string> grades, zones, rkinds;
  for (const auto& r : testsupport::read_features(gpkg, "desertification")) grades.insert(r.at("grade"));
  for (const auto& r : testsupport::read_features(gpkg, "reserve")) zones.insert(r.at("zone"));
  for (const auto& r : testsupport::read_features(gpkg, "redline")) rkinds.insert(r.at("kind"));
  CHECK(grades == std::set<std::string>{"potential", "light", "moderate", "severe", "extreme"});
  CHECK(zones == std::set<std::string>{"core", "buffer", "experimental"});
  CHECK(rkinds.count("biodiversity") == 1);
  CHECK(rkinds.count("soil_conservation") == 1);
  // the counties cover the DEM
  Features counties;
  read_layer(gpkg, "counties", counties);
  DsPtr dem = open_raster(kData / "dem.tif");
  double gt[6];
  GDALGetGeoTransform(dem.get(), gt);
  const double W = gt[1] * GDALGetRasterXSize(dem.get());
  const double H = -gt[5] * GDALGetRasterYSize(dem.get());
  double area = 0.0;
  for (const Feature& f : counties.items) area += OGR_G_Area(f.geom);
  CHECK(area == Approx(W * H).epsilon(1e-6));
}

TEST_CASE("the DEM's elevations and slopes are in range", "[samplegen]") {
  const auto dem = testsupport::read_raster((kData / "dem.tif").string());
  float lo = 1e9f, hi = -1e9f;
  for (float v : dem.values)
    if (v != -9999.0f) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  CHECK(lo >= 400.0f);
  CHECK(hi <= 2100.5f);
  DsPtr ds = open_raster(kData / "dem.tif");
  char** argv = nullptr;
  argv = CSLAddString(argv, "-compute_edges");
  GDALDEMProcessingOptions* o = GDALDEMProcessingOptionsNew(argv, nullptr);
  CSLDestroy(argv);
  GDALDatasetH sl = GDALDEMProcessing("/vsimem/samplegen-slope.tif", ds.get(), "slope", nullptr, o, nullptr);
  GDALDEMProcessingOptionsFree(o);
  REQUIRE(sl != nullptr);
  GDALClose(sl);
  const auto s = testsupport::read_raster("/vsimem/samplegen-slope.tif");
  VSIUnlink("/vsimem/samplegen-slope.tif");
  size_t steep = 0, valid = 0;
  for (float v : s.values)
    if (v >= 0.0f) {
      ++valid;
      if (v > 25.0f) ++steep;
    }
  const double share = static_cast<double>(steep) / static_cast<double>(valid);
  CHECK(share > 0.15);
  CHECK(share < 0.50);
}

TEST_CASE("land cover has only GlobeLand30 codes and some steep cultivated land", "[samplegen]") {
  const auto lc = testsupport::read_raster((kData / "landcover.tif").string());
  std::map<int, size_t> hist;
  for (float v : lc.values) ++hist[static_cast<int>(v)];
  const std::set<int> allowed{10, 20, 30, 40, 50, 60, 80, 90, 255};
  for (const auto& [code, n] : hist) {
    INFO(code);
    CHECK(allowed.count(code) == 1);
  }
  for (int code : {10, 20, 30, 40, 60, 80, 90}) CHECK(hist[code] > 0);
  // land cover on the DEM grid (nearest), slope from the DEM
  DsPtr dem = open_raster(kData / "dem.tif");
  DsPtr lcd = open_raster(kData / "landcover.tif");
  double gt[6];
  GDALGetGeoTransform(dem.get(), gt);
  const int nx = GDALGetRasterXSize(dem.get()), ny = GDALGetRasterYSize(dem.get());
  char** argv = nullptr;
  for (const std::string& a :
       {std::string("-t_srs"), std::string("EPSG:4545"), std::string("-te"), std::to_string(gt[0]),
        std::to_string(gt[3] + gt[5] * ny), std::to_string(gt[0] + gt[1] * nx), std::to_string(gt[3]),
        std::string("-ts"), std::to_string(nx), std::to_string(ny), std::string("-r"), std::string("near")})
    argv = CSLAddString(argv, a.c_str());
  GDALWarpAppOptions* wo = GDALWarpAppOptionsNew(argv, nullptr);
  CSLDestroy(argv);
  GDALDatasetH src = lcd.get();
  GDALDatasetH w = GDALWarp("/vsimem/samplegen-lc.tif", nullptr, 1, &src, wo, nullptr);
  GDALWarpAppOptionsFree(wo);
  REQUIRE(w != nullptr);
  GDALClose(w);
  GDALDEMProcessingOptions* o = GDALDEMProcessingOptionsNew(nullptr, nullptr);
  GDALDatasetH sl = GDALDEMProcessing("/vsimem/samplegen-slope2.tif", dem.get(), "slope", nullptr, o, nullptr);
  GDALDEMProcessingOptionsFree(o);
  REQUIRE(sl != nullptr);
  GDALClose(sl);
  const auto lcw = testsupport::read_raster("/vsimem/samplegen-lc.tif");
  const auto s = testsupport::read_raster("/vsimem/samplegen-slope2.tif");
  VSIUnlink("/vsimem/samplegen-lc.tif");
  VSIUnlink("/vsimem/samplegen-slope2.tif");
  REQUIRE(lcw.values.size() == s.values.size());
  size_t cult = 0, steepCult = 0, steep = 0, steepForest = 0;
  for (size_t i = 0; i < s.values.size(); ++i) {
    const int c = static_cast<int>(lcw.values[i]);
    if (c == 10) ++cult;
    if (s.values[i] > 25.0f) {
      ++steep;
      if (c == 10) ++steepCult;
      if (c == 20 || c == 40) ++steepForest;
    }
  }
  CHECK(steepCult > cult / 20);  // a clear share of cultivated land is steep
  CHECK(steepForest > steep / 2);  // but steep land is mostly forest and shrub
}

TEST_CASE("villages in the reserve core, under hazards and far from roads", "[samplegen]") {
  const std::vector<Village> vs = read_villages();
  const fs::path gpkg = kData / "layers.gpkg";
  Features reserve, roads, susc;
  read_layer(gpkg, "reserve", reserve);
  read_layer(gpkg, "roads", roads);
  read_layer(gpkg, "susceptibility", susc);
  int inCore = 0, inBuffer = 0, inHigh = 0;
  for (const Village& v : vs) {
    OGRGeometryH p = point(v.e, v.n);
    for (const Feature& f : reserve.items) {
      if (!OGR_G_Contains(f.geom, p)) continue;
      if (f.attr.at("zone") == "core") ++inCore;
      if (f.attr.at("zone") == "buffer") ++inBuffer;
    }
    for (const Feature& f : susc.items)
      if (f.attr.at("class") == "high" && OGR_G_Contains(f.geom, p)) ++inHigh;
    OGR_G_DestroyGeometry(p);
  }
  CHECK(inCore >= 3);
  CHECK(inBuffer >= 1);
  CHECK(inHigh >= 5);
  // distance to the nearest road
  OGRGeometryH all = OGR_G_CreateGeometry(wkbMultiLineString);
  for (const Feature& f : roads.items) OGR_G_AddGeometry(all, f.geom);
  int far = 0;
  for (const Village& v : vs) {
    OGRGeometryH p = point(v.e, v.n);
    if (OGR_G_Distance(all, p) > 5000.0) ++far;
    OGR_G_DestroyGeometry(p);
  }
  OGR_G_DestroyGeometry(all);
  CHECK(far >= 1);
  // hazard points (lon/lat) whose radius holds a village
  const auto hz = testsupport::read_features(kData / "hazard_points.shp", "hazard_points");
  OGRSpatialReferenceH geo = OSRNewSpatialReference(nullptr);
  OGRSpatialReferenceH dem = OSRNewSpatialReference(nullptr);
  OSRImportFromEPSG(geo, 4490);
  OSRImportFromEPSG(dem, 4545);
  OSRSetAxisMappingStrategy(geo, OAMS_TRADITIONAL_GIS_ORDER);
  OSRSetAxisMappingStrategy(dem, OAMS_TRADITIONAL_GIS_ORDER);
  OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(geo, dem);
  int threatened = 0;
  for (const auto& h : hz) {
    double x = 0, y = 0;
    std::istringstream(h.at("@geom")) >> x >> y;
    REQUIRE(OCTTransform(ct, 1, &x, &y, nullptr));
    const double r = std::stod(h.at("radius_m"));
    bool any = false;
    for (const Village& v : vs)
      if (std::hypot(v.e - x, v.n - y) <= r) any = true;
    if (any) {
      ++threatened;
      CHECK(std::stol(h.at("households")) >= 1);
    }
  }
  OCTDestroyCoordinateTransformation(ct);
  OSRRelease(geo);
  OSRRelease(dem);
  CHECK(threatened >= 1);
}

TEST_CASE("the sample scenario runs end to end on the generated data", "[samplegen]") {
  TempDir tmp;
  std::string text = testsupport::read_text(fs::path(RELOCPLAN_SOURCE_DIR) / "samples/sample-county/scenario.toml");
  const std::string abs = fs::absolute(kData).string();
  size_t n = 0;
  for (size_t p = text.find("path = \"data/"); p != std::string::npos; p = text.find("path = \"data/", p)) {
    text.replace(p, std::string("path = \"data/").size(), "path = \"" + abs + "/");
    ++n;
  }
  CHECK(n >= 2);
  const auto q = text.find("path = \"../../out/sample.gpkg\"");
  REQUIRE(q != std::string::npos);
  const fs::path out = tmp.path() / "out.gpkg";
  text.replace(q, std::string("path = \"../../out/sample.gpkg\"").size(), "path = \"" + out.string() + "\"");
  const fs::path scenario = tmp.path() / "scenario.toml";
  testsupport::write_text(scenario, text);
  const auto r = run_command({RELOCPLAN_EXE, "run", scenario.string(), "-o", out.string(), "-q"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto rows = testsupport::read_features(out, "villages");
  std::ifstream in(kData / "villages.csv");
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line))
    if (!line.empty()) ++lines;
  CHECK(rows.size() == lines - 1);
}
