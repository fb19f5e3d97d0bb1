#!/usr/bin/python3
"""The relocplan Processing provider (qgis/relocplan_provider) in headless QGIS.

Initialises QGIS and Processing, loads the plugin, and drives its four
algorithms with processing.run, in a folder whose name has spaces and Chinese
characters (the sample data is copied there):

* a missing, wrong or too old relocplan gives a clear message;
* the provider lists Run scenario, Validate scenario, Run batch and New
  scenario from layers;
* Validate scenario prints the plan;
* Run scenario on the full sample: the progress rises monotonically to 100,
  the stage names and relocplan's warnings reach the log, and the styled
  layers (rasters too) are loaded under a group named after the project;
* an existing output without Overwrite fails with relocplan's message and
  exit code 4;
* Cancel during a run stops relocplan (SIGTERM), reports it, and leaves no
  output and no temporary file;
* Run batch with two variants of a light scenario loads the batch summary;
* New scenario from layers, from layers loaded as GIS staff would (DEM,
  villages CSV with lon/lat, thematic layers from a Shapefile and a
  GeoPackage, a land-cover raster), writes a scenario that parses and
  validates, runs it and loads its output; memory layers are refused;
* TOML strings are quoted correctly.

Usage: test_provider.py RELOCPLAN_EXE SAMPLE_DATA_DIR SCENARIO_TEMPLATE WORK_DIR
Exit status: 0 pass, 1 fail, 77 skipped (PyQGIS missing and
RELOCPLAN_REQUIRE_QGIS is not set; ./scripts/test sets it and installs python3-qgis).
"""

import os
import re
import shutil
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if "XDG_RUNTIME_DIR" not in os.environ:
    import tempfile
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="relocplan-qgis-")  # private, mode 0700

QGIS_PLUGINS = "/usr/share/qgis/python/plugins"  # Debian's Processing framework (python3-qgis-common)
REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "qgis"), QGIS_PLUGINS]

try:
    from qgis.core import (QgsApplication, QgsProcessingException, QgsProcessingFeedback, QgsProject,
                           QgsRasterLayer, QgsVectorLayer)
except ImportError as e:  # pragma: no cover - depends on the machine
    if os.environ.get("RELOCPLAN_REQUIRE_QGIS") == "1":
        print(f"FAIL PyQGIS is required but cannot be imported: {e}")
        sys.exit(1)
    print(f"SKIP PyQGIS is not installed ({e}); apt-get install python3-qgis")
    sys.exit(77)

FAILURES = []


def check(ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        FAILURES.append(what)
    return ok


class Recorder(QgsProcessingFeedback):
    """Records what an algorithm reports; cancels once progress passes cancel_above."""

    def __init__(self, cancel_above=None):
        super().__init__()
        self.values, self.texts, self.infos, self.warnings, self.errors, self.console = [], [], [], [], [], []
        self.cancel_above = cancel_above
        self.cancelled_at = None
        self.progressChanged.connect(self._progress)

    def _progress(self, value):
        self.values.append(value)
        if self.cancel_above is not None and value > self.cancel_above and self.cancelled_at is None:
            self.cancelled_at = time.monotonic()
            self.cancel()

    def setProgressText(self, text):  # noqa: N802
        self.texts.append(text)
        super().setProgressText(text)

    def pushInfo(self, info):  # noqa: N802
        self.infos.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning):  # noqa: N802
        self.warnings.append(warning)
        super().pushWarning(warning)

    def reportError(self, error, fatalError=False):  # noqa: N802,N803
        self.errors.append(error)
        super().reportError(error, fatalError)

    def pushConsoleInfo(self, info):  # noqa: N802
        self.console.append(info)
        super().pushConsoleInfo(info)

    def monotonic(self):
        return all(b >= a for a, b in zip(self.values, self.values[1:]))


def run(alg, params, feedback=None):
    """processing.run; returns (results, None) or (None, the exception's message)."""
    import processing
    feedback = feedback or Recorder()
    try:
        return processing.run(f"relocplan:{alg}", params, feedback=feedback), None
    except QgsProcessingException as e:
        return None, str(e)


def group_layers(name):
    group = QgsProject.instance().layerTreeRoot().findGroup(name)
    if group is None:
        return None, {}
    return group, {node.layer().name(): node.layer() for node in group.findLayers() if node.layer() is not None}


