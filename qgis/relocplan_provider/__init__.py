"""relocplan in the QGIS Processing toolbox."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import RelocplanPlugin
    return RelocplanPlugin(iface)
