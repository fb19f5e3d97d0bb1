#!/usr/bin/python3
"""Acceptance test: the sample run's GeoPackage opens as a finished map in QGIS.

Runs relocplan on the sample county, then opens the result with QGIS itself
(PyQGIS, headless) and checks what GIS staff will see:

* GDAL's GeoPackage validator accepts the file;
* every layer is valid in QGIS, in the run's CRS, with the right feature count;
* each vector layer's default style from `layer_styles` is the one QGIS
  applied (the expected renderer, identical to the stored QML), every feature
  gets a symbol, labels are on where expected, and the fields carry their
  Chinese/English aliases;
* rasters have NoData, stored statistics, and the class raster opens with its
  colour table (QGIS's paletted renderer);
* gpkg_metadata describes the run, and QGIS shows each layer's title;
* all layers render into one PNG for a person to look at.

Usage: qgis_acceptance.py RELOCPLAN_EXE SAMPLE_DATA_DIR SCENARIO_TEMPLATE WORK_DIR
Exit status: 0 pass, 1 fail, 77 skipped (PyQGIS missing and
RELOCPLAN_REQUIRE_QGIS is not set; ./scripts/test sets it and installs python3-qgis).
"""

import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if "XDG_RUNTIME_DIR" not in os.environ:
    import tempfile
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="relocplan-qgis-")  # private, mode 0700

try:
    from qgis.core import (QgsApplication, QgsExpressionContext, QgsExpressionContextUtils, QgsLayerTree,
                           QgsLayerTreeModel, QgsLegendRenderer, QgsLegendSettings, QgsMapRendererSequentialJob, QgsMapSettings, QgsProject,
                           QgsRasterLayer, QgsReadWriteContext, QgsRenderContext, QgsVectorLayer, QgsRectangle)
    from qgis.PyQt.QtCore import QSize, Qt
    from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter
    from qgis.PyQt.QtXml import QDomDocument
except ImportError as e:  # pragma: no cover - depends on the machine
    if os.environ.get("RELOCPLAN_REQUIRE_QGIS") == "1":
        print(f"FAIL PyQGIS is required but cannot be imported: {e}")
        sys.exit(1)
    print(f"SKIP PyQGIS is not installed ({e}); apt-get install python3-qgis")
    sys.exit(77)

FAILURES = []


