"""The one convention of every XLSX workbook people download: a first sheet, labelled and formatted tables.

A workbook is a :class:`Cover` (what it is, which park, when it was made, the rules in
force) and a list of :class:`Sheet`. Each sheet is a frame written as a table: optional
title rows above it (the table's title, its unit row), a bold header row frozen in place,
numbers as numbers rounded to the decimals their number format shows (``#,##0.0`` for 亩
and 万元, ``#,##0`` for m², ``0.0%`` for ratios …), dates and times as real date cells
with the language's date format, columns as wide as their text, and runs of equal values
in grouping columns merged (the 目标/子目标 of an evaluation table). Text that a
spreadsheet would take for a formula stays text (:mod:`layers.cells`).

The writer knows nothing of labels or codes: callers translate headers and values
(``geo.columns``, ``geo.report``) and name each column's format (:func:`unit_format`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from layers.cells import neutralise_formulas

#: Number formats by unit (the decimals the pages show): 亩 and 万元 to 0.1, m² whole, ratios as 0.0 %.
UNIT_FORMATS: dict[str, str] = {
    "亩": "#,##0.0", "mu": "#,##0.0", "万元": "#,##0.0", "10k yuan": "#,##0.0", "m²": "#,##0", "m2": "#,##0",
    "%": "0.0%", "公顷": "#,##0.00", "ha": "#,##0.00", "km": "#,##0.00", "m": "#,##0.0", "宗": "#,##0",
    "parcels": "#,##0", "间": "#,##0", "units": "#,##0", "件": "#,##0", "cases": "#,##0", "家": "#,##0",
    "firms": "#,##0", "天": "#,##0", "days": "#,##0", "年": "0.0", "years": "0.0", "万元/亩": "#,##0.0",
    "万元/公顷": "#,##0.0", "人/公顷": "#,##0", "": "0.00",
}
#: Whole numbers (counts, ids written as numbers).
INTEGER = "#,##0"
#: Date formats by language: what a person there writes (zh: 2026年12月6日).
DATE_FORMATS = {"zh": 'yyyy"年"m"月"d"日"', "en": "yyyy-mm-dd"}
DATETIME_FORMATS = {"zh": 'yyyy"年"m"月"d"日" hh:mm', "en": "yyyy-mm-dd hh:mm"}
#: Column widths in characters (a CJK character counts two): at least a short header, at most a sentence.
WIDTH_MIN, WIDTH_MAX = 6, 60
_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
_DECIMALS = re.compile(r"\.(0+)")
#: A unit at the end of a header: 长度(km), 面积（亩）, Area (mu).
_HEADER_UNIT = re.compile(r"[（(]([^（）()]+)[）)]\s*$")
#: Excel limits a sheet name to 31 characters without ``[]:*?/\``.
SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_TITLE_FONT = Font(bold=True, size=12)
_BOLD = Font(bold=True)


def unit_format(unit: str | None, default: str | None = None) -> str | None:
    """The number format of a column in ``unit`` (``default`` for a unit not listed)."""
    return UNIT_FORMATS.get(unit, default) if unit is not None else default


def sheet_name(name: str) -> str:
    """``name`` made acceptable to Excel as a sheet name."""
    cleaned = _SHEET_FORBIDDEN.sub("_", name).strip("'") or "Sheet"
    return cleaned[:SHEET_NAME_MAX]


def inferred_formats(headers) -> dict[str, str]:
    """Number formats read from the units at the end of headers (``长度(km)`` → ``#,##0.00``); a per-cent
    header is left alone, as its values may be fractions or per cents."""
    found = {}
    for header in headers:
        match = _HEADER_UNIT.search(str(header))
        unit = match.group(1).strip() if match else None
        if unit and unit != "%" and unit in UNIT_FORMATS:
            found[str(header)] = UNIT_FORMATS[unit]
    return found


def plain_sheets(frames: Mapping[str, pd.DataFrame]) -> list[Sheet]:
    """Frames keyed by sheet name as sheets, their number formats read from their headers' units."""
    return [Sheet(name, frame, formats=inferred_formats(frame.columns)) for name, frame in frames.items()]


def format_decimals(number_format: str) -> int | None:
    """The decimals ``number_format`` shows (a percent shows two more of the fraction); None for text/dates."""
    first = number_format.split(";")[0]
    if not any(ch in first for ch in "0#"):
        return None
    if any(ch in first for ch in "ymdh"):
        return None
    found = _DECIMALS.search(first)
    places = len(found.group(1)) if found else 0
    return places + (2 if "%" in first else 0)


@dataclass(frozen=True)
class Sheet:
    """One table of a workbook.

    Parameters
    ----------
    name
        The sheet's tab (cut to Excel's 31 characters, forbidden characters replaced).
    frame
        The rows; its columns are the headers, as people read them.
    formats
        Column → number format for the whole column, or one format per row (a table whose
        rows have different units, e.g. the year's figures).
    title
        Rows written above the header, e.g. the table's title and its unit row.
    merge
        Columns whose runs of equal values are merged into one cell (grouping columns).
    """

    name: str
    frame: pd.DataFrame
    formats: Mapping[str, str | Sequence[str | None]] = field(default_factory=dict)
    title: tuple[str, ...] = ()
    merge: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cover:
    """The first sheet: a title and (item, value) lines saying what the workbook is, when and whose."""

    name: str
    title: str
    lines: tuple[tuple[str, object], ...]


def text_width(value: object) -> int:
    """Display width of a cell's text: CJK characters count two."""
    text = "" if value is None else str(value)
    longest = max((len(part) + len(_WIDE.findall(part)) for part in text.split("\n")), default=0)
    return longest


def rounded(value: float, places: int) -> float:
    """``value`` to ``places`` decimals, halves away from zero as a spreadsheet shows them (0.125 → 0.13 at two
    places, where Python's ``round`` gives 0.12), from the shortest text of the float (2.675 → 2.68)."""
    exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return float(exact)


def _cell_value(value: object, number_format: str | None):
    """A Python value openpyxl writes as the right cell type, rounded to what the format shows."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        places = None if number_format is None else format_decimals(number_format)
        return value if places is None else rounded(value, places)
    return value


def _date_format(value: object, lang: str) -> str | None:
    if isinstance(value, dt.datetime | pd.Timestamp):
        has_time = (value.hour, value.minute, value.second) != (0, 0, 0)
        return (DATETIME_FORMATS if has_time else DATE_FORMATS)["en" if lang == "en" else "zh"]
    if isinstance(value, dt.date):
        return DATE_FORMATS["en" if lang == "en" else "zh"]
    return None


def _column_formats(sheet: Sheet, column: str, rows: int) -> list[str | None]:
    chosen = sheet.formats.get(column)
    if chosen is None or isinstance(chosen, str):
        return [chosen] * rows
    return list(chosen)


def _merge_runs(ws, column_index: int, first_row: int, values: list) -> None:
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start] or values[start] in (None, ""):
            if i - start > 1 and values[start] not in (None, ""):
                ws.merge_cells(start_row=first_row + start, start_column=column_index,
                               end_row=first_row + i - 1, end_column=column_index)
                ws.cell(first_row + start, column_index).alignment = Alignment(vertical="center")
            start = i


def write_sheet(ws, sheet: Sheet, *, lang: str = "zh") -> None:
    """Write ``sheet`` into the openpyxl worksheet ``ws``: title rows, header, rows, formats, widths, frozen header."""
    frame = neutralise_formulas(pd.DataFrame(sheet.frame))
    headers = [str(c) for c in frame.columns]
    for row, text in enumerate(sheet.title, start=1):
        ws.cell(row, 1, text).font = _TITLE_FONT if row == 1 else Font(italic=True)
    header_row = len(sheet.title) + 1
    widths = [text_width(h) for h in headers]
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(header_row, col, header)
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=False, vertical="center")
    n = len(frame)
    for col, (name, header) in enumerate(zip(frame.columns, headers), start=1):
        formats = _column_formats(sheet, header, n)
        values = frame[name].tolist()
        for i, (value, number_format) in enumerate(zip(values, formats)):
            written = _cell_value(value, number_format)
            if written is None:
                continue
            cell = ws.cell(header_row + 1 + i, col, written)
            date_format = _date_format(written, lang)
            if date_format is not None:
                cell.number_format = date_format
                widths[col - 1] = max(widths[col - 1], 12 if lang == "en" else 14)
            elif number_format is not None and isinstance(written, int | float) and not isinstance(written, bool):
                cell.number_format = number_format
                widths[col - 1] = max(widths[col - 1], len(f"{written:,.{format_decimals(number_format) or 0}f}") + 2)
            else:
                widths[col - 1] = max(widths[col - 1], text_width(written))
        if header in sheet.merge:
            _merge_runs(ws, col, header_row + 1, values)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(WIDTH_MAX, max(WIDTH_MIN, width + 2))
    ws.freeze_panes = f"A{header_row + 1}"


def write_cover(ws, cover: Cover, *, lang: str = "zh") -> None:
    """The first sheet: its title, then one line per item (values as typed: dates are date cells)."""
    ws.cell(1, 1, cover.title).font = _TITLE_FONT
    widths = [8, 10]
    for row, (item, value) in enumerate(cover.lines, start=3):
        ws.cell(row, 1, item).font = _BOLD
        written = _cell_value(value, None)
        cell = ws.cell(row, 2, neutralise_formulas(pd.DataFrame({"v": [written]}))["v"].iloc[0])
        date_format = _date_format(written, lang)
        if date_format is not None:
            cell.number_format = date_format
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
        widths = [max(widths[0], text_width(item)), max(widths[1], text_width(written))]
    ws.column_dimensions["A"].width = min(WIDTH_MAX, widths[0] + 2)
    ws.column_dimensions["B"].width = min(100, max(WIDTH_MIN, widths[1] + 2))


def styled_workbook(sheets: Sequence[Sheet], *, cover: Cover | None = None, lang: str = "zh") -> bytes:
    """The workbook: ``cover`` first (when given), then every sheet in order; sheet names made unique."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    used: set[str] = set()

    def unique(name: str) -> str:
        base = sheet_name(name)
        candidate, n = base, 2
        while candidate in used:
            suffix = f" ({n})"
            candidate, n = base[:31 - len(suffix)] + suffix, n + 1
        used.add(candidate)
        return candidate

    if cover is not None:
        write_cover(book.create_sheet(unique(cover.name)), cover, lang=lang)
    for sheet in sheets:
        write_sheet(book.create_sheet(unique(sheet.name)), sheet, lang=lang)
    if not book.sheetnames:
        book.create_sheet("Sheet")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


__all__ = ["Cover", "DATE_FORMATS", "INTEGER", "SHEET_NAME_MAX", "Sheet", "UNIT_FORMATS", "format_decimals",
           "inferred_formats", "plain_sheets", "rounded", "sheet_name", "styled_workbook", "text_width", "unit_format",
           "write_cover", "write_sheet"]
