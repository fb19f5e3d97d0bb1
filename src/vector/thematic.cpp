#include "relocplan/vector/thematic.hpp"

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <array>
#include <memory>

#include "relocplan/core/error.hpp"
#include "relocplan/core/files.hpp"
#include "relocplan/raster/gdal_handles.hpp"

namespace relocplan::vector {

ThematicStream::ThematicStream(const config::VectorInput& input, const Crs& working, GEOSContextHandle_t ctx,
                               const AttributeCheck& check)
    : ctx_(ctx), working_(working) {
  Features& out = info_;
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
  ds_.reset(GDALOpenEx(input.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, opts.data(), nullptr));
  if (!ds_)
    throw core::InputError(input.key + ": cannot open '" + file + "' as a vector data set: " +
                           core::open_failure_reason("vector"));
  const int nlayers = GDALDatasetGetLayerCount(ds_.get());
  std::string names;
  for (int i = 0; i < nlayers; ++i) names += (i ? ", " : "") + std::string(OGR_L_GetName(GDALDatasetGetLayer(ds_.get(), i)));
  OGRLayerH& layer = layer_;
  if (input.layer) {
    layer = GDALDatasetGetLayerByName(ds_.get(), input.layer->c_str());
    if (!layer)
      throw core::ScenarioError(input.key + ".layer: '" + file + "' has no layer '" + *input.layer + "' (layers: " +
                                names + ")");
  } else if (nlayers == 1) {
    layer = GDALDatasetGetLayer(ds_.get(), 0);
  } else {
    throw core::ScenarioError(input.key + ": '" + file + "' has " + std::to_string(nlayers) + " layers; name one with " +
                              input.key + ".layer (layers: " + names + ")");
  }
  out.layer_name = OGR_L_GetName(layer);
  where_ = "layer '" + out.layer_name + "' of '" + file + "'";
  OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
  if (input.crs) out.source_crs = Crs::from_user_input(*input.crs);
  else if (srs) out.source_crs = Crs::from_handle(srs);
  else
    throw core::ScenarioError(input.key + ": " + where_ + " has no coordinate reference system; set " + input.key +
                              ".crs");

  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  for (const auto& [role, field] : input.fields) {
    const int idx = OGR_FD_GetFieldIndex(defn, field.c_str());
    if (idx < 0) {
      std::string fields;
      for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i)
        fields += (i ? ", " : "") + std::string(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
      throw core::ScenarioError(input.key + ".fields." + role + ": field '" + field + "' not found in " + where_ +
                                " (fields: " + fields + ")");
    }
    index_[role] = idx;
  }

  if (!out.source_crs.same_as(working)) {
    to_working_.reset(OCTNewCoordinateTransformation(out.source_crs.handle(), working.handle()));
    if (!to_working_)
      throw core::InputError(input.key + ": no transformation from " + out.source_crs.describe() + " to " +
                             working.describe());
    to_source_.reset(OCTNewCoordinateTransformation(working.handle(), out.source_crs.handle()));
  }
  char** files = GDALGetFileList(ds_.get());
  for (char** p = files; p && *p; ++p) out.files.emplace_back(*p);
  CSLDestroy(files);
  // One pass over the layer: the count of features with a geometry, the
  // repairs, and every failure a later read would meet.
  read(nullptr,
       [&check](GeomPtr, const std::map<std::string, std::string>& attrs, long long fid) {
         if (check) check(attrs, fid);
       },
       true);
  info_.repaired = repaired_;
  std::sort(invalid_fids_.begin(), invalid_fids_.end());
}

ThematicStream::~ThematicStream() = default;

void ThematicStream::CtDeleter::operator()(void* h) const noexcept {
  if (h) OCTDestroyCoordinateTransformation(h);
}

void ThematicStream::read_all(const Visit& visit) const { read(nullptr, visit, false); }

void ThematicStream::read_box(double xmin, double ymin, double xmax, double ymax, const Visit& visit) const {
  std::array<double, 4> box{xmin, ymin, xmax, ymax};
  if (to_source_) {
    double sx0 = 0, sy0 = 0, sx1 = 0, sy1 = 0;
    if (!OCTTransformBounds(to_source_.get(), xmin, ymin, xmax, ymax, &sx0, &sy0, &sx1, &sy1, 21)) {
      read(nullptr, visit, false);  // a box the source CRS cannot take: every feature, filtered by the burner
      return;
    }
    // A margin for the curvature between the densified points.
    const double mx = 0.01 * (sx1 - sx0), my = 0.01 * (sy1 - sy0);
    box = {sx0 - mx, sy0 - my, sx1 + mx, sy1 + my};
  }
  read(&box, visit, false);
}

void ThematicStream::read(const std::array<double, 4>* box, const Visit& visit, bool first_pass) const {
  OGRLayerH layer = layer_;
  if (box) OGR_L_SetSpatialFilterRect(layer, (*box)[0], (*box)[1], (*box)[2], (*box)[3]);
  else OGR_L_SetSpatialFilter(layer, nullptr);
  struct ReaderDeleter {
    GEOSContextHandle_t ctx;
    void operator()(GEOSWKBReader* r) const noexcept { GEOSWKBReader_destroy_r(ctx, r); }
  };
  std::unique_ptr<GEOSWKBReader, ReaderDeleter> reader(GEOSWKBReader_create_r(ctx_), ReaderDeleter{ctx_});
  struct FeatureDeleter {
    void operator()(void* f) const noexcept { OGR_F_Destroy(static_cast<OGRFeatureH>(f)); }
  };
  struct GeometryDeleter {
    void operator()(void* g) const noexcept { OGR_G_DestroyGeometry(static_cast<OGRGeometryH>(g)); }
  };
  std::vector<unsigned char> wkb;
  OGR_L_ResetReading(layer);
  const std::string& key = info_.what;
  for (;;) {
    std::unique_ptr<void, FeatureDeleter> feature(OGR_L_GetNextFeature(layer));
    if (!feature) break;
    const auto f = static_cast<OGRFeatureH>(feature.get());
    const long long fid = OGR_F_GetFID(f);
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (!g || OGR_G_IsEmpty(g)) continue;
    std::unique_ptr<void, GeometryDeleter> c(OGR_G_Clone(g));
    auto ch = static_cast<OGRGeometryH>(c.get());
    if (OGR_G_GetGeometryType(ch) != wkbFlatten(OGR_G_GetGeometryType(ch))) OGR_G_FlattenTo2D(ch);
    c.reset(OGR_G_GetLinearGeometry(ch, 0, nullptr));
    ch = static_cast<OGRGeometryH>(c.get());
    if (to_working_ && OGR_G_Transform(ch, to_working_.get()) != OGRERR_NONE)
      throw core::InputError(key + ": feature " + std::to_string(fid) + " of " + where_ + " cannot be transformed to " +
                             working_.describe());
    wkb.resize(static_cast<std::size_t>(OGR_G_WkbSize(ch)));
    OGR_G_ExportToIsoWkb(ch, wkbNDR, wkb.data());
    c.reset();
    GEOSGeometry* gg = GEOSWKBReader_read_r(ctx_, reader.get(), wkb.data(), wkb.size());
    if (!gg)
      throw core::InputError(key + ": feature " + std::to_string(fid) + " of " + where_ + " has a geometry GEOS cannot read");
    GeomPtr geom = wrap(ctx_, gg);
    // The first pass checks every geometry and notes the invalid ones; later
    // passes repair just those (the same geometry each time, without testing
    // validity again).
    if (first_pass && fid == OGRNullFID) fids_known_ = false;  // a driver without feature ids: check each time
    const bool invalid = first_pass || !fids_known_
                             ? GEOSisValid_r(ctx_, geom.get()) != 1
                             : std::binary_search(invalid_fids_.begin(), invalid_fids_.end(), fid);
    if (invalid) {
      GeomPtr fixed = wrap(ctx_, GEOSMakeValid_r(ctx_, geom.get()));
      if (!fixed)
        throw core::InputError(key + ": feature " + std::to_string(fid) + " of " + where_ + " has an invalid geometry");
      geom = std::move(fixed);
      if (first_pass) {
        ++repaired_;
        invalid_fids_.push_back(fid);
      }
    }
    if (first_pass) ++count_;
    std::map<std::string, std::string> attrs;
    for (const auto& [role, idx] : index_)
      attrs[role] = OGR_F_IsFieldSetAndNotNull(f, idx) ? OGR_F_GetFieldAsString(f, idx) : "";
    visit(std::move(geom), attrs, fid);
  }
  if (box) OGR_L_SetSpatialFilter(layer, nullptr);
}

Features read_thematic(const config::VectorInput& input, const Crs& working, GEOSContextHandle_t ctx) {
  const ThematicStream stream(input, working, ctx);
  const Features& info = stream.info();
  Features out;
  out.what = info.what;
  out.path = info.path;
  out.layer_name = info.layer_name;
  out.source_crs = info.source_crs;
  out.files = info.files;
  out.repaired = info.repaired;
  out.geoms.reserve(stream.size());
  out.attrs.reserve(stream.size());
  stream.read_all([&](GeomPtr g, const std::map<std::string, std::string>& attrs, long long) {
    out.geoms.push_back(std::move(g));
    out.attrs.push_back(attrs);
  });
  return out;
}

}  // namespace relocplan::vector
