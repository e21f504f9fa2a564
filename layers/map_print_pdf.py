"""The print of a map view as a one-page PDF: title, park and day, the map, legend, scale bar and north arrow.

A neutral description (:class:`PrintSheet`) in, PDF bytes out, set with fpdf2 like the report
(:mod:`layers.report_pdf`, whose CJK font setup it shares: :class:`layers.report_pdf.NoCjkFont`
without a Chinese font). The map is a PNG of exactly the view's extent (``layers.charts.view_png``)
placed in a box of known size, so the scale bar and the ratio 1:N are drawn here as text and lines,
from the metres one millimetre of the box stands for. North is the grid north of the park's
Gauss-Krüger CRS (within 1.5° of true north in a 3° zone).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from fpdf import FPDF

from layers.charts import scale_length
from layers.report_pdf import FONT, new_pdf, printable

#: A4 landscape, in millimetres: page margins, the map box and the legend column beside it.
PAGE_W_MM, PAGE_H_MM = 297.0, 210.0
MARGIN_MM = 12.0
MAP_BOX_MM = (MARGIN_MM, 30.0, 195.0, 168.0)  # x, y, width, height
LEGEND_X_MM = MARGIN_MM + MAP_BOX_MM[2] + 6.0
LEGEND_W_MM = PAGE_W_MM - MARGIN_MM - LEGEND_X_MM
LEGEND_ROW_MM = 4.4
TITLE_PT, TEXT_PT, SMALL_PT = 16.0, 9.0, 7.5


@dataclass(frozen=True)
class LegendBlock:
    """A block of the legend: its title and its (label, colour, shape) rows; shape ``fill``, ``line``,
    ``point`` or ``outline``."""

    title: str
    rows: Sequence[tuple[str, str, str]]


@dataclass(frozen=True)
class PrintSheet:
    """What one printed view shows.

    ``map_png`` is drawn over ``extent`` (x0, y0, x1, y1 in metres of the park's CRS) and has the map box's
    width ÷ height ratio (:func:`map_box_ratio`); ``empty_note`` is written over it when nothing is in view.
    """

    title: str
    subtitle: str
    map_png: bytes
    extent: tuple[float, float, float, float]
    legend: Sequence[LegendBlock] = field(default_factory=tuple)
    legend_title: str = "图例"
    empty_note: str = ""
    north: str = "北"
    scale_words: str = "比例尺"
    more_rows: str = "…"


def map_box_ratio() -> float:
    """Width ÷ height of the map box (the print's extent is widened to it)."""
    return MAP_BOX_MM[2] / MAP_BOX_MM[3]


def map_box_size_in() -> tuple[float, float]:
    """The map box in inches (the size the map's PNG is drawn at)."""
    return MAP_BOX_MM[2] / 25.4, MAP_BOX_MM[3] / 25.4


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    text = colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def scale_text(length_m: float, lang_m: str = "米", lang_km: str = "公里") -> str:
    """A scale bar's length as written under it (``500 米``, ``2 公里``)."""
    return f"{length_m / 1000:g} {lang_km}" if length_m >= 1000 else f"{length_m:g} {lang_m}"


def _scale_bar(pdf: FPDF, sheet: PrintSheet, units: tuple[str, str]) -> None:
    x, y, width, height = MAP_BOX_MM
    metres_per_mm = (sheet.extent[2] - sheet.extent[0]) / width
    length = scale_length(sheet.extent[2] - sheet.extent[0])
    bar_mm = length / metres_per_mm
    left, base = x + 4.0, y + height - 6.0
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(left - 2.0, base - 6.5, max(bar_mm, 30.0) + 30.0, 10.0, style="F")
    pdf.set_fill_color(0, 0, 0)
    pdf.rect(left, base, bar_mm / 2, 1.2, style="F")
    pdf.set_draw_color(0, 0, 0)
    pdf.rect(left + bar_mm / 2, base, bar_mm / 2, 1.2, style="D")
    pdf.set_font(FONT, size=SMALL_PT)
    pdf.set_xy(left, base - 4.5)
    pdf.cell(bar_mm, 4.0, f"0 – {scale_text(length, *units)}", align="L")
    pdf.set_xy(left + bar_mm + 2.0, base - 1.5)
    pdf.cell(28.0, 4.0, f"{sheet.scale_words} 1:{round(metres_per_mm * 1000):,}", align="L")


def _north_arrow(pdf: FPDF, label: str) -> None:
    x, y, width, _ = MAP_BOX_MM
    tip_x, tip_y = x + width - 10.0, y + 5.0
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(tip_x - 5.0, tip_y - 1.5, 10.0, 18.0, style="F")
    pdf.set_fill_color(0, 0, 0)
    pdf.polygon([(tip_x, tip_y), (tip_x + 3.0, tip_y + 9.0), (tip_x, tip_y + 7.0), (tip_x - 3.0, tip_y + 9.0)],
                style="F")
    pdf.set_font(FONT, size=TEXT_PT)
    pdf.set_xy(tip_x - 5.0, tip_y + 10.0)
    pdf.cell(10.0, 4.0, label, align="C")


def _swatch(pdf: FPDF, x: float, y: float, colour: str, shape: str) -> None:
    pdf.set_draw_color(*_hex_rgb(colour))
    pdf.set_fill_color(*_hex_rgb(colour))
    if shape == "line":
        pdf.set_line_width(0.8)
        pdf.line(x, y + 2.0, x + 6.0, y + 2.0)
    elif shape == "point":
        pdf.ellipse(x + 1.5, y + 0.5, 3.0, 3.0, style="F")
    elif shape == "outline":
        pdf.set_line_width(0.5)
        pdf.rect(x, y + 0.5, 6.0, 3.0, style="D")
    else:
        pdf.rect(x, y + 0.5, 6.0, 3.0, style="F")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)


def _legend(pdf: FPDF, sheet: PrintSheet) -> None:
    x, y = LEGEND_X_MM, MAP_BOX_MM[1]
    bottom = MAP_BOX_MM[1] + MAP_BOX_MM[3]
    pdf.set_font(FONT, size=TEXT_PT + 1)
    pdf.set_xy(x, y)
    pdf.cell(LEGEND_W_MM, 5.0, sheet.legend_title)
    y += 6.5
    for block in sheet.legend:
        if y + 2 * LEGEND_ROW_MM > bottom:
            break
        pdf.set_font(FONT, size=TEXT_PT)
        pdf.set_xy(x, y)
        pdf.cell(LEGEND_W_MM, LEGEND_ROW_MM, printable(block.title))
        y += LEGEND_ROW_MM + 0.6
        pdf.set_font(FONT, size=SMALL_PT)
        for index, (label, colour, shape) in enumerate(block.rows):
            if y + LEGEND_ROW_MM > bottom:
                pdf.set_xy(x + 8.0, y - LEGEND_ROW_MM)
                pdf.cell(LEGEND_W_MM - 8.0, LEGEND_ROW_MM, sheet.more_rows.format(count=len(block.rows) - index + 1))
                return
            _swatch(pdf, x, y, colour, shape)
            pdf.set_xy(x + 8.0, y)
            pdf.cell(LEGEND_W_MM - 8.0, LEGEND_ROW_MM, printable(label))
            y += LEGEND_ROW_MM
        y += 1.5


def print_pdf(sheet: PrintSheet, *, units: tuple[str, str] = ("米", "公里")) -> bytes:
    """The one-page PDF of ``sheet``; :class:`layers.report_pdf.NoCjkFont` without a Chinese font."""
    pdf = new_pdf(sheet.title, orientation="landscape")
    pdf.set_auto_page_break(False)
    pdf.set_font(FONT, size=TITLE_PT)
    pdf.set_xy(MARGIN_MM, MARGIN_MM)
    pdf.cell(PAGE_W_MM - 2 * MARGIN_MM, 8.0, printable(sheet.title), align="L")
    pdf.set_font(FONT, size=TEXT_PT)
    pdf.set_xy(MARGIN_MM, MARGIN_MM + 9.0)
    pdf.cell(PAGE_W_MM - 2 * MARGIN_MM, 5.0, printable(sheet.subtitle), align="L")
    x, y, width, height = MAP_BOX_MM
    pdf.image(io.BytesIO(sheet.map_png), x=x, y=y, w=width, h=height)
    pdf.set_draw_color(0, 0, 0)
    pdf.rect(x, y, width, height, style="D")
    if sheet.empty_note:
        pdf.set_font(FONT, size=TITLE_PT - 2)
        pdf.set_xy(x, y + height / 2 - 5.0)
        pdf.cell(width, 10.0, printable(sheet.empty_note), align="C")
    _scale_bar(pdf, sheet, units)
    _north_arrow(pdf, sheet.north)
    _legend(pdf, sheet)
    return bytes(pdf.output())


__all__ = ["LegendBlock", "PrintSheet", "map_box_ratio", "map_box_size_in", "print_pdf", "scale_text"]
