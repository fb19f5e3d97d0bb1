"""Processing algorithm: Run batch (`relocplan batch`)."""

from pathlib import Path

from qgis.core import (QgsProcessingOutputFile, QgsProcessingOutputFolder, QgsProcessingOutputNumber,
                       QgsProcessingOutputString, QgsProcessingParameterBoolean, QgsProcessingParameterFile,
                       QgsProcessingParameterNumber)

from . import runner
from .base import RelocplanAlgorithm, read_scenario

SUMMARY_SHARE = 0.05  # of the bar, for writing the summary after the jobs


class RunBatchAlgorithm(RelocplanAlgorithm):
    BATCH = "BATCH"
    JOBS = "JOBS"
    RESUME = "RESUME"
    OVERWRITE = "OVERWRITE"
    LOAD = "LOAD_OUTPUTS"

    def name(self):
        return "runbatch"

    def displayName(self):  # noqa: N802
        return self.tr("Run batch")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Runs a relocplan batch file (`relocplan batch`): variants, grids of thresholds, one job per county "
            "and weight perturbations of a base scenario, several jobs at once. The log shows each job as it "
            "starts and ends; the bar follows all jobs. When the jobs have ended, the batch summary GeoPackage "
            "(village robustness, site selection frequency, ...) is loaded into the project under a group named "
            "after the batch.\n\n"
            "Jobs at once: 0 lets relocplan choose (the number of cores). Resume skips the jobs whose output is "
            "complete and up to date; Overwrite runs every job again. A failed job does not stop the others: it "
            "is reported in the log and the summary is still written.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.BATCH, self.tr("Batch file"), extension="toml"))
        self.addParameter(QgsProcessingParameterNumber(self.JOBS, self.tr("Jobs at once (-j; 0: the number of cores)"),
                                                       QgsProcessingParameterNumber.Integer, 0, False, 0, 256))
        self.addParameter(QgsProcessingParameterBoolean(self.RESUME, self.tr("Resume (skip jobs that are complete)"),
                                                        defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(self.OVERWRITE, self.tr("Overwrite existing job outputs"),
                                                        defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(self.LOAD, self.tr("Load the batch summary into the project"),
                                                        defaultValue=True))
        self.addOutput(QgsProcessingOutputFile("SUMMARY", self.tr("Batch summary GeoPackage")))
        self.addOutput(QgsProcessingOutputFolder("OUTPUT_DIR", self.tr("Batch output folder")))
        self.addOutput(QgsProcessingOutputNumber("DONE", self.tr("Jobs done")))
        self.addOutput(QgsProcessingOutputNumber("SKIPPED", self.tr("Jobs skipped")))
        self.addOutput(QgsProcessingOutputNumber("FAILED", self.tr("Jobs failed")))
        self.addOutput(QgsProcessingOutputString("GROUP", self.tr("Layer group")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        exe = self.executable(feedback)
        batch = Path(self.parameterAsFile(parameters, self.BATCH, context)).resolve()
        jobs = self.parameterAsInt(parameters, self.JOBS, context)
        args = ["batch", str(batch), "--progress=json", "-q"]
        if jobs > 0:
            args += ["-j", str(jobs)]
        if self.parameterAsBoolean(parameters, self.RESUME, context):
            args.append("--resume")
        if self.parameterAsBoolean(parameters, self.OVERWRITE, context):
            args.append("--overwrite")

        # The stages each job will go through, from the base scenario.
        spec = read_scenario(batch) or {}
        base = (spec.get("batch") or {}).get("base")
        base_scenario = read_scenario(batch.parent / base) if isinstance(base, str) else None
        has_sites = base_scenario is None or "sites" in base_scenario
        has_allocation = base_scenario is None or "allocation" in base_scenario
        stages = runner.expected_stages(has_sites, has_allocation)

        state = {"total": 0, "jobs": {}, "value": 0.0, "batch": None, "summary": None, "end": None}

        def show():
            total = max(state["total"], 1)
            value = (1.0 - SUMMARY_SHARE) * sum(state["jobs"].values()) / total
            if state["end"] is not None:
                value = 1.0 - SUMMARY_SHARE / 2
            state["value"] = max(state["value"], min(value, 0.99))
            feedback.setProgress(100.0 * state["value"])

        trackers = {}

        def on_json(obj, source):
            event = obj.get("event")
            job = obj.get("job")
            if event == "batch_start":
                state["total"] = int(obj.get("jobs") or 0)
                state["batch"] = obj.get("batch")
                state["output_dir"] = obj.get("output_dir")
                feedback.pushInfo(f"Batch '{obj.get('batch')}': {state['total']} job(s); output in "
                                  f"{obj.get('output_dir')}")
                feedback.setProgressText(f"relocplan batch: {state['total']} jobs")
            elif event == "job_start":
                trackers[job] = runner.StageProgress(stages)
                state["jobs"][job] = 0.0
                feedback.pushInfo(f"Job {job} started ({obj.get('index')}/{obj.get('total')})")
                feedback.setProgressText(f"relocplan batch: job {obj.get('index')}/{obj.get('total')} {job}")
            elif event == "progress" and job is not None:
                tracker = trackers.setdefault(job, runner.StageProgress(stages))
                state["jobs"][job] = tracker.update(obj.get("stage", ""), obj.get("fraction", 0.0))
                show()
            elif event == "job_end":
                status = obj.get("status")
                state["jobs"][job] = 1.0
                line = f"Job {job} {status}"
                if obj.get("seconds") is not None:
                    line += f" in {obj.get('seconds')} s"
                if status == "failed":
                    feedback.reportError(f"{line}: exit code {obj.get('exit_code')} "
                                         f"({runner.exit_code_meaning(obj.get('exit_code'))}): {obj.get('message')}",
                                         False)
                else:
                    feedback.pushInfo(line)
                show()
            elif event == "batch_end":
                state["end"] = obj
                feedback.setProgressText("relocplan batch: writing the summary")
                feedback.pushInfo(f"Batch '{obj.get('batch')}' ended: {obj.get('done')} done, {obj.get('skipped')} "
                                  f"skipped, {obj.get('failed')} failed, {obj.get('cancelled')} cancelled")
                if obj.get("summary"):
                    state["summary"] = obj.get("summary")
                show()
            elif event == "summary":
                state["summary"] = obj.get("path") or state["summary"]

        result = runner.run_relocplan(exe, args, feedback, on_json=on_json)
        if result.exit_code != 6:
            runner.raise_for_result(result, "relocplan batch")
        end = state["end"] or {}
        if result.exit_code == 6:
            feedback.reportError(f"relocplan batch: {end.get('failed', 'some')} job(s) failed "
                                 f"(exit code 6: {runner.exit_code_meaning(6)}); see the log above and "
                                 f"{Path(state.get('output_dir') or '.') / 'batch.log'}", False)
        summary = state["summary"]
        feedback.setProgress(100)
        if summary and Path(summary).is_file() and self.parameterAsBoolean(parameters, self.LOAD, context):
            self._load = (summary, f"{state['batch'] or batch.stem} (batch summary)")
        return self.finish({"SUMMARY": summary or "", "OUTPUT_DIR": state.get("output_dir") or "",
                "DONE": end.get("done", 0), "SKIPPED": end.get("skipped", 0), "FAILED": end.get("failed", 0)})
