#pragma once
// Numbers as text for the plan, run_info and messages.

#include <iomanip>
#include <sstream>
#include <string>

namespace relocplan::pipeline {

// `v` with exactly `digits` decimals.
inline std::string fixed(double v, int digits) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

}  // namespace relocplan::pipeline
