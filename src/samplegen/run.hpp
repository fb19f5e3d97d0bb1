#pragma once
// relocplan-samplegen: the whole generation, stage by stage.

#include "options.hpp"

namespace relocplan::samplegen {

// Writes every output file into opt.outdir; throws Failure.
int run(const Options& opt);

}  // namespace relocplan::samplegen
