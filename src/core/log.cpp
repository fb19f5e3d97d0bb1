#include "relocplan/core/log.hpp"

#include <iostream>

namespace relocplan::core {

Log::Log(Verbosity verbosity, std::ostream* sink)
    : verbosity_(verbosity), sink_(sink ? sink : &std::cerr) {}

void Log::info(const std::string& message) {
  if (verbosity_ != Verbosity::quiet) *sink_ << message << '\n';
}

void Log::detail(const std::string& message) {
  if (verbosity_ == Verbosity::verbose) *sink_ << message << '\n';
}

void Log::warn(const std::string& message) {
  warnings_.push_back(message);
  *sink_ << "warning: " << message << '\n';
}

}  // namespace relocplan::core
