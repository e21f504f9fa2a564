"""A QGIS project (``.qgz``) of the park: every layer styled, grouped, in the park's working CRS.

The layers come from the park's GeoPackage (a file path: the park on this machine)
or from the OGC API (``OAPIF`` layers of ``/api``: any machine that reaches the
server), with the configured basemap as XYZ tiles below them. Each layer carries
the same QML as the ``layer_styles`` table (categorised renderer, aliases, value
maps), embedded in the project so the style does not depend on the source.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pyproj import CRS

from layers.qgis.qml import DOCTYPE, QGIS_VERSION
from layers.registry import REGISTRY
from layers.schema import LayerSpec

#: Layer tree groups, top first (drawn on top): (Chinese, English, layers top first).
LAYER_GROUPS = (
    ("设施与管线", "Facilities and networks", ("facilities", "pipelines", "roads")),
    ("建筑", "Buildings", ("buildings",)),
    ("土地与管控", "Land and constraints", ("parcels", "zones")),
    ("属性表", "Tables", tuple(name for name, spec in REGISTRY.items() if spec.is_table)),
)
BASEMAP_GROUP = ("底图", "Basemap")
#: How QGIS names geometry types in a project.
_GEOMETRY_NAMES = {"Polygon": "Polygon", "LineString": "Line", "Point": "Point", None: "No geometry"}


@dataclass(frozen=True)
class ProjectLayer:
    """A vector layer of the project: the registry layer, where QGIS reads it and its style (QML)."""

    spec: LayerSpec
    source: str
    provider: str
    crs: str
    qml: str
    name: str


@dataclass(frozen=True)
class RasterLayer:
    """A basemap tile layer (QGIS's XYZ tiles through the ``wms`` provider)."""

    name: str
    source: str


def gpkg_source(path: str, layer: str) -> str:
    """An OGR data source of layer ``layer`` in the GeoPackage at ``path``."""
    return f"{path}|layername={layer}"


def oapif_source(api_url: str, layer: str) -> str:
    """A QGIS OGC API – Features data source of collection ``layer`` of the API at ``api_url``."""
    def quoted(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return (f"pagingEnabled='true' preferCoordinatesForWfsT11='false' restrictToRequestBBOX='1' "
            f"typename={quoted(layer)} url={quoted(api_url)}")


def xyz_source(url_template: str, max_zoom: int) -> str:
    """A QGIS XYZ tile source: the template percent-encoded as one URI parameter."""
    return f"type=xyz&url={quote(url_template, safe=':/')}&zmax={int(max_zoom)}&zmin=0"


def layer_id(name: str) -> str:
    """A stable QGIS layer id (letters, digits and ``_``)."""
    return "parkatlas_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _spatialrefsys(parent: ET.Element, authid: str) -> None:
    """A CRS as QGIS reads it: QGIS takes the WKT (the authority id alone needs its own internal srs id)."""
    element = ET.SubElement(parent, "spatialrefsys")
    ET.SubElement(element, "wkt").text = CRS.from_user_input(authid).to_wkt()
    ET.SubElement(element, "authid").text = authid


def _qml_children(qml: str) -> list[ET.Element]:
    """The elements of a QML document (renderer, fields, aliases …), to embed in a project layer."""
    return list(ET.fromstring(qml.removeprefix(DOCTYPE)))


def _vector_element(parent: ET.Element, layer: ProjectLayer) -> None:
    element = ET.SubElement(parent, "maplayer", type="vector", geometry=_GEOMETRY_NAMES[layer.spec.geometry])
    ET.SubElement(element, "id").text = layer_id(layer.spec.name)
    ET.SubElement(element, "datasource").text = layer.source
    ET.SubElement(element, "layername").text = layer.name
    _spatialrefsys(ET.SubElement(element, "srs"), layer.crs)
    ET.SubElement(element, "provider", encoding="UTF-8").text = layer.provider
    element.extend(_qml_children(layer.qml))


def _raster_element(parent: ET.Element, layer: RasterLayer, index: int) -> None:
    element = ET.SubElement(parent, "maplayer", type="raster")
    ET.SubElement(element, "id").text = layer_id(f"basemap_{index}")
    ET.SubElement(element, "datasource").text = layer.source
    ET.SubElement(element, "layername").text = layer.name
    _spatialrefsys(ET.SubElement(element, "srs"), "EPSG:3857")
    ET.SubElement(element, "provider").text = "wms"


def _tree_layer(group: ET.Element, layer_key: str, name: str, source: str, provider: str) -> None:
    ET.SubElement(group, "layer-tree-layer", id=layer_id(layer_key), name=name, source=source,
                  providerKey=provider, checked="Qt::Checked", expanded="0")


def project_qgs(title: str, crs: str, layers: Sequence[ProjectLayer], basemaps: Sequence[RasterLayer] = (),
                *, lang: str = "zh") -> str:
    """The project document (``.qgs``): ``layers`` grouped by :data:`LAYER_GROUPS`, ``basemaps`` at the bottom."""
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    _spatialrefsys(ET.SubElement(root, "projectCrs"), crs)
    # QGIS 3.22 reads <projectCrs> only when this legacy property says the project is projected.
    references = ET.SubElement(ET.SubElement(root, "properties"), "SpatialRefSys")
    ET.SubElement(references, "ProjectionsEnabled", type="int").text = "1"
    tree = ET.SubElement(root, "layer-tree-group")
    by_name = {layer.spec.name: layer for layer in layers}
    for zh, en, names in LAYER_GROUPS:
        present = [by_name[name] for name in names if name in by_name]
        if present:
            group = ET.SubElement(tree, "layer-tree-group", name=en if lang == "en" else zh,
                                  checked="Qt::Checked", expanded="1")
            for layer in present:
                _tree_layer(group, layer.spec.name, layer.name, layer.source, layer.provider)
    if basemaps:
        group = ET.SubElement(tree, "layer-tree-group", name=BASEMAP_GROUP[1 if lang == "en" else 0],
                              checked="Qt::Checked", expanded="1")
        for index, basemap in reversed(list(enumerate(basemaps))):  # labels above the base map
            _tree_layer(group, f"basemap_{index}", basemap.name, basemap.source, "wms")
    project_layers = ET.SubElement(root, "projectlayers")
    for layer in layers:
        _vector_element(project_layers, layer)
    for index, basemap in enumerate(basemaps):
        _raster_element(project_layers, basemap, index)
    ET.indent(root, space=" ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def project_qgz(file_stem: str, qgs: str) -> bytes:
    """A ``.qgz``: the zipped project document named ``<file_stem>.qgs``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(f"{file_stem}.qgs", qgs.encode("utf-8"))
    return buffer.getvalue()


__all__ = ["BASEMAP_GROUP", "LAYER_GROUPS", "ProjectLayer", "RasterLayer", "gpkg_source", "layer_id",
           "oapif_source", "project_qgs", "project_qgz", "xyz_source"]
