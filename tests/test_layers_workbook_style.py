"""The one workbook writer (layers/workbook_style.py): values, formats, frozen header, merged groups, cover."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from layers.workbook_style import (
    Cover,
    Sheet,
    format_decimals,
    inferred_formats,
    rounded,
    sheet_name,
    styled_workbook,
    text_width,
)


@pytest.mark.parametrize(("number_format", "places"), [
    ("#,##0.0", 1), ("#,##0", 0), ("0.0%", 3), ("0%", 2), ("0.0000", 4), ("+0.0%;-0.0%;0.0%", 3),
    ('yyyy"年"m"月"d"日"', None), ("yyyy-mm-dd", None), ("@", None)])
def test_the_decimals_a_format_shows(number_format, places):
    assert format_decimals(number_format) == places


@pytest.mark.parametrize(("value", "places", "expected"), [
    (0.125, 2, 0.13), (0.124999, 2, 0.12), (2.675, 2, 2.68), (-0.125, 2, -0.13), (1234.5, 0, 1235.0),
    (1234.49, 0, 1234.0), (0.33349, 3, 0.333), (0.3335, 3, 0.334)])
def test_rounding_is_half_away_from_zero_as_shown(value, places, expected):
    assert rounded(value, places) == expected


def test_headers_units_give_formats_but_not_per_cents():
    assert inferred_formats(["长度(km)", "面积（亩）", "Area (mu)", "比例（%）", "名称", "经度"]) == {
        "长度(km)": "#,##0.00", "面积（亩）": "#,##0.0", "Area (mu)": "#,##0.0"}


def test_widths_count_chinese_characters_twice():
    assert (text_width("abc"), text_width("面积"), text_width("面积m²"), text_width(None)) == (3, 4, 6, 0)


def test_a_sheet_holds_numbers_dates_and_text_as_such():
    frame = pd.DataFrame({"片区": ["一期", "一期", "二期"], "面积（亩）": [15.04, 15.05, None],
                          "比例": [1 / 3, 0.5, 2 / 3], "日期": pd.to_datetime(["2025-12-31", None, "2024-01-01"]),
                          "名称": ["=HYPERLINK(\"x\")", "普通", None]})
    data = styled_workbook([Sheet("表/1:甲", frame, formats={"面积（亩）": "#,##0.0", "比例": "0.0%"},
                                  title=("表1 标题", "单位：亩"), merge=("片区",))],
                           cover=Cover("说明", "标题", (("生成日期", "2026年12月6日"), ("公式", "=1+1"))))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["说明", "表_1_甲"]  # Excel forbids / and : in sheet names
    about = book["说明"]
    assert [about.cell(r, 2).value for r in (3, 4)] == ["2026年12月6日", "'=1+1"]
    sheet = book["表_1_甲"]
    assert (sheet.cell(1, 1).value, sheet.cell(2, 1).value, sheet.freeze_panes) == ("表1 标题", "单位：亩", "A4")
    assert [c.value for c in sheet[3]] == ["片区", "面积（亩）", "比例", "日期", "名称"]
    area, ratio, day = sheet.cell(4, 2), sheet.cell(4, 3), sheet.cell(4, 4)
    assert (area.value, area.number_format) == (15.0, "#,##0.0")
    assert sheet.cell(5, 2).value == 15.1 and sheet.cell(6, 2).value is None  # 15.05 shows as 15.1; None is empty
    assert (ratio.value, ratio.number_format) == (0.333, "0.0%")
    assert day.value == dt.datetime(2025, 12, 31) and day.number_format == 'yyyy"年"m"月"d"日"'
    assert sheet.cell(5, 4).value is None
    assert sheet.cell(4, 5).value == "'=HYPERLINK(\"x\")" and sheet.cell(4, 5).data_type != "f"
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A4:A5"}  # the two 一期 rows, not 二期


def test_english_dates_and_unique_sheet_names():
    frame = pd.DataFrame({"Day": [dt.date(2026, 1, 2)]})
    book = openpyxl.load_workbook(io.BytesIO(styled_workbook([Sheet("Parcels", frame), Sheet("Parcels", frame)],
                                                             lang="en")))
    assert book.sheetnames == ["Parcels", "Parcels (2)"]
    assert book["Parcels"].cell(2, 1).number_format == "yyyy-mm-dd" and book["Parcels"].freeze_panes == "A2"


def test_sheet_names_fit_excel():
    assert sheet_name("a" * 40) == "a" * 31 and sheet_name("[x]?*") == "_x___"
