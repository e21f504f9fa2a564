"""``GET /map/print.pdf`` on the tiny park: the PDF parses and says what it shows; bad or empty views are clear."""

from __future__ import annotations

import io

import pytest
import shapely
from pypdf import PdfReader

from layers.charts import cjk_font_file
from layers.map_print_pdf import MAP_BOX_MM, PrintSheet, print_pdf

pytestmark = pytest.mark.skipif(cjk_font_file() is None, reason="needs a CJK font: make browser installs one")

#: The tiny park (121.40°E, 28.65°N) with a margin.
PARK_BBOX = "121.39,28.64,121.41,28.66"


def text_of(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def test_the_view_prints_with_title_park_day_legend_scale_and_north(tiny_client):
    text = text_of(tiny_client.get("/map/print.pdf", query_string={"bbox": PARK_BBOX, "title": "园区总览",
                                                                     "lang": "zh"}))
    assert "园区总览" in text and "测试园区" in text and "2026年6月30日" in text  # the park's reference date
    for legend in ("图例", "地块 · 用地性质", "100101 一类工业用地", "道路 · 建设状态", "建成", "路基", "管线 · 管线类别",
                   "设施 · 类型", "范围与管控 · 类型"):
        assert legend in text, legend
    assert "比例尺 1:" in text and "0 – " in text and "北" in text
    assert "共 9 个要素" in text  # 3 parcels, 1 building, 2 roads, 1 pipeline, 1 facility, 1 zone


def test_only_the_layers_asked_for_are_drawn_and_the_day_is_the_one_asked(tiny_client):
    text = text_of(tiny_client.get("/map/print.pdf", query_string={"bbox": PARK_BBOX, "layers": "roads",
                                                                     "as_of": "2026-01-15", "lang": "en"}))
    assert "Roads" in text and "Parcels" not in text and "2026-01-15" in text and "2 features" in text
    assert "Scale 1:" in text and "Legend" in text


@pytest.mark.parametrize("bbox", [
    "120.0,30.0,120.01,30.01",  # in the park's zone (EPSG:4549, 118.5–121.5°E), away from the park
    "10.0,50.0,10.1,50.1",  # outside the zone: nothing of the park can be there
    "121.49,28.64,125.0,28.66",  # mostly outside the zone: the sliver inside is drawn, empty
    "-180,-90,-100,90",  # the Americas
])
def test_a_view_without_the_park_says_so(tiny_client, bbox):
    text = text_of(tiny_client.get("/map/print.pdf", query_string={"bbox": bbox, "lang": "zh"}))
    assert "视图内没有园区要素" in text and "共 0 个要素" in text and "比例尺 1:" in text


@pytest.mark.parametrize(("query", "field"), [
    ({"bbox": "x"}, "bbox"), ({"bbox": "121.41,28.64,121.39,28.66"}, "bbox"), ({}, "bbox"),
    ({"bbox": "121,28,122,nan"}, "bbox"), ({"bbox": PARK_BBOX, "layers": "parcels,units"}, "layers"),
    ({"bbox": PARK_BBOX, "as_of": "2026-02-30"}, "as_of"),
])
def test_bad_requests_are_400_naming_the_field(tiny_client, query, field):
    answer = tiny_client.get("/map/print.pdf", query_string={**query, "lang": "zh"},
                             headers={"Accept": "application/json"})
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["field"] == field and field in error["message"]


def test_more_features_than_the_cap_is_refused_saying_to_zoom_in(tiny_park):
    from app import create_app

    def ask(cap):
        app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "t",
                          "PRINT_MAX_FEATURES": cap})
        return app.test_client().get("/map/print.pdf", query_string={"bbox": PARK_BBOX, "lang": "zh"},
                                     headers={"Accept": "application/json"})

    assert ask(9).status_code == 200  # exactly the 9 features in view
    refused = ask(8)
    assert refused.status_code == 400
    assert "视图内有 9 个要素，一页最多打印 8 个" in refused.get_json()["error"]["message"]


def test_without_a_chinese_font_the_answer_is_503_saying_so(tiny_client, monkeypatch):
    import layers.report_pdf

    monkeypatch.setattr(layers.report_pdf, "cjk_font_file", lambda: None)
    answer = tiny_client.get("/map/print.pdf", query_string={"bbox": PARK_BBOX, "lang": "zh"},
                             headers={"Accept": "application/json"})
    assert answer.status_code == 503 and "中文字体" in answer.get_json()["error"]["message"]


def test_the_scale_bar_is_computed_from_the_box_by_hand():
    # A view 1 950 m wide in a 195 mm box: 10 m per mm = 1:10,000; a fifth of 1 950 m rounds down to 200 m.
    width_mm, height_mm = MAP_BOX_MM[2], MAP_BOX_MM[3]
    extent = (0.0, 0.0, 1950.0, 1950.0 * height_mm / width_mm)
    from layers.charts import view_png
    from layers.map_print_pdf import map_box_size_in

    png = view_png([], extent, map_box_size_in())
    sheet = PrintSheet(title="T", subtitle="S", map_png=png, extent=extent)
    text = PdfReader(io.BytesIO(print_pdf(sheet))).pages[0].extract_text()
    assert "比例尺 1:10,000" in text and "0 – 200 米" in text


def test_the_view_is_cut_with_the_spatial_index():
    import geopandas as gpd

    from geo.map_print import in_view

    frame = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10), shapely.box(100, 100, 110, 110)], crs=4549)
    assert list(in_view(frame, (5, 5, 50, 50)).index) == [0]
    assert list(in_view(frame, (10.5, 10.5, 99.5, 99.5)).index) == []  # between them: nothing


def test_prints_at_once_on_a_live_server_queue_in_the_gate_and_all_answer(tiny_app):
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from browser_helpers import serve

    with serve(tiny_app) as base:
        def one(number):
            bbox = f"121.39,28.64,121.41,{28.66 + number / 1000:.3f}"
            return requests.get(f"{base}/map/print.pdf", params={"bbox": bbox, "lang": "zh"}, timeout=60)

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(one, range(8)))
    statuses = [answer.status_code for answer in answers]
    assert all(status in (200, 429, 503) for status in statuses), statuses
    served = [answer for answer in answers if answer.status_code == 200]
    assert served  # the first takes the slot at once; the others wait their turn up to ANALYSIS_WAIT_S
    for refusal in (answer for answer in answers if answer.status_code != 200):
        assert refusal.headers["Retry-After"] and "请" in refusal.text  # the error page, in Chinese
    for answer in served:
        assert "测试园区" in PdfReader(io.BytesIO(answer.content)).pages[0].extract_text()
