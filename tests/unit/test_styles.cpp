// Default QGIS styles, field aliases and descriptions, layer titles: the
// embedded catalogue and what is written into the GeoPackage.

#include <ogr_api.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "relocplan/io/output.hpp"
#include "relocplan/io/styles.hpp"
#include "relocplan/vector/crs.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using relocplan::io::AliasLanguage;
using relocplan::io::StyleCatalog;

namespace {

// Runs a query and returns the rows as text (NULL as "<null>", with the SQL type
// of each value appended as ":type" when `types` is set).
std::vector<std::vector<std::string>> query(const fs::path& gpkg, const std::string& sql, bool types = false) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(gpkg.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::vector<std::vector<std::string>> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      const auto* t = sqlite3_column_text(st, i);
      std::string v = t ? reinterpret_cast<const char*>(t) : "<null>";
      if (types) v += std::string(":") + sqlite3_column_decltype(st, i) + "/" + std::to_string(sqlite3_column_type(st, i));
      row.push_back(v);
    }
    rows.push_back(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

relocplan::io::Table point_layer(const std::string& name, const std::vector<std::string>& columns) {
  relocplan::io::Table t;
  t.name = name;
  t.description = "test layer";
  for (const auto& c : columns) t.columns.push_back({c, relocplan::io::ColumnType::text});
  t.has_geometry = true;
  t.geometry_type = wkbPoint;
  t.crs_wkt = relocplan::vector::Crs::from_epsg(4545).wkt();
  std::vector<relocplan::io::Value> row;
  for (std::size_t i = 0; i < columns.size(); ++i) row.emplace_back(std::in_place_type<std::string>, "x");
  t.rows.push_back(row);
  t.wkb.push_back(relocplan::io::point_wkb(500000, 3000000));
  return t;
}

}  // namespace

TEST_CASE("the embedded style catalogue covers the output layers", "[styles]") {
  const auto& cat = StyleCatalog::embedded();
  for (const char* layer : {"villages", "sites", "allocations", "village_territories"}) {
    INFO(layer);
    const std::string* q = cat.qml(layer);
    REQUIRE(q);
    CHECK(q->find("<renderer-v2") != std::string::npos);
    CHECK(q->find("</qgis>") != std::string::npos);
  }
  // Every layer with documented fields has a title in both languages, and the
  // aliases are unique within the layer (QGIS shows them side by side).
  for (const auto& layer : cat.documented_layers()) {
    INFO(layer);
    const auto* title = cat.title(layer);
    REQUIRE(title);
    CHECK_FALSE(title->en.empty());
    CHECK_FALSE(title->zh.empty());
  }
  // Spot checks of the dictionary.
  const auto* slope = cat.field("villages", "slope_deg");
  REQUIRE(slope);
  CHECK(slope->zh.find("坡度") != std::string::npos);
  CHECK(slope->unit == "degree");
  CHECK(cat.field("villages", "no_such_field") == nullptr);
  CHECK(cat.field("no_such_layer", "slope_deg") == nullptr);
}

TEST_CASE("aliases are added to the QML in the chosen language, XML-escaped", "[styles]") {
  const auto& cat = StyleCatalog::embedded();
  const auto both = cat.default_style("villages", {"village_id", "slope_deg", "unknown_input"}, AliasLanguage::both);
  REQUIRE(both);
  CHECK(both->find("<alias field=\"slope_deg\" index=\"2\" name=\"坡度") != std::string::npos);
  CHECK(both->find("/ Slope") != std::string::npos);
  CHECK(both->find("<alias field=\"unknown_input\" index=\"3\" name=\"\"/>") != std::string::npos);
  // The aliases sit inside the <qgis> element.
  CHECK(both->find("<aliases>") < both->rfind("</qgis>"));
  const auto en = cat.default_style("villages", {"slope_deg"}, AliasLanguage::en);
  REQUIRE(en);
  CHECK(en->find("name=\"" + relocplan::io::xml_escape(cat.field("villages", "slope_deg")->en) + "\"") !=
        std::string::npos);
  CHECK(en->find("坡度") == std::string::npos);
  CHECK(relocplan::io::xml_escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  CHECK_FALSE(cat.default_style("criteria", {"kind"}, AliasLanguage::both));
}

TEST_CASE("styles and field descriptions are written as QGIS and the GeoPackage standard expect", "[styles]") {
  testsupport::TempDir dir;
  const fs::path out = dir / "styled.gpkg";
  {
    relocplan::io::OutputGeoPackage gpkg(out, false);
    gpkg.add_table(point_layer("villages", {"village_id", "slope_deg", "src_note"}));
    gpkg.add_table(point_layer("unstyled", {"a"}));
    relocplan::io::Table crit;
    crit.name = "criteria";
    crit.description = "criteria";
    crit.columns = {{"kind", relocplan::io::ColumnType::text}};
    crit.rows.push_back({});
    crit.rows.back().emplace_back(std::in_place_type<std::string>, "terrain");
    gpkg.add_table(crit);
    gpkg.set_metadata({{"TITLE", "test run"}, {"SCENARIO_FILE", "/x/scenario.toml"}});
    gpkg.commit();
  }
  // layer_styles: exactly the table QGIS creates, registered in gpkg_contents;
  // schema '' (NULL makes QGIS ignore the row), geometry column 'geom',
  // useAsDefault an integer 1.
  const auto styles = query(out,
                            "SELECT f_table_name, f_table_schema, f_geometry_column, useAsDefault, typeof(useAsDefault) "
                            "FROM layer_styles ORDER BY id");
  REQUIRE(styles.size() == 1);
  CHECK(styles[0] == std::vector<std::string>{"villages", "", "geom", "1", "integer"});
  CHECK(query(out, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'") ==
        std::vector<std::vector<std::string>>{{"attributes"}});
  const auto qml = query(out, "SELECT styleQML FROM layer_styles")[0][0];
  CHECK(qml.find("categorizedSymbol") != std::string::npos);
  CHECK(qml.find("<alias field=\"slope_deg\"") != std::string::npos);

  // gpkg_data_columns: documented fields only, with the extension registered.
  const auto cols = query(out, "SELECT table_name, column_name, title FROM gpkg_data_columns ORDER BY 1, 2");
  REQUIRE(cols.size() == 3);
  CHECK(cols[0][0] == "criteria");
  CHECK(cols[1][1] == "slope_deg");
  CHECK(cols[1][2].find("坡度") != std::string::npos);
  CHECK(cols[2][1] == "village_id");
  CHECK(query(out, "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'")[0][0] == "2");
  const auto desc = query(out, "SELECT description FROM gpkg_data_columns WHERE column_name = 'slope_deg'")[0][0];
  CHECK(desc.find("Unit: degree.") != std::string::npos);

  // Layer titles in gpkg_contents, and the run's metadata in gpkg_metadata.
  CHECK(query(out, "SELECT identifier FROM gpkg_contents WHERE table_name = 'villages'")[0][0] ==
        StyleCatalog::embedded().title_text("villages", AliasLanguage::both));
  CHECK(query(out, "SELECT identifier FROM gpkg_contents WHERE table_name = 'unstyled'")[0][0] == "unstyled");
  const auto meta = query(out,
                          "SELECT m.metadata FROM gpkg_metadata m JOIN gpkg_metadata_reference r "
                          "ON r.md_file_id = m.id WHERE r.reference_scope = 'geopackage'");
  REQUIRE(meta.size() == 1);
  CHECK(meta[0][0].find("<MDI key=\"TITLE\">test run</MDI>") != std::string::npos);
  CHECK(query(out, "PRAGMA integrity_check")[0][0] == "ok");
}

TEST_CASE("the alias language can be chosen", "[styles]") {
  testsupport::TempDir dir;
  const fs::path out = dir / "en.gpkg";
  {
    relocplan::io::OutputGeoPackage gpkg(out, false);
    gpkg.set_alias_language(AliasLanguage::en);
    gpkg.add_table(point_layer("villages", {"slope_deg"}));
    gpkg.commit();
  }
  const auto qml = query(out, "SELECT styleQML FROM layer_styles")[0][0];
  CHECK(qml.find("坡度") == std::string::npos);
  CHECK(query(out, "SELECT identifier FROM gpkg_contents WHERE table_name = 'villages'")[0][0] ==
        StyleCatalog::embedded().title(std::string("villages"))->en);
  CHECK(relocplan::io::parse_alias_language("zh") == AliasLanguage::zh);
  CHECK_FALSE(relocplan::io::parse_alias_language("fr"));
}

TEST_CASE("the README's field tables list every documented field", "[styles]") {
  const std::string readme = testsupport::read_text(fs::path(RELOCPLAN_SOURCE_DIR) / "README.md");
  const auto& cat = StyleCatalog::embedded();
  std::vector<std::string> missing;
  std::size_t fields = 0;
  for (const auto& layer : cat.documented_layers()) {
    if (readme.find("`" + layer + "`") == std::string::npos) missing.push_back(layer);
    for (const auto& f : cat.documented_fields(layer)) {
      ++fields;
      if (readme.find("`" + f + "`") == std::string::npos) missing.push_back(layer + "." + f);
    }
  }
  REQUIRE(fields > 200);
  INFO("not in README: " << [&] {
    std::string text;
    for (const auto& m : missing) text += m + " ";
    return text;
  }());
  CHECK(missing.empty());
}
