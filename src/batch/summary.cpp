#include "relocplan/batch/summary.hpp"

#include <cpl_conv.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>

#include "relocplan/core/error.hpp"
#include "relocplan/core/version.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/vector/crs.hpp"
#include "relocplan/vector/geos.hpp"

namespace relocplan::batch {

namespace fs = std::filesystem;

bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && digit(a[i2])) ++i2;
      while (j2 < b.size() && digit(b[j2])) ++j2;
      // Compare the runs as numbers: strip leading zeros, then length, then digits.
      std::size_t ia = i, jb = j;
      while (ia + 1 < i2 && a[ia] == '0') ++ia;
      while (jb + 1 < j2 && b[jb] == '0') ++jb;
      if (i2 - ia != j2 - jb) return i2 - ia < j2 - jb;
      const int c = a.compare(ia, i2 - ia, b, jb, j2 - jb);
      if (c != 0) return c < 0;
      if (i2 - i != j2 - j) return i2 - i < j2 - j;  // "01" after "1": still a strict order
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

namespace {

// ---------------------------------------------------------------------------
// SQLite, with every return code checked.

class Statement;

class Database {
 public:
  Database() {
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr) !=
        SQLITE_OK) {
      const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw core::InternalError("batch summary: cannot open an in-memory SQLite database: " + msg);
    }
  }
  ~Database() { sqlite3_close(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* get() const { return db_; }
  std::string error() const { return sqlite3_errmsg(db_); }

  // Runs statements without results. `what` names the work for the message.
  void exec(const std::string& sql, const std::string& what) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : error();
      sqlite3_free(err);
      throw core::InternalError("batch summary: " + what + ": " + msg);
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

// A prepared statement. Errors are InputError when the statement reads a job's
// GeoPackage (the file is what is wrong), InternalError otherwise.
class Statement {
 public:
  Statement(Database& db, const std::string& sql, std::string context, bool input = false)
      : db_(db), context_(std::move(context)), input_(input) {
    if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &st_, nullptr) != SQLITE_OK) fail("cannot prepare a query");
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    check(sqlite3_bind_text(st_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(st_, i, v));
    return *this;
  }
  Statement& bind_null(int i) {
    check(sqlite3_bind_null(st_, i));
    return *this;
  }
  template <class T>
  Statement& bind(int i, const std::optional<T>& v) {
    if (v) return bind(i, *v);
    return bind_null(i);
  }

  // True while there is a row.
  bool step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("query failed");
    return false;
  }
  void run() {
    while (step()) {
    }
  }
  void reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }

  bool is_null(int c) const { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
  std::int64_t integer(int c) const { return sqlite3_column_int64(st_, c); }
  double real(int c) const { return sqlite3_column_double(st_, c); }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(st_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st_, c)))
             : std::string();
  }
  std::optional<std::string> opt_text(int c) const {
    if (is_null(c)) return std::nullopt;
    return text(c);
  }
  std::string blob(int c) const {
    const void* p = sqlite3_column_blob(st_, c);
    return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st_, c)))
             : std::string();
  }
  // The column as an io::Value of the declared type (NULL stays NULL).
  io::Value value(int c, io::ColumnType type) const {
    if (is_null(c)) return std::monostate{};
    switch (type) {
      case io::ColumnType::integer: return integer(c);
      case io::ColumnType::real: return real(c);
      case io::ColumnType::text: return text(c);
    }
    return std::monostate{};
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail("cannot bind a query parameter");
  }
  [[noreturn]] void fail(const std::string& what) {
    const std::string msg = context_ + ": " + what + ": " + db_.error();
    if (input_) throw core::InputError(msg);
    throw core::InternalError("batch summary: " + msg);
  }

  Database& db_;
  sqlite3_stmt* st_ = nullptr;
  std::string context_;
  bool input_;
};

std::string quote_id(const std::string& name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

// SQLite URI of a file, opened read-only (https://sqlite.org/uri.html).
std::string readonly_uri(const fs::path& path) {
  std::string uri = "file:";
  for (char c : fs::absolute(path).string()) {
    switch (c) {
      case '%': uri += "%25"; break;
      case '?': uri += "%3f"; break;
      case '#': uri += "%23"; break;
      default: uri += c;
    }
  }
  return uri + "?mode=ro";
}

// ---------------------------------------------------------------------------
// Geometry: GeoPackage binary -> WKB -> (transformed) -> GEOS.

// The standard WKB inside a GeoPackage geometry blob (GeoPackage 1.3, 2.1.3),
// or an empty string for an empty or missing geometry. Throws InputError on a
// blob that is not a GeoPackage geometry.
std::string gpkg_blob_to_wkb(const std::string& blob, const std::string& context) {
  if (blob.empty()) return {};
  if (blob.size() < 8 || blob[0] != 'G' || blob[1] != 'P')
    throw core::InputError(context + ": a geometry is not in GeoPackage binary format");
  const auto flags = static_cast<unsigned char>(blob[3]);
  if (flags & 0x20) throw core::InputError(context + ": extended GeoPackage geometry types are not supported");
  if (flags & 0x10) return {};  // empty geometry
  static constexpr std::size_t kEnvelopeBytes[] = {0, 32, 48, 48, 64};
  const unsigned envelope = (flags >> 1) & 0x7;
  if (envelope > 4) throw core::InputError(context + ": a geometry has an invalid envelope code");
  const std::size_t offset = 8 + kEnvelopeBytes[envelope];
  if (blob.size() <= offset) throw core::InputError(context + ": a geometry blob is truncated");
  return blob.substr(offset);
}

// Reprojects WKB geometries between two CRSs with OGR (PROJ underneath).
class WkbTransform {
 public:
  WkbTransform(const vector::Crs& from, const vector::Crs& to, const std::string& context) : context_(context) {
    CPLErrorReset();
    ct_ = OCTNewCoordinateTransformation(from.handle(), to.handle());
    if (!ct_)
      throw core::InputError(context + ": cannot transform from " + from.describe() + " to " + to.describe() + ": " +
                             core::last_gdal_error());
  }
  ~WkbTransform() {
    if (ct_) OCTDestroyCoordinateTransformation(ct_);
  }
  WkbTransform(const WkbTransform&) = delete;
  WkbTransform& operator=(const WkbTransform&) = delete;

  std::string operator()(const std::string& wkb) const {
    OGRGeometryH g = nullptr;
    if (OGR_G_CreateFromWkb(wkb.data(), nullptr, &g, static_cast<int>(wkb.size())) != OGRERR_NONE || !g)
      throw core::InputError(context_ + ": a geometry is not valid WKB");
    std::unique_ptr<void, void (*)(OGRGeometryH)> guard(g, OGR_G_DestroyGeometry);
    if (OGR_G_Transform(g, ct_) != OGRERR_NONE)
      throw core::InputError(context_ + ": a geometry cannot be transformed to the summary's CRS");
    std::string out(static_cast<std::size_t>(OGR_G_WkbSize(g)), '\0');
    if (OGR_G_ExportToIsoWkb(g, wkbNDR, reinterpret_cast<unsigned char*>(out.data())) != OGRERR_NONE)
      throw core::InternalError("batch summary: cannot write a transformed geometry as WKB");
    return out;
  }

 private:
  OGRCoordinateTransformationH ct_ = nullptr;
  std::string context_;
};

vector::GeomPtr geos_from_wkb(GEOSContextHandle_t ctx, const std::string& wkb, const std::string& context) {
  GEOSWKBReader* r = GEOSWKBReader_create_r(ctx);
  if (!r) throw core::InternalError("batch summary: cannot create a GEOS WKB reader");
  GEOSGeometry* g =
      GEOSWKBReader_read_r(ctx, r, reinterpret_cast<const unsigned char*>(wkb.data()), wkb.size());
  GEOSWKBReader_destroy_r(ctx, r);
  if (!g) throw core::InputError(context + ": a geometry cannot be read");
  return vector::wrap(ctx, g);
}

// The polygons of a geometry (GEOSMakeValid can add lines or points along
// collapsed parts), as a MultiPolygon; null when it has none.
vector::GeomPtr polygonal(GEOSContextHandle_t ctx, vector::GeomPtr g) {
  const int type = GEOSGeomTypeId_r(ctx, g.get());
  if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) return g;
  std::vector<GEOSGeometry*> parts;
  const int n = GEOSGetNumGeometries_r(ctx, g.get());
  for (int i = 0; i < n; ++i) {
    const GEOSGeometry* part = GEOSGetGeometryN_r(ctx, g.get(), i);
    const int pt = GEOSGeomTypeId_r(ctx, part);
    if (pt == GEOS_POLYGON) {
      parts.push_back(GEOSGeom_clone_r(ctx, part));
    } else if (pt == GEOS_MULTIPOLYGON) {
      for (int k = 0; k < GEOSGetNumGeometries_r(ctx, part); ++k)
        parts.push_back(GEOSGeom_clone_r(ctx, GEOSGetGeometryN_r(ctx, part, k)));
    }
  }
  if (parts.empty()) return vector::GeomPtr(nullptr, vector::GeomDeleter{ctx});
  return vector::wrap(ctx, GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts.data(),
                                                       static_cast<unsigned>(parts.size())));
}

