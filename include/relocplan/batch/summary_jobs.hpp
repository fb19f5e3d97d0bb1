#pragma once
// The working database of the batch summary: SQLite with every return code
// checked, what each job is and which layers and fields its GeoPackage holds,
// reading the job outputs into the working tables (job_info, village_obs,
// site_obs, alloc_obs), and their geometries in the summary's CRS.

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "relocplan/batch/job.hpp"
#include "relocplan/batch/summary.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/core/log.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/vector/crs.hpp"

namespace relocplan::batch {

// SQLite, with every return code checked: an in-memory database.

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
  std::optional<std::int64_t> peak_mb;  // the largest run_info stage_peak_mb.* (the run's peak memory)
};

struct JobState {
  const JobRecord* record = nullptr;
  std::int64_t rank = 0;  // position in natural job-id order, from 1
  bool compared = false;
  std::string note;  // why a done/skipped job was left out
  JobLayers layers;
};

class WkbTransform;

// Job geometries in the summary's CRS.
struct Geometries {
  Geometries();
  ~Geometries();
  Geometries(const Geometries&) = delete;
  Geometries& operator=(const Geometries&) = delete;

  const vector::Crs* target = nullptr;
  // Per (job rank, layer): the transformation to the summary's CRS, or null
  // when the layer is already in it.
  std::map<std::pair<std::int64_t, std::string>, std::unique_ptr<WkbTransform>> transforms;

  // WKB in the summary's CRS of a geometry blob from a job's layer.
  std::string wkb(const JobState& job, const std::string& layer, const vector::Crs& from, const std::string& blob);
};

// Creates the working tables in `db` and reads into them the output of every
// done or skipped job (attached read-only, one at a time). A job whose output
// is missing or unusable is left out with a warning and its note set; the
// counts of compared, left-out and failed jobs go to `result`.
void read_job_outputs(Database& db, std::vector<JobState>& jobs, SummaryResult& result, core::Log& log);

}  // namespace relocplan::batch
