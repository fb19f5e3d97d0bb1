#include "relocplan/io/output.hpp"

#include <cpl_conv.h>
#include <fcntl.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_api.h>
#include <sqlite3.h>
#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "relocplan/core/error.hpp"
#include "relocplan/raster/gdal_args.hpp"
#include "relocplan/vector/crs.hpp"

namespace relocplan::io {

namespace fs = std::filesystem;

std::size_t LayerSchema::column_index(const std::string& n) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == n) return i;
  throw core::InternalError("table " + name + " has no column " + n);
}

std::string point_wkb(double x, double y) {
  std::string w(21, '\0');
  w[0] = 1;  // little endian
  const std::uint32_t type = 1;
  std::memcpy(&w[1], &type, 4);
  std::memcpy(&w[5], &x, 8);
  std::memcpy(&w[13], &y, 8);
  return w;
}

// ---------------------------------------------------------------------------

RasterStrips::RasterStrips(const fs::path& path, const raster::Grid& grid, Type type, double nodata)
    : path_(path), grid_(grid), type_(type), nodata_(nodata) {
  GDALDriverH drv = GDALGetDriverByName("GTiff");
  if (!drv) throw core::InternalError("GDAL has no GTiff driver");
  // ZSTD level 1: about as fast as no compression, a fraction of the disk.
  const char* opts[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=ZSTD", "ZSTD_LEVEL=1",
                        "BIGTIFF=IF_SAFER", nullptr};
  CPLErrorReset();
  ds_.reset(GDALCreate(drv, path.c_str(), static_cast<int>(grid.cols()), static_cast<int>(grid.rows()), 1,
                       type == Type::float32  ? GDT_Float32
                       : type == Type::uint16 ? GDT_UInt16
                                              : GDT_Byte,
                       const_cast<char**>(opts)));
  if (!ds_) throw core::OutputError("cannot create temporary raster '" + path.string() + "': " + core::last_gdal_error());
  auto gt = grid.geotransform();
  GDALSetGeoTransform(ds_.get(), gt.data());
  GDALSetProjection(ds_.get(), grid.crs_wkt().c_str());
  GDALSetRasterNoDataValue(GDALGetRasterBand(ds_.get(), 1), nodata);
}

namespace {

// Sets exactly the palette's entries (GeoTIFF pads a Byte colour table to 256
// entries, which QGIS would list as 256 classes) and the class names.
void apply_palette(GDALRasterBandH band, const std::vector<PaletteEntry>& palette) {
  GDALColorTableH ct = GDALCreateColorTable(GPI_RGB);
  int top = 0;
  for (const auto& e : palette) top = std::max(top, e.value);
  std::vector<std::string> names(static_cast<std::size_t>(top) + 1);
  for (const auto& e : palette) {
    const GDALColorEntry c{static_cast<short>(e.r), static_cast<short>(e.g), static_cast<short>(e.b),
                           static_cast<short>(e.a)};
    GDALSetColorEntry(ct, e.value, &c);
    names[static_cast<std::size_t>(e.value)] = e.label;
  }
  GDALSetRasterColorTable(band, ct);
  GDALDestroyColorTable(ct);
  GDALSetRasterColorInterpretation(band, GCI_PaletteIndex);
  std::vector<const char*> list;
  for (const auto& n : names) list.push_back(n.c_str());
  list.push_back(nullptr);
  GDALSetRasterCategoryNames(band, const_cast<char**>(list.data()));
}

}  // namespace

void RasterStrips::set_palette(const std::vector<PaletteEntry>& palette) {
  if (type_ != Type::byte_classes) throw core::InternalError("a colour table needs a class raster");
  palette_ = palette;  // applied when the raster is copied into the GeoPackage
}

void RasterStrips::write_rows(std::size_t row0, std::size_t nrows, const float* values) {
  const std::size_t n = nrows * grid_.cols();
  // A buffer of the call's own: a raster written strip by strip must not
  // keep a strip's worth of memory between writes (a run holds several).
  std::vector<float> scratch(n);
  const float nd = static_cast<float>(nodata_);
  for (std::size_t i = 0; i < n; ++i) scratch[i] = std::isnan(values[i]) ? nd : values[i];
  CPLErrorReset();
  if (GDALRasterIO(GDALGetRasterBand(ds_.get(), 1), GF_Write, 0, static_cast<int>(row0),
                   static_cast<int>(grid_.cols()), static_cast<int>(nrows), scratch.data(),
                   static_cast<int>(grid_.cols()), static_cast<int>(nrows), GDT_Float32, 0, 0) != CE_None)
    throw core::OutputError("writing temporary raster '" + path_.string() + "' failed: " + core::last_gdal_error());
}

