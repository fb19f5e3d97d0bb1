#include "relocplan/batch/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "relocplan/config/scenario.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/core/text.hpp"
#include "relocplan/io/checksum.hpp"
#include "relocplan/io/output.hpp"

namespace relocplan::batch {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string clock_time() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string seconds_text(double s) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(1) << s;
  return os.str();
}

std::size_t physical_memory_mb() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 4096;
  return static_cast<std::size_t>(pages) / 1024 * static_cast<std::size_t>(page) / 1024;
}

// Reads run_info as key -> value; empty when the file is not a readable
// GeoPackage with that table.
std::map<std::string, std::string> read_run_info(const fs::path& gpkg) {
  std::map<std::string, std::string> info;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(gpkg.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return info;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT key, value FROM run_info", -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      const auto* k = sqlite3_column_text(st, 0);
      const auto* v = sqlite3_column_text(st, 1);
      if (k) info[reinterpret_cast<const char*>(k)] = v ? reinterpret_cast<const char*>(v) : "";
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return info;
}

// The input path behind a run_info checksum key's input name.
std::optional<fs::path> input_path(const config::Scenario& s, const std::string& what) {
  if (what == "villages") return s.villages.path;
  if (what == "dem") return s.dem.path;
  if (what == "landcover" && s.landcover) return s.landcover->path;
  if (what == "fragility" && s.fragility) return s.fragility->path;
  if (what == "boundary" && s.study_area.boundary_path) return *s.study_area.boundary_path;
  const auto vectors = config::vector_inputs(s);
  for (const auto& [name, in] : vectors)
    if (what == name && *in) return (*in)->path;
  return std::nullopt;
}

struct Running {
  std::size_t index = 0;
  pid_t pid = -1;
  int progress_fd = -1;
  std::string buffer;  // partial progress line
  std::string stage = "starting";
  double fraction = 0;
  Clock::time_point start;
  bool terminated = false;
};

class Display {
 public:
  Display(BatchDisplay mode, std::ostream& out, std::ostream& err, fs::path log_file)
      : mode_(mode), out_(out), err_(err), log_file_(std::move(log_file)) {
    std::error_code ec;
    fs::create_directories(log_file_.parent_path(), ec);
    file_.open(log_file_, std::ios::binary | std::ios::trunc);
  }

  // A line of the batch log: kept, written to the log file, and shown
  // (quiet mode shows only `important` lines).
  void log(const std::string& line, bool important = false) {
    const std::string stamped = clock_time() + " " + line;
    text_ += stamped + "\n";
    if (file_) file_ << stamped << '\n' << std::flush;
    if (mode_ == BatchDisplay::quiet && !important) return;
    clear();
    err_ << (mode_ == BatchDisplay::terminal ? line : stamped) << '\n' << std::flush;
  }

  void event(const nlohmann::ordered_json& j) {
    if (mode_ != BatchDisplay::json) return;
    out_ << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n' << std::flush;
  }

  // The terminal block: an overall bar and one line per running job.
  void draw(const std::vector<JobRecord>& jobs, const std::vector<Running>& running, std::size_t finished,
            bool force = false) {
    if (mode_ != BatchDisplay::terminal) return;
    const auto now = Clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    clear();
    const std::size_t total = jobs.size();
    double partial = 0;
    for (const auto& r : running) partial += 0.5 * r.fraction;  // a stage's share of its job is unknown
    // Never moves backwards, though a job's next stage starts again at 0 %.
    shown_ = std::max(shown_, total ? (static_cast<double>(finished) + partial) / static_cast<double>(total) : 1.0);
    const double fraction = shown_;
    constexpr int width = 30;
    const int filled = std::clamp(static_cast<int>(fraction * width), 0, width);
    std::ostringstream os;
    os << "batch [" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << finished << "/" << total
       << " jobs finished, " << running.size() << " running\n";
    for (const auto& r : running)
      os << "  " << core::fit_width(jobs[r.index].id, 40) << " " << core::fit_width(r.stage, 24) << " " << std::right
         << std::setw(3) << static_cast<int>(r.fraction * 100.0) << "%\n";
    lines_ = 1 + running.size();
    err_ << os.str() << std::flush;
  }

  void clear() {
    if (mode_ != BatchDisplay::terminal || lines_ == 0) return;
    for (std::size_t i = 0; i < lines_; ++i) err_ << "\x1b[1A\x1b[2K";
    err_ << '\r' << std::flush;
    lines_ = 0;
  }

  const std::string& text() const { return text_; }
  BatchDisplay mode() const { return mode_; }

 private:
  BatchDisplay mode_;
  std::ostream& out_;
  std::ostream& err_;
  fs::path log_file_;
  std::ofstream file_;
  std::string text_;
  std::size_t lines_ = 0;
  double shown_ = 0;
  Clock::time_point last_draw_{};
};

// Starts one job as a child process. Returns the child's pid, the read end
// of its progress pipe in `progress_fd`.
pid_t spawn_job(const fs::path& exe, const JobRecord& job, const fs::path& log_path, int& progress_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw core::InternalError(std::string("cannot create a pipe: ") + std::strerror(errno));
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw core::OutputError("cannot write the job log '" + log_path.string() + "': " + std::strerror(errno));
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  // Everything the child needs is prepared before fork: between fork and
  // exec only async-signal-safe calls are made.
  const std::vector<std::string> args = {exe.string(), "run", job.scenario.string(), "-o", job.output.string(),
                                         "--overwrite", "-q", "--progress=json", "--progress-fd", "3"};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw core::InternalError(std::string("cannot start a job (fork): ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The child dies with the batch: no orphans when the batch is killed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (fds[1] == 3) ::fcntl(3, F_SETFD, 0);
    else ::dup2(fds[1], 3);
    ::execv(argv[0], argv.data());
    static const char msg[] = "relocplan: error: cannot start the relocplan executable for this job\n";
    [[maybe_unused]] const auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(fds[1]);
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  progress_fd = fds[0];
  return pid;
}

// Removes the temporary files of this batch's jobs left by a batch that was
// killed, when their process is gone.
std::vector<fs::path> remove_stale_temporaries(const fs::path& jobs_dir, const std::vector<JobSpec>& jobs) {
  std::vector<fs::path> removed;
  for (const auto& job : jobs)
    for (auto& p : io::remove_stale_temporaries(jobs_dir / (job.record.id + ".gpkg"))) removed.push_back(std::move(p));
  std::sort(removed.begin(), removed.end());
  return removed;
}

}  // namespace

void write_if_changed(const fs::path& path, const std::string& text) {
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      if (ss.str() == text) return;
    }
  }
  const fs::path tmp = path.parent_path() / ("." + path.filename().string() + "." + std::to_string(::getpid()) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw core::OutputError("cannot write '" + tmp.string() + "'");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw core::OutputError("cannot write '" + path.string() + "': " + ec.message());
  }
}

