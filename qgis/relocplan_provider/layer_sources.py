"""The file behind a QGIS layer, as a scenario's [inputs.*] table needs it."""

import os

from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingException, QgsProviderRegistry,
                       QgsRasterLayer, QgsVectorLayer)
from qgis.PyQt.QtCore import QUrl, QUrlQuery

UTF8_NAMES = {"", "utf-8", "utf8", "system"}


def _not_a_file(label, layer, why):
    kind = "raster" if isinstance(layer, QgsRasterLayer) else "vector"
    how = ("Save it as a GeoTIFF first (right-click the layer › Export › Save As…)" if kind == "raster" else
           "Save it to a file first (right-click the layer › Export › Save Features As…, e.g. a GeoPackage)")
    return QgsProcessingException(
        f"{label}: the layer '{layer.name()}' {why}; relocplan reads its inputs from files. "
        f"{how} and choose the saved layer.")


def _crs_text(crs):
    if not crs.isValid():
        return None
    return crs.authid() or crs.toWkt(QgsCoordinateReferenceSystem.WKT2_2019)


def _ogr_crs(path, layer_name):
    """The CRS declared in the file (QgsCoordinateReferenceSystem, invalid when none), or None if unreadable."""
    try:
        from osgeo import ogr
    except ImportError:  # pragma: no cover
        return None
    ds = ogr.Open(path)
    if ds is None:
        return None
    lyr = ds.GetLayerByName(layer_name) if layer_name else ds.GetLayer(0)
    if lyr is None:
        return None
    srs = lyr.GetSpatialRef()
    if srs is None:
        return QgsCoordinateReferenceSystem()
    return QgsCoordinateReferenceSystem.fromWkt(srs.ExportToWkt())


def _ogr_layer_name(path, layer_id):
    try:
        from osgeo import ogr
        ds = ogr.Open(path)
        lyr = ds.GetLayer(int(layer_id)) if ds is not None else None
        return lyr.GetName() if lyr is not None else None
    except Exception:  # pragma: no cover
        return None


def _value(d, k):
    v = d.get(k)
    if v is None:
        return None
    s = str(v)
    return None if not s or s == "NULL" else v


def vector_source(layer, label, feedback, allow_csv=False):
    """{'path', 'layer'?, 'crs'?, 'encoding'?, 'x_field'?, 'y_field'?} for a file-based vector layer.

    Raises QgsProcessingException for memory, database and web layers, and for
    files relocplan cannot read as they are.
    """
    if not isinstance(layer, QgsVectorLayer) or not layer.isValid():
        raise QgsProcessingException(f"{label}: not a valid vector layer")
    provider = layer.providerType()
    out = {}
    if provider == "ogr":
        parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
        path = _value(parts, "path")
        if _value(parts, "vsiPrefix") or (path and str(path).startswith("/vsi")):
            raise _not_a_file(label, layer, "is inside an archive or a virtual file system")
        if not path or not os.path.exists(path):
            raise _not_a_file(label, layer, f"does not come from a local file ({layer.source()})")
        if os.path.isdir(path):
            raise _not_a_file(label, layer, f"is a folder data set ({path})")
        out["path"] = os.path.abspath(path)
        name = _value(parts, "layerName")
        if not name and _value(parts, "layerId") is not None:
            name = _ogr_layer_name(path, parts["layerId"])
        if name:
            out["layer"] = str(name)
        if _value(parts, "subset") or layer.subsetString():
            feedback.pushWarning(f"{label}: the layer '{layer.name()}' has a filter ({layer.subsetString()}); "
                                 "relocplan reads every feature of the file")
        file_crs = _ogr_crs(out["path"], out.get("layer"))
        if file_crs is not None and (not file_crs.isValid() or file_crs != layer.crs()):
            crs = _crs_text(layer.crs())
            if crs:
                out["crs"] = crs
                if file_crs.isValid():
                    feedback.pushInfo(f"{label}: using the layer's CRS {crs} set in QGIS instead of the file's "
                                      f"{file_crs.authid() or file_crs.description()}")
        if out["path"].lower().endswith(".shp"):
            stem = out["path"][:-4]
            has_cpg = any(os.path.exists(stem + ext) for ext in (".cpg", ".CPG"))
            enc = layer.dataProvider().encoding() if layer.dataProvider() else ""
            if not has_cpg and enc and enc.lower() not in UTF8_NAMES:
                out["encoding"] = enc
    elif provider == "delimitedtext" and allow_csv:
        url = QUrl(layer.source())
        path = url.toLocalFile()
        if not path or not os.path.isfile(path):
            raise _not_a_file(label, layer, f"does not come from a local file ({layer.source()})")
        query = QUrlQuery(url)
        x, y = query.queryItemValue("xField", QUrl.FullyDecoded), query.queryItemValue("yField", QUrl.FullyDecoded)
        if not x or not y:
            raise _not_a_file(label, layer, "is a delimited-text layer without x and y columns (WKT geometry)")
        delimiter = query.queryItemValue("delimiter", QUrl.FullyDecoded)
        if (query.queryItemValue("type") not in ("", "csv") or (delimiter and delimiter not in (",", ";", "\\t", "\t"))
                or not path.lower().endswith(".csv")):
            feedback.pushWarning(f"{label}: '{path}' is read by relocplan as a comma-separated .csv file "
                                 "with a header line; save other text formats as CSV or GeoPackage")
        out["path"] = os.path.abspath(path)
        out["x_field"], out["y_field"] = x, y
        crs = _crs_text(layer.crs())
        if crs:
            out["crs"] = crs
        enc = query.queryItemValue("encoding")
        if enc and enc.lower() not in UTF8_NAMES:
            out["encoding"] = enc
        if layer.subsetString():
            feedback.pushWarning(f"{label}: the layer '{layer.name()}' has a filter; relocplan reads every row")
    else:
        what = {"memory": "is a temporary scratch layer (in memory)", "postgres": "is in a PostgreSQL database",
                "spatialite": "is in a SpatiaLite database", "mssql": "is in a SQL Server database",
                "oracle": "is in an Oracle database", "virtual": "is a virtual layer", "wfs": "is a web (WFS) layer",
                "delimitedtext": "is a delimited-text layer"}.get(provider, f"comes from the '{provider}' provider")
        raise _not_a_file(label, layer, what)
    return out


def raster_source(layer, label):
    """{'path'} for a raster layer read from a single file (GeoTIFF, ...)."""
    if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
        raise QgsProcessingException(f"{label}: not a valid raster layer")
    if layer.providerType() != "gdal":
        raise _not_a_file(label, layer, f"comes from the '{layer.providerType()}' provider (a web or database raster)")
    parts = QgsProviderRegistry.instance().decodeUri("gdal", layer.source())
    path = _value(parts, "path")
    if _value(parts, "vsiPrefix") or (path and str(path).startswith("/vsi")):
        raise _not_a_file(label, layer, "is inside an archive or a virtual file system")
    if _value(parts, "layerName"):
        raise _not_a_file(label, layer, f"is one raster of a multi-raster file ({path}, '{parts['layerName']}')")
    if not path or not os.path.isfile(path):
        raise _not_a_file(label, layer, f"does not come from a local file ({layer.source()})")
    return {"path": os.path.abspath(path)}
