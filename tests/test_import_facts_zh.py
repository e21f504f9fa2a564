"""How an import chose the encoding and CRS, and what a far record is measured from, said in Chinese on the page."""

from __future__ import annotations

import pytest

from layers.import_text import how_in, reference_in


@pytest.mark.parametrize(("english", "chinese"), [
    ("UTF-8 (decodes as UTF-8)", "UTF-8（可按 UTF-8 解码）"),
    ("GB18030 (no .cpg; the text decodes as GB18030)", "GB18030（无 .cpg 文件；文本可按 GB18030 解码）"),
    ("GBK (from parcels.cpg)", "GBK（取自 parcels.cpg）"),
    ("Big5 (given with --encoding)", "Big5（在上传页面填写）"),
    ("UTF-16-LE (byte-order mark)", "UTF-16-LE（字节顺序标记（BOM））"),
    ("declared in the file; X and Y were swapped (X = northing)", "文件中已声明；X、Y 已互换（X 为北坐标）"),
    ("given with --crs (overrides the file's EPSG:4326 WGS 84)", "在上传页面填写（覆盖文件中的 EPSG:4326 WGS 84）"),
    ("EPSG:4549 (new park)", "EPSG:4549（新园区）"),
    ("GB18030 (no .cpg; the text reads as GB18030 (simplified Chinese) rather than Big5: confidence 97.0 %)",
     "GB18030（无 .cpg 文件；文本按 GB18030（简体中文）读取，而不是 Big5：置信度 97.0 %）"),
    ("GBK (not UTF-8; reads as GBK (simplified Chinese) rather than Big5: confidence > 99.9 %)",
     "GBK（不是 UTF-8；按 GBK（简体中文）读取，而不是 Big5：置信度 > 99.9 %）"),
    ("GB18030 (best guess: some records decode in no encoding tried (no .cpg; the text decodes as GB18030; 2 record(s) "
     "do not decode))", "GB18030（最可能的编码（有些记录按所试的各种编码都无法解码）：无 .cpg 文件；文本可按 GB18030 解码；"
                        "2 条记录无法解码）"),
    ("UTF-16 (UTF-16 without a byte-order mark (a zero byte beside every ASCII character))",
     "UTF-16（UTF-16，无字节顺序标记（每个 ASCII 字符旁都有一个零字节））"),
    ("something new", "something new"),  # a phrase the catalogue lacks stays as written
])
def test_how_an_encoding_or_crs_was_chosen_in_chinese(english, chinese):
    assert how_in(english, "zh") == chinese
    assert how_in(english, "en") == english


def test_what_a_far_record_is_measured_from():
    assert reference_in("the park boundary (zones, kind park_boundary)", "zh") == "园区边界（范围与管控图层中的园区边界）"
    assert reference_in("the extent of the park's layers (parcels, roads)", "zh") == "园区现有图层的范围（地块、道路）"
    assert reference_in("the park boundary (zones, kind park_boundary)", "en") == "the park boundary (zones, kind park_boundary)"


def test_the_preview_never_shows_a_flag_in_either_language():
    """The page's wording of how the CRS was chosen: Chinese where the catalogue knows the phrase, and a phrase it
    lacks still said in the upload form's terms, never as a command-line flag."""
    from layers.io.report import ImportReport

    report = ImportReport("parcels", "a.geojson", source_crs="EPSG:4528", encoding="GBK (given with --encoding)",
                          crs_how="a new reason; check --crs")
    zh = report.worded_for_web("zh")
    assert zh.encoding == "GBK（在上传页面填写）"
    assert zh.crs_how == "a new reason；check the upload form's CRS field"
    en = report.worded_for_web("en")
    assert en.encoding == "GBK (given on the upload form)" and en.crs_how == "a new reason; check the upload form's CRS field"
