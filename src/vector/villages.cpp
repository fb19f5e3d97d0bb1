#include "relocplan/vector/villages.hpp"

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "relocplan/core/error.hpp"
#include "relocplan/core/files.hpp"
#include "relocplan/raster/gdal_handles.hpp"

namespace relocplan::vector {

namespace {

const char* kWhat = "inputs.villages";

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

struct FeatureDeleter {
  void operator()(void* f) const noexcept {
    if (f) OGR_F_Destroy(f);
  }
};
using FeaturePtr = std::unique_ptr<void, FeatureDeleter>;

struct GeometryDeleter {
  void operator()(void* g) const noexcept {
    if (g) OGR_G_DestroyGeometry(static_cast<OGRGeometryH>(g));
  }
};
using GeometryPtr = std::unique_ptr<void, GeometryDeleter>;

raster::DatasetPtr open_vector(const std::filesystem::path& path, const std::vector<std::string>& options) {
  std::vector<const char*> opts;
  for (const auto& o : options) opts.push_back(o.c_str());
  opts.push_back(nullptr);
  CPLErrorReset();
  return raster::DatasetPtr(
      GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, opts.data(), nullptr));
}

// More people or households than this in one record is not a village: a
// typing error, a county total, or a value in the wrong unit.
constexpr std::int64_t kMaxVillageCount = 1000000;

}  // namespace

