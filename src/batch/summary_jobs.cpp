// Reading the job outputs of a batch into the summary's working database:
// each job's GeoPackage attached read-only and checked for the layers and
// fields the summary compares, its villages, sites and allocations copied
// into the working tables, and its geometries transformed to the summary's CRS.

#include "relocplan/batch/summary_jobs.hpp"

#include <cpl_error.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <filesystem>
#include <set>
#include <system_error>

namespace relocplan::batch {

namespace fs = std::filesystem;

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

namespace {

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
    if (tables.count("run_info")) {
      Statement st(db_,
                   "SELECT MAX(CAST(value AS INTEGER)) FROM job.run_info WHERE key LIKE 'stage\\_peak\\_mb.%' ESCAPE '\\'",
                   ctx, true);
      if (st.step() && !st.is_null(0)) job_.layers.peak_mb = st.integer(0);
    }

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

}  // namespace

Geometries::Geometries() = default;
Geometries::~Geometries() = default;

std::string Geometries::wkb(const JobState& job, const std::string& layer, const vector::Crs& from,
                            const std::string& blob) {
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

void read_job_outputs(Database& db, std::vector<JobState>& jobs, SummaryResult& result, core::Log& log) {
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
      // The batch runs jobs side by side (and Slurm sets --mem) on what it
      // counts for them; say so when a job needed more.
      const std::size_t counted = r.memory_mb + kJobAllowanceMb;
      if (r.memory_mb > 0 && job.layers.peak_mb && *job.layers.peak_mb > static_cast<std::int64_t>(counted))
        log.warn("batch summary: job '" + r.id + "' peaked at " + std::to_string(*job.layers.peak_mb) +
                 " MB, more than the " + std::to_string(counted) + " MB the batch counts for it (its memory_mb " +
                 std::to_string(r.memory_mb) + " + " + std::to_string(kJobAllowanceMb) +
                 " MB for the thematic layers and villages it holds whole): give such jobs more room with the "
                 "batch's memory_mb, or Slurm's --mem");
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
}

}  // namespace relocplan::batch
