"""The /infrastructure page, its JSON twin and its XLSX export, on the tiny park.

The tiny park (tests/conftest.py): P1 and P2 front road R1 (completed, 20 m); the
DN300 water main W1 runs 6 m from them; P3 has no road. A gas main G1 is added
where a test needs a clearance conflict: 0.3 m from W1 (0.5 m required).
"""

from __future__ import annotations

import html
import io
import re

import openpyxl
import pandas as pd
import pytest

import service.park as service_park
import web.infrastructure as infrastructure_view
from layers.infra_rules import ENV_VAR
from tests.infra_helpers import line


def add_gas_main(store) -> None:
    pipelines = store.load("pipelines")
    gas = pipelines.iloc[[0]].copy()
    gas["pipe_id"], gas["network"], gas["pressure_class"], gas["diameter_mm"] = "G1", "gas", "medium_b", 100.0
    # W1 runs along y = -6 (DN300, radius 0.15 m); G1 (radius 0.05 m) 0.5 m further: 0.3 m wall to wall.
    gas["geometry"] = [line((0, -5.5), (300, -5.5))]
    store.save("pipelines", pd.concat([pipelines, gas], ignore_index=True))


def test_page_in_chinese_with_map_tables_and_escaped_names(tiny_client):
    response = tiny_client.get("/infrastructure")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "基础设施与配套" in page and "已供地块配套覆盖率" in page
    assert 'href="/infrastructure"' in page  # nav link
    layers = re.findall(r'parkatlas\.geoJsonLayer\(\s*"(\w+)"', page)
    assert layers == ["readiness", "buildings", "roads", "pipelines_water_supply", "facilities"]
    # The parcel name "一号地块 <b>" is escaped in the table and in the map data.
    assert "一号地块 <b>" not in page
    assert "一号地块 &lt;b&gt;" in page
    assert "未达七通一平的已供地块" in page
    assert "雨水、污水、电力、通信、燃气、热力、场地平整" in page


def test_page_in_english(tiny_client):
    page = tiny_client.get("/infrastructure?lang=en").get_data(as_text=True)
    assert "Coverage of supplied parcels" in page
    assert "Storm water, Sewer, Power, Telecom, Gas, Heat, Site levelled" in page


def test_json_twin(tiny_client):
    response = tiny_client.get("/api/infrastructure")
    assert response.status_code == 200
    body = response.get_json()
    assert body["template"] == "七通一平"
    assert body["templates"] == ["三通一平", "四通一平", "五通一平", "七通一平", "九通一平"]
    parcels = {row["parcel_id"]: row for row in body["parcels"]}
    assert parcels["P1"]["served_water_supply"] is True
    assert parcels["P1"]["water_supply_distance_m"] == 6.0
    assert parcels["P1"]["missing"] == ["rain", "sewer", "power", "telecom", "gas", "heat", "site_levelled"]
    assert parcels["P3"]["road_access"] is False and parcels["P3"]["serve_limit_m"] is None
    assert parcels["P1"]["to_park_gate_m"] == 200.0
    assert body["coverage"]["supplied_parcels"] == 2
    assert body["coverage"]["served_share"]["water_supply"] == 1.0
    assert body["road_km"]["completed"]["secondary"] == pytest.approx(0.3)
    assert body["conflicts"] == {"type": "FeatureCollection", "features": []}
    assert body["conflict_counts"]["total"] == 0


def test_template_option_changes_the_target(tiny_client):
    body = tiny_client.get("/api/infrastructure?template=三通一平").get_json()
    parcels = {row["parcel_id"]: row for row in body["parcels"]}
    assert parcels["P1"]["missing"] == ["power", "site_levelled"]
    assert body["template"] == "三通一平"


def test_conflicts_as_markers_rows_and_features(tiny_park, tiny_client):
    add_gas_main(tiny_park)
    body = tiny_client.get("/api/infrastructure").get_json()
    assert body["conflict_counts"] == {"total": 1, "pipe_pipe": 1, "pipe_building": 0, "pipe_under_building": 0}
    feature = body["conflicts"]["features"][0]
    assert feature["id"] == "C1"
    assert (feature["properties"]["id_a"], feature["properties"]["id_b"]) == ("W1", "G1")
    assert feature["properties"]["required_m"] == 0.5
    assert feature["properties"]["actual_m"] == pytest.approx(0.3, abs=1e-6)
    lon, lat = feature["geometry"]["coordinates"]
    assert 121.3 < lon < 121.5 and 28.6 < lat < 28.7
    page = tiny_client.get("/infrastructure").get_data(as_text=True)
    assert re.findall(r'parkatlas\.geoJsonLayer\(\s*"(\w+)"', page)[-1] == "conflicts"
    assert "<td>C1</td><td>管线水平间距不足</td><td>W1</td><td>给水</td><td>G1</td><td>燃气</td><td>0.5</td><td>0.3</td>" in page


