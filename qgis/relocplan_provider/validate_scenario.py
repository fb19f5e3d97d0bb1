"""Processing algorithm: Validate scenario (`relocplan validate`)."""

from pathlib import Path

from qgis.core import (QgsProcessingOutputBoolean, QgsProcessingOutputString, QgsProcessingParameterFile)

from . import runner
from .base import RelocplanAlgorithm


class ValidateScenarioAlgorithm(RelocplanAlgorithm):
    SCENARIO = "SCENARIO"

    def name(self):
        return "validatescenario"

    def displayName(self):  # noqa: N802
        return self.tr("Validate scenario")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Checks a relocplan scenario file without running it (`relocplan validate`): resolves the inputs, "
            "CRSs, grid and fields and prints the plan in the log — working CRS, grid size, every input with "
            "its CRS and features, the field mappings, weights and thresholds with their sources. Nothing is "
            "written. An invalid scenario fails with relocplan's message, which names the key and its line.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.SCENARIO, self.tr("Scenario file"), extension="toml"))
        self.addOutput(QgsProcessingOutputBoolean("VALID", self.tr("Valid")))
        self.addOutput(QgsProcessingOutputString("PLAN", self.tr("Plan")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        exe = self.executable(feedback)
        scenario = str(Path(self.parameterAsFile(parameters, self.SCENARIO, context)).resolve())
        feedback.setProgressText("relocplan: validate")
        result = runner.run_relocplan(exe, ["validate", scenario], feedback,
                                      on_stdout=lambda line: feedback.pushConsoleInfo(line))
        runner.raise_for_result(result, "relocplan validate")
        feedback.setProgress(100)
        return self.finish({"VALID": True, "PLAN": "\n".join(result.stdout_lines)})
