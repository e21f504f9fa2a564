"""Export of a polygon layer as a 国土 boundary-coordinate TXT (界址点坐标交换格式, 部标准格式).

What the common tools write and the government import systems read
(DOMAIN-REPORTS.md §2): the ten-key ``[属性描述]`` header naming the datum, zone
width and zone of the park's working CRS; under ``[地块坐标]`` one plot per
record — the header line ``界址点数,地块面积,地块编号,地块名称,面,图幅号,地块用途,
地类编码,@`` with the area in 公顷 to 4 decimals from the projected geometry —
then its rings, each closed (the first point repeated), numbered by 圈号 1, 2 …
(every part's outer ring and every hole gets its own), points J1 … per ring,
X = northing and Y = easting with the zone prefix, to the millimetre. GBK by
default (UTF-8 on request), CRLF line ends.

The park's working CRS must be a Gauss-Krüger zone of CGCS2000, Xi'an 1980 or
Beijing 1954 (:mod:`layers.io.gk_zones`); anything else is refused, since the
header cannot declare it. Text holding the format's separators is changed so
the file stays readable (``,`` → ``，``, line breaks → spaces), and the export
says how many values were.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo.units import M2_PER_HA
from layers.io import gk_zones
from layers.io.gk_zones import ZONE_PREFIX_FACTOR, GkZone
from layers.io.gtxt import HEADER_SECTION, PLOTS_SECTION
from layers.landuse import land_use_class
from layers.schema import LayerSpec

#: Decimals of coordinates (millimetres: the survey precision writers default to) and of areas in 公顷.
COORDINATE_DECIMALS = 3
AREA_DECIMALS = 4
FORMAT_VERSION = "1.01"
#: Encodings a TXT is written in: GBK is what the government import systems read.
ENCODINGS = {"gbk": "gbk", "utf-8": "utf-8"}
DEFAULT_ENCODING = "gbk"
LINE_END = "\r\n"


class GtxtExportError(ValueError):
    """The layer cannot be written as a 国土 TXT; ``str()`` is English, ``.zh`` Chinese."""

    def __init__(self, message: str, zh: str):
        super().__init__(message)
        self.zh = zh


@dataclass
class GtxtText:
    text: str
    plots: int
    notes: list[str] = field(default_factory=list)


def export_zone(crs, meta: dict | None = None) -> GkZone:
    """The Gauss-Krüger zone of the park's working CRS, or :class:`GtxtExportError` naming what is allowed."""
    epsg = crs.to_epsg() if crs is not None else (meta or {}).get("working_epsg")
    zone = gk_zones.zone_of_epsg(int(epsg) if epsg is not None else None)
    if zone is None:
        name = f"EPSG:{epsg}" if epsg is not None else "unknown"
        allowed = gk_zones.allowed_epsg_ranges()
        raise GtxtExportError(
            f"the park's working CRS ({name}) is not a Gauss-Krüger zone of CGCS2000, Xi'an 1980 or Beijing 1954, "
            f"so a 国土 TXT cannot declare it; allowed: {allowed}",
            f"园区工作坐标系（{name}）不是 2000国家大地坐标系、1980西安坐标系或1954北京坐标系的高斯-克吕格投影带，"
            f"国土 TXT 无法声明；允许：{allowed}")
    return zone


def encoding_of(name: str | None) -> str:
    """The Python codec for an export encoding name (GBK default); :class:`GtxtExportError` otherwise."""
    key = (name or DEFAULT_ENCODING).strip().lower().replace("_", "-")
    key = {"utf8": "utf-8", "cp936": "gbk", "936": "gbk"}.get(key, key)
    if key not in ENCODINGS:
        allowed = ", ".join(ENCODINGS)
        raise GtxtExportError(f"text encoding {name!r} for a 国土 TXT; allowed: {allowed}",
                              f"国土 TXT 不支持编码 {name!r}；可选：{allowed}")
    return ENCODINGS[key]


def _clean(value: object, changed: list[int]) -> str:
    """A value as a header field: the format's separators replaced (and counted), missing as empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value)
    cleaned = " ".join(text.replace(",", "，").splitlines()).strip()
    if cleaned != text:
        changed.append(1)
    return cleaned


def _use_label(row: pd.Series, spec: LayerSpec) -> str | None:
    """地块用途: the land-use class name of the record's land-use code (parcels); empty for layers without one.

    A zone's kind (park boundary, expansion area …) is ParkAtlas's own classification, not
    a land use: writing it here would read back as a use the zone does not have.
    """
    if "land_use" in spec.field_names and isinstance(row.get("land_use"), str):
        found = land_use_class(row["land_use"], row.get("land_use_std") or "用地用海2023")
        return found.label_zh if found else None
    return None


def _rings(geometry) -> list[np.ndarray]:
    """Every ring of a polygon or multipolygon, each part's shell before its holes."""
    parts = shapely.get_parts(geometry)
    rings = []
    for part in parts:
        rings.append(shapely.get_coordinates(part.exterior))
        rings += [shapely.get_coordinates(hole) for hole in part.interiors]
    return rings