void RasterStrips::read_rows(std::size_t row0, std::size_t nrows, float* values) const {
  if (!ds_) throw core::InternalError("reading temporary raster '" + path_.string() + "' after it was closed");
  CPLErrorReset();
  if (GDALRasterIO(GDALGetRasterBand(ds_.get(), 1), GF_Read, 0, static_cast<int>(row0),
                   static_cast<int>(grid_.cols()), static_cast<int>(nrows), values,
                   static_cast<int>(grid_.cols()), static_cast<int>(nrows), GDT_Float32, 0, 0) != CE_None)
    throw core::OutputError("reading temporary raster '" + path_.string() + "' failed: " + core::last_gdal_error());
  const float nd = static_cast<float>(nodata_);
  const std::size_t n = nrows * grid_.cols();
  for (std::size_t i = 0; i < n; ++i)
    if (values[i] == nd) values[i] = std::numeric_limits<float>::quiet_NaN();
}

void RasterStrips::close() {
  if (!ds_) return;
  CPLErrorReset();
  ds_.reset();
  if (CPLGetLastErrorType() == CE_Failure)
    throw core::OutputError("closing temporary raster '" + path_.string() + "' failed: " + core::last_gdal_error());
}

// ---------------------------------------------------------------------------

fs::path notices_path_for(const fs::path& destination) {
  return destination.parent_path() / (destination.stem().string() + "_notices");
}

namespace {

// A process that exists and is not a zombie (a killed run whose parent died
// may wait as a zombie until init reaps it; its files are stale all the same).
bool pid_alive(pid_t pid) {
  if (!(::kill(pid, 0) == 0 || errno == EPERM)) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const std::size_t paren = text.rfind(')');
  if (paren != std::string::npos && paren + 2 < text.size()) return text[paren + 2] != 'Z' && text[paren + 2] != 'X';
  return true;
}

}  // namespace

std::vector<fs::path> remove_stale_temporaries(const fs::path& destination) {
  std::vector<fs::path> removed;
  std::error_code ec;
  const fs::path dir = destination.parent_path().empty() ? fs::path(".") : destination.parent_path();
  if (!fs::is_directory(dir, ec)) return removed;
  const std::string prefix = "." + destination.filename().string() + ".";
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  for (const auto& p : entries) {
    const std::string name = p.filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::size_t i = prefix.size();
    std::size_t j = i;
    while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
    if (j == i || j - i > 9 || name.compare(j, 4, ".tmp") != 0) continue;
    const long pid = std::stol(name.substr(i, j - i));
    if (pid > 0 && pid_alive(static_cast<pid_t>(pid))) continue;
    fs::remove_all(p, ec);
    if (!ec) removed.push_back(p);
  }
  return removed;
}

void check_destination(const fs::path& destination, bool overwrite) {
  std::error_code ec;
  if (fs::exists(notices_path_for(destination), ec) && !overwrite)
    throw core::OutputError("output folder '" + notices_path_for(destination).string() +
                            "' already exists; pass --overwrite to replace it, or choose another path with -o");
  if (fs::exists(destination, ec) && !overwrite)
    throw core::OutputError("output '" + destination.string() +
                            "' already exists; pass --overwrite to replace it, or choose another path with -o");
  if (fs::is_directory(destination, ec))
    throw core::OutputError("output '" + destination.string() + "' is a folder, not a file");
}

OutputGeoPackage::OutputGeoPackage(fs::path destination, bool overwrite)
    : destination_(fs::absolute(std::move(destination))), overwrite_(overwrite) {
  check_destination(destination_, overwrite_);
  std::error_code ec;
  fs::create_directories(destination_.parent_path(), ec);
  if (ec)
    throw core::OutputError("cannot create folder '" + destination_.parent_path().string() + "': " + ec.message());
  std::string stem(".");
  stem.append(destination_.filename().string()).append(".").append(std::to_string(::getpid())).append(".tmp");
  temp_path_ = destination_.parent_path() / (stem + ".gpkg");
  work_dir_ = destination_.parent_path() / (stem + ".d");
  cleanup();
  remove_stale_temporaries(destination_);
  fs::create_directories(work_dir_, ec);
  if (ec) throw core::OutputError("cannot create temporary folder '" + work_dir_.string() + "': " + ec.message());
}

