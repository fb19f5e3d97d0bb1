// relocplan-samplegen: the grid origin and writing dem.tif (Float32, tiled
// 256 x 256, DEFLATE with the floating-point predictor, NoData -9999).

#include "dem.hpp"

namespace relocplan::samplegen {

DemInfo gridOrigin(const World& w, const SrsHandle& geo, const SrsHandle& demSrs) {
  TransformHandle ct(geo, demSrs, "cannot transform the area centre to EPSG:4545");
  std::vector<double> xs{107.3};
  std::vector<double> ys{26.0};
  ct.apply(xs, ys, "cannot transform the area centre to EPSG:4545");
  DemInfo d;
  d.originE = std::round((xs[0] - 0.5 * w.width()) / w.cell()) * w.cell();
  d.originN = std::round((ys[0] + 0.5 * w.height()) / w.cell()) * w.cell();
  return d;
}

void writeDem(const World& w, const fs::path& dir, const SrsHandle& demSrs, DemInfo& info, CoarseDem& cd) {
  const fs::path dst = dir / "dem.tif";
  const fs::path tmp = dir / ".tmp-dem.tif";
  removeIfExists(tmp);
  GDALDriverH drv = GDALGetDriverByName("GTiff");
  if (drv == nullptr) failGdal("GTiff driver not available");
  char** opts = nullptr;
  opts = CSLSetNameValue(opts, "TILED", "YES");
  opts = CSLSetNameValue(opts, "BLOCKXSIZE", "256");
  opts = CSLSetNameValue(opts, "BLOCKYSIZE", "256");
  opts = CSLSetNameValue(opts, "COMPRESS", "DEFLATE");
  opts = CSLSetNameValue(opts, "PREDICTOR", "3");
  opts = CSLSetNameValue(opts, "BIGTIFF", "IF_SAFER");
  CPLErrorReset();
  GDALDatasetH ds = GDALCreate(drv, tmp.string().c_str(), w.ncols(), w.nrows(), 1, GDT_Float32, opts);
  CSLDestroy(opts);
  if (ds == nullptr) failGdal("cannot create " + tmp.string());
  struct Closer {
    GDALDatasetH& h;
    ~Closer() {
      if (h != nullptr) GDALClose(h);
    }
  } closer{ds};
  double gt[6] = {info.originE, w.cell(), 0.0, info.originN, 0.0, -w.cell()};
  if (GDALSetGeoTransform(ds, gt) != CE_None) failGdal("cannot set geotransform of dem.tif");
  if (GDALSetSpatialRef(ds, demSrs.h) != CE_None) failGdal("cannot set CRS of dem.tif");
  GDALRasterBandH band = GDALGetRasterBand(ds, 1);
  if (band == nullptr) failGdal("cannot access band of dem.tif");
  if (GDALSetRasterNoDataValue(band, kNoData) != CE_None) failGdal("cannot set NoData of dem.tif");
  if (GDALSetRasterUnitType(band, "m") != CE_None) failGdal("cannot set unit of dem.tif");
  GDALSetDescription(band, "elevation");
  std::vector<float> buf;
  constexpr int kStrip = 256;
  for (int r0 = 0; r0 < w.nrows(); r0 += kStrip) {
    const int nr = std::min(kStrip, w.nrows() - r0);
    w.fillRows(r0, nr, buf);
    for (int r = 0; r < nr; ++r) {
      const size_t crow = static_cast<size_t>((r0 + r) / cd.f) * static_cast<size_t>(cd.nx);
      for (int c = 0; c < w.ncols(); ++c) {
        const float f = buf[static_cast<size_t>(r) * static_cast<size_t>(w.ncols()) + static_cast<size_t>(c)];
        if (f == static_cast<float>(kNoData)) {
          ++info.nodata;
        } else {
          info.minZ = std::min(info.minZ, static_cast<double>(f));
          info.maxZ = std::max(info.maxZ, static_cast<double>(f));
          const size_t ci = crow + static_cast<size_t>(c / cd.f);
          cd.z[ci] += f;
          ++cd.n[ci];
        }
      }
    }
    if (GDALRasterIO(band, GF_Write, 0, r0, w.ncols(), nr, buf.data(), w.ncols(), nr, GDT_Float32, 0, 0) !=
        CE_None)
      failGdal("cannot write rows of dem.tif");
  }
  CPLErrorReset();
  GDALClose(ds);
  ds = nullptr;
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
    failGdal("cannot finish dem.tif");
  renameInto(tmp, dst);
}

}  // namespace relocplan::samplegen
