"""The annual report over HTTP: the page, its JSON, the workbook and the Word document say the same year.

The park is the one of tests/test_geo_annual.py (figures worked out by hand there): in 2025, 4 parcels and
60 亩 supplied, 2 projects started and 2 completed, 1 km of road completed; in 2024, 1 parcel, 15 亩.
"""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest
from annual_samples import annual_park
from conftest import TINY_META

from layers.store import GeoPackageStore


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from app import create_app

    store = GeoPackageStore(tmp_path_factory.mktemp("report") / "annual.gpkg")
    store.save_park(annual_park(), {**TINY_META, "park_name": "测试园区", "reference_date": "2026-01-15"})
    app = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test"})
    return app.test_client()


def test_the_json_gives_the_year_the_one_before_and_the_change(client):
    body = client.get("/api/report?year=2025").get_json()
    assert body["year"] == 2025
    figures, previous, change = body["figures"], body["previous"], body["change"]
    assert (figures["land_supplied_parcels"], figures["land_supplied_mu"]) == (4, pytest.approx(60.0))
    assert (figures["projects_started"], figures["projects_completed"]) == (2, 2)
    assert figures["roads_completed_km"] == pytest.approx(1.0)
    assert (previous["land_supplied_parcels"], previous["land_supplied_mu"]) == (1, pytest.approx(15.0))
    assert change["land_supplied_parcels"] == 3
    assert {"indicators", "score", "potential", "years_of_supply_left"} <= set(body["evaluation"])
    # The park has no buildings layer: nothing about it is invented, and the JSON says what it could not judge.
    assert body["not_judged"] == [] or all("topic" in item for item in body["not_judged"])


def test_the_default_year_is_the_last_whole_year_before_the_parks_day(client):
    assert client.get("/api/report").get_json()["year"] == 2025  # reference date 2026-01-15


@pytest.mark.parametrize("year", ["abc", "1989", "2101"])
def test_a_bad_year_is_refused_naming_it(client, year):
    answer = client.get(f"/api/report?year={year}")
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "year"


def test_the_page_says_the_year_in_words_and_tables(client):
    page = client.get("/report?year=2025&lang=zh").get_data(as_text=True)
    assert "测试园区2025年度土地利用工作总结" in page
    assert "2025年园区供应土地4宗，较上年增加3宗。" in page
    english = client.get("/report?year=2025&lang=en").get_data(as_text=True)
    assert "In 2025 the park supplied 4 parcels of land, up 3 parcels on the year before." in english


def test_the_word_document_and_the_workbook_hold_the_same_figures(client):
    answer = client.get("/report.docx?year=2025&lang=zh")
    assert answer.headers["Content-Disposition"] == "attachment; filename=report-2025.docx"
    opened = docx.Document(io.BytesIO(answer.data))
    assert opened.paragraphs[0].text == "测试园区2025年度土地利用工作总结"
    first = opened.tables[0]
    assert [cell.text for cell in first.rows[1].cells] == ["供地宗数", "宗", "4", "1", "+3", "+300.0 %"]
    book = openpyxl.load_workbook(io.BytesIO(client.get("/report.xlsx?year=2025&lang=zh").data))
    sheet = book["2025年与上年对比"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3, max_row=4)]
    assert rows[0][:5] == ["类别", "指标", "单位", "2025年", "2024年"]
    assert rows[1][:5] == ["土地供应与项目建设", "供地宗数", "宗", 4, 1]
