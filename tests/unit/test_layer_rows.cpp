// Layers written row by row (io::RowSource, io::LayerWriter): the same
// GeoPackage content as a table held whole, and a failed or cancelled layer
// leaves no output behind.

#include <ogr_api.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "relocplan/core/error.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/vector/crs.hpp"
#include "test_support.hpp"

namespace io = relocplan::io;
namespace core = relocplan::core;
namespace fs = std::filesystem;
using testsupport::TempDir;

namespace {

// Every row of `table` as text, in fid order, with the geometry as hex WKB.
std::vector<std::string> dump(const fs::path& gpkg, const std::string& table) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(gpkg.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const std::string sql = "SELECT * FROM \"" + table + "\" ORDER BY fid";
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      if (sqlite3_column_type(st, i) == SQLITE_NULL) row += "<null>|";
      else if (sqlite3_column_type(st, i) == SQLITE_BLOB) row += "blob" + std::to_string(sqlite3_column_bytes(st, i)) + "|";
      else row += std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, i))) + "|";
    }
    rows.push_back(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

io::LayerSchema schema(const std::string& name) {
  io::LayerSchema s;
  s.name = name;
  s.description = "test layer";
  s.columns = {{"id", io::ColumnType::text}, {"n", io::ColumnType::integer}, {"x", io::ColumnType::real}};
  s.has_geometry = true;
  s.geometry_type = wkbPoint;
  s.crs_wkt = relocplan::vector::Crs::from_epsg(4545).wkt();
  return s;
}

// Row i: an id, a count, a real that is NULL every 7th row (NaN) and a
// point; no geometry every 11th row; the last value missing every 13th.
void make_row(std::size_t i, std::vector<io::Value>& row, std::string& wkb) {
  row.emplace_back(std::in_place_type<std::string>, "v" + std::to_string(i));
  row.emplace_back(std::in_place_type<std::int64_t>, static_cast<std::int64_t>(i * 3));
  if (i % 13 != 0) row.emplace_back(std::in_place_type<double>, i % 7 == 0 ? std::nan("") : 0.5 * static_cast<double>(i));
  if (i % 11 != 0) wkb = io::point_wkb(500000.0 + static_cast<double>(i), 3000000.0);
}

}  // namespace

TEST_CASE("A layer written row by row equals the same table written whole", "[output]") {
  TempDir dir;
  const std::size_t n = 5000;
  io::Table whole;
  static_cast<io::LayerSchema&>(whole) = schema("whole");
  io::RowSource rows{schema("rows"), n, make_row};
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<io::Value> row;
    std::string wkb;
    make_row(i, row, wkb);
    whole.rows.push_back(row);
    whole.wkb.push_back(wkb);
  }
  core::CancelFlag cancel;
  core::Progress progress(false, cancel);
  core::Progress::Span span{&progress, 0.0, 1.0};
  {
    io::OutputGeoPackage gpkg(dir / "out.gpkg", false);
    gpkg.add_table(whole);
    gpkg.add_rows(rows, &span);
    io::LayerWriter w = gpkg.begin_layer(schema("by_hand"));
    for (std::size_t i = 0; i < 3; ++i) {
      std::vector<io::Value> row;
      std::string wkb;
      make_row(i, row, wkb);
      w.add(row, wkb);
    }
    CHECK(w.rows() == 3);
    w.finish();
    CHECK_THROWS_AS(w.add({}), core::InternalError);
    gpkg.commit();
  }
  const auto a = dump(dir / "out.gpkg", "whole");
  const auto b = dump(dir / "out.gpkg", "rows");
  REQUIRE(a.size() == n);
  CHECK(a == b);
  CHECK(a[0] == "1|<null>|v0|0|<null>|");  // fid, no geometry (row 0 is a multiple of 11), id, n, x missing
  CHECK(a[7] == "8|blob29|v7|21|<null>|");  // NaN written as NULL
  CHECK(a[8] == "9|blob29|v8|24|4.0|");
  CHECK(dump(dir / "out.gpkg", "by_hand") == std::vector<std::string>(a.begin(), a.begin() + 3));
  // Each layer is registered with its extent and spatial index like any other.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((dir / "out.gpkg").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM rtree_rows_geom", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(sqlite3_column_int(st, 0) == static_cast<int>(n - (n + 10) / 11));
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_CASE("A layer that fails or is cancelled half-way leaves no output", "[output]") {
  TempDir dir;
  const fs::path dest = dir / "out.gpkg";
  SECTION("the rows fail") {
    io::RowSource rows{schema("rows"), 4000, [](std::size_t i, std::vector<io::Value>& row, std::string& wkb) {
                         if (i == 3000) throw std::runtime_error("row 3000 cannot be built");
                         make_row(i, row, wkb);
                       }};
    {
      io::OutputGeoPackage gpkg(dest, false);
      CHECK_THROWS_WITH(gpkg.add_rows(rows), "row 3000 cannot be built");
    }
  }
  SECTION("cancelled") {
    core::CancelFlag cancel;
    core::Progress progress(false, cancel);
    core::Progress::Span span{&progress, 0.0, 1.0};
    io::RowSource rows{schema("rows"), 4000, [&](std::size_t i, std::vector<io::Value>& row, std::string& wkb) {
                         if (i == 2000) cancel.request();
                         make_row(i, row, wkb);
                       }};
    {
      io::OutputGeoPackage gpkg(dest, false);
      CHECK_THROWS_AS(gpkg.add_rows(rows, &span), core::Cancelled);
    }
  }
  CHECK_FALSE(fs::exists(dest));
  CHECK(fs::is_empty(dir.path()));
}
