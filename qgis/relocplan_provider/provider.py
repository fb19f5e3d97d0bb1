"""The relocplan Processing provider."""

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsProcessingProvider

from . import runner
from .new_scenario import NewScenarioAlgorithm
from .run_batch import RunBatchAlgorithm
from .run_scenario import RunScenarioAlgorithm
from .validate_scenario import ValidateScenarioAlgorithm


class RelocplanProvider(QgsProcessingProvider):

    def id(self):
        return "relocplan"

    def name(self):
        return "relocplan"

    def longName(self):  # noqa: N802
        try:
            _, version = runner.find_executable()
            return f"relocplan {version}"
        except Exception:
            return "relocplan"

    def icon(self):
        return QgsApplication.getThemeIcon("/processingAlgorithm.svg")

    def load(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig, Setting
        except ImportError:  # pragma: no cover - Processing not loaded
            ProcessingConfig = None
        if ProcessingConfig is not None:
            ProcessingConfig.settingIcons[self.name()] = self.icon()
            ProcessingConfig.addSetting(Setting(
                self.name(), runner.SETTING_EXECUTABLE, runner.SETTING_DESCRIPTION, "",
                valuetype=Setting.FILE,
                placeholder="relocplan on PATH"))
            ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        message = self.warningMessage()
        if message:
            QgsMessageLog.logMessage(message, "relocplan", Qgis.Warning)
        return True

    def unload(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig
            ProcessingConfig.removeSetting(runner.SETTING_EXECUTABLE)
        except (ImportError, KeyError):
            pass

    def warningMessage(self):  # noqa: N802
        """Shown in the toolbox when relocplan is missing or too old."""
        try:
            runner.find_executable()
        except Exception as e:
            return str(e)
        return ""

    def loadAlgorithms(self):  # noqa: N802
        for alg in (RunScenarioAlgorithm(), ValidateScenarioAlgorithm(), RunBatchAlgorithm(),
                    NewScenarioAlgorithm()):
            self.addAlgorithm(alg)
