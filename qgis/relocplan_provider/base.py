"""What the relocplan algorithms share: running a scenario and loading its output."""

import os
import tomllib
from pathlib import Path

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtCore import QCoreApplication

from . import outputs, runner


def read_scenario(path):
    """The scenario as a dict (tomllib), or None when it does not parse (relocplan will say why)."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None


def scenario_output(scenario_path, scenario):
    """Where `relocplan run` writes without -o: [output] path (relative to the
    scenario's folder), else <scenario stem>.gpkg beside the scenario."""
    folder = Path(scenario_path).resolve().parent
    out = ((scenario or {}).get("output") or {}).get("path")
    if isinstance(out, str) and out:
        return Path(os.path.normpath(folder / Path(out).expanduser()))
    return folder / (Path(scenario_path).stem + ".gpkg")


class RelocplanAlgorithm(QgsProcessingAlgorithm):
    """Base of the relocplan algorithms."""

    def __init__(self):
        super().__init__()
        self._load = None  # (gpkg path, group name) to load in postProcessAlgorithm
        self._results = {}  # processAlgorithm's results: postProcessAlgorithm's replace them

    def tr(self, text):
        return QCoreApplication.translate("relocplan", text)

    def createInstance(self):  # noqa: N802
        return type(self)()

    def group(self):
        return ""

    def groupId(self):  # noqa: N802
        return ""

    def helpUrl(self):  # noqa: N802
        return ""

    def executable(self, feedback):
        exe, version = runner.find_executable()
        feedback.pushInfo(f"{version.splitlines()[0] if version else 'relocplan'} — {exe}")
        return exe

    def run_scenario(self, exe, scenario_path, output, overwrite, feedback):
        """Runs `relocplan run` with JSON progress; returns (output path, project name, warnings)."""
        scenario_path = str(Path(scenario_path).resolve())
        scenario = read_scenario(scenario_path)
        out = Path(output).resolve() if output else scenario_output(scenario_path, scenario)
        args = ["run", scenario_path, "-o", str(out), "--progress=json", "-q"]
        if overwrite:
            args.append("--overwrite")
        has_sites = scenario is None or "sites" in scenario
        has_allocation = scenario is None or "allocation" in scenario
        progress = runner.StageProgress(runner.expected_stages(has_sites, has_allocation))
        state = {"stage": None}

        def on_json(obj, source):
            stage = obj.get("stage")
            if stage is None:
                return
            if stage != state["stage"]:
                state["stage"] = stage
                feedback.setProgressText(f"relocplan: {stage}")
                feedback.pushInfo(f"Stage: {stage}")
            value = progress.update(stage, obj.get("fraction", 0.0))
            feedback.setProgress(min(99.0, 100.0 * value))

        result = runner.run_relocplan(exe, args, feedback, on_json=on_json)
        runner.raise_for_result(result, "relocplan run")
        if not out.is_file():
            raise QgsProcessingException(f"relocplan run exited 0 but {out} does not exist")
        feedback.setProgress(100.0)
        name = outputs.read_project_name(out) or ((scenario or {}).get("project") or {}).get("name") or out.stem
        feedback.pushInfo(f"relocplan wrote {out} in {result.seconds:.1f} s "
                          f"({len(result.warnings)} warning{'s' if len(result.warnings) != 1 else ''})")
        return out, name, result.warnings

    def finish(self, results):
        """processAlgorithm's return: keeps the results for postProcessAlgorithm."""
        self._results = dict(results)
        return results

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        # Runs in the main thread after processAlgorithm (in the GUI and with
        # processing.run), so layers can be added to the project here.
        # A non-empty return replaces processAlgorithm's results: repeat them.
        results = dict(self._results)
        if self._load is not None:
            path, group_name = self._load
            group, layers = outputs.load_geopackage(path, group_name, context.project(), feedback)
            results.update({"GROUP": group.name(), "LAYER_COUNT": len(layers)})
        return results
