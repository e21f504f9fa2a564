"""The print of a map view: the park's layers within a bbox, in the park's CRS, as a one-page sheet.

The browser sends the view's bbox in EPSG:4326; it becomes an extent in the working CRS
(the bbox's outline densified and projected, widened to the page's map box ratio), each layer
is cut to it with its spatial index (an STRtree query: no feature outside the view is
touched), and the features are drawn in their registry colours (:func:`geo.maps.style_colors`),
with the legend of the classes in view (:func:`geo.maps.legend`). More than ``max_features``
in view is refused (:class:`geo.measure.MeasureError`): the page would be unreadable and the
drawing long. Pure: frames in, a :class:`layers.map_print_pdf.PrintSheet` out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.crs import WEB_EPSG, transformer
from geo.maps import legend, style_colors
from geo.measure import MeasureError
from layers.charts import MapLayer, fit_bounds, view_png
from layers.map_print_pdf import LegendBlock, PrintSheet, map_box_ratio, map_box_size_in
from layers.registry import REGISTRY

#: Points along each side of the bbox when it is projected (a bbox's sides are curves in Gauss-Krüger).
BBOX_DENSIFY_POINTS = 16
#: The longest title a print takes (characters; it is one line of the A4 sheet).
TITLE_MAX_CHARS = 60


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def parse_bbox(text: str | None) -> tuple[float, float, float, float]:
    """``west,south,east,north`` in degrees; :class:`MeasureError` naming what is wrong."""
    example = "121.39,28.64,121.42,28.66"
    parts = (text or "").split(",")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 4 or not all(math.isfinite(value) for value in values):
        raise MeasureError(f"bbox 必须是四个数：西,南,东,北（经纬度），例如 {example}，收到 {text!r}",
                           f"bbox must be four numbers west,south,east,north in degrees, e.g. {example}; got {text!r}",
                           field="bbox", value=text)
    west, south, east, north = values
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise MeasureError(f"bbox 的西须小于东、南须小于北，且在经度 -180–180、纬度 -90–90 之内，收到 {text!r}",
                           f"bbox needs west < east and south < north, within longitude -180–180 and latitude "
                           f"-90–90; got {text!r}", field="bbox", value=text)
    return west, south, east, north


def parse_print_layers(text: str | None) -> list[str]:
    """The park layers asked for (comma-separated names); all spatial layers when none; 400 for an unknown one."""
    spatial = [name for name, spec in REGISTRY.items() if not spec.is_table]
    asked = [name.strip() for name in (text or "").split(",") if name.strip()]
    unknown = [name for name in asked if name not in spatial]
    if unknown:
        raise MeasureError(f"layers 只能是园区图层 {', '.join(spatial)}，收到 {unknown[0]!r}",
                           f"layers must be park layers among {', '.join(spatial)}; got {unknown[0]!r}",
                           field="layers", value=unknown[0], allowed=spatial)
    return [name for name in spatial if name in asked] if asked else spatial


#: The least width and height of a printed view (m): a view clipped to a sliver of the park's zone still has a scale.
MIN_VIEW_M = 10.0


def view_extent(bbox: tuple[float, float, float, float], crs: CRS) -> tuple[float, float, float, float] | None:
    """The bbox (degrees) as an extent in ``crs`` (metres), widened about its centre to the map box's ratio;
    ``None`` when no part of it lies in ``crs``'s area of use (nothing of the park can be there)."""
    west, south, east, north = bbox
    bounds = crs.area_of_use.bounds if crs.area_of_use else (-180.0, -90.0, 180.0, 90.0)
    w, s, e, n = max(west, bounds[0]), max(south, bounds[1]), min(east, bounds[2]), min(north, bounds[3])
    if w >= e or s >= n:
        return None
    # Only the part within the park's zone can be drawn in its CRS; the rest holds nothing of the park.
    ring = shapely.segmentize(shapely.box(w, s, e, n), max(e - w, n - s) / BBOX_DENSIFY_POINTS)
    lonlat = shapely.get_coordinates(ring)
    x, y = transformer(WEB_EPSG, crs).transform(lonlat[:, 0], lonlat[:, 1])
    x0, y0, x1, y1 = float(np.min(x)), float(np.min(y)), float(np.max(x)), float(np.max(y))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = max(x1 - x0, MIN_VIEW_M) / 2, max(y1 - y0, MIN_VIEW_M) / 2
    return fit_bounds((cx - half_w, cy - half_h, cx + half_w, cy + half_h), map_box_ratio(), margin=0.0)


