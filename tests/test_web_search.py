"""The map's search box: GET /api/search on the tiny park (tests/conftest.py), expectations worked out by hand.

The tiny park: parcels P1 "一号地块 <b>", P2 "二号地块", P3 "三号地块"; building B1 "1号厂房" in P1; enterprises
E1 "甲公司" (holds P1), E2 "乙公司" (holds P2); roads R1 "纬一路", R2 "经一路"; facility F1 "东门".
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from conftest import TINY_META, tiny_frames

from layers.store import GeoPackageStore


def search(client, **params):
    return client.get("/api/search", query_string=params)


def hits(client, **params) -> list[tuple[str, str]]:
    answer = search(client, **params)
    assert answer.status_code == 200, answer.get_json()
    return [(hit["collection"], hit["id"]) for hit in answer.get_json()["hits"]]


def web_box(layer: str, record_id: str) -> list[float]:
    frame = tiny_frames()[layer]
    id_field = {"parcels": "parcel_id", "buildings": "building_id"}[layer]
    row = gpd.GeoDataFrame(frame[frame[id_field] == record_id], crs=frame.crs).to_crs(4326)
    return [round(float(v), 7) for v in row.total_bounds]


def test_a_parcel_by_its_id_any_case_with_its_box(tiny_client):
    for query in ("p1", "P1"):
        answer = search(tiny_client, q=query, lang="en").get_json()
        assert answer["matched"] == 1
        assert answer["hits"] == [{"collection": "parcels", "layer": "Land parcels", "id": "P1",
                                   "label": "P1 一号地块 <b>", "bbox": web_box("parcels", "P1")}]


def test_the_layer_is_named_in_the_users_language(tiny_client):
    assert search(tiny_client, q="P1", lang="zh").get_json()["hits"][0]["layer"] == "地块"
    assert search(tiny_client, q="B1", lang="en").get_json()["hits"][0]["layer"] == "Buildings"


def test_every_parcel_id_starting_with_p_in_label_order(tiny_client):
    assert hits(tiny_client, q="p") == [("parcels", "P1"), ("parcels", "P2"), ("parcels", "P3")]


def test_names_match_inside_and_html_comes_back_as_data(tiny_client):
    assert hits(tiny_client, q="一号") == [("parcels", "P1")]  # not 纬一路: "一号" is not in it
    assert hits(tiny_client, q="地块") == [("parcels", "P1"), ("parcels", "P2"), ("parcels", "P3")]
    answer = search(tiny_client, q="<b>").get_json()
    assert [hit["label"] for hit in answer["hits"]] == ["P1 一号地块 <b>"]


def test_exact_then_prefix_then_inside_then_layer_order(tiny_client):
    # "1": B1's name 1号厂房 starts with it (prefix); P1, E1, R1, F1 hold it inside their ids.
    answer = search(tiny_client, q="1").get_json()
    assert [(h["collection"], h["id"]) for h in answer["hits"]] == [
        ("buildings", "B1"), ("parcels", "P1"), ("enterprises", "E1"), ("roads", "R1"), ("facilities", "F1")]
    assert answer["matched"] == 5
    # "b1" is B1's id exactly: first, even before the prefix matches of the same layer order.
    assert hits(tiny_client, q="b1") == [("buildings", "B1")]


def test_roads_and_facilities_by_name(tiny_client):
    assert hits(tiny_client, q="路") == [("roads", "R1"), ("roads", "R2")]
    assert hits(tiny_client, q="东门") == [("facilities", "F1")]


def test_an_enterprise_is_located_by_its_parcel(tiny_client):
    answer = search(tiny_client, q="甲公司").get_json()
    assert answer["hits"] == [{"collection": "enterprises", "layer": "企业", "id": "E1", "label": "E1 甲公司",
                               "bbox": web_box("parcels", "P1")}]


def test_the_limit_bounds_the_hits_not_the_count(tiny_client):
    answer = search(tiny_client, q="1", limit=2).get_json()
    assert [hit["id"] for hit in answer["hits"]] == ["B1", "P1"]
    assert (answer["matched"], answer["returned"]) == (5, 2)
    assert len(search(tiny_client, q="1", limit=1).get_json()["hits"]) == 1


@pytest.mark.parametrize("limit", ["0", "51", "ten"])
def test_a_limit_outside_1_to_50_is_a_400_naming_it(tiny_client, limit):
    answer = search(tiny_client, q="P", limit=limit, lang="en")
    assert answer.status_code == 400
    assert answer.get_json()["error"]["field"] == "limit"


def test_the_largest_limit_is_allowed(tiny_client):
    assert search(tiny_client, q="P", limit=50).status_code == 200


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_is_a_json_400_in_the_users_language(tiny_client, query):
    zh = search(tiny_client, q=query, lang="zh")
    assert zh.status_code == 400 and zh.mimetype == "application/json"
    assert zh.get_json()["error"]["field"] == "q"
    assert zh.get_json()["error"]["message"].startswith("搜索词 q 不能为空")
    en = search(tiny_client, q=query, lang="en")
    assert en.get_json()["error"]["message"].startswith("the search text q is empty")
    assert tiny_client.get("/api/search?lang=zh").status_code == 400  # no q at all


def test_a_query_longer_than_the_limit_is_a_400(tiny_client):
    assert search(tiny_client, q="P" * 100).status_code == 200
    answer = search(tiny_client, q="P" * 101, lang="en")
    assert answer.status_code == 400
    assert "at most 100 characters, got 101" in answer.get_json()["error"]["message"]


def test_nothing_matches_is_an_empty_list(tiny_client):
    answer = search(tiny_client, q="没有这个").get_json()
    assert (answer["hits"], answer["matched"]) == ([], 0)


def test_a_park_without_the_layers_answers_an_empty_list(tmp_path):
    from app import create_app

    frames = {name: frame for name, frame in tiny_frames().items() if name in ("zones", "pipelines")}
    store = GeoPackageStore(tmp_path / "bare.gpkg")
    store.save_park(frames, TINY_META)
    client = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test"}).test_client()
    answer = search(client, q="1")
    assert answer.status_code == 200
    assert answer.get_json()["hits"] == []


def test_enterprises_without_parcels_cannot_be_shown_and_are_left_out(tmp_path):
    from app import create_app

    frames = {name: frame for name, frame in tiny_frames().items() if name in ("zones", "enterprises")}
    store = GeoPackageStore(tmp_path / "no-parcels.gpkg")
    store.save_park(frames, TINY_META)
    client = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test"}).test_client()
    assert search(client, q="公司").get_json()["hits"] == []


def test_a_day_before_a_parcel_was_true_does_not_find_it(tmp_path):
    from app import create_app

    frames = tiny_frames()
    frames["parcels"]["valid_from"] = [None, "2025-01-01", None]
    frames["parcels"]["valid_from"] = frames["parcels"]["valid_from"].astype("datetime64[ms]")
    store = GeoPackageStore(tmp_path / "valid.gpkg")
    store.save_park(frames, TINY_META)
    client = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test"}).test_client()
    assert hits(client, q="P2") == [("parcels", "P2")]
    assert hits(client, q="P2", as_of="2025-01-01") == [("parcels", "P2")]
    assert hits(client, q="P2", as_of="2024-12-31") == []


def test_a_viewer_may_search_an_anonymous_visitor_may_not(auth_app, viewer_client):
    assert viewer_client.get("/api/search?q=P1").status_code == 200
    assert auth_app.test_client().get("/api/search?q=P1").status_code in (401, 403)
