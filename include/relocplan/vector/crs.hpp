#pragma once
// Coordinate reference systems and transformations (OGR's wrappers around
// PROJ), and the choice of a working CRS for `crs = "auto"`.
//
// Axis order is always x = easting/longitude, y = northing/latitude
// (OAMS_TRADITIONAL_GIS_ORDER), whatever the authority says.

#include <memory>
#include <string>
#include <vector>

typedef void* OGRSpatialReferenceH;
typedef void* OGRCoordinateTransformationH;

namespace relocplan::vector {

class Crs {
 public:
  Crs() = default;
  Crs(const Crs& other);
  Crs& operator=(const Crs& other);
  Crs(Crs&&) noexcept = default;
  Crs& operator=(Crs&&) noexcept = default;

  // Anything GDAL accepts: "EPSG:4545", WKT, PROJJSON, a PROJ string.
  static Crs from_user_input(const std::string& text);  // throws ScenarioError
  static Crs from_wkt(const std::string& wkt);          // throws InternalError
  static Crs from_epsg(int code);
  static Crs from_handle(OGRSpatialReferenceH handle);  // clones

  std::string wkt() const;       // WKT2_2019
  std::string describe() const;  // "EPSG:4545 (CGCS2000 / 3-degree Gauss-Kruger CM 105E)"
  std::string authority_code() const;  // "EPSG:4545", or "" when there is none
  bool is_geographic() const;
  bool is_projected() const;
  bool same_as(const Crs& other) const;
  // Linear unit of a projected CRS in metres per unit (1 for metre).
  double linear_unit_m() const;
  OGRSpatialReferenceH handle() const { return srs_.get(); }

 private:
  struct Deleter {
    void operator()(void* h) const noexcept;
  };
  std::unique_ptr<void, Deleter> srs_;
};

class Transformer {
 public:
  Transformer(const Crs& from, const Crs& to);
  // Transforms in place. Points that cannot be transformed become NaN when
  // `allow_failures`, otherwise the call throws InputError.
  void transform_in_place(std::vector<double>& xs, std::vector<double>& ys, bool allow_failures) const;
  bool is_identity() const { return identity_; }

 private:
  struct Deleter {
    void operator()(void* h) const noexcept;
  };
  std::unique_ptr<void, Deleter> ct_;
  bool identity_ = false;
};

// The projected CRS for `crs = "auto"`: the CGCS2000 3-degree Gauss-Kruger zone
// (EPSG:4534-4554, central meridians 75E-135E, no zone prefix in the easting)
// whose area of use, as PROJ's database records it, contains the point; outside
// China, the WGS 84 UTM zone that contains it. lon/lat in degrees.
Crs auto_working_crs(double lon, double lat);

}  // namespace relocplan::vector
