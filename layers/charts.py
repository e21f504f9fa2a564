"""Charts and static maps of reports as PNG bytes, drawn on the server with matplotlib.

Like :mod:`layers.report_docx`, this module draws a neutral description (:class:`BarChart`,
:class:`MapFigure`) and knows nothing of parks: what a chart shows is composed elsewhere
(:mod:`geo.report_charts`). Pure: a description in, PNG bytes out.

The web server runs requests in threads, so nothing here touches pyplot's global state: every
chart is its own :class:`matplotlib.figure.Figure` on an Agg canvas. The PNG is deterministic
(fixed size and resolution, no software or time stamp in its metadata): the same description
gives the same bytes. Chinese labels need a CJK font; the first one matplotlib's font manager
finds of :data:`CJK_FONTS` is used, and without one the chart is still drawn (its Chinese
characters as boxes) and the log says so once.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as DrawPath

log = logging.getLogger(__name__)

#: CJK fonts tried in this order (Debian: fonts-wqy-microhei, fonts-noto-cjk).
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "SimHei",
             "Microsoft YaHei")
#: Resolution and size of every chart: 16 cm wide at 150 dpi fills the Word page's text width sharply.
DPI = 150
CHART_SIZE_IN = (6.3, 3.6)
MAP_SIZE_IN = (6.3, 5.4)
#: Where the map stands in its figure (left, bottom, width, height as fractions): the legend takes the right.
MAP_BOX = (0.02, 0.03, 0.66, 0.88)
#: The two series' colours (this year, the year before) and those after them.
SERIES_COLOURS = ("#2b6cb0", "#a0aec0", "#dd6b20", "#38a169")
ABSENT_COLOUR = "#718096"
BACKGROUND_COLOUR = "#d9d9d9"


@dataclass(frozen=True)
class Series:
    """One series of bars: its name and one value per category (None: not judged, drawn as absent)."""

    name: str
    values: Sequence[float | None]
    #: The value written on each bar (as the report's text writes it); empty: none written.
    labels: Sequence[str] = ()


@dataclass(frozen=True)
class BarChart:
    """Grouped bars: categories along one axis, one bar per series in each."""

    title: str
    categories: Sequence[str]
    series: Sequence[Series]
    unit: str = ""
    #: What an absent value says ("无法判断" / "not judged"); it is never drawn as 0.
    absent_note: str = "not judged"
    #: Horizontal bars (long category names, e.g. indicators).
    horizontal: bool = False
    #: The value axis' upper limit (e.g. 100 for scores); None: from the data.
    value_max: float | None = None
    #: What the chart says when it has no category at all (e.g. "本年及上年无供地").
    empty_note: str = ""


@dataclass(frozen=True)
class MapLayer:
    """Shapes drawn in one colour under one legend entry (a shapely geometry array or GeoSeries)."""

    label: str
    colour: str
    geometries: Sequence


@dataclass(frozen=True)
class MapFigure:
    """A static map: grey background shapes, coloured layers over them, legend, scale bar and north arrow.

    Coordinates are in metres of a projected system (the park's), north up.
    """

    title: str
    background: Sequence
    layers: Sequence[MapLayer] = field(default_factory=tuple)
    legend_title: str = ""
    #: What the map says when no layer has a shape (e.g. "本年无变化" / "no change in the year").
    empty_note: str = ""
    north: str = "N"


@functools.lru_cache(maxsize=1)
def cjk_font_file() -> str | None:
    """The file of the first installed font of :data:`CJK_FONTS` (None, logged once, when there is none)."""
    installed = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return installed[name]
    log.warning("no CJK font found (tried %s): charts are drawn, their Chinese characters will not show; "
                "install fonts-wqy-microhei (make browser)", ", ".join(CJK_FONTS))
    # Said once above: not once more per missing glyph of every chart.
    warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
    return None


def cjk_font() -> font_manager.FontProperties | None:
    """The CJK font of :func:`cjk_font_file` for matplotlib's texts."""
    path = cjk_font_file()
    return None if path is None else font_manager.FontProperties(fname=path)


def _text_kwargs(size: float) -> dict:
    font = cjk_font()
    if font is None:
        return {"fontsize": size}
    properties = font.copy()
    properties.set_size(size)
    return {"fontproperties": properties}


def _new_figure(size: tuple[float, float]) -> Figure:
    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    # No "Software" (matplotlib's version) in the metadata: the bytes depend on the drawing only.
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _style_ticks(axes, size: float = 8.0) -> None:
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.update(_text_kwargs(size))


def _value_limit(chart: BarChart) -> float:
    known = [v for s in chart.series for v in s.values if v is not None and not math.isnan(v)]
    top = max(known, default=0.0)
    return chart.value_max if chart.value_max is not None else (top * 1.18 if top > 0 else 1.0)


def bar_chart_png(chart: BarChart) -> bytes:
    """The PNG of ``chart``: a value that is None (or NaN) has no bar, only the absent note in its place."""
    figure = _new_figure(CHART_SIZE_IN)
    axes = figure.add_subplot(1, 1, 1)
    count, groups = max(len(chart.series), 1), len(chart.categories)
    width = 0.8 / count
    limit = _value_limit(chart)
    bar = axes.barh if chart.horizontal else axes.bar
    for number, series in enumerate(chart.series):
        offsets = [i - 0.4 + width * (number + 0.5) for i in range(groups)]
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        values = [None if v is None or math.isnan(v) else float(v) for v in series.values]
        shown = [(o, v) for o, v in zip(offsets, values, strict=True) if v is not None]
        bar([o for o, _ in shown], [v for _, v in shown], width * 0.92, color=colour, label=series.name)
        # An empty handle keeps the series in the legend when none of its values is known.
        if not shown:
            axes.add_patch(Rectangle((0, 0), 0, 0, color=colour, label=series.name))
        for index, (offset, value) in enumerate(zip(offsets, values, strict=True)):
            text = chart.absent_note if value is None else (series.labels[index] if series.labels else "")
            if not text:
                continue
            where = 0.0 if value is None else value
            style = {"color": ABSENT_COLOUR, "fontstyle": "italic"} if value is None else {}
            if chart.horizontal:
                axes.text(where + limit * 0.01, offset, text, va="center", ha="left", **style,
                          **_text_kwargs(6.5))
            else:
                axes.text(offset, where + limit * 0.01, text, va="bottom", ha="center", **style,
                          rotation=90 if value is None else 0, **_text_kwargs(6.5))
    ticks, names = list(range(groups)), list(chart.categories)
    if chart.horizontal:
        axes.set_yticks(ticks, names)
        axes.invert_yaxis()
        axes.set_xlim(0, limit * (1.12 if chart.value_max is not None else 1.0))
        axes.set_xlabel(chart.unit, **_text_kwargs(8))
    else:
        axes.set_xticks(ticks, names)
        axes.set_ylim(0, limit)
        axes.set_ylabel(chart.unit, **_text_kwargs(8))
    axes.spines[["top", "right"]].set_visible(False)
    if not groups and chart.empty_note:
        axes.text(0.5, 0.5, chart.empty_note, transform=axes.transAxes, ha="center", va="center",
                  color=ABSENT_COLOUR, **_text_kwargs(10))
    _style_ticks(axes)
    axes.set_title(chart.title, **_text_kwargs(10))
    if len(chart.series) > 1:
        legend = axes.legend(loc="upper right", frameon=False, prop=_legend_font())
        legend.set_zorder(5)
    figure.tight_layout()
    return _png(figure)


def _legend_font(size: float = 7.5):
    font = cjk_font()
    if font is None:
        return {"size": size}
    properties = font.copy()
    properties.set_size(size)
    return properties


def _parts(geometries) -> np.ndarray:
    """The simple parts of ``geometries`` (multi-parts and collections split; None and empty dropped)."""
    array = np.asarray(geometries, dtype=object)
    if not len(array):
        return np.empty(0, dtype=object)
    parts = shapely.get_parts(array[~shapely.is_missing(array)])
    while True:  # a collection may hold multi-parts: split until every part is simple
        nested = shapely.get_type_id(parts) >= 4
        if not nested.any():
            break
        parts = np.concatenate([parts[~nested], shapely.get_parts(parts[nested])])
    return parts[~shapely.is_empty(parts)]


def polygons_path(polygons: np.ndarray) -> DrawPath:
    """One compound path of every ring of ``polygons`` (vectorised: no Python loop over the shapes)."""
    rings = shapely.get_rings(polygons)
    coordinates, ring_of = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coordinates), DrawPath.LINETO, dtype=DrawPath.code_type)
    starts = np.flatnonzero(np.r_[True, ring_of[1:] != ring_of[:-1]])
    ends = np.r_[starts[1:], len(coordinates)] - 1
    codes[starts] = DrawPath.MOVETO
    codes[ends] = DrawPath.CLOSEPOLY
    return DrawPath(coordinates, codes)


