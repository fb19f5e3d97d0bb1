#pragma once
// Writing the run's GeoPackage without ever leaving a half-written file.
//
// Everything is written to a hidden temporary file beside the destination
// (same folder, so the final rename stays on one file system) and renamed into
// place only after GDAL has closed it and SQLite has checked it. An existing
// destination is replaced only with --overwrite; otherwise the rename refuses
// to replace it even if it appeared while the run was working. If the run
// fails or is cancelled, the temporary files are removed.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "relocplan/core/progress.hpp"
#include "relocplan/io/styles.hpp"
#include "relocplan/raster/gdal_handles.hpp"
#include "relocplan/raster/grid.hpp"
#include "relocplan/raster/grid_store.hpp"
#include "relocplan/vector/crs.hpp"

namespace relocplan::io {

using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

enum class ColumnType { integer, real, text };

struct Column {
  std::string name;
  ColumnType type = ColumnType::text;
};

// The layout of a vector layer or attribute table: its name, description,
// columns and geometry, without rows.
struct LayerSchema {
  std::string name;
  std::string description;
  std::vector<Column> columns;
  // Geometry: none for an attribute table.
  bool has_geometry = false;
  int geometry_type = 0;  // OGRwkbGeometryType
  std::string crs_wkt;    // for layers with geometry

  std::size_t column_index(const std::string& name) const;
};

// A small layer or attribute table held whole, then written at once.
struct Table : LayerSchema {
  std::vector<std::vector<Value>> rows;
  std::vector<std::string> wkb;  // one per row for a layer with geometry
};

// A layer of many rows (one per village, territory, site or allocation)
// built row by row as it is written, so that it is never held whole:
// row(i, values, wkb) fills row i's values and geometry (WKB; left empty for
// none), reusing the buffers it is given.
struct RowSource {
  LayerSchema schema;
  std::size_t size = 0;
  std::function<void(std::size_t i, std::vector<Value>& values, std::string& wkb)> row;
};

class OutputGeoPackage;

// A layer being written row by row (OutputGeoPackage::begin_layer), so that
// a layer of many rows never has to be held whole: each row goes into the
// GeoPackage as it is added, all in one transaction that finish() commits.
// Destroyed unfinished (a failed or cancelled run), it rolls back.
class LayerWriter {
 public:
  LayerWriter(const LayerWriter&) = delete;
  LayerWriter& operator=(const LayerWriter&) = delete;
  LayerWriter(LayerWriter&& other) noexcept;
  LayerWriter& operator=(LayerWriter&&) = delete;
  ~LayerWriter();
  // One row: a value per column (missing trailing values are NULL; a
  // non-finite real is NULL) and, for a layer with geometry, its WKB (empty:
  // no geometry).
  void add(const std::vector<Value>& row, std::string_view wkb = {});
  std::size_t rows() const { return rows_; }
  void finish();

 private:
  friend class OutputGeoPackage;
  LayerWriter(OutputGeoPackage& out, void* ds, void* layer, const LayerSchema& schema);
  OutputGeoPackage* out_;
  void* ds_;
  void* layer_;
  LayerSchema schema_;
  std::optional<vector::Crs> crs_;
  std::size_t rows_ = 0;
  bool open_ = true;
};

// Little-endian WKB of a 2-D point.
std::string point_wkb(double x, double y);

// Float32 raster on the analysis grid, first written to a temporary GeoTIFF
// row strip by row strip (bounded memory), copied into the GeoPackage at the end.
// One colour of a class raster's colour table.
struct PaletteEntry {
  int value;
  int r, g, b, a;
  std::string label;
};

// A raster layer of the GeoPackage: table name, description and unit.
struct RasterLayerInfo {
  std::string table;
  std::string description;
  std::string unit;  // "m", "degree", ... ; empty for classes and codes
};

class RasterStrips {
 public:
  static constexpr float kNoData = -9999.0f;
  // float32 and uint16 become gridded coverages; byte_classes (values
  // 0-255 with a colour table) becomes paletted PNG tiles, which QGIS opens
  // with its colours and class names.
  enum class Type { float32, uint16, byte_classes };
  RasterStrips(const std::filesystem::path& path, const raster::Grid& grid, Type type = Type::float32,
               double nodata = kNoData);
  Type type() const { return type_; }
  // The colour table and class names of a byte_classes raster.
  void set_palette(const std::vector<PaletteEntry>& palette);
  // Rows [row0, row0 + nrows), full width; NaN becomes NoData.
  void write_rows(std::size_t row0, std::size_t nrows, const float* values);
  // Rows written earlier, read back (NoData becomes NaN), so that later
  // stages can stream what an earlier one wrote instead of keeping it.
  void read_rows(std::size_t row0, std::size_t nrows, float* values) const;
  void close();
  const std::filesystem::path& path() const { return path_; }
  const std::vector<PaletteEntry>& palette() const { return palette_; }

