"""The overview page: KPI strip, map components, legend, language and escaping."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from layers.store import GeoPackageStore
from tests.conftest import TINY_META, tiny_frames


def kpis(page: str) -> dict[str, str]:
    """KPI card key → its label, value and detail text (tags stripped)."""
    out = {}
    for key, body in re.findall(r'<article class="kpi" data-kpi="(\w+)">(.*?)</article>', page, re.DOTALL):
        out[key] = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    return out


def test_overview_shows_kpis_map_and_legend_in_chinese(tiny_client):
    response = tiny_client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    cards = kpis(page)
    assert list(cards) == ["park_area", "land_supply", "parcels", "factory_space", "roads", "pipelines",
                           "idle_land", "inefficient_land", "vacancy", "readiness"]
    assert cards["park_area"] == "园区面积 0.08 平方公里 122 亩（园区边界以内）"
    # On hover, the registered parcels' total that /land sums: P1 + P2 + P3 = 60 亩, all inside the boundary.
    assert 'title="在册地块合计 60 亩，其中园区边界以外 0 亩（土地利用页“全园区”一行按地块相加）"' in page
    assert cards["land_supply"] == "已供地 45 亩 其中工业用地 45 亩"
    assert cards["parcels"] == "地块 3 宗 已供 2 宗"
    assert cards["factory_space"] == "标准厂房 0 m² 0 栋 · 0 个单元"
    assert cards["roads"] == "道路 0.4 公里 建成 0.3 公里"
    assert cards["pipelines"] == "管线 0.3 公里 1 类管网"
    # P2 (30 亩) has no agreed start date, so its idle status cannot be judged; it is supplied and unused.
    assert cards["idle_land"] == "闲置土地 0 亩 0 宗 · 闲置费 0 万元 · 1 宗无法判定"
    # P1 (15 亩): a 50 m × 40 m footprint on 100 m × 100 m is a building coefficient of 0.2 < 0.3: underused.
    assert cards["inefficient_land"] == "低效用地 45 亩 批而未供 0 亩"
    # U1 (2 000 m²) is leasable and has no lease.
    assert cards["vacancy"] == "厂房空置率 100.0 % 空置 2,000 m² / 可租 2,000 m²"
    # Only the water main W1 serves P1 and P2: neither is 七通一平.
    assert cards["readiness"] == "七通一平 0.0 % 已供地块 0/2 宗 · 管线冲突 0 处"
    assert 'class="folium-map parkatlas-map"' in page
    assert 'parkatlas.geoJsonLayer(' in page
    assert '<aside class="legend"' in page and "100101 一类工业用地" in page
    assert "测试园区" in page and "统计基准日 2026年6月30日" in page


def test_overview_in_english(tiny_client):
    page = tiny_client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    cards = kpis(page)
    assert cards["park_area"] == "Park area 0.08 km² 122 mu inside the park boundary"
    assert cards["land_supply"] == "Land supplied 45 mu of which industrial 45 mu"
    assert cards["roads"] == "Roads 0.4 km 0.3 km completed"
    assert "100101 Class 1 industrial" in page
    assert '"Land parcels"' in page  # the layer control


def test_breakdown_bars_use_the_registry_colours(tiny_client):
    page = tiny_client.get("/").get_data(as_text=True)
    roads = re.search(r'data-kpi="roads">(.*?)</article>', page, re.DOTALL).group(1)
    assert 'style="width: 25.00%; background: #fdae6b" title="路基 0.1 公里"' in roads
    assert 'style="width: 75.00%; background: #252525" title="建成 0.3 公里"' in roads


def test_the_page_loads_nothing_from_outside(tiny_client):
    page = tiny_client.get("/").get_data(as_text=True)
    assert not re.search(r"https?:", page)
    for url in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert url.startswith(("/", "?", "data:")), url
    assert "/static/vendor/node_modules/leaflet/dist/leaflet.js" in page


def test_user_text_is_escaped_everywhere(tmp_path):
    from app import create_app

    frames = tiny_frames()
    evil = "<script>alert(1)</script>"
    frames["parcels"].loc[0, "name"] = evil
    frames["parcels"].loc[1, "area_name"] = evil
    store = GeoPackageStore(tmp_path / "evil.gpkg")
    store.save_park(frames, {**TINY_META, "park_name": evil})
    page = create_app({"TESTING": True, "PARK_PATH": str(store.path)}).test_client().get("/").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the park name in the heading


def test_an_empty_park_still_has_an_overview(tmp_path):
    from app import create_app

    store = GeoPackageStore(tmp_path / "empty.gpkg")
    store.save_park({}, TINY_META)
    client = create_app({"TESTING": True, "PARK_PATH": str(store.path)}).test_client()
    page = client.get("/").get_data(as_text=True)
    assert kpis(page)["park_area"] == "园区面积 0.00 平方公里 0 亩"
    assert "园区暂无图层数据" in page
    assert client.get("/api/summary").get_json()["roads"]["total_km"] == 0.0


@pytest.mark.parametrize(("basemap", "present"), [("none", None), ("osm", "tile.openstreetmap.org")])
def test_the_configured_basemap_is_used(tiny_park, basemap, present):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "BASEMAP": basemap})
    page = app.test_client().get("/").get_data(as_text=True)
    if present is None:
        assert "L.tileLayer(" not in page
    else:
        assert present in page and "L.tileLayer(" in page


def test_tianditu_basemap_takes_the_configured_key(tiny_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "BASEMAP": "tianditu",
                      "TIANDITU_KEY": "k123"})
    page = app.test_client().get("/").get_data(as_text=True)
    assert "tianditu.gov.cn/vec_w/wmts" in page and "tk=k123" in page


def test_retired_records_are_not_drawn_on_the_overview(tiny_client, tiny_park):
    parcels = tiny_park.load("parcels")
    parcels.loc[parcels["parcel_id"] == "P3", "retired_on"] = pd.Timestamp("2026-01-01")
    tiny_park.save("parcels", parcels)
    page = tiny_client.get("/").get_data(as_text=True)
    assert '"parcel_id": "P1"' in page or '"parcel_id":"P1"' in page
    assert '"P3"' not in page
