"""The annual report's charts: the year beside the year before, composed from the year's figures.

Each chart is described here (:class:`layers.charts.BarChart`) from :class:`geo.annual.YearFigures`
and the national evaluation, in Chinese or English, and drawn by :mod:`layers.charts`; the page
serves them one by one, the Word document and the PDF take them all as figures of their sections.
A figure the park cannot judge (None) has no bar: the chart says "无法判断" / "not judged" in its
place, never 0. Values on the bars are written as the report's text writes them
(:func:`geo.report.number`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from geo.annual import YearFigures
from geo.report import NOT_JUDGED, PARTS, figure_label, figure_unit, number
from geo.year_changes import CHANGES, change_label
from layers.charts import BarChart, MapFigure, MapLayer, Series, bar_chart_png, map_png
from layers.registry import get_layer
from layers.report_docx import Figure

#: Every chart: name → (the report's section it belongs to, by position; title 中文, English). The section
#: after the last of :data:`geo.report.PARTS` is the evaluation.
CHARTS: dict[str, tuple[int, str, str]] = {
    "land": (0, "供地与项目建设", "Land supplied and projects"),
    "tenure": (0, "供地面积（按供地方式）", "Land supplied by tenure"),
    "space": (2, "标准厂房面积（年初与年末）", "Standard factory space, start and end of the year"),
    "scores": (len(PARTS), "评价指标标准化分值", "Indicators' standardised scores"),
}
LAND_KEYS = ("land_supplied_parcels", "projects_started", "projects_completed")
SPACE_KINDS = (("leasable", "可租", "Leasable"), ("let", "已租", "Let"), ("vacant", "空置", "Vacant"))


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _absent(lang: str) -> str:
    return NOT_JUDGED["en" if lang == "en" else "zh"]


def chart_title(name: str, lang: str) -> str:
    """A chart's title in ``lang`` (``KeyError`` for an unknown chart)."""
    _, zh, en = CHARTS[name]
    return _t(lang, zh, en)


def _year_name(year: int, lang: str) -> str:
    return _t(lang, f"{year}年", str(year))


def _series(name: str, values: list, unit: str, lang: str) -> Series:
    return Series(name, values, [number(v, unit, lang) if v is not None else "" for v in values])


def land_chart(current: YearFigures, previous: YearFigures, lang: str) -> BarChart:
    """Parcels supplied, projects started and completed: the year beside the year before (宗)."""
    return BarChart(
        chart_title("land", lang), [figure_label(key, lang)[0] for key in LAND_KEYS],
        [_series(_year_name(y.year, lang), [y.figures[key] for key in LAND_KEYS], "宗", lang)
         for y in (current, previous)],
        unit=figure_unit("宗", lang), absent_note=_absent(lang))


def space_chart(current: YearFigures, lang: str) -> BarChart:
    """Factory space leasable, let and vacant at the start and at the end of the year (m²)."""
    return BarChart(
        chart_title("space", lang), [_t(lang, zh, en) for _, zh, en in SPACE_KINDS],
        [_series(name, [current.figures[f"factory_{kind}_m2_{when}"] for kind, _, _ in SPACE_KINDS], "m²", lang)
         for when, name in (("start", _t(lang, "年初", "Start of year")), ("end", _t(lang, "年末", "End of year")))],
        unit="m²", absent_note=_absent(lang))


def _tenure_label(value, lang: str) -> str:
    if value is None:
        return _t(lang, "未填", "not recorded")
    for code in get_layer("parcels").field("tenure").codes:
        if code.value == value:
            return _t(lang, code.label_zh, code.label_en)
    return str(value)


def _mu_by_tenure(figures: YearFigures) -> Mapping:
    table = figures.tables.get("supplied_by_tenure", pd.DataFrame({"tenure": [], "mu": []}))
    return dict(zip(table["tenure"], table["mu"], strict=True))


def tenure_chart(current: YearFigures, previous: YearFigures, lang: str) -> BarChart:
    """Land supplied by tenure (亩), the year beside the year before; a year not judged has no bars."""
    by_year = {y.year: _mu_by_tenure(y) for y in (current, previous)}
    tenures = sorted({t for table in by_year.values() for t in table}, key=lambda t: (t is None, str(t)))
    series = []
    for y in (current, previous):
        judged = y.figures["land_supplied_mu"] is not None
        series.append(_series(_year_name(y.year, lang),
                              [float(by_year[y.year].get(t, 0.0)) if judged else None for t in tenures], "亩", lang))
    return BarChart(chart_title("tenure", lang), [_tenure_label(t, lang) for t in tenures], series,
                    unit=figure_unit("亩", lang), absent_note=_absent(lang),
                    empty_note=_t(lang, "本年及上年均无供地", "No land supplied in either year"))


