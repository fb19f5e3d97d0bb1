#include "relocplan/vector/boundary.hpp"

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>

#include <limits>

#include "relocplan/core/error.hpp"
#include "relocplan/raster/gdal_handles.hpp"

namespace relocplan::vector {

raster::Extent boundary_extent(const std::filesystem::path& path, const std::optional<std::string>& layer_name,
                               const Crs& target, BoundaryInfo* info) {
  const std::string what = "study_area.boundary";
  if (!std::filesystem::exists(path))
    throw core::ScenarioError(what + ": file '" + path.string() + "' does not exist");
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

}  // namespace relocplan::vector
