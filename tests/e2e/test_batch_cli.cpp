// `relocplan batch` on the generated sample county: county splits against a
// whole-area run, failing jobs, a batch killed with SIGKILL and resumed.

#include <fcntl.h>
#include <gdal.h>
#include <ogr_api.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "test_support.hpp"

namespace fs = std::filesystem;
using testsupport::run_command;

namespace {

const std::string kExe = RELOCPLAN_EXE;
const fs::path kSampleDir = RELOCPLAN_TEST_SAMPLE_DIR;

// The sample scenario without the site search and the allocation (a run
// takes a few seconds instead of twenty), beside the generated data. With
// `small`, only a 10 km square of the county.
fs::path light_scenario(const std::string& name, bool small) {
  std::string text = testsupport::light_sample_scenario();
  if (small) {
    const auto f = text.find("from = \"villages\"");
    REQUIRE(f != std::string::npos);
    text.replace(f, std::string("from = \"villages\"").size(),
                 "from = \"bounds\"\nbounds = [420000, 2870000, 430000, 2880000]");
    const auto c = text.find("crs = \"auto\"");
    REQUIRE(c != std::string::npos);
    text.replace(c, std::string("crs = \"auto\"").size(), "crs = \"EPSG:4545\"");
  }
  const fs::path p = kSampleDir / ("batch-" + name + ".toml");
  testsupport::write_text(p, text);
  return p;
}

struct Point {
  double x = 0, y = 0;
};

// Village positions (working CRS) of an output GeoPackage, by village_id.
std::map<std::string, Point> village_points(const fs::path& gpkg) {
  std::map<std::string, Point> out;
  GDALDatasetH ds = GDALOpenEx(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  REQUIRE(ds != nullptr);
  OGRLayerH layer = GDALDatasetGetLayerByName(ds, "villages");
  REQUIRE(layer != nullptr);
  const int idx = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), "village_id");
  for (OGRFeatureH f = OGR_L_GetNextFeature(layer); f; f = OGR_L_GetNextFeature(layer)) {
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    out[OGR_F_GetFieldAsString(f, idx)] = {OGR_G_GetX(g, 0), OGR_G_GetY(g, 0)};
    OGR_F_Destroy(f);
  }
  GDALClose(ds);
  return out;
}

// Distance from a point to the nearest edge of any county polygon (the
// counties layer is in the working CRS of the sample, EPSG:4545).
class CountyEdges {
 public:
  CountyEdges() {
    GDALAllRegister();
    ds_ = GDALOpenEx((kSampleDir / "data/layers.gpkg").c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr,
                     nullptr);
    REQUIRE(ds_ != nullptr);
    OGRLayerH layer = GDALDatasetGetLayerByName(ds_, "counties");
    REQUIRE(layer != nullptr);
    for (OGRFeatureH f = OGR_L_GetNextFeature(layer); f; f = OGR_L_GetNextFeature(layer)) {
      edges_.push_back(OGR_G_Boundary(OGR_F_GetGeometryRef(f)));
      OGR_F_Destroy(f);
    }
    REQUIRE(edges_.size() == 2);
  }
  ~CountyEdges() {
    for (auto g : edges_) OGR_G_DestroyGeometry(g);
    GDALClose(ds_);
  }
  double distance(Point p) const {
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(pt, 0, p.x, p.y);
    double d = 1e300;
    for (auto g : edges_) d = std::min(d, OGR_G_Distance(pt, g));
    OGR_G_DestroyGeometry(pt);
    return d;
  }

 private:
  GDALDatasetH ds_ = nullptr;
  std::vector<OGRGeometryH> edges_;
};

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    CHECK_FALSE(j.is_discarded());
    if (!j.is_discarded()) out.push_back(j);
  }
  return out;
}

}  // namespace

