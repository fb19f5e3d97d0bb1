#include "relocplan/vector/boundary.hpp"

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>

#include <algorithm>
#include <limits>

#include "relocplan/core/error.hpp"
#include "relocplan/core/files.hpp"
#include "relocplan/raster/gdal_handles.hpp"
#include "relocplan/vector/thematic.hpp"

namespace relocplan::vector {

raster::Extent boundary_extent(const std::filesystem::path& path, const std::optional<std::string>& layer_name,
                               const Crs& target, BoundaryInfo* info) {
  const std::string what = "study_area.boundary";
  core::check_input_file(what, path);
  CPLErrorReset();
  raster::DatasetPtr ds(GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
  if (!ds) throw core::InputError(what + ": cannot open '" + path.string() + "': " + core::last_gdal_error());
  OGRLayerH layer = layer_name ? GDALDatasetGetLayerByName(ds.get(), layer_name->c_str())
                               : (GDALDatasetGetLayerCount(ds.get()) == 1 ? GDALDatasetGetLayer(ds.get(), 0) : nullptr);
  if (!layer)
    throw core::ScenarioError(what + ": name the layer of '" + path.string() + "' with study_area.boundary_layer" +
                              (layer_name ? " ('" + *layer_name + "' does not exist)" : ""));
  OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
  if (!srs) throw core::InputError(what + ": '" + path.string() + "' has no coordinate reference system");
  const Crs src = Crs::from_handle(srs);
  const Transformer tr(src, target);
  raster::Extent e{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::lowest(), std::numeric_limits<double>::lowest()};
  std::size_t n = 0;
  OGR_L_ResetReading(layer);
  for (OGRFeatureH f = OGR_L_GetNextFeature(layer); f; f = OGR_L_GetNextFeature(layer)) {
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (g && !OGR_G_IsEmpty(g)) {
      OGRGeometryH c = OGR_G_Clone(g);
      OGR_G_Segmentize(c, 1000.0 * (src.is_geographic() ? 1e-5 : 1.0));
      // Collect all vertices.
      std::vector<double> xs, ys;
      std::vector<OGRGeometryH> stack{c};
      while (!stack.empty()) {
        OGRGeometryH h = stack.back();
        stack.pop_back();
        const int parts = OGR_G_GetGeometryCount(h);
        if (parts > 0) {
          for (int i = 0; i < parts; ++i) stack.push_back(OGR_G_GetGeometryRef(h, i));
          continue;
        }
        for (int i = 0; i < OGR_G_GetPointCount(h); ++i) {
          xs.push_back(OGR_G_GetX(h, i));
          ys.push_back(OGR_G_GetY(h, i));
        }
      }
      OGR_G_DestroyGeometry(c);
      tr.transform_in_place(xs, ys, false);
      for (std::size_t i = 0; i < xs.size(); ++i) e = e.united({xs[i], ys[i], xs[i], ys[i]});
      ++n;
    }
    OGR_F_Destroy(f);
  }
  if (n == 0) throw core::InputError(what + ": '" + path.string() + "' holds no geometry");
  if (info) {
    info->crs = src;
    info->layer_name = OGR_L_GetName(layer);
    info->features = n;
    char** files = GDALGetFileList(ds.get());
    for (char** p = files; p && *p; ++p) info->files.emplace_back(*p);
    CSLDestroy(files);
  }
  return e;
}

bool BoundarySelection::covers(GEOSContextHandle_t ctx, double x, double y) const {
  if (!prepared) return false;
  GeomPtr pt = wrap(ctx, GEOSGeom_createPointFromXY_r(ctx, x, y));
  if (!pt) throw core::InternalError("GEOS cannot create a point");
  const char r = GEOSPreparedIntersects_r(ctx, prepared.get(), pt.get());
  if (r == 2) throw core::InternalError("GEOS point-in-polygon test failed");
  return r == 1;
}

std::string BoundarySelection::describe() const {
  std::string s = "layer '" + layer_name + "' of '" + path.string() + "'";
  if (field && value) s += " where " + *field + " = \"" + *value + "\"";
  if (group_field && group_value) s += " and " + *group_field + " = \"" + *group_value + "\"";
  return s;
}

BoundarySelection select_boundary(const config::StudyArea& area, const Crs& target, GEOSContextHandle_t ctx) {
  if (!area.boundary_path) throw core::InternalError("select_boundary without study_area.boundary");
  config::VectorInput in;
  in.key = "study_area";
  in.path = *area.boundary_path;
  in.layer = area.boundary_layer;
  if (area.boundary_field) in.fields["boundary_field"] = *area.boundary_field;
  if (area.boundary_group_field) in.fields["boundary_group_field"] = *area.boundary_group_field;
  Features f;
  try {
    f = read_thematic(in, target, ctx);
  } catch (const core::ScenarioError& e) {
    // read_thematic names the field by its role; name the scenario key instead.
    std::string m = e.what();
    const std::pair<std::string, std::string> keys[] = {{"study_area.fields.boundary_field", "study_area.boundary_field"},
                                                         {"study_area.fields.boundary_group_field",
                                                          "study_area.boundary_group_field"},
                                                         {"study_area.layer", "study_area.boundary_layer"},
                                                         {"study_area.path", "study_area.boundary"}};
    for (const auto& [from, to] : keys)
      for (std::size_t p = m.find(from); p != std::string::npos; p = m.find(from, p + to.size()))
        m.replace(p, from.size(), to);
    throw core::ScenarioError(m);
  }
  BoundarySelection sel;
  sel.layer_name = f.layer_name;
  sel.path = f.path.empty() ? *area.boundary_path : f.path;
  sel.files = f.files;
  sel.field = area.boundary_field;
  sel.value = area.boundary_value;
  sel.group_field = area.boundary_group_field;
  sel.group_value = area.boundary_group_value;
  std::vector<GEOSGeometry*> parts;
  std::vector<std::string> values;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (area.boundary_group_field && f.attrs[i].at("boundary_group_field") != *area.boundary_group_value) continue;
    if (area.boundary_field) {
      const std::string& v = f.attrs[i].at("boundary_field");
      if (v != *area.boundary_value) {
        if (values.size() < 30 && std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
        continue;
      }
    }
    const int type = GEOSGeomTypeId_r(ctx, f.geoms[i].get());
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON && type != GEOS_GEOMETRYCOLLECTION) continue;
    parts.push_back(f.geoms[i].release());
  }
  sel.features = parts.size();
  if (parts.empty()) {
    if (area.boundary_field) {
      std::string list;
      for (const auto& v : values) list += (list.empty() ? "\"" : ", \"") + v + "\"";
      throw core::ScenarioError("study_area.boundary_value: no feature of layer '" + sel.layer_name + "' in '" +
                                sel.path.string() + "' has " + *area.boundary_field + " = \"" +
                                *area.boundary_value + "\"" +
                                (area.boundary_group_field
                                     ? " and " + *area.boundary_group_field + " = \"" + *area.boundary_group_value + "\""
                                     : std::string()) +
                                (list.empty() ? "" : " (values there: " + list + ")"));
    }
    throw core::InputError("study_area.boundary: layer '" + sel.layer_name + "' of '" + sel.path.string() +
                           "' holds no polygon");
  }
  GeomPtr collection = wrap(ctx, GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, parts.data(),
                                                             static_cast<unsigned int>(parts.size())));
  if (!collection) {
    for (GEOSGeometry* g : parts) GEOSGeom_destroy_r(ctx, g);
    throw core::InternalError("GEOS cannot collect the boundary polygons");
  }
  sel.geometry = wrap(ctx, GEOSUnaryUnion_r(ctx, collection.get()));
  if (!sel.geometry) throw core::InputError("study_area.boundary: the polygons of " + sel.describe() + " cannot be merged");
  sel.prepared = PreparedPtr(GEOSPrepare_r(ctx, sel.geometry.get()), PreparedDeleter{ctx});
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  if (!GEOSGeom_getXMin_r(ctx, sel.geometry.get(), &x0) || !GEOSGeom_getYMin_r(ctx, sel.geometry.get(), &y0) ||
      !GEOSGeom_getXMax_r(ctx, sel.geometry.get(), &x1) || !GEOSGeom_getYMax_r(ctx, sel.geometry.get(), &y1))
    throw core::InputError("study_area.boundary: " + sel.describe() + " has an empty geometry");
  sel.extent = {x0, y0, x1, y1};
  return sel;
}

}  // namespace relocplan::vector