def check(ok, what):
    print(("PASS " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)
    return ok


# What each styled layer must look like in QGIS.
EXPECTED_STYLES = {
    "villages": {"renderer": "categorizedSymbol", "labels": True},
    "sites": {"renderer": "graduatedSymbol", "labels": True},
    "allocations": {"renderer": "graduatedSymbol", "labels": False},
    "village_territories": {"renderer": "singleSymbol", "labels": False},
}
# The batch summary's layers.
SUMMARY_STYLES = {
    "village_robustness": {"renderer": "graduatedSymbol", "labels": False},
    "site_frequency": {"renderer": "graduatedSymbol", "labels": True},
    "contested_villages": {"renderer": "graduatedSymbol", "labels": False},  # a view
}
FLOAT_RASTERS = ["elevation", "slope", "relief", "suitability"]
# Fields whose alias must show (Chinese / English).
ALIAS_SAMPLES = {"villages": ("slope_deg", "坡度"), "sites": ("capacity_people", "容量"),
                 "allocations": ("households", "户")}


def run_sample(exe, data_dir, template, work):
    text = Path(template).read_text(encoding="utf-8")
    scenario = Path(data_dir).parent / "scenario-qgis.toml"
    scenario.write_text(text, encoding="utf-8")
    out = Path(work) / "sample.gpkg"
    cmd = [exe, "run", str(scenario), "-o", str(out), "--overwrite", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if not check(proc.returncode == 0, f"relocplan run exits 0 (got {proc.returncode}: {proc.stderr.strip()[-400:]})"):
        sys.exit(1)
    return out


def renderer_xml(renderer):
    """The renderer as QGIS serialises it ('' for none), for comparing two renderers."""
    if renderer is None:
        return ""
    doc = QDomDocument()
    doc.appendChild(renderer.save(doc, QgsReadWriteContext()))
    return doc.toString()


def check_vector(gpkg, db, name, crs, styles=EXPECTED_STYLES):
    uri = f"{gpkg}|layername={name}"
    layer = QgsVectorLayer(uri, name, "ogr")
    if not check(layer.isValid(), f"[{name}] opens valid in QGIS"):
        return None
    check(layer.crs().authid() == crs, f"[{name}] CRS {layer.crs().authid()} == {crs}")
    count = db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    iterated = sum(1 for _ in layer.getFeatures())
    check(iterated == count and layer.featureCount() == count,
          f"[{name}] QGIS sees {iterated} features (provider {layer.featureCount()}), the table has {count}")
    exp = styles[name]
    row = db.execute("SELECT styleQML FROM layer_styles WHERE f_table_schema = '' AND f_table_name = ? AND "
                     "f_geometry_column = 'geom' ORDER BY CASE WHEN useAsDefault THEN 1 ELSE 2 END, update_time DESC",
                     (name,)).fetchone()
    if not check(row is not None, f"[{name}] has a default style in layer_styles"):
        return layer
    r = layer.renderer()
    check(r is not None and r.type() == exp["renderer"],
          f"[{name}] QGIS applied the default style: renderer {r.type() if r else None} == {exp['renderer']}")
    # The applied renderer equals the stored QML imported into a bare layer:
    # QGIS did not fall back to its random single symbol.
    bare = QgsVectorLayer(uri, name, "ogr", QgsVectorLayer.LayerOptions(loadDefaultStyle=False))
    doc = QDomDocument()
    parsed = doc.setContent(row[0])
    parsed = parsed[0] if isinstance(parsed, tuple) else parsed
    check(parsed, f"[{name}] stored QML is well-formed XML")
    ok, msg = bare.importNamedStyle(doc)
    check(ok, f"[{name}] stored QML imports ({msg})")
    check(renderer_xml(bare.renderer()) == renderer_xml(r), f"[{name}] applied renderer equals the stored style")
    check(layer.labelsEnabled() == exp["labels"], f"[{name}] labels {'on' if exp['labels'] else 'off'}")
    # Every feature gets a symbol.
    ctx = QgsRenderContext()
    ctx.setExpressionContext(QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer)))
    r2 = r.clone()
    r2.startRender(ctx, layer.fields())
    missing = 0
    for f in layer.getFeatures():
        ctx.expressionContext().setFeature(f)
        if not r2.symbolsForFeature(f, ctx):
            missing += 1
    r2.stopRender(ctx)
    check(missing == 0, f"[{name}] every feature gets a symbol ({missing} without)")
    if name in ALIAS_SAMPLES:
        field, word = ALIAS_SAMPLES[name]
        alias = layer.attributeAlias(layer.fields().indexOf(field))
        check(word in alias and any(c.isascii() and c.isalpha() for c in alias),
              f"[{name}] field {field} has a Chinese/English alias ('{alias}')")
    check(bool(layer.metadata().title()), f"[{name}] QGIS shows a layer title ('{layer.metadata().title()}')")
    return layer


def check_raster(gpkg, db, name, crs):
    layer = QgsRasterLayer(f"GPKG:{gpkg}:{name}", name, "gdal")
    if not check(layer.isValid(), f"[{name}] raster opens valid in QGIS"):
        return None
    check(layer.crs().authid() == crs, f"[{name}] CRS {layer.crs().authid()} == {crs}")
    from osgeo import gdal
    ds = gdal.OpenEx(f"GPKG:{gpkg}:{name}", gdal.OF_RASTER)
    band = ds.GetRasterBand(1)
    if name != "suitability_class":  # a class raster carries its colour table instead
        # Statistics of a gridded coverage are stored per tile
        # (gpkg_2d_gridded_tile_ancillary); their range must be the data's.
        exact = band.ComputeStatistics(False)
        row = db.execute("SELECT min(min), max(max) FROM gpkg_2d_gridded_tile_ancillary WHERE tpudt_name = ?",
                         (name,)).fetchone()
        check(row[0] is not None and abs(row[0] - exact[0]) <= 1e-3 * max(1.0, abs(exact[0])) and
              abs(row[1] - exact[1]) <= 1e-3 * max(1.0, abs(exact[1])),
              f"[{name}] stored tile statistics {row} match the data ({exact[0]}, {exact[1]})")
        ce = layer.renderer().contrastEnhancement() if hasattr(layer.renderer(), "contrastEnhancement") else None
        if ce is not None:
            check(exact[0] - 1e-6 <= ce.minimumValue() < ce.maximumValue() <= exact[1] + 1e-6,
                  f"[{name}] QGIS stretches within the data range ({ce.minimumValue()}, {ce.maximumValue()})")
    if name in FLOAT_RASTERS:
        check(layer.dataProvider().sourceHasNoDataValue(1) and layer.dataProvider().sourceNoDataValue(1) == -9999,
              f"[{name}] NoData is -9999")
    if name == "suitability_class":
        check(layer.renderer().type() == "paletted", f"[{name}] opens with its colour table ({layer.renderer().type()})")
        ct = band.GetColorTable()
        check(ct is not None and ct.GetCount() == 5, f"[{name}] has a colour table of the four classes and NoData")
        check(len(layer.renderer().classes()) == 5, f"[{name}] QGIS lists 5 classes, not a padded palette")
    return layer