void check_existing_outputs(const BatchPlan& plan, bool resume, bool overwrite) {
  if (resume || overwrite) return;
  std::vector<std::string> existing;
  std::error_code ec;
  for (const auto& j : plan.jobs)
    if (fs::exists(j.record.output, ec)) existing.push_back(j.record.output.string());
  if (!existing.empty())
    throw core::OutputError(std::to_string(existing.size()) + " job output(s) already exist, e.g. '" + existing.front() +
                            "'; pass --resume to keep the complete ones and run the rest, or --overwrite to run "
                            "every job again");
}

std::vector<fs::path> prepare_job_files(const BatchPlan& plan) {
  for (const fs::path& d : {plan.spec.output_dir, plan.jobs_dir, plan.scenarios_dir, plan.logs_dir}) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) throw core::OutputError("cannot create folder '" + d.string() + "': " + ec.message());
  }
  auto removed = remove_stale_temporaries(plan.jobs_dir, plan.jobs);
  for (const auto& j : plan.jobs) write_if_changed(j.record.scenario, j.scenario_text);
  return removed;
}

std::string last_error_line(const fs::path& log) {
  std::ifstream in(log, std::ios::binary);
  std::string line, last, last_error;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (line.empty()) continue;
    last = line;
    if (line.find("error") != std::string::npos) last_error = line;
  }
  return last_error.empty() ? last : last_error;
}

