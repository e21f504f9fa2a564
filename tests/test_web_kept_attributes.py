"""Kept source attributes on the web: the record page (read-only), the API (an object), map popups; an edit keeps
them; anonymous visitors of the public view never see them."""

import json

import pytest
from auth_helpers import auth_config, signed_in

from geo.maps import styled_layer
from layers.registry import get_layer

KEPT = '{"types":{"分區類":"text","容积率":"float","已验收":"bool","竣工":"date"},' \
       '"values":{"分區類":"工業區","容积率":2.5,"已验收":true,"竣工":null}}'


@pytest.fixture
def kept_park(tiny_park):
    parcels = tiny_park.load("parcels")
    parcels.loc[parcels["parcel_id"] == "P1", "source_attributes"] = KEPT
    tiny_park.save("parcels", parcels)
    return tiny_park


def test_the_record_page_shows_them_read_only(kept_park, auth_app):
    editor = signed_in(auth_app, "editor")
    page = editor.get("/edit/parcels/P1").get_data(as_text=True)
    section = page[page.index('id="kept-attributes"'):]
    for name, shown in (("分區類", "工業區"), ("容积率", "2.5"), ("已验收", "是"), ("竣工", "—")):
        assert f"<th>{name}</th><td>{shown}</td>" in section
    assert 'name="source_attributes"' not in page  # not a form field
    assert 'id="kept-attributes"' not in editor.get("/edit/parcels/P2").get_data(as_text=True)


def test_an_edit_keeps_them(kept_park, auth_app):
    import re

    editor = signed_in(auth_app, "editor")
    page = editor.get("/edit/parcels/P1").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    reply = editor.post("/edit/parcels/P1", data={"name": "改名", "version": version, "fingerprint": fingerprint})
    assert reply.status_code == 303
    record = kept_park.load("parcels").set_index("parcel_id").loc["P1"]
    assert record["name"] == "改名" and record["source_attributes"] == KEPT


def test_the_api_gives_them_as_an_object(kept_park, auth_app):
    viewer = signed_in(auth_app, "viewer")
    item = viewer.get("/api/collections/parcels/items/P1").get_json()
    assert item["properties"]["source_attributes"] == {"分區類": "工業區", "容积率": 2.5, "已验收": True, "竣工": None}
    assert viewer.get("/api/collections/parcels/items/P2").get_json()["properties"]["source_attributes"] is None


def test_anonymous_visitors_never_see_them(kept_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(kept_park.path, tmp_path / "accounts.sqlite", PUBLIC_LAYERS=["parcels"]))
    visitor = app.test_client()
    reply = visitor.get("/api/collections/parcels/items/P1")
    assert reply.status_code == 200 and "source_attributes" not in reply.get_json()["properties"]
    assert "工業區" not in visitor.get("/api/collections/parcels/items").get_data(as_text=True)


def test_popups_carry_them_inline_or_fetch_them(kept_park):
    parcels = kept_park.load("parcels")
    spec = get_layer("parcels")
    inline = styled_layer(parcels, spec, kept_inline=True)
    features = {f["id"]: f["properties"] for f in json.loads(inline.data_json)["features"]}
    assert features["P1"]["source_attributes"] == {"分區類": "工業區", "容积率": 2.5, "已验收": True, "竣工": None}
    assert features["P2"]["source_attributes"] is None
    assert inline.client_spec["keptTitle"] == "源数据属性"
    fetched = styled_layer(parcels, spec)
    features = {f["id"]: f["properties"] for f in json.loads(fetched.data_json)["features"]}
    # Pages stay light: a flag on the features that have some, and where the popup fetches them.
    assert features["P1"]["_k"] == 1 and features["P2"]["_k"] is None
    assert "source_attributes" not in features["P1"]
    assert fetched.client_spec["itemUrl"] == "/api/collections/parcels/items/"
    plain = styled_layer(kept_park.load("roads"), get_layer("roads"))
    assert "itemUrl" not in plain.client_spec  # no record of it has any
