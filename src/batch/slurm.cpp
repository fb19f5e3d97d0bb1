#include "relocplan/batch/slurm.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "relocplan/batch/runner.hpp"
#include "relocplan/core/error.hpp"

namespace relocplan::batch {

namespace fs = std::filesystem;

namespace {

struct Captured {
  int exit_code = -1;  // -1: could not start
  std::string out, err;
};

// Runs a program found on PATH with `args` and no shell; collects its output.
Captured capture(const std::vector<std::string>& args) {
  Captured c;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return c;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return c;
  }
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return c;
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&c.out, &c.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[k]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return c;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

// A word for bash: single-quoted, with embedded quotes closed and escaped.
std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) {
    if (ch == '\'') q += "'\\''";
    else q += ch;
  }
  return q + "'";
}

void write_script(const fs::path& path, const std::string& text) {
  write_if_changed(path, text);
  std::error_code ec;
  fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add,
                  ec);
  if (ec) throw core::OutputError("cannot make '" + path.string() + "' executable: " + ec.message());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path slurm_dir(const BatchPlan& plan) { return plan.spec.output_dir / "slurm"; }
fs::path records_dir(const BatchPlan& plan) { return slurm_dir(plan) / "records"; }

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Job index -> array job id of the latest submission that holds it.
std::map<std::size_t, std::string> submitted_tasks(const BatchPlan& plan) {
  std::map<std::size_t, std::string> tasks;
  std::ifstream in(slurm_dir(plan) / "submissions.tsv");
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() < 4 || cols[0] == "submitted_utc") continue;
    std::stringstream idx(cols[3]);
    while (std::getline(idx, col, ',')) {
      try {
        tasks[static_cast<std::size_t>(std::stoul(col))] = cols[1];
      } catch (const std::exception&) {
      }
    }
  }
  return tasks;
}

struct QueueEntry {
  std::string state, reason;
};

// The user's Slurm jobs by "<array id>_<task>"; `note` says when squeue
// could not be asked.
std::map<std::string, QueueEntry> queue_entries(std::string& note) {
  std::map<std::string, QueueEntry> entries;
  const auto c = capture({"squeue", "--noheader", "--array", "--me", "--format=%i|%T|%r"});
  if (c.exit_code != 0) {
    note = c.exit_code == 127 || c.exit_code == -1 ? "squeue is not available here"
                                                   : "squeue failed: " + trim(c.err.empty() ? c.out : c.err);
    return entries;
  }
  std::stringstream ss(c.out);
  std::string line;
  while (std::getline(ss, line)) {
    const auto a = line.find('|'), b = line.rfind('|');
    if (a == std::string::npos || a == b) continue;
    entries[trim(line.substr(0, a))] = {trim(line.substr(a + 1, b - a - 1)), trim(line.substr(b + 1))};
  }
  return entries;
}

// Why Slurm ended a task, from its own log (time limit, memory, node failure).
std::string slurm_reason(const fs::path& log) {
  std::ifstream in(log, std::ios::binary);
  std::string line, last, reason;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty()) continue;
    last = line;
    if (line.find("CANCELLED") != std::string::npos || line.find("oom") != std::string::npos ||
        line.find("error") != std::string::npos || line.find("Killed") != std::string::npos)
      reason = line;
  }
  return reason.empty() ? last : reason;
}

std::string task_script(const BatchPlan& plan, const fs::path& exe) {
  const std::string dir = shell_quote(plan.spec.output_dir.string());
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# relocplan batch '" << plan.spec.name << "': one Slurm array task per job (line N+1 of jobs.txt is task N).\n"
    << "# Written by relocplan batch --engine slurm; the task runs relocplan on the job's scenario.\n"
    << "set -u\n"
    << "dir=" << dir << "\n"
    << "id=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" \"$dir/slurm/jobs.txt\")\n"
    << "if [ -z \"$id\" ]; then\n"
    << "  echo \"relocplan: error: no job for array task $SLURM_ARRAY_TASK_ID in $dir/slurm/jobs.txt\" >&2\n"
    << "  exit 2\n"
    << "fi\n"
    << "rec=\"$dir/slurm/records\"\n"
    << "start=$(date +%s)\n"
    << "printf '%s %s\\n' \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\" \"$start\" > \"$rec/.$id.start\" && "
       "mv -f \"$rec/.$id.start\" \"$rec/$id.start\"\n"
    << shell_quote(exe.string())
    << " run \"$dir/scenarios/$id.toml\" -o \"$dir/jobs/$id.gpkg\" --overwrite -q > \"$dir/logs/$id.log\" 2>&1\n"
    << "code=$?\n"
    << "printf '%s %s\\n' \"$code\" \"$(( $(date +%s) - start ))\" > \"$rec/.$id.exit\" && "
       "mv -f \"$rec/.$id.exit\" \"$rec/$id.exit\"\n"
    << "if [ \"$code\" -ne 0 ]; then echo \"relocplan: error: job $id failed with exit code $code: "
       "$(grep error \"$dir/logs/$id.log\" | tail -n 1)\" >&2; fi\n"
    << "exit \"$code\"\n";
  return s.str();
}

