"""Word documents of reports, read back with python-docx as Word would open them."""

from __future__ import annotations

import io
import struct
import zlib

import docx
import pytest
from docx.oxml.ns import qn

from layers.report_docx import Document, Figure, Section, Table, docx_bytes


def png(width: int, height: int) -> bytes:
    """A grey PNG of ``width`` × ``height`` pixels, written by hand (8-bit greyscale, no filter)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def opened():
    description = Document(
        title="测试园区2025年度土地利用工作总结",
        subtitle="测试园区管委会 · 2026年1月15日",
        sections=[
            Section("一、土地供应", paragraphs=["全年供应土地4宗，60.0亩，较上年增加3宗。"],
                    tables=[Table("表1 供地情况", ["指标", "2025年", "2024年"],
                                  [["供地宗数", "4", "1"], ["供地面积（亩）", "60.0", "15.0"]],
                                  numeric_columns=frozenset({1, 2}))],
                    subsections=[Section("（一）按供地方式", paragraphs=["出让3宗，划拨1宗。"])]),
            Section("二、闲置土地", figures=[Figure("图1 闲置土地分布", png(40, 20), width_cm=30.0)]),
        ],
    )
    return docx.Document(io.BytesIO(docx_bytes(description)))


def test_the_title_headings_and_paragraphs_in_order(opened):
    texts = [(p.style.name, p.text) for p in opened.paragraphs if p.text]
    assert texts[:3] == [("Title", "测试园区2025年度土地利用工作总结"), ("Normal", "测试园区管委会 · 2026年1月15日"),
                         ("Heading 1", "一、土地供应")]
    assert ("Heading 2", "（一）按供地方式") in texts and ("Heading 1", "二、闲置土地") in texts
    assert ("Caption", "表1 供地情况") in texts and ("Caption", "图1 闲置土地分布") in texts
    assert texts.index(("Heading 1", "一、土地供应")) < texts.index(("Caption", "表1 供地情况")) < texts.index(
        ("Heading 2", "（一）按供地方式"))


def test_tables_hold_their_cells_with_numbers_right_aligned(opened):
    (table,) = opened.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["指标", "2025年", "2024年"], ["供地宗数", "4", "1"], ["供地面积（亩）", "60.0", "15.0"]]
    alignments = [cell.paragraphs[0].alignment for cell in table.rows[1].cells]
    assert alignments[0] is None and all(a == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT for a in alignments[1:])


def test_chinese_text_takes_an_east_asian_font(opened):
    for style in ("Normal", "Heading 1", "Title"):
        fonts = opened.styles[style].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == ("宋体" if style == "Normal" else "黑体"), style


def test_a_figure_is_no_wider_than_the_page(opened):
    (shape,) = opened.inline_shapes
    assert round(shape.width.cm, 1) == 16.0  # asked 30 cm: 21 cm of A4 less two 2.5 cm margins
    assert round(shape.height.cm, 1) == 8.0  # its 2:1 proportion kept
