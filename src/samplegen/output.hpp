// relocplan-samplegen: writing layers.gpkg and hazard_points.shp.  Part of
// run.cpp (included inside its anonymous namespace).

// polyline pieces inside [0, W] x [0, H] (Liang-Barsky per segment)
std::vector<std::vector<Pt>> clipPolyline(const std::vector<Pt>& p, double W, double H) {
  std::vector<std::vector<Pt>> out;
  bool open = false;
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    const Pt a = p[i];
    const Pt b = p[i + 1];
    double t0 = 0.0, t1 = 1.0;
    const double dx = b.x - a.x, dv = b.v - a.v;
    bool vis = true;
    auto edge = [&](double q, double r) {
      if (q == 0.0) {
        if (r < 0.0) vis = false;
        return;
      }
      const double t = r / q;
      if (q < 0.0) {
        if (t > t1) vis = false;
        else if (t > t0) t0 = t;
      } else {
        if (t < t0) vis = false;
        else if (t < t1) t1 = t;
      }
    };
    edge(-dx, a.x);
    edge(dx, W - a.x);
    edge(-dv, a.v);
    edge(dv, H - a.v);
    if (!vis || t1 <= t0) {
      open = false;
      continue;
    }
    const Pt s{a.x + t0 * dx, a.v + t0 * dv};
    const Pt e{a.x + t1 * dx, a.v + t1 * dv};
    if (!open || t0 > 0.0) {
      out.push_back({s});
      open = true;
    }
    out.back().push_back(e);
    if (t1 < 1.0) open = false;
  }
  return out;
}

Geom lineFromLocal(const std::vector<Pt>& pts, const Frame& fr) {
  OGRGeometryH l = OGR_G_CreateGeometry(wkbLineString);
  for (const Pt& p : pts) OGR_G_AddPoint_2D(l, fr.E(p.x), fr.N(p.v));
  return Geom(l);
}

struct LayersInput {
  const World& w;
  const Frame& fr;
  const CountyLine& line;
  const Admin& admin;
  const std::vector<Township>& townships;
  const std::vector<Town>& towns;
  const std::vector<Road>& roads;
  const std::vector<WaterBody>& water;
  const std::vector<Reserve>& reserves;
  const std::vector<Facility>& schools;
  const std::vector<Facility>& clinics;
  const Model& model;
  GDALDatasetH scores;  // temporary score raster (band 1 desertification, 2 susceptibility)
  GDALDatasetH frag;    // fragility.tif, reopened
  uint64_t seed;
};