// ---------------------------------------------------------------------------

constexpr const char* kCandidateSql = "class IN ('relocate_whole','relocate_registered')";
// Classes in the order of the assessment, then anything unexpected by name.
constexpr const char* kClassRankSql =
    "CASE class WHEN 'relocate_whole' THEN 0 WHEN 'relocate_registered' THEN 1 WHEN 'review' THEN 2 "
    "WHEN 'stay' THEN 3 ELSE 4 END";

std::string utc_now_iso() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

// Sets a thread-local GDAL option for the lifetime of the object and puts the
// previous value back afterwards.
class ScopedThreadOption {
 public:
  ScopedThreadOption(const char* key, const char* value) : key_(key) {
    if (const char* old = CPLGetThreadLocalConfigOption(key, nullptr)) old_ = old;
    CPLSetThreadLocalConfigOption(key, value);
  }
  ~ScopedThreadOption() { CPLSetThreadLocalConfigOption(key_, old_ ? old_->c_str() : nullptr); }
  ScopedThreadOption(const ScopedThreadOption&) = delete;
  ScopedThreadOption& operator=(const ScopedThreadOption&) = delete;

 private:
  const char* key_;
  std::optional<std::string> old_;
};

// What one compared job's GeoPackage holds, beyond the required villages layer.
struct JobLayers {
  bool relocating = false;         // villages.relocating_people / relocating_households
  bool unallocated = false;        // villages.unallocated_households
  bool sites = false;              // a sites layer
  bool site_capacity = false;      // sites.capacity_people / capacity_households
  bool site_allocated = false;     // sites.allocated_households
  bool allocations = false;        // an allocations layer
  bool allocation_people = false;  // allocations.people
  std::optional<vector::Crs> villages_crs, sites_crs;
};

struct JobState {
  const JobRecord* record = nullptr;
  std::int64_t rank = 0;  // position in natural job-id order, from 1
  bool compared = false;
  std::string note;  // why a done/skipped job was left out
  JobLayers layers;
};

std::string overrides_text(const JobRecord& j) {
  std::string s;
  for (const auto& [k, v] : j.overrides) s += (s.empty() ? "" : "; ") + k + " = " + v;
  return s;
}

// Reads one job's GeoPackage (attached as `job`) into the working tables.
// Throws InputError (naming the file) when it cannot be used; the caller rolls
// back what was inserted.
class JobReader {
 public:
  JobReader(Database& db, JobState& job, core::Log& log) : db_(db), job_(job), log_(log) {
    file_ = job.record->output.string();
  }

