"""The annual report over HTTP: the page, its JSON, the workbook and the Word document say the same year.

The park is the one of tests/test_geo_annual.py (figures worked out by hand there): in 2025, 4 parcels and
60 亩 supplied, 2 projects started and 2 completed, 1 km of road completed; in 2024, 1 parcel, 15 亩.
"""

from __future__ import annotations

import io
import re

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


def test_the_charts_are_served_as_png_and_shown_on_the_page_with_alt_text(client):
    from PIL import Image

    for name in ("land", "tenure", "space", "scores"):
        answer = client.get(f"/report/chart/{name}.png?year=2025&lang=zh")
        assert answer.status_code == 200 and answer.mimetype == "image/png"
        assert Image.open(io.BytesIO(answer.data)).size == (945, 540)
    page = client.get("/report?year=2025&lang=zh").get_data(as_text=True)
    assert 'src="/report/chart/land.png?year=2025&amp;lang=zh"' in page
    assert 'alt="供地与项目建设"' in page and 'alt="评价指标标准化分值"' in page
    assert 'alt="Land supplied and projects"' in client.get("/report?year=2025&lang=en").get_data(as_text=True)


def test_an_unknown_chart_is_refused_naming_it_and_the_charts(client):
    answer = client.get("/report/chart/pie.png?year=2025", headers={"Accept": "application/json"})
    assert answer.status_code == 404
    error = answer.get_json()["error"]
    assert (error["field"], error["value"], error["allowed"]) == ("chart", "pie", ["land", "tenure", "space", "scores"])
    assert client.get("/report/chart/land.png?year=1989").status_code == 400


def test_the_word_document_holds_the_charts_and_the_change_map_with_their_captions(client):
    opened = docx.Document(io.BytesIO(client.get("/report.docx?year=2025&lang=zh").data))
    assert len(opened.inline_shapes) == 5
    captions = [p.text for p in opened.paragraphs if p.style.name == "Caption" and p.text.startswith("图")]
    assert captions == ["图1　供地与项目建设", "图2　供地面积（按供地方式）", "图3　2025年园区变化图",
                        "图4　标准厂房面积（年初与年末）", "图5　评价指标标准化分值"]
    # Each figure stands in its section: the land charts and the map after the first heading, the scores last.
    texts = [p.text for p in opened.paragraphs]
    assert texts.index("一、土地供应与项目建设") < texts.index(captions[2]) < texts.index("二、闲置土地与低效用地")
    assert texts.index("六、土地集约利用评价") < texts.index(captions[4])
    english = docx.Document(io.BytesIO(client.get("/report.docx?year=2025&lang=en").data))
    assert "Figure 1. Land supplied and projects" in [p.text for p in english.paragraphs]


def test_the_pdf_holds_the_same_document_with_its_charts(client):
    from pypdf import PdfReader

    answer = client.get("/report.pdf?year=2025&lang=zh")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"] == "attachment; filename=report-2025.pdf"
    reader = PdfReader(io.BytesIO(answer.data))
    assert len(reader.pages) >= 3
    text = "".join("".join(page.extract_text() for page in reader.pages).split())
    assert text.startswith("测试园区2025年度土地利用工作总结")
    # The figures as geo.report.number writes them: 60.0 亩 supplied, 4 parcels against 1.
    assert "2025年园区供应土地4宗，较上年增加3宗。供地面积60.0亩，较上年增加45.0亩。" in text
    assert "供地宗数宗41+3+300.0%" in text and "图3　2025年园区变化图".replace("　", "") in text
    sizes = [image.image.size for page in reader.pages for image in page.images]
    assert sorted(sizes) == [(945, 540)] * 4 + [(945, 810)]  # four charts and the change map
    english = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(
        client.get("/report.pdf?year=2025&lang=en").data)).pages).split())
    assert "In2025theparksupplied4parcelsofland,up3parcelsontheyearbefore." in english


def test_without_a_chinese_font_the_pdf_is_refused_with_a_clear_message(client, monkeypatch):
    from layers import charts

    monkeypatch.setattr(charts, "CJK_FONTS", ("No Such Font",))
    charts.cjk_font_file.cache_clear()
    try:
        answer = client.get("/report.pdf?year=2025&lang=zh", headers={"Accept": "application/json"})
        assert answer.status_code == 503
        assert answer.get_json()["error"]["code"] == "no_cjk_font"
        assert "服务器未安装中文字体" in answer.get_json()["error"]["message"]
        page = client.get("/report.pdf?year=2025&lang=en").get_data(as_text=True)
        assert "The server has no Chinese font, so it cannot make the PDF" in page
    finally:
        charts.cjk_font_file.cache_clear()


def test_the_page_links_the_pdf_beside_the_word_and_excel_downloads(client):
    page = client.get("/report?year=2025&lang=zh").get_data(as_text=True)
    for target in ("/report.docx?year=2025", "/report.xlsx?year=2025", "/report.pdf?year=2025"):
        assert f'href="{target}"' in page
    assert "下载 PDF" in page


