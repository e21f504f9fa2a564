"""A park office's first day: no park yet, and its first file imported on the web creates it.

Before any import there is no park file. Every page then says where to start (the import page) instead of a 503
telling an administrator to run commands; the import page asks for the park's name, and the first confirmed import
creates the park under it.
"""

from __future__ import annotations

import io
import json

import pytest

from layers.store import GeoPackageStore

#: Two parcels near 121.4°E, 28.65°N, as lon/lat GeoJSON.
PARCELS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"地块编号": f"DK-{i}", "用地性质": "100101"},
     "geometry": {"type": "Polygon", "coordinates": [[[121.40 + i * 0.003, 28.65], [121.402 + i * 0.003, 28.65],
                                                      [121.402 + i * 0.003, 28.652], [121.40 + i * 0.003, 28.652],
                                                      [121.40 + i * 0.003, 28.65]]]}}
    for i in (1, 2)]}


@pytest.fixture
def new_app(tmp_path):
    from app import create_app

    return create_app({"TESTING": True, "PARK_PATH": str(tmp_path / "park.gpkg"), "SECRET_KEY": "test",
                       "UPLOAD_DIR": str(tmp_path / "uploads"), "BASEMAP": "none"})


def _upload(client, **fields):
    data = {"layer": "parcels", "mode": "replace",
            "file": (io.BytesIO(json.dumps(PARCELS).encode()), "地块.geojson"), **fields}
    return client.post("/import", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("page", ["/", "/land", "/idle", "/report", "/infrastructure", "/export"])
def test_before_any_import_every_page_says_to_start_with_an_import(new_app, page):
    client = new_app.test_client()
    answer = client.get(page)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 404
    assert "还没有园区数据" in text and 'href="/import"' in text
    assert "flask" not in text and "--" not in text.replace("<!--", "").replace("-->", "")
    english = client.get(page + "?lang=en").get_data(as_text=True)
    assert "No park data yet" in english and "creates it" in english


def test_before_any_import_a_json_client_is_told_no_park(new_app):
    answer = new_app.test_client().get("/api/collections/parcels/items")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "NoPark"


def test_the_first_import_on_the_web_creates_the_park_under_the_name_given(new_app, tmp_path):
    client = new_app.test_client()
    form = client.get("/import").get_data(as_text=True)
    assert 'name="park_name"' in form and "第一次导入即建立园区" in form

    preview = _upload(client, park_name="  某某经济开发区 ")
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    html = preview.get_data(as_text=True)
    assert not (tmp_path / "park.gpkg").exists()  # a preview writes nothing
    token = html[html.index("/import/") + len("/import/"):][:32]
    done = client.post(f"/import/{token}/confirm")
    assert done.status_code == 200

    store = GeoPackageStore(tmp_path / "park.gpkg")
    assert store.read_meta()["park_name"] == "某某经济开发区"
    assert sorted(store.load("parcels")["parcel_id"]) == ["DK-1", "DK-2"]
    overview = client.get("/")
    assert overview.status_code == 200 and "某某经济开发区" in overview.get_data(as_text=True)
    # The park is there now: the form no longer asks for its name.
    assert 'name="park_name"' not in client.get("/import").get_data(as_text=True)


def test_without_a_name_the_park_is_named_after_the_file(new_app, tmp_path):
    client = new_app.test_client()
    html = _upload(client).get_data(as_text=True)
    token = html[html.index("/import/") + len("/import/"):][:32]
    assert client.post(f"/import/{token}/confirm").status_code == 200
    assert GeoPackageStore(tmp_path / "park.gpkg").read_meta()["park_name"] == "地块"


def test_a_park_name_longer_than_the_limit_is_refused_naming_it(new_app, tmp_path):
    from web.imports import PARK_NAME_MAX

    client = new_app.test_client()
    assert _upload(client, park_name="园" * PARK_NAME_MAX).status_code == 200
    refused = _upload(client, park_name="园" * (PARK_NAME_MAX + 1))
    assert refused.status_code == 400
    assert f"园区名称最长 {PARK_NAME_MAX} 个字，收到 {PARK_NAME_MAX + 1} 个字" in refused.get_data(as_text=True)
    assert not (tmp_path / "park.gpkg").exists()