def scores_chart(evaluation, lang: str) -> BarChart:
    """Each indicator's standardised score (0–100) in the evaluation of the year; no score, no bar."""
    indicators = evaluation.indicators
    scores = [i.score for i in indicators]
    return BarChart(chart_title("scores", lang), [_t(lang, i.label_zh, i.label_en) for i in indicators],
                    [Series(_year_name(evaluation.year, lang), scores,
                            ["" if s is None else f"{s:.1f}" for s in scores])],
                    unit=_t(lang, "分值", "Score"), absent_note=_absent(lang), horizontal=True, value_max=100.0)


def chart_description(name: str, current: YearFigures, previous: YearFigures, evaluation, lang: str) -> BarChart:
    """The description of chart ``name`` (one of :data:`CHARTS`)."""
    builders: dict[str, Callable[[], BarChart]] = {
        "land": lambda: land_chart(current, previous, lang),
        "tenure": lambda: tenure_chart(current, previous, lang),
        "space": lambda: space_chart(current, lang),
        "scores": lambda: scores_chart(evaluation, lang),
    }
    return builders[name]()


def chart_png(name: str, current: YearFigures, previous: YearFigures, evaluation, lang: str = "zh") -> bytes:
    """Chart ``name`` as PNG bytes."""
    return bar_chart_png(chart_description(name, current, previous, evaluation, lang))


#: The report section the change map stands in (land supply and projects: most changes are parcels').
CHANGE_MAP_SECTION = 0


def change_map_title(year: int, lang: str) -> str:
    return _t(lang, f"{year}年园区变化图", f"Changes in the park, {year}")


def change_map_description(changes: pd.DataFrame, parcels: pd.DataFrame, year: int, lang: str) -> MapFigure:
    """The year's changes (:func:`geo.year_changes.year_changes`) over the park's parcels in grey, one legend
    entry per change present, in :data:`geo.year_changes.CHANGES` order."""
    kinds = changes["change"].to_numpy(dtype=object)
    layers = [MapLayer(change_label(key, lang), colour, changes.geometry.to_numpy()[kinds == key])
              for key, (_, _, colour) in CHANGES.items() if (kinds == key).any()]
    return MapFigure(change_map_title(year, lang), parcels.geometry.to_numpy(), layers,
                     legend_title=_t(lang, "本年变化", "Changes of the year"),
                     empty_note=_t(lang, "本年无变化", "No change in the year"))


def change_map_png(changes: pd.DataFrame, parcels: pd.DataFrame, year: int, lang: str = "zh") -> bytes:
    """The change map of ``year`` as PNG: grey parcels, the changes in their colours, legend, scale, north."""
    return map_png(change_map_description(changes, parcels, year, lang))


def caption(number_in_document: int, title: str, lang: str) -> str:
    """"图1　…" / "Figure 1. …"."""
    return _t(lang, f"图{number_in_document}　{title}", f"Figure {number_in_document}. {title}")


def report_figures(current: YearFigures, previous: YearFigures, evaluation, lang: str = "zh",
                   extra: Mapping[str, tuple[int, str, bytes]] | None = None) -> dict[int, list[Figure]]:
    """Every chart as a captioned figure, by the position of the report section it belongs to.

    ``extra``: more pictures (name → section position, title, PNG), e.g. the change map, numbered after
    the charts of their section.
    """
    placed: list[tuple[int, str, bytes]] = [
        (CHARTS[name][0], chart_title(name, lang), chart_png(name, current, previous, evaluation, lang))
        for name in CHARTS]
    placed += list((extra or {}).values())
    placed.sort(key=lambda item: item[0])  # stable: charts first within a section
    figures: dict[int, list[Figure]] = {}
    for count, (section, title, png) in enumerate(placed, start=1):
        figures.setdefault(section, []).append(Figure(caption(count, title, lang), png))
    return figures


def charts_by_section(lang: str) -> dict[int, list[tuple[str, str]]]:
    """(name, title) of the charts of each report section, by its position (the page's ``<img>`` tags)."""
    found: dict[int, list[tuple[str, str]]] = {}
    for name, (section, _, _) in CHARTS.items():
        found.setdefault(section, []).append((name, chart_title(name, lang)))
    return found


__all__ = ["CHANGE_MAP_SECTION", "CHARTS", "LAND_KEYS", "change_map_description", "change_map_png",
           "change_map_title", "SPACE_KINDS", "caption", "chart_description", "chart_png", "chart_title",
           "charts_by_section", "land_chart", "report_figures", "scores_chart", "space_chart", "tenure_chart"]