void writeLayers(const LayersInput& in, const fs::path& dir, const SrsHandle& srs) {
  const fs::path dst = dir / "layers.gpkg";
  const fs::path tmp = dir / ".tmp-layers.gpkg";
  removeIfExists(tmp);
  removeIfExists(dir / ".tmp-layers.gpkg-journal");
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
  const Frame& fr = in.fr;
  const std::array<const char*, 2> countyCode = {"522798", "522799"};
  Geom extent = polygonFromLocal({{0, 0}, {fr.width(), 0}, {fr.width(), fr.height()}, {0, fr.height()}}, fr);
  std::map<std::string, long> counts;

  {
    LayerOut l(ds, "counties", srs.h, wkbMultiPolygon, {{"county_code", OFTString, 6}, {"county_name", OFTString, 0}}, true);
    for (size_t c = 0; c < 2; ++c) l.add(cloneGeom(in.admin.county[c]), {countyCode[c], kCountyName[c]});
    l.commit();
    counts["counties"] = l.count();
  }
  {
    LayerOut l(ds, "townships", srs.h, wkbMultiPolygon,
               {{"township_code", OFTString, 9}, {"township_name", OFTString, 0}, {"county_name", OFTString, 0}}, true);
    for (size_t t = 0; t < in.townships.size(); ++t) {
      const Township& ts = in.townships[t];
      char code[16];
      std::snprintf(code, sizeof code, "%s%03d", countyCode[static_cast<size_t>(ts.county)], ts.code);
      l.add(cloneGeom(in.admin.township[t]), {std::string(code), ts.name, kCountyName[static_cast<size_t>(ts.county)]});
    }
    l.commit();
    counts["townships"] = l.count();
  }
  {
    LayerOut l(ds, "rivers", srs.h, wkbMultiLineString,
               {{"river_id", OFTString, 0}, {"name", OFTString, 0}, {"stream_order", OFTInteger, 0}, {"is_main", OFTInteger, 0}},
               true);
    Rng rng(in.seed, 131);
    std::set<std::string> used;
    auto riverName = [&](int order) -> Val {
      if (order >= 4) return Val();
      const std::string suffix = order <= 2 ? "河" : (rng.chance(0.5) ? "溪" : "沟");
      for (int k = 0; k < 100; ++k) {
        std::string n = (k < 30 ? pick(kWaterNames, rng) : pick(kCommonA, rng) + pick(kCommonB, rng)) + suffix;
        if (used.insert(n).second) return Val(n);
      }
      for (int k = 2;; ++k) {
        const std::string n = pick(kWaterNames, rng) + std::to_string(k) + suffix;
        if (used.insert(n).second) return Val(n);
      }
    };
    int id = 0;
    for (const River& r : in.w.rivers()) {
      std::vector<Pt> down(r.p.rbegin(), r.p.rend());  // source -> mouth
      const auto parts = clipPolyline(down, fr.width(), fr.height());
      Geom ml(OGR_G_CreateGeometry(wkbMultiLineString));
      double len = 0.0;
      for (const auto& part : parts) {
        if (part.size() < 2) continue;
        Geom g = lineFromLocal(part, fr);
        len += OGR_G_Length(g.get());
        OGR_G_AddGeometryDirectly(ml.get(), g.release());
      }
      if (len < 300.0) continue;
      char rid[16];
      std::snprintf(rid, sizeof rid, "RV%05d", ++id);
      l.add(std::move(ml), {std::string(rid), riverName(r.order), 5 - r.order, r.order == 1 ? 1 : 0});
    }
    l.commit();
    counts["rivers"] = l.count();
  }
  {
    LayerOut l(ds, "water_bodies", srs.h, wkbMultiPolygon, {{"kind", OFTString, 0}, {"name", OFTString, 0}}, true);
    for (const WaterBody& b : in.water) l.add(cloneGeom(b.geom), {b.kind, b.name});
    l.commit();
    counts["water_bodies"] = l.count();
  }
  {
    LayerOut l(ds, "roads", srs.h, wkbLineString,
               {{"road_id", OFTString, 0}, {"class", OFTString, 0}, {"speed_kmh", OFTReal, 0}}, true);
    int id = 0;
    for (int level = 1; level <= 4; ++level)
      for (const Road& r : in.roads) {
        if (r.level != level) continue;
        char rid[16];
        std::snprintf(rid, sizeof rid, "RD%05d", ++id);
        l.add(lineFromLocal(r.pts, fr), {std::string(rid), kRoadClass[static_cast<size_t>(level)],
                                         kRoadSpeed[static_cast<size_t>(level)]});
      }
    l.commit();
    counts["roads"] = l.count();
  }
  {
    LayerOut l(ds, "towns", srs.h, wkbPoint,
               {{"town_id", OFTString, 0}, {"name", OFTString, 0}, {"kind", OFTString, 0}, {"county_name", OFTString, 0},
                {"population", OFTInteger, 0}, {"jobs", OFTInteger, 0}},
               true);
    int id = 0;
    for (const char* kind : {"county_seat", "township_seat", "industrial_park"})
      for (const Town& t : in.towns) {
        if (t.kind != kind) continue;
        char tid[16];
        std::snprintf(tid, sizeof tid, "TW%04d", ++id);
        l.add(pointGeom(fr.E(t.x), fr.N(t.v)), {std::string(tid), t.name, t.kind,
                                                kCountyName[static_cast<size_t>(t.county)], t.population, t.jobs});
      }
    l.commit();
    counts["towns"] = l.count();
  }
  {
    LayerOut l(ds, "schools", srs.h, wkbPoint,
               {{"name", OFTString, 0}, {"level", OFTString, 0}, {"pupils", OFTInteger, 0}}, true);
    for (const Facility& f : in.schools) l.add(pointGeom(fr.E(f.x), fr.N(f.v)), {f.name, f.level, f.pupils});
    l.commit();
    counts["schools"] = l.count();
  }
  {
    LayerOut l(ds, "clinics", srs.h, wkbPoint, {{"name", OFTString, 0}, {"level", OFTString, 0}}, true);
    for (const Facility& f : in.clinics) l.add(pointGeom(fr.E(f.x), fr.N(f.v)), {f.name, f.level});
    l.commit();
    counts["clinics"] = l.count();
  }
  const Model& m = in.model;
  {
    LayerOut l(ds, "desertification", srs.h, wkbMultiPolygon, {{"grade", OFTString, 0}, {"grade_code", OFTInteger, 0}},
               true);
    GridWindow dw(in.scores, 1, 3.0 * fr.cell);
    classPass(
        fr, 1, 2048, 40, true,
        [&](int k0, int l0, int nk, int nl, std::vector<uint8_t>& cls) {
          dw.load(k0 * fr.cell, l0 * fr.cell, (k0 + nk) * fr.cell, (l0 + nl) * fr.cell);
          for (int b = 0; b < nl; ++b)
            for (int a = 0; a < nk; ++a) {
              const double x = (k0 + a + 0.5) * fr.cell, v = (l0 + b + 0.5) * fr.cell;
              cls[static_cast<size_t>(b) * static_cast<size_t>(nk) + static_cast<size_t>(a)] =
                  static_cast<uint8_t>(m.grade(dw.at(x, v), x, v));
            }
          return true;
        },
        [&](int v, Geom g) {
          Geom c = cleanPolygonal(std::move(g), 20.0, 3.0e4);
          if (c) l.add(std::move(c), {kGradeName[static_cast<size_t>(v)], v});
        });
    l.commit();
    counts["desertification"] = l.count();
  }
  {
    LayerOut l(ds, "susceptibility", srs.h, wkbMultiPolygon, {{"class", OFTString, 0}}, true);
    GridWindow sw(in.scores, 2, 3.0 * fr.cell);
    const double cs = 2.0 * fr.cell;
    classPass(
        fr, 2, 1024, 20, true,
        [&](int k0, int l0, int nk, int nl, std::vector<uint8_t>& cls) {
          sw.load(k0 * cs, l0 * cs, (k0 + nk) * cs, (l0 + nl) * cs);
          for (int b = 0; b < nl; ++b)
            for (int a = 0; a < nk; ++a) {
              const double x = (k0 + a + 0.5) * cs, v = (l0 + b + 0.5) * cs;
              cls[static_cast<size_t>(b) * static_cast<size_t>(nk) + static_cast<size_t>(a)] =
                  static_cast<uint8_t>(m.susc(sw.at(x, v), x, v));
            }
          return true;
        },
        [&](int v, Geom g) {
          Geom c = cleanPolygonal(std::move(g), 25.0, 5.0e4);
          if (c) l.add(std::move(c), {kSuscName[static_cast<size_t>(v)]});
        });
    l.commit();
    counts["susceptibility"] = l.count();
  }
  {
    LayerOut l(ds, "flood_zone", srs.h, wkbMultiPolygon, {{"return_period", OFTInteger, 0}}, true);
    std::vector<const Seg*> mainSegs;
    for (const Seg& s : in.w.segments())
      if (in.w.rivers()[static_cast<size_t>(s.river)].order == 1) mainSegs.push_back(&s);
    DemReader dem(dir / "dem.tif", fr.ncols, fr.nrows);
    for (const int rp : {20, 100}) {
      const double hmax = rp == 20 ? 2.5 : 5.0;
      classPass(
          fr, 1, 2048, 12, true,
          [&](int k0, int l0, int nk, int nl, std::vector<uint8_t>& cls) {
            const double x0 = k0 * fr.cell, v0 = l0 * fr.cell, x1 = (k0 + nk) * fr.cell, v1 = (l0 + nl) * fr.cell;
            std::vector<float> z;
            bool any = false;
            for (const Seg* sp : mainSegs) {
              const Seg& s = *sp;
              const double reach = std::max(s.hwL, s.hwR) + 60.0;
              const double ex = static_cast<double>(s.ax) + s.ux, ev = static_cast<double>(s.av) + s.uv;
              const double bx0 = std::min<double>(s.ax, ex) - reach, bx1 = std::max<double>(s.ax, ex) + reach;
              const double bv0 = std::min<double>(s.av, ev) - reach, bv1 = std::max<double>(s.av, ev) + reach;
              if (bx1 < x0 || bx0 > x1 || bv1 < v0 || bv0 > v1) continue;
              if (!any) {
                dem.read(k0, l0, nk, nl, z);
                any = true;
              }
              const int cs0 = std::max(k0, static_cast<int>(std::floor(bx0 / fr.cell)));
              const int ce = std::min(k0 + nk - 1, static_cast<int>(std::floor(bx1 / fr.cell)));
              const int rs = std::max(l0, static_cast<int>(std::floor(bv0 / fr.cell)));
              const int re = std::min(l0 + nl - 1, static_cast<int>(std::floor(bv1 / fr.cell)));
              for (int r = rs; r <= re; ++r)
                for (int c = cs0; c <= ce; ++c) {
                  const size_t k = static_cast<size_t>(r - l0) * static_cast<size_t>(nk) + static_cast<size_t>(c - k0);
                  if (cls[k] != 0 || std::isnan(z[k])) continue;
                  const double px = (c + 0.5) * fr.cell - s.ax, pv = (r + 0.5) * fr.cell - s.av;
                  const double t = std::clamp((px * s.ux + pv * s.uv) / s.len2, 0.0, 1.0);
                  const double qx = px - t * s.ux, qv = pv - t * s.uv;
                  const double d = std::sqrt(qx * qx + qv * qv);
                  const double lateral = (s.ux * pv - s.uv * px) / std::sqrt(s.len2);
                  const double side = std::clamp(lateral / 60.0, -1.0, 1.0);
                  const double hw = 0.5 * (s.hwL + s.hwR) + 0.5 * side * (s.hwL - s.hwR);
                  if (d > std::max(hw, 60.0) + 30.0) continue;
                  const double bed = s.bedA + t * (s.bedB - s.bedA);
                  if (z[k] - bed <= hmax) cls[k] = 1;
                }
            }
            return any;
          },
          [&](int, Geom g) {
            Geom c = cleanPolygonal(std::move(g), 15.0, 2.0e4);
            if (c) l.add(std::move(c), {rp});
          });
    }
    l.commit();
    counts["flood_zone"] = l.count();
  }
  // reserve zones; the union of core and buffer is also a red line
  std::vector<Geom> bio;
  {
    LayerOut l(ds, "reserve", srs.h, wkbMultiPolygon, {{"name", OFTString, 0}, {"zone", OFTString, 0}}, true);
    for (const Reserve& r : in.reserves) {
      Geom core(OGR_G_Intersection(polygonFromLocal(r.ring(0), fr).get(), extent.get()));
      Geom bufOuter(OGR_G_Intersection(polygonFromLocal(r.ring(1), fr).get(), extent.get()));
      Geom expOuter(OGR_G_Intersection(polygonFromLocal(r.ring(2), fr).get(), extent.get()));
      Geom buf(OGR_G_Difference(bufOuter.get(), core.get()));
      Geom exp(OGR_G_Difference(expOuter.get(), bufOuter.get()));
      l.add(cleanPolygonal(std::move(core), 0.0, 0.0), {r.name, "core"});
      l.add(cleanPolygonal(std::move(buf), 0.0, 0.0), {r.name, "buffer"});
      l.add(cleanPolygonal(std::move(exp), 0.0, 0.0), {r.name, "experimental"});
      bio.push_back(cleanPolygonal(std::move(bufOuter), 0.0, 0.0));
    }
    l.commit();
    counts["reserve"] = l.count();
  }
  {
    LayerOut l(ds, "redline", srs.h, wkbMultiPolygon, {{"name", OFTString, 0}, {"kind", OFTString, 0}}, true);
    Geom bioAll(OGR_G_CreateGeometry(wkbMultiPolygon));
    for (size_t i = 0; i < bio.size(); ++i) {
      if (!bio[i]) continue;
      l.add(cloneGeom(bio[i]), {stem(in.reserves[i].name, "自然保护区") + "生物多样性维护红线", "biodiversity"});
      for (int k = 0; k < OGR_G_GetGeometryCount(bio[i].get()); ++k)
        OGR_G_AddGeometry(bioAll.get(), OGR_G_GetGeometryRef(bio[i].get(), k));
    }
    Geom bioU(OGR_G_GetGeometryCount(bioAll.get()) > 0 ? OGR_G_UnionCascaded(bioAll.get()) : nullptr);
    for (const WaterBody& b : in.water) {
      if (b.kind != "reservoir") continue;
      Geom zone(OGR_G_Buffer(b.geom.get(), 1000.0, 8));
      zone = Geom(OGR_G_Intersection(zone.get(), extent.get()));
      if (bioU) zone = Geom(OGR_G_Difference(zone.get(), bioU.get()));
      Geom c = cleanPolygonal(std::move(zone), 10.0, 5.0e4);
      if (c) l.add(std::move(c), {stem(b.name, "水库") + "水源涵养红线", "water_conservation"});
    }
    classPass(
        fr, 3, 680, 40, true,
        [&](int k0, int l0, int nk, int nl, std::vector<uint8_t>& cls) {
          std::vector<float> f(static_cast<size_t>(nk) * static_cast<size_t>(nl));
          if (GDALRasterIO(GDALGetRasterBand(in.frag, 1), GF_Read, k0, l0, nk, nl, f.data(), nk, nl, GDT_Float32, 0, 0) !=
              CE_None)
            failGdal("cannot read fragility.tif");
          for (size_t k = 0; k < f.size(); ++k) cls[k] = f[k] >= kSoilRedT ? 1 : 0;
          return true;
        },
        [&](int, Geom g) {
          Geom c = cleanPolygonal(std::move(g), 45.0, 50.0e4);
          if (c && bioU) c = cleanPolygonal(Geom(OGR_G_Difference(c.get(), bioU.get())), 0.0, 50.0e4);
          if (!c) return;
          OGRGeometryH pt = OGR_G_PointOnSurface(c.get());
          if (pt == nullptr) pt = OGR_G_CreateGeometry(wkbPoint);
          const int county = in.line.county(fr.lx(OGR_G_GetX(pt, 0)), fr.lv(OGR_G_GetY(pt, 0)));
          OGR_G_DestroyGeometry(pt);
          l.add(std::move(c), {stem(kCountyName[static_cast<size_t>(county)], "县") + "水土保持红线", "soil_conservation"});
        });
    l.commit();
    counts["redline"] = l.count();
  }
  CPLErrorReset();
  GDALClose(ds);
  ds = nullptr;
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal) failGdal("cannot finish layers.gpkg");
  renameInto(tmp, dst);
  std::printf("layers.gpkg: EPSG:4545;");
  for (const auto& [name, n] : counts) std::printf(" %s %ld", name.c_str(), n);
  std::printf("\n");
}

