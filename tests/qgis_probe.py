"""What QGIS makes of ParkAtlas's files: run by the tests under Debian's Python with QGIS's bindings.

This script is not imported by the test suite (the suite's virtualenv has no QGIS);
``tests/qgis_helpers.run_probe`` starts it as ``/usr/bin/python3 tests/qgis_probe.py COMMAND ARGS…``
headless (``QT_QPA_PLATFORM=offscreen``) and reads the JSON it prints.

Commands
--------
``datasource URI``
    Every sublayer QGIS lists for the file (as *Add Layer* shows them), each opened
    as QGIS opens it, with its default style from the data source.
``layer URI PROVIDER``
    One layer (``ogr`` path, ``postgres`` URI, …) opened with its default style.
``project FILE.qgz [no]``
    The project's layers (valid, source, provider, renderer) and its layer tree groups;
    ``no``: without opening the layers' data sources (a project of a server not running).
``sld URI FILE.sld``
    The layer with an SLD file applied.
``render FILE.qgz OUT.png WIDTH HEIGHT``
    A print layout of the project's map with a legend, exported as a PNG.
"""

from __future__ import annotations

import json
import sys

from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsFeatureRequest,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLegendStyle,
    QgsPrintLayout,
    QgsProject,
    QgsProviderRegistry,
    QgsRectangle,
    QgsRenderContext,
    QgsSymbolLayer,
    QgsUnitTypes,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant
from qgis.PyQt.QtGui import QFont
from qgis.PyQt.QtXml import QDomDocument


def renderer_report(layer: QgsVectorLayer) -> dict:
    renderer = layer.renderer()
    if renderer is None:
        return {"type": None}
    out = {"type": renderer.type()}
    if isinstance(renderer, QgsCategorizedSymbolRenderer):
        out["attribute"] = renderer.classAttribute()
        out["categories"] = []
        for category in renderer.categories():
            symbol = category.symbol()
            first = symbol.symbolLayer(0)
            width = first.dataDefinedProperties().property(QgsSymbolLayer.PropertyStrokeWidth)
            out["categories"].append({
                "value": "" if category.value() is None else str(category.value()),
                "label": category.label(),
                "color": symbol.color().name(),
                "alpha": round(symbol.color().alphaF(), 2),
                "symbol_layers": [symbol.symbolLayer(i).layerType() for i in range(symbol.symbolLayerCount())],
                "width_expression": width.expressionString() if width.isActive() else None,
            })
        context = QgsRenderContext()
        renderer.startRender(context, layer.fields())
        out["feature_classes"] = {}
        for feature in layer.getFeatures(QgsFeatureRequest().setLimit(50)):
            # QGIS 3.22's legend keys of a categorised renderer are the categories' positions.
            keys = sorted(renderer.legendKeysForFeature(feature, context))
            out["feature_classes"][str(feature.id())] = [renderer.categories()[int(k)].label() for k in keys]
        renderer.stopRender(context)
    elif renderer.type() == "embeddedSymbol":  # styles carried by the features (KML)
        request = QgsFeatureRequest().setFlags(QgsFeatureRequest.EmbeddedSymbols).setLimit(50)
        out["feature_colors"] = {str(f.id()): f.embeddedSymbol().color().name() if f.embeddedSymbol() else None
                                 for f in layer.getFeatures(request)}
    elif hasattr(renderer, "rootRule"):
        out["rules"] = [rule.label() or rule.description() for rule in renderer.rootRule().children()]
    return out


def layer_report(layer: QgsVectorLayer) -> dict:
    fields = layer.fields()
    report = {
        "name": layer.name(),
        "valid": layer.isValid(),
        "count": layer.featureCount() if layer.isValid() else None,
        "geometry": layer.geometryType() if layer.isValid() else None,
        "crs": layer.crs().authid(),
        "fields": {f.name(): QVariant.typeToName(f.type()) for f in fields},
        "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(fields) if layer.attributeAlias(i)},
        "value_maps": {},
        "renderer": renderer_report(layer) if layer.isValid() else None,
        "styles": {},
    }
    for i, f in enumerate(fields):
        setup = layer.editorWidgetSetup(i)
        if setup.type() == "ValueMap":
            entries = setup.config().get("map", [])
            report["value_maps"][f.name()] = {v: k for entry in entries for k, v in entry.items()}
    if layer.isValid() and layer.dataProvider().isSaveAndLoadStyleToDatabaseSupported():
        count, ids, names, _descriptions, _error = layer.listStylesInDatabase()
        for style_id, name in zip(ids[:count], names[:count]):  # the first ``count`` are this layer's
            qml, _ = layer.getStyleFromDatabase(style_id)
            other = layer.clone()
            document = QDomDocument()
            document.setContent(qml)
            ok, message = other.importNamedStyle(document)
            report["styles"][name] = {"loaded": ok, "message": message, "renderer": renderer_report(other),
                                      "aliases": {f.name(): other.attributeAlias(i) for i, f in enumerate(fields)
                                                  if other.attributeAlias(i)}}
    return report