  void read() {
    const std::string ctx = "job '" + job_.record->id + "': '" + file_ + "'";
    // The first read of the file: fails here when it is not an SQLite database.
    std::set<std::string> tables;
    {
      Statement st(db_, "SELECT name FROM job.sqlite_master WHERE type IN ('table','view')", ctx, true);
      while (st.step()) tables.insert(st.text(0));
    }
    if (!tables.count("gpkg_contents") || !tables.count("gpkg_geometry_columns") ||
        !tables.count("gpkg_spatial_ref_sys"))
      throw core::InputError(ctx + ": not a GeoPackage (no gpkg_contents, gpkg_geometry_columns or gpkg_spatial_ref_sys)");
    if (!tables.count("villages")) throw core::InputError(ctx + ": has no 'villages' layer");

    const auto vcols = columns("villages", ctx);
    for (const char* required : {"village_id", "class"})
      if (!vcols.count(required))
        throw core::InputError(ctx + ": layer 'villages' has no field '" + std::string(required) + "'");
    const auto vgeom = geometry_column("villages", ctx);
    job_.layers.villages_crs = layer_crs("villages", ctx);
    if (!job_.layers.villages_crs) throw core::InputError(ctx + ": layer 'villages' has no defined CRS");
    job_.layers.relocating = vcols.count("relocating_people") && vcols.count("relocating_households");
    job_.layers.unallocated = vcols.count("unallocated_households") > 0;

    // A split job contributes the villages (and sites) of its own county.
    std::string scope;
    if (job_.record->split_value) {
      if (!vcols.count("county")) {
        log_.warn(ctx + ": the villages have no 'county' field; all of them count for split value '" +
                  *job_.record->split_value + "'");
      } else {
        Statement st(db_, "SELECT COUNT(*) FROM job.villages WHERE county = ?1", ctx, true);
        st.bind(1, *job_.record->split_value);
        st.step();
        if (st.integer(0) > 0) scope = " WHERE county = ?2";
        else
          log_.warn(ctx + ": no village has county '" + *job_.record->split_value +
                    "' (the job's split value); all of its villages count");
      }
    }
    auto col = [&](const std::set<std::string>& cols, const std::string& name) {
      return cols.count(name) ? quote_id(name) : std::string("NULL");
    };
    {
      Statement st(db_,
                   "INSERT INTO village_obs (job_rank, village_id, name, county, class, relocating_people, "
                   "relocating_households, unallocated_households, geom) SELECT ?1, CAST(village_id AS TEXT), " +
                       col(vcols, "name") + ", " + col(vcols, "county") + ", class, " +
                       col(vcols, "relocating_people") + ", " + col(vcols, "relocating_households") + ", " +
                       col(vcols, "unallocated_households") + ", " + (vgeom ? quote_id(*vgeom) : "NULL") +
                       " FROM job.villages" + (scope.empty() ? " WHERE" : scope + " AND") +
                       " village_id IS NOT NULL ORDER BY CAST(village_id AS TEXT)",
                   ctx, true);
      st.bind(1, job_.rank);
      if (!scope.empty()) st.bind(2, *job_.record->split_value);
      st.run();
    }

    if (tables.count("sites")) {
      const auto scols = columns("sites", ctx);
      if (!scols.count("site_id")) throw core::InputError(ctx + ": layer 'sites' has no field 'site_id'");
      const auto sgeom = geometry_column("sites", ctx);
      if (!sgeom) throw core::InputError(ctx + ": layer 'sites' has no geometry column");
      job_.layers.sites = true;
      job_.layers.sites_crs = layer_crs("sites", ctx);
      if (!job_.layers.sites_crs) throw core::InputError(ctx + ": layer 'sites' has no defined CRS");
      job_.layers.site_capacity = scols.count("capacity_people") && scols.count("capacity_households");
      job_.layers.site_allocated = scols.count("allocated_households") > 0;
      const bool site_scope = !scope.empty() && scols.count("county");
      Statement st(db_,
                   "INSERT INTO site_obs (job_rank, site_id, county, capacity_people, capacity_households, "
                   "allocated_households, geom) SELECT ?1, CAST(site_id AS TEXT), " +
                       col(scols, "county") + ", " + col(scols, "capacity_people") + ", " +
                       col(scols, "capacity_households") + ", " + col(scols, "allocated_households") + ", " +
                       quote_id(*sgeom) + " FROM job.sites" + (site_scope ? " WHERE county = ?2" : "") +
                       " ORDER BY CAST(site_id AS TEXT)",
                   ctx, true);
      st.bind(1, job_.rank);
      if (site_scope) st.bind(2, *job_.record->split_value);
      st.run();
    }

    if (tables.count("allocations")) {
      const auto acols = columns("allocations", ctx);
      for (const char* required : {"village_id", "households"})
        if (!acols.count(required))
          throw core::InputError(ctx + ": layer 'allocations' has no field '" + std::string(required) + "'");
      job_.layers.allocations = true;
      job_.layers.allocation_people = acols.count("people") > 0;
      // Only allocations of villages in the job's scope (inner join).
      Statement st(db_,
                   "INSERT INTO alloc_obs (job_rank, village_id, households, people, cost, cost_unit) "
                   "SELECT ?1, CAST(a.village_id AS TEXT), a.households, " +
                       (acols.count("people") ? std::string("a.people") : "NULL") + ", " +
                       (acols.count("cost") ? std::string("a.cost") : "NULL") + ", " +
                       (acols.count("cost_unit") ? std::string("a.cost_unit") : "NULL") +
                       " FROM job.allocations a WHERE CAST(a.village_id AS TEXT) IN "
                       "(SELECT village_id FROM village_obs WHERE job_rank = ?1)",
                   ctx, true);
      st.bind(1, job_.rank);
      st.run();
    }
  }

 private:
  std::set<std::string> columns(const std::string& table, const std::string& ctx) {
    std::set<std::string> cols;
    Statement st(db_, "PRAGMA job.table_info(" + quote_id(table) + ")", ctx, true);
    while (st.step()) cols.insert(st.text(1));
    return cols;
  }

  std::optional<std::string> geometry_column(const std::string& table, const std::string& ctx) {
    Statement st(db_, "SELECT column_name FROM job.gpkg_geometry_columns WHERE table_name = ?1", ctx, true);
    st.bind(1, table);
    if (st.step()) return st.text(0);
    return std::nullopt;
  }

  // The layer's CRS from gpkg_spatial_ref_sys; none when it is undefined.
  std::optional<vector::Crs> layer_crs(const std::string& table, const std::string& ctx) {
    Statement st(db_,
                 "SELECT s.srs_id, s.definition, s.organization, s.organization_coordsys_id "
                 "FROM job.gpkg_geometry_columns c JOIN job.gpkg_spatial_ref_sys s ON s.srs_id = c.srs_id "
                 "WHERE c.table_name = ?1",
                 ctx, true);
    st.bind(1, table);
    if (!st.step() || st.integer(0) <= 0) return std::nullopt;
    const std::string definition = st.text(1);
    const std::string org = st.text(2);
    const std::int64_t code = st.is_null(3) ? 0 : st.integer(3);
    if (!definition.empty() && definition != "undefined") {
      try {
        return vector::Crs::from_wkt(definition);
      } catch (const core::Error&) {
      }
    }
    if ((org == "EPSG" || org == "epsg") && code > 0) {
      try {
        return vector::Crs::from_epsg(static_cast<int>(code));
      } catch (const core::Error&) {
      }
    }
    throw core::InputError(ctx + ": the CRS of layer '" + table + "' (srs_id " + std::to_string(st.integer(0)) +
                           ") cannot be read");
  }

  Database& db_;
  JobState& job_;
  core::Log& log_;
  std::string file_;
};

// ---------------------------------------------------------------------------
// Tables of the summary.

using io::ColumnType;