std::string summary_script(const BatchPlan& plan, const fs::path& exe) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# relocplan batch '" << plan.spec.name << "': the batch summary, once every array task has ended.\n"
    << "exec " << shell_quote(exe.string()) << " batch " << shell_quote(plan.spec.file.string())
    << " --summary-only\n";
  return s.str();
}

std::string sbatch_job_id(const Captured& c) {
  // --parsable prints "<job id>[;<cluster>]".
  std::string id = trim(c.out);
  if (const auto semi = id.find(';'); semi != std::string::npos) id.erase(semi);
  return id;
}

std::string array_spec(const std::vector<std::size_t>& tasks, int max_running) {
  std::string spec;
  for (std::size_t k = 0; k < tasks.size();) {
    std::size_t e = k;
    while (e + 1 < tasks.size() && tasks[e + 1] == tasks[e] + 1) ++e;
    if (!spec.empty()) spec += ",";
    spec += std::to_string(tasks[k]);
    if (e > k) spec += "-" + std::to_string(tasks[e]);
    k = e + 1;
  }
  if (max_running > 0) spec += "%" + std::to_string(max_running);
  return spec;
}

}  // namespace

const char* to_string(JobState state) {
  switch (state) {
    case JobState::done: return "done";
    case JobState::failed: return "failed";
    case JobState::queued: return "queued";
    case JobState::running: return "running";
    case JobState::not_run: return "not run";
  }
  return "not run";
}

std::vector<JobStatusLine> batch_status(const BatchPlan& plan, std::string* queue_note) {
  const auto submitted = submitted_tasks(plan);
  std::map<std::string, QueueEntry> queue;
  std::string note;
  if (!submitted.empty()) queue = queue_entries(note);
  if (queue_note) *queue_note = note;
  std::map<fs::path, std::string> hashes;
  std::vector<JobStatusLine> lines;
  for (std::size_t i = 0; i < plan.jobs.size(); ++i) {
    const auto& job = plan.jobs[i];
    JobStatusLine s;
    s.id = job.record.id;
    const fs::path log = plan.logs_dir / (s.id + ".log");
    const fs::path exit_record = records_dir(plan) / (s.id + ".exit");
    const fs::path start_record = records_dir(plan) / (s.id + ".start");
    const auto sub = submitted.find(i);
    if (sub != submitted.end()) s.slurm_job = sub->second + "_" + std::to_string(i);
    std::error_code ec;
    if (fs::exists(exit_record, ec)) {
      std::istringstream in(read_file(exit_record));
      int code = -1;
      double seconds = 0;
      in >> code >> seconds;
      s.seconds = seconds;
      std::string why;
      if (code == 0 && job_up_to_date(job, job.record.output, why, &hashes)) {
        s.state = JobState::done;
      } else if (code == 0) {
        s.state = JobState::not_run;
        s.detail = "ran, but " + why + "; --resume runs it again";
      } else {
        s.state = JobState::failed;
        s.exit_code = code;
        s.detail = last_error_line(log);
        if (s.detail.empty()) s.detail = "ended with exit code " + std::to_string(code);
      }
      lines.push_back(std::move(s));
      continue;
    }
    if (sub != submitted.end()) {
      const auto q = queue.find(s.slurm_job);
      if (q != queue.end()) {
        const std::string& st = q->second.state;
        if (st == "PENDING" || st == "REQUEUED" || st == "SUSPENDED") {
          s.state = JobState::queued;
          s.detail = "Slurm " + s.slurm_job + " " + st + (q->second.reason.empty() || q->second.reason == "None"
                                                               ? std::string()
                                                               : " (" + q->second.reason + ")");
        } else {
          s.state = JobState::running;
          s.detail = "Slurm " + s.slurm_job + " " + st;
        }
        lines.push_back(std::move(s));
        continue;
      }
      const fs::path slurm_log = slurm_dir(plan) / "logs" / (s.slurm_job + ".log");
      if (!note.empty()) {
        s.state = fs::exists(start_record, ec) ? JobState::running : JobState::queued;
        s.detail = "Slurm " + s.slurm_job + ", state unknown: " + note;
      } else {
        // Gone from the queue without an exit record: Slurm ended it (time
        // limit, memory, node failure, scancel) before relocplan could finish.
        s.state = JobState::failed;
        s.exit_code = static_cast<int>(core::ExitCode::cancelled);
        std::string reason = fs::exists(slurm_log, ec) ? slurm_reason(slurm_log) : std::string();
        if (reason.empty())
          reason = fs::exists(start_record, ec) ? "ended without an exit record"
                                                : "left the queue without starting (cancelled?)";
        s.detail = "Slurm " + s.slurm_job + ": " + reason + " (log: " + slurm_log.string() + ")";
      }
      lines.push_back(std::move(s));
      continue;
    }
    // Not submitted to Slurm: what the local engine left.
    std::string why;
    if (job_up_to_date(job, job.record.output, why, &hashes)) {
      s.state = JobState::done;
    } else if (fs::exists(log, ec) && !last_error_line(log).empty()) {
      s.state = JobState::failed;
      s.detail = last_error_line(log);
    } else {
      s.state = JobState::not_run;
      if (why != "no output") s.detail = why;
    }
    lines.push_back(std::move(s));
  }
  return lines;
}

