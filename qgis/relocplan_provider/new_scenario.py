"""Processing algorithm: New scenario from layers.

Writes a scenario TOML from layers loaded in the project (their source files),
then runs it, so that nobody has to write TOML by hand.
"""

import datetime
from pathlib import Path

from qgis.core import (QgsProcessing, QgsProcessingException, QgsProcessingOutputFile, QgsProcessingOutputNumber,
                       QgsProcessingOutputString, QgsProcessingParameterBand, QgsProcessingParameterBoolean,
                       QgsProcessingParameterCrs, QgsProcessingParameterDefinition, QgsProcessingParameterField,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterLayer, QgsProcessingParameterString,
                       QgsProcessingParameterVectorLayer, QgsProject)

from . import runner, toml_writer
from .base import RelocplanAlgorithm
from .layer_sources import raster_source, vector_source

POINT, LINE, POLYGON, ANY = (QgsProcessing.TypeVectorPoint, QgsProcessing.TypeVectorLine,
                             QgsProcessing.TypeVectorPolygon, QgsProcessing.TypeVectorAnyGeometry)

# The scenario's village fields: (role, label, required).
VILLAGE_FIELDS = [
    ("id", "Village id field", True),
    ("population", "Population field", True),
    ("name", "Village name field", False),
    ("county", "County field", False),
    ("township", "Township field", False),
    ("households", "Households field", False),
    ("poor_households", "Registered poor households field", False),
]

# The thematic rasters: (scenario key, label).
RASTER_INPUTS = [
    ("landcover", "Land cover (GlobeLand30 codes; 10 = cultivated)"),
    ("fragility", "Ecological fragility index (0-1)"),
]

# The thematic vector layers, as README's scenario section names them:
# (scenario key, label, geometry types, required field roles, optional field roles, {value meaning: default}).
VECTOR_INPUTS = [
    ("hazard_points", "Geohazard points", [POINT], ["radius_m"], ["id", "kind"], {}),
    ("susceptibility", "Geohazard susceptibility zones", [POLYGON], ["class"], [],
     {"high": "high", "medium": "medium", "low": "low"}),
    ("flood_zone", "Flood zone", [POLYGON], [], [], {}),
    ("desertification", "Rocky desertification (grade 0-5)", [POLYGON], ["grade_code"], [], {}),
    ("reserve", "Nature reserves (by zone)", [POLYGON], ["zone"], ["name"],
     {"core": "core", "buffer": "buffer", "experimental": "experimental"}),
    ("redline", "Ecological red line", [POLYGON], [], ["name"], {}),
    ("roads", "Roads", [LINE], [], ["class"], {}),
    ("towns", "County and township seats", [POINT], ["kind"], ["name"],
     {"county_seat": "county_seat", "township_seat": "township_seat"}),
    ("counties", "Counties (territories are clipped to them)", [POLYGON], ["name"], [], {}),
    ("townships", "Townships (for the sites' township)", [POLYGON], ["name"], ["county"], {}),
    ("territories", "Village boundary polygons (instead of Voronoi territories)", [POLYGON], ["id"], [], {}),
    ("schools", "Schools", [ANY], [], ["name"], {}),
    ("clinics", "Clinics", [ANY], [], ["name"], {}),
    ("rivers", "Rivers", [LINE], [], ["name"], {}),
    ("water_bodies", "Water bodies", [POLYGON], [], ["name"], {}),
    ("exclusions", "Other excluded areas (sites)", [POLYGON], [], ["reason"], {}),
    ("planned_sites", "Planners' candidate sites", [ANY], [], ["id", "name", "area_ha", "capacity"], {}),
]


def _param(key, role=None, value=None):
    name = key.upper()
    if role:
        name += "_" + role.upper()
    if value:
        name += "_VALUE_" + value.upper()
    return name


