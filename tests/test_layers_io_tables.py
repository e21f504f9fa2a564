"""Spreadsheets and CSV as offices write them: a title above the header, totals rows among the records.

Hand-made files with hand-counted expectations: which row is the header, which rows are records, and what
the report says it left out (in English and in Chinese).
"""

from __future__ import annotations

import openpyxl
import pytest

from layers.import_text import chinese
from layers.io import ImportOptions, import_layer
from layers.io.tables import header_row, read_csv_text, read_xlsx

HEADER = ["企业编号", "企业名称", "成立日期"]


def workbook(path, rows, *, merge_title: bool = False):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge_title:
        sheet.merge_cells("A1:C1")
    book.save(path)
    return path


def test_a_title_and_a_blank_row_above_the_header_are_skipped_and_said(tmp_path):
    path = workbook(tmp_path / "名录.xlsx", [["某园区2025年企业名录"], [], HEADER, ["E7", "丙公司", "2019-03-01"],
                                            ["E8", "丁公司", None]], merge_title=True)
    table = read_xlsx(path)
    assert list(table.frame.columns) == HEADER
    assert table.frame["企业编号"].tolist() == ["E7", "E8"]
    assert table.notes == ["the header is row 3: the row(s) above it skipped as a title (某园区2025年企业名录)"]
    assert chinese(table.notes[0]) == "表头在第 3 行：其上各行作为标题跳过（某园区2025年企业名录）"


def test_a_header_on_the_first_row_is_read_as_before(tmp_path):
    path = workbook(tmp_path / "名录.xlsx", [HEADER, ["E7", "丙公司", "2019-03-01"]])
    table = read_xlsx(path)
    assert list(table.frame.columns) == HEADER and len(table.frame) == 1 and table.notes == []


@pytest.mark.parametrize(("rows", "header"), [
    ([["标题"], ["a", "b"]], 1),  # one cell above: a title
    ([["a", "b"], ["1", "2"]], 0),  # two cells on the first row: the header
    ([[None, None], ["", " "], ["a", "b"]], 2),  # blank rows (empty or spaces only) above
    ([["只有一列"], ["1"], ["2"]], 0),  # a table of one column: nothing names two columns
    ([["标题"]] * 10 + [["a", "b"]], 0),  # the header beyond the rows looked at: read as before
])
def test_the_header_is_the_first_row_naming_two_columns(rows, header):
    assert header_row(rows) == header


def test_totals_and_subtotals_are_left_out_and_said_a_name_holding_the_word_is_a_record(tmp_path):
    text = ("某园区企业名录,,\n"
            "企业编号,企业名称,从业人数\n"
            "E1,甲公司,10\n"
            ",小 计：,10\n"  # a group's subtotal (spaces and a colon in it)
            "E2,合计科技有限公司,5\n"  # a name holding the word: a record
            ",合计,15\n"
            "TOTAL,,15\n")
    table = read_csv_text(text)
    assert table.frame["企业编号"].fillna("-").tolist() == ["E1", "E2"]
    assert table.notes == ["the header is line 2: the line(s) above it skipped as a title (某园区企业名录)",
                           "line 4 left out: a totals row (小 计：, 10), not a record",
                           "line 6 left out: a totals row (合计, 15), not a record",
                           "line 7 left out: a totals row (TOTAL, 15), not a record"]
    assert chinese(table.notes[2]) == "第 6 行未导入：这是合计行（合计, 15），不是一条记录"


def test_an_import_of_a_workbook_with_a_title_and_a_totals_row_imports_its_records_and_reports_both(tmp_path,
                                                                                                    tiny_park):
    path = workbook(tmp_path / "名录.xlsx", [["某园区2025年企业名录"], HEADER, ["E7", "丙公司", "2019-03-01"],
                                            ["E8", "丁公司", "2020/5/6"], ["", "合计", None]], merge_title=True)
    plan = import_layer(path, "enterprises", park=tiny_park, options=ImportOptions(mode="upsert"))
    enterprises = tiny_park.load("enterprises").set_index("enterprise_id")
    assert sorted(enterprises.index) == ["E1", "E2", "E7", "E8"]  # the tiny park's two, and the file's two
    assert str(enterprises.loc["E8", "established"].date()) == "2020-05-06"
    text = plan.report.text()
    assert "the header is row 2: the row(s) above it skipped as a title (某园区2025年企业名录)" in text
    assert "row 5 left out: a totals row (合计), not a record" in text
