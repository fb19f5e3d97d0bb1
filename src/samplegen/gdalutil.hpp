// relocplan-samplegen: GDAL/OGR helpers for the layers beyond the DEM and the
// villages.  This file is a part of run.cpp (included inside its anonymous
// namespace, after the headers of the DEM and village code); it has no
// includes of its own.

// ---------------------------------------------------------------------------
// Local metres (x east, v south from the DEM's upper-left corner) <-> EPSG:4545

struct Frame {
  double oE = 0.0, oN = 0.0, cell = 30.0;
  int ncols = 0, nrows = 0;
  double E(double x) const { return oE + x; }
  double N(double v) const { return oN - v; }
  double lx(double e) const { return e - oE; }
  double lv(double n) const { return oN - n; }
  double width() const { return ncols * cell; }
  double height() const { return nrows * cell; }
};

// Owning handle of an OGR geometry.
class Geom {
 public:
  Geom() = default;
  explicit Geom(OGRGeometryH h) : h_(h) {}
  ~Geom() { reset(); }
  Geom(Geom&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  Geom& operator=(Geom&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = o.h_;
      o.h_ = nullptr;
    }
    return *this;
  }
  Geom(const Geom&) = delete;
  Geom& operator=(const Geom&) = delete;
  OGRGeometryH get() const { return h_; }
  OGRGeometryH release() {
    OGRGeometryH h = h_;
    h_ = nullptr;
    return h;
  }
  void reset(OGRGeometryH h = nullptr) {
    if (h_ != nullptr) OGR_G_DestroyGeometry(h_);
    h_ = h;
  }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  OGRGeometryH h_ = nullptr;
};

Geom cloneGeom(const Geom& g) { return Geom(g ? OGR_G_Clone(g.get()) : nullptr); }

// A polygon from a closed ring of local points (the ring is closed here).
Geom polygonFromLocal(const std::vector<Pt>& ring, const Frame& fr) {
  OGRGeometryH r = OGR_G_CreateGeometry(wkbLinearRing);
  for (const Pt& p : ring) OGR_G_AddPoint_2D(r, fr.E(p.x), fr.N(p.v));
  if (!ring.empty()) OGR_G_AddPoint_2D(r, fr.E(ring.front().x), fr.N(ring.front().v));
  OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
  OGR_G_AddGeometryDirectly(poly, r);
  return Geom(poly);
}

double ringArea(OGRGeometryH ring) {
  const int n = OGR_G_GetPointCount(ring);
  double a = 0.0;
  for (int i = 0; i + 1 < n; ++i)
    a += OGR_G_GetX(ring, i) * OGR_G_GetY(ring, i + 1) - OGR_G_GetX(ring, i + 1) * OGR_G_GetY(ring, i);
  return 0.5 * std::fabs(a);
}

// Collects the polygons of any geometry (collections walked recursively),
// keeping polygons of at least minArea m2 and holes of at least minArea m2.
void collectPolygons(OGRGeometryH g, double minArea, OGRGeometryH multi) {
  if (g == nullptr) return;
  const OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
  if (t == wkbPolygon) {
    if (OGR_G_GetGeometryCount(g) == 0) return;
    OGRGeometryH ext = OGR_G_GetGeometryRef(g, 0);
    if (ringArea(ext) < std::max(minArea, 1e-6)) return;
    OGRGeometryH p = OGR_G_CreateGeometry(wkbPolygon);
    OGR_G_AddGeometry(p, ext);
    for (int k = 1; k < OGR_G_GetGeometryCount(g); ++k) {
      OGRGeometryH hole = OGR_G_GetGeometryRef(g, k);
      if (ringArea(hole) >= std::max(minArea, 1e-6)) OGR_G_AddGeometry(p, hole);
    }
    OGR_G_AddGeometryDirectly(multi, p);
    return;
  }
  if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
    for (int k = 0; k < OGR_G_GetGeometryCount(g); ++k) collectPolygons(OGR_G_GetGeometryRef(g, k), minArea, multi);
  }
}

// validity without GEOS's warnings on the console
bool isValidQuiet(OGRGeometryH g) {
  CPLPushErrorHandler(CPLQuietErrorHandler);
  const bool ok = OGR_G_IsValid(g) != 0;
  CPLPopErrorHandler();
  return ok;
}