def strip_tables(text, names):
    """The scenario without the given top-level tables (and their sub-tables)."""
    out, skip = [], False
    for line in text.splitlines(keepends=True):
        m = re.match(r"^\s*\[([A-Za-z0-9_.]+)\]", line)
        if m:
            skip = m.group(1).split(".")[0] in names
        if not skip:
            out.append(line)
    return "".join(out)


def check_missing_binary(work, exe):
    from processing.core.ProcessingConfig import ProcessingConfig
    from relocplan_provider import runner
    saved_path = os.environ.get("PATH", "")
    empty = work / "empty-bin"
    empty.mkdir(exist_ok=True)
    os.environ["PATH"] = str(empty)
    try:
        ProcessingConfig.setSettingValue(runner.SETTING_EXECUTABLE, "")
        provider = QgsApplication.processingRegistry().providerById("relocplan")
        msg = provider.warningMessage()
        check("not found" in msg and "relocplan executable" in msg and "PATH" in msg,
              f"missing relocplan: the provider says so and names the setting ({msg[:120]}...)")
        _, err = run("validatescenario", {"SCENARIO": str(work / "none.toml")})
        check(err is not None and "relocplan executable" in err,
              f"missing relocplan: an algorithm fails with the clear message ({(err or '')[:80]}...)")
        bogus = work / "no such" / "relocplan"
        # (The settings dialog only accepts existing files; the file may go later.)
        ProcessingConfig.settings[runner.SETTING_EXECUTABLE].value = str(bogus)
        msg = provider.warningMessage()
        check(str(bogus) in msg and "does not exist" in msg, "a setting naming a missing file: the message names it")
        old = work / "old-bin" / "relocplan"
        old.parent.mkdir(exist_ok=True)
        old.write_text("#!/bin/sh\necho 'relocplan 0.0.9'\necho 'GDAL 3.6.2'\n")
        old.chmod(old.stat().st_mode | stat.S_IXUSR)
        ProcessingConfig.setSettingValue(runner.SETTING_EXECUTABLE, str(old))
        msg = provider.warningMessage()
        check("0.0.9" in msg and "too old" in msg and runner.MINIMUM_VERSION_TEXT in msg,
              f"relocplan 0.0.9: 'too old', with the minimum {runner.MINIMUM_VERSION_TEXT}")
        # On PATH, with the setting empty.
        os.environ["PATH"] = str(Path(exe).parent) + os.pathsep + saved_path
        ProcessingConfig.setSettingValue(runner.SETTING_EXECUTABLE, "")
        check(provider.warningMessage() == "" and runner.find_executable()[0] == str(Path(exe)),
              "relocplan on PATH is found when the setting is empty")
    finally:
        os.environ["PATH"] = saved_path
    ProcessingConfig.setSettingValue(runner.SETTING_EXECUTABLE, str(exe))
    check(provider.warningMessage() == "", "relocplan set in the provider setting: no warning")


def check_toml_quoting():
    from relocplan_provider import toml_writer
    samples = ['C:\\数据\\dem "final".tif', "黔山县 / 岩溪县", "tab\there\nnew line\x01\x7f", "it's", "é\u2028"]
    doc = toml_writer.Document("header\nsecond line")
    t = doc.table("inputs.x y")
    for i, s in enumerate(samples):
        t.set(f"k{i}", s)
    t.set("fields", {"name": samples[0], "空 格": "v"}).set("n", 30.0).set("b", True).set("i", 512)
    parsed = tomllib.loads(doc.text())
    table = parsed["inputs"]["x y"]
    check([table[f"k{i}"] for i in range(len(samples))] == samples and table["fields"]["name"] == samples[0]
          and table["fields"]["空 格"] == "v" and table["n"] == 30.0 and table["b"] is True and table["i"] == 512,
          "TOML strings round-trip: backslashes, quotes, control characters, Chinese")