OutputGeoPackage::~OutputGeoPackage() {
  if (!committed_) cleanup();
}

void OutputGeoPackage::cleanup() noexcept {
  ds_.reset();
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(temp_path_.string() + suffix, ec);
  fs::remove_all(work_dir_, ec);
}

fs::path OutputGeoPackage::notices_destination() const { return notices_path_for(destination_); }

fs::path OutputGeoPackage::notices_dir() {
  const fs::path dir = work_dir_ / "notices";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw core::OutputError("cannot create folder '" + dir.string() + "': " + ec.message());
  return dir;
}

std::unique_ptr<RasterStrips> OutputGeoPackage::new_raster_strips(const std::string& name, const raster::Grid& grid,
                                                                 RasterStrips::Type type, double nodata) {
  return std::make_unique<RasterStrips>(work_dir_ / (name + ".tif"), grid, type, nodata);
}

std::unique_ptr<raster::ScratchFileGrid> OutputGeoPackage::new_scratch_grid(const std::string& name,
                                                                           const raster::Grid& grid) const {
  return std::make_unique<raster::ScratchFileGrid>(work_dir_ / (name + ".f32"), grid.rows(), grid.cols());
}

void OutputGeoPackage::add_raster(RasterStrips& strips, const RasterLayerInfo& info, core::Progress::Span* progress) {
  const std::string& table = info.table;
  const std::string& description = info.description;
  strips.close();
  close_dataset();
  raster::DatasetPtr src(GDALOpenEx(strips.path().c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
  if (!src) throw core::OutputError("cannot reopen temporary raster '" + strips.path().string() + "'");
  // A class raster goes through a virtual copy that carries the palette's own
  // entries only; it reads from `src`, which stays open until the copy is done.
  raster::DatasetPtr vrt;
  if (!strips.palette().empty()) {
    vrt.reset(GDALCreateCopy(GDALGetDriverByName("VRT"), "", src.get(), FALSE, nullptr, nullptr, nullptr));
    if (!vrt) throw core::OutputError("cannot prepare the colour table of '" + table + "': " + core::last_gdal_error());
    apply_palette(GDALGetRasterBand(vrt.get(), 1), strips.palette());
  }
  raster::GdalArgs args;
  args.add("-of").add("GPKG");
  args.add("-co").add("RASTER_TABLE=" + table);
  args.add("-co").add("RASTER_IDENTIFIER=" + StyleCatalog::embedded().title_text(table, alias_language_));
  args.add("-co").add("RASTER_DESCRIPTION=" + description);
  // Float32 coverages need TIFF tiles; integer ones (UInt16) and class
  // rasters with a colour table are stored as PNG.
  args.add("-co").add(strips.type() == RasterStrips::Type::float32 ? "TILE_FORMAT=TIFF" : "TILE_FORMAT=PNG");
  if (strips.type() != RasterStrips::Type::byte_classes) {
    // The gridded-coverage description of the values.
    args.add("-co").add("FIELD_NAME=" + table);
    args.add("-co").add("QUANTITY_DEFINITION=" + description);
    if (!info.unit.empty()) args.add("-co").add("UOM=" + info.unit);
  }
  args.add("-co").add("BLOCKSIZE=256");
  if (file_created_) args.add("-co").add("APPEND_SUBDATASET=YES");
  GDALTranslateOptions* opts = GDALTranslateOptionsNew(args.argv(), nullptr);
  if (!opts) throw core::InternalError("invalid GeoPackage raster options: " + core::last_gdal_error());
  if (progress) GDALTranslateOptionsSetProgress(opts, core::Progress::gdal_span_callback, progress);
  int usage_error = 0;
  CPLErrorReset();
  raster::DatasetPtr out(GDALTranslate(temp_path_.c_str(), vrt ? vrt.get() : src.get(), opts, &usage_error));
  GDALTranslateOptionsFree(opts);
  if (progress) progress->progress->cancel().throw_if_requested();
  if (!out)
    throw core::OutputError("writing raster '" + table + "' to '" + temp_path_.string() + "' failed: " +
                            core::last_gdal_error());
  // Statistics: GDAL records the value range of every tile of a gridded
  // coverage (gpkg_2d_gridded_tile_ancillary) and reports the layer's range
  // from it; band metadata set here would be stored for the whole GeoPackage
  // rather than for this table, so none is set.
  out.reset();
  if (CPLGetLastErrorType() == CE_Failure)
    throw core::OutputError("writing raster '" + table + "' failed: " + core::last_gdal_error());
  file_created_ = true;
  vrt.reset();
  src.reset();
  std::error_code ec;
  fs::remove(strips.path(), ec);
}

void* OutputGeoPackage::vector_dataset() {
  if (ds_) return ds_.get();
  CPLErrorReset();
  if (file_created_) {
    ds_.reset(GDALOpenEx(temp_path_.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr));
  } else {
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) throw core::InternalError("GDAL has no GPKG driver");
    ds_.reset(GDALCreate(drv, temp_path_.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    file_created_ = static_cast<bool>(ds_);
  }
  if (!ds_) throw core::OutputError("cannot open '" + temp_path_.string() + "' for writing: " + core::last_gdal_error());
  return ds_.get();
}

void OutputGeoPackage::close_dataset() {
  if (!ds_) return;
  CPLErrorReset();
  ds_.reset();
  if (CPLGetLastErrorType() == CE_Failure)
    throw core::OutputError("closing '" + temp_path_.string() + "' failed: " + core::last_gdal_error());
}

void OutputGeoPackage::add_table(const Table& t) {
  LayerWriter w = begin_layer(t);
  for (std::size_t r = 0; r < t.rows.size(); ++r)
    w.add(t.rows[r], t.has_geometry && r < t.wkb.size() ? std::string_view(t.wkb[r]) : std::string_view());
  w.finish();
}

void OutputGeoPackage::add_rows(const RowSource& source, core::Progress::Span* progress) {
  LayerWriter w = begin_layer(source.schema);
  std::vector<Value> values;
  std::string wkb;
  for (std::size_t i = 0; i < source.size; ++i) {
    values.clear();
    wkb.clear();
    source.row(i, values, wkb);
    w.add(values, wkb);
    if (progress && (i % 1024 == 1023 || i + 1 == source.size) &&
        !core::Progress::gdal_span_callback(static_cast<double>(i + 1) / static_cast<double>(source.size), nullptr,
                                            progress))
      progress->progress->cancel().throw_if_requested();
  }
  w.finish();
}

LayerWriter OutputGeoPackage::begin_layer(const LayerSchema& t) {
  void* ds = vector_dataset();
  std::vector<std::string> lco = {"FID=fid",
                                  "IDENTIFIER=" + StyleCatalog::embedded().title_text(t.name, alias_language_),
                                  "DESCRIPTION=" + t.description};
  if (t.has_geometry) {
    lco.push_back("GEOMETRY_NAME=geom");
    lco.push_back("SPATIAL_INDEX=YES");
  }
  std::vector<const char*> lco_c;
  for (const auto& s : lco) lco_c.push_back(s.c_str());
  lco_c.push_back(nullptr);
  std::optional<vector::Crs> crs;
  if (t.has_geometry) crs = vector::Crs::from_wkt(t.crs_wkt);
  CPLErrorReset();
  OGRLayerH layer = GDALDatasetCreateLayer(
      ds, t.name.c_str(), crs ? crs->handle() : nullptr,
      t.has_geometry ? static_cast<OGRwkbGeometryType>(t.geometry_type) : wkbNone, const_cast<char**>(lco_c.data()));
  if (!layer) throw core::OutputError("cannot create layer '" + t.name + "': " + core::last_gdal_error());
  for (const Column& c : t.columns) {
    const OGRFieldType ft = c.type == ColumnType::integer ? OFTInteger64
                            : c.type == ColumnType::real  ? OFTReal
                                                          : OFTString;
    OGRFieldDefnH fd = OGR_Fld_Create(c.name.c_str(), ft);
    const OGRErr err = OGR_L_CreateField(layer, fd, TRUE);
    OGR_Fld_Destroy(fd);
    if (err != OGRERR_NONE)
      throw core::OutputError("cannot create field '" + c.name + "' in layer '" + t.name + "': " +
                              core::last_gdal_error());
  }
  if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE)
    throw core::OutputError("cannot start a transaction on '" + temp_path_.string() + "'");
  LayerWriter w(*this, ds, layer, t);
  w.crs_ = std::move(crs);
  return w;
}

LayerWriter::LayerWriter(OutputGeoPackage& out, void* ds, void* layer, const LayerSchema& schema)
    : out_(&out), ds_(ds), layer_(layer), schema_(schema) {}

LayerWriter::LayerWriter(LayerWriter&& o) noexcept
    : out_(o.out_), ds_(o.ds_), layer_(o.layer_), schema_(std::move(o.schema_)), crs_(std::move(o.crs_)),
      rows_(o.rows_), open_(o.open_) {
  o.open_ = false;
}

LayerWriter::~LayerWriter() {
  // Unfinished: the run failed or was cancelled and its temporary output is
  // being abandoned; leave the dataset without an open transaction.
  if (open_) GDALDatasetRollbackTransaction(ds_);
}

void LayerWriter::add(const std::vector<Value>& row, std::string_view wkb) {
  if (!open_) throw core::InternalError("row added to the finished layer '" + schema_.name + "'");
  auto layer = static_cast<OGRLayerH>(layer_);
  OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
  for (std::size_t c = 0; c < schema_.columns.size() && c < row.size(); ++c) {
    const int idx = static_cast<int>(c);
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::monostate>) OGR_F_SetFieldNull(f, idx);
          else if constexpr (std::is_same_v<V, std::int64_t>) OGR_F_SetFieldInteger64(f, idx, v);
          else if constexpr (std::is_same_v<V, double>) {
            if (std::isfinite(v)) OGR_F_SetFieldDouble(f, idx, v);
            else OGR_F_SetFieldNull(f, idx);
          } else OGR_F_SetFieldString(f, idx, v.c_str());
        },
        row[c]);
  }
  if (schema_.has_geometry && !wkb.empty()) {
    OGRGeometryH g = nullptr;
    if (OGR_G_CreateFromWkb(wkb.data(), crs_ ? crs_->handle() : nullptr, &g, static_cast<int>(wkb.size())) !=
        OGRERR_NONE) {
      OGR_F_Destroy(f);
      throw core::InternalError("invalid geometry for row " + std::to_string(rows_) + " of '" + schema_.name + "'");
    }
    if (wkbFlatten(schema_.geometry_type) == wkbMultiPolygon && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPolygon)
      g = OGR_G_ForceToMultiPolygon(g);
    OGR_F_SetGeometryDirectly(f, g);
  }
  const OGRErr err = OGR_L_CreateFeature(layer, f);
  OGR_F_Destroy(f);
  if (err != OGRERR_NONE)
    throw core::OutputError("cannot write feature " + std::to_string(rows_ + 1) + " of layer '" + schema_.name +
                            "': " + core::last_gdal_error());
  ++rows_;
}

