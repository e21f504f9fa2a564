"""Styles that travel: per-layer QML and SLD downloads, and a QGIS project of the park.

``/export/<layer>.qml`` and ``/export/<layer>.sld`` are the layer's map style (the
same as in the park's ``layer_styles`` table), labels in the page's language
(``?lang=en``). ``/export/park.qgz`` is a QGIS project with every layer styled and
grouped: ``?source=file`` reads the park's GeoPackage by its path (the park on this
machine: offered to loopback clients only, the path means nothing elsewhere),
``?source=api`` the OGC API of this server; the configured basemap lies below. Without
``source``, a loopback client of a GeoPackage park gets ``file``, anyone else ``api``.
"""

from __future__ import annotations

import io
import ipaddress

from flask import Blueprint, current_app, request, send_file, url_for
from werkzeug.exceptions import NotFound

from geo.maps import basemap_tiles
from geo.maps_basemaps import default_base
from layers.qgis.layer_styles import style_documents
from layers.qgis.project import (
    ProjectLayer,
    RasterLayer,
    gpkg_source,
    oapif_source,
    project_qgs,
    project_qgz,
    xyz_source,
)
from layers.registry import REGISTRY, get_layer, spatial_layers
from web.errors import BadRequest
from web.i18n import current_lang, tr
from web.park import park

bp = Blueprint("qgis", __name__)

STYLE_MEDIA_TYPES = {"qml": "application/xml", "sld": "application/vnd.ogc.sld+xml"}
QGZ_MEDIA_TYPE = "application/x-qgis-project-zip"
SOURCES = ("file", "api")
#: OGC API – Features serves lon/lat (CRS84) unless asked otherwise.
API_CRS = "EPSG:4326"


def _spec(layer: str):
    if layer not in REGISTRY:
        raise NotFound(tr(f"没有图层 {layer!r}", f"no layer {layer!r}"))
    return get_layer(layer)


@bp.get("/export/<layer>.qml")
def qml(layer: str):
    """The layer's QGIS style (renderer, aliases, value maps)."""
    return _style_download(layer, "qml")


@bp.get("/export/<layer>.sld")
def sld(layer: str):
    """The layer's OGC style (SLD 1.1)."""
    return _style_download(layer, "sld")


def _style_download(layer: str, fmt: str):
    spec = _spec(layer)
    if fmt == "sld" and spec.is_table:
        raise BadRequest(tr(f"{spec.label_zh}是没有几何的表，没有地图样式（SLD）；可下载 QML（字段别名与取值）",
                            f"{spec.label_en} is a table without geometry and has no map style (SLD); "
                            "its QML holds the field aliases and value maps"))
    lang = current_lang()
    qml_text, sld_text = style_documents(spec, park().layer(layer), lang)
    content = qml_text if fmt == "qml" else sld_text
    return send_file(io.BytesIO(content.encode("utf-8")), mimetype=STYLE_MEDIA_TYPES[fmt], as_attachment=True,
                     download_name=f"{layer}.{lang}.{fmt}")


def _is_local_client() -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _source() -> str:
    """``file`` or ``api`` (see the module docstring); 400 naming the choices otherwise."""
    has_file = park().store.capabilities.file is not None
    asked = request.args.get("source")
    if asked is None:
        return "file" if has_file and _is_local_client() else "api"
    if asked not in SOURCES:
        raise BadRequest(tr(f"未知的数据来源 source={asked!r}；可选：file（本机园区文件）、api（本服务器的 OGC API）",
                            f"unknown source={asked!r}; allowed: file (the park file on this machine), "
                            "api (this server's OGC API)"))
    if asked == "file" and not has_file:
        raise BadRequest(tr("园区保存在 PostGIS 中，没有园区文件；请用 source=api",
                            "the park is kept in PostGIS, not in a file; use source=api"))
    if asked == "file" and not _is_local_client():
        raise BadRequest(tr("园区文件在服务器上，只有本机可以直接打开；请用 source=api",
                            "the park file is on the server and opens only on that machine; use source=api"))
    return asked


def _project_layers(source: str, lang: str) -> list[ProjectLayer]:
    store = park().store
    if source == "file":
        path = str(store.capabilities.file.resolve())
        crs = f"EPSG:{int(park().meta()['working_epsg'])}"
        names = [name for name in store.layer_names() if name in REGISTRY]
        sources = {name: (gpkg_source(path, name), "ogr", crs) for name in names}
    else:
        api = url_for("api.collections", _external=True).rsplit("/collections", 1)[0]
        sources = {spec.name: (oapif_source(api, spec.name), "OAPIF", API_CRS) for spec in spatial_layers()}
    layers = []
    for name, (data_source, provider, crs) in sources.items():
        spec = get_layer(name)
        qml_text, _ = style_documents(spec, park().layer(name), lang)
        layers.append(ProjectLayer(spec, data_source, provider, crs, qml_text, spec.label(lang)))
    return layers


@bp.get("/export/park.qgz")
def project():
    """The park as a QGIS project: every layer styled and grouped, the configured basemap below."""
    source = _source()
    lang = current_lang()
    meta = park().meta()
    title = str(meta.get("park_name") or tr("园区", "Park"))
    config = current_app.config
    try:
        tiles = default_base(basemap_tiles(config["BASEMAP"], lang=lang, tianditu_key=config["TIANDITU_KEY"]))
    except ValueError:
        tiles = []  # a misconfigured basemap is the server's to fix; the project opens without one
    basemaps = [RasterLayer(t.name, xyz_source(t.single_url, t.max_zoom)) for t in tiles]
    qgs = project_qgs(title, f"EPSG:{int(meta['working_epsg'])}", _project_layers(source, lang), basemaps, lang=lang)
    stem = f"parkatlas-{source}"
    return send_file(io.BytesIO(project_qgz(stem, qgs)), mimetype=QGZ_MEDIA_TYPE, as_attachment=True,
                     download_name=f"{stem}.qgz")


def init_app(app) -> None:
    app.register_blueprint(bp)
