// relocplan-samplegen: writing the villages: villages.csv (lon/lat in
// EPSG:4490 with 6 decimals) and villages_4544.gpkg (the same points
// transformed to EPSG:4544).

#include "villages.hpp"

namespace relocplan::samplegen {

namespace {

std::string rateString(const Village& v) {
  char buf[32];
  const double rate = static_cast<double>(v.poor) / static_cast<double>(v.households);
  std::snprintf(buf, sizeof buf, "%.4f", rate);
  return buf;
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

}  // namespace

void writeCsv(const std::vector<Village>& vs, const std::vector<Township>& towns, const fs::path& dir) {
  const fs::path dst = dir / "villages.csv";
  const fs::path tmp = dir / ".tmp-villages.csv";
  removeIfExists(tmp);
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail("cannot create " + tmp.string(), std::strerror(errno));
    f << "code,name,county,township,lon,lat,population,households,poor_households,poverty_rate\n";
    for (const Village& v : vs) {
      char ll[64];
      std::snprintf(ll, sizeof ll, "%.6f,%.6f", v.lon, v.lat);
      f << v.code << ',' << csvField(v.name) << ',' << csvField(kCountyName[static_cast<size_t>(v.county)]) << ','
        << csvField(towns[static_cast<size_t>(v.town)].name) << ',' << ll << ',' << v.population << ','
        << v.households << ',' << v.poor << ',' << rateString(v) << '\n';
    }
    f.flush();
    if (!f) fail("cannot write " + tmp.string(), std::strerror(errno));
  }
  renameInto(tmp, dst);
}

void writeGpkg(const std::vector<Village>& vs, const std::vector<Township>& towns, const fs::path& dir,
               const SrsHandle& geo, const SrsHandle& copySrs) {
  const fs::path dst = dir / "villages_4544.gpkg";
  const fs::path tmp = dir / ".tmp-villages_4544.gpkg";
  removeIfExists(tmp);
  removeIfExists(dir / ".tmp-villages_4544.gpkg-journal");
  std::vector<double> xs;
  std::vector<double> ys;
  for (const Village& v : vs) {
    // start from the rounded CSV coordinates so both copies agree
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", v.lon);
    xs.push_back(std::strtod(buf, nullptr));
    std::snprintf(buf, sizeof buf, "%.6f", v.lat);
    ys.push_back(std::strtod(buf, nullptr));
  }
  TransformHandle ct(geo, copySrs, "cannot create transformation EPSG:4490 -> EPSG:4544");
  ct.apply(xs, ys, "cannot transform villages to EPSG:4544");

  GDALDriverH drv = GDALGetDriverByName("GPKG");
  if (drv == nullptr) failGdal("GPKG driver not available");
  CPLErrorReset();
  GDALDatasetH ds = GDALCreate(drv, tmp.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  if (ds == nullptr) failGdal("cannot create " + tmp.string());
  struct Closer {
    GDALDatasetH& h;
    ~Closer() {
      if (h != nullptr) GDALClose(h);
    }
  } closer{ds};
  char** lopts = nullptr;
  lopts = CSLSetNameValue(lopts, "GEOMETRY_NAME", "geom");
  lopts = CSLSetNameValue(lopts, "FID", "fid");
  lopts = CSLSetNameValue(lopts, "SPATIAL_INDEX", "YES");
  OGRLayerH lyr = GDALDatasetCreateLayer(ds, "villages", copySrs.h, wkbPoint, lopts);
  CSLDestroy(lopts);
  if (lyr == nullptr) failGdal("cannot create layer villages");
  struct FieldDef {
    const char* name;
    OGRFieldType type;
  };
  const std::array<FieldDef, 8> fields = {{{"code", OFTString},
                                           {"name", OFTString},
                                           {"county", OFTString},
                                           {"township", OFTString},
                                           {"population", OFTInteger},
                                           {"households", OFTInteger},
                                           {"poor_households", OFTInteger},
                                           {"poverty_rate", OFTReal}}};
  for (const FieldDef& fd : fields) {
    OGRFieldDefnH fdef = OGR_Fld_Create(fd.name, fd.type);
    if (fdef == nullptr) failGdal("cannot create field definition");
    const OGRErr e = OGR_L_CreateField(lyr, fdef, TRUE);
    OGR_Fld_Destroy(fdef);
    if (e != OGRERR_NONE) failGdal(std::string("cannot create field ") + fd.name);
  }
  if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE) failGdal("cannot start transaction");
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
  for (size_t i = 0; i < vs.size(); ++i) {
    const Village& v = vs[i];
    OGRFeatureH feat = OGR_F_Create(defn);
    if (feat == nullptr) failGdal("cannot create feature");
    OGR_F_SetFieldString(feat, 0, v.code.c_str());
    OGR_F_SetFieldString(feat, 1, v.name.c_str());
    OGR_F_SetFieldString(feat, 2, kCountyName[static_cast<size_t>(v.county)]);
    OGR_F_SetFieldString(feat, 3, towns[static_cast<size_t>(v.town)].name.c_str());
    OGR_F_SetFieldInteger(feat, 4, v.population);
    OGR_F_SetFieldInteger(feat, 5, v.households);
    OGR_F_SetFieldInteger(feat, 6, v.poor);
    OGR_F_SetFieldDouble(feat, 7, std::strtod(rateString(v).c_str(), nullptr));
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    if (pt == nullptr) {
      OGR_F_Destroy(feat);
      failGdal("cannot create point");
    }
    OGR_G_SetPoint_2D(pt, 0, xs[i], ys[i]);
    const OGRErr ge = OGR_F_SetGeometryDirectly(feat, pt);
    const OGRErr fe = (ge == OGRERR_NONE) ? OGR_L_CreateFeature(lyr, feat) : ge;
    OGR_F_Destroy(feat);
    if (fe != OGRERR_NONE) failGdal("cannot write village " + v.code);
  }
  if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE) failGdal("cannot commit villages_4544.gpkg");
  CPLErrorReset();
  GDALClose(ds);
  ds = nullptr;
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
    failGdal("cannot finish villages_4544.gpkg");
  renameInto(tmp, dst);
}

}  // namespace relocplan::samplegen