 private:
  std::vector<PaletteEntry> palette_;
  std::filesystem::path path_;
  raster::Grid grid_;
  Type type_;
  double nodata_;
  raster::DatasetPtr ds_;
};

class OutputGeoPackage {
 public:
  // Fails (OutputError) at once when `destination` exists and !overwrite, or
  // when its folder cannot be created.
  OutputGeoPackage(std::filesystem::path destination, bool overwrite);
  ~OutputGeoPackage();
  OutputGeoPackage(const OutputGeoPackage&) = delete;
  OutputGeoPackage& operator=(const OutputGeoPackage&) = delete;

  // A temporary raster in the work folder, to be added with add_raster.
  std::unique_ptr<RasterStrips> new_raster_strips(const std::string& name, const raster::Grid& grid,
                                                 RasterStrips::Type type = RasterStrips::Type::float32,
                                                 double nodata = RasterStrips::kNoData);
  // A scratch grid (raw float32) in the work folder, removed when destroyed
  // and with the work folder.
  std::unique_ptr<raster::ScratchFileGrid> new_scratch_grid(const std::string& name, const raster::Grid& grid) const;
  // The work folder beside the destination (removed when the output is
  // finished or abandoned), for other scratch files of the run.
  const std::filesystem::path& work_dir() const { return work_dir_; }
  // Copies a finished temporary raster into the GeoPackage (a gridded
  // coverage, or paletted tiles for class rasters) with its statistics.
  // `progress` (optional) receives this copy's share of the current stage.
  void add_raster(RasterStrips& strips, const RasterLayerInfo& info, core::Progress::Span* progress);
  void add_table(const Table& table);
  // Writes the rows of `source` one by one; `progress` (optional) receives
  // the share of the rows written and is polled for cancellation.
  void add_rows(const RowSource& source, core::Progress::Span* progress = nullptr);
  // Starts a layer written row by row (see LayerWriter); one at a time.
  LayerWriter begin_layer(const LayerSchema& schema);
  // A view of a table written before, registered like a layer so that QGIS
  // opens it directly: the rows of `like` where `where` (an SQL condition,
  // written by relocplan itself, never from user input) holds. It shares the
  // table's geometry, default style and field descriptions.
  void add_view(const std::string& name, const std::string& description, const std::string& like,
                const std::string& where);
  // Language of the field aliases and layer titles (default: both).
  void set_alias_language(AliasLanguage lang) { alias_language_ = lang; }
  // Items of the GeoPackage's metadata (gpkg_metadata, dataset scope):
  // what the run was, when, which scenario and sources.
  void set_metadata(std::vector<std::pair<std::string, std::string>> items) { metadata_ = std::move(items); }
  // A folder of side files (the public-notice lists) written with the
  // GeoPackage and moved into place beside it on commit, as <stem>_notices/.
  std::filesystem::path notices_dir();
  std::filesystem::path notices_destination() const;
  // Closes, checks with SQLite and renames into place.
  void commit();

  const std::filesystem::path& destination() const { return destination_; }
  const std::filesystem::path& temporary() const { return temp_path_; }

 private:
  friend class LayerWriter;
  void* vector_dataset();  // opens the temporary GeoPackage for vector writing
  void close_dataset();
  void finish_with_sqlite();  // styles and field descriptions
  void cleanup() noexcept;

  std::filesystem::path destination_, temp_path_, work_dir_;
  bool overwrite_;
  bool committed_ = false;
  bool file_created_ = false;
  raster::DatasetPtr ds_;
  AliasLanguage alias_language_ = AliasLanguage::both;
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::vector<WrittenLayer> written_;
  struct ViewSpec {
    std::string name, description, like, where;
  };
  std::vector<ViewSpec> views_;
};

// Checks an existing output path (and its notices folder) before a run does any work.
void check_destination(const std::filesystem::path& destination, bool overwrite);
// Removes the temporary files of `destination` (".<name>.<pid>.tmp.gpkg" and
// its ".<name>.<pid>.tmp.d" folder, beside it) that a killed run left behind,
// when their process is gone; a run still writing keeps its own. Returns what
// was removed.
std::vector<std::filesystem::path> remove_stale_temporaries(const std::filesystem::path& destination);
// <folder>/<stem>_notices for <folder>/<stem>.gpkg
std::filesystem::path notices_path_for(const std::filesystem::path& destination);

}  // namespace relocplan::io
