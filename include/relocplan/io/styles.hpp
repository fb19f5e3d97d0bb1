#pragma once
// What makes the output open as a finished map in QGIS: the default style of
// every vector layer (QML in layers/styles/, stored in `layer_styles` as QGIS
// reads it), field aliases in Chinese and English (in the style, so QGIS shows
// them in attribute tables and forms) and field descriptions with units (in
// the GeoPackage schema extension, `gpkg_data_columns`), and readable layer
// titles (`gpkg_contents.identifier`).
//
// The QML files, the field dictionary (layers/styles/fields.toml) and the
// layer titles (layers/styles/layers.toml) are compiled into the binary.

#include <map>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace relocplan::io {

struct EmbeddedFile {
  const char* name;  // file name in layers/styles/, e.g. "villages.qml"
  const char* text;
};
// Generated at build time from layers/styles/.
const std::vector<EmbeddedFile>& embedded_style_files();

// Which language the aliases and titles use: both (Chinese, then English), zh or en.
enum class AliasLanguage { both, zh, en };
// "both", "zh" or "en"; nullopt for anything else.
std::optional<AliasLanguage> parse_alias_language(const std::string& text);

struct FieldDoc {
  std::string en, zh;  // short aliases with the unit
  std::string unit;
  std::string description, description_zh;
};

struct LayerTitle {
  std::string en, zh;
};

class StyleCatalog {
 public:
  // The embedded catalogue, parsed once. Throws InternalError if an embedded
  // file is malformed (a build problem, caught by the tests).
  static const StyleCatalog& embedded();

  const FieldDoc* field(const std::string& layer, const std::string& field) const;
  const LayerTitle* title(const std::string& layer) const;
  // The layer's QML as stored in layers/styles/, if it has one.
  const std::string* qml(const std::string& layer) const;
  std::vector<std::string> styled_layers() const;
  std::vector<std::string> documented_layers() const;
  std::vector<std::string> documented_fields(const std::string& layer) const;  // by name

  std::string alias(const FieldDoc& doc, AliasLanguage lang) const;
  std::string title_text(const std::string& layer, AliasLanguage lang) const;  // the layer name when unknown
  // The QML with an <aliases> element for the given columns added.
  std::optional<std::string> default_style(const std::string& layer, const std::vector<std::string>& columns,
                                           AliasLanguage lang) const;

 private:
  std::map<std::string, std::string> qml_;
  std::map<std::string, std::map<std::string, FieldDoc>> fields_;
  std::map<std::string, LayerTitle> titles_;
};

// A vector layer or attribute table of the GeoPackage being finished.
struct WrittenLayer {
  std::string name;
  bool has_geometry = false;
  std::vector<std::string> columns;  // without fid and geom
  // A view shares the default style and the field descriptions of its table.
  std::string like;  // that table; empty for a table
  const std::string& style_source() const { return like.empty() ? name : like; }
};

// Writes the default styles into `layer_styles` (created and registered in
// gpkg_contents as QGIS does) and the field descriptions into
// `gpkg_data_columns` (registered as the gpkg_schema extension), in one
// transaction on an open GeoPackage. `when` is the update_time stored with
// each style (ISO 8601, UTC).
void write_styles_and_field_docs(sqlite3* db, const std::vector<WrittenLayer>& layers, AliasLanguage lang,
                                 const std::string& when);

// XML text escaping (&, <, >, ", ').
std::string xml_escape(const std::string& text);

}  // namespace relocplan::io
