#!/usr/bin/env python3
"""relocplan batch --engine slurm on a single-machine Slurm cluster.

Starts munged, slurmctld and slurmd on localhost with their configuration,
keys, state and logs in a temporary folder (nothing of the system's own
Slurm or munge set-up is used or changed), then on the generated sample
county:

  1. runs a batch (two variants x two counties) with the local engine and the
     same batch with --engine slurm, and checks that the two summaries agree
     table by table (job states, per-county figures, village robustness);
  2. runs a batch with a variant whose DEM is not a raster: --status reports
     those array tasks as failed with the reason from the job log, the summary
     job still writes the summary; after the DEM is repaired, --resume submits
     only the failed tasks, and every job ends done.

Skipped (exit 77) where Slurm or munge is not installed, the test is not
root, or the daemons cannot start here.

usage: test_slurm_engine.py RELOCPLAN SAMPLE_DATA_DIR SAMPLE_SCENARIO WORK_DIR
"""

import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

SKIP = 77


def skip(why):
    print(f"skipped: {why}")
    sys.exit(SKIP)


def fail(why):
    print(f"FAILED: {why}")
    sys.exit(1)


class Cluster:
    """munged + slurmctld + slurmd on localhost, all files under `root`."""

    def __init__(self, root: Path):
        self.root = root
        self.env = dict(os.environ)
        self.pids = []

    def start(self):
        r = self.root
        for d in ("munge", "state", "spool", "log"):
            (r / d).mkdir(parents=True, exist_ok=True)
        key = r / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        sock = r / "munge" / "munge.socket"
        rc = subprocess.run(["munged", f"--socket={sock}", f"--key-file={key}",
                             f"--pid-file={r / 'munge' / 'munged.pid'}",
                             f"--log-file={r / 'munge' / 'munged.log'}",
                             f"--seed-file={r / 'munge' / 'seed'}", "--force"],
                            capture_output=True, text=True)
        if rc.returncode != 0:
            skip(f"munged cannot start here: {rc.stderr.strip()}")
        self.pids.append(r / "munge" / "munged.pid")
        host = socket.gethostname().split(".")[0]
        port = random.Random(os.getpid()).randrange(20000, 40000, 2)
        conf = r / "slurm.conf"
        conf.write_text(f"""ClusterName=relocplantest
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
SlurmctldPort={port}
SlurmdPort={port + 1}
StateSaveLocation={r / 'state'}
SlurmdSpoolDir={r / 'spool'}
SlurmctldPidFile={r / 'slurmctld.pid'}
SlurmdPidFile={r / 'slurmd.pid'}
SlurmctldLogFile={r / 'log' / 'slurmctld.log'}
SlurmdLogFile={r / 'log' / 'slurmd.log'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
PlugStackConfig=/dev/null
NodeName={host} NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN
PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
        self.env["SLURM_CONF"] = str(conf)
        for daemon, pid in (("slurmctld", "slurmctld.pid"), ("slurmd", "slurmd.pid")):
            rc = subprocess.run([daemon], env=self.env, capture_output=True, text=True)
            if rc.returncode != 0:
                skip(f"{daemon} cannot start here: {(rc.stderr or rc.stdout).strip()}")
            self.pids.append(r / pid)
        deadline = time.time() + 30
        while time.time() < deadline:
            out = subprocess.run(["sinfo", "--noheader", "--format=%T"], env=self.env,
                                 capture_output=True, text=True)
            if out.returncode == 0 and out.stdout.strip() in ("idle", "mixed", "allocated"):
                return
            time.sleep(0.5)
        skip("the Slurm node did not come up within 30 s:\n" +
             (r / "log" / "slurmd.log").read_text(errors="replace")[-2000:])

    def stop(self):
        for pid_file in reversed(self.pids):
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        time.sleep(0.5)

    def wait_idle(self, timeout=600):
        """Waits until the queue holds none of this user's jobs."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            out = subprocess.run(["squeue", "--noheader", "--me"], env=self.env,
                                 capture_output=True, text=True)
            if out.returncode == 0 and not out.stdout.strip():
                return
            time.sleep(1)
        fail("Slurm jobs still queued after %d s" % timeout)