TEST_CASE("batch --help explains the batch file and the exit codes", "[batch][cli]") {
  const auto r = run_command({kExe, "batch", "--help"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("[variants.") && Catch::Contains("[split]") && Catch::Contains("--resume") &&
                        Catch::Contains("6 ") && Catch::Contains("130"));
}

TEST_CASE("a county split covers every village once and matches a whole-area run away from the borders",
          "[batch][split]") {
  testsupport::TempDir tmp;
  const fs::path base = light_scenario("split", false);
  const double margin_m = 5000;
  testsupport::write_text(tmp / "batch.toml", "[batch]\nname = \"split\"\nbase = \"" + base.string() +
                                                  "\"\noutput_dir = \"out\"\nmemory_mb = 4096\n"
                                                  "[split]\npath = \"" + (kSampleDir / "data/layers.gpkg").string() +
                                                  "\"\nlayer = \"counties\"\nfield = \"county_name\"\nmargin_m = 5000\n");
  const auto r = run_command({kExe, "batch", (tmp / "batch.toml").string(), "-j", "2", "--progress=json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  // The JSON events: a start and an end per job, progress from the runs.
  const auto events = json_lines(r.out);
  std::map<std::string, int> kinds;
  std::set<std::string> ended;
  for (const auto& e : events) {
    ++kinds[e.at("event").get<std::string>()];
    if (e.at("event") == "job_end") {
      CHECK(e.at("status") == "done");
      CHECK(e.at("exit_code") == 0);
      ended.insert(e.at("job").get<std::string>());
    }
  }
  CHECK(kinds["batch_start"] == 1);
  CHECK(kinds["job_start"] == 2);
  CHECK(kinds["job_end"] == 2);
  CHECK(kinds["progress"] > 4);
  CHECK(kinds["batch_end"] == 1);
  CHECK(ended == std::set<std::string>{"base.黔山县", "base.岩溪县"});

  const auto whole = run_command({kExe, "run", base.string(), "-o", (tmp / "whole.gpkg").string(), "-q"});
  REQUIRE(whole.exit_code == 0);
  std::map<std::string, std::map<std::string, std::string>> whole_rows;
  for (auto& row : testsupport::read_features(tmp / "whole.gpkg", "villages")) whole_rows[row["village_id"]] = row;
  const auto points = village_points(tmp / "whole.gpkg");

  // Every village in exactly one county job.
  std::map<std::string, int> seen;
  std::map<std::string, std::map<std::string, std::string>> split_rows;
  for (const char* county : {"黔山县", "岩溪县"}) {
    const auto rows = testsupport::read_features(tmp / "out" / "jobs" / (std::string("base.") + county + ".gpkg"), "villages");
    CHECK(rows.size() > 50);
    for (const auto& row : rows) {
      ++seen[row.at("village_id")];
      CHECK(row.at("county") == county);
      split_rows[row.at("village_id")] = row;
    }
  }
  CHECK(seen.size() == whole_rows.size());
  for (const auto& [id, n] : seen) {
    INFO(id);
    CHECK(n == 1);
    CHECK(whole_rows.count(id) == 1);
  }

  // Villages farther than the margin from every county edge: the same results.
  const CountyEdges edges;
  std::size_t compared = 0;
  for (const auto& [id, w] : whole_rows) {
    if (edges.distance(points.at(id)) <= margin_m) continue;
    const auto& s = split_rows.at(id);
    INFO("village " << id);
    CHECK(s.at("class") == w.at("class"));
    CHECK(s.at("reason_codes") == w.at("reason_codes"));
    for (const char* f : {"score", "elevation_m", "slope_deg", "relief_m", "nbhd_mean_slope_deg", "nbhd_steep_pct",
                          "nbhd_max_relief_m", "nbhd_mean_elevation_m", "terr_area_ha", "terr_mean_slope_deg",
                          "terr_steep_pct", "dist_road_m"}) {
      INFO(f);
      REQUIRE(s.at(f).empty() == w.at(f).empty());
      if (!w.at(f).empty()) CHECK(std::stod(s.at(f)) == Approx(std::stod(w.at(f))).epsilon(1e-9).margin(1e-9));
    }
    ++compared;
  }
  CHECK(compared >= 20);

  // The batch summary, written by the command: one robustness point per
  // village, and per job the sums over the job's own output.
  CHECK(kinds["summary"] == 1);
  const fs::path summary = tmp / "out" / "split_summary.gpkg";
  REQUIRE(fs::exists(summary));
  CHECK(testsupport::read_features(summary, "jobs").size() == 2);
  CHECK(testsupport::read_features(summary, "village_robustness").size() == whole_rows.size());
  int totals = 0;
  for (const auto& row : testsupport::read_features(summary, "job_summary")) {
    if (row.at("is_total") != "1") continue;
    ++totals;
    std::int64_t people = 0, candidates = 0;
    for (const auto& v : testsupport::read_features(tmp / "out" / "jobs" / (row.at("job_id") + ".gpkg"), "villages")) {
      if (!v.at("relocating_people").empty()) people += std::stoll(v.at("relocating_people"));
      if (v.at("class") == "relocate_whole" || v.at("class") == "relocate_registered") ++candidates;
    }
    INFO(row.at("job_id"));
    CHECK(std::stoll(row.at("relocating_people")) == people);
    CHECK(std::stoll(row.at("candidate_villages")) == candidates);
  }
  CHECK(totals == 2);
  // The view of one total row per job (each village is in one job only
  // here, so contested_villages is tested on hand-made jobs).
  CHECK(testsupport::read_features(summary, "job_totals").size() == 2);
  // A second run without --resume or --overwrite refuses before any job.
  const auto again = run_command({kExe, "batch", (tmp / "batch.toml").string(), "-q"});
  CHECK(again.exit_code == 4);
}

TEST_CASE("a failing job is reported while the others finish, and bad variants fail before any job", "[batch][errors]") {
  testsupport::TempDir tmp;
  const fs::path base = light_scenario("small", true);
  const std::string head = "[batch]\nname = \"fails\"\nbase = \"" + base.string() + "\"\noutput_dir = \"out\"\n";
  // Valid for the scenario reader; fails when the run resolves its inputs.
  testsupport::write_text(tmp / "batch.toml", head + "[variants.missing_dem]\n\"inputs.dem.path\" = \"no-such-dem.tif\"\n"
                                                     "[variants.strict]\n\"thresholds.terrain.steep_slope_deg\" = 20\n");
  const auto r = run_command({kExe, "batch", (tmp / "batch.toml").string(), "-j", "2"});
  CHECK(r.exit_code == 6);
  CHECK_THAT(r.err, Catch::Contains("job missing_dem failed with exit code 2") &&
                        Catch::Contains("no-such-dem.tif") && Catch::Contains("does not exist") &&
                        Catch::Contains("2 done, 0 skipped, 1 failed"));
  CHECK(fs::exists(tmp / "out/jobs/base.gpkg"));
  CHECK(fs::exists(tmp / "out/jobs/strict.gpkg"));
  CHECK_FALSE(fs::exists(tmp / "out/jobs/missing_dem.gpkg"));
  CHECK_FALSE(testsupport::has_temp_files(tmp / "out/jobs"));
  CHECK_THAT(testsupport::read_text(tmp / "out/batch.log"), Catch::Contains("job missing_dem failed with exit code 2"));
  CHECK_THAT(testsupport::read_text(tmp / "out/logs/missing_dem.log"), Catch::Contains("no-such-dem.tif"));
  // A job's scenario runs alone with `relocplan run`.
  const auto alone = run_command({kExe, "run", (tmp / "out/scenarios/strict.toml").string(), "-q", "-o",
                                  (tmp / "strict-alone.gpkg").string()});
  CHECK(alone.exit_code == 0);

  // --status reads what the local engine left: done jobs, the failed one with its reason.
  const auto status = run_command({kExe, "batch", (tmp / "batch.toml").string(), "--status"});
  CHECK(status.exit_code == 6);
  CHECK_THAT(status.out, Catch::Contains("3 job(s): 2 done, 1 failed, 0 queued, 0 running, 0 not run") &&
                             Catch::Contains("no-such-dem.tif"));
  // The Slurm engine without Slurm's commands: exit 7, naming sbatch; Slurm
  // options without the Slurm engine: a usage error.
  const auto no_slurm = run_command({kExe, "batch", (tmp / "batch.toml").string(), "--engine", "slurm", "--resume"},
                                    {"PATH=/nonexistent"});
  CHECK(no_slurm.exit_code == 7);
  CHECK_THAT(no_slurm.err, Catch::Contains("sbatch") && Catch::Contains("not found"));
  const auto stray = run_command({kExe, "batch", (tmp / "batch.toml").string(), "--partition", "gis"});
  CHECK(stray.exit_code == 2);
  CHECK_THAT(stray.err, Catch::Contains("--engine slurm"));

  // Outputs exist: neither --resume nor --overwrite is an output error, before any job.
  const auto again = run_command({kExe, "batch", (tmp / "batch.toml").string()});
  CHECK(again.exit_code == 4);
  CHECK_THAT(again.err, Catch::Contains("--resume") && Catch::Contains("--overwrite"));

  // A key the scenario does not know: exit 2, naming the variant and the key; nothing runs.
  testsupport::write_text(tmp / "typo.toml", "[batch]\nname = \"typo\"\nbase = \"" + base.string() +
                                                 "\"\noutput_dir = \"typo-out\"\n[variants.steeper]\n"
                                                 "\"thresholds.terrain.steep_slop_deg\" = 20\n");
  const auto typo = run_command({kExe, "batch", (tmp / "typo.toml").string()});
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("variant 'steeper'") && Catch::Contains("steep_slop_deg"));
  CHECK_FALSE(fs::exists(tmp / "typo-out"));
  // A split value that names no county.
  testsupport::write_text(tmp / "nocounty.toml", "[batch]\nname = \"nc\"\nbase = \"" + base.string() +
                                                     "\"\noutput_dir = \"nc-out\"\n[split]\npath = \"" +
                                                     (kSampleDir / "data/layers.gpkg").string() +
                                                     "\"\nlayer = \"counties\"\nfield = \"county_name\"\n"
                                                     "values = [\"黔山县\", \"Nowhere\"]\n");
  const auto nc = run_command({kExe, "batch", (tmp / "nocounty.toml").string()});
  CHECK(nc.exit_code == 2);
  CHECK_THAT(nc.err, Catch::Contains("split.values") && Catch::Contains("Nowhere") && Catch::Contains("岩溪县"));
}

TEST_CASE("a batch killed with SIGKILL resumes without redoing finished jobs", "[batch][resume]") {
  testsupport::TempDir tmp;
  const fs::path base = light_scenario("small", true);
  testsupport::write_text(tmp / "batch.toml",
                          "[batch]\nname = \"killed\"\nbase = \"" + base.string() +
                              "\"\noutput_dir = \"out\"\n[grid]\n\"thresholds.terrain.steep_slope_deg\" = [15, 18, 21, 24]\n");
  const fs::path jobs = tmp / "out/jobs";
  const std::vector<std::string> ids = {"base", "steep_slope_deg-15", "steep_slope_deg-18", "steep_slope_deg-21",
                                        "steep_slope_deg-24"};

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::execl(kExe.c_str(), kExe.c_str(), "batch", (tmp / "batch.toml").c_str(), "-j", "1", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill the batch once its first job is done and the next one has begun.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  bool first_done = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(jobs / "base.gpkg") && fs::exists(tmp / "out/logs/steep_slope_deg-15.log")) {
      first_done = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(first_done);

  std::map<std::string, std::pair<ino_t, std::int64_t>> before;
  for (const auto& id : ids) {
    struct stat st {};
    if (::stat((jobs / (id + ".gpkg")).c_str(), &st) == 0)
      before[id] = {st.st_ino, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  }
  REQUIRE(before.count("base") == 1);
  REQUIRE(before.size() < ids.size());
  // The killed job's child dies with the batch (PR_SET_PDEATHSIG).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  const auto r = run_command({kExe, "batch", (tmp / "batch.toml").string(), "-j", "1", "--resume"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  for (const auto& id : ids) {
    INFO(id);
    struct stat st {};
    REQUIRE(::stat((jobs / (id + ".gpkg")).c_str(), &st) == 0);
    if (before.count(id)) {
      CHECK(st.st_ino == before[id].first);
      CHECK(static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec == before[id].second);
      CHECK_THAT(r.err, Catch::Contains("job " + id + " skipped"));
    } else {
      CHECK_THAT(r.err, Catch::Contains("job " + id + " done"));
    }
  }
  CHECK_THAT(r.err, Catch::Contains(std::to_string(before.size()) + " skipped"));
  CHECK_FALSE(testsupport::has_temp_files(jobs));

  // Everything is complete now: a second resume runs nothing.
  const auto again = run_command({kExe, "batch", (tmp / "batch.toml").string(), "--resume", "-j", "1"});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, Catch::Contains("5 skipped"));
}

TEST_CASE("a scenario clipped to one county: validate shows it; a wrong field or value names them", "[batch][clip]") {
  std::string text = testsupport::read_text(light_scenario("clip", false));
  const auto f = text.find("from = \"villages\"");
  REQUIRE(f != std::string::npos);
  text.replace(f, std::string("from = \"villages\"").size(),
               "from = \"boundary\"\nboundary = \"data/layers.gpkg\"\nboundary_layer = \"counties\"\n"
               "boundary_field = \"county_name\"\nboundary_value = \"岩溪县\"\nclip = true");
  const fs::path ok = kSampleDir / "batch-clip.toml";
  testsupport::write_text(ok, text);
  const auto r = run_command({kExe, "validate", ok.string()});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("where county_name = \"岩溪县\", 1 feature(s)") && Catch::Contains("outside left out"));

  auto edited = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    const auto p = t.find(from);
    REQUIRE(p != std::string::npos);
    t.replace(p, from.size(), to);
    const fs::path path = kSampleDir / "batch-clip-bad.toml";
    testsupport::write_text(path, t);
    return run_command({kExe, "validate", path.string()});
  };
  const auto field = edited("boundary_field = \"county_name\"", "boundary_field = \"nme\"");
  CHECK(field.exit_code == 2);
  CHECK_THAT(field.err, Catch::Contains("study_area.boundary_field") && Catch::Contains("'nme'") &&
                            Catch::Contains("layers.gpkg") && Catch::Contains("county_name"));
  const auto value = edited("boundary_value = \"岩溪县\"", "boundary_value = \"x'; DROP TABLE counties; --\"");
  CHECK(value.exit_code == 2);
  CHECK_THAT(value.err, Catch::Contains("study_area.boundary_value") && Catch::Contains("DROP TABLE") &&
                            Catch::Contains("黔山县"));
  const auto clip_alone = edited("boundary = \"data/layers.gpkg\"\n", "");
  CHECK(clip_alone.exit_code == 2);
  CHECK_THAT(clip_alone.err, Catch::Contains("study_area"));
}

