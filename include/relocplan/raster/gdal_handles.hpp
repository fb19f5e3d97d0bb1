#pragma once
// Owning handles for GDAL objects, so that every exit path closes them.

#include <memory>

namespace relocplan::raster {

struct GdalDatasetCloser {
  void operator()(void* dataset) const noexcept;
};
// Owns a GDALDatasetH (GDAL's handle type is void*).
using DatasetPtr = std::unique_ptr<void, GdalDatasetCloser>;

}  // namespace relocplan::raster