def light_scenario(sample_scenario: Path, data: Path) -> str:
    """The sample scenario without the site search and allocation (seconds a job)."""
    text = sample_scenario.read_text()
    a, b, o = text.find("# Resettlement sites"), text.find("[processing]"), text.find("[output]")
    if not (0 <= a < b < o):
        fail("the sample scenario no longer has its sites, processing and output sections")
    text = text[:o]
    text = text[:a] + text[b:]
    return text.replace('"data/', f'"{data}/')


def batch_text(name, out_dir, data, variants):
    t = f"""[batch]
name = "{name}"
base = "light.toml"
output_dir = "{out_dir}"
memory_mb = 1024

[variants.strict]
"thresholds.terrain.steep_slope_deg" = 20
"""
    for v, body in variants.items():
        t += f"\n[variants.{v}]\n{body}\n"
    t += f"""
[split]
path = "{data}/layers.gpkg"
layer = "counties"
field = "county_name"
margin_m = 5000
"""
    return t


def rows(gpkg: Path, table: str, skip_cols=()):
    con = sqlite3.connect(str(gpkg))
    cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')
            if r[1] not in ("fid", "geom") and r[1] not in skip_cols]
    q = ", ".join(f'"{c}"' for c in cols)
    out = sorted(con.execute(f'SELECT {q} FROM "{table}"').fetchall(), key=repr)
    con.close()
    return cols, out


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    exe, data, scenario, work = (Path(a).resolve() for a in sys.argv[1:])
    for tool in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"):
        if shutil.which(tool) is None:
            skip(f"{tool} is not installed (Debian packages slurm-wlm and munge)")
    if os.geteuid() != 0:
        skip("a single-machine Slurm needs root here (slurmd)")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / "light.toml").write_text(light_scenario(scenario, data))

    cluster = Cluster(Path(f"/tmp/relocplan-slurm-{os.getpid()}"))
    try:
        cluster.start()
        env = cluster.env

        def relocplan(*args, expect=0):
            p = subprocess.run([str(exe), *map(str, args)], env=env, capture_output=True, text=True)
            if expect is not None and p.returncode != expect:
                fail(f"relocplan {' '.join(map(str, args))}: exit {p.returncode}, expected {expect}\n"
                     f"{p.stdout}\n{p.stderr}")
            return p

        # 1. The same batch on both engines.
        (work / "local.toml").write_text(batch_text("cmp", work / "out-local", data, {}))
        (work / "slurm.toml").write_text(batch_text("cmp", work / "out-slurm", data, {}))
        relocplan("batch", work / "local.toml", "-q")
        sub = relocplan("batch", work / "slurm.toml", "--engine", "slurm", "--time", "00:30:00")
        if "submitted as Slurm array job" not in sub.stdout:
            fail("no submission line: " + sub.stdout)
        cluster.wait_idle()
        st = relocplan("batch", work / "slurm.toml", "--status")
        if "4 job(s): 4 done, 0 failed" not in st.stdout:
            fail("status after the Slurm run:\n" + st.stdout)
        local_sum, slurm_sum = work / "out-local/cmp_summary.gpkg", work / "out-slurm/cmp_summary.gpkg"
        if not slurm_sum.exists():
            fail("the summary job wrote no summary; its log:\n" +
                 "\n".join(p.read_text() for p in (work / "out-slurm/slurm/logs").glob("summary_*.log")))
        # Run time and peak memory are measured, not computed: they differ run to run.
        for table, ignore in (("jobs", ("seconds", "peak_mb", "scenario", "output", "message")),
                              ("job_summary", ()), ("village_robustness", ()),
                              ("contested_villages", ()), ("site_frequency", ())):
            a, b = rows(local_sum, table, ignore), rows(slurm_sum, table, ignore)
            if a != b:
                fail(f"table {table} differs between the local and the Slurm engine:\n{a}\n{b}")
        print("ok: the Slurm engine's summary equals the local engine's")

        # 2. A failing array task, reported, then resubmitted alone.
        broken = work / "broken_dem.tif"
        broken.write_text("this is not a GeoTIFF\n")
        (work / "fail.toml").write_text(batch_text("fail", work / "out-fail", data,
                                                   {"broken": f'"inputs.dem.path" = "{broken}"'}))
        relocplan("batch", work / "fail.toml", "--engine", "slurm")
        cluster.wait_idle()
        st = relocplan("batch", work / "fail.toml", "--status", expect=6)
        lines = [l for l in st.stdout.splitlines() if l.strip().startswith("broken.")]
        if len(lines) != 2 or not all("failed" in l and "exit code 3" in l and "broken_dem.tif" in l for l in lines):
            fail("the failed tasks are not reported with their exit code and reason:\n" + st.stdout)
        if "6 job(s): 4 done, 2 failed" not in st.stdout:
            fail("status with failed tasks:\n" + st.stdout)
        if not (work / "out-fail/fail_summary.gpkg").exists():
            fail("the summary job did not run after the failed tasks (afterany)")
        print("ok: failed array tasks reported:\n" + "\n".join(lines))

        shutil.copyfile(data / "dem.tif", broken)
        res = relocplan("batch", work / "fail.toml", "--engine", "slurm", "--resume")
        if "2 of 6 job(s) submitted" not in res.stdout:
            fail("--resume did not submit only the 2 failed jobs:\n" + res.stdout + res.stderr)
        last = (work / "out-fail/slurm/submissions.tsv").read_text().strip().splitlines()[-1].split("\t")
        order = [l for l in (work / "out-fail/slurm/jobs.txt").read_text().splitlines()]
        resubmitted = {order[int(i)] for i in last[3].split(",")}
        if resubmitted != {"broken.黔山县", "broken.岩溪县"}:
            fail(f"--resume resubmitted {sorted(resubmitted)}, not only the failed jobs")
        cluster.wait_idle()
        st = relocplan("batch", work / "fail.toml", "--status")
        if "6 job(s): 6 done, 0 failed" not in st.stdout:
            fail("status after resume:\n" + st.stdout)
        con = sqlite3.connect(str(work / "out-fail/fail_summary.gpkg"))
        states = dict(con.execute("SELECT job_id, status FROM jobs").fetchall())
        con.close()
        if sorted(set(states.values())) != ["done"] or len(states) != 6:
            fail(f"the summary after resume does not list 6 done jobs: {states}")
        print("ok: --resume submitted only the failed jobs, and the summary lists all 6 done")

        # 3. Nothing left to run: --resume submits only the summary job.
        res = relocplan("batch", work / "fail.toml", "--engine", "slurm", "--resume")
        if "every job is done" not in res.stdout:
            fail("--resume with every job done:\n" + res.stdout)
        cluster.wait_idle()

        # 4. A task Slurm ends (scancel, as for a time limit or a node failure)
        # is reported as failed with Slurm's reason, and resubmitted by --resume.
        (work / "cancel.toml").write_text(batch_text("cancel", work / "out-cancel", data, {}))
        sub = relocplan("batch", work / "cancel.toml", "--engine", "slurm", "-j", "1")
        array = sub.stdout.split("Slurm array job ")[1].split()[0]
        subprocess.run(["scancel", f"{array}_3"], env=env, check=True)
        cluster.wait_idle()
        st = relocplan("batch", work / "cancel.toml", "--status", expect=6)
        line = [l for l in st.stdout.splitlines() if f"Slurm {array}_3" in l]
        if len(line) != 1 or "failed" not in line[0]:
            fail("a task cancelled by Slurm is not reported as failed:\n" + st.stdout)
        res = relocplan("batch", work / "cancel.toml", "--engine", "slurm", "--resume")
        if "1 of 4 job(s) submitted" not in res.stdout:
            fail("--resume after a cancelled task:\n" + res.stdout + res.stderr)
        cluster.wait_idle()
        relocplan("batch", work / "cancel.toml", "--status")
        print("ok: a task cancelled by Slurm is reported (" + line[0].strip() + ") and resubmitted")
        return 0
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