// A valid MultiPolygon from any polygonal geometry: simplified (topology
// preserved) by `tol` metres, repaired if needed, parts and holes under
// minArea m2 dropped.  Empty handle if nothing is left.
Geom cleanPolygonal(Geom g, double tol, double minArea) {
  if (!g) return Geom();
  if (tol > 0.0) {
    Geom s(OGR_G_SimplifyPreserveTopology(g.get(), tol));
    if (s) g = std::move(s);
  }
  if (!isValidQuiet(g.get())) {
    Geom b(OGR_G_Buffer(g.get(), 0.0, 8));
    if (b && isValidQuiet(b.get())) {
      g = std::move(b);
    } else {
      Geom m(OGR_G_MakeValid(g.get()));
      if (m) g = std::move(m);
    }
  }
  Geom multi(OGR_G_CreateGeometry(wkbMultiPolygon));
  collectPolygons(g.get(), minArea, multi.get());
  if (OGR_G_GetGeometryCount(multi.get()) == 0) return Geom();
  if (!isValidQuiet(multi.get())) {
    // parts may touch after dropping holes; a union repairs that
    Geom u(OGR_G_UnionCascaded(multi.get()));
    if (!u) u = Geom(OGR_G_MakeValid(multi.get()));
    Geom m2(OGR_G_CreateGeometry(wkbMultiPolygon));
    collectPolygons(u.get(), minArea, m2.get());
    if (OGR_G_GetGeometryCount(m2.get()) == 0 || !isValidQuiet(m2.get())) return Geom();
    return m2;
  }
  return multi;
}


// ---------------------------------------------------------------------------
// Class rasters -> polygons

// Polygonizes a Byte class raster (0 = not mapped).  The raster's upper-left
// corner is at (ulE, ulN) in EPSG:4545 with square cells of `cs` metres.
// Regions under `sieve` cells are first merged into their neighbours (with
// 0 counted as a class, so small islands vanish and small holes fill).
// `emit(value, polygon)` receives each raw polygon (pixel-edged).
void polygonizeClasses(std::vector<uint8_t>& cls, int w, int h, double ulE, double ulN, double cs, int sieve,
                       bool eight, const std::function<void(int, Geom)>& emit) {
  if (w <= 0 || h <= 0) return;
  bool any = false;
  for (uint8_t c : cls)
    if (c != 0) {
      any = true;
      break;
    }
  if (!any) return;
  GDALDriverH mem = GDALGetDriverByName("MEM");
  if (mem == nullptr) failGdal("MEM driver not available");
  GDALDatasetH ds = GDALCreate(mem, "", w, h, 1, GDT_Byte, nullptr);
  if (ds == nullptr) failGdal("cannot create a class raster in memory");
  double gt[6] = {ulE, cs, 0.0, ulN, 0.0, -cs};
  GDALSetGeoTransform(ds, gt);
  GDALRasterBandH band = GDALGetRasterBand(ds, 1);
  if (GDALRasterIO(band, GF_Write, 0, 0, w, h, cls.data(), w, h, GDT_Byte, 0, 0) != CE_None) {
    GDALClose(ds);
    failGdal("cannot fill a class raster");
  }
  if (sieve > 1 && GDALSieveFilter(band, nullptr, band, sieve, eight ? 8 : 4, nullptr, nullptr, nullptr) != CE_None) {
    GDALClose(ds);
    failGdal("sieve filter failed");
  }
  GDALDriverH memv = GDALGetDriverByName("Memory");
  if (memv == nullptr) {
    GDALClose(ds);
    failGdal("Memory driver not available");
  }
  GDALDatasetH vds = GDALCreate(memv, "", 0, 0, 0, GDT_Unknown, nullptr);
  OGRLayerH lyr = GDALDatasetCreateLayer(vds, "p", nullptr, wkbPolygon, nullptr);
  OGRFieldDefnH fd = OGR_Fld_Create("v", OFTInteger);
  OGR_L_CreateField(lyr, fd, TRUE);
  OGR_Fld_Destroy(fd);
  char** popts = nullptr;
  if (eight) popts = CSLSetNameValue(popts, "8CONNECTED", "8");
  const CPLErr e = GDALPolygonize(band, band, lyr, 0, popts, nullptr, nullptr);
  CSLDestroy(popts);
  if (e != CE_None) {
    GDALClose(vds);
    GDALClose(ds);
    failGdal("polygonize failed");
  }
  OGR_L_ResetReading(lyr);
  OGRFeatureH f;
  while ((f = OGR_L_GetNextFeature(lyr)) != nullptr) {
    const int v = OGR_F_GetFieldAsInteger(f, 0);
    Geom g(OGR_F_StealGeometry(f));
    OGR_F_Destroy(f);
    if (v != 0 && g) emit(v, std::move(g));
  }
  GDALClose(vds);
  GDALClose(ds);
}

// ---------------------------------------------------------------------------
// Reading the written DEM back in windows

