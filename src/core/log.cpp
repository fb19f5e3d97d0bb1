#include "relocplan/core/log.hpp"

#include <iostream>

namespace relocplan::core {

Log::Log(Verbosity verbosity, std::ostream* sink)
    : verbosity_(verbosity), sink_(sink ? sink : &std::cerr) {}

void Log::info(const std::string& message) {
  if (verbosity_ == Verbosity::quiet) return;
  if (before_message_) before_message_();
  *sink_ << message << '\n';
}

void Log::detail(const std::string& message) {
  if (verbosity_ != Verbosity::verbose) return;
  if (before_message_) before_message_();
  *sink_ << message << '\n';
}

void Log::warn(const std::string& message) {
  warnings_.push_back(message);
  if (before_message_) before_message_();
  *sink_ << "warning: " << message << '\n';
}

}  // namespace relocplan::core
