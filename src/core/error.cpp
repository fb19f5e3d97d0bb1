#include "relocplan/core/error.hpp"

#include <cpl_error.h>

namespace relocplan::core {

std::string last_gdal_error() {
  const char* msg = CPLGetLastErrorMsg();
  return (msg && *msg) ? std::string(msg) : std::string();
}

}  // namespace relocplan::core