std::vector<JobRecord> records_from_status(const BatchPlan& plan, const std::vector<JobStatusLine>& status) {
  std::vector<JobRecord> records;
  for (std::size_t i = 0; i < plan.jobs.size(); ++i) {
    JobRecord r = plan.jobs[i].record;
    const auto& s = status.at(i);
    r.seconds = s.seconds;
    switch (s.state) {
      case JobState::done: r.status = JobStatus::done; break;
      case JobState::failed:
        r.status = JobStatus::failed;
        r.exit_code = s.exit_code;
        r.message = s.detail;
        break;
      default:
        r.status = JobStatus::cancelled;
        r.message = std::string("not finished: ") + to_string(s.state) + (s.detail.empty() ? "" : ", " + s.detail);
    }
    records.push_back(std::move(r));
  }
  return records;
}

SlurmSubmission submit_slurm(const BatchPlan& plan, const SlurmOptions& options, std::ostream& log) {
  check_existing_outputs(plan, options.resume, options.overwrite);
  fs::path exe = options.executable;
  if (exe.empty()) {
    std::error_code ec;
    exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw core::InternalError("cannot find the relocplan executable (/proc/self/exe): " + ec.message());
  }
  SlurmSubmission sub;
  bool still_in_queue = false;
  // Which jobs run: every job, or those neither done nor queued or running.
  if (options.resume) {
    const auto status = batch_status(plan);
    for (std::size_t i = 0; i < status.size(); ++i) {
      const auto st = status[i].state;
      if (st == JobState::queued || st == JobState::running) still_in_queue = true;
      if (st == JobState::done || st == JobState::queued || st == JobState::running) {
        if (st != JobState::done) log << "job " << status[i].id << " is " << to_string(st) << " (" << status[i].detail
                                      << "); not submitted again\n";
        continue;
      }
      if (st == JobState::failed) log << "job " << status[i].id << " failed before; submitted again\n";
      sub.tasks.push_back(i);
    }
  } else {
    for (std::size_t i = 0; i < plan.jobs.size(); ++i) sub.tasks.push_back(i);
  }

  for (const auto& p : prepare_job_files(plan))
    log << "removed the temporary file '" << p.string() << "' of an interrupted run\n";
  const fs::path dir = slurm_dir(plan);
  for (const fs::path& d : {dir, dir / "records", dir / "logs"}) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) throw core::OutputError("cannot create folder '" + d.string() + "': " + ec.message());
  }
  std::string ids;
  for (const auto& j : plan.jobs) ids += j.record.id + "\n";
  write_if_changed(dir / "jobs.txt", ids);
  write_script(dir / "task.sh", task_script(plan, exe));
  write_script(dir / "summary.sh", summary_script(plan, exe));

  std::size_t need_mb = 0;
  for (std::size_t i : sub.tasks) need_mb = std::max(need_mb, plan.jobs[i].record.memory_mb + kJobAllowanceMb);
  sub.mem_mb = options.mem_mb.value_or(need_mb);
  if (options.mem_mb && *options.mem_mb < need_mb)
    log << "warning: --mem " << *options.mem_mb << " MB is less than the " << need_mb
        << " MB a job needs (its memory_mb and " << kJobAllowanceMb << " MB for GDAL and the process)\n";

  const std::string job_name = "relocplan-" + plan.spec.name;
  std::vector<std::string> common;
  if (options.partition) common.push_back("--partition=" + *options.partition);
  if (options.time) common.push_back("--time=" + *options.time);
  common.push_back("--chdir=" + plan.spec.output_dir.string());

  auto run_sbatch = [&](std::vector<std::string> args, const std::string& what) {
    args.insert(args.begin(), {options.sbatch, "--parsable"});
    const auto c = capture(args);
    if (c.exit_code == 127 || c.exit_code == -1)
      throw core::ClusterError("cannot run '" + options.sbatch +
                               "': not found on PATH; --engine slurm needs the Slurm client commands (sbatch, squeue; "
                               "Debian package slurm-client) on this machine");
    const std::string id = sbatch_job_id(c);
    if (c.exit_code != 0 || id.empty() || !std::all_of(id.begin(), id.end(), ::isdigit))
      throw core::ClusterError("sbatch refused the " + what + " (exit code " + std::to_string(c.exit_code) +
                               "): " + trim(c.err.empty() ? c.out : c.err));
    return id;
  };

  if (!sub.tasks.empty()) {
    // A job's records from an earlier submission would be read as this one's.
    for (std::size_t i : sub.tasks) {
      std::error_code ec;
      fs::remove(dir / "records" / (plan.jobs[i].record.id + ".start"), ec);
      fs::remove(dir / "records" / (plan.jobs[i].record.id + ".exit"), ec);
    }
    std::vector<std::string> args = {"--job-name=" + job_name, "--array=" + array_spec(sub.tasks, options.max_running),
                                     "--mem=" + std::to_string(sub.mem_mb) + "M", "--ntasks=1",
                                     "--output=" + (dir / "logs" / "%A_%a.log").string()};
    args.insert(args.end(), common.begin(), common.end());
    args.push_back((dir / "task.sh").string());
    sub.array_job = run_sbatch(args, "job array");
  }
  // The summary comes after every task, failed ones included (afterany); on
  // resume with nothing left to run it is written again at once, unless
  // tasks of an earlier submission are still in the queue: their summary job
  // comes after them.
  if (sub.tasks.empty() && still_in_queue) {
    log << "nothing to submit: the jobs not done are still queued or running, and the summary job of their "
           "submission writes the summary after them\n";
    return sub;
  }
  std::vector<std::string> args = {"--job-name=" + job_name + "-summary", "--mem=1024M", "--ntasks=1",
                                   "--output=" + (dir / "logs" / "summary_%j.log").string()};
  if (!sub.array_job.empty()) args.push_back("--dependency=afterany:" + sub.array_job);
  args.insert(args.end(), common.begin(), common.end());
  args.push_back((dir / "summary.sh").string());
  sub.summary_job = run_sbatch(args, "summary job");

  const fs::path tsv = dir / "submissions.tsv";
  std::string text = read_file(tsv);
  if (text.empty()) text = "submitted_utc\tarray_job\tsummary_job\ttasks\n";
  std::string tasks;
  for (std::size_t i : sub.tasks) tasks += (tasks.empty() ? "" : ",") + std::to_string(i);
  text += utc_now() + "\t" + sub.array_job + "\t" + sub.summary_job + "\t" + tasks + "\n";
  write_if_changed(tsv, text);
  return sub;
}

}  // namespace relocplan::batch