def test_the_change_map_json_lists_the_years_changes_in_wgs84(client):
    answer = client.get("/api/report/changes?year=2025&lang=zh")
    assert answer.status_code == 200 and answer.mimetype == "application/geo+json"
    features = answer.get_json()["features"]
    by_change = {}
    for feature in features:
        by_change.setdefault(feature["properties"]["change"], []).append(feature["properties"]["record_id"])
    # By hand (tests/test_geo_year_changes.py): supplied A, B, E, G; completed C, E; H newly idle; R1, W1 built.
    assert sorted(by_change["supplied"]) == ["A", "B", "E", "G"] and sorted(by_change["completed"]) == ["C", "E"]
    assert by_change["became_idle"] == ["H"] and by_change["road_completed"] == ["R1"]
    assert by_change["pipeline_built"] == ["W1"] and "building_completed" not in by_change
    first = features[0]
    longitude, latitude = first["geometry"]["coordinates"][0][0]
    assert 60 < longitude < 140 and 0 < latitude < 60  # degrees, not the park's metres
    labels = {f["properties"]["change"]: f["properties"]["change_label"] for f in features}
    assert labels["became_idle"] == "新增闲置地块"
    assert len({f["id"] for f in features}) == len(features)  # E is supplied and completed: two features
    english = client.get("/api/report/changes?year=2025&lang=en").get_json()["features"]
    assert {f["properties"]["change_label"] for f in english} >= {"Parcels supplied", "Parcels newly idle"}


def test_the_page_draws_the_change_map_with_its_counts(client):
    page = client.get("/report?year=2025&lang=zh").get_data(as_text=True)
    assert "本年变化图" in page and "parkatlas-map" in page
    assert '"change_supplied"' in page or "change_supplied" in page  # the supplied parcels' own layer
    assert "新增闲置地块</td><td class=\"num\">1</td>" in page.replace(
        '<span class="swatch swatch-fill" style="--swatch: #e31a1c"></span>', "")
    empty_year = client.get("/report?year=1995&lang=zh")
    assert empty_year.status_code == 200 and "新供地块</td><td class=\"num\">0" in empty_year.get_data(
        as_text=True).replace('<span class="swatch swatch-fill" style="--swatch: #1f78b4"></span>', "")


def test_charts_drawn_at_once_in_many_threads_of_the_served_app_are_the_same_as_drawn_alone(client):
    # Each chart is its own Figure on its own canvas (no pyplot state): threads never draw into each other's.
    from concurrent.futures import ThreadPoolExecutor
    from urllib.request import urlopen

    from browser_helpers import serve

    names = ["land", "tenure", "space", "scores"]
    alone = {name: client.get(f"/report/chart/{name}.png?year=2025&lang=zh").data for name in names}
    with serve(client.application) as base_url, ThreadPoolExecutor(max_workers=8) as pool:
        def fetch(name: str) -> tuple[str, bytes]:
            with urlopen(f"{base_url}/report/chart/{name}.png?year=2025&lang=zh", timeout=60) as answer:
                return name, answer.read()

        together = list(pool.map(fetch, names * 4))
    assert len(together) == 16 and all(png == alone[name] for name, png in together)


def test_above_the_tile_threshold_the_page_shows_the_static_change_map(tmp_path):
    from app import create_app

    store = GeoPackageStore(tmp_path / "annual.gpkg")
    store.save_park(annual_park(), {**TINY_META, "park_name": "测试园区", "reference_date": "2026-01-15"})
    # Nine or ten parcels held at the 2025 year end and 13 changes (tests/test_geo_year_changes.py): over 20.
    app = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test",
                      "TILE_FEATURE_THRESHOLD": 20})
    client = app.test_client()
    page = client.get("/report?year=2025&lang=zh").get_data(as_text=True)
    assert 'src="/report/changes.png?year=2025&amp;lang=zh"' in page and "parkatlas-map" not in page
    assert "此处显示静态变化图" in page
    picture = client.get("/report/changes.png?year=2025&lang=zh")
    assert picture.status_code == 200 and picture.mimetype == "image/png" and picture.data[:4] == b"\x89PNG"
    app.config["TILE_FEATURE_THRESHOLD"] = 10_000
    assert "parkatlas-map" in client.get("/report?year=2025&lang=zh").get_data(as_text=True)


@pytest.fixture(scope="module")
def statusless_client(tmp_path_factory):
    """A surveyor's register without statuses: at the end of 2024, P1 (contract 2024-12-30) and P2 (2024-12-31) are
    supplied by their contracts, 1 ha (15 亩) each; P3, with neither status nor contract date, is registered from
    2025-06-01 on, so at the end of 2025 one parcel of three leaves the supply not judged."""
    from annual_samples import box, typed

    from app import create_app

    rows = [{"parcel_id": "P1", "contract_date": "2024-12-30"}, {"parcel_id": "P2", "contract_date": "2024-12-31"},
            {"parcel_id": "P3", "valid_from": "2025-06-01"}]
    parcels = typed("parcels", rows, [box(i * 200, 0, i * 200 + 100, 100) for i in range(3)])
    store = GeoPackageStore(tmp_path_factory.mktemp("statusless") / "surveyed.gpkg")
    store.save_park({"parcels": parcels}, {**TINY_META, "park_name": "测绘园区", "reference_date": "2026-01-15"})
    app = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test"})
    return app.test_client()


