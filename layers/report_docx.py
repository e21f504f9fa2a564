"""Word documents (.docx) of reports: headings, paragraphs, tables and figures, in Chinese typography.

A park's yearly report is written and edited in Word (or WPS, LibreOffice): the
committee drafts its 年度工作总结 there. This module writes the document from a
neutral description (:class:`Document` of :class:`Section`), knowing nothing of
parks: the report's content is composed elsewhere. Pure: a description in, bytes out.

Chinese text takes the East Asian font (宋体 for the body, 黑体 for headings, as
Chinese official documents set them; Word substitutes what the machine has), Latin
text Times New Roman; numbers in tables are right-aligned.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from docx import Document as new_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

#: Fonts of the body and the headings: (East Asian, Latin).
BODY_FONTS = ("宋体", "Times New Roman")
HEADING_FONTS = ("黑体", "Arial")
BODY_PT = 12.0
#: The widest a figure may be on an A4 page with 2.5 cm margins.
MAX_FIGURE_CM = 16.0


@dataclass(frozen=True)
class Table:
    """A table: its caption, header cells and rows of cell texts (numbers already formatted)."""

    caption: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    #: Columns whose cells are numbers (right-aligned); by position.
    numeric_columns: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Figure:
    """A picture (PNG bytes) with its caption."""

    caption: str
    png: bytes
    width_cm: float = MAX_FIGURE_CM


@dataclass(frozen=True)
class Section:
    """A heading, then its paragraphs, tables and figures in that order; sub-sections below."""

    heading: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[Table] = ()
    figures: Sequence[Figure] = ()
    subsections: Sequence[Section] = ()


@dataclass(frozen=True)
class Document:
    """A whole document: a title, a subtitle line (the park, the year, the day it was made) and its sections."""

    title: str
    subtitle: str = ""
    sections: Sequence[Section] = field(default_factory=tuple)


def _set_fonts(style_or_run, fonts: tuple[str, str]) -> None:
    """Both font slots: python-docx sets the Latin one; Chinese text needs ``w:eastAsia`` too."""
    east_asian, latin = fonts
    style_or_run.font.name = latin
    properties = style_or_run.element.get_or_add_rPr()
    properties.get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)


def _styled(document) -> None:
    normal = document.styles["Normal"]
    _set_fonts(normal, BODY_FONTS)
    normal.font.size = Pt(BODY_PT)
    for level in range(1, 4):
        _set_fonts(document.styles[f"Heading {level}"], HEADING_FONTS)
    _set_fonts(document.styles["Title"], HEADING_FONTS)
    for section in document.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)


def _table(document, table: Table) -> None:
    caption = document.add_paragraph(table.caption, style="Caption")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, text in enumerate(table.header):
        cell = grid.rows[0].cells[column]
        cell.text = str(text)
        cell.paragraphs[0].runs[0].bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row_number, row in enumerate(table.rows, start=1):
        for column, text in enumerate(row):
            paragraph = grid.rows[row_number].cells[column].paragraphs[0]
            paragraph.add_run("" if text is None else str(text))
            if column in table.numeric_columns:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _figure(document, figure: Figure) -> None:
    document.add_picture(io.BytesIO(figure.png), width=Cm(min(figure.width_cm, MAX_FIGURE_CM)))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = document.add_paragraph(figure.caption, style="Caption")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER


def section_parts(section: Section, level: int = 1) -> Iterator[tuple[str, object, int]]:
    """The section's parts in reading order as (kind, part, heading level): its ``heading`` (str), each
    ``paragraph`` (str), ``table`` and ``figure``, then its sub-sections' (one level down). Every writer
    (Word, PDF) sets the same order from this one walk."""
    yield "heading", section.heading, level
    yield from (("paragraph", text, level) for text in section.paragraphs)
    yield from (("table", table, level) for table in section.tables)
    yield from (("figure", figure, level) for figure in section.figures)
    for subsection in section.subsections:
        yield from section_parts(subsection, level + 1)


def write_section(section: Section, writers: Mapping[str, Callable[[object, int], None]]) -> None:
    """Each part of ``section`` (:func:`section_parts`) handed to the writer of its kind, with its level."""
    for kind, part, level in section_parts(section):
        writers[kind](part, level)


def _paragraph(document, text: str) -> None:
    paragraph = document.add_paragraph(text)
    paragraph.paragraph_format.first_line_indent = Pt(BODY_PT * 2)  # 首行缩进两字


def _section(document, section: Section) -> None:
    writers = {"heading": lambda text, level: document.add_heading(text, level=min(level, 3)),
               "paragraph": lambda text, _: _paragraph(document, text),
               "table": lambda table, _: _table(document, table),
               "figure": lambda figure, _: _figure(document, figure)}
    write_section(section, writers)


def docx_bytes(description: Document) -> bytes:
    """The ``.docx`` file of ``description``."""
    document = new_document()
    _styled(document)
    title = document.add_heading(description.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if description.subtitle:
        subtitle = document.add_paragraph(description.subtitle)
        subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in description.sections:
        _section(document, section)
    document.core_properties.title = description.title
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


__all__ = ["BODY_FONTS", "Document", "Figure", "HEADING_FONTS", "MAX_FIGURE_CM", "Section", "Table", "docx_bytes",
           "section_parts", "write_section"]