void LayerWriter::finish() {
  if (!open_) return;
  open_ = false;
  if (GDALDatasetCommitTransaction(ds_) != OGRERR_NONE)
    throw core::OutputError("cannot commit layer '" + schema_.name + "' to '" + out_->temp_path_.string() + "': " +
                            core::last_gdal_error());
  WrittenLayer w{schema_.name, schema_.has_geometry, {}, {}};
  for (const Column& c : schema_.columns) w.columns.push_back(c.name);
  out_->written_.push_back(std::move(w));
}

namespace {

using SqlitePtr = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;

// Opens the finished file with SQLite itself; `why` completes the error message.
SqlitePtr open_sqlite(const fs::path& path, int flags, const std::string& why) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw core::OutputError("cannot reopen '" + path.string() + "' " + why + ": " + msg);
  }
  return SqlitePtr(db, &sqlite3_close);
}

}  // namespace

void OutputGeoPackage::add_view(const std::string& name, const std::string& description, const std::string& like,
                                const std::string& where) {
  auto it = std::find_if(written_.begin(), written_.end(), [&](const WrittenLayer& w) { return w.name == like; });
  if (it == written_.end()) throw core::InternalError("view '" + name + "' of an unwritten table '" + like + "'");
  WrittenLayer w = *it;
  w.name = name;
  w.like = like;
  written_.push_back(std::move(w));
  views_.push_back({name, description, like, where});
}