INFERRED_ZH = "其中 2 个地块（30.00 亩）没有状态，按合同签订日期（不晚于评价日）计为已供应"
INFERRED_EN = ("2 parcels (30.00 mu) of it have no status and are counted as supplied by their contract date (on or "
               "before the day judged)")
LACKING_ZH = "3 个地块中有 1 个既没有状态也没有合同签订日期，无法判断是否已供应"
LACKING_EN = "1 of 3 parcels have neither a status nor a contract date: whether they are supplied could not be judged"


def _supplied(body: dict) -> dict:
    return next(s for s in body["evaluation"]["land_status"] if s["key"] == "supplied")


def _supplied_row(client, year: int) -> list:
    """The 已供应国有建设用地 row of the year's workbook (Chinese), as cell values."""
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/report.xlsx?year={year}&lang=zh").data))
    rows = [[cell.value for cell in row] for row in book["土地利用状况"].iter_rows()]
    return next(r for r in rows if r[1] == "已供应国有建设用地")


def _docx_rows(client, year: int, lang: str) -> list[list[str]]:
    """Every table row of the year's Word report in ``lang``, as cell texts."""
    document = docx.Document(io.BytesIO(client.get(f"/report.docx?year={year}&lang={lang}").data))
    return [[cell.text for cell in r.cells] for table in document.tables for r in table.rows]


def test_a_register_without_statuses_is_supplied_by_its_contracts_on_every_page_and_export(statusless_client):
    zh = statusless_client.get("/api/report?year=2024&lang=zh").get_json()
    supplied = _supplied(zh)
    assert supplied["area_m2"] == pytest.approx(20_000) and supplied["area_mu"] == pytest.approx(30.0)
    assert supplied["note"]["message"] == INFERRED_ZH and supplied["not_judged"] is None
    assert _supplied(statusless_client.get("/api/report?year=2024&lang=en").get_json())["note"]["message"] \
        == INFERRED_EN
    page = statusless_client.get("/report?year=2024&lang=zh").get_data(as_text=True)
    assert INFERRED_ZH in page and "比值无意义" not in page
    assert INFERRED_EN in statusless_client.get("/report?year=2024&lang=en").get_data(as_text=True)
    row = _supplied_row(statusless_client, 2024)
    assert row[2] == pytest.approx(2.0) and INFERRED_ZH in row[-1]  # 2 公顷
    assert ["已供应国有建设用地", "2.00", "30.0", INFERRED_ZH] in _docx_rows(statusless_client, 2024, "zh")


def test_a_parcel_with_neither_status_nor_contract_date_is_not_judged_on_every_page_and_export(statusless_client):
    body = statusless_client.get("/api/report?year=2025&lang=zh").get_json()
    supplied = _supplied(body)
    assert supplied["area_m2"] is None and supplied["not_judged"]["message"] == LACKING_ZH
    assert supplied["not_judged"]["missing"] == ["parcels.status", "parcels.contract_date"]
    rates = {i["key"]: i for i in body["evaluation"]["indicators"]}
    assert all(i["value"] is None for i in rates.values())
    assert rates["supply_rate"]["not_judged"]["message"] == LACKING_ZH
    en = statusless_client.get("/api/report?year=2025&lang=en").get_json()
    assert _supplied(en)["not_judged"]["message"] == LACKING_EN
    page = statusless_client.get("/report?year=2025&lang=zh").get_data(as_text=True)
    assert LACKING_ZH in page and "比值无意义" not in page
    assert LACKING_EN in statusless_client.get("/report?year=2025&lang=en").get_data(as_text=True)
    row = _supplied_row(statusless_client, 2025)
    assert row[2:4] == ["无法判断", "无法判断"] and row[-1] == LACKING_ZH
    # The change table agrees with the figures: the map holds no parcel supplied or started in 2025, but that is
    # not told (the figures are not judged), so neither are the counts; a change the figures do not count stays.
    table = re.sub(r'<span class="swatch[^>]*></span>', "", page)
    assert ('新供地块</td><td class="num">无法判断<span class="why">（1 宗地块既无状态也无合同签订日期，供地年份不明）'
            '</span></td>') in table
    assert '新开工地块</td><td class="num">无法判断<span class="why">（3 宗地块既无状态也无实际开工日期' in table
    assert '新建成建筑</td><td class="num">0</td>' in table
    en = re.sub(r'<span class="swatch[^>]*></span>', "",
                statusless_client.get("/report?year=2025&lang=en").get_data(as_text=True))
    assert ('Parcels supplied</td><td class="num">not judged<span class="why"> (1 parcel has neither a status nor '
            'a contract date: the year of supply cannot be told)</span>') in en
    assert ["state land supplied", "not judged", "not judged", LACKING_EN] in _docx_rows(statusless_client, 2025, "en")
