#include "relocplan/vector/thematic.hpp"

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "relocplan/core/error.hpp"
#include "relocplan/core/files.hpp"
#include "relocplan/raster/gdal_handles.hpp"

namespace relocplan::vector {

Features read_thematic(const config::VectorInput& input, const Crs& working, GEOSContextHandle_t ctx) {
  Features out;
  out.what = input.key;
  out.path = input.path;
  const std::string file = input.path.string();
  core::check_input_file(input.key + ".path", input.path);
  std::vector<std::string> options;
  if (input.encoding) options.push_back("ENCODING=" + *input.encoding);
  std::vector<const char*> opts;
  for (const auto& o : options) opts.push_back(o.c_str());
  opts.push_back(nullptr);
  CPLErrorReset();
  raster::DatasetPtr ds(GDALOpenEx(input.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, opts.data(), nullptr));
  if (!ds)
    throw core::InputError(input.key + ": cannot open '" + file + "' as a vector data set: " +
                           core::open_failure_reason("vector"));
  const int nlayers = GDALDatasetGetLayerCount(ds.get());
  std::string names;
  for (int i = 0; i < nlayers; ++i) names += (i ? ", " : "") + std::string(OGR_L_GetName(GDALDatasetGetLayer(ds.get(), i)));
  OGRLayerH layer = nullptr;
  if (input.layer) {
    layer = GDALDatasetGetLayerByName(ds.get(), input.layer->c_str());
    if (!layer)
      throw core::ScenarioError(input.key + ".layer: '" + file + "' has no layer '" + *input.layer + "' (layers: " +
                                names + ")");
  } else if (nlayers == 1) {
    layer = GDALDatasetGetLayer(ds.get(), 0);
  } else {
    throw core::ScenarioError(input.key + ": '" + file + "' has " + std::to_string(nlayers) + " layers; name one with " +
                              input.key + ".layer (layers: " + names + ")");
  }
  out.layer_name = OGR_L_GetName(layer);
  const std::string where = "layer '" + out.layer_name + "' of '" + file + "'";
  OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
  if (input.crs) out.source_crs = Crs::from_user_input(*input.crs);
  else if (srs) out.source_crs = Crs::from_handle(srs);
  else
    throw core::ScenarioError(input.key + ": " + where + " has no coordinate reference system; set " + input.key +
                              ".crs");

  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  std::map<std::string, int> index;
  for (const auto& [role, field] : input.fields) {
    const int idx = OGR_FD_GetFieldIndex(defn, field.c_str());
    if (idx < 0) {
      std::string fields;
      for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i)
        fields += (i ? ", " : "") + std::string(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
      throw core::ScenarioError(input.key + ".fields." + role + ": field '" + field + "' not found in " + where +
                                " (fields: " + fields + ")");
    }
    index[role] = idx;
  }

  struct CtDeleter {
    void operator()(void* h) const noexcept {
      if (h) OCTDestroyCoordinateTransformation(h);
    }
  };
  std::unique_ptr<void, CtDeleter> ct;
  if (!out.source_crs.same_as(working)) {
    ct.reset(OCTNewCoordinateTransformation(out.source_crs.handle(), working.handle()));
    if (!ct)
      throw core::InputError(input.key + ": no transformation from " + out.source_crs.describe() + " to " +
                             working.describe());
  }
  GEOSWKBReader* reader = GEOSWKBReader_create_r(ctx);
  std::vector<unsigned char> wkb;
  OGR_L_ResetReading(layer);
  std::string failure;
  for (OGRFeatureH f = OGR_L_GetNextFeature(layer); f; f = OGR_L_GetNextFeature(layer)) {
    const long long fid = OGR_F_GetFID(f);
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (g && !OGR_G_IsEmpty(g)) {
      OGRGeometryH c = OGR_G_Clone(g);
      if (OGR_G_GetGeometryType(c) != wkbFlatten(OGR_G_GetGeometryType(c))) OGR_G_FlattenTo2D(c);
      OGRGeometryH linear = OGR_G_GetLinearGeometry(c, 0, nullptr);
      OGR_G_DestroyGeometry(c);
      c = linear;
      if (ct && OGR_G_Transform(c, ct.get()) != OGRERR_NONE) {
        OGR_G_DestroyGeometry(c);
        OGR_F_Destroy(f);
        failure = input.key + ": feature " + std::to_string(fid) + " of " + where + " cannot be transformed to " +
                  working.describe();
        break;
      }
      wkb.resize(static_cast<std::size_t>(OGR_G_WkbSize(c)));
      OGR_G_ExportToIsoWkb(c, wkbNDR, wkb.data());
      OGR_G_DestroyGeometry(c);
      GEOSGeometry* gg = GEOSWKBReader_read_r(ctx, reader, wkb.data(), wkb.size());
      if (!gg) {
        OGR_F_Destroy(f);
        failure = input.key + ": feature " + std::to_string(fid) + " of " + where + " has a geometry GEOS cannot read";
        break;
      }
      GeomPtr geom = wrap(ctx, gg);
      if (GEOSisValid_r(ctx, geom.get()) != 1) {
        GeomPtr fixed = wrap(ctx, GEOSMakeValid_r(ctx, geom.get()));
        if (!fixed) {
          OGR_F_Destroy(f);
          failure = input.key + ": feature " + std::to_string(fid) + " of " + where + " has an invalid geometry";
          break;
        }
        geom = std::move(fixed);
        ++out.repaired;
      }
      std::map<std::string, std::string> attrs;
      for (const auto& [role, idx] : index)
        attrs[role] = OGR_F_IsFieldSetAndNotNull(f, idx) ? OGR_F_GetFieldAsString(f, idx) : "";
      out.geoms.push_back(std::move(geom));
      out.attrs.push_back(std::move(attrs));
    }
    OGR_F_Destroy(f);
  }
  GEOSWKBReader_destroy_r(ctx, reader);
  if (!failure.empty()) throw core::InputError(failure);
  char** files = GDALGetFileList(ds.get());
  for (char** p = files; p && *p; ++p) out.files.emplace_back(*p);
  CSLDestroy(files);
  return out;
}

}  // namespace relocplan::vector
