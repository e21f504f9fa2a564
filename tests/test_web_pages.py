"""The overview page: KPI strip, map components, legend, language and escaping."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

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
    assert kpis(page)["park_area"] == "园区面积 – 无法判断"
    assert "园区暂无图层数据" in page
    assert client.get("/api/summary").get_json()["roads"]["total_km"] is None


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


#: The cards of a park holding only some of the tiny park's layers (no park boundary), worked out by hand: what the
#: layers held cannot tell is "–" with 无法判断, never 0. P1 15 亩 operating, P2 30 亩 supplied, P3 15 亩 planned
#: (60 亩, 0.04 km²); R1 300 m completed, R2 100 m subgrade; W1 300 m water main; B1 a factory (not standard).
NOT_JUDGED_CARDS = {
    "factory_space": "标准厂房 – 无法判断", "roads": "道路 – 无法判断", "pipelines": "管线 – 无法判断",
    "vacancy": "厂房空置率 – 无法判断", "readiness": "七通一平 – 无法判断",
}
NO_PARCEL_CARDS = {
    "park_area": "园区面积 – 无法判断", "land_supply": "已供地 – 无法判断", "parcels": "地块 0 宗 已供宗数无法判断",
    "idle_land": "闲置土地 – 无法判断", "inefficient_land": "低效用地 – 无法判断",
}


@pytest.mark.parametrize(("kept", "expected"), [
    (("parcels",), {
        **NOT_JUDGED_CARDS,
        "park_area": "园区面积 0.04 平方公里 60 亩（无园区边界，按地块范围）",
        "land_supply": "已供地 45 亩 其中工业用地 45 亩", "parcels": "地块 3 宗 已供 2 宗",
        # P2 has no agreed start date: its idle status is not judged (a lower bound, as on the full park).
        "idle_land": "闲置土地 0 亩 0 宗 · 闲置费 0 万元 · 1 宗无法判定",
        # P2 (30 亩) is supplied and not started (供而未用); P1's use (用而未尽) needs its buildings: not flagged.
        "inefficient_land": "低效用地 30 亩 批而未供 0 亩"}),
    (("pipelines",), {**NOT_JUDGED_CARDS, **NO_PARCEL_CARDS, "pipelines": "管线 0.3 公里 1 类管网",
                      "readiness": "七通一平 – 管线冲突 0 处"}),
    (("roads",), {**NOT_JUDGED_CARDS, **NO_PARCEL_CARDS, "roads": "道路 0.4 公里 建成 0.3 公里"}),
    (("buildings",), {**NOT_JUDGED_CARDS, **NO_PARCEL_CARDS,
                      # B1 is a factory, not a standard factory: 0 standard factory space is a judged figure.
                      "factory_space": "标准厂房 0 m² 0 栋 · 0 个单元"}),
    ((), {**NOT_JUDGED_CARDS, **NO_PARCEL_CARDS}),
])
def test_every_card_of_a_park_with_some_layers_shows_a_dash_where_it_cannot_judge(tmp_path, kept, expected):
    from app import create_app

    frames = tiny_frames()
    store = GeoPackageStore(tmp_path / "some.gpkg")
    store.save_park({name: frames[name] for name in kept}, TINY_META)
    client = create_app({"TESTING": True, "PARK_PATH": str(store.path)}).test_client()
    assert kpis(client.get("/").get_data(as_text=True)) == expected
    english = kpis(client.get("/?lang=en").get_data(as_text=True))
    assert english["vacancy"] == "Factory vacancy – not judged"
    summary = client.get("/api/summary").get_json()
    assert summary["land_use_efficiency"]["vacancy_rate"] is None
    assert summary["land_use_efficiency"]["leasable_m2"] is None
    topics = [item["topic"] for item in summary["not_judged"]]
    assert "vacancy" in topics and ("parcels" in kept) == ("land_supply" not in topics)
    if "parcels" not in kept:
        assert summary["land_supply"]["supplied_mu"] is None and summary["park_area"]["area_km2"] is None
        assert summary["land_use_efficiency"]["idle_mu"] is None
        assert english["land_supply"] == "Land supplied – not judged"


def test_pipelines_of_a_type_outside_cjj_61_are_counted_as_unclassified(tmp_path):
    from app import create_app

    frames = tiny_frames()
    x0, y0 = 636_000.0, 3_171_000.0
    extra = gpd.GeoDataFrame({"pipe_id": ["K1", "K2"], "network": [None, None], "status": ["in_service"] * 2},
                             geometry=[shapely.LineString([(x0, y0 - 500), (x0 + 1000, y0 - 500)]),
                                       shapely.LineString([(x0, y0 - 800), (x0 + 500, y0 - 800)])], crs=4549)
    store = GeoPackageStore(tmp_path / "pipes.gpkg")
    store.save_park({"pipelines": extra}, TINY_META)
    client = create_app({"TESTING": True, "PARK_PATH": str(store.path)}).test_client()
    # Only pipelines of no CJJ 61 type: 1.5 km, never "0 类管网".
    assert kpis(client.get("/").get_data(as_text=True))["pipelines"] == "管线 1.5 公里 未分类 2 条"
    assert kpis(client.get("/?lang=en").get_data(as_text=True))["pipelines"] == \
        "Pipelines 1.5 km unclassified 2 pipelines"
    counts = client.get("/api/summary").get_json()["pipelines"]["by_network_count"]
    assert counts["unknown"] == 2 and sum(counts.values()) == 2
    # The infrastructure page's card says the same in km (its table holds km by network).
    assert kpis(client.get("/infrastructure?lang=zh").get_data(as_text=True))["pipe_km"] == "管线 1.5 公里 未分类 1.5 公里"
    mixed = GeoPackageStore(tmp_path / "mixed.gpkg")
    mixed.save_park({"pipelines": pd.concat([frames["pipelines"], extra], ignore_index=True)}, TINY_META)
    client = create_app({"TESTING": True, "PARK_PATH": str(mixed.path)}).test_client()
    # W1 (water, 0.3 km) and the two: 1.8 km, one network and 2 unclassified.
    assert kpis(client.get("/").get_data(as_text=True))["pipelines"] == "管线 1.8 公里 1 类管网 · 未分类 2 条"


@pytest.mark.parametrize(("unknown", "english"), [
    (1, "1 parcel has neither status nor contract date: not judged"),
    (2, "2 parcels have neither status nor contract date: not judged"),
])
def test_the_land_supplied_card_counts_the_parcels_it_cannot_judge_in_english(tiny_app, unknown, english):
    from web.pages import _supply_detail

    with tiny_app.test_request_context("/?lang=en"):
        assert _supply_detail({"supplied_mu": None, "supply_unknown": unknown}) == english
    with tiny_app.test_request_context("/"):
        assert _supply_detail({"supplied_mu": None, "supply_unknown": unknown}) == \
            f"{unknown} 宗地块既无状态也无合同签订日期，无法判断"