def in_view(frame: pd.DataFrame, extent: tuple[float, float, float, float]) -> pd.DataFrame:
    """The features of ``frame`` whose shapes reach ``extent`` (its STRtree, then the exact test)."""
    if not len(frame):
        return frame
    hits = frame.sindex.query(shapely.box(*extent), predicate="intersects")
    return frame.iloc[np.sort(hits)]


def _map_layers(name: str, frame: pd.DataFrame) -> list[MapLayer]:
    """``frame`` as one :class:`MapLayer` per colour, in the registry's colours; zones as outlines."""
    spec = REGISTRY[name]
    colours = style_colors(frame, spec).to_numpy()
    shapes = frame.geometry.to_numpy()
    if name == "zones":
        shapes = shapely.boundary(shapes)
    return [MapLayer(f"{name}:{colour}", str(colour), shapes[colours == colour]) for colour in pd.unique(colours)]


def print_sheet(layers: Mapping[str, pd.DataFrame], *, bbox: tuple[float, float, float, float], crs: CRS,
                names: Sequence[str], title: str, park_name: str, day: dt.date, lang: str,
                max_features: int) -> PrintSheet:
    """The sheet of the view ``bbox``: the layers ``names`` of ``layers`` (working CRS) that reach it.

    Raises :class:`MeasureError` when more than ``max_features`` features are in view.
    """
    extent = view_extent(bbox, crs)
    if extent is None:  # the view lies outside the park's zone: an empty sheet of a nominal 1 km
        extent = fit_bounds((0.0, 0.0, 1000.0, 1000.0), map_box_ratio(), margin=0.0)
        layers = {}
    shown = {name: in_view(layers[name], extent) for name in names if layers.get(name) is not None}
    count = sum(len(frame) for frame in shown.values())
    if count > max_features:
        raise MeasureError(f"视图内有 {count:,} 个要素，一页最多打印 {max_features:,} 个；请放大地图或关闭部分图层后再打印",
                           f"the view holds {count:,} features; a print takes at most {max_features:,} — zoom in or "
                           "turn some layers off, then print again", field="bbox", value=count, allowed=max_features)
    drawn = [part for name, frame in shown.items() if len(frame) for part in _map_layers(name, frame)]
    png = view_png(drawn, extent, map_box_size_in())
    blocks = [LegendBlock(section.title, [(item.label, item.color, section.shape) for item in section.items])
              for section in legend(shown, lang=lang)]
    epsg = crs.to_epsg()
    day_text = f"{day:%Y-%m-%d}" if lang == "en" else f"{day.year}年{day.month}月{day.day}日"
    subtitle = _t(lang, f"{park_name} · 截至 {day_text} · 坐标系 EPSG:{epsg} · 共 {count:,} 个要素",
                  f"{park_name} · as of {day_text} · CRS EPSG:{epsg} · {count:,} features")
    return PrintSheet(
        title=(title or "").strip()[:TITLE_MAX_CHARS] or _t(lang, "园区地图", "Park map"),
        subtitle=subtitle, map_png=png, extent=extent, legend=blocks, legend_title=_t(lang, "图例", "Legend"),
        empty_note="" if count else _t(lang, "视图内没有园区要素", "Nothing of the park is in this view"),
        north=_t(lang, "北", "N"), scale_words=_t(lang, "比例尺", "Scale"),
        more_rows=_t(lang, "…等 {count} 项", "… {count} more"))


def scale_units(lang: str) -> tuple[str, str]:
    """The scale bar's units in ``lang``."""
    return ("m", "km") if lang == "en" else ("米", "公里")


__all__ = ["parse_bbox", "parse_print_layers", "print_sheet", "scale_units", "view_extent", "in_view"]
