// relocplan command line: a thin layer over the library. Parses arguments,
// sets up logging, progress and cancellation, and maps errors to exit codes.

#include <gdal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iomanip>
#include <iostream>

#include "relocplan/config/scenario.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/core/log.hpp"
#include "relocplan/core/progress.hpp"
#include "relocplan/core/version.hpp"
#include "relocplan/pipeline/run.hpp"

namespace {

using relocplan::core::ExitCode;

// The one piece of process-wide state: set from the signal handler, polled by
// the work loops through the CancelFlag.
relocplan::core::CancelFlag g_cancel;

extern "C" void on_signal(int sig) {
  g_cancel.request();
  // A second Ctrl-C ends the process at once.
  std::signal(sig, SIG_DFL);
}

const char* kExitCodes =
    "Exit codes:\n"
    "  0    success (warnings about suspicious input may have been printed)\n"
    "  2    usage error, or an invalid scenario (unknown key, wrong type, missing file or field, bad CRS)\n"
    "  3    input data error (unreadable file, invalid values, no usable villages)\n"
    "  4    output error (output exists without --overwrite, cannot write)\n"
    "  5    internal error\n"
    "  130  cancelled (Ctrl-C); no output is left behind\n";

void print_versions() {
  for (const auto& v : relocplan::core::library_versions()) std::cout << v.name << " " << v.version << "\n";
}

int report(const relocplan::core::Error& e) {
  std::cerr << "relocplan: error: " << e.what() << "\n";
  return static_cast<int>(e.code());
}

}  // namespace

int main(int argc, char** argv) {
  GDALAllRegister();
  CPLSetErrorHandler(CPLQuietErrorHandler);  // GDAL's messages reach the user through our errors

  CLI::App app{
      "relocplan: plans ex-situ poverty-alleviation relocation. It overlays villages with terrain and other\n"
      "layers, explains which villages are relocation candidates and why, and writes one GeoPackage that\n"
      "opens in QGIS."};
  app.footer(kExitCodes);
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the versions of relocplan, GDAL, PROJ, GEOS and SQLite");

  std::string scenario_path;
  std::string output_path;
  bool overwrite = false, quiet = false, verbose = false;
  CLI::App* run = app.add_subcommand("run", "Run a scenario and write its GeoPackage");
  run->add_option("scenario", scenario_path, "Scenario file (TOML)")->required()->check(CLI::ExistingFile);
  run->add_option("-o,--output", output_path, "Output GeoPackage (default: [output] path of the scenario)");
  run->add_flag("--overwrite", overwrite, "Replace the output if it exists");
  run->add_flag("-q,--quiet", quiet, "No progress bar and no information messages (warnings still show)");
  run->add_flag("-v,--verbose", verbose, "More detail");
  run->footer(kExitCodes);

  std::string validate_path;
  CLI::App* validate =
      app.add_subcommand("validate", "Check a scenario and print the plan (inputs, CRSs, grid, fields); writes nothing");
  validate->add_option("scenario", validate_path, "Scenario file (TOML)")->required()->check(CLI::ExistingFile);
  validate->footer(kExitCodes);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  if (show_version) {
    print_versions();
    return 0;
  }
  if (!run->parsed() && !validate->parsed()) {
    std::cout << app.help();
    return static_cast<int>(ExitCode::usage);
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    if (validate->parsed()) {
      relocplan::core::Log log(relocplan::core::Verbosity::normal);
      const auto scenario = relocplan::config::load_scenario(validate_path);
      const auto plan = relocplan::pipeline::resolve(scenario, {}, log);
      relocplan::pipeline::print_plan(plan, std::cout);
      std::cout << "valid: nothing was written\n";
      return 0;
    }
    relocplan::core::Log log(quiet     ? relocplan::core::Verbosity::quiet
                             : verbose ? relocplan::core::Verbosity::verbose
                                       : relocplan::core::Verbosity::normal);
    relocplan::core::Progress progress(!quiet && ::isatty(STDERR_FILENO), g_cancel);
    log.set_before_message([&progress] { progress.clear_line(); });
    const auto scenario = relocplan::config::load_scenario(scenario_path);
    relocplan::pipeline::RunOptions options;
    if (!output_path.empty()) options.output = output_path;
    options.overwrite = overwrite;
    const auto summary = relocplan::pipeline::run(scenario, options, log, progress);
    if (!quiet) {
      std::cout << "wrote " << summary.output.string() << "\n"
                << "  villages: " << summary.villages << " (" << summary.villages_without_terrain
                << " without terrain values)\n";
      for (const char* cls : {"relocate_whole", "relocate_registered", "review", "stay"}) {
        auto it = summary.by_class.find(cls);
        std::cout << "    " << std::left << std::setw(20) << cls << (it == summary.by_class.end() ? 0 : it->second)
                  << "\n";
      }
      std::cout << "  relocating: " << summary.relocating_people << " people in " << summary.relocating_households
                << " households\n";
      if (summary.sites)
        std::cout << "  candidate sites: " << *summary.sites << ", capacity " << summary.site_capacity_people
                  << " people\n"
                << "  grid: " << summary.grid_rows << " x " << summary.grid_cols << " cells\n"
                << "  warnings: " << summary.warnings << "\n"
                << "  time: " << std::fixed << std::setprecision(1) << summary.seconds << " s\n";
    }
    return 0;
  } catch (const relocplan::core::Error& e) {
    return report(e);
  } catch (const std::bad_alloc&) {
    std::cerr << "relocplan: error: out of memory; lower [processing] memory_mb or the grid size\n";
    return static_cast<int>(ExitCode::internal);
  } catch (const std::exception& e) {
    std::cerr << "relocplan: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::internal);
  }
}