def datasource(uri: str) -> dict:
    found = {}
    for details in QgsProviderRegistry.instance().querySublayers(uri):
        layer = QgsVectorLayer(details.uri(), details.name(), details.providerKey())
        found[details.name()] = layer_report(layer)
    return {"layers": found}


def tree_report(group) -> list:
    out = []
    for child in group.children():
        if child.nodeType() == 0:  # a group
            out.append({"group": child.name(), "children": tree_report(child)})
        else:
            out.append({"layer": child.name()})
    return out


def project(path: str, resolve: str = "resolve") -> dict:
    """The project as QGIS reads it; ``resolve=no`` reads it without opening its data sources."""
    instance = QgsProject.instance()
    flags = QgsProject.ReadFlags()
    if resolve == "no":
        flags |= QgsProject.FlagDontResolveLayers
    ok = instance.read(path, flags)
    layers = {}
    for layer in instance.mapLayers().values():
        entry = {"valid": layer.isValid(), "provider": layer.providerType(), "source": layer.source(),
                 "type": layer.type(), "crs": layer.crs().authid()}
        if isinstance(layer, QgsVectorLayer):
            entry.update(layer_report(layer))
        layers[layer.name()] = entry
    return {"read": ok, "title": instance.title(), "crs": instance.crs().authid(), "layers": layers,
            "tree": tree_report(instance.layerTreeRoot())}


def sld(uri: str, path: str) -> dict:
    layer = QgsVectorLayer(uri, "sld", "ogr")
    message, ok = layer.loadSldStyle(path)
    return {"loaded": ok, "message": message, "renderer": renderer_report(layer)}


def _fitted(extent: QgsRectangle, ratio: float, margin: float = 1.05) -> QgsRectangle:
    """``extent`` grown by ``margin`` and to the width/height ``ratio`` around its centre."""
    width, height = extent.width() * margin, extent.height() * margin
    width, height = max(width, height * ratio), max(height, width / ratio)
    centre = extent.center()
    return QgsRectangle(centre.x() - width / 2, centre.y() - height / 2,
                        centre.x() + width / 2, centre.y() + height / 2)


def render(path: str, out: str, width_mm: str, height_mm: str) -> dict:
    """The project's layers in a print layout: the map on the left, a legend beside it, a title above."""
    instance = QgsProject.instance()
    instance.read(path)
    layout = QgsPrintLayout(instance)
    layout.initializeDefaults()
    page = layout.pageCollection().page(0)
    width, height = float(width_mm), float(height_mm)
    page.setPageSize(QgsLayoutSize(width, height, QgsUnitTypes.LayoutMillimeters))
    legend_width = 118.0
    font = QFont("WenQuanYi Micro Hei")
    title = QgsLayoutItemLabel(layout)
    title.setText(instance.title())
    title_font = QFont(font)
    title_font.setPointSize(14)
    title.setFont(title_font)
    title.attemptMove(QgsLayoutPoint(5, 3))
    title.attemptResize(QgsLayoutSize(width - 10, 9))
    layout.addLayoutItem(title)
    item = QgsLayoutItemMap(layout)
    map_width, map_height = width - legend_width - 10, height - 18
    item.attemptMove(QgsLayoutPoint(5, 13))
    item.attemptResize(QgsLayoutSize(map_width, map_height))
    layers = [layer for layer in instance.layerTreeRoot().layerOrder() if layer.isSpatial()]
    item.setLayers(layers)
    focus = [layer for layer in layers if layer.name() in ("地块", "Land parcels")] or layers
    item.setExtent(_fitted(QgsRectangle(focus[0].extent()), map_width / map_height))
    item.setFrameEnabled(True)
    layout.addLayoutItem(item)
    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(item)
    legend.setLegendFilterByMapEnabled(True)  # only the classes the map shows
    legend.setTitle("")
    for style in (QgsLegendStyle.Group, QgsLegendStyle.Subgroup, QgsLegendStyle.SymbolLabel):
        style_font = QFont(font)
        style_font.setPointSizeF({QgsLegendStyle.Group: 8.5, QgsLegendStyle.Subgroup: 7.5}.get(style, 6.5))
        legend.setStyleFont(style, style_font)
    legend.setSymbolHeight(2.6)
    legend.setSymbolWidth(4.5)
    legend.setColumnCount(3)
    legend.setSplitLayer(True)  # a long legend runs on in the second column
    legend.attemptMove(QgsLayoutPoint(width - legend_width, 13))
    layout.addLayoutItem(legend)
    exporter = QgsLayoutExporter(layout)
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = 110
    result = exporter.exportToImage(out, settings)
    return {"result": int(result), "layers": [layer.name() for layer in layers]}


def layer(uri: str, provider: str) -> dict:
    return layer_report(QgsVectorLayer(uri, "layer", provider))


COMMANDS = {"datasource": datasource, "layer": layer, "project": project, "sld": sld, "render": render}


def main() -> None:
    app = QgsApplication([], False)
    app.initQgis()
    command, *args = sys.argv[1:]
    report = COMMANDS[command](*args)
    sys.stdout.write("\n" + "PROBE-JSON " + json.dumps(report, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    QgsProject.instance().clear()
    app.exitQgis()


if __name__ == "__main__":
    main()
