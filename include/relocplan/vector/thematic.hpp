#pragma once
// Thematic vector layers (hazards, reserves, roads, towns ...) read into GEOS
// geometries in the working CRS, with the attribute values of their mapped
// fields.

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <map>
#include <string>
#include <vector>

#include <ogr_api.h>

#include "relocplan/config/scenario.hpp"
#include "relocplan/raster/gdal_handles.hpp"
#include "relocplan/vector/crs.hpp"
#include "relocplan/vector/geos.hpp"

namespace relocplan::vector {

struct Features {
  std::string what;  // "inputs.roads"
  std::filesystem::path path;
  std::string layer_name;
  Crs source_crs;
  std::vector<std::filesystem::path> files;
  std::vector<GeomPtr> geoms;                           // working CRS; invalid polygons repaired
  std::vector<std::map<std::string, std::string>> attrs;  // role -> value as text
  std::size_t repaired = 0;

  std::size_t size() const { return geoms.size(); }
};

Features read_thematic(const config::VectorInput& input, const Crs& working, GEOSContextHandle_t ctx);

// A thematic layer read from its file when it is needed instead of held in
// memory (a province's desertification map: hundreds of thousands of
// polygons used only to burn them strip by strip). Opened and checked like
// read_thematic, with one pass over the layer that counts its features and
// repairs and meets any failure a later read would; then read again, all of
// it or what reaches a box, each feature prepared exactly as read_thematic
// prepares it (read_thematic is this pass keeping every feature). One thread
// at a time: the reads move the layer's cursor.
class ThematicStream {
 public:
  // geometry (working CRS, repaired), the mapped attributes, the feature's FID
  using Visit = std::function<void(GeomPtr geometry, const std::map<std::string, std::string>& attrs, long long fid)>;
  // Called by the first pass with the mapped attributes and the FID of every
  // feature with a geometry: a check of their values that throws InputError,
  // so that a bad value fails the plan, not a stage halfway through.
  using AttributeCheck = std::function<void(const std::map<std::string, std::string>& attrs, long long fid)>;
  ThematicStream(const config::VectorInput& input, const Crs& working, GEOSContextHandle_t ctx,
                 const AttributeCheck& check = {});
  ~ThematicStream();
  ThematicStream(const ThematicStream&) = delete;
  ThematicStream& operator=(const ThematicStream&) = delete;
  // What read_thematic records of the layer, without geometries.
  const Features& info() const { return info_; }
  // Features with a geometry.
  std::size_t size() const { return count_; }
  void read_all(const Visit& visit) const;
  // At least every feature whose geometry reaches the box [xmin, xmax] x
  // [ymin, ymax] of the working CRS (the source's spatial index filters by
  // the box taken to the source CRS, with a margin), in layer order.
  void read_box(double xmin, double ymin, double xmax, double ymax, const Visit& visit) const;

 private:
  void read(const std::array<double, 4>* box, const Visit& visit, bool first_pass) const;
  struct CtDeleter {
    void operator()(void* h) const noexcept;
  };
  GEOSContextHandle_t ctx_;
  Crs working_;
  Features info_;
  raster::DatasetPtr ds_;
  OGRLayerH layer_ = nullptr;
  std::map<std::string, int> index_;
  std::unique_ptr<void, CtDeleter> to_working_, to_source_;
  std::string where_;
  // Counted by the first pass (in the constructor).
  mutable std::size_t count_ = 0, repaired_ = 0;
  mutable std::vector<long long> invalid_fids_;  // sorted after the first pass
  mutable bool fids_known_ = true;
};

}  // namespace relocplan::vector