namespace {

void exec_sql(sqlite3* db, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw core::OutputError(what + " failed: " + msg);
  }
}

// Double quotes an SQL identifier.
std::string ident(const std::string& name) {
  std::string q = "\"";
  for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Single quotes an SQL string literal.
std::string literal(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

}  // namespace

void OutputGeoPackage::finish_with_sqlite() {
  SqlitePtr guard = open_sqlite(temp_path_, SQLITE_OPEN_READWRITE, "to store the styles");
  sqlite3* db = guard.get();
  // Views, registered in gpkg_contents (and gpkg_geometry_columns) like their
  // table, as the GeoPackage standard allows: QGIS lists and opens them as layers.
  for (const auto& v : views_) {
    const std::string what = "creating the view '" + v.name + "'";
    exec_sql(db,
             "CREATE VIEW " + ident(v.name) + " AS SELECT * FROM " + ident(v.like) + " WHERE " + v.where + ";" +
                 "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, "
                 "min_y, max_x, max_y, srs_id) SELECT " +
                 literal(v.name) + ", data_type, " +
                 literal(StyleCatalog::embedded().title_text(v.name, alias_language_)) + ", " + literal(v.description) +
                 ", last_change, min_x, min_y, max_x, max_y, srs_id FROM gpkg_contents WHERE table_name = " +
                 literal(v.like) + ";" +
                 "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) "
                 "SELECT " +
                 literal(v.name) + ", column_name, geometry_type_name, srs_id, z, m FROM gpkg_geometry_columns " +
                 "WHERE table_name = " + literal(v.like) + ";",
             what);
  }
  // The same fixed time as GDAL's last_change (OGR_CURRENT_DATE), when set, so
  // that runs stay reproducible.
  const char* when = CPLGetConfigOption("OGR_CURRENT_DATE", nullptr);
  write_styles_and_field_docs(db, written_, alias_language_, when ? when : "2000-01-01T00:00:00.000Z");
}

namespace {

// SQLite's own check of the finished file, before it is put in place.
void check_with_sqlite(const fs::path& path) {
  SqlitePtr guard = open_sqlite(path, SQLITE_OPEN_READONLY, "to check it");
  sqlite3* db = guard.get();
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) != SQLITE_OK)
    throw core::OutputError("cannot check '" + path.string() + "': " + sqlite3_errmsg(db));
  std::string result;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(st, 0);
    if (text) result += reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(st);
  if (result != "ok") throw core::OutputError("the written GeoPackage failed SQLite's integrity check: " + result);
}

}  // namespace

