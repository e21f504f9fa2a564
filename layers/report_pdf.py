"""PDF documents of reports: the same description as the Word document (:mod:`layers.report_docx`), set as PDF.

Pure Python (fpdf2), offline, with the system's CJK font (the one :func:`layers.charts.cjk_font_file`
finds: WenQuanYi Micro Hei or Noto Sans CJK) embedded as a subset, so a reader needs no Chinese font of
its own. Without a CJK font a Chinese PDF cannot be set: :class:`NoCjkFont` says so and the web answers
with a clear message. A4 with 2.5 cm side margins, as the Word document; pure: a description in, bytes out.
"""

from __future__ import annotations

import datetime as dt
import io
import logging

from fpdf import FPDF
from fpdf.fonts import FontFace

from layers.charts import CJK_FONTS, cjk_font_file
from layers.report_docx import Document, Figure, Section, Table, write_section

# fontTools logs every glyph of the font subset it embeds at INFO: hundreds of lines per PDF in the server's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT = "cjk"
MARGIN_MM = 25.0
TEXT_WIDTH_MM = 210.0 - 2 * MARGIN_MM
#: Type sizes (pt): title, headings by level, body, captions and table cells.
TITLE_PT, HEADING_PT, BODY_PT, SMALL_PT = 18.0, (15.0, 13.0, 12.0), 11.0, 9.0
MM_PER_PT = 25.4 / 72
HEADER_FILL = (230, 230, 230)
#: Table columns are as wide as their longest cell, up to this many characters (longer cells wrap).
WIDEST_COLUMN_CHARS = 28
#: Marks that common CJK fonts (WenQuanYi Micro Hei) lack, set as the nearest glyph they have: the report's
#: research marks (✅ confirmed, ❓ unverified) are followed by their meaning in words anyway.
STAND_INS = str.maketrans({"✅": "✓", "❓": "？"})
#: A fixed creation date: the same description gives the same bytes (the made-on day is in the subtitle).
CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


class NoCjkFont(RuntimeError):
    """No CJK font is installed: a PDF of Chinese text cannot be set."""

    def __init__(self):
        super().__init__(f"no CJK font installed (tried {', '.join(CJK_FONTS)}); install fonts-wqy-microhei")


def new_pdf(title: str, *, orientation: str = "portrait") -> FPDF:
    """An A4 document titled ``title`` with the CJK font as :data:`FONT` and one page; :class:`NoCjkFont` without
    one (every PDF of the app starts here: the map's print too)."""
    font = cjk_font_file()
    if font is None:
        raise NoCjkFont()
    pdf = FPDF(orientation=orientation, format="A4", unit="mm")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM)
    pdf.add_font(FONT, "", font)
    pdf.set_title(title)
    pdf.set_creation_date(CREATED)
    pdf.set_creator("ParkAtlas")
    pdf.set_producer("ParkAtlas")
    pdf.add_page()
    return pdf


def printable(text) -> str:
    """``text`` (None: empty) with the marks the font lacks set as :data:`STAND_INS`."""
    return "" if text is None else str(text).translate(STAND_INS)


def _text(pdf: FPDF, text: str, size: float, *, align: str = "J", before: float = 0.0, after: float = 1.5) -> None:
    pdf.set_font(FONT, size=size)
    pdf.ln(before)
    pdf.multi_cell(TEXT_WIDTH_MM, size * 0.5, printable(text), align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(after)


def _paragraph(pdf: FPDF, text: str) -> None:
    """A body paragraph, its first line indented by two characters (首行缩进两字)."""
    pdf.set_font(FONT, size=BODY_PT)
    pdf.set_x(MARGIN_MM + 2 * BODY_PT * MM_PER_PT)
    # write() flows on from the indent and wraps to the margin (multi_cell would break after an indent of spaces).
    pdf.write(BODY_PT * 0.5, printable(text))
    pdf.ln(BODY_PT * 0.5 + 1.5)


def _column_widths(table: Table) -> list[float]:
    """Relative widths: each column's longest cell (a CJK character counts twice), capped."""
    def width(text) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text or ""))

    columns = zip(*[table.header, *table.rows], strict=True)
    return [min(max(width(cell) for cell in column), WIDEST_COLUMN_CHARS) + 2 for column in columns]


def _table(pdf: FPDF, table: Table) -> None:
    _text(pdf, table.caption, SMALL_PT + 1, align="C", before=2.0, after=1.0)
    pdf.set_font(FONT, size=SMALL_PT)
    aligns = tuple("RIGHT" if column in table.numeric_columns else "LEFT" for column in range(len(table.header)))
    with pdf.table(col_widths=_column_widths(table), text_align=aligns, width=TEXT_WIDTH_MM,
                   headings_style=FontFace(emphasis="", fill_color=HEADER_FILL), line_height=SMALL_PT * 0.5,
                   first_row_as_headings=True) as grid:
        for row in [table.header, *table.rows]:
            cells = grid.row()
            for text in row:
                cells.cell(printable(text))
    pdf.ln(2.0)


def _figure(pdf: FPDF, figure: Figure) -> None:
    width = min(figure.width_cm * 10.0, TEXT_WIDTH_MM)
    pdf.ln(2.0)
    pdf.image(io.BytesIO(figure.png), x=MARGIN_MM + (TEXT_WIDTH_MM - width) / 2, w=width, alt_text=figure.caption)
    _text(pdf, figure.caption, SMALL_PT + 1, align="C", before=1.0, after=2.0)


def _heading(pdf: FPDF, text: str, level: int) -> None:
    _text(pdf, text, HEADING_PT[min(level, 3) - 1], align="L", before=3.0, after=1.5)


def _section(pdf: FPDF, section: Section) -> None:
    write_section(section, {"heading": lambda text, level: _heading(pdf, text, level),
                            "paragraph": lambda text, _: _paragraph(pdf, text),
                            "table": lambda table, _: _table(pdf, table),
                            "figure": lambda figure, _: _figure(pdf, figure)})


def pdf_bytes(description: Document) -> bytes:
    """The PDF of ``description``; :class:`NoCjkFont` when the machine has no CJK font."""
    pdf = new_pdf(description.title)
    _text(pdf, description.title, TITLE_PT, align="C", after=2.0)
    if description.subtitle:
        _text(pdf, description.subtitle, BODY_PT, align="C", after=4.0)
    for section in description.sections:
        _section(pdf, section)
    return bytes(pdf.output())


__all__ = ["FONT", "new_pdf", "NoCjkFont", "STAND_INS", "pdf_bytes", "printable"]