#: Above this many shapes a layer's outlines would cover its fill at a map's size: it is drawn filled only.
OUTLINED_SHAPES_MAX = 5000


def _draw(axes, geometries, colour: str, *, edge: str, zorder: int) -> None:
    parts = _parts(geometries)
    if len(parts) > OUTLINED_SHAPES_MAX:
        edge = colour
    kinds = shapely.get_type_id(parts)
    polygons, lines, points = parts[kinds == 3], parts[(kinds == 1) | (kinds == 2)], parts[kinds == 0]
    if len(polygons):
        # One compound path per layer: a park of 10⁵ parcels draws in one patch, not 10⁵. Added as an artist:
        # add_patch would walk every segment to widen the data limits, which map_png sets itself.
        axes.add_artist(PathPatch(polygons_path(polygons), facecolor=colour, edgecolor=edge, linewidth=0.3,
                                  zorder=zorder))
    if len(lines):
        coordinates, line_of = shapely.get_coordinates(lines, return_index=True)
        segments = np.split(coordinates, np.flatnonzero(np.diff(line_of)) + 1)
        axes.add_collection(LineCollection(segments, colors=colour, linewidths=1.6, zorder=zorder + 1))
    if len(points):
        xy = shapely.get_coordinates(points)
        axes.scatter(xy[:, 0], xy[:, 1], s=12, color=colour, zorder=zorder + 2)