io::Table jobs_table(const std::vector<JobState>& jobs) {
  io::Table t;
  t.name = "jobs";
  t.description = "Every job of the batch: variant, overrides, split value, sample, status, and whether it was compared";
  t.columns = {{"job_id", ColumnType::text},      {"variant", ColumnType::text},   {"overrides", ColumnType::text},
               {"split_value", ColumnType::text}, {"sample", ColumnType::integer}, {"status", ColumnType::text},
               {"exit_code", ColumnType::integer}, {"message", ColumnType::text},  {"seconds", ColumnType::real},
               {"scenario", ColumnType::text},    {"output", ColumnType::text},    {"compared", ColumnType::integer},
               {"note", ColumnType::text}};
  for (const JobState& js : jobs) {
    const JobRecord& j = *js.record;
    std::vector<io::Value> row;
    row.emplace_back(j.id);
    row.emplace_back(j.variant);
    row.emplace_back(overrides_text(j));
    row.emplace_back(j.split_value ? io::Value(*j.split_value) : io::Value(std::monostate{}));
    row.emplace_back(j.sample ? io::Value(static_cast<std::int64_t>(*j.sample)) : io::Value(std::monostate{}));
    row.emplace_back(std::string(to_string(j.status)));
    row.emplace_back(static_cast<std::int64_t>(j.exit_code));
    row.emplace_back(j.message.empty() ? io::Value(std::monostate{}) : io::Value(j.message));
    row.emplace_back(j.seconds);
    row.emplace_back(j.scenario.empty() ? io::Value(std::monostate{}) : io::Value(j.scenario.string()));
    row.emplace_back(j.output.empty() ? io::Value(std::monostate{}) : io::Value(j.output.string()));
    row.emplace_back(static_cast<std::int64_t>(js.compared ? 1 : 0));
    row.emplace_back(js.note.empty() ? io::Value(std::monostate{}) : io::Value(js.note));
    t.rows.push_back(std::move(row));
  }
  return t;
}

// The per-county aggregate of job_summary; `key` is the grouping expression
// for the county ("county", or the literal of the total row).
std::string job_summary_sql(const std::string& key, int is_total) {
  const std::string k = key;
  // Every compared job has its total row, even one with no village or site
  // in its scope; the per-county rows come from the counties seen.
  const std::string keys = is_total ? "SELECT job_rank, " + k + " AS county FROM job_info"
                                    : "SELECT job_rank, " + k + " AS county FROM village_obs UNION SELECT job_rank, " +
                                          k + " FROM site_obs";
  return "WITH keys AS (" + keys + "),\n"
         " v AS (SELECT job_rank, " + k + " AS county, COUNT(*) AS villages, SUM(" + kCandidateSql +
         ") AS candidates, SUM(class = 'relocate_whole') AS rw, SUM(class = 'relocate_registered') AS rr, "
         "SUM(class = 'review') AS rv, SUM(class = 'stay') AS st, SUM(relocating_people) AS rp, "
         "SUM(relocating_households) AS rh, SUM(unallocated_households) AS uh FROM village_obs GROUP BY 1, 2),\n"
         " s AS (SELECT job_rank, " + k + " AS county, COUNT(*) AS sites, SUM(capacity_people) AS cp, "
         "SUM(capacity_households) AS ch FROM site_obs GROUP BY 1, 2),\n"
         " a AS (SELECT o.job_rank, " + (is_total ? k : "o.county") + " AS county, SUM(a.households) AS ah, "
         "SUM(a.people) AS ap, SUM(a.cost * a.households) / SUM(CASE WHEN a.cost IS NOT NULL THEN a.households END) "
         "AS mean_cost, MAX(a.cost) AS max_cost, MIN(a.cost_unit) AS unit FROM alloc_obs a JOIN village_obs o "
         "ON o.job_rank = a.job_rank AND o.village_id = a.village_id GROUP BY 1, 2)\n"
         "SELECT j.job_rank, j.job_id, j.variant, j.split_value, j.sample, keys.county, " + std::to_string(is_total) +
         ", COALESCE(v.villages, 0), COALESCE(v.candidates, 0), COALESCE(v.rw, 0), COALESCE(v.rr, 0), "
         "COALESCE(v.rv, 0), COALESCE(v.st, 0), "
         "CASE WHEN j.relocating THEN COALESCE(v.rp, 0) END, CASE WHEN j.relocating THEN COALESCE(v.rh, 0) END, "
         "CASE WHEN j.sites THEN COALESCE(s.sites, 0) END, "
         "CASE WHEN j.site_capacity THEN COALESCE(s.cp, 0) END, CASE WHEN j.site_capacity THEN COALESCE(s.ch, 0) END, "
         "CASE WHEN j.allocations THEN COALESCE(a.ah, 0) END, "
         "CASE WHEN j.allocations AND j.alloc_people THEN COALESCE(a.ap, 0) END, "
         "CASE WHEN j.unallocated THEN COALESCE(v.uh, 0) END, "
         "CASE WHEN j.allocations THEN a.mean_cost END, CASE WHEN j.allocations THEN a.max_cost END, "
         "CASE WHEN j.allocations THEN COALESCE(a.unit, j.cost_unit) END "
         "FROM keys JOIN job_info j ON j.job_rank = keys.job_rank "
         "LEFT JOIN v ON v.job_rank = keys.job_rank AND v.county IS keys.county "
         "LEFT JOIN s ON s.job_rank = keys.job_rank AND s.county IS keys.county "
         "LEFT JOIN a ON a.job_rank = keys.job_rank AND a.county IS keys.county";
}

io::Table job_summary_table(Database& db) {
  io::Table t;
  t.name = "job_summary";
  t.description = "Per job and county (and a total row per job, county '(all)'): candidate villages, relocating "
                  "people and households, sites and capacity, allocated and unallocated households, travel";
  t.columns = {{"job_id", ColumnType::text},
               {"variant", ColumnType::text},
               {"split_value", ColumnType::text},
               {"sample", ColumnType::integer},
               {"county", ColumnType::text},
               {"is_total", ColumnType::integer},
               {"villages", ColumnType::integer},
               {"candidate_villages", ColumnType::integer},
               {"relocate_whole", ColumnType::integer},
               {"relocate_registered", ColumnType::integer},
               {"review", ColumnType::integer},
               {"stay", ColumnType::integer},
               {"relocating_people", ColumnType::integer},
               {"relocating_households", ColumnType::integer},
               {"sites", ColumnType::integer},
               {"capacity_people", ColumnType::integer},
               {"capacity_households", ColumnType::integer},
               {"allocated_households", ColumnType::integer},
               {"allocated_people", ColumnType::integer},
               {"unallocated_households", ColumnType::integer},
               {"mean_travel", ColumnType::real},
               {"max_travel", ColumnType::real},
               {"travel_unit", ColumnType::text}};
  const std::string all = std::string("'") + kAllCounties + "'";
  const std::string sql = "SELECT * FROM (" + job_summary_sql("county", 0) + ") UNION ALL SELECT * FROM (" +
                          job_summary_sql(all, 1) + ") ORDER BY 1, 7, 6";
  Statement st(db, sql, "job_summary");
  while (st.step()) {
    std::vector<io::Value> row;
    for (std::size_t c = 0; c < t.columns.size(); ++c) row.push_back(st.value(static_cast<int>(c) + 1, t.columns[c].type));
    t.rows.push_back(std::move(row));
  }
  return t;
}

