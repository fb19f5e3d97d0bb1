// Runs killed with SIGKILL at random moments (seeded, so every run of the
// suite kills at the same moments): the destination is always either the
// previous complete GeoPackage or the new complete one, never a torn file,
// and the next run clears the temporary files the killed one left. The same
// for a batch killed and brought up to date with --resume.

#include <fcntl.h>
#include <gdal.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "test_support.hpp"

namespace fs = std::filesystem;
using testsupport::run_command;

namespace {

const std::string kExe = RELOCPLAN_EXE;
const fs::path kSampleDir = RELOCPLAN_TEST_SAMPLE_DIR;

// The sample scenario without the site search and the allocation, on a 10 km
// square of the county: a complete run with every output stage, in a second
// or two.
std::string light_scenario_text() {
  std::string text = testsupport::light_sample_scenario();
  auto replace = [&](const std::string& from, const std::string& to) {
    const auto p = text.find(from);
    REQUIRE(p != std::string::npos);
    text.replace(p, from.size(), to);
  };
  replace("from = \"villages\"", "from = \"bounds\"\nbounds = [420000, 2870000, 432000, 2882000]");
  replace("crs = \"auto\"", "crs = \"EPSG:4545\"");
  // Paths relative to the sample's data, wherever the scenario is written.
  for (std::size_t p = 0; (p = text.find("path = \"data/", p)) != std::string::npos;)
    text.replace(p + 8, 5, (kSampleDir / "data").string() + "/");
  return text;
}

// True when `gpkg` is a complete output: SQLite's integrity check passes, GDAL
// opens it and it holds the villages and run_info with the run's end time.
bool complete_output(const fs::path& gpkg) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(gpkg.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return false;
  }
  std::string check, finished;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW) check += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM run_info WHERE key = 'finished_utc'", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    finished = std::to_string(sqlite3_column_int(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (check != "ok" || finished != "1") return false;
  GDALDatasetH ds = GDALOpenEx(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  if (!ds) return false;
  OGRLayerH villages = GDALDatasetGetLayerByName(ds, "villages");
  const bool ok = villages && OGR_L_GetFeatureCount(villages, TRUE) > 0;
  GDALClose(ds);
  return ok;
}

ino_t inode_of(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Starts the command with its output discarded; returns the child's pid.
pid_t spawn(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// Waits `delay`, then SIGKILLs the process (if it is still running) and reaps it.
// True when the kill landed before the process ended by itself.
bool kill_after(pid_t pid, std::chrono::microseconds delay) {
  const auto until = std::chrono::steady_clock::now() + delay;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status);
}

double seconds_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("kill -9 at 20 moments: the output is the previous or the new complete file", "[cli][kill]") {
  testsupport::TempDir tmp;
  testsupport::write_text(tmp / "scenario.toml", light_scenario_text() + "\n[output]\npath = \"out.gpkg\"\n");
  const fs::path out = tmp / "out.gpkg";
  const std::vector<std::string> argv = {kExe, "run", (tmp / "scenario.toml").string(), "-q", "--overwrite"};

  // A complete run first: the previous output, and how long a run takes.
  double run_seconds = 0;
  {
    testsupport::CommandResult r;
    run_seconds = seconds_of([&] { r = run_command(argv); });
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(complete_output(out));
  }

  std::mt19937 rng(20261203);
  std::uniform_real_distribution<double> moment(0.0, 1.1 * run_seconds);
  int killed = 0, replaced = 0;
  for (int i = 0; i < 20; ++i) {
    const ino_t previous = inode_of(out);
    const double t = moment(rng);
    killed += kill_after(spawn(argv), std::chrono::microseconds(static_cast<long long>(t * 1e6)));
    INFO("kill " << i + 1 << " at " << t << " s of a " << run_seconds << " s run");
    REQUIRE(fs::exists(out));
    CHECK(complete_output(out));
    replaced += inode_of(out) != previous;
    // The notices folder is whole too: the sample's townships each have a list.
    CHECK(fs::is_directory(tmp / "out_notices"));
  }
  CHECK(killed >= 10);  // most moments fall inside the run
  INFO(killed << " runs killed, " << replaced << " outputs replaced by a complete run");

  // The next run leaves no temporary file behind, the killed runs' included.
  const auto r = run_command(argv);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(complete_output(out));
  CHECK_FALSE(testsupport::has_temp_files(tmp.path()));
}

TEST_CASE("kill -9 of a batch at 5 moments, then --resume: every job and the summary complete", "[batch][kill]") {
  testsupport::TempDir tmp;
  testsupport::write_text(tmp / "base.toml", light_scenario_text());
  testsupport::write_text(tmp / "batch.toml",
                          "[batch]\nname = \"killed\"\nbase = \"base.toml\"\noutput_dir = \"out\"\n"
                          "[grid]\n\"thresholds.terrain.steep_slope_deg\" = [18, 22]\n");
  const std::vector<std::string> ids = {"base", "steep_slope_deg-18", "steep_slope_deg-22"};
  const std::vector<std::string> argv = {kExe, "batch", (tmp / "batch.toml").string(), "-j", "2"};

  // A complete batch elsewhere: the reference summary and the batch's duration.
  testsupport::TempDir ref;
  fs::copy_file(tmp / "base.toml", ref / "base.toml");
  fs::copy_file(tmp / "batch.toml", ref / "batch.toml");
  double batch_seconds = 0;
  {
    testsupport::CommandResult r;
    batch_seconds = seconds_of([&] { r = run_command({kExe, "batch", (ref / "batch.toml").string(), "-j", "2"}); });
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  const auto reference = testsupport::read_features(ref / "out/killed_summary.gpkg", "village_robustness");
  REQUIRE_FALSE(reference.empty());

  std::mt19937 rng(20261204);
  std::uniform_real_distribution<double> moment(0.0, batch_seconds);
  for (int i = 0; i < 5; ++i) {
    const double t = moment(rng);
    auto args = argv;
    if (i > 0) args.push_back("--resume");
    kill_after(spawn(args), std::chrono::microseconds(static_cast<long long>(t * 1e6)));
    // The killed batch's job processes die with it (PR_SET_PDEATHSIG).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    INFO("kill " << i + 1 << " at " << t << " s of a " << batch_seconds << " s batch");
    for (const auto& id : ids) {
      const fs::path job = tmp / "out/jobs" / (id + ".gpkg");
      if (fs::exists(job)) CHECK(complete_output(job));
    }
    auto resume = argv;
    resume.push_back("--resume");
    const auto r = run_command(resume);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    for (const auto& id : ids) CHECK(complete_output(tmp / "out/jobs" / (id + ".gpkg")));
    CHECK_FALSE(testsupport::has_temp_files(tmp / "out/jobs"));
    CHECK_FALSE(testsupport::has_temp_files(tmp / "out"));
    CHECK(testsupport::read_features(tmp / "out/killed_summary.gpkg", "village_robustness") == reference);
  }
}