void writeHazards(const std::vector<Hazard>& hz, const Frame& fr, const fs::path& dir, const SrsHandle& demSrs,
                  const SrsHandle& geo) {
  const fs::path tmpDir = dir / ".tmp-hazards";
  {
    std::error_code ec;
    fs::remove_all(tmpDir, ec);
    fs::create_directories(tmpDir, ec);
    if (ec) fail("cannot create " + tmpDir.string(), ec.message());
  }
  std::vector<double> xs, ys;
  for (const Hazard& h : hz) {
    xs.push_back(fr.E(h.x));
    ys.push_back(fr.N(h.v));
  }
  TransformHandle ct(demSrs, geo, "cannot create transformation EPSG:4545 -> EPSG:4490");
  ct.apply(xs, ys, "cannot transform hazard points");
  GDALDriverH drv = GDALGetDriverByName("ESRI Shapefile");
  if (drv == nullptr) failGdal("ESRI Shapefile driver not available");
  const fs::path shp = tmpDir / "hazard_points.shp";
  GDALDatasetH ds = GDALCreate(drv, shp.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  if (ds == nullptr) failGdal("cannot create " + shp.string());
  {
    LayerOut l(ds, "hazard_points", geo.h, wkbPoint,
               {{"hz_id", OFTString, 8}, {"kind", OFTString, 12}, {"kind_zh", OFTString, 12}, {"radius_m", OFTReal, 8},
                {"people", OFTInteger, 8}, {"households", OFTInteger, 8}},
               false);
    for (size_t i = 0; i < hz.size(); ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "HZ%04d", static_cast<int>(i + 1));
      char lon[32], lat[32];
      std::snprintf(lon, sizeof lon, "%.7f", xs[i]);
      std::snprintf(lat, sizeof lat, "%.7f", ys[i]);
      const Hazard& h = hz[i];
      l.add(pointGeom(std::strtod(lon, nullptr), std::strtod(lat, nullptr)),
            {std::string(id), kHazardKind[static_cast<size_t>(h.kind)], kHazardKindZh[static_cast<size_t>(h.kind)],
             h.radius, h.people, h.households});
    }
  }
  closeChecked(ds, "hazard_points.shp");
  for (const char* ext : {".shp", ".shx", ".dbf", ".prj", ".cpg"}) {
    const fs::path src = tmpDir / (std::string("hazard_points") + ext);
    if (!fs::exists(src)) fail("missing " + src.string(), "the Shapefile driver did not write it");
    renameInto(src, dir / (std::string("hazard_points") + ext));
  }
  std::error_code ec;
  fs::remove_all(tmpDir, ec);
}
