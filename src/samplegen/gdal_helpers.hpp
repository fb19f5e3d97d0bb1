#pragma once
// relocplan-samplegen: GDAL/OGR/PROJ handles owned by RAII wrappers (a
// spatial reference from an EPSG code in GIS axis order, a coordinate
// transformation) and the file operations every writer uses (a temporary
// file removed, then renamed into place).

#include "common.hpp"

namespace relocplan::samplegen {

struct SrsHandle {
  OGRSpatialReferenceH h = nullptr;
  explicit SrsHandle(int epsg) {
    h = OSRNewSpatialReference(nullptr);
    if (h == nullptr) failGdal("cannot create spatial reference");
    if (OSRImportFromEPSG(h, epsg) != OGRERR_NONE) failGdal("cannot import EPSG:" + std::to_string(epsg));
    OSRSetAxisMappingStrategy(h, OAMS_TRADITIONAL_GIS_ORDER);
  }
  ~SrsHandle() {
    if (h != nullptr) OSRRelease(h);
  }
  SrsHandle(const SrsHandle&) = delete;
  SrsHandle& operator=(const SrsHandle&) = delete;
};

struct TransformHandle {
  OGRCoordinateTransformationH h = nullptr;
  TransformHandle(const SrsHandle& src, const SrsHandle& dst, const std::string& what) {
    h = OCTNewCoordinateTransformation(src.h, dst.h);
    if (h == nullptr) failGdal(what);
  }
  ~TransformHandle() {
    if (h != nullptr) OCTDestroyCoordinateTransformation(h);
  }
  TransformHandle(const TransformHandle&) = delete;
  TransformHandle& operator=(const TransformHandle&) = delete;
  // Transforms the points in place; fails (with `what`) if any point fails.
  void apply(std::vector<double>& xs, std::vector<double>& ys, const std::string& what) const;
};

void removeIfExists(const fs::path& p);
void renameInto(const fs::path& tmp, const fs::path& dst);

}  // namespace relocplan::samplegen