void OutputGeoPackage::commit() {
  void* ds = vector_dataset();
  for (const auto& [key, value] : metadata_) GDALSetMetadataItem(ds, key.c_str(), value.c_str(), nullptr);
  close_dataset();
  finish_with_sqlite();
  check_with_sqlite(temp_path_);
  std::error_code ec;
  // The notices folder goes into place first: if that fails, no GeoPackage
  // claims a run that is not complete.
  const fs::path notices = work_dir_ / "notices";
  if (fs::exists(notices, ec)) {
    const fs::path dest = notices_destination();
    if (fs::exists(dest, ec)) {
      if (!overwrite_)
        throw core::OutputError("output folder '" + dest.string() + "' appeared while the run was working; it was kept");
      fs::remove_all(dest, ec);
      if (ec) throw core::OutputError("cannot replace '" + dest.string() + "': " + ec.message());
    }
    fs::rename(notices, dest, ec);
    if (ec) throw core::OutputError("cannot move the notices to '" + dest.string() + "': " + ec.message());
  }
  fs::remove_all(work_dir_, ec);
  // Put the file in place. Without --overwrite the kernel refuses to replace a
  // destination that appeared meanwhile (RENAME_NOREPLACE).
  int rc = 0;
  if (overwrite_) {
    rc = std::rename(temp_path_.c_str(), destination_.c_str());
  } else {
    rc = ::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, destination_.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
      // File systems without RENAME_NOREPLACE: link() also refuses to replace.
      rc = ::link(temp_path_.c_str(), destination_.c_str());
      if (rc == 0) ::unlink(temp_path_.c_str());
    }
  }
  if (rc != 0) {
    const int e = errno;
    if (e == EEXIST)
      throw core::OutputError("output '" + destination_.string() +
                              "' appeared while the run was working; it was kept. Pass --overwrite to replace it");
    throw core::OutputError("cannot move the finished output to '" + destination_.string() + "': " + std::strerror(e));
  }
  committed_ = true;
}

}  // namespace relocplan::io
