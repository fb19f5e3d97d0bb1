#include "relocplan/raster/gdal_handles.hpp"

#include <gdal.h>

namespace relocplan::raster {

void GdalDatasetCloser::operator()(void* dataset) const noexcept {
  if (dataset) GDALClose(dataset);
}

}  // namespace relocplan::raster
