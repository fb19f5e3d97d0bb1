#include "relocplan/vector/crs.hpp"

#include <cpl_conv.h>
#include <ogr_srs_api.h>
#include <proj.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "relocplan/core/error.hpp"

namespace relocplan::vector {

void Crs::Deleter::operator()(void* h) const noexcept {
  if (h) OSRRelease(h);
}
void Transformer::Deleter::operator()(void* h) const noexcept {
  if (h) OCTDestroyCoordinateTransformation(h);
}

namespace {
Crs wrap(OGRSpatialReferenceH h) {
  OSRSetAxisMappingStrategy(h, OAMS_TRADITIONAL_GIS_ORDER);
  return Crs::from_handle(h);
}
}  // namespace

Crs::Crs(const Crs& other) {
  if (other.srs_) *this = from_handle(other.srs_.get());
}

Crs& Crs::operator=(const Crs& other) {
  if (this != &other) {
    if (other.srs_) *this = from_handle(other.srs_.get());
    else srs_.reset();
  }
  return *this;
}

Crs Crs::from_handle(OGRSpatialReferenceH handle) {
  Crs c;
  c.srs_.reset(OSRClone(handle));
  if (!c.srs_) throw core::InternalError("cannot copy a coordinate reference system");
  OSRSetAxisMappingStrategy(c.srs_.get(), OAMS_TRADITIONAL_GIS_ORDER);
  return c;
}

Crs Crs::from_user_input(const std::string& text) {
  OGRSpatialReferenceH h = OSRNewSpatialReference(nullptr);
  CPLErrorReset();
  if (OSRSetFromUserInput(h, text.c_str()) != OGRERR_NONE) {
    OSRRelease(h);
    throw core::ScenarioError("'" + text + "' is not a coordinate reference system GDAL/PROJ know (" +
                              core::last_gdal_error() + ")");
  }
  Crs c = wrap(h);
  OSRRelease(h);
  return c;
}

Crs Crs::from_wkt(const std::string& wkt) {
  OGRSpatialReferenceH h = OSRNewSpatialReference(nullptr);
  char* text = const_cast<char*>(wkt.c_str());
  if (OSRImportFromWkt(h, &text) != OGRERR_NONE) {
    OSRRelease(h);
    throw core::InternalError("cannot parse a CRS definition: " + wkt.substr(0, 80));
  }
  Crs c = wrap(h);
  OSRRelease(h);
  return c;
}

Crs Crs::from_epsg(int code) {
  OGRSpatialReferenceH h = OSRNewSpatialReference(nullptr);
  if (OSRImportFromEPSG(h, code) != OGRERR_NONE) {
    OSRRelease(h);
    throw core::ScenarioError("EPSG:" + std::to_string(code) + " is not in PROJ's database");
  }
  Crs c = wrap(h);
  OSRRelease(h);
  return c;
}

std::string Crs::wkt() const {
  char* out = nullptr;
  const char* opts[] = {"FORMAT=WKT2_2019", nullptr};
  if (OSRExportToWktEx(srs_.get(), &out, opts) != OGRERR_NONE || !out) {
    CPLFree(out);
    throw core::InternalError("cannot export a CRS to WKT");
  }
  std::string s(out);
  CPLFree(out);
  return s;
}

std::string Crs::authority_code() const {
  OGRSpatialReferenceH h = srs_.get();
  const char* target = OSRIsProjected(h) ? "PROJCS" : (OSRIsGeographic(h) ? "GEOGCS" : nullptr);
  const char* name = OSRGetAuthorityName(h, target);
  const char* code = OSRGetAuthorityCode(h, target);
  if (name && code) return std::string(name) + ":" + code;
  // Identify a definition without an authority code (a .prj file, say).
  int count = 0;
  int* confidence = nullptr;
  OGRSpatialReferenceH* matches = OSRFindMatches(h, nullptr, &count, &confidence);
  std::string result;
  if (matches && count > 0 && confidence[0] >= 90) {
    const char* n2 = OSRGetAuthorityName(matches[0], nullptr);
    const char* c2 = OSRGetAuthorityCode(matches[0], nullptr);
    if (n2 && c2) result = std::string(n2) + ":" + c2;
  }
  OSRFreeSRSArray(matches);
  CPLFree(confidence);
  return result;
}

std::string Crs::describe() const {
  const char* name = OSRGetName(srs_.get());
  const std::string code = authority_code();
  const std::string n = name ? name : "unnamed CRS";
  return code.empty() ? n : code + " (" + n + ")";
}

bool Crs::is_geographic() const { return OSRIsGeographic(srs_.get()) != 0; }
bool Crs::is_projected() const { return OSRIsProjected(srs_.get()) != 0; }

bool Crs::same_as(const Crs& other) const {
  const char* opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", "CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS",
                        nullptr};
  return OSRIsSameEx(srs_.get(), other.srs_.get(), opts) != 0;
}

