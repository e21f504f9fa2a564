"""``/tiles/<layer>/<z>/<x>/<y>.pbf`` on both stores: content, ETag/304, invalidation after a save, errors,
and the map page switching a large layer to tiles (with a real browser drawing and clicking it)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from browser_helpers import click_on_map, in_p1_lonlat, launch, serve
from conftest import TINY_META, tiny_frames

from app import create_app
from geo.tiles import decode_tile, tiles_covering

Z = 16


@pytest.fixture(params=["gpkg", "postgis"])
def tiled(request, tiny_park):
    """An app over the tiny park in each store, with its store, and the zoom-16 tiles the parcels touch."""
    config = {"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None}
    store = tiny_park
    if request.param == "postgis":
        store = request.getfixturevalue("postgis_store")
        store.save_park(tiny_frames(), TINY_META)
        config["DATABASE_URL"] = f"{store.url}?schema={store.schema}"
        config["TILE_CACHE_PATH"] = str(tiny_park.path.with_name("postgis.tiles.sqlite"))
    app = create_app(config)
    tiles = tiles_covering(tiny_park.load("parcels").to_crs(3857).total_bounds, Z)
    yield SimpleNamespace(client=app.test_client(), store=store, tiles=tiles, backend=request.param, app=app)
    app.extensions["parkatlas_park"].store.close() if request.param == "postgis" else None


def get_tile(client, layer, z, x, y, **headers):
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers=headers)


def parcel_ids(response, z, x, y) -> list[str]:
    layers = decode_tile(response.data, z, x, y)
    return sorted(layers["parcels"]["parcel_id"]) if "parcels" in layers else []


def test_tiles_hold_the_parcels_they_touch_with_ids_and_style_fields(tiled):
    assert len(tiled.tiles) == 2  # the tiny park spans two zoom-16 tiles side by side
    (x0, y0), (x1, y1) = sorted(tiled.tiles)
    first, second = get_tile(tiled.client, "parcels", Z, x0, y0), get_tile(tiled.client, "parcels", Z, x1, y1)
    assert first.status_code == 200 and first.mimetype == "application/vnd.mapbox-vector-tile"
    assert parcel_ids(first, Z, x0, y0) == ["P1", "P2", "P3"]
    assert parcel_ids(second, Z, x1, y1) == ["P2"]  # only P2 reaches across the tile edge
    parcels = decode_tile(first.data, Z, x0, y0)["parcels"].set_index("parcel_id")
    assert parcels.loc["P1", "land_use"] == "100101" and parcels.loc["P1", "land_use_std"] == "用地用海2023"
    assert parcels.loc["P1", "_area_mu"] == 15.0 and parcels.loc["P2", "_area_mu"] == 30.0
    # No feature id (an absent one decodes as 0): a tile's bytes depend only on the features in it.
    assert list(parcels["fid"]) == [0, 0, 0]


def test_postgis_parks_are_tiled_by_the_database(tiled, monkeypatch):
    import geo.tiles

    x, y = sorted(tiled.tiles)[0]
    if tiled.backend == "postgis":  # ST_AsMVT, even through wrappers of the store (audit trail)
        monkeypatch.setattr(geo.tiles, "encode_tile", lambda *a, **k: pytest.fail("Python encoder used for PostGIS"))
    assert parcel_ids(get_tile(tiled.client, "parcels", Z, x, y), Z, x, y) == ["P1", "P2", "P3"]


def test_other_layers_carry_their_own_style_fields(tiled):
    x, y = sorted(tiled.tiles)[0]
    roads = decode_tile(get_tile(tiled.client, "roads", Z, x, y).data, Z, x, y)["roads"].set_index("road_id")
    assert roads.loc["R1", "status"] == "completed" and roads.loc["R1", "grade"] == "secondary"
    zones = decode_tile(get_tile(tiled.client, "zones", Z, x, y).data, Z, x, y)["zones"]
    assert list(zones["kind"]) == ["park_boundary"]


def test_etag_revalidation_answers_304_without_a_body(tiled):
    x, y = tiled.tiles[0]
    first = get_tile(tiled.client, "parcels", Z, x, y)
    assert first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]
    again = get_tile(tiled.client, "parcels", Z, x, y, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    other = get_tile(tiled.client, "parcels", Z, x, y, **{"If-None-Match": '"not-this-one"'})
    assert other.status_code == 200 and other.data == first.data


def test_a_save_invalidates_cached_tiles_and_their_etag(tiled):
    x, y = sorted(tiled.tiles)[0]
    before = get_tile(tiled.client, "parcels", Z, x, y)
    assert parcel_ids(before, Z, x, y) == ["P1", "P2", "P3"]
    parcels = tiled.store.load("parcels")
    tiled.store.save("parcels", parcels[parcels["parcel_id"] != "P3"])
    after = get_tile(tiled.client, "parcels", Z, x, y, **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert parcel_ids(after, Z, x, y) == ["P1", "P2"]


def test_bad_tile_requests_get_the_json_error_shape(tiled):
    cases = [
        ("/tiles/nowhere/16/0/0.pbf", 404, "no tiles for 'nowhere'"),
        ("/tiles/units/16/0/0.pbf", 404, "no tiles for 'units'"),
        ("/tiles/parcels/23/0/0.pbf", 400, "tile zoom must be between 0 and 22, got 23"),
        ("/tiles/parcels/2/4/0.pbf", 400, "tile x at zoom 2 must be between 0 and 3, got 4"),
        ("/tiles/parcels/2/0/4.pbf", 400, "tile y at zoom 2 must be between 0 and 3, got 4"),
    ]
    for url, status, message in cases:
        response = tiled.client.get(url, query_string={"lang": "en"})
        assert response.status_code == status, url
        assert message in response.get_json()["error"]["message"]


def test_overview_sends_the_whole_map_as_one_tile_set_when_a_layer_is_above_the_threshold(tiny_park):
    def page(threshold):
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path),
                          "DATABASE_URL": None, "TILE_FEATURE_THRESHOLD": threshold})
        return app.test_client().get("/").get_data(as_text=True)

    inline = page(3)  # no layer has more than 3 features
    assert "parkatlas.tileLayer(" not in inline and "二号地块" in inline
    assert "leaflet.vectorgrid" not in inline
    tiled = page(2)  # parcels (3) are above: every layer goes to the one tile set, in drawing order
    assert tiled.count("parkatlas.tileLayer(") == 6
    assert "二号地块" not in tiled and "纬一路" not in tiled
    assert tiled.count('"/tiles/zones,parcels,buildings,roads,pipelines,facilities/{z}/{x}/{y}.pbf"') == 6
    assert '"itemUrl": "/api/collections/parcels/items/"' in tiled
    assert 'src="/static/vendor/node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js"' in tiled


def test_a_multi_layer_tile_holds_each_layer_named_in_its_features(tiled):
    x, y = sorted(tiled.tiles)[0]
    response = get_tile(tiled.client, "zones,parcels,roads", Z, x, y)
    layers = decode_tile(response.data, Z, x, y)
    assert list(layers) == ["zones", "parcels", "roads"]
    assert set(layers["parcels"]["_layer"]) == {"parcels"} and set(layers["roads"]["_layer"]) == {"roads"}
    single = get_tile(tiled.client, "parcels", Z, x, y)
    assert single.headers["ETag"] != response.headers["ETag"]
    assert tiled.client.get(f"/tiles/parcels,units/{Z}/{x}/{y}.pbf").status_code == 404


def test_below_the_minimum_zoom_only_small_layers_are_in_the_tiles(tiny_park):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None,
                      "TILE_FEATURE_THRESHOLD": 2})
    x, y = tiles_covering(tiny_park.load("parcels").to_crs(3857).total_bounds, 11)[0]
    layers = decode_tile(get_tile(app.test_client(), "parcels,roads", 11, x, y).data, 11, x, y)
    assert list(layers) == ["roads"]  # 3 parcels are above the threshold of 2, 2 roads are not


# -- in a real browser ----------------------------------------------------------------------------------------


@pytest.fixture
def tiled_server(tiny_park):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None,
                      "TILE_FEATURE_THRESHOLD": 2, "BASEMAP": "none"})
    with serve(app) as url:
        yield url


@pytest.mark.browser
def test_browser_draws_tiled_parcels_and_opens_a_popup_from_the_api(tiled_server, tmp_path):
    from playwright import sync_api

    errors, outside = [], []
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 900, "height": 700})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(tiled_server) else None)
        page.goto(tiled_server + "/", wait_until="networkidle")
        page.wait_for_function("() => window.parkatlas && window.parkatlas.layers.parcels")
        # A point of P1 outside its factory (drawn above the parcels, in the same tiles), at zoom 17.
        click_on_map(page, in_p1_lonlat())
        tiles_drawn = page.evaluate("() => Object.keys(parkatlas.layers.parcels.grid._vectorTiles).length")
        page.wait_for_selector(".pa-popup", timeout=5000)
        popup = page.inner_text(".pa-popup")
        page.screenshot(path="/tmp/f_tiles_browser.png")
        browser.close()
    assert tiles_drawn >= 1
    assert "一号地块 <b>" in popup  # the name fetched from the API, shown as text
    assert "15" in popup and "已投产" in popup  # area in 亩 from the tile, status as its label
    assert errors == [] and outside == []


def test_the_parcel_analysis_is_tiled_as_of_a_day(tiny_park):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None})
    client = app.test_client()
    x, y = sorted(tiles_covering(tiny_park.load("parcels").to_crs(3857).total_bounds, Z))[0]
    url = f"/tiles/parcel_analysis/{Z}/{x}/{y}.pbf"
    response = client.get(url)
    analysis = decode_tile(response.data, Z, x, y)["parcel_analysis"].set_index("parcel_id")
    assert sorted(analysis.index) == ["P1", "P2", "P3"]
    assert set(analysis["_layer"]) == {"parcel_analysis"}
    assert analysis.loc["P3", "idle_status"] == "not_supplied"  # planned: not supplied yet
    assert {"idle_status", "inefficiency", "mu_grade"} <= set(analysis.columns)
    earlier = client.get(url + "?as_of=2020-01-01")
    assert earlier.headers["ETag"] != response.headers["ETag"]
    assert client.get(url + "?as_of=2020-13-01").status_code == 400
    parcels = tiny_park.load("parcels")
    tiny_park.save("parcels", parcels[parcels["parcel_id"] != "P3"])
    after = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert after.status_code == 200
    assert sorted(decode_tile(after.data, Z, x, y)["parcel_analysis"]["parcel_id"]) == ["P1", "P2"]
