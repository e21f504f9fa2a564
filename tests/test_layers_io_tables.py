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


# -- coordinates written as people write them ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "degrees"), [
    ("114°18′30.5″", 114 + 18 / 60 + 30.5 / 3600),  # 114.308472…
    ("114度18分30.5秒", 114 + 18 / 60 + 30.5 / 3600),
    ("30°31'12\"N", 30 + 31 / 60 + 12 / 3600),  # 30.52
    ("东经114°18′", 114.3),
    ("114°18.5′", 114 + 18.5 / 60),
    ("114°59′59.9″", 114 + 59 / 60 + 59.9 / 3600),  # the last minute and second that are ones
    ("114°18′30", 114 + 18 / 60 + 30 / 3600),  # the seconds' ″ left out after minutes
    ("22°S", -22.0), ("114°18′30″W", -(114 + 18 / 60 + 30 / 3600)), ("南纬22°", -22.0),
    ("１１４°１８′３０.５″", 114 + 18 / 60 + 30.5 / 3600),  # full-width, as a Chinese input method types them
    ("114.3085", 114.3085), ("１１４．５", 114.5),
])
def test_coordinates_in_degrees_minutes_and_seconds(text, degrees):
    import pandas as pd

    from layers.io.tables import to_coordinate

    numbers, bad = to_coordinate(pd.Series([text], dtype=object))
    assert not bad.iloc[0] and numbers.iloc[0] == pytest.approx(degrees, abs=1e-12)


@pytest.mark.parametrize("text", ["114°60′", "114°18′60″", "114.5°18′", "114°18.5′30″", "N30°E", "114°18", "abc"])
def test_what_is_not_a_coordinate_stays_refused(text):
    import pandas as pd

    from layers.io.tables import to_coordinate

    numbers, bad = to_coordinate(pd.Series([text], dtype=object))
    assert bad.iloc[0] and pd.isna(numbers.iloc[0])


def test_a_table_of_facilities_in_degrees_minutes_and_seconds_imports_where_written(tmp_path):
    from layers.stores import open_store

    source = tmp_path / "设施.csv"
    source.write_text("设施编号,名称,经度,纬度\nF1,北门,114°18′30.5″,30°31′12″\nF2,污水站,114度18分36秒,30度31分18秒\n",
                      encoding="utf-8")
    park = tmp_path / "wuhan.gpkg"
    import_layer(source, "facilities", park=park, options=ImportOptions(park_name="武汉"))
    facilities = open_store(str(park)).load("facilities").set_index("facility_id").to_crs(4326)
    assert facilities.geometry["F1"].x == pytest.approx(114 + 18 / 60 + 30.5 / 3600, abs=1e-9)
    assert facilities.geometry["F1"].y == pytest.approx(30.52, abs=1e-9)
    assert facilities.geometry["F2"].x == pytest.approx(114.31, abs=1e-9)
    assert facilities.geometry["F2"].y == pytest.approx(30 + 31 / 60 + 18 / 3600, abs=1e-9)
