"""``POST /api/measure`` on the tiny park (EPSG:4549): hand-computed figures, bilingual 400s, CSRF and roles."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from browser_helpers import serve
from map_tools_helpers import lonlat


def test_a_drawn_parcel_measures_as_p1(tiny_client):
    # P1 of the tiny park: 100 m × 100 m = 10 000 m² = 15 亩.
    body = {"kind": "polygon", "coordinates": lonlat([(0, 0), (100, 0), (100, 100), (0, 100)])}
    answer = tiny_client.post("/api/measure?lang=zh", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    data = answer.get_json()
    assert data["area_m2"] == pytest.approx(10_000.0, abs=1e-6)
    assert data["area_mu"] == pytest.approx(15.0, abs=1e-9)
    assert data["length_m"] == pytest.approx(400.0, abs=1e-6)
    assert data["crs"] == "EPSG:4549"
    assert data["text"] == "1.00 公顷 / 15.0 亩（10,000.0 平方米；周长 400.0 米）"
    english = tiny_client.post("/api/measure?lang=en", json=body).get_json()
    assert english["text"] == "1.00 ha / 15.0 mu (10,000.0 m²; perimeter 400.0 m)"


def test_a_drawn_road_measures_as_r1(tiny_client):
    data = tiny_client.post("/api/measure?lang=zh", json={"kind": "line", "coordinates": lonlat([(0, -10), (300, -10)])})
    assert data.get_json()["length_m"] == pytest.approx(300.0, abs=1e-6)
    assert data.get_json()["text"] == "300.0 米"


@pytest.mark.parametrize(("body", "field", "zh"), [
    ({"kind": "line", "coordinates": [[121.4, "x"], [121.41, 28.65]]}, "coordinates", "纬度不是有限数字"),
    ({"kind": "polygon", "coordinates": lonlat([(0, 0), (100, 100), (100, 0), (0, 100)])}, "coordinates", "自相交"),
    ({"kind": "area", "coordinates": []}, "kind", "kind 必须是"),
    ([1, 2], "body", "请求体必须是 JSON 对象"),
])
def test_bad_drawings_are_bilingual_400s(tiny_client, body, field, zh):
    answer = tiny_client.post("/api/measure?lang=zh", json=body)
    assert answer.status_code == 400 and answer.content_type == "application/json"
    error = answer.get_json()["error"]
    assert error["field"] == field and zh in error["message"], error
    english = tiny_client.post("/api/measure?lang=en", json=body).get_json()["error"]["message"]
    assert english != error["message"] and not any("\u4e00" <= ch <= "\u9fff" for ch in english), english


def test_too_many_vertices_is_a_400_at_the_configured_cap(tiny_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "t", "MEASURE_MAX_VERTICES": 5})
    client = app.test_client()
    five = lonlat([(0, 0), (10, 0), (20, 0), (30, 0), (40, 0)])
    assert client.post("/api/measure", json={"kind": "line", "coordinates": five}).status_code == 200
    answer = client.post("/api/measure?lang=zh", json={"kind": "line", "coordinates": [*five, five[0]]})
    assert answer.status_code == 400
    assert "图形有 6 个顶点，最多允许 5 个" in answer.get_json()["error"]["message"]


def test_on_a_live_server_a_viewer_measures_with_the_token_and_not_without(auth_app):
    from live_helpers import live_session

    with serve(auth_app) as base, live_session(auth_app, base, "viewer") as session:
        body = {"kind": "line", "coordinates": lonlat([(0, 0), (0, 250)])}
        ok = session.post(f"{base}/api/measure", json=body)
        assert ok.status_code == 200 and ok.json()["length_m"] == pytest.approx(250.0, abs=1e-6)
        refused = session.post(f"{base}/api/measure", json=body, headers={"X-CSRF-Token": "forged"})
        assert refused.status_code in (400, 403) and refused.json()["error"]["message"]
        anonymous = urllib.request.Request(f"{base}/api/measure", data=json.dumps(body).encode(), method="POST",
                                           headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(anonymous, timeout=10)
        caught.value.close()
        assert caught.value.code in (401, 403)


MAP_PAGES = ["/", "/land", "/idle", "/vacancy", "/infrastructure", "/expansion", "/sites", "/report",
             "/edit/parcels/P1"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_map_page_has_the_measure_and_print_tools_in_its_language(tiny_client, lang):
    labels = ('"measureLine": "\\u6d4b\\u8ddd"' if lang == "zh" else '"measureLine": "Measure distance"')
    for path in MAP_PAGES:
        page = tiny_client.get(path, query_string={"lang": lang}).get_data(as_text=True)
        assert "/static/js/parkatlas-measure.js" in page, path
        assert '"measureUrl": "/api/measure"' in page and '"printUrl": "/map/print.pdf"' in page, path
        assert labels in page, path


def test_the_public_map_has_no_tools_its_visitors_could_not_use(tiny_park, tmp_path):
    from auth_helpers import auth_config

    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", PUBLIC_LAYERS=("parcels",)))
    page = app.test_client().get("/public?lang=zh").get_data(as_text=True)
    assert "parkatlas.setMap(" in page and '"measureUrl"' not in page