struct Geometries {
  const vector::Crs* target = nullptr;
  // Per (job rank, layer): the transformation to the summary's CRS, or null
  // when the layer is already in it.
  std::map<std::pair<std::int64_t, std::string>, std::unique_ptr<WkbTransform>> transforms;

  // WKB in the summary's CRS of a geometry blob from a job's layer.
  std::string wkb(const JobState& job, const std::string& layer, const vector::Crs& from, const std::string& blob) {
    const std::string ctx = "job '" + job.record->id + "': '" + job.record->output.string() + "', layer '" + layer + "'";
    std::string w = gpkg_blob_to_wkb(blob, ctx);
    auto key = std::make_pair(job.rank, layer);
    auto it = transforms.find(key);
    if (it == transforms.end())
      it = transforms.emplace(key, from.same_as(*target) ? nullptr : std::make_unique<WkbTransform>(from, *target, ctx))
               .first;
    if (w.empty() || !it->second) return w;
    return (*it->second)(w);
  }
};

io::Table village_robustness_table(Database& db, const std::vector<JobState*>& by_rank, Geometries& geoms,
                                   bool sensitivity) {
  io::Table t;
  t.name = "village_robustness";
  t.description = "Per village across the compared jobs: how often it is a relocation candidate, the classes seen, "
                  "the variants in which it is a candidate";
  t.has_geometry = true;
  t.geometry_type = wkbPoint;
  t.crs_wkt = geoms.target->wkt();
  t.columns = {{"village_id", ColumnType::text},
               {"name", ColumnType::text},
               {"county", ColumnType::text},
               {"jobs_assessed", ColumnType::integer},
               {"jobs_candidate", ColumnType::integer},
               {"candidate_share", ColumnType::real},
               {"jobs_relocate_whole", ColumnType::integer},
               {"jobs_relocate_registered", ColumnType::integer},
               {"jobs_review", ColumnType::integer},
               {"jobs_stay", ColumnType::integer},
               {"sensitivity_runs", ColumnType::integer},
               {"sensitivity_candidate_share", ColumnType::real},
               {"classes_seen", ColumnType::text},
               {"candidate_variants", ColumnType::text}};

  // Ordered lists, built from ordered queries (group_concat's order is not defined).
  std::map<std::string, std::string> classes, variants;
  {
    Statement st(db,
                 std::string("SELECT DISTINCT village_id, class, ") + kClassRankSql +
                     " AS r FROM village_obs WHERE class IS NOT NULL ORDER BY village_id, r, class",
                 "village_robustness");
    while (st.step()) {
      std::string& s = classes[st.text(0)];
      s += (s.empty() ? "" : ", ") + st.text(1);
    }
  }
  {
    Statement st(db,
                 std::string("SELECT DISTINCT o.village_id, j.variant FROM village_obs o JOIN job_info j "
                             "ON j.job_rank = o.job_rank WHERE o.") +
                     kCandidateSql + " ORDER BY 1, 2",
                 "village_robustness");
    while (st.step()) {
      std::string& s = variants[st.text(0)];
      s += (s.empty() ? "" : ", ") + st.text(1);
    }
  }

  const std::string cand = std::string("o.") + kCandidateSql;
  const std::string sql =
      "WITH r AS (SELECT o.village_id, COUNT(DISTINCT o.job_rank) AS assessed, "
      "COUNT(DISTINCT CASE WHEN " + cand + " THEN o.job_rank END) AS candidate, "
      "COUNT(DISTINCT CASE WHEN o.class = 'relocate_whole' THEN o.job_rank END) AS rw, "
      "COUNT(DISTINCT CASE WHEN o.class = 'relocate_registered' THEN o.job_rank END) AS rr, "
      "COUNT(DISTINCT CASE WHEN o.class = 'review' THEN o.job_rank END) AS rv, "
      "COUNT(DISTINCT CASE WHEN o.class = 'stay' THEN o.job_rank END) AS st, "
      "COUNT(DISTINCT CASE WHEN j.sample IS NOT NULL THEN o.job_rank END) AS sens, "
      "COUNT(DISTINCT CASE WHEN j.sample IS NOT NULL AND " + cand + " THEN o.job_rank END) AS sens_candidate, "
      "MIN(o.rowid) AS first_row FROM village_obs o JOIN job_info j ON j.job_rank = o.job_rank "
      "GROUP BY o.village_id) "
      "SELECT r.village_id, f.name, f.county, r.assessed, r.candidate, CAST(r.candidate AS REAL) / r.assessed, "
      "r.rw, r.rr, r.rv, r.st, r.sens, "
      "CASE WHEN r.sens > 0 THEN CAST(r.sens_candidate AS REAL) / r.sens END, f.job_rank, f.geom "
      "FROM r JOIN village_obs f ON f.rowid = r.first_row ORDER BY r.village_id";
  Statement st(db, sql, "village_robustness");
  while (st.step()) {
    std::vector<io::Value> row;
    for (int c = 0; c < 10; ++c) row.push_back(st.value(c, t.columns[static_cast<std::size_t>(c)].type));
    if (sensitivity) {
      row.push_back(st.value(10, ColumnType::integer));
      row.push_back(st.value(11, ColumnType::real));
    } else {
      row.emplace_back(std::monostate{});
      row.emplace_back(std::monostate{});
    }
    const std::string id = st.text(0);
    auto ci = classes.find(id);
    row.push_back(ci != classes.end() ? io::Value(ci->second) : io::Value(std::monostate{}));
    auto vi = variants.find(id);
    row.push_back(vi != variants.end() ? io::Value(vi->second) : io::Value(std::monostate{}));
    const JobState& job = *by_rank.at(static_cast<std::size_t>(st.integer(12)));
    t.wkb.push_back(geoms.wkb(job, "villages", *job.layers.villages_crs, st.blob(13)));
    t.rows.push_back(std::move(row));
  }
  return t;
}

// Site groups: connected components of the "overlaps" relation.
struct SiteObs {
  std::int64_t rank = 0;
  std::string site_id, county_text;
  std::optional<std::string> county;
  std::optional<std::int64_t> capacity_people, capacity_households, allocated_households;
  vector::GeomPtr geom;
  double area = 0;
};