def check_validate(scenario):
    fb = Recorder()
    res, err = run("validatescenario", {"SCENARIO": str(scenario)}, fb)
    plan = "\n".join(fb.console)
    check(err is None and res.get("VALID") is True, f"validate: the sample scenario is valid ({err})")
    check("working CRS" in plan and "EPSG:4545" in plan and "villages" in plan,
          "validate: the plan (working CRS, grid, inputs) is in the log")
    bad = scenario.parent / "bad.toml"
    bad.write_text(scenario.read_text(encoding="utf-8").replace("cell_size_m = 30", "cell_size_m = 30\nslop_deg = 1"),
                   encoding="utf-8")
    res, err = run("validatescenario", {"SCENARIO": str(bad)})
    check(err is not None and "slop_deg" in err and "exit code 2" in err and "invalid scenario" in err,
          f"validate: an unknown key fails with relocplan's message and exit code 2 ({(err or '').splitlines()[:2]})")


def check_full_run(scenario, out_dir):
    out = out_dir / "样例 输出.gpkg"
    fb = Recorder()
    t0 = time.monotonic()
    res, err = run("runscenario", {"SCENARIO": str(scenario), "OUTPUT": str(out), "OVERWRITE": True}, fb)
    seconds = time.monotonic() - t0
    if not check(err is None, f"run scenario: the full sample runs ({seconds:.1f} s) {err or ''}"):
        print("\n".join(fb.errors[-5:]))
        return None
    check(out.is_file() and res["OUTPUT"] == str(out), "run scenario: the GeoPackage is where OUTPUT says")
    check(bool(fb.values) and fb.values[-1] == 100 and fb.monotonic() and len(set(fb.values)) > 10,
          f"run scenario: progress rises monotonically to 100 ({len(fb.values)} reports, "
          f"{len(set(fb.values))} distinct)")
    check(any(v > 0 for v in fb.values) and max(fb.values[:-1] or [0]) < 100,
          "run scenario: 100 only once relocplan has finished")
    texts = " | ".join(fb.texts)
    check(all(f"relocplan: {s}" in fb.texts for s in ["resolving inputs", "terrain", "allocation costs",
                                                      "writing villages"]),
          f"run scenario: the stage names are shown ({texts[:160]}...)")
    check(any("could not be allocated" in w for w in fb.warnings),
          f"run scenario: relocplan's warnings reach the log as warnings ({fb.warnings[:1]})")
    name = res.get("PROJECT_NAME")
    check(name == "Sample karst county (synthetic)", f"run scenario: project name from run_info ('{name}')")
    group, layers = group_layers(name)
    if not check(group is not None, f"run scenario: a layer-tree group '{name}' is in the project"):
        return out
    expected = ["villages", "sites", "allocations", "village_territories", "elevation", "slope", "relief",
                "suitability", "suitability_class", "constraints"]
    check(all(n in layers for n in expected), f"run scenario: the group holds the layers and rasters "
                                              f"({sorted(layers)})")
    check(all(l.isValid() for l in layers.values()), "run scenario: every loaded layer is valid")
    check(all(l.id() in QgsProject.instance().mapLayers() for l in layers.values()),
          "run scenario: the layers are in the project")
    styles = {"villages": "categorizedSymbol", "sites": "graduatedSymbol", "allocations": "graduatedSymbol"}
    for n, renderer in styles.items():
        r = layers[n].renderer() if n in layers else None
        check(r is not None and r.type() == renderer,
              f"run scenario: [{n}] loaded with its default style ({r.type() if r else None})")
    check(isinstance(layers.get("suitability_class"), QgsRasterLayer) and
          layers["suitability_class"].renderer().type() == "paletted",
          "run scenario: suitability_class loads as a raster with its colour table")
    check(layers["villages"].featureCount() == 600 and layers["villages"].crs().authid() == "EPSG:4545",
          "run scenario: villages has the sample's 600 features in EPSG:4545")
    # Points above lines above polygons above rasters.
    order = [node.layer().name() for node in group.findLayers()]
    check(order.index("villages") < order.index("allocations") < order.index("sites") < order.index("elevation"),
          "run scenario: points above lines above polygons above rasters")
    check(any("Loaded" in i for i in fb.infos), "run scenario: the log says which layers were loaded")

    # The output exists: without Overwrite, relocplan's output error.
    res, err = run("runscenario", {"SCENARIO": str(scenario), "OUTPUT": str(out), "LOAD_OUTPUTS": False})
    check(err is not None and "exit code 4" in err and "output error" in err and "relocplan: error" in err,
          f"run scenario: an existing output without Overwrite gives exit code 4 ({(err or '').splitlines()[:1]})")
    return out


