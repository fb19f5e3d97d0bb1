#pragma once
// relocplan-samplegen: what every part of the generator shares: the standard
// and GDAL/OGR headers, the constants (program name, NoData, pi, the EPSG
// codes of the outputs) and the error type with its throwing helpers.
// Private to the generator (src/samplegen/), not part of relocplan's API.

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>
#include <ogr_core.h>
#include <ogr_srs_api.h>

namespace relocplan::samplegen {

namespace fs = std::filesystem;

inline constexpr const char* kProg = "relocplan-samplegen";
inline constexpr double kNoData = -9999.0;
inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kInvSqrt2 = 0.70710678118654752440;
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Coordinate reference systems of the outputs.  EPSG:4545 is "CGCS2000 /
// 3-degree Gauss-Kruger CM 108E", the zone of the area (107.3 E); EPSG:4544 is
// "... CM 105E", the neighbouring zone, for the projected copy of the villages
// (data delivered in another zone, as happens); EPSG:4490 is CGCS2000 lon/lat.
inline constexpr int kDemEpsg = 4545;
inline constexpr int kCopyEpsg = 4544;
inline constexpr int kGeoEpsg = 4490;

// ---------------------------------------------------------------------------
// Errors: thrown by the stages, reported once by main().

struct Failure {
  std::string what;
  std::string detail;
};

[[noreturn]] void fail(const std::string& what, const std::string& detail);

// The last GDAL/OGR/PROJ error message, or "unknown GDAL error".
std::string gdalMessage();

// fail(what, gdalMessage())
[[noreturn]] void failGdal(const std::string& what);

// Installed by main(): shows GDAL warnings on stderr; failures are reported
// by the caller, with context.
void CPL_STDCALL errorHandler(CPLErr cls, CPLErrorNum num, const char* msg);

}  // namespace relocplan::samplegen
