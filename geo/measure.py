"""Measuring a drawn line or polygon in the park's working CRS (the map's measure tool).

The browser sends the vertices it drew in EPSG:4326; they are projected to the park's
working CRS (CGCS2000 Gauss-Krüger, :mod:`geo.crs`) and measured there in metres, never
in degrees. Pure: coordinates and a CRS in, a :class:`Measurement` out; input that
cannot be measured raises :class:`MeasureError` with the message in both languages
(the web says it in the user's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS, Transformer

from geo.crs import WEB_EPSG, outside_area_of_use, transformer
from geo.units import m2_to_ha, m2_to_mu

#: Where the map's tools post a drawing to be measured and fetch the print of a view (``web.measure``,
#: ``web.map_print``).
MEASURE_URL = "/api/measure"
PRINT_URL = "/map/print.pdf"
#: What may be measured.
KINDS = ("line", "polygon")
#: The fewest distinct vertices of each kind.
MIN_VERTICES = {"line": 2, "polygon": 3}


class MeasureError(ValueError):
    """Input the map's tools cannot use (a drawing to measure, a view to print): ``zh`` and ``en`` say why;
    ``field``/``value``/``allowed`` name it."""

    def __init__(self, zh: str, en: str, *, field: str, value=None, allowed=None):
        super().__init__(en)
        self.zh, self.en, self.field, self.value, self.allowed = zh, en, field, value, allowed


@dataclass(frozen=True)
class Measurement:
    """A line's length, or a polygon's area and perimeter, in the working CRS."""

    kind: str
    epsg: int | None
    length_m: float
    area_m2: float | None = None

    @property
    def area_mu(self) -> float | None:
        return None if self.area_m2 is None else float(m2_to_mu(self.area_m2))

    @property
    def area_ha(self) -> float | None:
        return None if self.area_m2 is None else float(m2_to_ha(self.area_m2))

    def as_json(self, lang: str) -> dict:
        """The figures and their text in ``lang`` (``zh``: 1,234.5 米, 2.35 公顷 / 35.2 亩)."""
        body = {"kind": self.kind, "crs": f"EPSG:{self.epsg}" if self.epsg else None, "length_m": self.length_m}
        if self.area_m2 is not None:
            body.update({"area_m2": self.area_m2, "area_mu": self.area_mu, "area_ha": self.area_ha})
        body["text"] = measurement_text(self, lang)
        return body


def length_text(length_m: float, lang: str) -> str:
    """A length as the map shows it: ``1,234.5 米`` / ``1,234.5 m``."""
    return f"{length_m:,.1f} {'m' if lang == 'en' else '米'}"


def area_text(area_m2: float, lang: str) -> str:
    """An area as the map shows it: ``2.35 公顷 / 35.2 亩`` / ``2.35 ha / 35.2 mu``."""
    ha, mu = float(m2_to_ha(area_m2)), float(m2_to_mu(area_m2))
    return f"{ha:,.2f} ha / {mu:,.1f} mu" if lang == "en" else f"{ha:,.2f} 公顷 / {mu:,.1f} 亩"


def measurement_text(measurement: Measurement, lang: str) -> str:
    """What the measure tool shows: the length, or the area then the perimeter."""
    if measurement.area_m2 is None:
        return length_text(measurement.length_m, lang)
    perimeter = length_text(measurement.length_m, lang)
    if lang == "en":
        return f"{area_text(measurement.area_m2, lang)} ({measurement.area_m2:,.1f} m²; perimeter {perimeter})"
    return f"{area_text(measurement.area_m2, lang)}（{measurement.area_m2:,.1f} 平方米；周长 {perimeter}）"


def _number(value, index: int, axis: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MeasureError(f"第 {index + 1} 个顶点的{'经度' if axis == 'lon' else '纬度'}不是有限数字：{value!r}",
                           f"vertex {index + 1}: the {'longitude' if axis == 'lon' else 'latitude'} is not a finite "
                           f"number: {value!r}", field="coordinates", value=value)
    return float(value)


def parse_vertices(coordinates, *, kind: str, max_vertices: int) -> np.ndarray:
    """The ``[[lon, lat], …]`` of a drawing as an (n, 2) array, checked; :class:`MeasureError` otherwise.

    A polygon's ring may be sent open or closed (its last vertex equal to its first).
    """
    if kind not in KINDS:
        raise MeasureError(f"kind 必须是 {'、'.join(KINDS)} 之一，收到 {kind!r}",
                           f"kind must be one of {', '.join(KINDS)}, got {kind!r}", field="kind", value=kind,
                           allowed=list(KINDS))
    example = "[[121.40, 28.65], [121.41, 28.65]]"
    if not isinstance(coordinates, list):
        raise MeasureError(f"coordinates 必须是经纬度对的列表，例如 {example}",
                           f"coordinates must be a list of longitude, latitude pairs, e.g. {example}",
                           field="coordinates", value=None if coordinates is None else str(coordinates)[:80])
    if len(coordinates) > max_vertices:
        raise MeasureError(f"图形有 {len(coordinates)} 个顶点，最多允许 {max_vertices} 个",
                           f"the drawing has {len(coordinates)} vertices; at most {max_vertices} are accepted",
                           field="coordinates", value=len(coordinates), allowed=max_vertices)
    vertices = []
    for index, pair in enumerate(coordinates):
        if not isinstance(pair, list) or len(pair) != 2:
            raise MeasureError(f"第 {index + 1} 个顶点必须是 [经度, 纬度]，收到 {pair!r}",
                               f"vertex {index + 1} must be [longitude, latitude], got {pair!r}",
                               field="coordinates", value=str(pair)[:80])
        vertices.append((_number(pair[0], index, "lon"), _number(pair[1], index, "lat")))
    xy = np.array(vertices, dtype=float).reshape(-1, 2)
    if kind == "polygon" and len(xy) > 1 and (xy[0] == xy[-1]).all():
        xy = xy[:-1]
    distinct = len(np.unique(xy, axis=0)) if len(xy) else 0
    need = MIN_VERTICES[kind]
    if distinct < need:
        what_zh, what_en = ("线", "line") if kind == "line" else ("多边形", "polygon")
        raise MeasureError(f"{what_zh}至少需要 {need} 个不同的顶点，收到 {distinct} 个",
                           f"a {what_en} needs at least {need} distinct vertices, got {distinct}",
                           field="coordinates", value=distinct, allowed=need)
    return xy


def measure(lonlat: np.ndarray, *, kind: str, working_crs: CRS) -> Measurement:
    """Measure the vertices ``lonlat`` (EPSG:4326, from :func:`parse_vertices`) in ``working_crs``.

    A line gives its length; a polygon its area and perimeter. A polygon whose
    edges cross each other has no area a planner could use: :class:`MeasureError`
    says where it crosses itself.
    """
    found = outside_area_of_use(lonlat, working_crs)
    if found is not None:
        index, (west, south, east, north) = found
        lon, lat = lonlat[index]
        epsg = working_crs.to_epsg()
        raise MeasureError(f"第 {index + 1} 个顶点（{lon:g}, {lat:g}）在园区坐标系 EPSG:{epsg} 的适用范围"
                           f"（经度 {west:g}–{east:g}，纬度 {south:g}–{north:g}）之外",
                           f"vertex {index + 1} ({lon:g}, {lat:g}) lies outside the area of the park's coordinate "
                           f"system EPSG:{epsg} (longitude {west:g}–{east:g}, latitude {south:g}–{north:g})",
                           field="coordinates", value=[float(lon), float(lat)])
    to_working = transformer(WEB_EPSG, working_crs)
    x, y = to_working.transform(lonlat[:, 0], lonlat[:, 1])
    xy = np.column_stack([x, y])
    epsg = working_crs.to_epsg()
    if kind == "line":
        return Measurement("line", epsg, float(shapely.length(shapely.linestrings(xy))))
    polygon = shapely.polygons(xy)
    if not shapely.is_valid(polygon):
        reason = shapely.is_valid_reason(polygon)
        where = _where(reason, to_working)
        raise MeasureError(f"多边形的边相互交叉（自相交{where}），无法计算面积；请按顺序绘制边界",
                           f"the polygon's edges cross each other (self-intersection{where}); its area cannot be "
                           "measured — draw the outline in order", field="coordinates", value=reason)
    return Measurement("polygon", epsg, float(shapely.length(polygon)), float(shapely.area(polygon)))


def _where(reason: str, to_working: Transformer) -> str:
    """`` at lon, lat`` of the point GEOS names in ``reason`` (``Self-intersection[x y]``), else empty."""
    inside = reason[reason.find("[") + 1:reason.find("]")] if "[" in reason else ""
    try:
        x, y = (float(part) for part in inside.split())
    except ValueError:
        return ""
    lon, lat = to_working.transform(x, y, direction="INVERSE")
    return f" {lon:.6f}, {lat:.6f}"


def tool_options(lang: str, printable_layers) -> dict:
    """What the map's measure and print tools need (``static/js/parkatlas-measure.js``): URLs, labels, language
    and the park layers a print may draw."""
    return {"measureUrl": MEASURE_URL, "printUrl": PRINT_URL, "lang": "en" if lang == "en" else "zh",
            "labels": measure_text_labels(lang), "printLayers": list(printable_layers)}


def measure_text_labels(lang: str) -> dict[str, str]:
    """The measure and print tools' labels in ``lang`` (the map's script shows them)."""
    texts = {
        "measureLine": ("测距", "Measure distance"),
        "measureArea": ("测面积", "Measure area"),
        "print": ("打印 PDF", "Print to PDF"),
        "hint": ("单击添加顶点，双击结束，Esc 取消", "Click to add vertices, double-click to finish, Esc to cancel"),
        "clear": ("清除", "Clear"),
        "measuring": ("量算中…", "Measuring…"),
        "failed": ("无法量算", "Cannot measure"),
        "printing": ("正在生成 PDF…", "Making the PDF…"),
    }
    return {key: (en if lang == "en" else zh) for key, (zh, en) in texts.items()}


__all__ = ["KINDS", "MEASURE_URL", "PRINT_URL", "tool_options", "MIN_VERTICES", "MeasureError", "Measurement", "area_text", "length_text", "measure",
           "measure_text_labels", "measurement_text", "parse_vertices"]