def check_cancel(light, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "cancelled run.gpkg"
    before = sorted(os.listdir(out_dir))
    fb = Recorder(cancel_above=10)
    t0 = time.monotonic()
    res, err = run("runscenario", {"SCENARIO": str(light), "OUTPUT": str(out), "OVERWRITE": True}, fb)
    stopped = time.monotonic() - (fb.cancelled_at or t0)
    check(fb.cancelled_at is not None, "cancel: the feedback cancelled after progress passed 10 %")
    check(err is not None and "cancelled" in err and "130" in err, f"cancel: the run reports it was cancelled ({err})")
    check(stopped < 10, f"cancel: relocplan stopped {stopped:.1f} s after Cancel")
    check(max(fb.values or [0]) < 100, f"cancel: the run did not finish (progress at most {max(fb.values or [0]):.0f})")
    after = sorted(os.listdir(out_dir))
    check(after == before and not out.exists(), f"cancel: no output and no temporary file left ({after})")
    group, _ = group_layers("Sample karst county (light)")
    check(group is None, "cancel: nothing was loaded into the project")


def check_default_output(min_scenario):
    """Without OUTPUT: the scenario's [output] path, else <scenario>.gpkg beside it."""
    expected = min_scenario.with_suffix(".gpkg")
    res, err = run("runscenario", {"SCENARIO": str(min_scenario), "LOAD_OUTPUTS": False})
    check(err is None and Path(res["OUTPUT"]) == expected and expected.is_file(),
          f"run scenario: without OUTPUT the GeoPackage is beside the scenario ({err or res['OUTPUT']})")
    check(QgsProject.instance().layerTreeRoot().findGroup("minimal") is None,
          "run scenario: 'Load the output' off loads nothing")


def check_batch(folder, min_scenario):
    batch = folder / "批处理 batch.toml"
    batch.write_text(f"""[batch]
name = "provider-test"
base = "{min_scenario.name}"
output_dir = "批处理 输出"
include_base = false
[variants.strict]
"thresholds.terrain.steep_slope_deg" = 20
[variants.loose]
"thresholds.terrain.steep_slope_deg" = 30
""", encoding="utf-8")
    fb = Recorder()
    t0 = time.monotonic()
    res, err = run("runbatch", {"BATCH": str(batch), "JOBS": 2, "OVERWRITE": True}, fb)
    if not check(err is None, f"batch: two variants run ({time.monotonic() - t0:.1f} s) {err or ''}"):
        return
    check(res["DONE"] == 2 and res["FAILED"] == 0, f"batch: 2 jobs done, none failed ({res['DONE']}, {res['FAILED']})")
    summary = Path(res["SUMMARY"])
    check(summary.is_file() and summary.parent == folder / "批处理 输出", f"batch: the summary is written ({summary})")
    check(fb.values and fb.values[-1] == 100 and fb.monotonic(), "batch: progress rises monotonically to 100")
    check(sum("Job " in i and " started" in i for i in fb.infos) == 2 and
          sum("Job " in i and " done" in i for i in fb.infos) == 2, "batch: each job's start and end is in the log")
    group, layers = group_layers("provider-test (batch summary)")
    check(group is not None and "village_robustness" in layers and all(l.isValid() for l in layers.values()),
          f"batch: the summary's layers are loaded under the batch's group ({sorted(layers)})")
    # Resume: nothing to do, both jobs skipped.
    res, err = run("runbatch", {"BATCH": str(batch), "JOBS": 2, "RESUME": True, "LOAD_OUTPUTS": False})
    check(err is None and res["SKIPPED"] == 2, f"batch: --resume skips the finished jobs ({err or res['SKIPPED']})")


def check_new_scenario(exe, data, folder):
    project = QgsProject.instance()
    csv_uri = (Path(data) / "villages.csv").as_uri() + "?type=csv&delimiter=,&xField=lon&yField=lat&crs=EPSG:4490"
    villages = QgsVectorLayer(csv_uri, "村庄 villages", "delimitedtext")
    dem = QgsRasterLayer(str(data / "dem.tif"), "DEM")
    landcover = QgsRasterLayer(str(data / "landcover.tif"), "land cover")
    hazards = QgsVectorLayer(str(data / "hazard_points.shp"), "geohazards", "ogr")
    gpkg = data / "layers.gpkg"
    roads = QgsVectorLayer(f"{gpkg}|layername=roads", "roads", "ogr")
    towns = QgsVectorLayer(f"{gpkg}|layername=towns", "towns", "ogr")
    counties = QgsVectorLayer(f"{gpkg}|layername=counties", "counties", "ogr")
    susceptibility = QgsVectorLayer(f"{gpkg}|layername=susceptibility", "susceptibility", "ogr")
    layers = [villages, dem, landcover, hazards, roads, towns, counties, susceptibility]
    if not check(all(l.isValid() for l in layers), "new scenario: the sample's layers load in QGIS"):
        return
    project.addMapLayers(layers)
    out_dir = folder / "新方案 it's here"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / "新方案 output.gpkg"
    name = "新方案 \"试算\" \\ test"
    params = {
        "PROJECT_NAME": name, "DEM": dem.id(), "VILLAGES": villages.id(),
        "VILLAGE_ID": "code", "VILLAGE_POPULATION": "population", "VILLAGE_NAME": "name",
        "VILLAGE_COUNTY": "county", "VILLAGE_TOWNSHIP": "township", "VILLAGE_HOUSEHOLDS": "households",
        "VILLAGE_POOR_HOUSEHOLDS": "poor_households",
        "CELL_SIZE": 60, "MARGIN": 1500,
        "LANDCOVER": landcover.id(), "HAZARD_POINTS": hazards.id(),  # radius_m and kind found by their names
        "HAZARD_POINTS_ID": "hz_id", "ROADS": roads.id(), "TOWNS": towns.id(), "TOWNS_KIND": "kind",
        "COUNTIES": counties.id(), "COUNTIES_NAME": "county_name", "SUSCEPTIBILITY": susceptibility.id(),
        "OUTPUT": str(out), "OVERWRITE": True,
    }
    fb = Recorder()
    t0 = time.monotonic()
    res, err = run("newscenario", params, fb)
    if not check(err is None, f"new scenario: writes and runs ({time.monotonic() - t0:.1f} s) {err or ''}"):
        return
    toml_path = Path(res["SCENARIO_FILE"])
    check(toml_path == out.with_suffix(".toml") and toml_path.is_file(),
          f"new scenario: the scenario file is beside the output ({toml_path.name})")
    s = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    inp = s.get("inputs", {})
    check(s["project"]["name"] == name and inp["villages"]["path"] == str(data / "villages.csv") and
          inp["villages"]["x_field"] == "lon" and inp["villages"]["crs"] == "EPSG:4490" and
          inp["villages"]["fields"]["poor_households"] == "poor_households" and
          inp["roads"]["layer"] == "roads" and inp["roads"]["path"] == str(gpkg) and
          inp["hazard_points"]["fields"] == {"radius_m": "radius_m", "id": "hz_id", "kind": "kind"} and
          inp["susceptibility"]["fields"] == {"class": "class"} and
          inp["susceptibility"]["values"] == {"high": "high", "medium": "medium", "low": "low"} and
          inp["counties"]["fields"] == {"name": "county_name"} and inp["landcover"]["path"] == str(data / "landcover.tif")
          and "sites" not in s and "allocation" not in s and s["grid"]["cell_size_m"] == 60,
          "new scenario: the TOML parses and names the layers' files, layers and fields")
    check("crs" not in inp["roads"], "new scenario: no CRS written for a file that declares its own")
    proc = subprocess.run([exe, "validate", str(toml_path)], capture_output=True)
    check(proc.returncode == 0, f"new scenario: relocplan validate accepts it (exit {proc.returncode} "
                                f"{proc.stderr.decode('utf-8', 'replace').strip()[-200:]})")
    check(fb.values and fb.values[-1] == 100 and fb.monotonic(), "new scenario: progress rises monotonically to 100")
    group, loaded = group_layers(name)
    check(group is not None and "villages" in loaded and loaded["villages"].isValid() and
          loaded["villages"].featureCount() == 600 and "elevation" in loaded,
          f"new scenario: its GeoPackage is loaded under '{name}' ({sorted(loaded)})")

    # With sites and allocation switched on, only written and validated.
    params2 = dict(params, SITES=False, ALLOCATION=True, RUN=False, SCENARIO=str(out_dir / "with sites.toml"))
    fb = Recorder()
    res, err = run("newscenario", params2, fb)
    s2 = tomllib.loads((out_dir / "with sites.toml").read_text(encoding="utf-8")) if err is None else {}
    check(err is None and "sites" in s2 and s2.get("allocation", {}).get("max_travel_min") == 60 and
          any("working CRS" in c for c in fb.console),
          f"new scenario: [allocation] (and the [sites] it needs) written and validated without running ({err})")

    # A memory layer is refused with a message that says what to do.
    mem = QgsVectorLayer("Point?crs=EPSG:4490&field=code:string&field=population:integer", "scratch", "memory")
    project.addMapLayer(mem)
    res, err = run("newscenario", dict(params, VILLAGES=mem.id(), OUTPUT=str(out_dir / "mem.gpkg")))
    check(err is not None and "scratch" in err and "memory" in err and "Save it to a file first" in err,
          f"new scenario: a memory layer is refused ({(err or '')[:140]})")
    check(not (out_dir / "mem.gpkg").exists() and not (out_dir / "mem.toml").exists(),
          "new scenario: nothing written for a refused layer")


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    exe, data_dir, template, work = sys.argv[1:]
    exe = str(Path(exe).resolve())
    work = Path(work).resolve()
    t_start = time.monotonic()

    try:
        from processing.core.Processing import Processing
        Processing.initialize()
        import processing  # noqa: F401
    except ImportError as e:
        print(f"FAIL QGIS's Processing framework cannot be imported from {QGIS_PLUGINS}: {e}")
        return 1

    import relocplan_provider
    plugin = relocplan_provider.classFactory(None)
    plugin.initProcessing()
    provider = QgsApplication.processingRegistry().providerById("relocplan")
    if not check(provider is not None, "the plugin registers the 'relocplan' provider"):
        return 1
    ids = sorted(a.id() for a in provider.algorithms())
    check(ids == ["relocplan:newscenario", "relocplan:runbatch", "relocplan:runscenario", "relocplan:validatescenario"],
          f"the provider lists its four algorithms {ids}")
    names = sorted(a.displayName() for a in provider.algorithms())
    check(names == ["New scenario from layers", "Run batch", "Run scenario", "Validate scenario"],
          f"algorithm names {names}")

    check_missing_binary(work, exe)
    check_toml_quoting()

    # The sample data in a folder named with spaces and Chinese characters.
    folder = work / "样例 数据"
    data = folder / "data"
    shutil.copytree(data_dir, data)
    scenario = folder / "scenario.toml"
    text = Path(template).read_text(encoding="utf-8")
    scenario.write_text(text, encoding="utf-8")
    light = folder / "light scenario.toml"
    light.write_text(strip_tables(text, {"sites", "allocation"}).replace(
        'name = "Sample karst county (synthetic)"', 'name = "Sample karst county (light)"'), encoding="utf-8")
    minimal = folder / "最小 minimal.toml"
    minimal.write_text("""[project]
name = "minimal"
[grid]
cell_size_m = 60
[study_area]
margin_m = 1500
[inputs.dem]
path = "data/dem.tif"
[inputs.villages]
path = "data/villages_4544.gpkg"
[inputs.villages.fields]
id = "code"
population = "population"
households = "households"
poor_households = "poor_households"
""", encoding="utf-8")

    check_validate(scenario)
    check_full_run(scenario, folder / "输出 out")
    check_cancel(light, folder / "取消 cancel")
    check_default_output(minimal)
    check_batch(folder, minimal)
    check_new_scenario(exe, data, folder)

    print(f"SUMMARY {'OK' if not FAILURES else 'FAILED'}: {len(FAILURES)} failed in "
          f"{time.monotonic() - t_start:.1f} s")
    for f in FAILURES:
        print(f"  failed: {f}")
    plugin.unload()
    return 1 if FAILURES else 0


if __name__ == "__main__":
    if len(sys.argv) == 5:
        work_dir = Path(sys.argv[4]).resolve()
        if work_dir.exists():
            shutil.rmtree(work_dir)
        work_dir.mkdir(parents=True)
    # A private settings folder: the provider setting is not written to the user's QGIS profile.
    config = Path(sys.argv[4] if len(sys.argv) == 5 else ".").resolve() / "qgis-settings"
    app = QgsApplication([], False, str(config))
    app.initQgis()
    rc = main()
    QgsProject.instance().clear()
    app.exitQgis()
    sys.stdout.flush()
    os._exit(rc)