bool job_up_to_date(const JobSpec& job, const fs::path& gpkg, std::string& why,
                    std::map<fs::path, std::string>* hash_cache) {
  std::error_code ec;
  if (!fs::is_regular_file(gpkg, ec)) {
    why = "no output";
    return false;
  }
  const auto info = read_run_info(gpkg);
  if (info.empty()) {
    why = "the output cannot be read or has no run_info";
    return false;
  }
  if (!info.count("finished_utc")) {
    why = "the output is not from a finished run";
    return false;
  }
  auto text = info.find("scenario.text");
  if (text == info.end() || text->second != job.scenario_text) {
    why = "the job's scenario changed";
    return false;
  }
  config::Scenario s;
  try {
    s = config::parse_scenario(job.scenario_text, job.record.scenario);
  } catch (const core::Error& e) {
    why = e.what();
    return false;
  }
  std::map<fs::path, std::string> local;
  auto& cache = hash_cache ? *hash_cache : local;
  std::size_t inputs = 0;
  for (const auto& [key, value] : info) {
    // input.<what>.<file name>.sha256
    if (key.rfind("input.", 0) != 0 || key.size() < 14 || key.compare(key.size() - 7, 7, ".sha256") != 0) continue;
    const std::string rest = key.substr(6, key.size() - 6 - 7);
    const std::size_t dot = rest.find('.');
    if (dot == std::string::npos) continue;
    const std::string what = rest.substr(0, dot), file = rest.substr(dot + 1);
    const auto path = input_path(s, what);
    if (!path) {
      why = "input '" + what + "' is no longer in the scenario";
      return false;
    }
    const fs::path f = path->parent_path() / file;
    auto it = cache.find(f);
    if (it == cache.end()) {
      std::string h;
      try {
        h = fs::exists(f, ec) ? io::sha256_file(f) : std::string();
      } catch (const core::Error&) {
        h.clear();
      }
      it = cache.emplace(f, h).first;
    }
    if (it->second != value) {
      why = "input file '" + f.string() + "' changed";
      return false;
    }
    ++inputs;
  }
  if (inputs == 0) {
    why = "the output records no input checksums";
    return false;
  }
  return true;
}