class UnionFind {
 public:
  explicit UnionFind(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), std::size_t{0}); }
  std::size_t find(std::size_t i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (b < a) std::swap(a, b);
    parent_[b] = a;  // the smallest index is the root: groups are ordered by their first site
  }

 private:
  std::vector<std::size_t> parent_;
};

io::Table site_frequency_table(Database& db, const std::vector<JobState*>& by_rank, Geometries& geoms,
                               GEOSContextHandle_t ctx, const std::string& geos_error) {
  io::Table t;
  t.name = "site_frequency";
  t.description = "Candidate sites grouped across jobs by overlap (more than half of the smaller site): how many "
                  "jobs selected each group, and with which capacity";
  t.has_geometry = true;
  t.geometry_type = wkbMultiPolygon;
  t.crs_wkt = geoms.target->wkt();
  t.columns = {{"group_id", ColumnType::integer},
               {"jobs_selected", ColumnType::integer},
               {"jobs_compared", ColumnType::integer},
               {"share_of_jobs", ColumnType::real},
               {"jobs_with_people", ColumnType::integer},
               {"sites", ColumnType::integer},
               {"min_capacity_people", ColumnType::integer},
               {"max_capacity_people", ColumnType::integer},
               {"min_capacity_households", ColumnType::integer},
               {"max_capacity_households", ColumnType::integer},
               {"area_ha", ColumnType::real},
               {"counties", ColumnType::text},
               {"member_sites", ColumnType::text}};

  std::vector<SiteObs> sites;
  {
    Statement st(db,
                 "SELECT job_rank, site_id, county, capacity_people, capacity_households, allocated_households, geom "
                 "FROM site_obs ORDER BY job_rank, site_id, rowid",
                 "site_frequency");
    while (st.step()) {
      const JobState& job = *by_rank.at(static_cast<std::size_t>(st.integer(0)));
      const std::string wkb = geoms.wkb(job, "sites", *job.layers.sites_crs, st.blob(6));
      if (wkb.empty()) continue;  // a site without geometry cannot overlap anything
      const std::string where = "job '" + job.record->id + "': '" + job.record->output.string() + "', site '" +
                                st.text(1) + "'";
      vector::GeomPtr g = geos_from_wkb(ctx, wkb, where);
      if (GEOSisValid_r(ctx, g.get()) != 1) {
        GEOSGeometry* fixed_geom = GEOSMakeValid_r(ctx, g.get());
        if (!fixed_geom) throw core::InputError(where + ": invalid polygon that GEOS cannot repair: " + geos_error);
        g = vector::wrap(ctx, fixed_geom);
      }
      g = polygonal(ctx, std::move(g));
      if (!g || GEOSisEmpty_r(ctx, g.get()) == 1) continue;
      SiteObs s;
      s.rank = st.integer(0);
      s.site_id = st.text(1);
      s.county = st.opt_text(2);
      if (!st.is_null(3)) s.capacity_people = st.integer(3);
      if (!st.is_null(4)) s.capacity_households = st.integer(4);
      if (!st.is_null(5)) s.allocated_households = st.integer(5);
      if (GEOSArea_r(ctx, g.get(), &s.area) != 1) throw core::InternalError("batch summary: GEOS area failed");
      s.geom = std::move(g);
      sites.push_back(std::move(s));
    }
  }

  // Candidate pairs from an STRtree of the site envelopes, kept when the
  // intersection covers more than kSiteOverlapShare of the smaller site.
  UnionFind groups(sites.size());
  if (!sites.empty()) {
    GEOSSTRtree* tree = GEOSSTRtree_create_r(ctx, 10);
    if (!tree) throw core::InternalError("batch summary: cannot create a GEOS STRtree");
    std::unique_ptr<GEOSSTRtree, std::function<void(GEOSSTRtree*)>> tree_guard(
        tree, [ctx](GEOSSTRtree* p) { GEOSSTRtree_destroy_r(ctx, p); });
    std::vector<std::size_t> index(sites.size());
    std::iota(index.begin(), index.end(), std::size_t{0});
    for (std::size_t i = 0; i < sites.size(); ++i) GEOSSTRtree_insert_r(ctx, tree, sites[i].geom.get(), &index[i]);
    struct Query {
      std::size_t self;
      std::vector<std::size_t> hits;
    } q{0, {}};
    for (std::size_t i = 0; i < sites.size(); ++i) {
      q.self = i;
      q.hits.clear();
      GEOSSTRtree_query_r(
          ctx, tree, sites[i].geom.get(),
          [](void* item, void* user) {
            auto* qq = static_cast<Query*>(user);
            const std::size_t j = *static_cast<std::size_t*>(item);
            if (j > qq->self) qq->hits.push_back(j);
          },
          &q);
      std::sort(q.hits.begin(), q.hits.end());
      for (std::size_t j : q.hits) {
        if (groups.find(i) == groups.find(j)) continue;
        if (GEOSIntersects_r(ctx, sites[i].geom.get(), sites[j].geom.get()) != 1) continue;
        vector::GeomPtr inter(GEOSIntersection_r(ctx, sites[i].geom.get(), sites[j].geom.get()),
                              vector::GeomDeleter{ctx});
        if (!inter)
          throw core::InputError("sites '" + sites[i].site_id + "' and '" + sites[j].site_id +
                                 "': GEOS cannot intersect them: " + geos_error);
        double area = 0;
        if (GEOSArea_r(ctx, inter.get(), &area) != 1) throw core::InternalError("batch summary: GEOS area failed");
        const double smaller = std::min(sites[i].area, sites[j].area);
        if (smaller > 0 && area > kSiteOverlapShare * smaller) groups.unite(i, j);
      }
    }
  }

  std::map<std::size_t, std::vector<std::size_t>> members;  // root (first site) -> sites, in site order
  for (std::size_t i = 0; i < sites.size(); ++i) members[groups.find(i)].push_back(i);

  const double unit_m = geoms.target->is_projected() ? geoms.target->linear_unit_m() : 0.0;
  std::int64_t group_id = 0;
  for (const auto& [root, list] : members) {
    std::set<std::int64_t> jobs_selected, jobs_with_people;
    bool any_allocated_field = false;
    std::set<std::string> counties;
    std::optional<std::int64_t> min_cp, max_cp, min_ch, max_ch;
    std::string member_text;
    std::vector<GEOSGeometry*> parts;
    for (std::size_t i : list) {
      const SiteObs& s = sites[i];
      const JobState& job = *by_rank.at(static_cast<std::size_t>(s.rank));
      jobs_selected.insert(s.rank);
      if (job.layers.site_allocated) any_allocated_field = true;
      if (s.allocated_households && *s.allocated_households > 0) jobs_with_people.insert(s.rank);
      if (s.county) counties.insert(*s.county);
      if (s.capacity_people) {
        min_cp = min_cp ? std::min(*min_cp, *s.capacity_people) : *s.capacity_people;
        max_cp = max_cp ? std::max(*max_cp, *s.capacity_people) : *s.capacity_people;
      }
      if (s.capacity_households) {
        min_ch = min_ch ? std::min(*min_ch, *s.capacity_households) : *s.capacity_households;
        max_ch = max_ch ? std::max(*max_ch, *s.capacity_households) : *s.capacity_households;
      }
      member_text += (member_text.empty() ? "" : "; ") + job.record->id + ":" + s.site_id;
      parts.push_back(GEOSGeom_clone_r(ctx, s.geom.get()));
    }
    // Jobs that could have selected the group: compared jobs with a sites
    // layer, unperturbed by a split or split on one of the group's counties.
    std::int64_t could = 0;
    for (std::size_t r = 1; r < by_rank.size(); ++r) {
      const JobState* job = by_rank[r];
      if (!job || !job->compared || !job->layers.sites) continue;
      if (job->record->split_value && !counties.count(*job->record->split_value) && !jobs_selected.count(job->rank))
        continue;
      ++could;
    }
    vector::GeomPtr collection(
        GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, parts.data(), static_cast<unsigned>(parts.size())),
        vector::GeomDeleter{ctx});
    if (!collection) throw core::InternalError("batch summary: GEOS cannot collect site polygons: " + geos_error);
    vector::GeomPtr merged(GEOSUnaryUnion_r(ctx, collection.get()), vector::GeomDeleter{ctx});
    if (!merged) throw core::InputError("site group " + member_text + ": GEOS cannot merge the sites: " + geos_error);
    merged = polygonal(ctx, std::move(merged));
    double area = 0;
    if (merged && GEOSArea_r(ctx, merged.get(), &area) != 1) throw core::InternalError("batch summary: GEOS area failed");

    std::string county_text;
    for (const auto& c : counties) county_text += (county_text.empty() ? "" : ", ") + c;
    auto opt = [](const std::optional<std::int64_t>& v) { return v ? io::Value(*v) : io::Value(std::monostate{}); };
    std::vector<io::Value> row;
    row.emplace_back(++group_id);
    row.emplace_back(static_cast<std::int64_t>(jobs_selected.size()));
    row.emplace_back(could);
    row.emplace_back(could > 0 ? io::Value(static_cast<double>(jobs_selected.size()) / static_cast<double>(could))
                               : io::Value(std::monostate{}));
    row.emplace_back(any_allocated_field ? io::Value(static_cast<std::int64_t>(jobs_with_people.size()))
                                         : io::Value(std::monostate{}));
    row.emplace_back(static_cast<std::int64_t>(list.size()));
    row.push_back(opt(min_cp));
    row.push_back(opt(max_cp));
    row.push_back(opt(min_ch));
    row.push_back(opt(max_ch));
    row.emplace_back(unit_m > 0 ? io::Value(area * unit_m * unit_m / 10000.0) : io::Value(std::monostate{}));
    row.emplace_back(county_text.empty() ? io::Value(std::monostate{}) : io::Value(county_text));
    row.emplace_back(member_text);
    t.rows.push_back(std::move(row));
    t.wkb.push_back(merged ? vector::to_wkb(ctx, merged.get()) : std::string());
  }
  return t;
}

