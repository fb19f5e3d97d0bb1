"""Loading a relocplan GeoPackage into the project, styled, under one group."""

import sqlite3
from pathlib import Path

from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer

# Layers shown when loaded; the others are added switched off.
VISIBLE_RASTERS = ("suitability_class", "village_robustness")
RASTER_ORDER = ("suitability_class", "suitability", "constraints", "elevation", "slope", "relief")
HIDDEN_TABLES = ("layer_styles",)
GEOMETRY_ORDER = {"POINT": 0, "MULTIPOINT": 0, "LINESTRING": 1, "MULTILINESTRING": 1, "CURVE": 1,
                  "MULTICURVE": 1, "POLYGON": 2, "MULTIPOLYGON": 2, "SURFACE": 2, "MULTISURFACE": 2}


def _connect(path):
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def read_contents(path):
    """[(table, data_type, geometry type name or None)] in gpkg_contents order."""
    db = _connect(path)
    try:
        rows = db.execute(
            "SELECT c.table_name, c.data_type, g.geometry_type_name FROM gpkg_contents c "
            "LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name ORDER BY c.rowid").fetchall()
    finally:
        db.close()
    return rows


def read_project_name(path, key="project.name", table="run_info"):
    """The value of key in the GeoPackage's run_info (None when absent)."""
    try:
        db = _connect(path)
        try:
            row = db.execute(f'SELECT value FROM "{table}" WHERE key = ?', (key,)).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return row[0] if row and row[0] else None


def load_geopackage(path, group_name, project=None, feedback=None):
    """Adds the GeoPackage's layers to project under a new top group group_name.

    Vector layers get the default style stored in the file (layer_styles);
    points above lines above polygons above rasters; attribute tables in a
    sub-group. Returns (group, [layers]).
    """
    project = project or QgsProject.instance()
    path = str(Path(path).resolve())
    contents = read_contents(path)
    vectors, tables, rasters = [], [], []
    for name, kind, geom in contents:
        if kind == "features":
            vectors.append((GEOMETRY_ORDER.get((geom or "").upper(), 3), name))
        elif kind == "attributes" and name not in HIDDEN_TABLES:
            tables.append(name)
        elif kind in ("2d-gridded-coverage", "tiles"):
            rasters.append(name)
    vectors.sort(key=lambda v: v[0])  # stable: keeps the file's order within a geometry type
    rasters.sort(key=lambda r: RASTER_ORDER.index(r) if r in RASTER_ORDER else len(RASTER_ORDER))

    root = project.layerTreeRoot()
    group = root.insertGroup(0, group_name)
    loaded, bad = [], []

    def add(layer, parent, visible=True):
        if not layer.isValid():
            bad.append(layer.name())
            return
        project.addMapLayer(layer, False)
        node = parent.addLayer(layer)
        node.setItemVisibilityChecked(visible)
        loaded.append(layer)

    for _, name in vectors:
        # loadDefaultStyle (the default) applies the style stored in layer_styles.
        add(QgsVectorLayer(f"{path}|layername={name}", name, "ogr"), group)
    shown = [r for r in rasters if r in VISIBLE_RASTERS][:1] or rasters[:1]
    for name in rasters:
        add(QgsRasterLayer(f"GPKG:{path}:{name}", name, "gdal"), group, visible=name in shown)
    if tables:
        sub = group.addGroup("tables")
        for name in tables:
            add(QgsVectorLayer(f"{path}|layername={name}", name, "ogr"), sub)
        sub.setExpanded(False)
    if feedback is not None:
        feedback.pushInfo(f"Loaded {len(loaded)} layers of {path} under the group '{group_name}'")
        if bad:
            feedback.reportError(f"These layers of {path} could not be opened: {', '.join(bad)}", False)
    return group, loaded
