"""The report workbook in the evaluation's layout (issue 16 §4, issue 17 §4), opened with openpyxl.

The park is tests/annual_samples.py (figures worked out by hand in tests/test_geo_annual.py): in 2025
4 parcels and 60 亩 supplied (1 allocated, 15 亩; 3 granted, 45 亩), 1 km of secondary road completed.
On 31 December 2025: supplied (D) = A, B, C, E, G-1, G-2, H, I = 7 ha (C, E, G-1, G-2 + A, B, H, I: each
parcel 1 ha, G-1 and G-2 half each); ready (D + E) = D + parcel D = 8 ha; built (A) = C + E = 2 ha, all
industrial; idle = H and I = 2 ha. So 土地供应率 = 7 ÷ 8 = 87.5 %, its ideal 92.84 %, its standardised
value 87.5 ÷ 92.84 × 100 = 94.25, its weight 7/80 = 0.0875 and its 分值 0.0875 × 94.25 = 8.25;
土地建成率 = 2 ÷ 7 = 28.6 %. 尚可供应 = parcel D = 1 ha; supplied in 2023–2025 = 7 ha, 7/3 a year, so
尚可供地年数 = 1 ÷ (7 ÷ 3) = 0.43 → 0.4.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from annual_samples import annual_park
from conftest import TINY_META

from layers.store import GeoPackageStore

SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from app import create_app

    store = GeoPackageStore(tmp_path_factory.mktemp("report-xlsx") / "annual.gpkg")
    store.save_park(annual_park(), {**TINY_META, "park_name": "测试园区", "reference_date": "2026-01-15"})
    app = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test",
                      "TIMEZONE": "Asia/Shanghai"})
    return app.test_client()


@pytest.fixture(scope="module")
def books(client):
    return {lang: openpyxl.load_workbook(io.BytesIO(client.get(f"/report.xlsx?year=2025&lang={lang}").data))
            for lang in ("zh", "en")}


def rows_of(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def row_named(sheet, column: int, name: str):
    return next(row for row in sheet.iter_rows() if row[column].value == name)


def test_the_first_sheet_says_what_which_park_year_when_and_which_rules(books):
    book = books["zh"]
    assert book.sheetnames[0] == "说明"
    lines = {row[0]: row[1] for row in rows_of(book["说明"]) if row[0]}
    assert "TD/T 1029" in lines["内容"] and lines["园区"] == "测试园区" and lines["年度"] == "2025"
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()  # Asia/Shanghai has no DST
    assert lines["生成日期"] == f"{today.year}年{today.month}月{today.day}日"
    assert "国家默认值" in lines["规则版本"] and lines["评价规则文件"] == "evaluation.yaml"
    # Every ideal value in data/evaluation.yaml is ❓: the sheet names them as unverified, and the unset ones.
    assert lines["理想值的确定性"].startswith("理想值未经核实（占位值，需园区复核）：土地供应率、土地建成率")
    assert "未设理想值（不评分）：土地开发率" in lines["理想值的确定性"]


def test_the_year_sheet_holds_numbers_with_their_units_formats(books):
    sheet = books["zh"]["2025年与上年对比"]
    assert sheet.freeze_panes == "A4"  # title, unit row, header frozen
    supplied = row_named(sheet, 1, "供地面积")
    assert [c.value for c in supplied[2:6]] == ["亩", 60, 15, 45]
    assert supplied[3].number_format == "#,##0.0"
    assert supplied[6].value == pytest.approx(3.0) and supplied[6].number_format == "+0.0%;-0.0%;0.0%"
    roads = row_named(sheet, 1, "建成道路")
    assert roads[3].value == pytest.approx(1.0) and roads[3].number_format == "#,##0.00"
    completed = row_named(sheet, 1, "竣工项目（宗地）")
    assert completed[6].value is None  # 2 against 0: no per cent of nothing


def test_the_breakdowns_name_tenures_methods_and_grades_not_codes(books):
    tenure = rows_of(books["zh"]["供地按供地方式"])
    assert tenure[1] == ["供地方式", "宗数（宗）", "面积（亩）"]
    assert tenure[2:] == [["划拨", 1, 15], ["出让", 3, 45]]
    land_use = rows_of(books["zh"]["供地按用地类别"])
    assert land_use[2] == ["100101", "一类工业用地", 2, 30]
    assert rows_of(books["zh"]["建成道路按等级"])[2] == ["次干路", 1]
    assert rows_of(books["en"]["Supplied by tenure"])[2:] == [["Allocated (划拨)", 1, 15], ["Granted (出让)", 3, 45]]


def test_the_indicator_table_is_laid_out_as_the_evaluations(books):
    sheet = books["zh"]["评价指标"]
    assert sheet.cell(1, 1).value == "表2 土地集约利用评价指标（2025年）"
    assert sheet.cell(2, 1).value.startswith("开发区类型：工业主导型")
    assert [c.value for c in sheet[3]][:11] == ["目标", "子目标", "指标", "单位", "现状值", "理想值", "标准化值",
                                              "权重", "分值", "计算公式", "数据来源/确定性"]
    assert sheet.freeze_panes == "A4"
    supply = row_named(sheet, 2, "土地供应率")
    assert supply[4].value == pytest.approx(0.875) and supply[4].number_format == "0.0%"
    assert supply[5].value == pytest.approx(0.928)  # 92.84 % rounded to the 0.0 % shown
    assert supply[6].value == pytest.approx(94.2) and supply[7].value == pytest.approx(0.0875)
    assert supply[8].value == pytest.approx(8.25) and supply[8].number_format == "0.00"
    assert supply[10].value == "公式：已核实（✅）；理想值：未经核实（❓）"
    assert row_named(sheet, 2, "土地建成率")[4].value == pytest.approx(0.286)
    # Grouped by 目标 / 子目标: the 土地利用状况 goal spans the first eight indicators.
    assert "A4:A11" in {str(r) for r in sheet.merged_cells.ranges}
    far = row_named(sheet, 2, "综合容积率")
    assert far[4].value == "无法判断" and "建筑图层" in far[12].value  # never a number made up
    total = row_named(sheet, 2, "集约度分值")
    assert total[8].value == "无法判断" and "有指标未能评分" in total[12].value


def test_status_potential_and_supply_tables(books):
    status = books["zh"]["土地利用状况"]
    assert [c.value for c in status[3]] == ["代码", "类别", "面积（公顷）", "面积（亩）", "说明"]
    supplied = row_named(status, 1, "已供应国有建设用地")
    assert (supplied[0].value, supplied[2].value, supplied[3].value) == ("D", 7, 105)
    assert (supplied[2].number_format, supplied[3].number_format) == ("#,##0.00", "#,##0.0")
    assert row_named(status, 1, "评价范围总面积")[2].value == "无法判断"
    potential = row_named(books["zh"]["潜力测算"], 0, "扩展潜力")
    assert (potential[1].value, potential[2].value) == (1, 15)
    supply = rows_of(books["zh"]["尚可供地年数"])
    assert supply[3][:5] == [1, 7, pytest.approx(2.33), 0.4, "2023–2025"]


def test_zh_headers_are_chinese_and_en_headers_english(books):
    for sheet in books["zh"].worksheets[1:]:
        header_row = 3 if sheet.cell(2, 1).value and sheet.freeze_panes == "A4" else 2
        headers = [c.value for c in sheet[header_row] if c.value]
        assert headers and not any(SNAKE.search(str(h)) for h in headers), (sheet.title, headers)
        assert all(re.search(r"[\u4e00-\u9fff]", str(h)) or re.fullmatch(r"\d{4}年?", str(h)) for h in headers), \
            (sheet.title, headers)
    indicators = books["en"]["Indicators"]
    assert [c.value for c in indicators[3]][:9] == ["Goal", "Sub-goal", "Indicator", "Unit", "Current value",
                                                  "Ideal value", "Standardised value", "Weight", "Score"]
    for sheet in books["en"].worksheets[1:]:
        header_row = 3 if sheet.freeze_panes == "A4" else 2
        assert not any(re.search(r"[\u4e00-\u9fff]", str(c.value or "")) for c in sheet[header_row]), sheet.title


def test_columns_are_fitted_to_their_text(books):
    sheet = books["zh"]["评价指标"]
    # 计算公式's longest formula is 27 CJK characters wide: 54 columns and a margin, below the 60 cap.
    assert sheet.column_dimensions["J"].width >= 50
    assert 6 <= sheet.column_dimensions["H"].width <= 12