VillageLayer read_villages(const config::VillageInput& input) {
  VillageLayer out;
  out.path = input.path;
  const std::string file = input.path.string();
  core::check_input_file(std::string(kWhat) + ".path", input.path);

  std::vector<std::string> options;
  if (input.x_field) {
    // A coordinate column that appears twice is ambiguous, and GDAL's CSV
    // driver reads such a file wrongly (or crashes): reject it first.
    if (raster::DatasetPtr plain = open_vector(input.path, {});
        plain && GDALDatasetGetLayerCount(plain.get()) == 1 &&
        std::string(GDALGetDriverShortName(GDALGetDatasetDriver(plain.get()))) == "CSV") {
      OGRFeatureDefnH d = OGR_L_GetLayerDefn(GDALDatasetGetLayer(plain.get(), 0));
      for (const std::string& column : {*input.x_field, *input.y_field}) {
        int count = 0;
        for (int i = 0; i < OGR_FD_GetFieldCount(d); ++i)
          if (EQUAL(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i)), column.c_str())) ++count;
        if (count > 1)
          throw core::InputError(std::string(kWhat) + ": '" + file + "' has " + std::to_string(count) +
                                 " columns named '" + column + "' (letter case aside); the coordinate column must "
                                 "appear once");
      }
    }
    options.push_back("X_POSSIBLE_NAMES=" + *input.x_field);
    options.push_back("Y_POSSIBLE_NAMES=" + *input.y_field);
    options.push_back("KEEP_GEOM_COLUMNS=NO");
  }
  raster::DatasetPtr ds = open_vector(input.path, options);
  if (!ds)
    throw core::InputError(std::string(kWhat) + ": cannot open '" + file + "' as a vector data set: " +
                           core::open_failure_reason("vector"));
  out.driver = GDALGetDriverShortName(GDALGetDatasetDriver(ds.get()));
  if (input.x_field && out.driver != "CSV")
    throw core::ScenarioError(std::string(kWhat) + ".x_field: coordinate columns apply to CSV files; '" + file +
                              "' is read by the " + out.driver + " driver");
  if (input.encoding) {
    if (out.driver != "ESRI Shapefile")
      throw core::ScenarioError(std::string(kWhat) + ".encoding: applies to Shapefiles; '" + file +
                                "' is read by the " + out.driver + " driver");
    options.push_back("ENCODING=" + *input.encoding);
    ds = open_vector(input.path, options);
    if (!ds)
      throw core::InputError(std::string(kWhat) + ": cannot open '" + file + "' with encoding " + *input.encoding +
                             ": " + core::last_gdal_error());
  }

  // The layer.
  OGRLayerH layer = nullptr;
  const int nlayers = GDALDatasetGetLayerCount(ds.get());
  auto layer_list = [&] {
    std::string names;
    for (int i = 0; i < nlayers; ++i)
      names += (i ? ", " : "") + std::string(OGR_L_GetName(GDALDatasetGetLayer(ds.get(), i)));
    return names;
  };
  if (input.layer) {
    layer = GDALDatasetGetLayerByName(ds.get(), input.layer->c_str());
    if (!layer)
      throw core::ScenarioError(std::string(kWhat) + ".layer: '" + file + "' has no layer '" + *input.layer +
                                "' (layers: " + layer_list() + ")");
  } else if (nlayers == 1) {
    layer = GDALDatasetGetLayer(ds.get(), 0);
  } else {
    throw core::ScenarioError(std::string(kWhat) + ": '" + file + "' has " + std::to_string(nlayers) +
                              " layers; name one with inputs.villages.layer (layers: " + layer_list() + ")");
  }
  out.layer_name = OGR_L_GetName(layer);
  const std::string where = "layer '" + out.layer_name + "' of '" + file + "'";

  // CRS.
  OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
  if (input.crs) {
    Crs assigned = Crs::from_user_input(*input.crs);
    if (srs && !Crs::from_handle(srs).same_as(assigned))
      out.warnings.push_back(std::string(kWhat) + ": " + where + " declares " + Crs::from_handle(srs).describe() +
                             " but the scenario sets crs = \"" + *input.crs + "\"; the scenario's CRS is used");
    out.source_crs = assigned;
  } else if (srs) {
    out.source_crs = Crs::from_handle(srs);
  } else {
    throw core::ScenarioError(std::string(kWhat) + ": " + where +
                              " has no coordinate reference system; set inputs.villages.crs (e.g. \"EPSG:4490\")");
  }
  if (OGR_L_GetGeomType(layer) == wkbNone)
    throw core::ScenarioError(std::string(kWhat) + ": " + where +
                              " has no geometry; for a CSV set inputs.villages.x_field and y_field");

  // Field mapping.
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  const int nfields = OGR_FD_GetFieldCount(defn);
  auto field_list = [&] {
    std::string names;
    for (int i = 0; i < nfields; ++i) names += (i ? ", " : "") + std::string(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    return names;
  };
  std::set<int> mapped;
  auto index_of = [&](const std::optional<std::string>& name, const char* role) -> int {
    if (!name) return -1;
    const int idx = OGR_FD_GetFieldIndex(defn, name->c_str());
    if (idx < 0)
      throw core::ScenarioError(std::string(kWhat) + ".fields." + role + ": field '" + *name + "' not found in " +
                                where + " (fields: " + field_list() + ")");
    mapped.insert(idx);
    return idx;
  };
  const int f_id = index_of(input.fields.id, "id");
  const int f_name = index_of(input.fields.name, "name");
  const int f_county = index_of(input.fields.county, "county");
  const int f_township = index_of(input.fields.township, "township");
  const int f_pop = index_of(input.fields.population, "population");
  const int f_hh = index_of(input.fields.households, "households");
  const int f_poor = index_of(input.fields.poor_households, "poor_households");
  std::vector<int> extra_idx;
  for (int i = 0; i < nfields; ++i) {
    if (mapped.count(i)) continue;
    OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
    AttributeField af;
    af.name = OGR_Fld_GetNameRef(fd);
    const OGRFieldType t = OGR_Fld_GetType(fd);
    af.type = (t == OFTInteger || t == OFTInteger64) ? AttributeType::integer
              : (t == OFTReal)                        ? AttributeType::real
                                                      : AttributeType::text;
    out.extra_fields.push_back(af);
    extra_idx.push_back(i);
  }

  // Text must be UTF-8: a CSV saved as GBK (as spreadsheets in China often
  // do) would otherwise reach the output as unreadable names.
  auto check_utf8 = [&](OGRFeatureH f, int idx, const char* text) {
    if (CPLIsUTF8(text, -1)) return;
    std::string hint = "save the file as UTF-8";
    if (out.driver == "ESRI Shapefile") hint += ", or give its encoding with inputs.villages.encoding (e.g. \"GBK\")";
    throw core::InputError(std::string(kWhat) + ": field '" + OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, idx)) +
                           "' of feature " + std::to_string(OGR_F_GetFID(f)) + " in " + where +
                           " is not valid UTF-8 text (the file is probably in GBK or another legacy encoding); " +
                           hint);
  };
  auto text_of = [&](OGRFeatureH f, int idx) -> std::optional<std::string> {
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx)) return std::nullopt;
    const char* raw = OGR_F_GetFieldAsString(f, idx);
    check_utf8(f, idx, raw);
    std::string s = trim(raw);
    if (s.empty()) return std::nullopt;
    return s;
  };
  auto count_of = [&](OGRFeatureH f, int idx, const char* role, long long fid) -> std::optional<std::int64_t> {
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx)) return std::nullopt;
    OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, idx);
    const OGRFieldType t = OGR_Fld_GetType(fd);
    std::int64_t v = 0;
    const std::string raw = trim(OGR_F_GetFieldAsString(f, idx));
    auto bad = [&](const std::string& why) {
      return core::InputError(std::string(kWhat) + ": field '" + OGR_Fld_GetNameRef(fd) + "' (" + role +
                              ") of feature " + std::to_string(fid) + " in " + where + " is '" + raw + "': " + why);
    };
    if (t == OFTInteger || t == OFTInteger64) {
      v = OGR_F_GetFieldAsInteger64(f, idx);
    } else if (t == OFTReal) {
      const double d = OGR_F_GetFieldAsDouble(f, idx);
      if (!std::isfinite(d) || d != std::floor(d)) throw bad("not a whole number");
      // Out-of-range values are reported below; only in-range ones are converted.
      v = d < 0 ? -1 : d > kMaxVillageCount ? kMaxVillageCount + 1 : static_cast<std::int64_t>(d);
    } else {
      if (raw.empty()) return std::nullopt;
      double d = 0;
      auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), d);
      if (ec != std::errc() || p != raw.data() + raw.size()) throw bad("not a number");
      if (!std::isfinite(d) || d != std::floor(d)) throw bad("not a whole number");
      // Out-of-range values are reported below; only in-range ones are converted.
      v = d < 0 ? -1 : d > kMaxVillageCount ? kMaxVillageCount + 1 : static_cast<std::int64_t>(d);
    }
    if (v < 0) throw bad("must not be negative");
    if (v > kMaxVillageCount)
      throw bad("more than " + std::to_string(kMaxVillageCount) + ", not the count of one village");
    return v;
  };

  std::map<std::string, long long> seen_ids;
  std::vector<long long> no_geometry, polygons;
  OGR_L_ResetReading(layer);
  for (FeaturePtr fp(OGR_L_GetNextFeature(layer)); fp; fp.reset(OGR_L_GetNextFeature(layer))) {
    OGRFeatureH f = fp.get();
    Village v;
    v.source_fid = OGR_F_GetFID(f);
    auto id = text_of(f, f_id);
    if (!id)
      throw core::InputError(std::string(kWhat) + ": feature " + std::to_string(v.source_fid) + " in " + where +
                             " has an empty id (field '" + input.fields.id + "')");
    if (auto [it, fresh] = seen_ids.emplace(*id, v.source_fid); !fresh)
      throw core::InputError(std::string(kWhat) + ": id '" + *id + "' (field '" + input.fields.id +
                             "') appears twice in " + where + ": features " + std::to_string(it->second) + " and " +
                             std::to_string(v.source_fid));
    v.id = *id;
    v.name = text_of(f, f_name);
    v.county = text_of(f, f_county);
    v.township = text_of(f, f_township);
    v.population = count_of(f, f_pop, "population", v.source_fid);
    v.households = count_of(f, f_hh, "households", v.source_fid);
    v.poor_households = count_of(f, f_poor, "poor_households", v.source_fid);
    if (v.households && v.poor_households && *v.poor_households > *v.households)
      out.warnings.push_back(std::string(kWhat) + ": village '" + v.id + "' has more registered poor households (" +
                             std::to_string(*v.poor_households) + ") than households (" +
                             std::to_string(*v.households) + ")");
    if (v.households && v.population && *v.population < *v.households)
      out.warnings.push_back(std::string(kWhat) + ": village '" + v.id + "' has fewer people (" +
                             std::to_string(*v.population) + ") than households (" + std::to_string(*v.households) +
                             ")");

    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (!g || OGR_G_IsEmpty(g)) {
      no_geometry.push_back(v.source_fid);
      continue;
    }
    const OGRwkbGeometryType gt = wkbFlatten(OGR_G_GetGeometryType(g));
    // A village boundary polygon stands for its village at a point inside it
    // (GEOS PointOnSurface: inside even for a crescent-shaped village).
    GeometryPtr inside;
    if (gt == wkbMultiPoint && OGR_G_GetGeometryCount(g) == 1) {
      g = OGR_G_GetGeometryRef(g, 0);
    } else if (gt == wkbPolygon || gt == wkbMultiPolygon) {
      inside.reset(OGR_G_PointOnSurface(g));
      if (!inside || OGR_G_IsEmpty(inside.get()))
        throw core::InputError(std::string(kWhat) + ": feature " + std::to_string(v.source_fid) + " in " + where +
                               " is a polygon without a point inside it (degenerate or invalid)");
      g = inside.get();
      polygons.push_back(v.source_fid);
    } else if (gt != wkbPoint) {
      throw core::InputError(std::string(kWhat) + ": feature " + std::to_string(v.source_fid) + " in " + where +
                             " is a " + OGR_G_GetGeometryName(g) +
                             "; villages must be points (or village polygons, placed at a point inside each)");
    }
    v.src_x = OGR_G_GetX(g, 0);
    v.src_y = OGR_G_GetY(g, 0);
    if (!std::isfinite(v.src_x) || !std::isfinite(v.src_y))
      throw core::InputError(std::string(kWhat) + ": feature " + std::to_string(v.source_fid) + " in " + where +
                             " has non-finite coordinates");
    for (int idx : extra_idx) {
      AttributeValue val;
      if (OGR_F_IsFieldSetAndNotNull(f, idx)) {
        const OGRFieldType t = OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, idx));
        if (t == OFTInteger || t == OFTInteger64) val = static_cast<std::int64_t>(OGR_F_GetFieldAsInteger64(f, idx));
        else if (t == OFTReal) val = OGR_F_GetFieldAsDouble(f, idx);
        else {
          const char* text = OGR_F_GetFieldAsString(f, idx);
          check_utf8(f, idx, text);
          val = std::string(text);
        }
      }
      v.extra.push_back(std::move(val));
    }
    out.villages.push_back(std::move(v));
  }
  if (CPLGetLastErrorType() == CE_Failure)
    throw core::InputError(std::string(kWhat) + ": reading " + where + " failed: " + core::last_gdal_error());
  if (!no_geometry.empty()) {
    std::string list;
    for (std::size_t i = 0; i < no_geometry.size() && i < 10; ++i) list += (i ? ", " : "") + std::to_string(no_geometry[i]);
    if (no_geometry.size() > 10) list += ", ...";
    throw core::InputError(std::string(kWhat) + ": " + std::to_string(no_geometry.size()) + " feature(s) in " + where +
                           " have no location (features " + list + "); give them coordinates or remove them");
  }
  if (out.villages.empty()) throw core::InputError(std::string(kWhat) + ": " + where + " holds no villages");
  if (!polygons.empty())
    out.warnings.push_back(std::string(kWhat) + ": " + std::to_string(polygons.size()) + " of " +
                           std::to_string(out.villages.size()) + " village(s) in " + where +
                           " are polygons; each is placed at a point inside its polygon (features " +
                           std::to_string(polygons.front()) + (polygons.size() > 1 ? ", ..." : "") + ")");

  char** files = GDALGetFileList(ds.get());
  for (char** p = files; p && *p; ++p) out.files.emplace_back(*p);
  CSLDestroy(files);
  return out;
}

