#pragma once
// Progress and cancellation for long steps.
//
// A CancelFlag is set asynchronously (by the SIGINT/SIGTERM handler of the
// command line, or by a test) and polled by the work loops between blocks and
// by GDAL's progress callbacks; work stops by throwing core::Cancelled, so
// every output is rolled back by the normal unwinding path.

#include <atomic>
#include <chrono>
#include <iosfwd>
#include <string>

namespace relocplan::core {

class CancelFlag {
 public:
  void request() noexcept { requested_.store(true); }
  bool requested() const noexcept { return requested_.load(); }
  void throw_if_requested() const;
  std::atomic<bool>& raw() noexcept { return requested_; }

 private:
  std::atomic<bool> requested_{false};
};

// How progress is shown: not at all (only the cancel flag is polled), as a
// one-line bar on a terminal, or as JSON lines for other programs.
enum class ProgressStyle { none, bar, json };

// Draws a one-line bar on a terminal, or writes one JSON object per line:
//   {"job": "...", "stage": "terrain", "fraction": 0.42}
// ("job" only when one is set) at the start and end of every stage and at
// most once per percent in between. When `enabled` is false (not a terminal,
// or -q), it only polls the cancel flag.
class Progress {
 public:
  Progress(bool enabled, const CancelFlag& cancel, std::ostream* sink = nullptr);
  Progress(ProgressStyle style, const CancelFlag& cancel, std::ostream* sink = nullptr, std::string job = {});
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void begin(const std::string& stage);
  // fraction in [0, 1]; throws Cancelled when cancellation was requested.
  void update(double fraction);
  void end();

  // Wipes the bar's line so that a message can be printed; the bar is drawn
  // again at the next update.
  void clear_line();

  const CancelFlag& cancel() const { return cancel_; }

  // For GDALProgressFunc: pArg is a Progress*. Returns FALSE when cancelled.
  static int gdal_callback(double fraction, const char* message, void* arg);

  // Maps a sub-task's [0, 1] onto [lo, hi] of the current stage, for GDAL
  // calls that are one part of a stage.
  struct Span {
    Progress* progress;
    double lo, hi;
  };
  static int gdal_span_callback(double fraction, const char* message, void* arg);

 private:
  void draw(double fraction, bool force);
  void emit_json(double fraction);

  ProgressStyle style_;
  bool enabled_;
  std::string job_;
  const CancelFlag& cancel_;
  std::ostream* sink_;
  std::string stage_;
  int last_permille_ = -1;
  std::chrono::steady_clock::time_point last_draw_{};
  std::chrono::steady_clock::time_point stage_start_{};
  bool active_ = false;
};

}  // namespace relocplan::core
