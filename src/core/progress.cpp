#include "relocplan/core/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "relocplan/core/error.hpp"

namespace relocplan::core {

void CancelFlag::throw_if_requested() const {
  if (requested()) throw Cancelled();
}

Progress::Progress(bool enabled, const CancelFlag& cancel, std::ostream* sink)
    : Progress(enabled ? ProgressStyle::bar : ProgressStyle::none, cancel, sink) {}

Progress::Progress(ProgressStyle style, const CancelFlag& cancel, std::ostream* sink, std::string job)
    : style_(style),
      enabled_(style != ProgressStyle::none),
      job_(std::move(job)),
      cancel_(cancel),
      sink_(sink ? sink : &std::cerr) {}

Progress::~Progress() {
  if (active_ && style_ == ProgressStyle::bar) *sink_ << '\n' << std::flush;
}

void Progress::begin(const std::string& stage) {
  cancel_.throw_if_requested();
  stage_ = stage;
  last_permille_ = -1;
  active_ = true;
  stage_start_ = std::chrono::steady_clock::now();
  draw(0.0, true);
}

void Progress::update(double fraction) {
  cancel_.throw_if_requested();
  draw(fraction, false);
}

void Progress::end() {
  if (!active_) return;
  draw(1.0, true);
  if (style_ == ProgressStyle::bar) *sink_ << '\n' << std::flush;
  active_ = false;
}

void Progress::emit_json(double fraction) {
  nlohmann::ordered_json j;
  if (!job_.empty()) j["job"] = job_;
  j["stage"] = stage_;
  // Three decimals: enough for a bar, and stable text for the same fraction.
  j["fraction"] = std::round(fraction * 1000.0) / 1000.0;
  *sink_ << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n' << std::flush;
}

void Progress::draw(double fraction, bool force) {
  if (!enabled_) return;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int permille = static_cast<int>(fraction * 1000.0);
  const auto now = std::chrono::steady_clock::now();
  if (style_ == ProgressStyle::json) {
    // At most one line per percent and five per second, besides a stage's start and end.
    const int percent = permille / 10;
    if (!force && (percent == last_permille_ / 10 || now - last_draw_ < std::chrono::milliseconds(200))) return;
    last_permille_ = permille;
    last_draw_ = now;
    emit_json(fraction);
    return;
  }
  if (!force && (permille == last_permille_ || now - last_draw_ < std::chrono::milliseconds(100))) return;
  last_permille_ = permille;
  last_draw_ = now;
  constexpr int width = 30;
  const int filled = static_cast<int>(fraction * width);
  const double seconds = std::chrono::duration<double>(now - stage_start_).count();
  std::ostringstream line;
  line << '\r' << std::left << std::setw(22) << stage_.substr(0, 22) << " [" << std::string(filled, '#')
       << std::string(width - filled, '.') << "] " << std::right << std::setw(3)
       << static_cast<int>(fraction * 100.0) << "% " << std::fixed << std::setprecision(1) << seconds << " s";
  *sink_ << line.str() << std::flush;
}

void Progress::clear_line() {
  if (style_ != ProgressStyle::bar || !active_) return;
  *sink_ << '\r' << std::string(72, ' ') << '\r' << std::flush;
  last_permille_ = -1;
  last_draw_ = {};
}

int Progress::gdal_span_callback(double fraction, const char* message, void* arg) {
  auto* span = static_cast<Span*>(arg);
  if (span == nullptr) return 1;
  return gdal_callback(span->lo + (span->hi - span->lo) * fraction, message, span->progress);
}

int Progress::gdal_callback(double fraction, const char* /*message*/, void* arg) {
  auto* self = static_cast<Progress*>(arg);
  if (self == nullptr) return 1;
  if (self->cancel_.requested()) return 0;
  self->draw(fraction, false);
  return 1;
}

}  // namespace relocplan::core