void project_villages(VillageLayer& layer, const Crs& working) {
  std::vector<double> xs, ys;
  for (const auto& v : layer.villages) {
    xs.push_back(v.src_x);
    ys.push_back(v.src_y);
  }
  std::vector<double> lon = xs, lat = ys;
  Transformer(layer.source_crs, working).transform_in_place(xs, ys, true);
  // Geographic coordinates on the working CRS's own datum.
  OGRSpatialReferenceH geog = OSRCloneGeogCS(working.handle());
  const Crs geo = Crs::from_handle(geog);
  OSRRelease(geog);
  Transformer(layer.source_crs, geo).transform_in_place(lon, lat, true);
  std::vector<std::string> failed;
  for (std::size_t i = 0; i < layer.villages.size(); ++i) {
    auto& v = layer.villages[i];
    v.x = xs[i];
    v.y = ys[i];
    v.lon = lon[i];
    v.lat = lat[i];
    if (!std::isfinite(v.x) || !std::isfinite(v.y)) failed.push_back(v.id);
  }
  if (!failed.empty()) {
    std::string list;
    for (std::size_t i = 0; i < failed.size() && i < 10; ++i) list += (i ? ", " : "") + failed[i];
    throw core::InputError(std::string(kWhat) + ": " + std::to_string(failed.size()) +
                           " village(s) cannot be transformed from " + layer.source_crs.describe() + " to " +
                           working.describe() + " (ids " + list + "); check the coordinates and the CRS");
  }
}

}  // namespace relocplan::vector