double Crs::linear_unit_m() const { return OSRGetLinearUnits(srs_.get(), nullptr); }

Transformer::Transformer(const Crs& from, const Crs& to) {
  identity_ = from.same_as(to);
  if (identity_) return;
  CPLErrorReset();
  ct_.reset(OCTNewCoordinateTransformation(from.handle(), to.handle()));
  if (!ct_)
    throw core::InputError("no coordinate transformation from " + from.describe() + " to " + to.describe() + ": " +
                           core::last_gdal_error());
}

void Transformer::transform_in_place(std::vector<double>& xs, std::vector<double>& ys, bool allow_failures) const {
  if (identity_ || xs.empty()) return;
  std::vector<int> ok(xs.size(), 0);
  OCTTransformEx(ct_.get(), static_cast<int>(xs.size()), xs.data(), ys.data(), nullptr, ok.data());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (ok[i] && std::isfinite(xs[i]) && std::isfinite(ys[i])) continue;
    if (!allow_failures)
      throw core::InputError("coordinate transformation failed for point " + std::to_string(i + 1));
    xs[i] = ys[i] = std::numeric_limits<double>::quiet_NaN();
  }
}

Crs auto_working_crs(double lon, double lat) {
  if (!std::isfinite(lon) || !std::isfinite(lat) || std::abs(lat) > 90)
    throw core::InputError("cannot choose a working CRS: the study area's centre (" + std::to_string(lon) + ", " +
                           std::to_string(lat) + ") is not a valid longitude/latitude");
  // CGCS2000 3-degree Gauss-Kruger zones with the central meridian in the name
  // (EPSG:4534 = CM 75E ... EPSG:4554 = CM 135E). The zone is the one whose
  // central meridian is nearest; it is used only where PROJ's area of use for
  // that CRS (China, between CM-1.5 and CM+1.5 degrees) contains the point.
  const double cm = 3.0 * std::round(lon / 3.0);
  if (cm >= 75.0 && cm <= 135.0) {
    const int code = 4534 + static_cast<int>(std::lround((cm - 75.0) / 3.0));
    PJ_CONTEXT* ctx = proj_context_create();
    PJ* crs = proj_create_from_database(ctx, "EPSG", std::to_string(code).c_str(), PJ_CATEGORY_CRS, 0, nullptr);
    bool inside = false;
    if (crs) {
      double w = 0, s = 0, e = 0, n = 0;
      if (proj_get_area_of_use(ctx, crs, &w, &s, &e, &n, nullptr))
        inside = lon >= w - 1e-9 && lon <= e + 1e-9 && lat >= s - 1e-9 && lat <= n + 1e-9;
      proj_destroy(crs);
    }
    proj_context_destroy(ctx);
    if (inside) return Crs::from_epsg(code);
  }
  const int zone = std::clamp(static_cast<int>(std::floor((lon + 180.0) / 6.0)) + 1, 1, 60);
  return Crs::from_epsg((lat >= 0 ? 32600 : 32700) + zone);
}

}  // namespace relocplan::vector
