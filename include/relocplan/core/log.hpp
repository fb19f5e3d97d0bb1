#pragma once
// Messages for the person at the terminal. Warnings are always shown (they
// report suspicious input: villages outside the DEM, NoData holes, mismatched
// CRSs); information is hidden by -q, detail is shown with -v. Everything that
// was warned about is also kept, so that it can be stored in the output.

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace relocplan::core {

enum class Verbosity { quiet, normal, verbose };

class Log {
 public:
  explicit Log(Verbosity verbosity, std::ostream* sink = nullptr);

  void info(const std::string& message);
  void detail(const std::string& message);
  void warn(const std::string& message);

  // Called before each message is printed (the progress bar clears its line).
  void set_before_message(std::function<void()> hook) { before_message_ = std::move(hook); }

  Verbosity verbosity() const { return verbosity_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Verbosity verbosity_;
  std::ostream* sink_;
  std::vector<std::string> warnings_;
  std::function<void()> before_message_;
};

}  // namespace relocplan::core
