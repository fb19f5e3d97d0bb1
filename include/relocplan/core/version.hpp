#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace relocplan::core {

std::string_view relocplan_version();

struct LibraryVersion {
  std::string name;
  std::string version;
};

// relocplan, GDAL, PROJ, GEOS, SQLite, as linked at run time.
std::vector<LibraryVersion> library_versions();

}  // namespace relocplan::core