io::Table batch_file_table(const SummaryInput& in) {
  io::Table t;
  t.name = "batch_file";
  t.description = "The batch file this summary was made from";
  t.columns = {{"path", ColumnType::text}, {"text", ColumnType::text}};
  std::vector<io::Value> row;
  row.emplace_back(in.batch_file.string());
  row.emplace_back(in.batch_text);
  t.rows.push_back(std::move(row));
  return t;
}

io::Table batch_log_table(const SummaryInput& in) {
  io::Table t;
  t.name = "batch_log";
  t.description = "The batch log, one row per line";
  t.columns = {{"line", ColumnType::integer}, {"text", ColumnType::text}};
  std::size_t start = 0;
  std::int64_t n = 0;
  const std::string& s = in.log_text;
  while (start < s.size()) {
    std::size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    std::string line = s.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<io::Value> row;
    row.emplace_back(++n);
    row.emplace_back(std::move(line));
    t.rows.push_back(std::move(row));
    start = end + 1;
  }
  return t;
}

}  // namespace

SummaryResult write_summary(const SummaryInput& in, core::Log& log) {
  // Reproducible GeoPackage: gpkg_contents.last_change as in every run output.
  // The creation time recorded in summary_info is the clock's, unless the
  // environment fixes it with OGR_CURRENT_DATE.
  const char* env_date = std::getenv("OGR_CURRENT_DATE");
  const std::string created = env_date && *env_date ? std::string(env_date) : utc_now_iso();
  ScopedThreadOption fixed_date("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");

  // Jobs in natural id order; ids must be unique (they name the GeoPackages).
  std::vector<JobState> jobs(in.jobs.size());
  for (std::size_t i = 0; i < in.jobs.size(); ++i) jobs[i].record = &in.jobs[i];
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const JobState& a, const JobState& b) { return natural_less(a.record->id, b.record->id); });
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].rank = static_cast<std::int64_t>(i + 1);
    if (i > 0 && jobs[i].record->id == jobs[i - 1].record->id)
      throw core::ScenarioError("batch summary: job id '" + jobs[i].record->id + "' appears more than once");
  }
  std::vector<JobState*> by_rank(jobs.size() + 1, nullptr);
  for (auto& j : jobs) by_rank[static_cast<std::size_t>(j.rank)] = &j;

  // Fails at once if the summary may not be written.
  io::OutputGeoPackage output(in.destination, in.overwrite);

  Database db;
  db.exec(
      "CREATE TABLE job_info (job_rank INTEGER PRIMARY KEY, job_id TEXT NOT NULL, variant TEXT, split_value TEXT, "
      "sample INTEGER, relocating INTEGER, unallocated INTEGER, sites INTEGER, site_capacity INTEGER, "
      "site_allocated INTEGER, allocations INTEGER, alloc_people INTEGER, cost_unit TEXT);"
      "CREATE TABLE village_obs (job_rank INTEGER NOT NULL, village_id TEXT NOT NULL, name TEXT, county TEXT, "
      "class TEXT, relocating_people INTEGER, relocating_households INTEGER, unallocated_households INTEGER, "
      "geom BLOB);"
      "CREATE TABLE site_obs (job_rank INTEGER NOT NULL, site_id TEXT NOT NULL, county TEXT, "
      "capacity_people INTEGER, capacity_households INTEGER, allocated_households INTEGER, geom BLOB);"
      "CREATE TABLE alloc_obs (job_rank INTEGER NOT NULL, village_id TEXT, households INTEGER, people INTEGER, "
      "cost REAL, cost_unit TEXT);",
      "creating the working tables");

  SummaryResult result;
  result.jobs_listed = jobs.size();
  for (JobState& job : jobs) {
    const JobRecord& r = *job.record;
    if (r.status == JobStatus::failed || r.status == JobStatus::cancelled) {
      ++result.jobs_failed;
      continue;
    }
    std::error_code ec;
    if (r.output.empty() || !fs::is_regular_file(r.output, ec)) {
      job.note = "output '" + r.output.string() + "' does not exist";
      log.warn("batch summary: job '" + r.id + "' is " + to_string(r.status) + " but its " + job.note +
               "; left out of the comparison");
      ++result.jobs_left_out;
      continue;
    }
    // ATTACH and DETACH cannot run inside a transaction: the savepoint that
    // undoes a half-read job sits between them.
    const std::string ctx = "job '" + r.id + "': '" + r.output.string() + "'";
    bool attached = false, in_savepoint = false;
    try {
      {
        Statement at(db, "ATTACH DATABASE ?1 AS job", ctx + ": cannot be opened as a GeoPackage", true);
        at.bind(1, readonly_uri(r.output));
        at.run();
        attached = true;
      }
      db.exec("SAVEPOINT job", "starting " + ctx);
      in_savepoint = true;
      JobReader(db, job, log).read();
      Statement ins(db,
                    "INSERT INTO job_info VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                    "(SELECT MIN(cost_unit) FROM alloc_obs WHERE job_rank = ?1))",
                    "job_info");
      ins.bind(1, job.rank).bind(2, r.id).bind(3, r.variant).bind(4, r.split_value);
      ins.bind(5, r.sample ? std::optional<std::int64_t>(*r.sample) : std::nullopt);
      ins.bind(6, std::int64_t{job.layers.relocating}).bind(7, std::int64_t{job.layers.unallocated});
      ins.bind(8, std::int64_t{job.layers.sites}).bind(9, std::int64_t{job.layers.site_capacity});
      ins.bind(10, std::int64_t{job.layers.site_allocated}).bind(11, std::int64_t{job.layers.allocations});
      ins.bind(12, std::int64_t{job.layers.allocation_people});
      ins.run();
      db.exec("RELEASE job", ctx);
      in_savepoint = false;
      db.exec("DETACH DATABASE job", "closing " + ctx);
      attached = false;
      job.compared = true;
      ++result.jobs_compared;
    } catch (const core::InputError& e) {
      if (in_savepoint) db.exec("ROLLBACK TO job; RELEASE job", "undoing " + ctx);
      if (attached) db.exec("DETACH DATABASE job", "closing " + ctx);
      job.layers = JobLayers{};
      job.note = e.what();
      log.warn("batch summary: " + std::string(e.what()) + "; left out of the comparison");
      ++result.jobs_left_out;
    }
  }
  db.exec("CREATE INDEX village_obs_job ON village_obs (job_rank, village_id);"
          "CREATE INDEX village_obs_id ON village_obs (village_id);",
          "indexing the working tables");

  output.add_table(jobs_table(jobs));

  // The summary's CRS: that of the first compared job's villages.
  const JobState* reference = nullptr;
  for (const JobState& j : jobs)
    if (j.compared) {
      reference = &j;
      break;
    }
  std::string target_crs_text = "none (no job compared)";
  if (reference) {
    const vector::Crs& target = *reference->layers.villages_crs;
    target_crs_text = target.describe();
    for (const JobState& j : jobs)
      if (j.compared && (!j.layers.villages_crs->same_as(target) ||
                         (j.layers.sites_crs && !j.layers.sites_crs->same_as(target))))
        log.info("batch summary: job '" + j.record->id + "' is in another CRS; its geometries are transformed to " +
                 target.describe());
    Geometries geoms;
    geoms.target = &target;
    vector::GeosContext geos;
    output.add_table(job_summary_table(db));
    io::Table robustness = village_robustness_table(db, by_rank, geoms, in.sensitivity);
    result.villages = robustness.rows.size();
    output.add_table(robustness);
    io::Table frequency = site_frequency_table(db, by_rank, geoms, geos.get(), geos.last_error());
    result.site_groups = frequency.rows.size();
    output.add_table(frequency);
    // Views for the questions planners ask first; QGIS opens them as layers.
    output.add_view("contested_villages",
                    "Villages that are relocation candidates in some jobs but not in all: where the decision depends "
                    "on the scenario",
                    "village_robustness", "candidate_share > 0 AND candidate_share < 1");
    output.add_view("job_totals", "One row per job: the total row of job_summary", "job_summary", "is_total = 1");
  } else {
    log.warn("batch summary: no job output could be compared; the summary lists the jobs only");
    output.add_table(job_summary_table(db));
  }
  output.add_table(batch_file_table(in));
  output.add_table(batch_log_table(in));

  io::Table info;
  info.name = "summary_info";
  info.description = "How this batch summary was made: versions, time, job counts, the CRS and overlap rule";
  info.columns = {{"key", ColumnType::text}, {"value", ColumnType::text}};
  auto put = [&](const std::string& k, const std::string& v) {
    std::vector<io::Value> row;
    row.emplace_back(k);
    row.emplace_back(v);
    info.rows.push_back(std::move(row));
  };
  for (const auto& lv : core::library_versions()) put("version." + lv.name, lv.version);
  put("created_utc", created);
  put("batch.file", in.batch_file.string());
  put("batch.sensitivity", in.sensitivity ? "yes" : "no");
  put("jobs.listed", std::to_string(result.jobs_listed));
  put("jobs.compared", std::to_string(result.jobs_compared));
  put("jobs.left_out", std::to_string(result.jobs_left_out));
  put("jobs.failed_or_cancelled", std::to_string(result.jobs_failed));
  put("crs", target_crs_text);
  put("site_groups.overlap_share", fixed(kSiteOverlapShare, 2) + " of the smaller site's area");
  put("village_robustness.villages", std::to_string(result.villages));
  put("site_frequency.groups", std::to_string(result.site_groups));
  output.add_table(info);
  output.commit();

  result.output = output.destination();
  log.info("batch summary: " + std::to_string(result.jobs_compared) + " of " + std::to_string(result.jobs_listed) +
           " jobs compared, " + std::to_string(result.villages) + " villages, " + std::to_string(result.site_groups) +
           " site groups: " + result.output.string());
  return result;
}

}  // namespace relocplan::batch