BatchResult run_batch(const BatchPlan& plan, const BatchOptions& options, const core::CancelFlag& cancel) {
  std::ostream& out = options.out ? *options.out : std::cout;
  std::ostream& err = options.err ? *options.err : std::cerr;
  const auto& spec = plan.spec;
  BatchResult result;
  result.name = spec.name;
  result.batch_file = spec.file;
  result.batch_text = spec.text;
  result.output_dir = spec.output_dir;
  result.sensitivity = spec.sensitivity.has_value();
  result.summary = plan.summary;
  for (const auto& j : plan.jobs) result.jobs.push_back(j.record);

  check_existing_outputs(plan, options.resume, options.overwrite);
  std::error_code dir_ec;
  fs::create_directories(spec.output_dir, dir_ec);
  if (dir_ec) throw core::OutputError("cannot create folder '" + spec.output_dir.string() + "': " + dir_ec.message());

  Display display(options.display, out, err, spec.output_dir / "batch.log");
  const int cores = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  const std::size_t max_jobs = static_cast<std::size_t>(options.jobs > 0 ? options.jobs : cores);
  const std::size_t budget_mb = spec.memory_mb.value_or(physical_memory_mb() / 2);
  fs::path exe = options.executable;
  if (exe.empty()) {
    std::error_code ec;
    exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw core::InternalError("cannot find the relocplan executable (/proc/self/exe): " + ec.message());
  }

  display.log("batch '" + spec.name + "' (" + spec.file.string() + "): " + std::to_string(plan.jobs.size()) +
              " job(s), at most " + std::to_string(max_jobs) + " at once within " + std::to_string(budget_mb) +
              " MB; output in " + spec.output_dir.string());
  display.event({{"event", "batch_start"}, {"batch", spec.name}, {"jobs", plan.jobs.size()},
                 {"output_dir", spec.output_dir.string()}});

  for (const auto& p : prepare_job_files(plan))
    display.log("removed the temporary file '" + p.string() + "' of an interrupted run");

  std::vector<bool> pending(plan.jobs.size(), true);
  std::size_t finished = 0;
  auto finish = [&](std::size_t i, JobStatus status, int code, const std::string& message, double seconds) {
    JobRecord& r = result.jobs[i];
    r.status = status;
    r.exit_code = code;
    r.message = message;
    r.seconds = seconds;
    pending[i] = false;
    ++finished;
    nlohmann::ordered_json ev = {{"event", "job_end"}, {"job", r.id},   {"status", to_string(status)},
                                 {"exit_code", code},  {"seconds", std::round(seconds * 10.0) / 10.0},
                                 {"message", message}, {"output", r.output.string()}};
    display.event(ev);
  };

  if (options.resume) {
    std::map<fs::path, std::string> hashes;
    for (std::size_t i = 0; i < plan.jobs.size(); ++i) {
      if (cancel.requested()) break;
      std::string why;
      if (job_up_to_date(plan.jobs[i], plan.jobs[i].record.output, why, &hashes)) {
        display.log("job " + result.jobs[i].id + " skipped: its output is complete and up to date");
        finish(i, JobStatus::skipped, 0, "", 0.0);
      } else if (why != "no output") {
        display.log("job " + result.jobs[i].id + " will run again: " + why);
      }
    }
  }

  // The scheduler: start jobs in order while they fit; poll progress pipes.
  std::vector<Running> running;
  std::size_t next = 0;
  std::size_t memory_in_use = 0;
  auto cost_of = [&](std::size_t i) { return plan.jobs[i].record.memory_mb + kJobAllowanceMb; };
  bool cancelling = false;
  Clock::time_point cancel_time{};

  auto read_progress = [&](Running& r) {
    char buf[4096];
    while (true) {
      const ssize_t n = ::read(r.progress_fd, buf, sizeof buf);
      if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          ::close(r.progress_fd);
          r.progress_fd = -1;
        }
        break;
      }
      r.buffer.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t nl;
    while ((nl = r.buffer.find('\n')) != std::string::npos) {
      const std::string line = r.buffer.substr(0, nl);
      r.buffer.erase(0, nl + 1);
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) continue;
      if (j.contains("stage") && j["stage"].is_string()) r.stage = j["stage"].get<std::string>();
      if (j.contains("fraction") && j["fraction"].is_number()) r.fraction = j["fraction"].get<double>();
      display.event({{"event", "progress"}, {"job", result.jobs[r.index].id}, {"stage", r.stage},
                     {"fraction", r.fraction}});
    }
  };

  while (true) {
    if (cancel.requested() && !cancelling) {
      cancelling = true;
      cancel_time = Clock::now();
      display.log("cancelling: stopping " + std::to_string(running.size()) + " running job(s)", true);
      for (auto& r : running) {
        ::kill(r.pid, SIGTERM);
        r.terminated = true;
      }
    }
    if (cancelling && Clock::now() - cancel_time > std::chrono::seconds(10))
      for (auto& r : running) ::kill(r.pid, SIGKILL);

    // Start the next jobs, in order, while they fit.
    while (!cancelling) {
      while (next < plan.jobs.size() && !pending[next]) ++next;
      if (next >= plan.jobs.size() || running.size() >= max_jobs) break;
      const std::size_t cost = cost_of(next);
      if (!running.empty() && memory_in_use + cost > budget_mb) break;
      JobRecord& rec = result.jobs[next];
      if (cost > budget_mb)
        display.log("warning: job " + rec.id + " needs about " + std::to_string(cost) + " MB, more than the batch's " +
                        std::to_string(budget_mb) + " MB; it runs alone",
                    true);
      Running r;
      r.index = next;
      r.start = Clock::now();
      const fs::path log_path = plan.logs_dir / (rec.id + ".log");
      try {
        r.pid = spawn_job(exe, rec, log_path, r.progress_fd);
      } catch (const core::Error& e) {
        display.log("job " + rec.id + " failed to start: " + e.what(), true);
        finish(next, JobStatus::failed, static_cast<int>(e.code()), e.what(), 0.0);
        ++next;
        continue;
      }
      memory_in_use += cost;
      display.log("job " + rec.id + " started (" + std::to_string(next + 1) + "/" + std::to_string(plan.jobs.size()) +
                  ")");
      display.event({{"event", "job_start"}, {"job", rec.id}, {"index", next + 1}, {"total", plan.jobs.size()},
                     {"variant", rec.variant}, {"log", log_path.string()}});
      running.push_back(std::move(r));
      ++next;
    }
    if (running.empty()) {
      if (cancelling || next >= plan.jobs.size()) break;
      continue;
    }

    std::vector<pollfd> fds;
    for (const auto& r : running)
      if (r.progress_fd >= 0) fds.push_back({r.progress_fd, POLLIN, 0});
    if (fds.empty()) ::usleep(100 * 1000);
    else ::poll(fds.data(), fds.size(), 200);
    for (auto& r : running)
      if (r.progress_fd >= 0) read_progress(r);

    // Reap the children that ended.
    for (std::size_t k = 0; k < running.size();) {
      Running& r = running[k];
      int status = 0;
      const pid_t w = ::waitpid(r.pid, &status, WNOHANG);
      if (w == 0 || (w < 0 && errno == EINTR)) {
        ++k;
        continue;
      }
      if (r.progress_fd >= 0) {
        read_progress(r);
        if (r.progress_fd >= 0) ::close(r.progress_fd);
      }
      const int code = w < 0 ? 5 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      const double seconds = std::chrono::duration<double>(Clock::now() - r.start).count();
      const JobRecord& rec = result.jobs[r.index];
      const fs::path log_path = plan.logs_dir / (rec.id + ".log");
      if (code == 0) {
        display.log("job " + rec.id + " done in " + seconds_text(seconds) + " s");
        finish(r.index, JobStatus::done, 0, "", seconds);
      } else if (r.terminated || (cancel.requested() && code == 130)) {
        display.log("job " + rec.id + " cancelled", true);
        finish(r.index, JobStatus::cancelled, code, "cancelled", seconds);
      } else {
        std::string message = last_error_line(log_path);
        if (code == 127 && message.empty()) message = "cannot start '" + exe.string() + "'";
        if (message.empty()) message = "ended with exit code " + std::to_string(code) + " and an empty log";
        display.log("job " + rec.id + " failed with exit code " + std::to_string(code) + ": " + message + " (log: " +
                        log_path.string() + ")",
                    true);
        finish(r.index, JobStatus::failed, code, message, seconds);
      }
      memory_in_use -= cost_of(r.index);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
    }
    display.draw(result.jobs, running, finished);
  }
  display.draw(result.jobs, running, finished, true);
  display.clear();

  std::size_t done = 0, skipped = 0, failed = 0, cancelled = 0;
  for (auto& r : result.jobs) {
    if (r.status == JobStatus::cancelled && r.message.empty()) r.message = "not started: the batch was cancelled";
    switch (r.status) {
      case JobStatus::done: ++done; break;
      case JobStatus::skipped: ++skipped; break;
      case JobStatus::failed: ++failed; break;
      case JobStatus::cancelled: ++cancelled; break;
    }
  }
  result.exit_code = cancelling || cancelled > 0 ? static_cast<int>(core::ExitCode::cancelled)
                     : failed > 0                ? static_cast<int>(core::ExitCode::jobs_failed)
                                                 : 0;
  std::string summary_line = "batch '" + spec.name + "' " +
                             (cancelling ? "cancelled" : failed ? "finished with failures" : "finished") + ": " +
                             std::to_string(done) + " done, " + std::to_string(skipped) + " skipped, " +
                             std::to_string(failed) + " failed, " + std::to_string(cancelled) + " cancelled";
  display.log(summary_line, true);
  for (const auto& r : result.jobs)
    if (r.status == JobStatus::failed)
      display.log("  failed: " + r.id + " (exit code " + std::to_string(r.exit_code) + "): " + r.message, true);
  display.event({{"event", "batch_end"}, {"batch", spec.name},  {"done", done},
                 {"skipped", skipped},   {"failed", failed},    {"cancelled", cancelled},
                 {"exit_code", result.exit_code}, {"summary", plan.summary.string()}});
  result.log_text = display.text();
  return result;
}

}  // namespace relocplan::batch
