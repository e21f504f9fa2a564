"""What anonymous visitors of the public view see: public fields only, records in force only, on every path.

The park holds what a committee does not publish (land price, investment, enterprise
ids, a delay cause) and retired records; the real app is served on a loopback port
and asked as an anonymous visitor would: the API, tiles and the /public page.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import requests
from auth_helpers import auth_config, signed_in
from browser_helpers import serve
from conftest import TINY_META, tiny_frames

from app import create_app
from geo.maps import layers_bounds, tile_columns
from geo.records import in_force
from geo.tiles import decode_tile, tiles_covering
from layers.landuse import STD_2023
from layers.public_fields import default_public_fields
from layers.registry import REGISTRY
from layers.store import GeoPackageStore

#: Fields the committee does not publish, present in the park below.
SECRET_FIELDS = ("land_price_wan", "investment_planned_wan", "investment_done_wan", "enterprise_id", "delay_cause",
                 "width_m", "area_name")
Z = 16


@pytest.fixture
def secret_park(tmp_path) -> GeoPackageStore:
    """The tiny park with money, enterprises and a delay cause on its parcels; P2 and road R2 retired."""
    frames = tiny_frames()
    parcels = frames["parcels"]
    parcels["investment_planned_wan"] = [5000.0, 8000.0, None]
    parcels["investment_done_wan"] = [4200.0, 100.0, None]
    parcels["delay_cause"] = ["none", "GOV-2", None]
    parcels["retired_on"] = pd.to_datetime([None, "2025-03-01", None])
    frames["roads"]["retired_on"] = pd.to_datetime([None, "2025-03-01"])
    store = GeoPackageStore(tmp_path / "secret.gpkg")
    store.save_park(frames, TINY_META)
    return store


def _app(park, tmp_path, **extra):
    return create_app(auth_config(park.path, tmp_path / "accounts.sqlite", PUBLIC_LAYERS=("parcels", "roads"), **extra))


def _no_secret_in(text: str) -> None:
    text = re.sub(r'(nonce|content|value)="[^"]*"', "", text)  # random tokens might hold "P2" by chance
    for name in SECRET_FIELDS:
        assert name not in text, name
    for value in ('"E1"', '"E2"', "GOV-2", "4200", "5000", "600.0", "300.0", "P2", "R2", "二号地块", "经一路"):
        assert value not in text, value  # values of secret fields, and the retired records


def test_the_safe_default_is_id_name_kind_and_status():
    assert {name: default_public_fields(spec) for name, spec in REGISTRY.items() if not spec.is_table} == {
        "zones": ("zone_id", "kind", "name"),
        "parcels": ("parcel_id", "name", "land_use", "land_use_std", "status"),
        "buildings": ("building_id", "name", "use", "status"),
        "roads": ("road_id", "name", "grade", "status"),
        "pipelines": ("pipe_id", "network", "status"),
        "facilities": ("facility_id", "kind", "name", "status"),
    }
    for spec in REGISTRY.values():  # so tiles of any public layer can be served by default
        if not spec.is_table:
            assert set(tile_columns(spec)) <= set(default_public_fields(spec)), spec.name


def test_the_anonymous_api_shows_public_fields_of_records_in_force(secret_park, tmp_path):
    app = _app(secret_park, tmp_path)
    with serve(app) as base:
        answer = requests.get(f"{base}/api/collections/parcels/items", timeout=30)
        body = answer.json()
        assert answer.status_code == 200 and body["numberMatched"] == 2 and body["numberReturned"] == 2
        assert [feature["id"] for feature in body["features"]] == ["P1", "P3"]
        for feature in body["features"]:
            assert set(feature["properties"]) == {"parcel_id", "name", "land_use", "land_use_std", "status"}
        _no_secret_in(answer.text)
        everywhere = requests.get(f"{base}/api/collections/parcels/items", params={"bbox": "-180,-90,180,90"},
                                  timeout=30)
        assert [feature["id"] for feature in everywhere.json()["features"]] == ["P1", "P3"]
        _no_secret_in(everywhere.text)
        paged = requests.get(f"{base}/api/collections/parcels/items", params={"limit": 1, "offset": 1}, timeout=30)
        assert [feature["id"] for feature in paged.json()["features"]] == ["P3"]  # paging over records in force
        one = requests.get(f"{base}/api/collections/parcels/items/P1", timeout=30)
        assert set(one.json()["properties"]) == {"parcel_id", "name", "land_use", "land_use_std", "status"}
        _no_secret_in(one.text)
        assert requests.get(f"{base}/api/collections/parcels/items/P2", timeout=30).status_code == 404
        roads = requests.get(f"{base}/api/collections/roads/items", timeout=30)
        assert [feature["id"] for feature in roads.json()["features"]] == ["R1"]
        assert set(roads.json()["features"][0]["properties"]) == {"road_id", "name", "grade", "status"}
        _no_secret_in(roads.text)
        extent = requests.get(f"{base}/api/collections/parcels", timeout=30).json()["extent"]["spatial"]["bbox"][0]
    # The extent is that of P1 and P3 (x 0–100 m of the park), not of retired P2 (reaching x = 300 m).
    live = secret_park.load("parcels").iloc[[0, 2]].to_crs(4326).total_bounds
    assert extent == pytest.approx(list(live), abs=1e-9)


def test_signed_in_users_see_every_field_and_retired_records(secret_park, tmp_path):
    viewer = signed_in(_app(secret_park, tmp_path), "viewer")
    body = viewer.get("/api/collections/parcels/items").get_json()
    assert [feature["id"] for feature in body["features"]] == ["P1", "P2", "P3"]
    assert body["features"][1]["properties"]["land_price_wan"] == 600.0
    assert viewer.get("/api/collections/parcels/items/P2").status_code == 200


def _public_layer_specs(page: str) -> dict[str, dict]:
    """The client options of each layer of a /public page: ``parkatlas.geoJsonLayer("key", {spec}, …``."""
    specs = {}
    for key, spec in re.findall(r'parkatlas\.geoJsonLayer\(\s*"(\w+)",\s*(\{.*?\}),\s*\{"type"', page, re.S):
        specs[key] = json.loads(spec)
    return specs


def test_the_public_page_and_its_popups_show_public_fields_only(secret_park, tmp_path):
    app = _app(secret_park, tmp_path)
    with serve(app) as base:
        answer = requests.get(f"{base}/public", timeout=60)
    assert answer.status_code == 200
    page = answer.text
    _no_secret_in(page)
    assert "P1" in page and "P3" in page and "R1" in page
    specs = _public_layer_specs(page)
    assert [field["name"] for field in specs["parcels"]["popupFields"]] == [
        "parcel_id", "name", "land_use", "status", "_area_mu"]
    assert [field["name"] for field in specs["roads"]["popupFields"]] == ["road_id", "name", "grade", "status"]
    assert '"searchUrl": null' in page  # no search box: /api/search reads every layer, for signed-in users only


def test_anonymous_tiles_hold_public_fields_and_no_retired_record(secret_park, tmp_path):
    app = _app(secret_park, tmp_path)
    allowed = {"fid", "geometry", "_layer", "_area_mu", "parcel_id", "land_use", "land_use_std", "road_id",
               "grade", "status"}
    seen = {"parcels": set(), "roads": set()}
    with serve(app) as base:
        for x, y in tiles_covering(secret_park.load("parcels").to_crs(3857).total_bounds, Z):
            answer = requests.get(f"{base}/tiles/parcels,roads/{Z}/{x}/{y}.pbf", timeout=30)
            assert answer.status_code == 200
            for name, frame in decode_tile(answer.content, Z, x, y).items():
                assert set(frame.columns) <= allowed, name
                seen[name] |= set(frame[REGISTRY[name].id_field])
    assert seen == {"parcels": {"P1", "P3"}, "roads": {"R1"}}


def test_configured_public_fields_apply_on_every_path(secret_park, tmp_path):
    app = _app(secret_park, tmp_path, PUBLIC_FIELDS="parcels:parcel_id,name;roads:road_id,name,grade,status")
    assert app.config["PUBLIC_FIELDS"]["parcels"] == ("parcel_id", "name")
    tile = tiles_covering(secret_park.load("parcels").to_crs(3857).total_bounds, Z)[0]
    with serve(app) as base:
        items = requests.get(f"{base}/api/collections/parcels/items", timeout=30).json()
        assert {key for feature in items["features"] for key in feature["properties"]} == {"parcel_id", "name"}
        # Parcel tiles carry the land use the map colours by, which is not public now: taken out, key and values.
        shown = requests.get(f"{base}/tiles/parcels,roads/{Z}/{tile[0]}/{tile[1]}.pbf", timeout=30)
        assert shown.status_code == 200
        decoded = decode_tile(shown.content, Z, *tile)
        assert set(decoded["parcels"].columns) == {"fid", "parcel_id", "_layer", "_area_mu", "geometry"}
        assert set(decoded["parcels"]["parcel_id"]) == {"P1", "P3"}
        assert {"road_id", "grade", "status"} <= set(decoded["roads"].columns)  # public on roads: kept
        assert b"land_use" not in shown.content and b"100101" not in shown.content
        page = requests.get(f"{base}/public", timeout=60).text
    specs = _public_layer_specs(page)
    assert [field["name"] for field in specs["parcels"]["popupFields"]] == ["parcel_id", "name", "_area_mu"]
    assert "100101" not in page  # P1's land-use code is neither in its feature nor in the legend
    viewer = signed_in(app, "viewer")  # signed in: everything, tiles included
    signed = viewer.get(f"/tiles/parcels/{Z}/{tile[0]}/{tile[1]}.pbf")
    assert signed.status_code == 200 and "land_use" in decode_tile(signed.data, Z, *tile)["parcels"].columns
    assert signed.headers["ETag"] != shown.headers["ETag"]
    assert "land_price_wan" in viewer.get("/api/collections/parcels/items/P1").get_json()["properties"]


def test_land_use_brings_its_standard(secret_park, tmp_path):
    app = _app(secret_park, tmp_path, PUBLIC_FIELDS="parcels:land_use")
    assert app.config["PUBLIC_FIELDS"] == {"parcels": ("parcel_id", "land_use", "land_use_std"),
                                           "roads": ("road_id", "name", "grade", "status")}


@pytest.mark.parametrize("layers,fields,message", [
    (("parcels",), "parcels:price", "layer 'parcels' has no field 'price'; fields: parcel_id, name"),
    (("parcels",), "nolayer:name", "'nolayer:name' must be LAYER:FIELD,FIELD with a known layer; layers: zones"),
    (("parcels",), "parcels", "'parcels' must be LAYER:FIELD,FIELD"),
    (("parcels",), "roads:name", "names 'roads', which PARKATLAS_PUBLIC_LAYERS does not make public (parcels)"),
    (("parcel_analysis",), "", "PARKATLAS_PUBLIC_LAYERS: no layer 'parcel_analysis'; layers: zones"),
])
def test_a_bad_public_configuration_stops_the_start(tiny_park, tmp_path, monkeypatch, layers, fields, message):
    monkeypatch.setenv("PARKATLAS_PUBLIC_FIELDS", fields)
    with pytest.raises(ValueError, match=re.escape(message)):
        create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", PUBLIC_LAYERS=layers))


# -- a large park: /public drawn from tiles ------------------------------------------------------------------

#: 0.5 m (the R-tree's float32 rounding at these coordinates, see test_layers_store_fields) in degrees of latitude.
INDEX_ROUNDING_DEG = 0.5 / 111_000 * 1.01


def _tiled_specs(page: str) -> dict[str, tuple[dict, str]]:
    """The client options and tile URL of each tiled layer of a page: ``parkatlas.tileLayer("key", {spec}, "url")``."""
    decoder, found = json.JSONDecoder(), {}
    for match in re.finditer(r'parkatlas\.tileLayer\(\s*"(\w+)",\s*', page):
        spec, end = decoder.raw_decode(page, match.end())
        url, _ = decoder.raw_decode(page, re.compile(r",\s*").match(page, end).end())
        found[match.group(1)] = (spec, url)
    return found


def test_a_large_public_park_is_drawn_from_tiles_without_loading_a_layer(secret_park, tmp_path, loads):
    app = _app(secret_park, tmp_path, TILE_FEATURE_THRESHOLD=1)  # the tiny park's 2 parcels in force are "large"
    page = app.test_client().get("/public").get_data(as_text=True)
    assert loads == []  # fields and extents only: no layer loaded whole
    assert "geoJsonLayer" not in page
    _no_secret_in(page)
    layers = _tiled_specs(page)
    assert {key: url for key, (_, url) in layers.items()} == {
        "parcels": "/tiles/parcels,roads/{z}/{x}/{y}.pbf", "roads": "/tiles/parcels,roads/{z}/{x}/{y}.pbf"}
    specs = {key: spec for key, (spec, _) in layers.items()}
    assert [field["name"] for field in specs["parcels"]["popupFields"]] == [
        "parcel_id", "name", "land_use", "status", "_area_mu"]
    assert [field["name"] for field in specs["roads"]["popupFields"]] == ["road_id", "name", "grade", "status"]
    # Styled by land use, which is public by default; the retired P2's 100102 is not on the map.
    assert set(specs["parcels"]["palette"]) == {f"{STD_2023}|100101", f"{STD_2023}|1101"}
    # The map opens on the parcels in force (P1 and P3, not the retired P2), from the store's index.
    (south, west), (north, east) = json.loads(re.search(r"\.fitBounds\((\[\[.*?\]\])", page).group(1))
    expected = layers_bounds([in_force(secret_park.load("parcels"))])
    assert np.allclose([south, west, north, east], np.ravel(expected), atol=INDEX_ROUNDING_DEG, rtol=0)
    whole = layers_bounds([secret_park.load("parcels")])  # with P2, 200 m further east
    assert not np.allclose(east, whole[1][1], atol=INDEX_ROUNDING_DEG * 10, rtol=0)


def test_a_small_public_park_stays_inline(secret_park, tmp_path, loads):
    app = _app(secret_park, tmp_path, TILE_FEATURE_THRESHOLD=2)  # 2 parcels in force: not above the threshold
    page = app.test_client().get("/public").get_data(as_text=True)
    assert "parkatlas.tileLayer(" not in page and set(_public_layer_specs(page)) == {"parcels", "roads"}
    assert sorted(name for name, _ in loads) == ["parcels", "roads"]


def test_a_large_public_park_whose_style_field_is_not_public(secret_park, tmp_path):
    app = _app(secret_park, tmp_path, TILE_FEATURE_THRESHOLD=1, PUBLIC_FIELDS="parcels:parcel_id,name")
    client = app.test_client()
    page = client.get("/public").get_data(as_text=True)
    spec, _ = _tiled_specs(page)["parcels"]
    assert list(spec["palette"]) == [f"{STD_2023}|"] and "100101" not in page  # the fallback colour alone
    assert [field["name"] for field in spec["popupFields"]] == ["parcel_id", "name", "_area_mu"]
    x, y = tiles_covering(secret_park.load("parcels").to_crs(3857).total_bounds, Z)[0]
    tile = client.get(f"/tiles/parcels,roads/{Z}/{x}/{y}.pbf")
    assert tile.status_code == 200
    parcels = decode_tile(tile.data, Z, x, y)["parcels"]
    assert "land_use" not in parcels.columns and b"100101" not in tile.data
    assert client.get("/public?lang=en").status_code == 200