class DemReader {
 public:
  DemReader(const fs::path& path, int ncols, int nrows) : ncols_(ncols), nrows_(nrows) {
    ds_ = GDALOpen(path.string().c_str(), GA_ReadOnly);
    if (ds_ == nullptr) failGdal("cannot reopen " + path.string());
    band_ = GDALGetRasterBand(ds_, 1);
  }
  ~DemReader() {
    if (ds_ != nullptr) GDALClose(ds_);
  }
  DemReader(const DemReader&) = delete;
  DemReader& operator=(const DemReader&) = delete;
  // Window [c0, c0 + w) x [r0, r0 + h); cells outside the DEM or NoData are NaN.
  void read(int c0, int r0, int w, int h, std::vector<float>& out) const {
    out.assign(static_cast<size_t>(w) * static_cast<size_t>(h), std::nanf(""));
    const int cs = std::max(0, c0);
    const int rs = std::max(0, r0);
    const int ce = std::min(ncols_, c0 + w);
    const int re = std::min(nrows_, r0 + h);
    if (cs >= ce || rs >= re) return;
    std::vector<float> tmp(static_cast<size_t>(ce - cs) * static_cast<size_t>(re - rs));
    if (GDALRasterIO(band_, GF_Read, cs, rs, ce - cs, re - rs, tmp.data(), ce - cs, re - rs, GDT_Float32, 0, 0) !=
        CE_None)
      failGdal("cannot read dem.tif");
    for (int r = rs; r < re; ++r)
      for (int c = cs; c < ce; ++c) {
        const float f = tmp[static_cast<size_t>(r - rs) * static_cast<size_t>(ce - cs) + static_cast<size_t>(c - cs)];
        if (f != static_cast<float>(kNoData))
          out[static_cast<size_t>(r - r0) * static_cast<size_t>(w) + static_cast<size_t>(c - c0)] = f;
      }
  }

 private:
  GDALDatasetH ds_ = nullptr;
  GDALRasterBandH band_ = nullptr;
  int ncols_, nrows_;
};

// Horn slope (degrees) of the inner cells of a window with a 1-cell halo;
// NaN where a neighbour is missing.  z: (w + 2) x (h + 2), out: w x h.
void hornSlope(const std::vector<float>& z, int w, int h, double cell, std::vector<float>& out) {
  out.assign(static_cast<size_t>(w) * static_cast<size_t>(h), std::nanf(""));
  const size_t W = static_cast<size_t>(w) + 2;
  for (int r = 0; r < h; ++r) {
    const float* a = z.data() + static_cast<size_t>(r) * W;
    const float* b = a + W;
    const float* c = b + W;
    for (int k = 0; k < w; ++k) {
      const double z1 = a[k], z2 = a[k + 1], z3 = a[k + 2];
      const double z4 = b[k], z6 = b[k + 2];
      const double z7 = c[k], z8 = c[k + 1], z9 = c[k + 2];
      const double dx = ((z3 + 2 * z6 + z9) - (z1 + 2 * z4 + z7)) / (8.0 * cell);
      const double dy = ((z7 + 2 * z8 + z9) - (z1 + 2 * z2 + z3)) / (8.0 * cell);
      const double s = std::atan(std::sqrt(dx * dx + dy * dy)) * 180.0 / kPi;
      if (std::isfinite(s) && std::isfinite(static_cast<double>(b[k + 1])))
        out[static_cast<size_t>(r) * static_cast<size_t>(w) + static_cast<size_t>(k)] = static_cast<float>(s);
    }
  }
}

// ---------------------------------------------------------------------------
// Writing vector layers

struct FieldSpec {
  const char* name;
  OGRFieldType type;
  int width;
};

struct Val {
  enum Kind { kNull, kStr, kInt, kReal } kind = kNull;
  std::string s;
  long long i = 0;
  double d = 0.0;
  Val() = default;
  Val(const char* x) : kind(kStr), s(x) {}                          // NOLINT
  Val(std::string x) : kind(kStr), s(std::move(x)) {}               // NOLINT
  Val(int x) : kind(kInt), i(x) {}                                  // NOLINT
  Val(long x) : kind(kInt), i(x) {}                                 // NOLINT
  Val(long long x) : kind(kInt), i(x) {}                            // NOLINT
  Val(double x) : kind(kReal), d(x) {}                              // NOLINT
};

