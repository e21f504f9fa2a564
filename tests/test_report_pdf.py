"""PDF reports set by layers/report_pdf.py, read back with pypdf as a PDF reader would."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from test_layers_report_docx import png

from layers import charts
from layers.report_docx import Document, Figure, Section, Table
from layers.report_pdf import NoCjkFont, pdf_bytes

DESCRIPTION = Document(
    title="测试园区2025年度土地利用工作总结",
    subtitle="测试园区 · 2026年1月15日",
    sections=[
        Section("一、土地供应", paragraphs=["全年供应土地4宗，60.0亩，较上年增加3宗。"],
                tables=[Table("表1 供地情况", ["指标", "2025年", "2024年"],
                              [["供地宗数", "4", "1"], ["供地面积（亩）", "1,234.5", "15.0"]],
                              numeric_columns=frozenset({1, 2}))],
                figures=[Figure("图1 供地", png(300, 150))],
                subsections=[Section("（一）按供地方式", paragraphs=["出让3宗，划拨1宗。"])]),
        Section("二、闲置土地", paragraphs=["年末闲置土地2宗。"], figures=[Figure("图2 闲置", png(40, 20))]),
    ],
)


def plain(reader: PdfReader) -> str:
    """The PDF's text without white space (readers break lines and space Chinese from digits)."""
    return "".join("".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture(scope="module")
def reader():
    return PdfReader(io.BytesIO(pdf_bytes(DESCRIPTION)))


def test_the_pdf_holds_the_title_headings_paragraphs_and_table_cells_in_order(reader):
    text = plain(reader)
    order = ["测试园区2025年度土地利用工作总结", "一、土地供应", "全年供应土地4宗，60.0亩，较上年增加3宗。", "表1供地情况",
             "供地面积（亩）1,234.515.0", "图1供地", "（一）按供地方式", "二、闲置土地", "图2闲置"]
    positions = [text.find(piece) for piece in order]
    assert -1 not in positions and positions == sorted(positions)
    assert reader.metadata.title == "测试园区2025年度土地利用工作总结"


def test_the_pdf_embeds_each_figure_once(reader):
    sizes = sorted(image.image.size for page in reader.pages for image in page.images)
    assert sizes == [(40, 20), (300, 150)]


def test_the_same_description_gives_the_same_bytes():
    assert pdf_bytes(DESCRIPTION) == pdf_bytes(DESCRIPTION)


def test_without_a_cjk_font_no_pdf_is_made_and_the_error_says_which_fonts(monkeypatch):
    monkeypatch.setattr(charts, "CJK_FONTS", ("No Such Font",))
    charts.cjk_font_file.cache_clear()
    try:
        with pytest.raises(NoCjkFont, match="WenQuanYi Micro Hei"):
            pdf_bytes(DESCRIPTION)
    finally:
        charts.cjk_font_file.cache_clear()


def test_marks_the_font_lacks_are_set_as_glyphs_it_has_and_nothing_is_logged_missing(caplog):
    marked = Document("标记", sections=[Section("说明", paragraphs=["✅ 已核实；❓ 未核实，须园区复核"],
                                                tables=[Table("表", ["确定性"], [["❓ 未核实"]])])])
    with caplog.at_level("WARNING", logger="fpdf"):
        text = plain(PdfReader(io.BytesIO(pdf_bytes(marked))))
    assert "✓已核实；？未核实，须园区复核" in text and "？未核实" in text
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
