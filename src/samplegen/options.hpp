#pragma once
// relocplan-samplegen: the command-line options and their parser.

#include "common.hpp"

namespace relocplan::samplegen {

struct Options {
  std::string outdir;
  uint64_t seed = 20161;
  double sizeKm = 60.0;
  double cellM = 30.0;
  long villages = -1;  // -1: 600 per 3600 km2
};

// Parses and checks the command line; prints the usage and exits on --help
// (status 0) or on an invalid command line (status 2).
Options parseArgs(int argc, char** argv);

}  // namespace relocplan::samplegen