def drawn_pixels(image):
    n = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            if QColor(image.pixel(x, y)).alpha() > 0:
                n += 1
    return n * 4


def draw_legend(painter, layers, x, y):
    """Draws the layers' legend (their default styles' classes) at x, y pixels."""
    root = QgsLayerTree()
    for layer in layers:
        root.addLayer(layer)
    model = QgsLayerTreeModel(root)
    settings = QgsLegendSettings()
    settings.setTitle("")
    dots_per_mm = 96 / 25.4
    ctx = QgsRenderContext.fromQPainter(painter)
    ctx.setScaleFactor(dots_per_mm)
    ctx.setFlag(QgsRenderContext.Antialiasing, True)
    painter.save()
    painter.translate(x, y)
    painter.scale(dots_per_mm, dots_per_mm)
    QgsLegendRenderer(model, settings).drawLegend(ctx)
    painter.restore()


def render(layers, extent, crs, png, title, legend=False):
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(crs)
    settings.setOutputSize(QSize(1400, 1100))
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setExtent(extent)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    if legend:
        # The map on the left, the legend on a white band on the right.
        full = QImage(1400 + 560, 1100, QImage.Format_ARGB32)
        full.fill(QColor(255, 255, 255))
        p = QPainter(full)
        p.drawImage(0, 0, image)
        draw_legend(p, layers, 1400 + 20, 50)
        p.end()
        image = full
    painter = QPainter(image)
    painter.setPen(QColor(20, 20, 20))
    font = QFont("WenQuanYi Micro Hei")
    font.setPointSize(13)
    painter.setFont(font)
    painter.fillRect(0, 0, image.width(), 34, QColor(255, 255, 255, 220))
    painter.drawText(12, 24, title)
    painter.end()
    image.save(str(png))
    return image