class NewScenarioAlgorithm(RelocplanAlgorithm):
    PROJECT_NAME = "PROJECT_NAME"
    DESCRIPTION = "DESCRIPTION"
    DEM = "DEM"
    DEM_BAND = "DEM_BAND"
    VILLAGES = "VILLAGES"
    GRID_CRS = "GRID_CRS"
    CELL_SIZE = "CELL_SIZE"
    MARGIN = "MARGIN"
    MEMORY_MB = "MEMORY_MB"
    SITES = "SITES"
    ALLOCATION = "ALLOCATION"
    MAX_TRAVEL_MIN = "MAX_TRAVEL_MIN"
    SAME_COUNTY = "SAME_COUNTY"
    OUTPUT = "OUTPUT"
    SCENARIO = "SCENARIO"
    RUN = "RUN"
    OVERWRITE = "OVERWRITE"
    LOAD = "LOAD_OUTPUTS"

    def __init__(self):
        super().__init__()
        self._scenario_path = None
        self._output = None
        self._error = None

    def name(self):
        return "newscenario"

    def displayName(self):  # noqa: N802
        return self.tr("New scenario from layers")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Builds a relocplan scenario from layers loaded in the project and runs it.\n\n"
            "Choose the DEM, the village points and their id and population fields (and, if you have them, "
            "name, county, township, households and registered poor households), and any thematic layers: "
            "land cover and fragility rasters; geohazard points and susceptibility zones, flood zone, rocky "
            "desertification, nature reserves, ecological red line, roads, county and township seats, counties, "
            "townships, schools, clinics, rivers, water bodies ... with the fields relocplan needs. A field left "
            "empty is looked up by its relocplan name (radius_m, class, zone, kind ...). Criteria whose layer is "
            "not given are 'not assessed'.\n\n"
            "'Find resettlement sites' adds [sites]; 'Allocate households to sites' adds [allocation].\n\n"
            "The layers must be files (GeoPackage, Shapefile, GeoJSON, CSV with x/y columns, GeoTIFF ...): "
            "memory, database and web layers are refused — save them to a file first. The scenario file "
            "(default: beside the output, <output>.toml) names the layers' files and fields; it can be edited "
            "and run again with 'Run scenario'.")

    def initAlgorithm(self, config=None):  # noqa: N802
        adv = QgsProcessingParameterDefinition.FlagAdvanced

        def add(p, advanced=False):
            if advanced:
                p.setFlags(p.flags() | adv)
            self.addParameter(p)

        add(QgsProcessingParameterString(self.PROJECT_NAME, self.tr("Project name ([project] name)"),
                                         defaultValue="Relocation scenario"))
        add(QgsProcessingParameterString(self.DESCRIPTION, self.tr("Description"), optional=True), True)
        add(QgsProcessingParameterRasterLayer(self.DEM, self.tr("DEM")))
        add(QgsProcessingParameterBand(self.DEM_BAND, self.tr("DEM band"), 1, self.DEM, optional=True), True)
        add(QgsProcessingParameterVectorLayer(self.VILLAGES, self.tr("Villages (points)"), [POINT]))
        for role, label, required in VILLAGE_FIELDS:
            add(QgsProcessingParameterField(_param("VILLAGE", role), self.tr(label), None, self.VILLAGES,
                                            QgsProcessingParameterField.Any, optional=not required))
        add(QgsProcessingParameterCrs(self.GRID_CRS, self.tr("Working CRS (empty: auto, the CGCS2000 "
                                                             "3-degree Gauss-Kruger zone)"), optional=True), True)
        add(QgsProcessingParameterNumber(self.CELL_SIZE, self.tr("Cell size (m)"), QgsProcessingParameterNumber.Double,
                                         30.0, False, 1.0), True)
        add(QgsProcessingParameterNumber(self.MARGIN, self.tr("Study area margin around the villages (m)"),
                                         QgsProcessingParameterNumber.Double, 2000.0, False, 0.0), True)
        add(QgsProcessingParameterNumber(self.MEMORY_MB, self.tr("Memory budget of the run (MB)"),
                                         QgsProcessingParameterNumber.Integer, 1024, False, 16), True)
        for key, label in RASTER_INPUTS:
            add(QgsProcessingParameterRasterLayer(key.upper(), self.tr(label), optional=True))
        for key, label, types, required, optional, values in VECTOR_INPUTS:
            add(QgsProcessingParameterVectorLayer(key.upper(), self.tr(label), types, optional=True))
            for role in required + optional:
                field_label = f"{label}: {role} field" + ("" if role in required else " (optional)")
                add(QgsProcessingParameterField(_param(key, role), self.tr(field_label), None, key.upper(),
                                                QgsProcessingParameterField.Any, optional=True),
                    advanced=role not in required)
            for meaning, default in values.items():
                add(QgsProcessingParameterString(_param(key, value=meaning),
                                                 self.tr(f"{label}: attribute value meaning '{meaning}'"),
                                                 defaultValue=default), True)
        add(QgsProcessingParameterBoolean(self.SITES, self.tr("Find resettlement sites ([sites])"),
                                          defaultValue=False))
        add(QgsProcessingParameterBoolean(self.ALLOCATION, self.tr("Allocate households to sites ([allocation])"),
                                          defaultValue=False))
        add(QgsProcessingParameterNumber(self.MAX_TRAVEL_MIN, self.tr("Allocation: maximum travel time (minutes)"),
                                         QgsProcessingParameterNumber.Double, 60.0, False, 1.0), True)
        add(QgsProcessingParameterBoolean(self.SAME_COUNTY, self.tr("Allocation: keep people in their own county"),
                                          defaultValue=True), True)
        add(QgsProcessingParameterFileDestination(self.OUTPUT, self.tr("Output GeoPackage"),
                                                  self.tr("GeoPackage (*.gpkg)")))
        add(QgsProcessingParameterFileDestination(self.SCENARIO, self.tr("Scenario file (empty: beside the output)"),
                                                  self.tr("TOML (*.toml)"), optional=True, createByDefault=False))
        add(QgsProcessingParameterBoolean(self.RUN, self.tr("Run the scenario (else only write and validate it)"),
                                          defaultValue=True))
        add(QgsProcessingParameterBoolean(self.OVERWRITE, self.tr("Overwrite an existing output"),
                                          defaultValue=False))
        add(QgsProcessingParameterBoolean(self.LOAD, self.tr("Load the output into the project"), defaultValue=True))
        self.addOutput(QgsProcessingOutputFile("SCENARIO_FILE", self.tr("Scenario file")))
        self.addOutput(QgsProcessingOutputString("PROJECT_NAME", self.tr("Project name")))
        self.addOutput(QgsProcessingOutputNumber("WARNINGS", self.tr("Warnings")))
        self.addOutput(QgsProcessingOutputString("GROUP", self.tr("Layer group")))

    # Layers are read in prepareAlgorithm, which runs in the main thread. Its
    # errors are raised again from processAlgorithm, where QGIS reports an
    # exception's own message (a failed prepareAlgorithm only says "errors").
    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        self._error = None
        try:
            self.write_scenario(parameters, context, feedback)
        except QgsProcessingException as e:
            self._error = str(e)
        return True

    def write_scenario(self, parameters, context, feedback):
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        if not output:
            raise QgsProcessingException("Output GeoPackage: choose where to write it")
        output = Path(output).resolve()
        if output.suffix.lower() != ".gpkg":
            output = output.with_suffix(".gpkg")
        scenario = self.parameterAsFileOutput(parameters, self.SCENARIO, context)
        scenario = Path(scenario).resolve() if scenario else output.with_suffix(".toml")
        if scenario.suffix.lower() != ".toml":
            scenario = scenario.with_suffix(".toml")
        if scenario == output:
            raise QgsProcessingException("The scenario file and the output GeoPackage must differ")
        text = self.scenario_text(parameters, context, feedback, output)
        scenario.parent.mkdir(parents=True, exist_ok=True)
        scenario.write_text(text, encoding="utf-8")
        feedback.pushInfo(f"Wrote the scenario {scenario}")
        self._scenario_path, self._output = scenario, output

    def scenario_text(self, parameters, context, feedback, output):
        name = self.parameterAsString(parameters, self.PROJECT_NAME, context).strip()
        if not name:
            title = QgsProject.instance().title() if context.project() is None else context.project().title()
            name = title or "Relocation scenario"
        project = context.project() or QgsProject.instance()
        doc = toml_writer.Document(
            f"relocplan scenario written by the QGIS algorithm 'New scenario from layers'\n"
            f"from the layers of {project.fileName() or 'an unsaved QGIS project'}, "
            f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}.\n"
            "Paths are absolute; see the relocplan README, \"The scenario file\", for every key.")
        t = doc.table("project").set("name", name)
        description = self.parameterAsString(parameters, self.DESCRIPTION, context).strip()
        if description:
            t.set("description", description)
        crs = self.parameterAsCrs(parameters, self.GRID_CRS, context)
        grid_crs = "auto"
        if crs.isValid():
            if crs.isGeographic():
                raise QgsProcessingException(f"Working CRS: {crs.authid() or crs.description()} is geographic; "
                                             "relocplan needs a projected CRS in metres (or leave it empty: auto)")
            grid_crs = crs.authid() or crs.toWkt()
        doc.table("grid").set("crs", grid_crs).set(
            "cell_size_m", float(self.parameterAsDouble(parameters, self.CELL_SIZE, context)))
        doc.table("study_area").set("from", "villages").set(
            "margin_m", float(self.parameterAsDouble(parameters, self.MARGIN, context)))

        dem = self.parameterAsRasterLayer(parameters, self.DEM, context)
        if dem is None:
            raise QgsProcessingException("DEM: choose a raster layer")
        t = doc.table("inputs.dem")
        t.set("path", raster_source(dem, "DEM")["path"])
        band = self.parameterAsInt(parameters, self.DEM_BAND, context)
        if band and band != 1:
            t.set("band", band)

        villages = self.parameterAsVectorLayer(parameters, self.VILLAGES, context)
        if villages is None:
            raise QgsProcessingException("Villages: choose a point layer")
        src = vector_source(villages, "Villages", feedback, allow_csv=True)
        t = doc.table("inputs.villages")
        for k in ("path", "layer", "crs", "x_field", "y_field", "encoding"):
            if k in src:
                t.set(k, src[k])
        t = doc.table("inputs.villages.fields", "your field names; relocplan's roles on the left")
        names = villages.fields().names()
        for role, label, required in VILLAGE_FIELDS:
            field = self.parameterAsString(parameters, _param("VILLAGE", role), context)
            if not field and required:
                raise QgsProcessingException(f"Villages: choose the {label.lower()}")
            if field:
                if field not in names:
                    raise QgsProcessingException(f"Villages: the layer '{villages.name()}' has no field '{field}'")
                t.set(role, field)

        for key, label in RASTER_INPUTS:
            layer = self.parameterAsRasterLayer(parameters, key.upper(), context)
            if layer is not None:
                doc.table(f"inputs.{key}").set("path", raster_source(layer, label)["path"])

        for key, label, _types, required, optional, values in VECTOR_INPUTS:
            layer = self.parameterAsVectorLayer(parameters, key.upper(), context)
            if layer is None:
                continue
            src = vector_source(layer, label, feedback)
            t = doc.table(f"inputs.{key}")
            for k in ("path", "layer", "crs", "encoding"):
                if k in src:
                    t.set(k, src[k])
            names = layer.fields().names()
            lower = {n.lower(): n for n in names}
            fields = {}
            for role in required + optional:
                field = self.parameterAsString(parameters, _param(key, role), context)
                if field and field not in names:
                    raise QgsProcessingException(f"{label}: the layer '{layer.name()}' has no field '{field}'")
                if not field and role in lower:
                    field = lower[role]
                    feedback.pushInfo(f"{label}: using the field '{field}' for {role}")
                if not field and role in required:
                    raise QgsProcessingException(
                        f"{label}: choose the field that holds '{role}' in the layer '{layer.name()}' "
                        f"(fields: {', '.join(names)})")
                if field:
                    fields[role] = field
            if fields:
                t.set("fields", fields)
            if values:
                t.set("values", {m: self.parameterAsString(parameters, _param(key, value=m), context) or d
                                 for m, d in values.items()})

        sites = self.parameterAsBoolean(parameters, self.SITES, context)
        allocation = self.parameterAsBoolean(parameters, self.ALLOCATION, context)
        if allocation and not sites:
            feedback.pushInfo("Allocation needs the site search: [sites] is added too")
            sites = True
        if sites:
            doc.table("sites", "resettlement-site search with the default weights (see README, "
                               "\"Resettlement sites\")")
        if allocation:
            doc.table("allocation").set("cost", "travel_time").set(
                "max_travel_min", float(self.parameterAsDouble(parameters, self.MAX_TRAVEL_MIN, context))).set(
                "same_county", self.parameterAsBoolean(parameters, self.SAME_COUNTY, context))
        doc.table("processing").set("memory_mb", self.parameterAsInt(parameters, self.MEMORY_MB, context))
        doc.table("output").set("path", str(output))
        return doc.text()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        if self._error:
            raise QgsProcessingException(self._error)
        exe = self.executable(feedback)
        scenario = self._scenario_path
        results = {"SCENARIO_FILE": str(scenario), self.SCENARIO: str(scenario)}
        if not self.parameterAsBoolean(parameters, self.RUN, context):
            feedback.setProgressText("relocplan: validate")
            result = runner.run_relocplan(exe, ["validate", str(scenario)], feedback,
                                          on_stdout=lambda line: feedback.pushConsoleInfo(line))
            runner.raise_for_result(result, "relocplan validate")
            feedback.setProgress(100)
            return self.finish(results)
        overwrite = self.parameterAsBoolean(parameters, self.OVERWRITE, context)
        out, name, warnings = self.run_scenario(exe, scenario, self._output, overwrite, feedback)
        if self.parameterAsBoolean(parameters, self.LOAD, context):
            self._load = (str(out), name)
        results.update({self.OUTPUT: str(out), "PROJECT_NAME": name, "WARNINGS": len(warnings)})
        return self.finish(results)
