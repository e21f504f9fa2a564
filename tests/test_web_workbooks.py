"""Every analysis workbook in the convention of the UI language (issue 17 §4), opened with openpyxl.

The tiny park (tests/conftest.py): P1 一号地块, 15 亩, 100101 一类工业用地, operating, 2 000 m² footprint and
4 000 m² floor area on 1 ha, so FAR 0.4 and building coefficient 20 % (below the 30 % minimum); one factory
unit U1 of 2 000 m², never leased. Area ratios of 一期 (P1 + P2, 3 ha all supplied, P1's 1 ha built):
土地建成率 1 ÷ 3 = 33.3 %.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest

SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")
PAGES = ("/land", "/idle", "/vacancy", "/cases")


def book(client, url):
    answer = client.get(url)
    assert answer.status_code == 200, url
    return openpyxl.load_workbook(io.BytesIO(answer.data))


def headers(sheet):
    return [c.value for c in sheet[1] if c.value is not None]


def row_of(sheet, first: str):
    return next(row for row in sheet.iter_rows(min_row=2) if row[0].value == first)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_workbook_has_a_first_sheet_and_frozen_labelled_headers(tiny_client, page):
    zh = book(tiny_client, f"{page}?format=xlsx&lang=zh")
    about = {row[0]: row[1] for row in zh["说明"].iter_rows(values_only=True) if row[0]}
    assert about["园区"] == "测试园区" and about["内容"] and "国家默认值" in about["规则版本"]
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", about["生成日期"]) and about["数据日期"]
    for sheet in zh.worksheets[1:]:
        assert sheet.freeze_panes == "A2", sheet.title
        found = headers(sheet)
        assert not [h for h in found if SNAKE.search(str(h))], (page, sheet.title)
        assert all(re.search(r"[\u4e00-\u9fff]", str(h)) for h in found), (page, sheet.title, found)
    en = book(tiny_client, f"{page}?format=xlsx&lang=en")
    assert en.sheetnames[0] == "About"
    for sheet in en.worksheets[1:]:
        found = headers(sheet)
        assert not [h for h in found if SNAKE.search(str(h)) or re.search(r"[\u4e00-\u9fff]", str(h))], \
            (page, sheet.title, found)


def test_the_land_workbook_names_codes_and_formats_numbers(tiny_client):
    parcels = book(tiny_client, "/land?format=xlsx&lang=zh")["地块"]
    found = headers(parcels)
    assert found[:7] == ["地块编号", "名称", "片区/期次", "状态", "用地性质", "用地类别", "面积（亩）"]
    p1 = {h: c for h, c in zip(found, row_of(parcels, "P1"))}
    assert (p1["状态"].value, p1["用地性质"].value, p1["用地类别"].value) == ("已投产", "100101", "一类工业用地")
    assert p1["面积（亩）"].value == 15 and p1["面积（亩）"].number_format == "#,##0.0"
    assert p1["建筑面积（m²）"].value == 4000 and p1["建筑面积（m²）"].number_format == "#,##0"
    assert p1["容积率"].value == pytest.approx(0.4) and p1["容积率"].number_format == "0.00"
    assert p1["建筑系数（%）"].value == pytest.approx(0.2) and p1["建筑系数（%）"].number_format == "0.0%"
    assert (p1["建筑系数达标"].value, p1["低效用地类型"].value, p1["亩均等级"].value) == ("不达标", "用而未尽", "暂不评价")
    assert p1["给水配套"].value == "是"
    ratios = book(tiny_client, "/land?format=xlsx&lang=zh")["片区指标"]
    first = {h: c for h, c in zip(headers(ratios), row_of(ratios, "一期"))}
    # 1 ÷ 3 rounded to the 0.0 % shown: 0.333, not 0.3333333333333333.
    assert first["土地建成率（%）"].value == 0.333 and first["土地建成率（%）"].number_format == "0.0%"
    english = book(tiny_client, "/land?format=xlsx&lang=en")["Parcels"]
    p1_en = {h: c.value for h, c in zip(headers(english), row_of(english, "P1"))}
    assert (p1_en["Status"], p1_en["Land-use class"], p1_en["Muju grade"]) == ("Operating", "Class 1 industrial",
                                                                              "not graded")


def test_vacancy_dates_are_date_cells(tiny_client):
    trend = book(tiny_client, "/vacancy?format=xlsx&lang=zh")["空置率走势"]
    assert headers(trend)[0] == "月末"
    cell = trend.cell(2, 1)
    assert isinstance(cell.value, dt.datetime) and cell.number_format == 'yyyy"年"m"月"d"日"'
    units = book(tiny_client, "/vacancy?format=xlsx&lang=zh")["单元"]
    u1 = {h: c.value for h, c in zip(headers(units), row_of(units, "U1"))}
    assert (u1["可租"], u1["已出租"], u1["空置面积（m²）"]) == ("是", "否", 2000)
    english = book(tiny_client, "/vacancy?format=xlsx&lang=en")["Trend"]
    assert english.cell(2, 1).number_format == "yyyy-mm-dd"


def test_a_layer_export_writes_dates_as_date_cells(tiny_client):
    sheet = book(tiny_client, "/export/parcels.xlsx?lang=zh").worksheets[0]
    assert sheet.freeze_panes == "A2"
    found = headers(sheet)
    contract = found.index("合同签订日期") + 1 if "合同签订日期" in found else None
    assert contract is not None, found
    cell = sheet.cell(2, contract)
    assert isinstance(cell.value, dt.datetime) and cell.value.date() == dt.date(2019, 5, 1)
    assert cell.number_format == 'yyyy"年"m"月"d"日"'


def test_a_land_use_code_is_named_in_its_own_classification(tiny_park):
    """0601 is 工业用地 in GB/T 21010-2017 but falls under 06 农业设施建设用地 in 用地用海 2023."""
    from app import create_app

    parcels = tiny_park.load("parcels")
    parcels.loc[parcels["parcel_id"] == "P3", ["land_use", "land_use_std"]] = ["0601", "GB/T21010-2017"]
    tiny_park.save("parcels", parcels)
    client = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "test"}).test_client()
    sheet = book(client, "/land?format=xlsx&lang=zh")["地块"]
    p3 = {h: c.value for h, c in zip(headers(sheet), row_of(sheet, "P3"))}
    assert (p3["用地性质"], p3["用地类别"], p3["用地分类标准"]) == ("0601", "工业用地", "GB/T21010-2017")


def test_what_could_not_be_judged_is_named_not_coded(tiny_client):
    """The tiny park has no enterprise figures: the land workbook's last sheet says so in words."""
    sheet = book(tiny_client, "/land?format=xlsx&lang=zh")["无法判断"]
    assert [c.value for c in sheet[1]] == ["无法判断", "缺少的图层", "说明", "代码"]
    assert [c.value for c in sheet[2]][:2] == ["亩均效益评价", "企业年度数据（enterprise_years，无此图层）"]
    english = book(tiny_client, "/land?format=xlsx&lang=en")["Not judged"]
    assert [c.value for c in english[1]] == ["Not judged", "Layers lacking", "Message", "Code"]