def check_batch_summary(exe, data_dir, template, work, crs):
    """A small batch (two counties x two variants) and its summary GeoPackage in QGIS."""
    base = (Path(data_dir).parent / "scenario-qgis.toml").resolve()
    batch = Path(work) / "batch.toml"
    batch.write_text(f"""[batch]
name = "qgis"
base = "{base}"
output_dir = "{(Path(work) / 'batch').resolve()}"
[variants.strict]
"thresholds.terrain.steep_slope_deg" = 20
[split]
path = "{(Path(data_dir) / 'layers.gpkg').resolve()}"
layer = "counties"
field = "county_name"
""", encoding="utf-8")
    proc = subprocess.run([exe, "batch", str(batch), "-j", "2", "-q", "--overwrite"], capture_output=True, text=True)
    if not check(proc.returncode == 0, f"relocplan batch exits 0 (got {proc.returncode}: {proc.stderr.strip()[-400:]})"):
        return
    gpkg = Path(work) / "batch" / "qgis_summary.gpkg"
    proc = subprocess.run([sys.executable, "-m", "osgeo_utils.samples.validate_gpkg", str(gpkg)],
                          capture_output=True, text=True)
    check(proc.returncode == 0, f"GDAL's GeoPackage validator accepts the batch summary {proc.stdout.strip()[-300:]}")
    db = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    check(db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 4, "batch summary lists the 4 jobs")
    layers = [l for l in (check_vector(gpkg, db, n, crs, SUMMARY_STYLES) for n in SUMMARY_STYLES) if l is not None]
    if layers:
        extent = QgsRectangle(layers[0].extent())
        extent.scale(1.05)
        png = Path(work) / "batch-summary-map.png"
        render(layers, extent, layers[0].crs(), png,
               "relocplan batch summary · village robustness (candidate share), site selection frequency", legend=True)
        check(png.exists(), f"batch summary rendered to {png}")


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    exe, data_dir, template, work = sys.argv[1:]
    Path(work).mkdir(parents=True, exist_ok=True)
    gpkg = run_sample(exe, data_dir, template, work)

    proc = subprocess.run([sys.executable, "-m", "osgeo_utils.samples.validate_gpkg", str(gpkg)],
                          capture_output=True, text=True)
    check(proc.returncode == 0, f"GDAL's GeoPackage validator accepts the output {proc.stdout.strip()[-300:]}")

    db = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    tables = {r[0]: r[1] for r in db.execute("SELECT table_name, data_type FROM gpkg_contents")}
    crs = "EPSG:4545"  # the sample's "auto" CRS: CGCS2000 3-degree GK zone 36 (CM 108E)
    with open(Path(data_dir) / "villages.csv", encoding="utf-8-sig") as f:
        n_villages = sum(1 for _ in csv.DictReader(f))
    check(db.execute("SELECT count(*) FROM villages").fetchone()[0] == n_villages,
          f"villages: one feature per input village ({n_villages})")
    for name in ["elevation", "slope", "relief", "suitability", "suitability_class", "constraints", "villages",
                 "village_territories", "sites", "allocations", "criteria", "county_summary", "township_summary",
                 "site_summary", "allocation_summary", "run_info", "layer_styles"]:
        check(name in tables, f"layer {name} is in gpkg_contents")
    check(db.execute("SELECT count(*) FROM sites").fetchone()[0] > 0, "sites: the sample has candidate sites")
    check(db.execute("SELECT count(*) FROM allocations").fetchone()[0] > 0, "allocations: the sample allocates")

    meta = "\n".join(r[0] for r in db.execute(
        "SELECT m.metadata FROM gpkg_metadata m JOIN gpkg_metadata_reference r ON r.md_file_id = m.id "
        "WHERE r.reference_scope = 'geopackage'"))
    for key in ["TITLE", "CREATED_UTC", "SCENARIO_FILE", "SOURCES", "SOFTWARE"]:
        check(f'key="{key}"' in meta, f"gpkg_metadata describes the run: {key}")
    # Every field of every layer and table is described (input attributes
    # copied as they are, prefixed src_ on a clash, are the planners' own).
    documented = set(db.execute("SELECT table_name, column_name FROM gpkg_data_columns"))
    undocumented = []
    for table, kind in tables.items():
        if kind not in ("features", "attributes") or table == "layer_styles":
            continue
        for (col,) in db.execute(f'SELECT name FROM pragma_table_info("{table}")'):
            if col not in ("fid", "geom") and not col.startswith("src_") and (table, col) not in documented:
                undocumented.append(f"{table}.{col}")
    check(not undocumented, f"gpkg_data_columns describes every field (missing: {undocumented})")

    vectors = {n: check_vector(gpkg, db, n, crs) for n in EXPECTED_STYLES}
    rasters = {n: check_raster(gpkg, db, n, crs) for n in ["elevation", "slope", "relief", "suitability",
                                                        "suitability_class", "constraints"]}

    # Each styled layer draws on its own, then everything in one map.
    for name, layer in vectors.items():
        if layer is None:
            continue
        img = render([layer], layer.extent(), layer.crs(), Path(work) / f"layer-{name}.png", name)
        check(drawn_pixels(img) > 2000, f"[{name}] draws")
    order = [vectors.get("villages"), vectors.get("allocations"), vectors.get("sites"),
             vectors.get("village_territories"), rasters.get("suitability_class"), rasters.get("elevation")]
    order = [l for l in order if l is not None]
    if rasters.get("suitability_class") is not None:
        rasters["suitability_class"].setOpacity(0.55)
    extent = QgsRectangle(vectors["villages"].extent()) if vectors.get("villages") else order[0].extent()
    extent.scale(1.05)
    name = db.execute("SELECT value FROM run_info WHERE key = 'project.name'").fetchone()
    png = Path(work) / "sample-map.png"
    render(order, extent, order[0].crs(), png,
           f"relocplan · {name[0] if name else ''} · villages by class, sites by suitability, allocations",
           legend=True)
    check(png.exists() and png.stat().st_size > 50000, f"map rendered to {png}")

    check_batch_summary(exe, data_dir, template, work, crs)

    print(f"SUMMARY {'OK' if not FAILURES else 'FAILED'}: {len(FAILURES)} failed; map: {png}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    rc = main()
    QgsProject.instance().clear()
    app.exitQgis()
    sys.exit(rc)