class LayerOut {
 public:
  LayerOut(GDALDatasetH ds, const char* name, OGRSpatialReferenceH srs, OGRwkbGeometryType gt,
           const std::vector<FieldSpec>& fields, bool gpkg)
      : ds_(ds), name_(name) {
    char** lopts = nullptr;
    if (gpkg) {
      lopts = CSLSetNameValue(lopts, "GEOMETRY_NAME", "geom");
      lopts = CSLSetNameValue(lopts, "FID", "fid");
      lopts = CSLSetNameValue(lopts, "SPATIAL_INDEX", "YES");
    } else {
      lopts = CSLSetNameValue(lopts, "ENCODING", "UTF-8");
      lopts = CSLSetNameValue(lopts, "DBF_DATE_LAST_UPDATE", "2000-01-01");
    }
    lyr_ = GDALDatasetCreateLayer(ds, name, srs, gt, lopts);
    CSLDestroy(lopts);
    if (lyr_ == nullptr) failGdal(std::string("cannot create layer ") + name);
    for (const FieldSpec& f : fields) {
      OGRFieldDefnH fd = OGR_Fld_Create(f.name, f.type);
      if (f.width > 0) OGR_Fld_SetWidth(fd, f.width);
      if (f.type == OFTReal && !gpkg) OGR_Fld_SetPrecision(fd, 1);
      const OGRErr e = OGR_L_CreateField(lyr_, fd, TRUE);
      OGR_Fld_Destroy(fd);
      if (e != OGRERR_NONE) failGdal(std::string("cannot create field ") + f.name);
    }
    defn_ = OGR_L_GetLayerDefn(lyr_);
    transaction_ = gpkg;
    if (transaction_ && GDALDatasetStartTransaction(ds_, FALSE) != OGRERR_NONE)
      failGdal(std::string("cannot start a transaction for ") + name);
  }
  ~LayerOut() {
    if (transaction_) GDALDatasetRollbackTransaction(ds_);
  }
  LayerOut(const LayerOut&) = delete;
  LayerOut& operator=(const LayerOut&) = delete;

  void add(Geom g, const std::vector<Val>& vals) {
    OGRFeatureH f = OGR_F_Create(defn_);
    for (size_t k = 0; k < vals.size(); ++k) {
      const Val& v = vals[k];
      const int i = static_cast<int>(k);
      switch (v.kind) {
        case Val::kStr:
          OGR_F_SetFieldString(f, i, v.s.c_str());
          break;
        case Val::kInt:
          OGR_F_SetFieldInteger64(f, i, v.i);
          break;
        case Val::kReal:
          OGR_F_SetFieldDouble(f, i, v.d);
          break;
        default:
          OGR_F_SetFieldNull(f, i);
          break;
      }
    }
    if (g) OGR_F_SetGeometryDirectly(f, g.release());
    const OGRErr e = OGR_L_CreateFeature(lyr_, f);
    OGR_F_Destroy(f);
    if (e != OGRERR_NONE) failGdal("cannot write a feature of " + name_);
    ++count_;
  }
  void commit() {
    if (transaction_ && GDALDatasetCommitTransaction(ds_) != OGRERR_NONE) failGdal("cannot commit " + name_);
    transaction_ = false;
  }
  long count() const { return count_; }

 private:
  GDALDatasetH ds_;
  std::string name_;
  OGRLayerH lyr_ = nullptr;
  OGRFeatureDefnH defn_ = nullptr;
  bool transaction_ = false;
  long count_ = 0;
};

Geom pointGeom(double e, double n) {
  OGRGeometryH p = OGR_G_CreateGeometry(wkbPoint);
  OGR_G_SetPoint_2D(p, 0, e, n);
  return Geom(p);
}

// Raster creation with the common options.
GDALDatasetH createTiff(const fs::path& path, int w, int h, int bands, GDALDataType type, bool compress) {
  GDALDriverH drv = GDALGetDriverByName("GTiff");
  if (drv == nullptr) failGdal("GTiff driver not available");
  char** opts = nullptr;
  opts = CSLSetNameValue(opts, "TILED", "YES");
  opts = CSLSetNameValue(opts, "BLOCKXSIZE", "256");
  opts = CSLSetNameValue(opts, "BLOCKYSIZE", "256");
  if (compress) {
    opts = CSLSetNameValue(opts, "COMPRESS", "DEFLATE");
    opts = CSLSetNameValue(opts, "PREDICTOR", type == GDT_Float32 ? "3" : "2");
  }
  opts = CSLSetNameValue(opts, "BIGTIFF", "IF_SAFER");
  CPLErrorReset();
  GDALDatasetH ds = GDALCreate(drv, path.string().c_str(), w, h, bands, type, opts);
  CSLDestroy(opts);
  if (ds == nullptr) failGdal("cannot create " + path.string());
  return ds;
}

void closeChecked(GDALDatasetH ds, const std::string& what) {
  CPLErrorReset();
  GDALClose(ds);
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal) failGdal("cannot finish " + what);
}
