"""Finding the relocplan program and running it with progress, messages and Cancel.

relocplan is always started with an argument list (never through a shell), so
paths with spaces, quotes or Chinese characters reach it unchanged.
"""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time

from qgis.core import QgsProcessingException

MINIMUM_VERSION = (0, 1, 0)
MINIMUM_VERSION_TEXT = ".".join(str(x) for x in MINIMUM_VERSION)

SETTING_EXECUTABLE = "RELOCPLAN_EXECUTABLE"
SETTING_DESCRIPTION = "relocplan executable"
SETTING_GROUP = "relocplan"
SETTING_HINT = ("Settings › Options › Processing › Providers › relocplan › "
                f"'{SETTING_DESCRIPTION}'")

# relocplan's exit codes (README, "Exit codes").
EXIT_CODES = {
    0: "success",
    2: "usage error or invalid scenario (unknown key, wrong type, missing required key or file, "
       "a mapped field that does not exist, a bad CRS, a grid that is too small or too large)",
    3: "input-data error (a file that cannot be read, invalid values, villages without coordinates, "
       "a DEM with no data under any village)",
    4: "output error (the output exists and overwrite was not chosen, or it cannot be written)",
    5: "internal error",
    6: "one or more batch jobs failed; the others ran to the end",
    130: "cancelled; no output is left behind",
}


def exit_code_meaning(code):
    if code is not None and code < 0:
        return f"killed by signal {-code}"
    return EXIT_CODES.get(code, "unexpected exit code")


def RelocplanNotFound(message):  # noqa: N802
    """QGIS passes only QgsProcessingException itself (not a subclass) on with its bare message."""
    return QgsProcessingException(message)


def configured_executable():
    """The provider setting's value ('' when unset or Processing is not initialised)."""
    try:
        from processing.core.ProcessingConfig import ProcessingConfig
        value = ProcessingConfig.getSetting(SETTING_EXECUTABLE)
    except Exception:  # pragma: no cover - Processing missing
        value = None
    return (str(value).strip() if value else "")


_version_cache = {}


