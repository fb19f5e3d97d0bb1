#include "relocplan/core/version.hpp"

#include <gdal.h>
#include <geos_c.h>
#include <proj.h>
#include <sqlite3.h>

namespace relocplan::core {

std::vector<LibraryVersion> library_versions() {
  return {
      {"relocplan", std::string(relocplan_version())},
      {"GDAL", GDALVersionInfo("RELEASE_NAME")},
      {"PROJ", proj_info().version},
      {"GEOS", GEOSversion()},
      {"SQLite", sqlite3_libversion()},
  };
}

}  // namespace relocplan::core