def _ring_lines(coords: np.ndarray, number: int, zone: GkZone) -> list[str]:
    """A ring's point lines: J1 … Jn, J1 (closed), X = northing, Y = easting with the zone prefix."""
    shift = 0.0 if zone.prefixed else zone.zone * ZONE_PREFIX_FACTOR
    rounded = np.round(coords[:-1], COORDINATE_DECIMALS)
    keep = np.ones(len(rounded), dtype=bool)
    keep[1:] = np.any(rounded[1:] != rounded[:-1], axis=1)  # rounding may make neighbours one point
    rounded = rounded[keep]
    lines = [f"J{k},{number},{y:.{COORDINATE_DECIMALS}f},{x + shift:.{COORDINATE_DECIMALS}f}"
             for k, (x, y) in enumerate(rounded, start=1)]
    return [*lines, lines[0]]  # the closing point repeats the first, number and all


def header_lines(zone: GkZone, *, producer: str, date: dt.date) -> list[str]:
    """The ``[属性描述]`` block, the ten keys in the standard's order, then ``[地块坐标]``."""
    keys = {"格式版本号": FORMAT_VERSION, "数据产生单位": producer, "数据产生日期": date.isoformat(),
            "坐标系": zone.datum.header_name, "几度分带": str(zone.width), "投影类型": "高斯克吕格",
            "计量单位": "米", "带号": str(zone.zone), "精度": f"{10.0 ** -COORDINATE_DECIMALS:g}",
            "转换参数": ",,,,,,"}
    return [f"[{HEADER_SECTION}]", *(f"{k}={v}" for k, v in keys.items()), f"[{PLOTS_SECTION}]"]


def gtxt_text(frame, spec: LayerSpec, *, zone: GkZone, producer: str = "", date: dt.date | None = None) -> GtxtText:
    """The layer as 国土 TXT text (``frame`` in the park's working CRS, which is ``zone``)."""
    notes: list[str] = []
    changed: list[int] = []
    lines = header_lines(zone, producer=_clean(producer, []), date=date or dt.date.today())
    name_field = "name" if "name" in spec.field_names else None
    code_field = "land_use" if "land_use" in spec.field_names else None
    empty = 0
    plots = 0
    for _, row in frame.iterrows():
        geometry = row.geometry
        if geometry is None or geometry.is_empty:
            empty += 1
            continue
        body: list[str] = []
        for number, coords in enumerate(_rings(geometry), start=1):
            body += _ring_lines(coords, number, zone)
        area_ha = float(shapely.area(geometry)) / M2_PER_HA
        fields = [str(len(body)), f"{area_ha:.{AREA_DECIMALS}f}", _clean(row[spec.id_field], changed),
                  _clean(row[name_field] if name_field else None, changed), "面", "",
                  _clean(_use_label(row, spec), changed), _clean(row[code_field] if code_field else None, changed)]
        lines += [",".join(fields) + ",@", *body]
        plots += 1
    if empty:
        notes.append(f"{empty} record(s) without geometry left out (a 国土 TXT lists plots by their boundary)")
    if changed:
        notes.append(f"{len(changed)} value(s) held ',' or line breaks, which separate a 国土 TXT's fields: "
                     "written with '，' and spaces")
    return GtxtText(LINE_END.join(lines) + LINE_END, plots, notes)


def write_gtxt(frame, spec: LayerSpec, path: Path, *, meta: dict | None = None, encoding: str | None = None,
               date: dt.date | None = None) -> list[str]:
    """Write ``frame`` (a polygon layer in the park's working CRS) to ``path``; returns the export's notes.

    Text that GBK cannot hold is written in GB18030, its superset (every GBK
    reader reads the rest), and the notes say so.
    """
    if spec.geometry != "Polygon":
        raise GtxtExportError(
            f"layer {spec.name!r} holds {spec.geometry or 'no geometry'}; a 国土 TXT lists land plots (polygons)",
            f"图层 {spec.label_zh} 不是面图层；国土 TXT 只能导出地块（面）")
    codec = encoding_of(encoding)
    zone = export_zone(frame.crs, meta)
    result = gtxt_text(frame, spec, zone=zone, producer=(meta or {}).get("park_name") or "", date=date)
    try:
        data = result.text.encode(codec)
    except UnicodeEncodeError as exc:
        data = result.text.encode("gb18030")
        result.notes.append(f"{result.text[exc.start:exc.end]!r} is not in GBK: the file is written in GB18030, "
                            "GBK's superset")
    path.write_bytes(data)
    return result.notes


__all__ = ["DEFAULT_ENCODING", "ENCODINGS", "GtxtExportError", "encoding_of", "export_zone", "gtxt_text",
           "header_lines", "write_gtxt"]