def _bounds(groups) -> tuple[float, float, float, float] | None:
    parts = [_parts(geometries) for geometries in groups]
    parts = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    if not len(parts):
        return None
    x0, y0, x1, y1 = shapely.total_bounds(parts)
    return float(x0), float(y0), float(x1), float(y1)


def scale_length(span_m: float) -> float:
    """A round scale bar length (1, 2 or 5 × 10ⁿ metres) of about a fifth of ``span_m``."""
    target = max(span_m / 5.0, 1e-9)
    power = 10 ** math.floor(math.log10(target))
    return max((step * power for step in (1, 2, 5) if step * power <= target), default=power)


def _scale_bar(axes, bounds) -> None:
    x0, y0, x1, y1 = bounds
    length = scale_length(x1 - x0)
    left, base = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    axes.plot([left, left + length], [base, base], color="black", linewidth=2.5, solid_capstyle="butt",
              zorder=10)
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    axes.text(left + length / 2, base + (y1 - y0) * 0.015, text, ha="center", va="bottom", zorder=10,
              **_text_kwargs(7))


def _north_arrow(axes, label: str) -> None:
    axes.annotate("", xy=(0.94, 0.93), xytext=(0.94, 0.83), xycoords="axes fraction", zorder=10,
                  arrowprops={"facecolor": "black", "width": 2.5, "headwidth": 8, "headlength": 8})
    axes.text(0.94, 0.945, label, transform=axes.transAxes, ha="center", va="bottom", zorder=10, **_text_kwargs(9))


def fit_bounds(bounds: tuple[float, float, float, float], ratio: float, margin: float = 0.06):
    """``bounds`` with a ``margin`` (share of the longer side) all round, widened about their centre to the
    width ÷ height ``ratio`` of the map's box, so the map fills its box at one scale in x and y."""
    x0, y0, x1, y1 = bounds
    pad = max(x1 - x0, y1 - y0, 1.0) * margin
    width, height = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    width, height = max(width, height * ratio), max(height, width / ratio)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def map_png(description: MapFigure) -> bytes:
    """The PNG of a static map: the background in grey, each layer in its colour with a legend entry."""
    figure = _new_figure(MAP_SIZE_IN)
    # The map on the left two thirds, the legend beside it (never over the park).
    axes = figure.add_axes(MAP_BOX)
    axes.set_aspect("equal")
    axes.set_axis_off()
    _draw(axes, description.background, BACKGROUND_COLOUR, edge="#ffffff", zorder=1)
    for number, layer in enumerate(description.layers):
        _draw(axes, layer.geometries, layer.colour, edge=layer.colour, zorder=3 + 3 * number)
    bounds = _bounds([description.background, *(layer.geometries for layer in description.layers)])
    if bounds is not None:
        box_ratio = (MAP_BOX[2] * MAP_SIZE_IN[0]) / (MAP_BOX[3] * MAP_SIZE_IN[1])
        bounds = fit_bounds(bounds, box_ratio)
        axes.set_xlim(bounds[0], bounds[2])
        axes.set_ylim(bounds[1], bounds[3])
        _scale_bar(axes, bounds)
    _north_arrow(axes, description.north)
    drawn = [layer for layer in description.layers if _bounds([layer.geometries])]
    if drawn:
        handles = [Patch(facecolor=layer.colour, edgecolor=layer.colour, label=layer.label) for layer in drawn]
        legend = axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                             frameon=False, prop=_legend_font(), title=description.legend_title or None,
                             alignment="left")
        legend.get_title().update(_text_kwargs(8))
    elif description.empty_note:
        axes.text(0.5, 0.5, description.empty_note, transform=axes.transAxes, ha="center", va="center",
                  color=ABSENT_COLOUR, **_text_kwargs(11))
    figure.suptitle(description.title, **_text_kwargs(11))
    return _png(figure)


def view_png(layers: Sequence[MapLayer], extent: tuple[float, float, float, float], size_in: tuple[float, float],
             *, dpi: int = DPI) -> bytes:
    """The PNG of ``layers`` over exactly ``extent`` (x0, y0, x1, y1 in metres), filling a figure of ``size_in``.

    For a print of a map view: no title, legend, scale bar or margin — the page around it
    draws them — so one millimetre of the image is a known length on the ground. ``size_in``
    must have ``extent``'s width ÷ height ratio (one scale in x and y).
    """
    figure = Figure(figsize=size_in, dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_axis_off()
    for number, layer in enumerate(layers):
        _draw(axes, layer.geometries, layer.colour, edge=layer.colour, zorder=1 + 3 * number)
    axes.set_xlim(extent[0], extent[2])
    axes.set_ylim(extent[1], extent[3])
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


__all__ = ["BarChart", "CHART_SIZE_IN", "CJK_FONTS", "DPI", "MAP_SIZE_IN", "MapFigure", "MapLayer", "Series",
           "bar_chart_png", "cjk_font", "cjk_font_file", "fit_bounds", "map_png", "scale_length", "view_png"]
