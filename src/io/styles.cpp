#include "relocplan/io/styles.hpp"

#include <sqlite3.h>

#include <memory>
#include <set>
#include <toml++/toml.h>

#include "relocplan/core/error.hpp"

namespace relocplan::io {

std::optional<AliasLanguage> parse_alias_language(const std::string& text) {
  if (text == "both") return AliasLanguage::both;
  if (text == "zh") return AliasLanguage::zh;
  if (text == "en") return AliasLanguage::en;
  return std::nullopt;
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

std::string str(const toml::table& t, const char* key, const std::string& where) {
  if (const auto* n = t.get(key)) {
    if (auto v = n->value<std::string>()) return *v;
    throw core::InternalError(where + "." + key + " must be a string");
  }
  return {};
}

void check_keys(const toml::table& t, std::initializer_list<const char*> allowed, const std::string& where) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || k.str() == a;
    if (!ok) throw core::InternalError(where + ": unknown key '" + std::string(k.str()) + "'");
  }
}

toml::table parse(const EmbeddedFile& f) {
  try {
    return toml::parse(f.text, std::string_view(f.name));
  } catch (const toml::parse_error& e) {
    throw core::InternalError(std::string("embedded layers/styles/") + f.name + " is not valid TOML: " +
                              std::string(e.description()));
  }
}

}  // namespace

const StyleCatalog& StyleCatalog::embedded() {
  static const StyleCatalog catalog = [] {
    StyleCatalog c;
    for (const auto& f : embedded_style_files()) {
      const std::string name = f.name;
      const auto dot = name.rfind('.');
      const std::string stem = name.substr(0, dot), ext = dot == std::string::npos ? "" : name.substr(dot);
      if (ext == ".qml") {
        c.qml_[stem] = f.text;
      } else if (name == "fields.toml") {
        const toml::table doc = parse(f);
        for (const auto& [layer, fields] : doc) {
          const auto* ft = fields.as_table();
          if (!ft) throw core::InternalError("fields.toml: [" + std::string(layer.str()) + "] must be a table");
          auto& out = c.fields_[std::string(layer.str())];
          for (const auto& [field, spec] : *ft) {
            const std::string where = "fields.toml: " + std::string(layer.str()) + "." + std::string(field.str());
            const auto* st = spec.as_table();
            if (!st) throw core::InternalError(where + " must be a table");
            check_keys(*st, {"en", "zh", "unit", "description", "description_zh"}, where);
            FieldDoc d{str(*st, "en", where), str(*st, "zh", where), str(*st, "unit", where),
                       str(*st, "description", where), str(*st, "description_zh", where)};
            if (d.en.empty() || d.zh.empty()) throw core::InternalError(where + " needs en and zh");
            out[std::string(field.str())] = std::move(d);
          }
        }
      } else if (name == "layers.toml") {
        const toml::table doc = parse(f);
        for (const auto& [layer, spec] : doc) {
          const std::string where = "layers.toml: " + std::string(layer.str());
          const auto* st = spec.as_table();
          if (!st) throw core::InternalError(where + " must be a table");
          check_keys(*st, {"en", "zh"}, where);
          c.titles_[std::string(layer.str())] = {str(*st, "en", where), str(*st, "zh", where)};
        }
      } else {
        throw core::InternalError("unexpected embedded file layers/styles/" + name);
      }
    }
    return c;
  }();
  return catalog;
}

const FieldDoc* StyleCatalog::field(const std::string& layer, const std::string& field) const {
  auto l = fields_.find(layer);
  if (l == fields_.end()) return nullptr;
  auto f = l->second.find(field);
  return f == l->second.end() ? nullptr : &f->second;
}

const LayerTitle* StyleCatalog::title(const std::string& layer) const {
  auto it = titles_.find(layer);
  return it == titles_.end() ? nullptr : &it->second;
}

const std::string* StyleCatalog::qml(const std::string& layer) const {
  auto it = qml_.find(layer);
  return it == qml_.end() ? nullptr : &it->second;
}

std::vector<std::string> StyleCatalog::styled_layers() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : qml_) out.push_back(k);
  return out;
}

std::vector<std::string> StyleCatalog::documented_layers() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : fields_) out.push_back(k);
  return out;
}

std::vector<std::string> StyleCatalog::documented_fields(const std::string& layer) const {
  std::vector<std::string> out;
  if (auto it = fields_.find(layer); it != fields_.end())
    for (const auto& [k, v] : it->second) out.push_back(k);
  return out;
}

std::string StyleCatalog::alias(const FieldDoc& doc, AliasLanguage lang) const {
  switch (lang) {
    case AliasLanguage::zh: return doc.zh;
    case AliasLanguage::en: return doc.en;
    case AliasLanguage::both: break;
  }
  return doc.zh + " / " + doc.en;
}