TEST_CASE("a national split: one job per province and county, a county name repeated across provinces",
          "[batch][split]") {
  testsupport::TempDir tmp;
  // Every county of a (two-province) country in one layer; 乙省 has a county
  // named like one of 甲省's.
  const std::string layers = (kSampleDir / "data/layers.gpkg").string(), nation = (tmp / "nation.gpkg").string();
  auto ogr = run_command({"/usr/bin/ogr2ogr", "-f", "GPKG", nation, layers, "-nln", "counties", "-sql",
                          "SELECT geom, '甲省' AS province, county_name FROM counties"});
  REQUIRE(ogr.exit_code == 0);
  ogr = run_command({"/usr/bin/ogr2ogr", "-append", nation, layers, "-nln", "counties", "-sql",
                     "SELECT geom, '乙省' AS province, '黔山县' AS county_name FROM counties WHERE county_name = '岩溪县'"});
  REQUIRE(ogr.exit_code == 0);
  const fs::path base = light_scenario("national", false);
  const std::string head = "[batch]\nname = \"nation\"\nbase = \"" + base.string() + "\"\noutput_dir = \"out\"\n" +
                           "[split]\npath = \"" + nation + "\"\nlayer = \"counties\"\nfield = \"county_name\"\n";
  testsupport::write_text(tmp / "batch.toml", head + "group_field = \"province\"\n");
  const auto r = run_command({kExe, "batch", (tmp / "batch.toml").string(), "-j", "2", "-q"});
  REQUIRE(r.exit_code == 0);
  for (const std::string id : {"base.甲省.黔山县", "base.甲省.岩溪县", "base.乙省.黔山县"})
    CHECK(fs::exists(tmp / ("out/jobs/" + id + ".gpkg")));
  // Each job selects its own county within its province: one feature.
  const auto v = run_command({kExe, "validate", (tmp / "out/scenarios/base.乙省.黔山县.toml").string()});
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Catch::Contains("where county_name = \"黔山县\" and province = \"乙省\", 1 feature(s)"));
  CHECK_THAT(testsupport::read_text(tmp / "out/scenarios/base.乙省.黔山县.toml"),
             Catch::Contains("boundary_group_field = \"province\"") && Catch::Contains("boundary_group_value = \"乙省\""));
  // The summary merges the three jobs.
  CHECK(fs::exists(tmp / "out/nation_summary.gpkg"));
  // Without group_field the two 黔山县 would be one job over both polygons.
  testsupport::write_text(tmp / "flat.toml", head + "margin_m = 0\n");
  const auto flat = run_command({kExe, "batch", (tmp / "flat.toml").string(), "--status"});
  CHECK_THAT(flat.out, Catch::Contains("2 job(s)"));
  // A group field the layer does not have names it and the fields there.
  testsupport::write_text(tmp / "bad.toml", head + "group_field = \"provnce\"\n");
  const auto bad = run_command({kExe, "batch", (tmp / "bad.toml").string(), "--status"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("split.group_field") && Catch::Contains("'provnce'") &&
                          Catch::Contains("province"));
}