def test_xlsx_export_has_every_table(tiny_client):
    response = tiny_client.get("/infrastructure.xlsx")
    assert response.status_code == 200
    assert response.mimetype == infrastructure_view.XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["说明", "地块配套", "间距冲突", "配套覆盖率", "道路里程", "管线里程"]
    about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True) if row[0]}
    assert (about["内容"], about["园区"], about["数据日期"]) == ("基础设施配套分析", "测试园区", "2026年6月30日")
    sheet = book["地块配套"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("地块编号", "名称", "状态", "配套水平")
    assert [r[0] for r in rows[1:]] == ["P1", "P2", "P3"]
    assert rows[1][1] == "一号地块 <b>"
    assert sheet.freeze_panes == "A2"
    # The unit in the header gives the number format: 给水干管距离(m) to 0.1 m.
    water = rows[0].index("给水干管距离(m)") + 1
    assert sheet.cell(2, water).value == 6 and sheet.cell(2, water).number_format == "#,##0.0"


@pytest.mark.parametrize(("query", "message"), [
    ("template=十通一平", "template 必须是 三通一平"),
    ("planned=maybe", "planned 必须是 1, 0 之一，收到 'maybe'"),
    ("as_of=2026-13-01", "as_of 必须是 YYYY-MM-DD 格式的日期，收到 '2026-13-01'"),
])
def test_bad_parameters_are_400(tiny_client, query, message):
    response = tiny_client.get(f"/api/infrastructure?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]
    for url in (f"/infrastructure?{query}", f"/infrastructure.xlsx?{query}"):
        response = tiny_client.get(url)
        assert response.status_code == 400
        assert message in html.unescape(response.get_data(as_text=True))


def test_as_of_leaves_retired_pipes_out(tiny_park, tiny_client):
    pipelines = tiny_park.load("pipelines")
    pipelines["retired_on"] = pd.to_datetime(["2025-01-01"]).astype("datetime64[ms]")
    tiny_park.save("pipelines", pipelines)
    before = tiny_client.get("/api/infrastructure?as_of=2024-12-31").get_json()
    after = tiny_client.get("/api/infrastructure?as_of=2025-01-01").get_json()
    assert before["parcels"][0]["served_water_supply"] is True
    assert after["parcels"][0]["served_water_supply"] is False
    assert after["as_of"] == "2025-01-01"


def test_analysis_runs_once_per_park_version(tiny_park, tiny_client, monkeypatch):
    calls = []
    original = service_park.infrastructure_analysis
    monkeypatch.setattr(service_park, "infrastructure_analysis",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    tiny_client.get("/api/infrastructure?template=五通一平")
    tiny_client.get("/infrastructure?template=五通一平")
    assert len(calls) == 1
    add_gas_main(tiny_park)
    assert tiny_client.get("/api/infrastructure?template=五通一平").get_json()["conflict_counts"]["total"] == 1
    assert len(calls) == 2


def test_a_broken_park_override_is_reported_not_hidden(tiny_client, tmp_path, monkeypatch):
    bad = tmp_path / "bad.infrastructure.yaml"
    bad.write_text("served:\n  extra_distance_m: ten\n", encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(bad))
    response = tiny_client.get("/api/infrastructure")
    assert response.status_code == 500
    assert "served.extra_distance_m: got 'ten'" in response.get_json()["error"]["message"]


def test_large_parks_get_context_layers_as_tiles_and_only_lacking_parcels_inline(tiny_park):
    from app import create_app

    client = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "test",
                         "TILE_FEATURE_THRESHOLD": 1}).test_client()
    page = client.get("/infrastructure").get_data(as_text=True)
    assert re.findall(r'parkatlas\.geoJsonLayer\(\s*"(\w+)"', page) == ["readiness"]
    assert re.findall(r'parkatlas\.tileLayer\(\s*"(\w+)"', page) == ["buildings", "roads", "pipelines", "facilities"]
    assert "/tiles/buildings,roads,pipelines,facilities/" in page
    # Roads (2) and parcels (3) are above a threshold of one feature: the context layers come as one tile
    # set, and only the supplied parcels below 七通一平 (P1 of 1 ha, P2 of 2 ha) are drawn inline, at most the
    # threshold's count of them, largest first (issue 18: the page stays bounded): P2.
    assert "未达七通一平的已供地块" in page
    assert '"id":"P2"' in page and '"id":"P1"' not in page and '"id":"P3"' not in page
