// The batch runner in-process, with a stand-in for the relocplan executable
// (a shell script that reports progress on fd 3 and succeeds or fails), so
// the scheduling, the records, the log and the JSON events are checked
// without running real jobs.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "relocplan/batch/batch_file.hpp"
#include "relocplan/batch/runner.hpp"
#include "relocplan/core/error.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace relocplan;

namespace {

const char* kBase = R"(
[project]
name = "base"
[grid]
crs = "EPSG:4545"
[inputs.dem]
path = "dem.tif"
[inputs.villages]
path = "villages.gpkg"
fields = { id = "code" }
[processing]
memory_mb = 100
)";

// Stands in for `relocplan run SCENARIO -o OUT ...`: jobs whose output name
// holds "fail" end like a run with a missing input.
const char* kFakeRun = R"(#!/bin/sh
case "$4" in
  *fail*) echo "reading inputs" >&2
          echo "relocplan: error: inputs.dem.path: file 'gone.tif' does not exist" >&2
          exit 2 ;;
esac
echo '{"stage":"terrain","fraction":0.0}' >&3
echo '{"stage":"terrain","fraction":0.5}' >&3
echo '{"stage":"terrain","fraction":1.0}' >&3
: > "$4"
exit 0
)";

}  // namespace

TEST_CASE("the runner records every job, keeps going after a failure and reports it", "[batch][runner]") {
  testsupport::TempDir dir;
  testsupport::write_text(dir / "scenario.toml", kBase);
  testsupport::write_text(dir / "fake-relocplan", kFakeRun);
  ::chmod((dir / "fake-relocplan").c_str(), 0755);
  const std::string text =
      "[batch]\nname = \"t\"\nbase = \"scenario.toml\"\noutput_dir = \"out\"\nmemory_mb = 400\n"
      "[variants.fail]\n\"grid.cell_size_m\" = 10\n[variants.fine]\n\"grid.cell_size_m\" = 20\n";
  testsupport::write_text(dir / "batch.toml", text);
  const auto plan = batch::expand_batch(batch::load_batch(dir / "batch.toml"));
  REQUIRE(plan.jobs.size() == 3);

  std::ostringstream events, messages;
  batch::BatchOptions options;
  options.jobs = 2;
  options.display = batch::BatchDisplay::json;
  options.executable = dir / "fake-relocplan";
  options.out = &events;
  options.err = &messages;
  core::CancelFlag cancel;
  const auto result = batch::run_batch(plan, options, cancel);

  CHECK(result.exit_code == 6);
  CHECK(result.name == "t");
  CHECK(result.batch_text == text);
  CHECK(result.batch_file == dir.path() / "batch.toml");
  CHECK_FALSE(result.sensitivity);
  CHECK(result.summary == dir.path() / "out" / "t_summary.gpkg");
  REQUIRE(result.jobs.size() == 3);
  CHECK(result.jobs[0].id == "base");
  CHECK(result.jobs[0].status == batch::JobStatus::done);
  CHECK(result.jobs[1].id == "fail");
  CHECK(result.jobs[1].status == batch::JobStatus::failed);
  CHECK(result.jobs[1].exit_code == 2);
  CHECK(result.jobs[1].message == "relocplan: error: inputs.dem.path: file 'gone.tif' does not exist");
  CHECK(result.jobs[1].overrides == std::vector<std::pair<std::string, std::string>>{{"grid.cell_size_m", "10"}});
  CHECK(result.jobs[2].status == batch::JobStatus::done);
  CHECK(fs::exists(result.jobs[2].output));
  CHECK(fs::exists(result.jobs[2].scenario));
  CHECK_THAT(result.log_text, Catch::Contains("job fail failed with exit code 2: relocplan: error: inputs.dem.path") &&
                                  Catch::Contains("1 failed"));
  CHECK(testsupport::read_text(dir / "out" / "batch.log") == result.log_text);
  CHECK_THAT(testsupport::read_text(dir / "out" / "logs" / "fail.log"), Catch::Contains("gone.tif"));

  // The JSON events: every line an object; progress carries the job id.
  std::istringstream in(events.str());
  std::string line;
  std::map<std::string, int> kinds;
  int progress_of_fine = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    ++kinds[j.at("event").get<std::string>()];
    if (j.at("event") == "progress" && j.at("job") == "fine") ++progress_of_fine;
    if (j.at("event") == "job_end" && j.at("job") == "fail") {
      CHECK(j.at("status") == "failed");
      CHECK(j.at("exit_code") == 2);
    }
  }
  CHECK(kinds["job_start"] == 3);
  CHECK(kinds["job_end"] == 3);
  CHECK(progress_of_fine == 3);
  CHECK(kinds["batch_end"] == 1);

  // Outputs exist: without resume or overwrite nothing runs.
  options.out = &events;
  CHECK_THROWS_AS(batch::run_batch(plan, options, cancel), core::OutputError);
  // With resume, an output that is not a complete GeoPackage is run again.
  options.resume = true;
  const auto resumed = batch::run_batch(plan, options, cancel);
  CHECK(resumed.jobs[0].status == batch::JobStatus::done);
  CHECK_THAT(resumed.log_text, Catch::Contains("job base will run again: the output cannot be read or has no run_info"));
}

TEST_CASE("a cancelled batch starts no job and exits with 130", "[batch][runner]") {
  testsupport::TempDir dir;
  testsupport::write_text(dir / "scenario.toml", kBase);
  testsupport::write_text(dir / "batch.toml", "[batch]\nname = \"c\"\nbase = \"scenario.toml\"\noutput_dir = \"out\"\n");
  const auto plan = batch::expand_batch(batch::load_batch(dir / "batch.toml"));
  std::ostringstream sink;
  batch::BatchOptions options;
  options.display = batch::BatchDisplay::quiet;
  options.executable = "/bin/false";
  options.out = &sink;
  options.err = &sink;
  core::CancelFlag cancel;
  cancel.request();
  const auto result = batch::run_batch(plan, options, cancel);
  CHECK(result.exit_code == 130);
  REQUIRE(result.jobs.size() == 1);
  CHECK(result.jobs[0].status == batch::JobStatus::cancelled);
  CHECK_FALSE(fs::exists(result.jobs[0].output));
}
