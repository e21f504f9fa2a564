"""QGIS and OGC styling: layer styles as QML and SLD, the ``layer_styles`` table, QGIS projects."""
