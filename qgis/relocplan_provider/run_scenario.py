"""Processing algorithm: Run scenario (`relocplan run`)."""

from qgis.core import (QgsProcessingOutputNumber, QgsProcessingOutputString,
                       QgsProcessingParameterBoolean, QgsProcessingParameterFile,
                       QgsProcessingParameterFileDestination)

from .base import RelocplanAlgorithm


class RunScenarioAlgorithm(RelocplanAlgorithm):
    SCENARIO = "SCENARIO"
    OUTPUT = "OUTPUT"
    OVERWRITE = "OVERWRITE"
    LOAD = "LOAD_OUTPUTS"

    def name(self):
        return "runscenario"

    def displayName(self):  # noqa: N802
        return self.tr("Run scenario")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Runs a relocplan scenario file (TOML) and loads the styled GeoPackage it writes into the project, "
            "under a group named after the scenario's [project] name.\n\n"
            "Output GeoPackage: leave it empty to use the scenario's [output] path (or <scenario>.gpkg beside "
            "the scenario). An existing output is replaced only with 'Overwrite'.\n\n"
            "Cancel stops relocplan cleanly: it removes its temporary files and leaves no output.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.SCENARIO, self.tr("Scenario file"),
                                                     extension="toml"))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT, self.tr("Output GeoPackage (empty: the scenario's [output] path)"),
            self.tr("GeoPackage (*.gpkg)"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterBoolean(self.OVERWRITE, self.tr("Overwrite an existing output"),
                                                        defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(self.LOAD, self.tr("Load the output into the project"),
                                                        defaultValue=True))
        self.addOutput(QgsProcessingOutputString("PROJECT_NAME", self.tr("Project name")))
        self.addOutput(QgsProcessingOutputNumber("WARNINGS", self.tr("Warnings")))
        self.addOutput(QgsProcessingOutputString("GROUP", self.tr("Layer group")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        exe = self.executable(feedback)
        scenario = self.parameterAsFile(parameters, self.SCENARIO, context)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        overwrite = self.parameterAsBoolean(parameters, self.OVERWRITE, context)
        out, name, warnings = self.run_scenario(exe, scenario, output, overwrite, feedback)
        if self.parameterAsBoolean(parameters, self.LOAD, context):
            self._load = (str(out), name)
        return self.finish({self.OUTPUT: str(out), "PROJECT_NAME": name, "WARNINGS": len(warnings)})