def parse_version(text):
    """'relocplan 0.1.0 ...' (first line) -> ((0, 1, 0), '0.1.0'), or None."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    m = re.match(r"^relocplan\s+v?(\d+)\.(\d+)\.(\d+)(\S*)", first)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))), first.split()[1]


def program_version(exe):
    """(version tuple, version text) of the program, cached by path and modification time."""
    try:
        st = os.stat(exe)
        key = (exe, st.st_mtime_ns, st.st_size)
    except OSError:
        key = (exe, None, None)
    if key in _version_cache:
        return _version_cache[key]
    try:
        proc = subprocess.run([exe, "--version"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        raise RelocplanNotFound(f"relocplan at {exe} cannot be started: {e}")
    out = proc.stdout.decode("utf-8", "replace")
    parsed = parse_version(out) if proc.returncode == 0 else None
    if parsed is None:
        raise RelocplanNotFound(
            f"{exe} does not answer '--version' like relocplan (exit code {proc.returncode}, "
            f"first line: {out.strip().splitlines()[0] if out.strip() else '(nothing)'!r}); "
            f"set the relocplan program in {SETTING_HINT}")
    _version_cache[key] = parsed
    return parsed


def find_executable():
    """The relocplan program to run: the provider setting, else relocplan on PATH.

    Raises RelocplanNotFound with a message that says what to do when it is
    missing, not executable or older than MINIMUM_VERSION.
    """
    configured = configured_executable()
    if configured:
        exe = os.path.expanduser(configured)
        if os.path.isdir(exe):
            candidate = os.path.join(exe, "relocplan")
            exe = candidate if os.path.isfile(candidate) else exe
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            raise RelocplanNotFound(
                f"The relocplan program set in {SETTING_HINT} does not exist or is not executable: {exe}. "
                "Set it to the relocplan program (for example <relocplan source>/build/relocplan), "
                "or clear the setting to use relocplan from PATH.")
    else:
        exe = shutil.which("relocplan")
        if not exe:
            raise RelocplanNotFound(
                "The relocplan program was not found: it is not on PATH and "
                f"{SETTING_HINT} is empty. Build relocplan (./scripts/run-sample in its source folder) "
                "and set that setting to the program, for example <relocplan source>/build/relocplan.")
    version, text = program_version(exe)
    if version < MINIMUM_VERSION:
        raise RelocplanNotFound(
            f"relocplan {text} at {exe} is too old: this plugin needs relocplan {MINIMUM_VERSION_TEXT} or newer. "
            f"Update relocplan, or set a newer one in {SETTING_HINT}.")
    return exe, text


# Stages of `relocplan run`, in order, with rough weights (seconds on the
# sample county). Stages that are not expected (a newer relocplan) still count.
RUN_STAGES = [
    ("resolving inputs", 0.9, "base"),
    ("territories", 0.4, "base"),
    ("terrain", 2.0, "base"),
    ("assessment", 0.3, "base"),
    ("site inputs", 0.5, "sites"),
    ("travel time to county seats", 0.4, "sites"),
    ("site suitability", 1.2, "sites"),
    ("sites", 0.3, "sites"),
    ("site figures", 0.9, "sites"),
    ("allocation costs", 6.0, "allocation"),
    ("allocation", 0.3, "allocation"),
    ("writing rasters", 1.5, "base"),
    ("writing villages", 0.5, "base"),
    ("writing sites", 0.5, "sites"),
]
UNKNOWN_STAGE_WEIGHT = 0.5


def expected_stages(has_sites=True, has_allocation=True):
    parts = {"base", *(["sites"] if has_sites else []), *(["allocation"] if has_allocation and has_sites else [])}
    return [(name, weight) for name, weight, part in RUN_STAGES if part in parts]


class StageProgress:
    """Overall progress (0-1) of one run from its {"stage", "fraction"} reports.

    Each expected stage has a weight; a stage that appears finishes the stages
    before it; an unexpected stage is added after the current one. The result
    never goes down.
    """

    def __init__(self, stages):
        self.stages = [list(s) + [0.0] for s in stages]  # name, weight, fraction done
        self.current = -1
        self.value = 0.0

    def update(self, stage, fraction):
        names = [s[0] for s in self.stages]
        if stage in names[self.current + 1:] or (self.current >= 0 and names[self.current] == stage):
            i = names.index(stage, max(self.current, 0))
        else:
            i = self.current + 1
            self.stages.insert(i, [stage, UNKNOWN_STAGE_WEIGHT, 0.0])
        for s in self.stages[:i]:
            s[2] = 1.0
        self.current = i
        self.stages[i][2] = max(self.stages[i][2], min(max(float(fraction), 0.0), 1.0))
        total = sum(s[1] for s in self.stages)
        done = sum(s[1] * s[2] for s in self.stages)
        self.value = max(self.value, min(done / total if total > 0 else 0.0, 1.0))
        return self.value


class RunResult:
    def __init__(self):
        self.exit_code = None
        self.stdout_lines = []
        self.errors = []      # "relocplan: error: ..." and other non-JSON, non-warning stderr lines
        self.warnings = []
        self.events = []      # JSON objects
        self.cancelled = False
        self.seconds = 0.0


def _reader(stream, tag, q):
    try:
        for raw in iter(stream.readline, b""):
            q.put((tag, raw.decode("utf-8", "replace").rstrip("\r\n")))
    finally:
        stream.close()
        q.put((tag, None))


WARNING_LINE = re.compile(r"^(\d\d:\d\d:\d\d\s+)?(relocplan:\s+)?warning:")


def run_relocplan(exe, args, feedback, on_json=None, on_stdout=None, on_stderr=None, cwd=None,
                  terminate_timeout=60.0):
    """Runs relocplan with args, reading stdout and stderr in threads.

    on_json(obj, source) gets every JSON object line; on_stdout(line) and
    on_stderr(line) the other lines (defaults: stdout to the log, stderr
    classified into warnings and errors). On feedback.isCanceled() relocplan
    gets SIGTERM (it cancels cleanly and exits 130) and is waited for.
    """
    result = RunResult()
    cmd = [exe] + [str(a) for a in args]
    feedback.pushCommandInfo(" ".join(_quote(c) for c in cmd))
    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=cwd, close_fds=True)
    except OSError as e:
        raise QgsProcessingException(f"relocplan cannot be started ({exe}): {e}")
    q = queue.Queue()
    threads = [threading.Thread(target=_reader, args=(proc.stdout, "out", q), daemon=True),
               threading.Thread(target=_reader, args=(proc.stderr, "err", q), daemon=True)]
    for t in threads:
        t.start()
    open_streams = 2
    terminated_at = None

    def handle(tag, line):
        stripped = line.strip()
        if stripped.startswith("{"):
            try:
                obj = json.loads(stripped)
            except ValueError:
                obj = None
            if isinstance(obj, dict):
                result.events.append(obj)
                if on_json:
                    on_json(obj, tag)
                return
        if tag == "out":
            result.stdout_lines.append(line)
            if on_stdout:
                on_stdout(line)
            elif stripped:
                feedback.pushInfo(line)
            return
        if not stripped:
            return
        if on_stderr and on_stderr(line):
            return
        if WARNING_LINE.match(stripped):
            result.warnings.append(stripped)
            feedback.pushWarning(stripped)
        elif "error" in stripped[:40].lower():
            result.errors.append(stripped)
            feedback.reportError(stripped, False)
        else:
            feedback.pushInfo(stripped)

    while open_streams or proc.poll() is None:
        if feedback.isCanceled() and terminated_at is None and proc.poll() is None:
            result.cancelled = True
            feedback.pushInfo("Cancel: asking relocplan to stop (SIGTERM) …")
            try:
                proc.send_signal(signal.SIGTERM)
            except OSError:
                pass
            terminated_at = time.monotonic()
        if terminated_at is not None and proc.poll() is None and time.monotonic() - terminated_at > terminate_timeout:
            feedback.reportError(f"relocplan did not stop within {terminate_timeout:.0f} s of SIGTERM; killing it", False)
            proc.kill()
        try:
            tag, line = q.get(timeout=0.1)
        except queue.Empty:
            if not open_streams:
                try:
                    proc.wait(timeout=0.1)
                except subprocess.TimeoutExpired:
                    pass
            continue
        if line is None:
            open_streams -= 1
            continue
        handle(tag, line)
    result.exit_code = proc.wait()
    for t in threads:
        t.join(timeout=5)
    result.seconds = time.monotonic() - start
    if feedback.isCanceled():
        result.cancelled = True
    return result


def raise_for_result(result, what="relocplan"):
    """Raises QgsProcessingException for a run that did not succeed."""
    code = result.exit_code
    if result.cancelled or code == 130:
        raise QgsProcessingException(f"{what} was cancelled (exit code {code}: {exit_code_meaning(130)})")
    if code != 0:
        message = result.errors[-1] if result.errors else "(no error message)"
        raise QgsProcessingException(f"{message}\n{what} failed with exit code {code}: {exit_code_meaning(code)}")


def _quote(arg):
    if re.fullmatch(r"[\w./:=+,@%-]+", arg, flags=re.ASCII):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"