std::string StyleCatalog::title_text(const std::string& layer, AliasLanguage lang) const {
  const LayerTitle* t = title(layer);
  if (!t) return layer;
  switch (lang) {
    case AliasLanguage::zh: return t->zh;
    case AliasLanguage::en: return t->en;
    case AliasLanguage::both: break;
  }
  return t->zh + " / " + t->en;
}

std::optional<std::string> StyleCatalog::default_style(const std::string& layer, const std::vector<std::string>& columns,
                                                      AliasLanguage lang) const {
  const std::string* q = qml(layer);
  if (!q) return std::nullopt;
  std::string aliases = " <aliases>\n";
  int index = 1;  // QGIS counts the fid column as field 0
  for (const auto& c : columns) {
    const FieldDoc* d = field(layer, c);
    aliases += "  <alias field=\"" + xml_escape(c) + "\" index=\"" + std::to_string(index++) + "\" name=\"" +
               (d ? xml_escape(alias(*d, lang)) : std::string()) + "\"/>\n";
  }
  aliases += " </aliases>\n";
  std::string out = *q;
  const auto end = out.rfind("</qgis>");
  if (end == std::string::npos) throw core::InternalError("layers/styles/" + layer + ".qml has no </qgis>");
  out.insert(end, aliases);
  return out;
}

// ---------------------------------------------------------------------------

namespace {

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK)
      throw core::OutputError(std::string("cannot prepare '") + sql + "': " + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(st_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind_null(int i) {
    sqlite3_bind_null(st_, i);
    return *this;
  }
  void run() {
    const int rc = sqlite3_step(st_);
    if (rc != SQLITE_DONE) throw core::OutputError(std::string("writing styles failed: ") + sqlite3_errmsg(db_));
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw core::OutputError("writing styles and field descriptions failed: " + msg);
  }
}

bool table_exists(sqlite3* db, const char* name) {
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1, &st, nullptr);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  const bool found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return found;
}

}  // namespace

void write_styles_and_field_docs(sqlite3* db, const std::vector<WrittenLayer>& layers, AliasLanguage lang,
                                 const std::string& when) {
  const StyleCatalog& cat = StyleCatalog::embedded();
  exec(db, "BEGIN");
  try {
    // Field descriptions: the GeoPackage schema extension.
    exec(db,
         "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
         "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
         "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name));"
         "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT NOT NULL, "
         "constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, "
         "max_is_inclusive BOOLEAN, description TEXT, "
         "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));"
         // GDAL creates gpkg_extensions only when it needs it (not for a file of
         // attribute tables alone); this is the standard's definition.
         "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
         "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
         "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));"
         "INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES "
         "('gpkg_data_columns', NULL, 'gpkg_schema', 'http://www.geopackage.org/spec121/#extension_schema', "
         "'read-write'), ('gpkg_data_column_constraints', NULL, 'gpkg_schema', "
         "'http://www.geopackage.org/spec121/#extension_schema', 'read-write');");
    {
      Statement ins(db,
                    "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description) "
                    "VALUES (?, ?, ?, ?, ?)");
      for (const auto& l : layers)
        for (const auto& c : l.columns) {
          const FieldDoc* d = cat.field(l.style_source(), c);
          if (!d) continue;
          std::string description = d->description;
          if (!d->unit.empty()) description += " Unit: " + d->unit + ".";
          if (!d->description_zh.empty()) description += " | " + d->description_zh;
          ins.bind(1, l.name).bind(2, c).bind(3, d->en).bind(4, d->zh).bind(5, description).run();
        }
    }
    // Default styles, in the table QGIS itself creates when it saves a style.
    bool any_style = false;
    for (const auto& l : layers) any_style = any_style || (l.has_geometry && cat.qml(l.style_source()));
    if (any_style) {
      if (!table_exists(db, "layer_styles")) {
        exec(db,
             "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
             "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
             "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, "
             "description TEXT, owner TEXT(30), ui TEXT(30), "
             "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))");
        Statement reg(db,
                      "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) "
                      "VALUES ('layer_styles', 'attributes', 'layer_styles', "
                      "'Default QGIS styles of the layers', ?, 0)");
        reg.bind(1, when).run();
      }
      Statement ins(db,
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                    "VALUES ('', '', ?, 'geom', ?, ?, '', 1, ?, '', NULL, ?)");
      for (const auto& l : layers) {
        if (!l.has_geometry) continue;
        auto qml = cat.default_style(l.style_source(), l.columns, lang);
        if (!qml) continue;
        ins.bind(1, l.name)
            .bind(2, l.name)
            .bind(3, *qml)
            .bind(4, "relocplan default style: " + cat.title_text(l.style_source(), AliasLanguage::en))
            .bind(5, when)
            .run();
      }
    }
    exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace relocplan::io
